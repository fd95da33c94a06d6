"""correction='covariance': an anchored table generator's correction shaped by its class's covariance."""

import numpy as np
import pandas as pd
import pytest
import torch

from minority_gen import GANOversampler
from minority_gen.nets import AnchoredGenerator
from minority_gen.nets.anchored import covariance_root
from minority_gen.networks import Architecture

FAST = dict(n_iter=40, batch_size=32, hidden_dims=(16,), device="cpu")


def _related(n=240, sign=1.0, seed=0):
    """Rows whose last column is x0 ± x1 exactly, and a constant column: relations every real row obeys."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return np.c_[X, X[:, 0] + sign * X[:, 1], np.full(n, 2.5)]


def _breaks(rows, sign=1.0):
    """How far rows are from the relations of :func:`_related`."""
    return max(np.abs(rows[:, 3] - rows[:, 0] - sign * rows[:, 1]).max(), np.abs(rows[:, 4] - 2.5).max())


def test_covariance_root_squares_to_the_scaled_covariance_and_is_zero_where_rows_do_not_vary():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(50, 2)) * [3.0, 0.5]
    rows = torch.tensor(np.c_[base, base[:, 0] - base[:, 1]], dtype=torch.float32)  # rank 2 in 3 columns
    root = covariance_root(rows).double()
    cov = torch.cov(rows.double().T)
    eig = torch.linalg.eigvalsh(cov).clamp_min(0)
    torch.testing.assert_close(root @ root, cov / (eig.sum() / 3), atol=1e-5, rtol=1e-4)
    assert torch.allclose(root, root.T)
    null = torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64)  # x0 - x1 - x2 = 0 on every row
    assert (root @ null).abs().max() < 1e-5
    assert float(torch.trace(root @ root)) == pytest.approx(3.0, rel=1e-5)
    # one row, or rows that do not vary: no direction to move in
    assert not covariance_root(rows[:1]).any()
    assert not covariance_root(rows[:1].repeat(4, 1)).any()


def test_untrained_shaped_generator_returns_its_anchors():
    rows = torch.tensor(_related(12), dtype=torch.float32)
    free = AnchoredGenerator(4, 5, (8,), rows=rows)
    shaped = AnchoredGenerator(4, 5, (8,), rows=rows, shaped=True)
    shaped.load_state_dict(free.state_dict())
    z = torch.randn(20, free.noise_dim)
    assert torch.equal(free(z), shaped(z))


def test_each_row_goes_through_its_own_classes_matrix():
    """The shaping is one product per class, not an (n, d, d) gather: each row equals its own matrix product."""
    rng = np.random.default_rng(4)
    rows = torch.tensor(rng.normal(size=(30, 5)) * [1, 2, 3, 0.5, 1], dtype=torch.float32)
    labels = torch.tensor(np.arange(30) % 3)
    g = AnchoredGenerator(4, 5, (8,), n_classes=3, rows=rows, labels=labels, shaped=True)
    delta, y = torch.randn(11, 5), torch.tensor([0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 0])
    expected = torch.stack([delta[i] @ g.shape[y[i]] for i in range(len(y))])
    assert not torch.allclose(g.shape[0], g.shape[1])  # the classes' matrices differ, so a mix-up would show
    torch.testing.assert_close(g._shaped(delta, y), expected)
    one = AnchoredGenerator(4, 5, (8,), rows=rows, shaped=True)
    torch.testing.assert_close(one._shaped(delta, None), delta @ one.shape[0])


def test_shaped_corrections_keep_the_class_relations_that_free_ones_break():
    X = _related()
    y = (np.arange(len(X)) % 5 == 0).astype(int)
    new = {c: GANOversampler(correction=c, random_state=0, **FAST).fit(X, y).sample(300, y=1, random_state=0)
           for c in ("free", "covariance")}
    assert _breaks(new["covariance"]) < 1e-5
    assert _breaks(new["free"]) > 0.05  # the trained correction moves rows off the relation without the option
    assert new["covariance"][:, :3].std(0).min() > 0.3  # the rows still vary where the class varies


def test_each_class_keeps_its_own_relation():
    X = np.r_[_related(150, 1.0, 0), _related(150, -1.0, 1), _related(150, 1.0, 2) * 0.5 + 1]
    X[300:, 3] = X[300:, 0] + X[300:, 1]
    X[300:, 4] = 2.5
    y = np.repeat([1, 2, 0], 150)
    y[np.r_[0:120, 150:270]] = 0  # classes 1 and 2 small, grown by a conditional generator
    sampler = GANOversampler(method="acgan", correction="covariance", anchor="smote", random_state=0, **FAST)
    sampler.fit(X, y)
    assert _breaks(sampler.sample(200, y=1, random_state=1), 1.0) < 1e-5
    assert _breaks(sampler.sample(200, y=2, random_state=1), -1.0) < 1e-5


def test_mixed_tables_keep_levels_and_numeric_relations():
    X = _related(200)
    frame = pd.DataFrame(X, columns=list("abcde")).assign(kind=np.where(np.arange(200) % 3, "u", "v"))
    y = (np.arange(200) % 4 == 0).astype(int)
    sampler = GANOversampler(correction="covariance", random_state=0, **FAST).fit(frame, y)
    new = sampler.sample(100, y=1, random_state=0)
    assert set(new["kind"]) <= {"u", "v"}
    assert _breaks(new[list("abcde")].to_numpy(dtype=float)) < 1e-4


def test_shaped_generators_save_load_and_draw_the_same_rows(tmp_path):
    X = _related()
    y = (np.arange(len(X)) % 5 == 0).astype(int)
    sampler = GANOversampler(correction="covariance", random_state=0, **FAST).fit(X, y)
    path = tmp_path / "m.mgen"
    sampler.save(path)
    loaded = GANOversampler.load(path)
    assert loaded.correction == "covariance"
    assert np.array_equal(sampler.sample(50, y=1, random_state=4), loaded.sample(50, y=1, random_state=4))


def test_shape_matrices_are_not_stored_but_recomputed_from_the_loaded_rows():
    rows = torch.tensor(_related(30), dtype=torch.float32)
    trained = AnchoredGenerator(4, 5, (8,), rows=rows, shaped=True)
    assert "shape" not in trained.state_dict()
    fresh = AnchoredGenerator(4, 5, (8,), rows=torch.zeros_like(rows), shaped=True)
    assert not fresh.shape.any()
    fresh.load_state_dict(trained.state_dict())
    assert torch.equal(fresh.shape, trained.shape) and fresh.shape.any()


def test_architecture_state_names_the_shape_only_when_set_and_checks_it():
    arch = Architecture(latent_dim=4, hidden=None, n_classes=1, conditional=False, spectral_norm=False,
                        anchor=True)
    assert "anchor_shape" not in arch.to_state()  # files without the option are written as before
    shaped = Architecture(**{**arch.__dict__, "anchor_shape": True})
    assert Architecture.from_state(shaped.to_state()) == shaped
    assert Architecture.from_state(arch.to_state()).anchor_shape is False
    with pytest.raises(ValueError, match="anchor_shape"):
        Architecture.from_state({**shaped.to_state(), "anchor_shape": "yes"})
    with pytest.raises(ValueError, match="anchor_shape"):
        Architecture.from_state({**shaped.to_state(), "anchor": False})


def test_correction_is_validated_and_refused_on_images_before_training():
    X = _related(60)
    y = (np.arange(60) % 4 == 0).astype(int)
    with pytest.raises(ValueError, match="correction"):
        GANOversampler(correction="sideways", **FAST).fit(X, y)
    images = np.random.default_rng(0).random((40, 16, 16)).astype(np.float32)
    yi = (np.arange(40) % 4 == 0).astype(int)
    with pytest.raises(ValueError, match="correction='covariance'.*images"):
        GANOversampler(correction="covariance", anchor="smote", **FAST).fit(images, yi)
    assert GANOversampler(correction="auto", n_iter=1, batch_size=8, device="cpu").fit(images, yi).model_ is not None


def test_correction_without_anchors_changes_nothing():
    """Without anchors there is no correction to shape: 'auto' draws the rows 'free' draws, and an explicit
    'covariance' is refused rather than ignored."""
    X = _related()
    y = (np.arange(len(X)) % 5 == 0).astype(int)
    rows = [GANOversampler(anchor=None, correction=c, random_state=0, **FAST).fit_resample(X, y)[0]
            for c in ("free", "auto")]
    assert np.array_equal(*rows)
    with pytest.raises(ValueError, match=r"correction='covariance' shapes the correction an anchored generator"):
        GANOversampler(anchor=None, correction="covariance", random_state=0, **FAST).fit(X, y)


def test_a_table_of_categories_only_has_no_numeric_column_to_shape():
    """All one-hot columns: nothing to shape (an empty matrix), and the fit runs as with free corrections."""
    assert covariance_root(torch.zeros(5, 0)).shape == (0, 0)
    frame = pd.DataFrame({"f0": list("abcabcabcabcabcabcab"), "f1": list("xyxyxyxyxyxxyyxyxyxy")})
    y = np.r_[np.zeros(14, int), np.ones(6, int)]
    X_res, y_res = GANOversampler(**FAST, correction="covariance", random_state=0).fit_resample(frame, y)
    assert np.bincount(y_res).tolist() == [14, 14] and set(X_res["f0"]) <= set("abc")
