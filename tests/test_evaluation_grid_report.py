"""The datasets × samplers grid report (protocol T's tables): cells, ranks and tests, wins, fit times, failures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from minority_gen.evaluation.grid_report import grid_tables, plot_mean_ranks

NAMES = {"lr": "Logistic regression"}


def cells(rows) -> pd.DataFrame:
    return pd.DataFrame([dict(dataset=d, sampler=s, classifier="lr", fold=k, status=status, error=error,
                              fit_s=1.0, gmean=g, balanced_accuracy=g - 0.1, average_precision=g / 2)
                         for d, s, k, g, status, error in rows])


def full(datasets=("a", "b", "c"), folds=(0, 1)) -> list:
    score = {"none": 0.5, "smote": 0.6, "rumi": 0.7}
    return [(d, s, k, score[s] + 0.01 * i, "ok", None) for i, d in enumerate(datasets) for s in score
            for k in folds]


def test_complete_grid_ranks_tests_and_counts_wins():
    lines, csv, ranks = grid_tables(cells(full()), ["a", "b", "c"], ["none", "smote", "rumi"], ["lr"], 2, NAMES)
    text = "\n".join(lines)
    assert "## Logistic regression (`lr`)" in text and "| a | 0.500 (0.400) | 0.600 (0.500) | 0.700 (0.600) |" in text
    assert "| **mean rank (G-mean)** | 3.00 | 2.00 | 1.00 |" in text
    assert "Mean ranks over 3 of 3 dataset(s). G-mean: Friedman chi2 = 6.00" in text
    assert "where a sampler's mean beats the better of smote:" in text and "| rumi | 3/3 | 3/3 | 3/3 |" in text
    assert "| **mean** | 1.00 | 1.00 | 1.00 |" in text and "## Failures" not in text
    assert len(csv) == 9 and (csv.folds_done == 2).all() and csv.gmean_std.eq(0).all()
    assert list(ranks["lr"][0]) == ["a", "b", "c"] and ranks["lr"][1]["rumi"] == 1.0


def test_incomplete_and_failed_cells_are_marked_and_left_out_of_the_ranks():
    rows = [r for r in full() if not (r[0] == "c" and r[1] == "rumi" and r[2] == 1)]
    rows.append(("b", "smote", 1, np.nan, "error", "ValueError: broken"))
    rows = [r for r in rows if not (r[0] == "b" and r[1] == "smote" and r[2] == 1 and r[4] == "ok")]
    lines, csv, ranks = grid_tables(cells(rows), ["a", "b", "c"], ["none", "smote", "rumi"], ["lr"], 2, NAMES)
    text = "\n".join(lines)
    assert "| c | 0.520 (0.420) | 0.620 (0.520) | 0.720 (0.620) [1/2 folds] |" in text
    assert "| **mean rank (G-mean)** | – | – | – |" in text
    assert "| b | 0.510 (0.410) | **error** (1 fold) |" in text
    assert "## Failures" in text and "* b fold 1 `smote` / lr: ValueError: broken" in text
    assert "Mean ranks over 0 of 3 dataset(s)." in text and ranks["lr"][1].empty  # 1 complete: too few
    assert csv.set_index(["dataset", "sampler"]).at[("b", "smote"), "errors"] == 1


def test_the_rank_plot_is_written(tmp_path):
    _, _, ranks = grid_tables(cells(full()), ["a", "b", "c"], ["none", "smote", "rumi"], ["lr"], 2, NAMES)
    plot_mean_ranks(tmp_path / "ranks.png", ranks, ["none", "smote", "rumi"], NAMES)
    plot_mean_ranks(tmp_path / "empty.png", {"lr": ([], pd.Series(dtype=float))}, ["none"], NAMES)
    assert (tmp_path / "ranks.png").stat().st_size > 0 and (tmp_path / "empty.png").stat().st_size > 0
