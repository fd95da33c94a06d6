"""anchor='smote': generators that refine SMOTE interpolations of their class's rows."""


import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from minority_gen import GANOversampler
from minority_gen.nets import AnchoredConvGenerator, AnchoredGenerator
from minority_gen.nets.anchored import ANCHOR_NOISE, class_neighbours
from minority_gen.persistence import ModelFileError
from tests.test_persistence import _read_weights, _write_weights


def _on_a_segment(x: np.ndarray, rows: np.ndarray, pairs: np.ndarray, tol: float = 1e-5) -> np.ndarray:
    """For each row of ``x``: whether it lies on a segment rows[i]–rows[j] for some (i, j) in ``pairs``."""
    a, b = rows[pairs[:, 0]], rows[pairs[:, 1]]  # (p, d)
    d = b - a
    t = np.einsum("npd,pd->np", x[:, None, :] - a[None], d) / np.maximum((d * d).sum(1), 1e-12)
    t = np.clip(t, 0, 1)
    gap = np.linalg.norm(a[None] + t[..., None] * d[None] - x[:, None, :], axis=2)
    return gap.min(1) < tol


def test_class_neighbours_are_the_nearest_other_rows_of_the_same_class():
    rows = np.array([[0.0], [1.0], [3.0], [10.0], [0.0], [100.0], [101.0]])
    labels = np.array([0, 0, 0, 0, 0, 1, 1])
    nb = class_neighbours(rows, labels, k=2)
    assert nb.shape == (7, 2)
    assert (nb != np.arange(7)[:, None]).all()  # never the row itself, duplicates included (rows 0 and 4)
    assert set(nb[0]) == {4, 1} and set(nb[4]) == {0, 1}
    assert set(nb[2]) == {1, 0} or set(nb[2]) == {1, 4}
    # a class of two rows: each one's only neighbour, repeated to fill k
    assert nb[5].tolist() == [6, 6] and nb[6].tolist() == [5, 5]
    # a class of one row is its own neighbour
    assert class_neighbours(np.array([[0.0], [5.0]]), np.array([0, 1]), k=3).tolist() == [[0, 0, 0], [1, 1, 1]]


def test_untrained_generator_returns_smote_points_of_the_class():
    g = torch.Generator().manual_seed(0)
    rows = torch.randn(12, 3, generator=g)
    labels = torch.tensor([0] * 6 + [1] * 6)
    G = AnchoredGenerator(4, 3, (8,), n_classes=2, rows=rows, labels=labels)
    assert G.noise_dim == 4 + ANCHOR_NOISE
    z = torch.randn(400, G.noise_dim, generator=g)
    y = torch.tensor([0, 1] * 200)
    x = G(z, y).detach().numpy()
    r, lab = rows.numpy(), labels.numpy()
    nb = class_neighbours(r, lab)
    for c in (0, 1):
        own = np.flatnonzero(lab == c)
        pairs = np.array([(i, j) for i in own for j in nb[i]])
        assert _on_a_segment(x[y.numpy() == c], r, pairs).all()
    # not just the real rows: points inside the segments, with the spread of the class
    assert np.min(np.linalg.norm(x[:, None] - r[None], axis=2), axis=1).max() > 0.05


def test_training_moves_the_generator_off_its_anchors():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = np.r_[np.zeros(60, int), np.ones(20, int)]
    s = GANOversampler(anchor="smote", n_iter=40, random_state=0, device="cpu").fit(X, y)
    G = s.generators_[1]
    z = torch.randn(64, G.noise_dim, generator=torch.Generator().manual_seed(1))
    u = torch.special.ndtr(z[:, -ANCHOR_NOISE:])
    correction = (G(z) - G.anchors(u, None)).detach().abs().max()
    assert 0 < float(correction) < 10


