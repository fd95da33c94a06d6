"""Comparing several methods over several datasets: ranks, Friedman, Nemenyi, Holm (Demšar 2006).

The input is a table of scores, one row per dataset and one column per
method (higher is better unless ``higher_is_better=False``), for instance
the fold means of one metric and one classifier taken from
:func:`~minority_gen.evaluation.compare_on_datasets` with
:func:`score_table`.

* :func:`mean_ranks` — each method's rank within every dataset (1 = best,
  ties share the average rank), averaged over the datasets.
* :func:`friedman_test` — are all methods equivalent? Friedman's chi-square
  and the Iman–Davenport F statistic, with their p-values.
* :func:`nemenyi_cd` — the critical difference of mean ranks for all
  pairwise comparisons (Nemenyi).
* :func:`holm_test` — each method against a control, z statistics from
  mean ranks, Holm's step-down procedure.
* :func:`cd_diagram` — Demšar's critical-difference diagram.
* :func:`paired_test` — one method against another over paired runs (seeds
  or datasets): mean difference, wins, one-sided Wilcoxon signed-rank and
  paired t-test p-values; :func:`paired_by_seed` pairs two runs' figures by
  seed for it.

Reference: J. Demšar, "Statistical comparisons of classifiers over multiple
data sets", JMLR 7 (2006) 1–30, sections 3.2.2 and 3.2.3 (the formulas here
are the paper's: no correction of the Friedman statistic for ties).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats


def _table(scores) -> pd.DataFrame:
    table = scores.copy() if isinstance(scores, pd.DataFrame) else pd.DataFrame(np.asarray(scores, dtype=float))
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 2:
        raise ValueError(f"scores must be a table of at least 2 datasets (rows) × 2 methods (columns); "
                         f"got shape {table.shape}.")
    if not np.isfinite(table.to_numpy(dtype=float)).all():
        raise ValueError("scores must be finite; drop the datasets (rows) on which a method has no score.")
    return table.astype(float)


def _check_alpha(alpha) -> float:
    if not (isinstance(alpha, (int, float, np.number)) and 0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be a significance level between 0 and 1 (e.g. 0.05); got {alpha!r}.")
    return float(alpha)


def rank_matrix(scores, higher_is_better: bool = True) -> pd.DataFrame:
    """Each method's rank within each dataset (1 = best; ties share their average rank).

    Examples
    --------
    >>> rank_matrix([[0.9, 0.8, 0.8], [0.1, 0.3, 0.2]]).to_numpy().tolist()
    [[1.0, 2.5, 2.5], [3.0, 1.0, 2.0]]
    """
    table = _table(scores)
    sign = -1.0 if higher_is_better else 1.0
    ranks = np.vstack([stats.rankdata(sign * row, method="average") for row in table.to_numpy()])
    return pd.DataFrame(ranks, index=table.index, columns=table.columns)


def mean_ranks(scores, higher_is_better: bool = True) -> pd.Series:
    """Mean rank of each method over the datasets (rows); 1 = best.

    Examples
    --------
    >>> mean_ranks([[0.9, 0.8, 0.8], [0.1, 0.3, 0.2]]).tolist()
    [2.0, 1.75, 2.25]
    """
    return rank_matrix(scores, higher_is_better).mean(axis=0)


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman's test on ``n_datasets`` × ``n_methods`` scores (Demšar 2006, section 3.2.2)."""

    chi2: float
    """Friedman's statistic, chi-square with ``n_methods - 1`` degrees of freedom."""
    p_chi2: float
    f_f: float
    """Iman and Davenport's F statistic, F with (``df1``, ``df2``) degrees of freedom (less conservative)."""
    p_f: float
    df1: int
    df2: int
    n_datasets: int
    n_methods: int
    mean_ranks: pd.Series


