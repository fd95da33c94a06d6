"""A DataFrame of plain numbers is compared as its array: scaled before the sampler, SMOTE and friends allowed.
Before, every DataFrame took the mixed path, so ``load_breast_cancer(as_frame=True)`` had SMOTE refused with a
message about categorical or missing values it does not have, and ROS scored otherwise than on the array."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minority_gen.evaluation import compare_oversamplers


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.integers(0, 50, 120), "c": rng.normal(size=120) * 1e3})
    y = (np.arange(120) < 20).astype(int)
    X.loc[y == 1, "a"] += 1.5
    return X, y


def scores(X, y, samplers):
    out = compare_oversamplers(X, y, samplers, ["logreg"], cv=3, progress=False)
    return out[out.metric != "fit_time_s"].reset_index(drop=True)


def test_a_frame_of_numbers_scores_as_its_array(table):
    X, y = table
    samplers = ["none", "ros", "smote"]
    pd.testing.assert_frame_equal(scores(X, y, samplers), scores(X.to_numpy(), y, samplers))


@pytest.mark.parametrize("change", ["missing", "bool", "nullable", "category"])
def test_a_frame_with_other_columns_stays_a_mixed_table(table, change):
    X, y = table
    X = X.copy()
    if change == "missing":
        X.loc[3, "a"] = np.nan
    elif change == "bool":
        X["d"] = X["b"] > 25
    elif change == "nullable":
        X["b"] = X["b"].astype("Int64")
    else:
        X["d"] = pd.Categorical(np.where(X["b"] > 25, "hi", "lo"))
    with pytest.raises(ValueError, match="need an all-numeric table without missing values"):
        compare_oversamplers(X, y, ["smote"], ["logreg"], cv=3, progress=False)
    assert len(scores(X, y, ["ros"]))  # resampled as it is