@pytest.mark.parametrize("method", ["rumi", "acgan"])
def test_anchored_rows_are_seeded_exact_and_survive_save_and_load(method, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 4))
    y = np.r_[np.zeros(60, int), np.ones(18, int), np.full(12, 2)]
    est = GANOversampler(method=method, anchor="smote", n_iter=20, random_state=3, device="cpu")
    Xa, ya = clone(est).fit_resample(X, y)
    Xb, yb = clone(est).fit_resample(X, y)
    assert np.array_equal(Xa, Xb) and np.array_equal(ya, yb)
    assert np.bincount(ya).tolist() == [60, 60, 60] and np.isfinite(Xa).all()
    plain = clone(est).set_params(anchor=None).fit_resample(X, y)[0]
    assert not np.array_equal(plain, Xa)
    fitted = clone(est).fit(X, y)
    fitted.save(tmp_path / "m.mgz")
    loaded = GANOversampler.load(tmp_path / "m.mgz")
    assert isinstance(loaded.generators_[1], AnchoredGenerator)
    assert np.array_equal(loaded.sample(7, 2, random_state=5), fitted.sample(7, 2, random_state=5))
    # rows whose shape does not match the neighbour table are refused on loading
    path = tmp_path / "m.mgz"
    weights = _read_weights(path)
    weights["G0"]["rows"] = weights["G0"]["rows"][:3]
    _write_weights(path, weights)  # checksums updated: only the shapes are wrong
    with pytest.raises(ModelFileError, match="rows and neighbours"):
        GANOversampler.load(path)


def test_conditional_anchors_come_from_the_requested_class():
    rng = np.random.default_rng(2)
    X = np.r_[rng.normal(size=(60, 2)), rng.normal(size=(15, 2)) + 20]
    y = np.r_[np.zeros(60, int), np.ones(15, int)]
    s = GANOversampler(method="acgan", anchor="smote", n_iter=1, random_state=0, device="cpu").fit(X, y)
    rows = s.sample(200, 1, random_state=0)
    assert rows[:, 0].min() > 10  # near the class's rows, not the other class's


def test_mixed_tables_keep_valid_levels_with_anchors():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=70), "b": pd.Categorical(rng.choice(["x", "y", "z"], 70))})
    y = np.r_[np.zeros(55, int), np.ones(15, int)]
    Xr, yr = GANOversampler(anchor="smote", n_iter=10, random_state=0, device="cpu").fit_resample(X, y)
    assert len(Xr) == 110 and set(Xr["b"]) <= {"x", "y", "z"} and Xr["a"].notna().all()


def test_untrained_image_generator_returns_blends_of_two_images_of_the_class():
    g = torch.Generator().manual_seed(0)
    rows = torch.rand(10, 16 * 16, generator=g) * 2 - 1
    labels = torch.tensor([0] * 5 + [1] * 5)
    G = AnchoredConvGenerator(6, (1, 16, 16), width=4, n_classes=2, rows=rows, labels=labels)
    assert G.noise_dim == 6 + ANCHOR_NOISE
    z = torch.randn(300, G.noise_dim, generator=g)
    y = torch.tensor([0, 1, 1] * 100)
    x = G(z, y).detach()
    assert x.shape == (300, 1, 16, 16)
    flat, r, lab = x.reshape(300, -1).numpy(), rows.numpy(), labels.numpy()
    nb = class_neighbours(r, lab)
    for c in (0, 1):
        own = np.flatnonzero(lab == c)
        pairs = np.array([(i, j) for i in own for j in nb[i]])
        assert _on_a_segment(flat[y.numpy() == c], r, pairs, tol=1e-4).all()
    assert np.min(np.linalg.norm(flat[:, None] - r[None], axis=2), axis=1).max() > 0.05  # blends, not copies


def test_image_generator_sees_its_anchor_and_stays_in_range():
    g = torch.Generator().manual_seed(1)
    rows = torch.rand(6, 2 * 16 * 16, generator=g) * 2 - 1
    G = AnchoredConvGenerator(6, (2, 16, 16), width=4, rows=rows.view(6, 2, 16, 16))  # (n, C, H, W) accepted
    with torch.no_grad():
        G.out.weight.normal_(0, 3.0, generator=g)  # a trained-looking, large correction
    z = torch.randn(8, G.noise_dim, generator=g)
    x = G(z)
    assert bool(((x >= -1) & (x <= 1)).all())
    G.train()
    x.sum().backward()
    # the correction's network gets gradients through the encoder of the anchor, not only the noise
    assert G.encode[0][0].weight.grad.abs().sum() > 0 and G.project.weight.grad.abs().sum() > 0
    z2 = z.clone()
    z2[:, -ANCHOR_NOISE:] = torch.randn(8, ANCHOR_NOISE, generator=g)  # same latent, other anchors
    G.eval()
    assert not torch.allclose(G(z), G(z2))
    with pytest.raises(ValueError, match="flat images"):
        AnchoredConvGenerator(6, (1, 16, 16), width=4, rows=torch.zeros(3, 10))


