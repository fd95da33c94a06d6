"""Rank statistics against Demšar (2006)'s worked example and small tables computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minority_gen.evaluation.stats import (
    cd_diagram,
    friedman_test,
    holm_test,
    mean_ranks,
    nemenyi_cd,
    nemenyi_q,
    rank_matrix,
    score_table,
)

# Demšar (2006), JMLR 7, section 3.2.2, Table 6: AUC of C4.5 with default settings and with the m and cf
# parameters tuned, on 14 data sets. The paper's ranks put C4.5+cf second and C4.5+m+cf third on voting,
# where the 3-digit AUCs print as a tie (0.975, 0.975); 0.97501 reproduces the paper's ranks (its mean
# ranks 3.143, 2.000, 2.893, 1.964 and chi2 = 9.28 need that order).
METHODS = ["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"]
DEMSAR = pd.DataFrame([
    [0.763, 0.768, 0.771, 0.798],  # adult (sample)
    [0.599, 0.591, 0.590, 0.569],  # breast cancer
    [0.954, 0.971, 0.968, 0.967],  # breast cancer wisconsin
    [0.628, 0.661, 0.654, 0.657],  # cmc
    [0.882, 0.888, 0.886, 0.898],  # ionosphere
    [0.936, 0.931, 0.916, 0.931],  # iris
    [0.661, 0.668, 0.609, 0.685],  # liver disorders
    [0.583, 0.583, 0.563, 0.625],  # lung cancer
    [0.775, 0.838, 0.866, 0.875],  # lymphography
    [1.000, 1.000, 1.000, 1.000],  # mushroom
    [0.940, 0.962, 0.965, 0.962],  # primary tumor
    [0.619, 0.666, 0.614, 0.669],  # rheum
    [0.972, 0.981, 0.97501, 0.975],  # voting (see above)
    [0.957, 0.978, 0.946, 0.970],  # wine
], columns=METHODS)


def test_demsar_mean_ranks():
    np.testing.assert_allclose(mean_ranks(DEMSAR).to_numpy(), [3.143, 2.000, 2.893, 1.964], atol=5e-4)
    assert list(mean_ranks(DEMSAR).index) == METHODS
    # ties share the average rank: mushroom (all 1.000) gives every method 2.5
    assert (rank_matrix(DEMSAR).iloc[9] == 2.5).all()


def test_demsar_friedman():
    res = friedman_test(DEMSAR)
    assert round(res.chi2, 2) == 9.28  # the paper's chi2_F
    assert round(res.f_f, 2) == 3.69  # the paper's F_F
    assert (res.df1, res.df2, res.n_datasets, res.n_methods) == (3, 39, 14, 4)
    # the paper: F(3, 39) critical value at 0.05 is 2.85, so the null hypothesis is rejected
    assert res.p_f < 0.05 and res.p_chi2 < 0.05


def test_demsar_nemenyi_cd():
    assert round(nemenyi_q(4, 0.05), 3) == 2.569  # the paper's table 5(a)
    assert round(nemenyi_q(4, 0.10), 3) == 2.291
    assert round(nemenyi_cd(4, 14, 0.05), 2) == 1.25  # the paper: CD = 2.569 sqrt(4·5 / (6·14)) = 1.25
    assert round(nemenyi_cd(4, 14, 0.10), 2) == 1.12


def test_demsar_holm_with_c45_as_control():
    # SE = sqrt(4·5 / (6·14)) = 0.488; z = (3.143 - R_i) / 0.488:
    #   C4.5+m+cf (1.964): z = 2.416, p = 0.016 < 0.05/3 = 0.0167 -> rejected
    #   C4.5+m    (2.000): z = 2.342, p = 0.019 < 0.05/2 = 0.025  -> rejected
    #   C4.5+cf   (2.893): z = 0.512, p = 0.608 > 0.05            -> retained
    res = holm_test(DEMSAR, "C4.5", alpha=0.05)
    assert list(res.index) == ["C4.5+m+cf", "C4.5+m", "C4.5+cf"]
    np.testing.assert_allclose(res.z, [2.416, 2.342, 0.512], atol=2e-3)
    np.testing.assert_allclose(res.p, [0.016, 0.019, 0.608], atol=1e-3)
    np.testing.assert_allclose(res.alpha_holm, [0.05 / 3, 0.05 / 2, 0.05])
    assert res.reject.tolist() == [True, True, False]
    # Holm-adjusted p-values: 3·0.0157 = 0.047, max(0.047, 2·0.0192) = 0.047, max(., 0.608) = 0.608
    np.testing.assert_allclose(res.p_holm, [0.0472, 0.0472, 0.6084], atol=1e-3)


def test_holm_stops_at_the_first_retained_hypothesis():
    # 3 methods, 6 datasets; control "a" ranks 3rd everywhere, "b" 1st, "c" 2nd:
    # R = (3, 1, 2), SE = sqrt(3·4 / 36) = 0.5774; z_b = 2/0.5774 = 3.464 (p = 0.00053), z_c = 1.732 (p = 0.0833)
    # Holm at 0.05: 0.00053 < 0.025 rejected; 0.0833 > 0.05 retained.
    table = pd.DataFrame([[0.1, 0.9, 0.5]] * 6, columns=["a", "b", "c"])
    res = holm_test(table, "a")
    assert res.index.tolist() == ["b", "c"] and res.reject.tolist() == [True, False]
    np.testing.assert_allclose(res.z, [3.4641, 1.7321], atol=1e-4)
    np.testing.assert_allclose(res.p, [0.000532, 0.083265], atol=1e-6)
    # A retained hypothesis stops the procedure: "a" last on 4 datasets, "b" and "c" sharing 1st and 2nd:
    # R = (3, 1.5, 1.5), SE = sqrt(3·4 / (6·4)) = 0.7071, z = 1.5 / 0.7071 = 2.121, p = 0.0339 for both.
    # The first is compared with 0.05/2 = 0.025 and retained, so the second is retained too, although
    # 0.0339 < 0.05, the threshold it would meet on its own.
    table = pd.DataFrame([[0.1, 0.9, 0.5], [0.1, 0.5, 0.9]] * 2, columns=["a", "b", "c"])
    res = holm_test(table, "a")
    np.testing.assert_allclose(res.p, [0.0339, 0.0339], atol=1e-4)
    assert res.alpha_holm.tolist() == [0.025, 0.05] and not res.reject.any()


def test_small_friedman_by_hand():
    # ranks (higher is better): (1,2,3), (1,3,2), (1,2,3), (2,1,3) -> R = (1.25, 2, 2.75)
    # chi2 = 12·4/(3·4) · (1.25² + 2² + 2.75² - 3·4²/4) = 4 · (13.125 - 12) = 4.5
    # F_F = 3 · 4.5 / (4·2 - 4.5) = 3.857, df (2, 6)
    scores = [[3, 2, 1], [3, 1, 2], [3, 2, 1], [2, 3, 1]]
    res = friedman_test(scores)
    np.testing.assert_allclose(res.mean_ranks, [1.25, 2.0, 2.75])
    assert res.chi2 == pytest.approx(4.5) and res.f_f == pytest.approx(13.5 / 3.5)
    assert res.p_chi2 == pytest.approx(np.exp(-4.5 / 2))  # chi2 with 2 df: survival exp(-x/2)
    # lower is better flips the ranks
    np.testing.assert_allclose(mean_ranks(scores, higher_is_better=False), [2.75, 2.0, 1.25])


def test_identical_orderings_give_an_infinite_f():
    res = friedman_test([[3, 2, 1]] * 5)
    assert res.f_f == np.inf and res.p_f == 0.0 and res.chi2 == pytest.approx(10.0)


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="at least 2 datasets"):
        friedman_test([[1, 2, 3]])
    with pytest.raises(ValueError, match="finite"):
        mean_ranks([[1, np.nan], [1, 2]])
    with pytest.raises(ValueError, match="control 'x'"):
        holm_test(DEMSAR, "x")


def test_score_table_from_a_tidy_result_keeps_complete_datasets():
    rows = []
    for ds in ("d1", "d2"):
        for ov, base in (("none", 0.5), ("smote", 0.7)):
            for fold in range(2):
                if ds == "d2" and ov == "smote" and fold == 1:
                    continue  # d2 is missing a fold of smote
                rows.append((ds, ov, "lr", fold, "gmean", base + 0.1 * fold))
    res = pd.DataFrame(rows, columns=["dataset", "oversampler", "classifier", "fold", "metric", "value"])
    table = score_table(res, "gmean", "lr")
    assert table.index.tolist() == ["d1"] and table.columns.tolist() == ["none", "smote"]
    np.testing.assert_allclose(table.to_numpy(), [[0.55, 0.75]])
    assert score_table(res, "gmean", complete=False).shape == (2, 2)
    with pytest.raises(ValueError, match="No values of metric 'auc'"):
        score_table(res, "auc")
    two = pd.concat([res, res.assign(classifier="rf", value=res.value + 0.2)])
    with pytest.raises(ValueError, match=r"classifiers \['lr', 'rf'\] for the same oversampler.*pass classifier"):
        score_table(two, "gmean")  # not silently their average
    np.testing.assert_allclose(score_table(two, "gmean", "rf").to_numpy(), [[0.75, 0.95]])


def test_cd_diagram_draws_a_png(tmp_path):
    fig = cd_diagram(mean_ranks(DEMSAR), nemenyi_cd(4, 14), tmp_path / "cd.png", title="Demšar (2006)")
    assert (tmp_path / "cd.png").stat().st_size > 1000
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "CD = 1.25" in texts and any("C4.5+m+cf (1.96)" in t for t in texts)


def test_paired_test_matches_wilcoxon_and_t_by_hand():
    """d = a - b = (0.1, -0.02, 0.05, 0.07, 0.03): |d| ranks 5, 1, 3, 4, 2, so W+ = 14 of 15. Exactly, with 2^5
    equally likely sign patterns, W+ >= 14 happens twice (all positive; all but rank 1): p = 2/32. Paired t:
    mean 0.046, sample sd sqrt(0.00812 / 4), t = 0.046 / (sd / sqrt 5) = 2.2830 on 4 degrees of freedom."""
    from scipy.stats import t as student_t

    from minority_gen.evaluation import paired_test

    b = np.array([0.80, 0.82, 0.80, 0.60, 0.90])
    a = b + np.array([0.1, -0.02, 0.05, 0.07, 0.03])
    r = paired_test(a, b)
    assert (r.n, r.wins, r.losses) == (5, 4, 1)
    assert r.mean_diff == pytest.approx(0.046)
    assert r.p_wilcoxon == pytest.approx(2 / 32)
    t = 0.046 / (np.sqrt(0.00812 / 4) / np.sqrt(5))
    assert t == pytest.approx(2.2830, abs=1e-4)
    assert r.p_ttest == pytest.approx(student_t.sf(t, 4))
    flipped = paired_test(b, a)  # one-sided: the other direction is not significant
    assert flipped.p_wilcoxon == pytest.approx(1 - 1 / 32) and flipped.p_ttest == pytest.approx(1 - r.p_ttest)
    ten = paired_test(np.arange(10) + 1.0, np.zeros(10))
    assert ten.p_wilcoxon == pytest.approx(2.0 ** -10) and ten.wins == 10


def test_paired_by_seed_pairs_the_common_complete_seeds_and_summarises():
    """Seeds one side lacks, or whose run lacks a metric, are left out of every metric's test; the summary names
    the mean difference, wins/losses, both p-values and the verdict at alpha."""
    from minority_gen.evaluation.stats import paired_by_seed, paired_test

    a = {s: {"auc": 0.8 + 0.01 * s, "ap": 0.5 + 0.02 * s} for s in range(7)}
    b = {s: {"auc": 0.8, "ap": 0.5} for s in range(1, 8)}
    b[3] = {"auc": 0.8}  # no "ap": seed 3 is left out of both metrics
    r = paired_by_seed(a, b, ["auc", "ap"])
    assert r["auc"] == paired_test([0.8 + 0.01 * s for s in (1, 2, 4, 5, 6)], [0.8] * 5)
    assert r["ap"].n == r["auc"].n == 5 and r["ap"].mean_diff == pytest.approx(0.02 * 18 / 5)
    assert paired_by_seed(a, {9: {"auc": 1.0}}, ["auc"])["auc"].n == 0
    assert r["auc"].summary() == f"+0.036 (5/0; W p=0.031, t p={r['auc'].p_ttest:.3f}; **significant**)"
    assert r["auc"].summary(alpha=0.01).endswith("; not significant)")


def test_paired_test_edge_cases_and_refusals():
    from minority_gen.evaluation import paired_test

    same = paired_test([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])
    assert same.p_wilcoxon == 1.0 and same.p_ttest == 1.0 and same.wins == same.losses == 0
    shifted = paired_test([0.6, 0.7, 0.8], [0.5, 0.6, 0.7])  # constant difference: t undefined, sign clear
    assert shifted.p_ttest == 0.0 and shifted.p_wilcoxon == pytest.approx(1 / 8)
    assert np.isnan(paired_test([0.6], [0.5]).p_wilcoxon)
    with pytest.raises(ValueError, match="equal length"):
        paired_test([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="NaN"):
        paired_test([0.1, float("nan")], [0.1, 0.2])
