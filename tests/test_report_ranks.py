"""The ranks of a multi-dataset report (``minority-gen evaluate --datasets``) compare samplers on the same folds:
a dataset where one sampler lost a fold is shown, but left out of the ranks and tests (its fold means would
average other folds than the others')."""

from __future__ import annotations

import math

import pandas as pd

from minority_gen.evaluation.report import rank_section


def test_a_dataset_where_a_sampler_lost_a_fold_is_left_out_of_the_ranks(tmp_path):
    values = {  # dataset -> sampler -> fold scores; on d1, "b" lost fold 2 (its mean would be of folds 0-1 only)
        "d1": {"a": [0.5, 0.5, 0.9], "b": [0.6, 0.6, None]},
        "d2": {"a": [0.7, 0.7, 0.7], "b": [0.6, 0.6, 0.6]},
        "d3": {"a": [0.8, 0.8, 0.8], "b": [0.7, 0.7, 0.7]},
    }
    rows = pd.DataFrame([(d, s, "lr", fold, "gmean", v) for d, by in values.items() for s, folds in by.items()
                         for fold, v in enumerate(folds) if v is not None],
                        columns=["dataset", "oversampler", "classifier", "fold", "metric", "value"])
    text = "\n".join(rank_section(rows, "lr", "gmean", ["a", "b"], "a", tmp_path))
    assert "| d1 | 0.633 | 0.600 |" in text  # shown, each over its own folds
    assert "Mean ranks over 2 datasets" in text  # d2 and d3: "a" first on both
    ranks = text.split("Mean ranks over 2 datasets (1 = best, ties averaged):", 1)[1].splitlines()[4]
    assert [float(x) for x in ranks.strip("| ").split(" | ")] == [1.0, 2.0]
    assert not math.isnan(float(ranks.strip("| ").split(" | ")[0]))
