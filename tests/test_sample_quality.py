"""The sample-quality machinery: packed discriminators, quality selection, tuned recipe, row filter."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

from minority_gen import GANOversampler
from minority_gen.data import TableCodec
from minority_gen.filtering import RowFilter
from minority_gen.methods import Networks, get_method
from minority_gen.monitor import QualityMonitor, QualityScorer
from minority_gen.nets import ConvDiscriminator, Head, MLPDiscriminator, MLPGenerator, PackedDiscriminator
from minority_gen.settings import train_config
from minority_gen.training import ConditionalSampler, PositiveNegativeSampler, TrainConfig, train_gan

# --------------------------------------------------------------------------
# Packing
# --------------------------------------------------------------------------


def test_packed_discriminator_gives_each_row_its_packs_output():
    torch.manual_seed(0)
    inner = MLPDiscriminator(3 * 2, {"adv": Head(1), "cls": Head(4)}, hidden_dims=(8,))
    d = PackedDiscriminator(inner, pac=3)
    x = torch.randn(9, 2)
    out = d(x)
    assert out["adv"].shape == (9,) and out["cls"].shape == (9, 4)
    expected = inner(x.reshape(3, 6))
    assert torch.equal(out["adv"], expected["adv"].repeat_interleave(3))
    assert torch.equal(out["cls"], expected["cls"].repeat_interleave(3, dim=0))
    # a pack is judged as a whole: changing one row changes the output of its two pack-mates, not of other packs
    x2 = x.clone()
    x2[4] += 1.0
    out2 = d(x2)["adv"]
    assert (out2[3:6] != out["adv"][3:6]).all() and torch.equal(out2[:3], out["adv"][:3])


def test_packed_discriminator_refuses_partial_packs_and_pac_one():
    d = PackedDiscriminator(MLPDiscriminator(4, {"adv": Head(1)}, hidden_dims=(4,)), pac=2)
    with pytest.raises(ValueError, match="multiple of 2 rows; got 3"):
        d(torch.randn(3, 2))
    with pytest.raises(ValueError, match="pac >= 2"):
        PackedDiscriminator(MLPDiscriminator(4, {"adv": Head(1)}), pac=1)


def test_packed_conv_discriminator_stacks_images_along_channels():
    inner = ConvDiscriminator((1, 16, 16), {"adv": Head(1)}, width=4, pac=2)
    assert inner.trunk[0].in_channels == 2
    d = PackedDiscriminator(inner, pac=2)
    x = torch.randn(4, 1, 16, 16)
    out = d(x)["adv"]
    assert out.shape == (4,) and out[0] == out[1] and out[2] == out[3]
    assert torch.allclose(out[::2], inner(torch.cat([x[0:2], x[2:4]]).view(2, 2, 16, 16))["adv"])


@pytest.mark.parametrize("balanced", [True, False])
def test_conditional_sampler_draws_one_label_per_pack(balanced):
    x = torch.arange(40, dtype=torch.float32)[:, None]
    y = torch.tensor([0] * 30 + [1] * 8 + [2] * 2)
    sampler = ConditionalSampler(x, y, 3, batch_size=12, latent_dim=2, balanced=balanced, pac=4)
    gen = torch.Generator().manual_seed(0)
    labels = []
    for _ in range(200):
        b = sampler.sample(gen)
        for lab in (b.y_real, b.y_fake):
            packs = lab.view(-1, 4)
            assert (packs == packs[:, :1]).all()  # every pack holds one class
        assert torch.equal(y[b.x_real[:, 0].long()], b.y_real)  # rows really are of their label
        labels.append(b.y_real)
    share = torch.bincount(torch.cat(labels), minlength=3).float() / (200 * 12)
    if balanced:
        assert torch.allclose(share, torch.full((3,), 1 / 3), atol=0.05)
    else:
        assert torch.allclose(share, torch.tensor([30, 8, 2]) / 40.0, atol=0.05)
    with pytest.raises(ValueError, match="multiple of pac"):
        ConditionalSampler(x, y, 3, batch_size=10, latent_dim=2, balanced=balanced, pac=4)


def test_pac_reaches_the_fitted_discriminator(tiny, imbalanced_table):
    X, y = imbalanced_table
    packed = GANOversampler(**{**tiny, "batch_size": 10}, pac=4).fit(X, y)  # batch rounded up to 12
    D = packed.discriminators_[1]
    assert isinstance(D, PackedDiscriminator) and D.pac == 4
    assert D.inner.trunk[0].in_features == 4 * X.shape[1]
    plain = GANOversampler(**tiny, pac=1).fit(X, y)
    assert plain.discriminators_[1].trunk[0].in_features == X.shape[1]
    cond = GANOversampler(**tiny, method="acgan").fit(X, y)  # "auto": 4 on tables
    assert cond.discriminators_[1].pac == 4


def test_pac_auto_and_methods_that_cannot_pack(tiny, imbalanced_table):
    X, y = imbalanced_table
    fitted = GANOversampler(**tiny, method="labelgan").fit(X, y)  # scores single rows when sampling
    assert not isinstance(fitted.discriminators_[1], PackedDiscriminator)
    assert len(fitted.sample(5, random_state=0)) == 5
    with pytest.raises(ValueError, match="pac=2: method 'amgan'.*Use pac=1"):
        GANOversampler(**tiny, method="amgan", method_params={"labelling": "dynamic"}, pac=2).fit(X, y)


# --------------------------------------------------------------------------
# Quality scorer and monitor
# --------------------------------------------------------------------------


def test_quality_scorer_on_hand_computed_points():
    real = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    # 1-NN radii of the real rows: 1, 1, 2; median NN distance 1, so copies lie within 0.1
    fake = torch.tensor([[0.5, 0.0], [0.0, 3.5], [1.05, 0.0], [5.0, 5.0]])
    m = QualityScorer(real, k=1, copy_tol=0.1)(fake)
    # inside some ball: (0.5,0) yes, (0,3.5) no (1.5 from (0,2) > 2? no: 1.5 <= 2 yes), (1.05,0) yes, (5,5) no
    assert m["precision"] == pytest.approx(3 / 4)
    # balls holding a fake: (0,0) r=1 holds (0.5,0); (1,0) r=1 holds (0.5,0); (0,2) r=2 holds (0,3.5)
    assert m["coverage"] == pytest.approx(1.0)
    assert m["copies"] == pytest.approx(1 / 4)  # (1.05, 0) is 0.05 from (1, 0)
    assert m["score"] == pytest.approx((0.75 + 1.0) / 2 - 0.25)
    assert QualityScorer(real, k=2)(fake)["precision"] == pytest.approx(3 / 4)


class Shift(torch.nn.Module):
    """A 'generator' whose rows are z + shift."""

    def __init__(self):
        super().__init__()
        self.shift = torch.nn.Parameter(torch.zeros(2))

    def forward(self, z, y=None):
        return z + self.shift


def _monitor(patience=None):
    real = torch.randn(200, 2, generator=torch.Generator().manual_seed(1))
    return QualityMonitor({None: QualityScorer(real)}, lambda G, z, c: G(z), 2, 200, every=10,
                          patience=patience, gen=torch.Generator().manual_seed(2))


def test_monitor_keeps_and_restores_the_best_generator():
    G, mon = Shift(), _monitor()
    scores = {}
    for it, s in ((10, 5.0), (20, 0.0), (30, 3.0)):
        G.shift.data.fill_(s)
        scores[it] = mon.evaluate(G, it)["q_score"]
    assert scores[20] > scores[10] and scores[20] > scores[30]
    assert mon.best_iteration == 20 and mon.best_score == scores[20]
    mon.restore(G)
    assert torch.equal(G.shift.data, torch.zeros(2))
    assert mon.due(20, 35) and not mon.due(21, 35) and mon.due(35, 35)


def test_monitor_stops_after_patience_evaluations_without_gain():
    G, mon = Shift(), _monitor(patience=2)
    for it, s in ((10, 0.0), (20, 4.0)):
        G.shift.data.fill_(s)
        mon.evaluate(G, it)
        assert not mon.should_stop
    G.shift.data.fill_(6.0)
    mon.evaluate(G, 30)
    assert mon.should_stop


def test_quality_selection_in_history_and_early_stop(imbalanced_table):
    X, y = imbalanced_table
    kw = dict(n_iter=400, batch_size=16, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)
    s = GANOversampler(**kw, selection="quality", eval_every=5, patience=2).fit(X, y)
    q = s.history_.dropna(subset=["q_score"])
    assert len(s.history_) < 400  # stopped early
    assert (q["iteration"] % 5 == 0).all() and len(q) >= 3
    assert set(q.columns) >= {"q_precision", "q_coverage", "q_copies", "q_score"}
    assert GANOversampler(**kw).fit(X, y).history_.columns.str.startswith("q_").sum() == 0  # default: last
    with pytest.raises(ValueError, match="patience and eval_every apply to selection='quality'"):
        GANOversampler(**kw, patience=3).fit(X, y)


def test_train_gan_restores_the_best_snapshot_not_the_last():
    method = get_method("lsgan")
    torch.manual_seed(0)
    G, D = MLPGenerator(4, 2, (8,)), MLPDiscriminator(2, method.heads(0), (8,))
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0)) + 2
    sampler = PositiveNegativeSampler(x, None, 16, 4)
    mon = QualityMonitor({None: QualityScorer(x)}, lambda G, z, c: G(z), 4, 128, every=3, patience=None,
                         gen=torch.Generator().manual_seed(1))
    config = TrainConfig(n_iter=60, batch_size=16, latent_dim=4, n_critic=1, lr_g=0.05, lr_d=0.05, betas=(0.5, 0.9))
    records, _ = train_gan(method, Networks(G=G, D=D, n_classes=0), sampler, config,
                           torch.Generator().manual_seed(2), monitor=mon)
    q = [r["q_score"] for r in records if "q_score" in r]
    assert len(q) == 20 and max(q) > q[-1]  # the last snapshot is not the best, so the test tells them apart
    assert mon.evaluate(G, 61)["q_score"] == pytest.approx(max(q))  # G is the best snapshot


# --------------------------------------------------------------------------
# Recipe
# --------------------------------------------------------------------------


def test_tuned_and_paper_recipes():
    tac = get_method("tacgan")
    assert tac.paper_defaults["n_critic"] == 10 and tac.defaults["n_critic"] == 1
    tuned = train_config(tac, GANOversampler().get_params(), images=False)
    paper = train_config(tac, GANOversampler(recipe="paper").get_params(), images=False)
    assert (tuned.n_critic, tuned.lr_g, tuned.lr_d) == (1, 1e-3, 1e-3)
    assert (paper.n_critic, paper.lr_g, paper.batch_size) == (10, 2e-3, 256)
    assert train_config(tac, GANOversampler().get_params(), images=True).n_critic == 10  # images keep the paper recipe
    assert train_config(tac, GANOversampler(lr_g=3e-4).get_params(), images=False).lr_g == 3e-4  # explicit values win
    rumi = train_config(get_method("rumi"), GANOversampler(pac=3).get_params(), images=False)
    assert rumi.pac == 3 and rumi.batch_size == 102  # 100 rounded up to whole packs


# --------------------------------------------------------------------------
# Filter
# --------------------------------------------------------------------------


def test_filter_keeps_exact_counts_and_reports_drops(tiny, imbalanced_table):
    X, y = imbalanced_table
    # a wide near-copy radius (3 x the median distance between real rows) rejects most rows of this tiny
    # generator (from noise: an anchored one's rows all lie within it, on segments between real rows)
    s = GANOversampler(**tiny, anchor=None, filter=RowFilter(criteria="copies", copy_tol=3))
    X_res, y_res = s.fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [60, 60]
    rep = s.filter_report_[1]
    assert rep["kept"] == rep["requested"] == 48 and rep["rounds"] > 1
    assert rep["drawn"] == rep["kept"] + rep["dropped_copies"] + rep["dropped_knn"] + rep["surplus"]
    assert rep["dropped_copies"] > 0
    assert s.filters_[1].keep(s.codec_.encode(X_res[len(X):])).all()  # only rows that pass come back
    assert np.array_equal(clone(s).fit_resample(X, y)[0], X_res)  # deterministic
    unfiltered = GANOversampler(**tiny, anchor=None).fit_resample(X, y)[0][len(X):]
    assert not s.filters_[1].keep(s.codec_.encode(unfiltered)).all()  # the filter did change the output
    assert len(s.sample(7, random_state=0)) == 7 and s.filter_report_[1]["requested"] == 7
    with pytest.raises(ValueError, match="kept 0 of .* Loosen the filter"):
        GANOversampler(**tiny, anchor=None, filter=RowFilter(criteria="copies", copy_tol=50)).fit_resample(X, y)


def test_filter_instance_is_cloned_and_images_are_refused(tiny, imbalanced_table):
    X, y = imbalanced_table
    template = RowFilter(criteria="copies", copy_tol=0.5)
    s = GANOversampler(**tiny, filter=template).fit(X, y)
    assert s.filters_[1] is not template and s.filters_[1].copy_tol == 0.5
    assert not hasattr(template, "criteria_")
    images = np.random.default_rng(0).integers(0, 255, (20, 16, 16), dtype=np.uint8)
    with pytest.raises(ValueError, match="filter works on tables only"):
        GANOversampler(**tiny, filter="copies").fit(images, np.r_[np.zeros(14, int), np.ones(6, int)])


# --------------------------------------------------------------------------
# Discrete columns
# --------------------------------------------------------------------------


def test_discrete_columns_come_back_with_observed_values(tiny):
    rng = np.random.default_rng(0)
    n = 80
    X = np.c_[rng.normal(size=n), rng.integers(0, 2, n), np.full(n, 7.0), rng.integers(0, 5, n) * 0.5]
    y = (np.arange(n) < 20).astype(int)
    s = GANOversampler(**tiny)
    synthetic = s.fit_resample(X, y)[0][n:]
    assert set(np.unique(synthetic[:, 1])) <= {0.0, 1.0}
    assert (synthetic[:, 2] == 7.0).all()  # a constant column stays constant
    assert set(np.unique(synthetic[:, 3])) <= {0.0, 0.5, 1.0, 1.5, 2.0}
    assert len(np.unique(synthetic[:, 0])) > 20  # continuous columns are left alone
    assert set(s.codec_.levels_) == {1, 2, 3}
    raw = TableCodec(discrete_levels=0).fit(X)
    assert raw.levels_ == {} and len(np.unique(raw.decode(raw.encode(X) + 0.1)[:, 1])) == 2  # no snapping


def test_few_rows_do_not_make_continuous_columns_discrete():
    X = np.random.default_rng(0).normal(size=(10, 2))  # 10 distinct values per column, more than 10 // 2
    assert TableCodec().fit(X).levels_ == {}
    assert set(TableCodec().fit(np.r_[X, X, X]).levels_) == {0, 1}  # 10 values over 30 rows: discrete


def test_quality_scorer_subsamples_large_classes():
    real = torch.randn(5000, 3, generator=torch.Generator().manual_seed(0))
    a = QualityScorer(real, max_rows=300, gen=torch.Generator().manual_seed(1))
    b = QualityScorer(real, max_rows=300, gen=torch.Generator().manual_seed(1))
    assert a.x_real.shape == (300, 3) and torch.equal(a.x_real, b.x_real)
    assert QualityScorer(real[:300], max_rows=300).x_real.shape == (300, 3)  # small classes are kept whole
    assert 0.5 < a(real[:1000])["precision"] <= 1.0