@pytest.mark.parametrize("method", ["rumi", "acgan"])
def test_image_anchors_train_seeded_and_survive_save_and_load(method, tmp_path):
    rng = np.random.default_rng(6)
    X = rng.integers(0, 255, size=(24, 16, 16)).astype(np.uint8)
    y = np.r_[np.zeros(16, int), np.ones(8, int)]
    est = GANOversampler(method=method, anchor="smote", n_iter=3, hidden_dims=(4,), batch_size=8,
                         random_state=0, device="cpu")
    Xa, ya = clone(est).fit_resample(X, y)
    Xb, _ = clone(est).fit_resample(X, y)
    assert Xa.shape == (32, 16, 16) and np.array_equal(Xa, Xb) and np.bincount(ya).tolist() == [16, 16]
    fitted = clone(est).fit(X, y)
    G = fitted.generators_[1]
    assert isinstance(G, AnchoredConvGenerator)
    z = torch.randn(16, G.noise_dim, generator=torch.Generator().manual_seed(2))
    u = torch.special.ndtr(z[:, -ANCHOR_NOISE:])
    anchor = G.anchors(u, None if method == "rumi" else torch.ones(16, dtype=torch.long)).view(16, 1, 16, 16)
    moved = (G(z, None if method == "rumi" else torch.ones(16, dtype=torch.long)) - anchor).abs().max()
    assert 0 < float(moved) < 2  # training moved the images off their blends
    fitted.save(tmp_path / "m.mgz")
    loaded = GANOversampler.load(tmp_path / "m.mgz")
    assert isinstance(loaded.generators_[1], AnchoredConvGenerator)
    assert np.array_equal(loaded.sample(5, 1, random_state=4), fitted.sample(5, 1, random_state=4))


def test_anchor_is_validated():
    with pytest.raises(ValueError, match="anchor"):
        GANOversampler(anchor="adasyn").fit(np.zeros((10, 2)), np.r_[np.zeros(7, int), np.ones(3, int)])


def test_auto_anchors_tables_and_not_images():
    y = np.r_[np.zeros(14, int), np.ones(6, int)]
    table = GANOversampler(n_iter=1, device="cpu", random_state=0).fit(np.random.default_rng(0).normal(size=(20, 3)), y)
    assert table.anchor == "auto" and isinstance(table.generators_[1], AnchoredGenerator)
    images = GANOversampler(n_iter=1, device="cpu", random_state=0, hidden_dims=(4,)).fit(np.zeros((20, 16, 16)), y)
    assert not isinstance(images.generators_[1], (AnchoredGenerator, AnchoredConvGenerator))
    off = GANOversampler(anchor=None, n_iter=1, device="cpu", random_state=0).fit(np.ones((20, 3)) * y[:, None], y)
    assert not isinstance(off.generators_[1], AnchoredGenerator)


def test_conditional_anchors_cap_the_classes_not_grown(monkeypatch):
    import minority_gen.plan as plan

    monkeypatch.setattr(plan, "ANCHOR_OTHER_ROWS", 50)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(230, 2))
    y = np.r_[np.zeros(200, int), np.ones(30, int)]
    s = GANOversampler(method="acgan", n_iter=1, random_state=0, device="cpu").fit(X, y)
    counts = s.generators_[1].counts.tolist()
    assert counts == [50, 30]  # every row of the class grown, a subsample of the other
    rows = s.generators_[1].rows.numpy()
    assert {tuple(r) for r in rows[50:]} == {tuple(r) for r in s.codec_.encode(X[y == 1])}


def test_auto_anchors_step_aside_for_quality_selection_and_explicit_ones_warn():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(40, 3)), np.r_[np.zeros(30, int), np.ones(10, int)]
    kw = dict(n_iter=4, device="cpu", random_state=0, selection="quality", eval_every=2)
    s = GANOversampler(**kw).fit(X, y)
    assert not isinstance(s.generators_[1], AnchoredGenerator)
    with pytest.warns(UserWarning, match="selection='quality'.*SMOTE-like"):
        s = GANOversampler(**kw, anchor="smote").fit(X, y)
    assert isinstance(s.generators_[1], AnchoredGenerator)