def friedman_test(scores, higher_is_better: bool = True) -> FriedmanResult:
    """Friedman's test that all methods perform alike, with Iman and Davenport's F.

    ``chi2 = 12 N / (k (k + 1)) [sum_j R_j^2 - k (k + 1)^2 / 4]`` and
    ``F_F = (N - 1) chi2 / (N (k - 1) - chi2)`` for ``N`` datasets, ``k``
    methods and mean ranks ``R_j``. When every dataset ranks the methods the
    same way ``F_F`` is infinite and its p-value 0.

    Examples
    --------
    >>> res = friedman_test([[3, 2, 1], [3, 1, 2], [3, 2, 1], [2, 3, 1]])
    >>> round(res.chi2, 2), round(res.f_f, 2), res.df1, res.df2
    (4.5, 3.86, 2, 6)
    """
    ranks = mean_ranks(scores, higher_is_better)
    n, k = len(_table(scores)), len(ranks)
    r = ranks.to_numpy()
    chi2 = 12.0 * n / (k * (k + 1)) * (np.sum(r**2) - k * (k + 1) ** 2 / 4.0)
    denom = n * (k - 1) - chi2
    f_f = (n - 1) * chi2 / denom if denom > 1e-12 else np.inf
    df1, df2 = k - 1, (k - 1) * (n - 1)
    return FriedmanResult(float(chi2), float(stats.chi2.sf(chi2, df1)), float(f_f),
                          float(stats.f.sf(f_f, df1, df2)) if np.isfinite(f_f) else 0.0,
                          df1, df2, n, k, ranks)


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Nemenyi's ``q_alpha``: the studentized range quantile for ``k`` groups (infinite df) over sqrt(2).

    Examples
    --------
    >>> round(nemenyi_q(4, 0.05), 3), round(nemenyi_q(10, 0.10), 3)
    (2.569, 2.92)
    """
    if k < 2:
        raise ValueError(f"k must be at least 2 methods; got {k}.")
    return float(stats.studentized_range.ppf(1.0 - _check_alpha(alpha), k, np.inf) / np.sqrt(2.0))


def nemenyi_cd(k: int, n: int, alpha: float = 0.05) -> float:
    """Critical difference of mean ranks for ``k`` methods on ``n`` datasets: ``q_alpha sqrt(k (k+1) / (6 n))``.

    Two methods whose mean ranks differ by at least this much perform
    significantly differently (Nemenyi test, all pairs).

    Examples
    --------
    >>> round(nemenyi_cd(4, 14, 0.05), 2)
    1.25
    """
    if n < 1:
        raise ValueError(f"n must be at least 1 dataset; got {n}.")
    return nemenyi_q(k, alpha) * float(np.sqrt(k * (k + 1) / (6.0 * n)))


def holm_test(scores, control, alpha: float = 0.05, higher_is_better: bool = True) -> pd.DataFrame:
    """Each method against ``control``, with Holm's step-down procedure (Demšar 2006, section 3.2.2).

    ``z = (R_control - R_i) / sqrt(k (k + 1) / (6 N))``; two-sided normal
    p-values ``p_i``, sorted ascending, are compared with ``alpha / (k - i)``
    (``i = 1 .. k-1``); hypotheses are rejected until the first that is not.
    A positive ``z`` means the method ranks better than the control.

    Returns
    -------
    pandas.DataFrame
        One row per method other than the control, in the order Holm tests
        them: ``mean_rank``, ``z``, ``p``, ``alpha_holm`` (the threshold its
        p-value is compared with), ``p_holm`` (Holm-adjusted p-value) and
        ``reject`` (significantly different from the control).
    """
    alpha, ranks = _check_alpha(alpha), mean_ranks(scores, higher_is_better)
    if control not in ranks.index:
        raise ValueError(f"control {control!r} is not a method (column) of scores; methods: {list(ranks.index)}.")
    n, k = len(_table(scores)), len(ranks)
    se = np.sqrt(k * (k + 1) / (6.0 * n))
    others = ranks.drop(control)
    z = (ranks[control] - others) / se
    p = 2.0 * stats.norm.sf(np.abs(z))
    out = pd.DataFrame({"mean_rank": others, "z": z, "p": p}).sort_values("p", kind="stable")
    m = len(out)
    out["alpha_holm"] = alpha / (m - np.arange(m))
    out["p_holm"] = np.minimum(1.0, np.maximum.accumulate(out["p"].to_numpy() * (m - np.arange(m))))
    passed = out["p"].to_numpy() < out["alpha_holm"].to_numpy()
    out["reject"] = np.logical_and.accumulate(passed) if m else passed
    out.index.name = "method"
    return out


@dataclass(frozen=True)
class PairedResult:
    """:func:`paired_test`'s answer: ``a - b`` over ``n`` pairs, one-sided p-values for "a is higher"."""

    n: int
    mean_diff: float
    wins: int
    losses: int
    p_wilcoxon: float
    p_ttest: float

    def summary(self, alpha: float = 0.05) -> str:
        """``"+0.012 (7/3; W p=0.042, t p=0.031; **significant**)"``: mean difference, wins/losses, the p-values and
        whether the Wilcoxon p is below ``alpha`` (markdown)."""
        verdict = "**significant**" if self.p_wilcoxon < alpha else "not significant"
        return (f"{self.mean_diff:+.3f} ({self.wins}/{self.losses}; W p={self.p_wilcoxon:.3f}, "
                f"t p={self.p_ttest:.3f}; {verdict})")


