"""Audit of the reported metrics against their published definitions, each recomputed here independently.

References: Fréchet distance (Dowson & Landau 1982; FID, Heusel et al. 2017) via ``scipy.linalg.sqrtm``;
precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020) by brute force
on k-NN balls; unbiased MMD² (Gretton et al. 2012) by brute force; G-mean, balanced accuracy and average
precision from confusion counts and ranked scores.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
from scipy.spatial.distance import pdist
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.svm import LinearSVC

from minority_gen.evaluation.judges import am_score
from minority_gen.evaluation.metrics import (
    frechet_distance,
    frechet_distance_from_stats,
    median_bandwidth,
    memorisation,
    mmd2,
    mmd2_poly_1d,
    prdc,
)
from minority_gen.evaluation.scoring import _builtin, _check_scoring, _score


@pytest.fixture
def rng():
    return np.random.default_rng(7)


# ---------------------------------------------------------------- references
def _dist(A, B):
    return np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2).sum(-1))


def _radii(A, k):
    """Distance of each row to its k-th nearest *other* row (the row itself left out by index)."""
    D = _dist(A, A)
    np.fill_diagonal(D, np.inf)
    return np.sort(D, axis=1)[:, k - 1]


def _prdc_reference(X, Y, k):
    r_x, r_y, D = _radii(X, k), _radii(Y, k), _dist(X, Y)  # D[i, j] = ‖X_i − Y_j‖
    in_ball = D <= r_x[:, None]  # Y_j in the closed ball B(X_i, NND_k(X_i))
    return {
        "precision": in_ball.any(0).mean(),
        "recall": (D <= r_y[None, :]).any(1).mean(),
        "density": in_ball.sum() / (k * len(Y)),
        "coverage": in_ball.any(1).mean(),
    }


def _mmd2_reference(X, Y, sigma, unbiased=True):
    def K(A, B):
        return np.exp(-_dist(A, B) ** 2 / (2 * sigma**2))

    n, m = len(X), len(Y)
    kxx, kyy = K(X, X), K(Y, Y)
    if unbiased:
        return ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                - 2 * K(X, Y).mean())
    return kxx.mean() + kyy.mean() - 2 * K(X, Y).mean()


def _fd_reference(X, Y):
    m1, m2 = X.mean(0), Y.mean(0)
    s1, s2 = np.cov(X, rowvar=False), np.cov(Y, rowvar=False)
    return float(((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real))


# ---------------------------------------------------------------- Fréchet distance
def test_frechet_matches_sqrtm_on_full_covariances(rng):
    X = rng.normal(size=(60, 4))
    Y = rng.normal(size=(45, 4)) @ rng.normal(size=(4, 4)) + [1.0, -2.0, 0.5, 0.0]
    assert frechet_distance(X, Y) == pytest.approx(_fd_reference(X, Y), rel=1e-9)


def test_frechet_closed_form_for_diagonal_covariances():
    # ‖μ₁ − μ₂‖² + Σ (√a − √b)²: 1 + 4 + (1 − 3)² + (2 − 1)² + (0 − 0.5)²
    value = frechet_distance_from_stats([0, 0, 0], np.diag([1.0, 4.0, 0.0]), [1, 2, 0], np.diag([9.0, 1.0, 0.25]))
    assert value == pytest.approx(5 + 4 + 1 + 0.25, abs=1e-12)


def test_frechet_of_singular_covariances_is_real_and_matches_sqrtm(rng):
    # the third column is the sum of the first two: both covariances are singular
    A, B = rng.normal(size=(40, 2)), rng.normal(size=(50, 2)) * [2.0, 0.5] + 1
    X, Y = np.c_[A, A.sum(1)], np.c_[B, B.sum(1)]
    value = frechet_distance(X, Y)
    assert isinstance(value, float)
    assert value == pytest.approx(_fd_reference(X, Y), rel=1e-6)
    # fewer rows than features: rank-deficient covariances; a tiny negative round-off is reported as 0
    few = rng.normal(size=(3, 6))
    assert frechet_distance(few, few) == pytest.approx(0.0, abs=1e-12)
    assert frechet_distance(few, few) >= 0.0


@pytest.mark.parametrize("bad", ["nan", "width", "single"])
def test_frechet_refuses_bad_input(bad):
    X = np.arange(12.0).reshape(6, 2) ** 1.5
    Y = {"nan": np.r_[X[:5], [[np.nan, 1.0]]], "width": np.c_[X, X[:, :1]], "single": X[:1]}[bad]
    with pytest.raises(ValueError, match={"nan": "NaN", "width": "features", "single": "at least 2"}[bad]):
        frechet_distance(X, Y)


# ---------------------------------------------------------------- MMD²
def test_mmd2_is_the_unbiased_estimate_not_the_biased_one(rng):
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(25, 3)) + 0.3
    unbiased, biased = _mmd2_reference(X, Y, 1.7), _mmd2_reference(X, Y, 1.7, unbiased=False)
    assert abs(unbiased - biased) > 1e-3
    assert mmd2(X, Y, bandwidth=1.7) == pytest.approx(unbiased, abs=1e-12)


def test_mmd2_default_bandwidth_is_the_median_pooled_distance(rng):
    X, Y = rng.normal(size=(30, 2)), rng.normal(size=(20, 2)) + 1
    sigma = float(np.median(pdist(np.vstack([X, Y]))))
    assert median_bandwidth(X, Y) == sigma
    assert mmd2(X, Y) == pytest.approx(_mmd2_reference(X, Y, sigma), abs=1e-12)
    # duplicated rows (distance 0) are left out of the median, as documented
    Xd = np.r_[X, X]
    d = pdist(np.vstack([Xd, Y]))
    assert median_bandwidth(Xd, Y) == float(np.median(d[d > 0]))


def test_mmd2_does_not_depend_on_where_the_rows_sit(rng):
    # a translation changes no distance; the ‖a‖² + ‖b‖² − 2ab expansion far from the origin lost them
    # (old code: 0.0290 instead of 0.0347 at an offset of 1e8)
    X, Y = rng.normal(size=(100, 3)), rng.normal(size=(100, 3)) + 0.5
    for offset in (1e6, 1e8):
        assert mmd2(X + offset, Y + offset) == pytest.approx(mmd2(X, Y), abs=1e-6)
        assert mmd2(X + offset, Y + offset, bandwidth=1.0) == pytest.approx(_mmd2_reference(X, Y, 1.0), abs=1e-6)


def test_mmd2_poly_1d_matches_brute_force(rng):
    a, b = rng.normal(size=17), rng.normal(1, 2, size=11)

    def K(u, v):
        return (u[:, None] * v[None, :] + 1) ** 3

    kaa, kbb = K(a, a), K(b, b)
    ref = ((kaa.sum() - np.trace(kaa)) / (17 * 16) + (kbb.sum() - np.trace(kbb)) / (11 * 10)
           - 2 * K(a, b).mean())
    assert mmd2_poly_1d(a, b) == pytest.approx(ref, rel=1e-10)


# ---------------------------------------------------------------- PRDC
@pytest.mark.parametrize("k", [1, 3, 5])
def test_prdc_matches_the_published_definitions(rng, k):
    X = rng.normal(size=(40, 3))
    Y = np.r_[rng.normal(size=(25, 3)) * 1.5, rng.normal(3, 1, size=(10, 3))]
    out, ref = prdc(X, Y, k=k), _prdc_reference(X, Y, k)
    assert out == pytest.approx(ref, abs=1e-12)
    assert 0 < out["precision"] < 1 and 0 < out["coverage"] < 1  # not a degenerate example


def test_prdc_hand_computed_on_a_line():
    # real 0, 1, 3, 6: k = 1 radii 1, 1, 2, 3; fake 0.5, 2, 10: radii 1.5, 1.5, 8
    X, Y = np.array([[0.0], [1.0], [3.0], [6.0]]), np.array([[0.5], [2.0], [10.0]])
    out = prdc(X, Y, k=1)
    # 0.5 is in the balls of 0 and 1, 2 in those of 1 (on the border: closed balls) and 3, 10 in none;
    # the ball of 6, [3, 9], holds no fake; every real row is within a fake ball (6 in that of 10)
    assert out == {"precision": 2 / 3, "recall": 1.0, "density": 4 / 3, "coverage": 3 / 4}


def test_prdc_duplicated_real_rows_have_zero_radius():
    # each real row twice: with k = 1 every radius is 0; only exact copies are in a ball (closed balls)
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0]]), 2, axis=0)
    Y = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, 0.5], [0.0, 2.0001]])
    out = prdc(X, Y, k=1)
    assert out["precision"] == 0.5 and out["coverage"] == 0.5
    assert out["density"] == pytest.approx(4 / 4)  # two fakes, each in 2 balls: (2 + 2) / (1 · 4)
    assert out == pytest.approx(_prdc_reference(X, Y, 1))


@pytest.mark.parametrize("case", ["fewer_than_k", "single_row", "nan", "width", "k_zero"])
def test_prdc_refuses_bad_input(case, rng):
    X, Y, k = rng.normal(size=(10, 2)), rng.normal(size=(10, 2)), 5
    if case == "fewer_than_k":
        Y = Y[:5]
    elif case == "single_row":
        X = X[:1]
    elif case == "nan":
        X[3, 1] = np.nan
    elif case == "width":
        Y = np.c_[Y, Y]
    else:
        k = 0
    with pytest.raises(ValueError):
        prdc(X, Y, k=k)


# ---------------------------------------------------------------- memorisation
def test_memorisation_distances_match_brute_force(rng):
    T, Y, H = rng.normal(size=(30, 4)), rng.normal(size=(12, 4)), rng.normal(size=(9, 4))
    out = memorisation(T, Y, H, standardise=False)
    D = _dist(T, T)
    np.fill_diagonal(D, np.inf)
    assert out["dcr_synthetic"] == pytest.approx(np.median(_dist(Y, T).min(1)), abs=1e-12)
    assert out["dcr_reference"] == pytest.approx(np.median(_dist(H, T).min(1)), abs=1e-12)
    assert out["threshold"] == pytest.approx(1e-3 * np.median(D.min(1)), abs=1e-15)


def test_memorisation_counts_exact_copies_of_large_wide_rows(rng):
    # every training row twice: the median leave-one-out distance and so the threshold are 0, and only
    # exact copies count; the distances are recomputed from differences so that every copy is at 0
    # (old code: 4 of 5 copies, sklearn's expanded distances leaving a copy at ~1e-5)
    T = rng.normal(size=(40, 30)) * 1e3 + 5e3
    T = np.r_[T, T]
    out = memorisation(T, T[:5], standardise=False)
    assert out["threshold"] == 0.0
    assert out["near_copies"] == 5 and out["dcr_synthetic"] == 0.0


# ---------------------------------------------------------------- AM score
def test_am_score_hand_computed():
    P = np.array([[0.8, 0.2], [0.4, 0.6]])  # mean (0.6, 0.4)
    ref = np.array([0.5, 0.5])
    kl = 0.5 * math.log(0.5 / 0.6) + 0.5 * math.log(0.5 / 0.4)
    entropy = -(0.8 * math.log(0.8) + 0.2 * math.log(0.2) + 0.4 * math.log(0.4) + 0.6 * math.log(0.6)) / 2
    assert am_score(P, ref) == pytest.approx(kl + entropy, abs=1e-9)


# ---------------------------------------------------------------- downstream scores
def test_gmean_and_balanced_accuracy_with_string_labels():
    y = np.array(["maj", "maj", "maj", "min", "min"])
    pred = np.array(["maj", "maj", "min", "min", "maj"])
    classes = np.unique(y)
    tpr, tnr = 1 / 2, 2 / 3
    assert _builtin("gmean", y, pred, None, classes, "min")["gmean"] == pytest.approx(math.sqrt(tpr * tnr))
    assert _builtin("balanced_accuracy", y, pred, None, classes, "min")["balanced_accuracy"] == pytest.approx(
        (tpr + tnr) / 2)


def test_multiclass_gmean_is_the_geometric_mean_of_the_class_recalls():
    y = np.array(["a", "a", "a", "b", "b", "c", "c", "c"])
    pred = np.array(["a", "b", "a", "b", "b", "c", "a", "c"])
    value = _builtin("gmean", y, pred, None, np.unique(y), "b")["gmean"]
    assert value == pytest.approx((2 / 3 * 1 * 2 / 3) ** (1 / 3))


@pytest.mark.parametrize("minority", ["aaa", "zzz"])
def test_average_precision_takes_the_minority_as_positive(minority):
    # the minority label sorts first or last: the positive must follow the counts, not the order
    other = "mmm"
    y = np.array([other] * 6 + [minority] * 3)
    classes = np.unique(y)
    p_min = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.05, 0.7, 0.5, 0.9])  # scores of the minority
    scores = np.zeros((9, 2))
    scores[:, list(classes).index(minority)] = p_min
    scores[:, list(classes).index(other)] = 1 - p_min
    # ranked by p_min: 0.9 (+), 0.7 (+), 0.6 (−), 0.5 (+): AP = (1 + 1 + 3/4) / 3
    ap = _builtin("average_precision", y, None, scores, classes, minority)["average_precision"]
    assert ap == pytest.approx((1 + 1 + 0.75) / 3)
    auc = _builtin("roc_auc", y, None, scores, classes, minority)["roc_auc"]
    assert auc == pytest.approx(roc_auc_score(y == minority, p_min))


def _three_classes(rng):
    X = rng.normal(size=(90, 2))
    y = np.array(["x", "y", "z"])[np.arange(90) % 3]
    return X + np.c_[(y == "y") * 1.5, (y == "z") * 1.5], y


def test_multiclass_roc_auc_of_a_decision_function_classifier(rng):
    # one-vs-rest macro means need only a ranking per class; sklearn's multi_class="ovr" refuses
    # decision_function scores (they do not sum to 1), so the old code raised here
    X, y = _three_classes(rng)
    model = LinearSVC().fit(X, y)
    out = _score(model, _check_scoring(["roc_auc", "average_precision"]), X, y, np.unique(y), "z")
    s = model.decision_function(X)
    assert out["roc_auc"] == pytest.approx(np.mean([roc_auc_score(y == c, s[:, i]) for i, c in enumerate("xyz")]))
    assert 0.5 < out["average_precision"] <= 1


def test_multiclass_roc_auc_of_probabilities_is_sklearns_ovr_macro(rng):
    X, y = _three_classes(rng)
    model = LogisticRegression().fit(X, y)
    out = _score(model, _check_scoring(["roc_auc"]), X, y, np.unique(y), "z")
    assert out["roc_auc"] == roc_auc_score(y, model.predict_proba(X), multi_class="ovr", average="macro")
