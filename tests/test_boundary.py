"""Boundary-aware generation (minority_gen.boundary, GANOversampler(boundary=w))."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minority_gen import GANOversampler, available_methods
from minority_gen.boundary import SHIFT, BoundaryTerm, bounded_shift, margin
from minority_gen.data import DataSpec
from minority_gen.methods import Batch
from minority_gen.nets.anchored import AnchoredGenerator
from minority_gen.networks import build_classifier

from .conftest import TINY


def test_margin_is_the_own_logit_against_the_log_sum_exp_of_the_others():
    logits = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    y = torch.tensor([1, 2])
    expected = [2.0 - np.log(np.exp(1.0) + np.exp(0.5)), 3.0 - np.log(np.exp(0.0) + np.exp(-1.0))]
    np.testing.assert_allclose(margin(logits, y).numpy(), expected, rtol=1e-6)


def test_the_penalty_pulls_only_rows_deeper_than_the_real_rows_and_those_that_crossed():
    classifier = torch.nn.Identity()
    term = BoundaryTerm(classifier, weight=2.0, conditional=False)
    term.logits = lambda x: torch.stack([torch.zeros(len(x)), x[:, 0]], 1)  # margin = x0
    fake = torch.tensor([[3.0], [1.0], [-0.5], [0.2]])
    real = torch.tensor([0.5, 1.0, 1.5])  # median 1.0
    loss = term.generator_loss(Batch(z=fake, x_fake=fake), real)
    # relu(m - 1) + relu(-m): 2, 0, 0.5, 0 -> mean 0.625, times the weight
    assert loss.item() == pytest.approx(2.0 * 0.625)


def test_the_margins_target_is_the_distance_between_sorted_margins_and_the_real_quantiles():
    term = BoundaryTerm(torch.nn.Identity(), weight=2.0, conditional=False, target="margins")
    term.logits = lambda x: torch.stack([torch.zeros(len(x)), x[:, 0]], 1)  # margin = x0
    fake = torch.tensor([[3.0], [1.0], [-0.5], [0.2]])
    real = torch.tensor([0.5, 1.0, 1.5, 2.0, 2.5])
    # sorted margins -0.5, 0.2, 1, 3 against the real quantiles at 1/8, 3/8, 5/8, 7/8: 0.75, 1.25, 1.75, 2.25
    # |.|: 1.25, 1.05, 0.75, 0.75 -> mean 0.95, times the weight
    assert term.generator_loss(Batch(z=fake, x_fake=fake), real).item() == pytest.approx(2.0 * 0.95)
    # the rows' order does not matter; rows at the real quantiles pay nothing
    shuffled = fake[[2, 0, 3, 1]]
    assert term.generator_loss(Batch(z=shuffled, x_fake=shuffled), real).item() == pytest.approx(2.0 * 0.95)
    at = torch.tensor([[2.25], [0.75], [1.75], [1.25]])
    assert term.generator_loss(Batch(z=at, x_fake=at), real).item() == pytest.approx(0.0, abs=1e-7)


def test_the_inside_target_is_the_margin_match_with_the_real_quantiles_below_zero_raised_to_zero():
    term = BoundaryTerm(torch.nn.Identity(), weight=2.0, conditional=False, target="inside")
    term.logits = lambda x: torch.stack([torch.zeros(len(x)), x[:, 0]], 1)  # margin = x0
    fake = torch.tensor([[3.0], [1.0], [-0.5], [0.2]])
    real = torch.tensor([-2.0, -1.0, 1.0, 2.0, 3.0])
    # real quantiles at 1/8, 3/8, 5/8, 7/8 (linear between order statistics): -1.5, 0, 1.5, 2.5;
    # raised to 0: 0, 0, 1.5, 2.5. Sorted margins -0.5, 0.2, 1, 3: |.| 0.5, 0.2, 0.5, 0.5 -> mean 0.425
    assert term.generator_loss(Batch(z=fake, x_fake=fake), real).item() == pytest.approx(2.0 * 0.425)
    # the plain margin match asks the lowest row to cross: |-0.5 - (-1.5)| = 1 instead of 0.5
    term.target = "margins"
    assert term.generator_loss(Batch(z=fake, x_fake=fake), real).item() == pytest.approx(2.0 * 0.55)


@pytest.mark.parametrize("value, message", [
    ({"weight": 1.0, "target": "deep"}, r"target must be one of \['median', 'margins', 'inside'\]; got 'deep'"),
    ({"target": "margins"}, r"keys 'weight' \(a float > 0, required\) and 'target'"),
    ({"weight": 1.0, "quantile": 0.7}, r"keys 'weight'"),
    ({"weight": -1.0}, r"weight must be a float > 0; got -1.0"),
])
def test_a_bad_boundary_dict_is_refused_before_training(value, message, monkeypatch):
    monkeypatch.setattr("minority_gen.plan.fit_plan", lambda *a, **k: pytest.fail("training started"))
    X, y = np.random.default_rng(0).normal(size=(40, 2)), np.r_[np.zeros(30, int), np.ones(10, int)]
    with pytest.raises(ValueError, match=message):
        GANOversampler(**TINY, boundary=value).fit(X, y)


def test_the_penalty_reaches_the_generator_and_neither_the_classifier_nor_the_discriminator(monkeypatch):
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(1.5, 1, (20, 2))]
    y = np.r_[np.zeros(60, int), np.ones(20, int)]
    seen = []
    real = BoundaryTerm.generator_loss

    def spy(self, batch, margins=None):
        loss = real(self, batch, margins)
        seen.append(dict(classifier=[p.requires_grad for p in self.classifier.parameters()],
                         fake_grad=batch.x_fake.requires_grad))
        return loss

    monkeypatch.setattr(BoundaryTerm, "generator_loss", spy)
    sampler = GANOversampler(**{**TINY, "n_iter": 4}, boundary=1.0).fit(X, y)
    assert len(seen) == 4
    assert all(not any(s["classifier"]) and s["fake_grad"] for s in seen)
    assert {"g_boundary", "c_loss"} <= set(sampler.history_.columns)

    # by hand: the term's gradient flows into G's weights, and into no weight of the frozen classifier
    spec = DataSpec(n_features=2)
    classifier = build_classifier(spec, 2, (8,), seed=0).requires_grad_(False)
    G = torch.nn.Linear(3, 2)
    with torch.no_grad():  # fixed weights: the default init reads the global RNG, which other tests move
        G.weight.copy_(torch.tensor([[0.5, -0.2, 0.3], [-0.1, 0.4, 0.2]]))
        G.bias.zero_()
    z = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    # q = -5: every row with a margin above -5 is pulled, so the penalty is active on every row
    loss = BoundaryTerm(classifier, 1.0, False).generator_loss(Batch(z=z, x_fake=G(z)), torch.tensor([-5.0]))
    assert loss.item() > 0
    loss.backward()
    assert G.weight.grad is not None and G.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in classifier.parameters())


def test_off_builds_no_classifier_and_draws_no_seed(monkeypatch):
    built = []
    monkeypatch.setattr("minority_gen.plan.build_classifier", lambda *a, **k: built.append(a))
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.r_[np.zeros(30, int), np.ones(10, int)]
    GANOversampler(**TINY, boundary=None).fit(X, y)
    assert built == []


def test_the_bound_holds_for_any_correction():
    rows = torch.randn(12, 3, generator=torch.Generator().manual_seed(0))
    g = AnchoredGenerator(4, 3, (8,), rows=rows, max_shift=SHIFT)
    with torch.no_grad():
        g.f.net[-1].weight.normal_(0, 30, generator=torch.Generator().manual_seed(1))  # huge corrections
    z = torch.randn(500, g.noise_dim, generator=torch.Generator().manual_seed(2))
    out = g(z).detach()
    _, _, u = g.split_noise(z)
    moved = (out - g.anchors(u, None)).norm(dim=1)
    radius = g.anchor_radius(u, None)
    assert (moved <= SHIFT * radius + 1e-5).all()
    assert (moved > 0.9 * SHIFT * radius).float().mean() > 0.5  # the bound binds: it is what stops them
    unbounded = AnchoredGenerator(4, 3, (8,), rows=rows)
    unbounded.load_state_dict(g.state_dict())
    assert (unbounded(z) - g.anchors(u, None)).norm(dim=1).max() > 5 * radius.max()


def test_bounded_shift_scales_only_rows_beyond_the_bound():
    delta = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    out = bounded_shift(delta, torch.tensor([1.0, 1.0, 1.0]), 2.0)
    np.testing.assert_allclose(out.numpy(), [[1.2, 1.6], [0.3, 0.4], [0.0, 0.0]], rtol=1e-6)


def test_anchored_rows_of_a_fit_with_the_option_stay_within_the_bound(tmp_path):
    rng = np.random.default_rng(1)
    X, y = np.r_[rng.normal(0, 1, (60, 3)), rng.normal(2, 1, (15, 3))], np.r_[np.zeros(60, int), np.ones(15, int)]
    sampler = GANOversampler(**{**TINY, "n_iter": 30}, boundary=1.0, anchor="smote").fit(X, y)
    assert sampler.generators_[1].max_shift == SHIFT
    sampler.save(tmp_path / "m.mgz")
    loaded = GANOversampler.load(tmp_path / "m.mgz")
    assert loaded.generators_[1].max_shift == SHIFT
    assert np.array_equal(loaded.sample(20, random_state=0), sampler.sample(20, random_state=0))


@pytest.mark.parametrize("method", ["acgan", "projection", "rumi", "lsgan"])
def test_every_kind_of_method_trains_with_the_option(method):
    assert method in available_methods()
    rng = np.random.default_rng(2)
    X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(2, 1, (12, 2)), rng.normal(-2, 1, (10, 2))]
    y = np.r_[np.zeros(50, int), np.ones(12, int), np.full(10, 2)]
    X_res, y_res = GANOversampler(method=method, boundary=0.5, **TINY).fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [50, 50, 50] and np.isfinite(X_res).all()


def test_images_train_with_the_option_from_noise():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, (30, 16, 16), dtype=np.uint8)
    y = np.r_[np.zeros(22, int), np.ones(8, int)]
    sampler = GANOversampler(n_iter=2, batch_size=8, latent_dim=4, hidden_dims=(4,), device="cpu", random_state=0,
                             boundary=1.0)
    X_res, _ = sampler.fit_resample(X, y)
    assert X_res.shape == (44, 16, 16) and X_res.dtype == np.uint8
    assert "c_loss" in sampler.history_


def _touching(seed):
    """Positives and negatives that touch along the line x0 = 0: negatives left of it, positives right."""
    rng = np.random.default_rng(seed)
    neg = np.c_[-rng.uniform(0, 2, 300), rng.uniform(-1, 1, 300)]
    pos = np.c_[rng.uniform(0, 2, 60), rng.uniform(-1, 1, 60)]
    return np.r_[neg, pos], np.r_[np.zeros(300, int), np.ones(60, int)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rows_move_towards_the_border_and_stay_on_their_side(seed):
    X, y = _touching(seed)
    settings = dict(n_iter=400, device="cpu", random_state=seed)
    off = GANOversampler(**settings).fit(X, y).sample(2000, random_state=0)
    on = GANOversampler(**settings, boundary=1.0).fit(X, y).sample(2000, random_state=0)
    assert on[:, 0].mean() < off[:, 0].mean() - 0.1  # closer to the line x0 = 0
    assert (on[:, 0] > 0).mean() >= 0.98  # on the positive side



@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_the_margins_target_keeps_the_rows_as_deep_as_the_data(seed):
    """Positives spread evenly over 0 < x0 < 2: the median pull packs rows towards the line, the margin match
    keeps their spread across the class."""
    X, y = _touching(seed)
    settings = dict(n_iter=400, device="cpu", random_state=seed)
    median = GANOversampler(**settings, boundary=1.0).fit(X, y).sample(2000, random_state=0)
    margins = GANOversampler(**settings, boundary={"weight": 1.0, "target": "margins"}).fit(X, y).sample(
        2000, random_state=0)
    real = X[y == 1, 0]
    assert abs(margins[:, 0].mean() - real.mean()) < abs(median[:, 0].mean() - real.mean())
    assert (margins[:, 0] > 0).mean() >= 0.95


def _overlapping(seed):
    """As :func:`_touching`, with a quarter of the positives on the negatives' side (-0.5 < x0 < 0)."""
    rng = np.random.default_rng(seed)
    neg = np.c_[-rng.uniform(0, 2, 300), rng.uniform(-1, 1, 300)]
    pos = np.c_[np.r_[-rng.uniform(0, 0.5, 15), rng.uniform(0, 2, 45)], rng.uniform(-1, 1, 60)]
    return np.r_[neg, pos], np.r_[np.zeros(300, int), np.ones(60, int)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_inside_target_crosses_the_border_less_than_the_margin_match(seed):
    """Positives that reach into the negatives' side: the margin match copies that overlap, the inside target
    keeps its rows on the border's positive side."""
    X, y = _overlapping(seed)
    settings = dict(n_iter=400, device="cpu", random_state=seed, correction="covariance", filter=None)
    margins = GANOversampler(**settings, boundary={"weight": 1.0, "target": "margins"}).fit(X, y).sample(
        2000, random_state=0)
    inside = GANOversampler(**settings, boundary={"weight": 1.0, "target": "inside"}).fit(X, y).sample(
        2000, random_state=0)
    assert (inside[:, 0] < 0).mean() < (margins[:, 0] < 0).mean()


def _resolved(spec, **params):
    from minority_gen.settings import resolve_settings

    return resolve_settings(GANOversampler(**{**TINY, **params}).get_params(), spec)


@pytest.mark.parametrize("params, expected", [
    ({}, (0.5, "margins", "covariance")),  # anchored tables: the pair chosen on protocol V, at weight 0.5
    ({"anchor": None}, (None, "median", "covariance")),  # no anchors: off (correction does nothing there)
    ({"selection": "quality"}, (None, "median", "covariance")),  # quality selection runs without anchors
    ({"boundary": 2.0, "correction": "free"}, (2.0, "median", "free")),  # as set
])
def test_auto_turns_the_pair_on_for_anchored_tables_only(params, expected):
    s = _resolved(DataSpec(n_features=3), **params)
    assert (s.boundary, s.boundary_target, s.correction) == expected


@pytest.mark.parametrize("params, n_iter", [
    ({}, 500),  # anchored tables: the budget chosen on protocol V
    ({"anchor": None}, 1000),  # from noise: the budget chosen on protocol V at b95a243
    ({"selection": "quality"}, 1000),  # quality selection runs without anchors
    ({"n_iter": 7}, 7),
])
def test_the_table_budget_follows_the_anchors(params, n_iter):
    assert _resolved(DataSpec(n_features=3), **{"n_iter": "auto", **params}).config.n_iter == n_iter


def test_auto_is_off_for_images_even_with_anchors():
    for params in ({}, {"anchor": "smote"}):
        s = _resolved(DataSpec(n_features=64, image_shape=(1, 8, 8)), **params)
        assert (s.boundary, s.correction) == (None, "free")


def test_the_default_draws_the_rows_of_the_explicit_pair():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(50, 3)), np.r_[np.zeros(38, int), np.ones(12, int)]
    auto = GANOversampler(**TINY).fit_resample(X, y)[0]
    pair = GANOversampler(**TINY, correction="covariance",
                          boundary={"weight": 0.5, "target": "margins"}).fit_resample(X, y)[0]
    off = GANOversampler(**TINY, correction="free", boundary=None).fit_resample(X, y)[0]
    weight_1 = GANOversampler(**TINY, correction="covariance",
                              boundary={"weight": 1.0, "target": "margins"}).fit_resample(X, y)[0]
    np.testing.assert_array_equal(auto, pair)
    assert not np.array_equal(auto, off) and not np.array_equal(auto, weight_1)
