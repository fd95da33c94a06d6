"""Discrete columns stay within the generated class's own range (integrity item 10), without clipping."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from minority_gen import GANOversampler
from minority_gen.data import TableCodec
from minority_gen.persistence import ModelFileError
from minority_gen.tabular import MixedTableCodec

from .conftest import TINY
from .test_persistence import _rewrite


def _counts_table(seed=0, n0=300, n1=20):
    """An ``Int64`` count whose minority values lie in 2..13 (13 once); the majority's mostly in 0..2, a few 14-16."""
    rng = np.random.default_rng(seed)
    counts = np.r_[rng.poisson(0.7, n0 - 10), rng.integers(14, 17, 10), rng.integers(2, 13, n1)]
    counts[-1] = 13
    X = pd.DataFrame({"x0": np.r_[rng.normal(0, 1, n0), rng.normal(1, 1, n1)],
                      "x1": np.r_[rng.normal(0, 1, n0), rng.normal(1, 1, n1)],
                      "count": pd.array(counts, dtype="Int64"),
                      "kind": pd.Categorical(np.r_[rng.choice(list("abc"), n0), rng.choice(list("bc"), n1)])})
    return X, np.r_[np.zeros(n0, int), np.ones(n1, int)]


def test_the_interval_reaches_halfway_to_the_other_classes_levels_and_outside_reads_the_raw_value():
    X = np.tile(np.array([[0, 1.5], [1, 2.5], [2, 3.5], [5, 4.5], [7, 5.5], [9, 6.5]]), (2, 1))
    codec = TableCodec().fit(X)
    assert sorted(codec.levels_) == [0, 1]  # 12 rows, 6 distinct values: both columns are discrete
    # class rows 2..4: column 0 in 2..7 (levels 1 and 9 around it), column 1 in 3.5..5.5
    assert codec.class_ranges(X[2:5]) == [[0, 1.5, 8.0], [1, 3.0, 6.0]]
    # the data's own edges are left to decoding; a class that spans every level has no range
    assert codec.class_ranges(X[:3]) == [[0, None, 3.5], [1, None, 4.0]]
    assert codec.class_ranges(X) == []
    ranges = codec.class_ranges(X[2:5])
    rows = np.array([[1.5, 4.5], [1.6, 4.5], [8.0, 4.5], [8.1, 4.5], [5.0, 6.1], [5.0, 3.0]])  # raw, encoded below
    Z = (rows - codec.mean_) / codec.scale_
    # 1.5 is a tie that snaps to 1 (out), 1.6 snaps to 2, 8.0 to 7 (a tie goes down), 8.1 to 9; 6.1 and 3.0 out
    np.testing.assert_array_equal(codec.outside(Z, ranges), [True, False, False, True, True, True])
    below = codec.class_ranges(X[:3])
    Z = (np.array([[-40.0, 1.0], [3.6, 1.0], [1.0, 4.1]]) - codec.mean_) / codec.scale_
    np.testing.assert_array_equal(codec.outside(Z, below), [False, True, True])  # -40 snaps to the data's 0


def test_a_missing_value_is_never_outside():
    X = pd.DataFrame({"n": pd.array([0, 1, 0, 1, 2, 3, None, 3, 2, 3, 2, 2], dtype="Int64"), "v": np.arange(12.0)})
    codec = MixedTableCodec().fit(X)
    ranges = codec.class_ranges(X.iloc[4:])
    assert ranges == [[0, 1.5, None]]
    Z = codec.encode(pd.DataFrame({"n": pd.array([0, None, 3], dtype="Int64"), "v": [1.0, 2.0, 3.0]}))
    Z[1, 0] = Z[0, 0]  # a missing cell whose (unused) value would be 0
    np.testing.assert_array_equal(codec.outside(Z, ranges), [True, False, False])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_counts_stay_in_the_class_range_without_piling_on_its_edges(seed):
    X, y = _counts_table(seed)
    own = X["count"][y == 1].astype(float)
    # from noise, 300 steps: without the rule some counts fall below the class's 2..13 or 3..13, and 13 collects
    # the values that overshoot it (snapped to 13 up to 13.5, to the majority's 14-16 beyond)
    sampler = GANOversampler(n_iter=300, anchor=None, device="cpu", random_state=seed)
    X_res, _ = sampler.fit_resample(X, y)
    new = X_res["count"].iloc[len(X):].astype(float).to_numpy()
    assert len(new) == 280 and ((new >= own.min()) & (new <= own.max())).all()
    assert X_res["count"].dtype == pd.Int64Dtype()
    assert np.mean(new == own.max()) < 0.07  # not piled on the edge (the class: 0.05)
    assert sampler.model_.ranges[1] == [[2, own.min() - 0.5, 13.5]]  # the count's slot, after x0 and x1


def test_the_ranges_are_saved_and_an_edited_range_is_refused(tmp_path):
    X, y = _counts_table()
    sampler = GANOversampler(**{**TINY, "n_iter": 20}).fit(X, y)
    path = tmp_path / "m.mgz"
    sampler.save(path)
    loaded = GANOversampler.load(path)
    assert loaded.model_.ranges == sampler.model_.ranges
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=1), sampler.sample(50, random_state=1))
    with zipfile.ZipFile(path) as zf:
        state = json.loads(zf.read("state.json"))
    text = json.dumps(state)
    assert '"ranges"' in text
    bad = text.replace("[2, 1.5, 13.5]", "[99, 1.5, 13.5]")  # seed 0: the minority's counts lie in 2..13
    assert bad != text
    _rewrite(path, "state.json", bad.encode())
    with pytest.raises(ModelFileError, match="not \\[discrete column, low, high\\]"):
        GANOversampler.load(path)