def paired_test(a, b) -> PairedResult:
    """Is ``a`` higher than ``b`` over paired runs (``a[i]`` and ``b[i]`` share seed or dataset ``i``)?

    One-sided (alternative "a is higher"): the Wilcoxon signed-rank test (exact
    distribution when there are no ties, zero differences dropped as in
    Wilcoxon's original method) and the paired t-test on the differences. With
    ``n`` pairs the smallest reachable Wilcoxon p is ``2 ** -n`` (10 pairs:
    0.001). Differences that are all zero give p = 1; one pair gives NaN p-values.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired_test needs two 1-D sequences of equal length; got shapes {a.shape} and {b.shape}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("paired_test: the scores hold NaN or infinite values; drop those pairs first.")
    d = a - b
    n = len(d)
    if n < 2:
        p_w = p_t = float("nan")
    elif not d.any():
        p_w = p_t = 1.0
    else:
        p_w = float(stats.wilcoxon(d, alternative="greater", zero_method="wilcox").pvalue)
        constant = np.ptp(d) <= 1e-12 * np.abs(d).max()  # (rounding aside) the t statistic is undefined
        p_t = (0.0 if d[0] > 0 else 1.0) if constant else float(stats.ttest_rel(a, b, alternative="greater").pvalue)
    return PairedResult(n, float(d.mean()) if n else float("nan"), int((d > 0).sum()), int((d < 0).sum()), p_w, p_t)


def paired_by_seed(a: Mapping, b: Mapping, metrics: Sequence[str]) -> dict[str, PairedResult]:
    """:func:`paired_test` of each of ``metrics``, ``a`` against ``b``, over the seeds both have with every metric.

    ``a`` and ``b`` map a seed to one run's figures (``{metric: value}``). A seed only one side has, or whose run
    lacks one of ``metrics``, is left out, so that every metric is tested over the same seeds (each result's ``n``).

    >>> a = {0: {"auc": 0.9}, 1: {"auc": 0.8}, 2: {"auc": 0.7}}
    >>> r = paired_by_seed(a, {0: {"auc": 0.8}, 1: {"auc": 0.8}, 2: {}}, ["auc"])["auc"]
    >>> r.n, round(r.mean_diff, 3), r.wins, r.losses
    (2, 0.05, 1, 0)
    """
    seeds = sorted(s for s in set(a) & set(b) if all(m in a[s] and m in b[s] for m in metrics))
    return {m: paired_test([a[s][m] for s in seeds], [b[s][m] for s in seeds]) for m in metrics}


def score_table(results: pd.DataFrame, metric: str, classifier: str | None = None, by: str = "oversampler",
                complete: bool = True) -> pd.DataFrame:
    """Datasets × methods table of fold means of ``metric`` from a tidy result (``dataset``, ``by``, ``value``).

    ``classifier`` selects one classifier's rows (``None``: each ``by`` must hold one; ``ValueError`` when a
    ``by`` holds several, whose values would be averaged together). With ``complete``
    the datasets on which some method lacks a value, or has fewer folds than the others, are dropped.
    """
    rows = results[results["metric"] == metric]
    if classifier is not None:
        rows = rows[rows["classifier"] == classifier]
    elif "classifier" in rows and len(rows) and rows.groupby(["dataset", by])["classifier"].nunique().max() > 1:
        raise ValueError(f"the results hold the classifiers {sorted(rows['classifier'].unique())} for the same "
                         f"{by}; a table is one classifier's: pass classifier=... (else their values would be "
                         "averaged together).")
    if rows.empty:
        raise ValueError(f"No values of metric {metric!r}" + (f" for classifier {classifier!r}" if classifier else "")
                         + f"; metrics present: {sorted(results['metric'].dropna().unique())}.")
    order = list(dict.fromkeys(rows[by]))
    grouped = rows.groupby(["dataset", by], sort=False)["value"]
    means = grouped.mean().unstack(by).reindex(columns=order)
    if complete:
        counts = grouped.count().unstack(by).reindex(columns=order)
        full = counts.notna().all(axis=1) & (counts.nunique(axis=1) == 1)
        means = means[full & means.notna().all(axis=1)]
    return means.reindex(list(dict.fromkeys(rows["dataset"]))).dropna(how="all")


def cd_diagram(ranks: pd.Series, cd: float | None, path=None, title: str | None = None) -> Figure:
    """Demšar's critical-difference diagram: mean ranks on an axis, groups not significantly apart joined.

    ``ranks`` holds each method's mean rank (:func:`mean_ranks`); ``cd`` the
    critical difference (:func:`nemenyi_cd`; ``None`` draws no groups). Drawn
    on matplotlib's Agg canvas (no ``pyplot``); saved to ``path`` when given.
    """
    ranks = pd.Series(ranks, dtype=float).sort_values()
    k = len(ranks)
    lo, hi = 1, max(k, int(np.ceil(ranks.max())))
    height = 1.6 + 0.3 * k
    fig = Figure(figsize=(7.0, height))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.96))
    ax.set_xlim(-0.5, 10.5)
    ax.set_ylim(height, 0)
    ax.axis("off")

    def x_of(rank: float) -> float:  # rank 1 at the left, worst at the right
        return 1.5 + 7.5 * (rank - lo) / max(hi - lo, 1)

    axis_y = 0.9
    ax.plot([x_of(lo), x_of(hi)], [axis_y, axis_y], color="black", lw=1)
    for r in range(lo, hi + 1):
        ax.plot([x_of(r), x_of(r)], [axis_y - 0.1, axis_y], color="black", lw=1)
        ax.text(x_of(r), axis_y - 0.15, str(r), ha="center", va="bottom", fontsize=9)
    if title:
        ax.text(5.0, 0.15, title, ha="center", va="top", fontsize=10)
    if cd is not None:
        ax.plot([x_of(lo), x_of(lo + cd)], [0.45, 0.45], color="black", lw=1.5)
        ax.text(x_of(lo) + (x_of(lo + cd) - x_of(lo)) / 2, 0.4, f"CD = {cd:.2f}", ha="center", va="bottom",
                fontsize=8)
    left = list(ranks.index[: (k + 1) // 2])
    right = list(ranks.index[(k + 1) // 2:])[::-1]
    step = 0.3
    for i, name in enumerate(left):
        y = axis_y + 0.5 + i * step + 0.3
        ax.plot([x_of(ranks[name]), x_of(ranks[name]), 1.3], [axis_y, y, y], color="black", lw=0.8)
        ax.text(1.2, y, f"{name} ({ranks[name]:.2f})", ha="right", va="center", fontsize=8)
    for i, name in enumerate(right):
        y = axis_y + 0.5 + i * step + 0.3
        ax.plot([x_of(ranks[name]), x_of(ranks[name]), 9.2], [axis_y, y, y], color="black", lw=0.8)
        ax.text(9.3, y, f"({ranks[name]:.2f}) {name}", ha="left", va="center", fontsize=8)
    if cd is not None:
        values = ranks.to_numpy()
        cliques = []
        for i in range(k):  # maximal runs of methods whose extreme ranks differ by less than cd
            j = i
            while j + 1 < k and values[j + 1] - values[i] < cd:
                j += 1
            if j > i and not any(a <= i and j <= b for a, b in cliques):
                cliques.append((i, j))
        for n, (i, j) in enumerate(cliques):
            y = axis_y + 0.2 + n * 0.1
            ax.plot([x_of(values[i]) - 0.05, x_of(values[j]) + 0.05], [y, y], color="black", lw=3)
    if path is not None:
        fig.savefig(os.fspath(path), dpi=120, bbox_inches="tight")
    return fig
