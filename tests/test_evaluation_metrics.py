"""Generative-quality metrics on inputs whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minority_gen.evaluation import (
    am_score,
    c2st_accuracy,
    class_fidelity,
    frechet_distance,
    generative_quality,
    memorisation,
    mmd2,
    prdc,
)
from minority_gen.evaluation.metrics import frechet_distance_from_stats, median_bandwidth


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ---------------------------------------------------------------- MMD
def test_mmd_hand_computed_with_fixed_bandwidth():
    # k(a, b) = exp(-(a-b)²/2): k_xx = e^-1/2, k_yy = e^-2, mean k_xy = (1 + e^-2 + 2e^-1/2) / 4
    value = mmd2([[0.0], [1.0]], [[0.0], [2.0]], bandwidth=1.0)
    assert value == pytest.approx(0.5 * (math.exp(-2) - 1))


def test_mmd_same_distribution_is_zero_and_disjoint_is_two(rng):
    X, Y = rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    assert abs(mmd2(X, Y)) < 0.02
    assert abs(mmd2(X, X)) < 2 / len(X)  # identical sets: the unbiased estimate is -O(1/n)
    assert mmd2(X, Y + 100) > 0.5
    # tight, far-apart clusters: within-set kernels ≈ 1, cross kernels ≈ 0 → the maximum, 2
    assert mmd2(0.01 * X, 0.01 * Y + 100, bandwidth=1.0) == pytest.approx(2.0, abs=1e-3)


def test_mmd_median_heuristic_and_cap(rng):
    X = rng.normal(size=(1200, 2))
    # median distance between two N(0, I_2) points is sqrt(2 · 2 ln 2) ≈ 1.665
    assert median_bandwidth(X[:600], X[600:]) == pytest.approx(math.sqrt(4 * math.log(2)), rel=0.05)
    capped = mmd2(X, X[::-1] + 0.5, max_samples=300)
    assert capped == pytest.approx(mmd2(X, X[::-1] + 0.5, max_samples=None), abs=0.03)


def test_mmd_refuses_bad_input():
    with pytest.raises(ValueError, match="features"):
        mmd2(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        mmd2([[np.nan, 1.0], [0, 0]], np.zeros((3, 2)))


# ---------------------------------------------------------------- Fréchet
def test_frechet_of_a_shifted_copy_is_the_squared_shift(rng):
    X = rng.normal(size=(400, 4))
    shift = np.array([1.0, -2.0, 0.5, 0.0])
    assert frechet_distance(X, X + shift) == pytest.approx(float(shift @ shift), abs=1e-6)
    assert frechet_distance(X, X) == pytest.approx(0.0, abs=1e-6)


def test_frechet_closed_form_for_gaussians(rng):
    # diagonal covariances: ‖μ1-μ2‖² + Σ (√a - √b)²
    value = frechet_distance_from_stats([0, 0], np.diag([1.0, 4.0]), [1, 2], np.diag([9.0, 1.0]))
    assert value == pytest.approx(5 + (1 - 3) ** 2 + (2 - 1) ** 2)
    # samples of N(0, I) and N(m, 4 I) in 2-D: ‖m‖² + 2 · (1 - 2)²
    X, Y = rng.normal(size=(20000, 2)), rng.normal([1.0, 1.0], 2.0, size=(20000, 2))
    assert frechet_distance(X, Y) == pytest.approx(2 + 2, abs=0.15)


# ---------------------------------------------------------------- PRDC
def test_prdc_identical_and_disjoint(rng):
    X = rng.normal(size=(200, 2))
    same = prdc(X, X, k=5)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    assert same["density"] >= 1.0
    far = prdc(X, X + 100, k=5)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_prdc_of_duplicated_copies_is_exact(rng):
    # random oversampling: every synthetic row is a copy, many of them repeated; distances to the
    # originals must be exactly 0 whatever the scale (no rounding from a ‖a‖² + ‖b‖² − 2ab expansion)
    X = rng.normal(size=(30, 30)) * 1e3 + 1e4
    copies = X[rng.integers(0, 30, 300)]
    out = prdc(X, np.r_[copies, X], k=5)
    assert out["precision"] == out["recall"] == out["coverage"] == 1.0


def test_prdc_half_of_the_fakes_off_manifold(rng):
    X = rng.normal(size=(300, 2))
    fake = np.r_[rng.normal(size=(150, 2)) * 0.5, rng.normal(size=(150, 2)) + 50]
    out = prdc(X, fake, k=5)
    assert out["precision"] == pytest.approx(0.5, abs=0.02)
    assert out["coverage"] < 1.0 and out["recall"] < 1.0


def test_prdc_needs_more_rows_than_k():
    with pytest.raises(ValueError, match="k=5"):
        prdc(np.zeros((4, 2)), np.zeros((10, 2)), k=5)


# ---------------------------------------------------------------- C2ST, fidelity
def test_c2st_half_for_one_distribution_one_for_disjoint(rng):
    X, Y = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    assert c2st_accuracy(X, Y) == pytest.approx(0.5, abs=0.1)
    assert c2st_accuracy(X, Y + 20) == 1.0
    # literally the same rows: a copy in the training folds votes for the wrong label of its twin,
    # so accuracy falls far below 0.5 — documented as a sign of copying
    assert c2st_accuracy(X, X) < 0.3


def test_class_fidelity(rng):
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(8, 1, (60, 2))]
    y = np.r_[[0] * 60, [1] * 60]
    assert class_fidelity(X, y, rng.normal(8, 1, (30, 2)), 1) == 1.0
    assert class_fidelity(X, y, rng.normal(0, 1, (30, 2)), 1) == 0.0
    half = np.r_[rng.normal(8, 1, (10, 2)), rng.normal(0, 1, (10, 2))]
    assert class_fidelity(X, y, half, 1) == 0.5
    with pytest.raises(ValueError, match="classes"):
        class_fidelity(X, y, half, 7)


# ---------------------------------------------------------------- memorisation
def test_memorisation_flags_exact_and_near_copies(rng):
    train = rng.normal(size=(100, 3))
    out = memorisation(train, train[:20])
    assert out["near_copies"] == 20 and out["near_copy_share"] == 1.0 and out["dcr_ratio"] == 0.0
    jittered = train[:20] + 1e-6
    assert memorisation(train, jittered)["near_copies"] == 20


def test_memorisation_fresh_samples_are_not_copies(rng):
    train, fresh, holdout = rng.normal(size=(300, 3)), rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    out = memorisation(train, fresh, holdout)
    assert out["near_copies"] == 0
    assert out["dcr_ratio"] == pytest.approx(1.0, abs=0.25)
    loo = memorisation(train, fresh)  # leave-one-out reference
    assert loo["near_copies"] == 0 and 0.7 < loo["dcr_ratio"] < 1.6


# ---------------------------------------------------------------- AM score
def test_am_score_hand_computed():
    P = np.array([[0.9, 0.1], [0.2, 0.8]])
    mean = P.mean(0)  # [0.55, 0.45]
    kl = 0.5 * math.log(0.5 / mean[0]) + 0.5 * math.log(0.5 / mean[1])
    entropy = -np.mean([0.9 * math.log(0.9) + 0.1 * math.log(0.1), 0.2 * math.log(0.2) + 0.8 * math.log(0.8)])
    assert am_score(P, [0.5, 0.5]) == pytest.approx(kl + entropy, rel=1e-9)
    # the reference may be per-row training probabilities (averaged to [0.5, 0.5])
    assert am_score(P, [[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(kl + entropy, rel=1e-9)


def test_am_score_extremes_and_errors():
    assert am_score([[1.0, 0.0]] * 4, [1.0, 0.0]) == pytest.approx(0.0, abs=1e-9)
    # confident samples of the wrong class: KL([1, 0] ‖ [0, 1]) is huge
    assert am_score([[0.0, 1.0]] * 4, [1.0, 0.0]) > 20
    with pytest.raises(ValueError, match="probabilities"):
        am_score([[0.5, 0.6]], [0.5, 0.5])
    with pytest.raises(ValueError, match="classes"):
        am_score([[0.5, 0.5]], [0.2, 0.3, 0.5])


# ---------------------------------------------------------------- all together
def test_generative_quality_on_a_table(rng):
    X = np.r_[rng.normal(0, 1, (120, 3)), rng.normal(4, 1, (30, 3))]
    y = np.r_[[0] * 120, [1] * 30]
    # one call, two generated classes: class 1 rows are fresh draws, class 0 rows are copies
    fake = np.r_[rng.normal(4, 1, (60, 3)), X[:40]]
    table = generative_quality(X, y, fake, np.r_[[1] * 60, [0] * 40]).set_index("class")
    assert table.loc[0, "near_copies"] == 40 and table.loc[0, "dcr_ratio"] == 0.0
    assert table.loc[1, "near_copies"] == 0 and table.loc[1, "class_fidelity"] > 0.9
    assert table.loc[1, "n_real"] == 30 and table.loc[1, "n_fake"] == 60
    assert table["category_tvd"].isna().all()  # a numeric table has no categorical column
    assert not table.drop(columns="category_tvd").isna().any().any()
    assert table.loc[1, "numeric_ks"] < 0.3 and table.loc[1, "missing_rate_diff"] == 0
    wrong = generative_quality(X, y, rng.normal(0, 1, (60, 3)), 1)
    assert wrong.loc[0, "class_fidelity"] < 0.1
    assert wrong.loc[0, "mmd2"] > 5 * max(table.loc[1, "mmd2"], 0.01)
    assert wrong.loc[0, "am_score"] > table.loc[1, "am_score"]
