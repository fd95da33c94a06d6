"""Markdown tables of a datasets × samplers grid of fold scores, one section per classifier (protocol T's report).

The input is one row per finished or failed cell, with columns ``dataset``, ``sampler``, ``classifier``,
``fold``, ``status`` (``"ok"`` or not), ``error``, ``fit_s`` (the sampler's seconds) and the scores of
:data:`METRIC_NAMES`: the cells of :func:`~minority_gen.evaluation.compare_on_datasets`' store, one row per
(dataset, fold, sampler, classifier). :func:`grid_tables` writes, per classifier, a dataset × sampler table of
G-mean (balanced accuracy) with mean-rank rows for the three metrics, Friedman's test and Nemenyi's critical
difference over the datasets every sampler completed, a table of average precision and, when ``smote`` or
``ros`` is among the samplers, on how many datasets each other sampler beats the better of them; then the
samplers' fit times and the failures. :func:`plot_mean_ranks` draws the G-mean ranks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .report import fmt, table_lines
from .stats import friedman_test, mean_ranks, nemenyi_cd, score_table

METRIC_NAMES = {"gmean": "G-mean", "balanced_accuracy": "balanced accuracy", "average_precision": "average precision"}
"""The scores a cell row holds, with their names in the tables; ranks and tests are on the first."""

REFERENCES = ("smote", "ros")
"""The samplers the others are counted against (the better of those present)."""


def grid_tables(cells: pd.DataFrame, datasets, samplers, classifiers, n_folds: int, classifier_names: dict
                ) -> tuple[list[str], pd.DataFrame, dict]:
    """The markdown lines of the tables, the per-(classifier, dataset, sampler) fold means and standard
    deviations (``results.csv``), and per classifier ``(complete datasets, mean G-mean ranks)`` for
    :func:`plot_mean_ranks`. ``classifier_names``: classifier → its name in the section titles.

    >>> cells = pd.DataFrame([dict(dataset=d, sampler=s, classifier="lr", fold=0, status="ok", error=None,
    ...                            fit_s=0.1, gmean=g, balanced_accuracy=g, average_precision=g)
    ...                       for d, s, g in [("a", "x", 0.5), ("a", "y", 0.7), ("b", "x", 0.4), ("b", "y", 0.6)]])
    >>> lines, csv, ranks = grid_tables(cells, ["a", "b"], ["x", "y"], ["lr"], 1, {"lr": "Logistic regression"})
    >>> lines[6:9], list(ranks["lr"][1])
    (['| a | 0.500 (0.500) | 0.700 (0.700) |', '| b | 0.400 (0.400) | 0.600 (0.600) |', \
'| **mean rank (G-mean)** | 2.00 | 1.00 |'], [2.0, 1.0])
    """
    ok, failed = cells[cells.status == "ok"], cells[cells.status != "ok"]
    tidy = ok.melt(id_vars=["dataset", "sampler", "classifier", "fold"], value_vars=[*METRIC_NAMES, "fit_s"],
                   var_name="metric").rename(columns={"sampler": "oversampler"}).dropna(subset=["value"])
    stat = (tidy.astype({"value": float}).groupby(["classifier", "dataset", "oversampler", "metric"]).value
            .agg(["mean", "std", "count"]).fillna({"std": 0.0}))  # std ddof=1, 0 for a single fold
    errors = failed.groupby(["classifier", "dataset", "sampler"]).size()

    def get(clf, ds, s, metric, what="mean"):
        key = (clf, ds, s, metric)
        return stat.at[key, what] if key in stat.index else (0 if what == "count" else np.nan)

    def cell(clf, ds, s):
        n_err, n = int(errors.get((clf, ds, s), 0)), get(clf, ds, s, "gmean", "count")
        text = f"{get(clf, ds, s, 'gmean'):.3f} ({get(clf, ds, s, 'balanced_accuracy'):.3f})" if n else "–"
        return (f"**error** ({n_err} fold{'s' if n_err > 1 else ''})" if n_err else
                text if n in (0, n_folds) else f"{text} [{n}/{n_folds} folds]")

    def grid(text, clf, *last_rows):  # a dataset × sampler table, cell text(clf, dataset, sampler)
        return table_lines(["dataset", *samplers], [*([ds, *(text(clf, ds, s) for s in samplers)] for ds in datasets),
                                                     *last_rows])

    lines = [f"Cell: G-mean (balanced accuracy), mean of {n_folds} folds; `[k/{n_folds} folds]`: incomplete; `–`: "
             "not run. Mean ranks (1 = best, ties averaged), Friedman's test and Nemenyi's critical difference (alpha "
             "0.05) are over the datasets on which every sampler listed has the same number of folds.", ""]
    csv_rows, gmean_ranks = [], {}
    for clf in classifiers:
        sub, rank_rows = tidy[tidy.classifier == clf], []
        for metric, label in METRIC_NAMES.items():
            table = (score_table(sub, metric).reindex(index=datasets, columns=samplers).dropna()
                     if (sub.metric == metric).any() else pd.DataFrame())
            table = table if len(table) >= 2 and len(samplers) >= 2 else pd.DataFrame()
            ranks = mean_ranks(table) if len(table) else pd.Series(dtype=float)
            rank_rows.append([f"**mean rank ({label})**", *(fmt(ranks.get(s), 2) for s in samplers)])
            if metric == "gmean":
                complete, gmean_ranks[clf], gmeans = list(table.index), (list(table.index), ranks), table
        lines += [f"## {classifier_names[clf]} (`{clf}`)", "", *grid(cell, clf, *rank_rows), "",
                  f"Mean ranks over {len(complete)} of {len(datasets)} dataset(s)"
                  + (f": {', '.join(complete)}." if 0 < len(complete) < len(datasets) else ".")]
        if complete:
            f = friedman_test(gmeans)
            lines[-1] += (f" G-mean: Friedman chi2 = {f.chi2:.2f} (p = {f.p_chi2:.3g}), Iman–Davenport F = "
                          f"{fmt(f.f_f, 2)} (p = {f.p_f:.3g}); Nemenyi critical difference "
                          f"{nemenyi_cd(len(samplers), len(complete)):.2f}.")
        lines += ["", "Average precision (mean of folds):", "", *grid(lambda c, ds, s: "**error**" if errors.get(
            (c, ds, s), 0) else fmt(get(c, ds, s, "average_precision")), clf), ""]
        refs = [s for s in REFERENCES if s in samplers]
        others = [s for s in samplers if s not in refs]
        if refs and others and complete:
            wins = {s: [sum(get(clf, d, s, m) > max(get(clf, d, r, m) for r in refs) for d in complete)
                        for m in METRIC_NAMES] for s in others}
            lines += [f"Datasets (of {len(complete)} complete) where a sampler's mean beats the better of "
                      f"{' and '.join(refs)}:", "", *table_lines(["sampler", *METRIC_NAMES.values()], (
                          [s, *(f"{w}/{len(complete)}" for w in wins[s])] for s in others)), ""]
        csv_rows += [{"classifier": clf, "dataset": ds, "sampler": s, "folds_done": get(clf, ds, s, "gmean", "count"),
                      "folds": n_folds, "errors": int(errors.get((clf, ds, s), 0)),
                      **{f"{m}_mean": get(clf, ds, s, m) for m in METRIC_NAMES},
                      **{f"{m}_std": get(clf, ds, s, m, "std") for m in METRIC_NAMES},
                      "fit_s_mean": get(clf, ds, s, "fit_s")} for ds in datasets for s in samplers]

    fits = ok.drop_duplicates(["dataset", "fold", "sampler"])
    by_ds, by_s = fits.groupby(["dataset", "sampler"]).fit_s.mean(), fits.groupby("sampler").fit_s.mean()
    lines += ["## Sampler fit time", "", "Wall seconds of the sampler's `fit_resample` per training fold (one thread), "
              "mean over the folds done; last row: mean over all folds of all datasets.", "",
              *grid(lambda _, ds, s: fmt(by_ds.get((ds, s), np.nan), 2), None,
                    ["**mean**", *(fmt(by_s.get(s, np.nan), 2) for s in samplers)]), ""]
    if len(failed):
        lines += ["## Failures", "", f"{len(failed)} cell(s) failed; a rerun retries them.", "",
                  *(f"* {r.dataset} fold {r.fold} `{r.sampler}` / {r.classifier}: {r.error}"
                    for r in failed.itertuples()), ""]
    return lines, pd.DataFrame(csv_rows), gmean_ranks


def plot_mean_ranks(path: Path, ranks: dict, samplers, classifier_names: dict,
                    title: str = "Protocol T: mean rank across datasets") -> None:
    """Grouped horizontal bars: mean G-mean rank per sampler, one bar per classifier (``ranks`` as
    :func:`grid_tables` returns them), saved as PNG to ``path``."""
    fig = Figure(figsize=(7, 0.45 * len(samplers) * max(1, len(ranks)) ** 0.5 + 1.5))
    ax = fig.subplots()
    height, pos = 0.8 / max(1, len(ranks)), np.arange(len(samplers))
    for i, (clf, (complete, r)) in enumerate(ranks.items()):
        ax.barh(pos + (i - (len(ranks) - 1) / 2) * height, [r.get(s, np.nan) for s in samplers], height,
                label=f"{classifier_names[clf]} ({len(complete)} datasets)")
    ax.set_yticks(pos, samplers)
    ax.invert_yaxis()
    ax.set(xlabel="mean G-mean rank (1 = best)", title=title)
    ax.set_xlim(left=0)
    if not any(len(r) for _, r in ranks.values()):
        ax.text(0.5, 0.5, "fewer than 2 datasets complete for all samplers", transform=ax.transAxes, ha="center")
    else:
        ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
