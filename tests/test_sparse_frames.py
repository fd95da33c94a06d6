"""DataFrames of sparse columns (read as numeric tables): ``sample`` and ``fit_resample`` give rows in the input's
frame, with its exact column Index and dtypes (sparse stays sparse, with its fill value), before and after
save / load; model files saved before the frame was stored load as before."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from minority_gen import GANOversampler
from minority_gen.data import TableCodec
from minority_gen.jsonstate import StateError, from_json, to_json

Y = np.array([0] * 24 + [1] * 8)


def sparse_frame(columns, dtypes=None) -> pd.DataFrame:
    rng = np.random.RandomState(0)
    X = rng.rand(len(Y), len(columns)) * 5
    X[X < 2.5] = 0
    dtypes = dtypes or [pd.SparseDtype("float64", 0.0)] * len(columns)
    df = pd.DataFrame({j: pd.Series(X[:, j]).astype(d) for j, d in enumerate(dtypes)})
    df.columns = columns
    return df


def fitted(X) -> tuple[GANOversampler, object]:
    sampler = GANOversampler(n_iter=2, hidden_dims=(8,), batch_size=8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res, _ = sampler.fit_resample(X, Y)
    return sampler, X_res


def assert_same_frame(out, like: pd.DataFrame) -> None:
    assert isinstance(out, pd.DataFrame)
    assert type(out.columns) is type(like.columns) and out.columns.equals(like.columns)
    assert out.columns.dtype == like.columns.dtype and list(out.columns.names) == list(like.columns.names)
    assert list(out.dtypes) == list(like.dtypes)
    assert [str(d) for d in out.dtypes] == [str(d) for d in like.dtypes]  # the fill value's own type too


COLUMNS = {
    "named str": pd.Index(["a", "b", "c"], name="features"),
    "str": pd.Index(["a", "b", "c"]),
    "range": pd.RangeIndex(3),
    "ints": pd.Index([10, 20, 30]),
    "multi": pd.MultiIndex.from_tuples([("x", 1), ("x", 2), ("y", 1)], names=["g", "k"]),
}


@pytest.mark.parametrize("columns", COLUMNS.values(), ids=COLUMNS.keys())
def test_sample_gives_the_inputs_frame_like_fit_resample(columns, tmp_path):
    X = sparse_frame(columns)
    sampler, X_res = fitted(X)
    assert_same_frame(X_res, X)
    out = sampler.sample(5, y=1, random_state=1)
    assert_same_frame(out, X)
    assert len(out) == 5
    sampler.save(tmp_path / "m.mg")
    loaded = GANOversampler.load(tmp_path / "m.mg")
    back = loaded.sample(5, y=1, random_state=1)
    assert_same_frame(back, X)
    pd.testing.assert_frame_equal(back, out)


def test_subtypes_and_fill_values_are_kept(tmp_path):
    dtypes = [pd.SparseDtype("float32", np.float32(0)), pd.SparseDtype("int64", 0), pd.SparseDtype("float64", 0)]
    X = sparse_frame(pd.Index(["f32", "i64", "f64"], name="n"), dtypes)
    sampler, X_res = fitted(X)
    assert_same_frame(X_res, X)
    pd.testing.assert_frame_equal(X_res.iloc[:len(X)], X)  # the original rows, unchanged and first
    out = sampler.sample(4, y=1, random_state=0)
    assert_same_frame(out, X)
    assert all(out[c].sparse.fill_value == X[c].sparse.fill_value for c in X.columns)
    sampler.save(tmp_path / "m.mg")
    assert_same_frame(GANOversampler.load(tmp_path / "m.mg").sample(4, y=1, random_state=0), X)


def test_renaming_the_output_leaves_the_sampler_alone():
    X = sparse_frame(pd.Index(["a", "b", "c"], name="features"))
    sampler, _ = fitted(X)
    out = sampler.sample(2, y=1)
    out.columns.name = "changed"
    assert sampler.sample(2, y=1).columns.name == "features"


@pytest.mark.parametrize("X", [np.abs(np.random.RandomState(0).randn(len(Y), 3)),
                               sp.csr_matrix(np.eye(len(Y), 3))], ids=["array", "csr"])
def test_arrays_and_matrices_store_no_frame(X):
    sampler, _ = fitted(X)
    assert not hasattr(sampler.codec_, "columns_index_") and not hasattr(sampler.codec_, "frame_dtypes_")
    assert not isinstance(sampler.sample(2, y=1), pd.DataFrame)


def test_a_model_file_without_the_frame_loads_as_before(tmp_path):
    X = sparse_frame(pd.Index(["a", "b", "c"], name="features"))
    sampler, _ = fitted(X)
    del sampler.codec_.columns_index_, sampler.codec_.frame_dtypes_  # as a model file saved before they existed
    sampler.save(tmp_path / "old.mg")
    out = GANOversampler.load(tmp_path / "old.mg").sample(3, y=1)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["a", "b", "c"]
    assert list(out.dtypes) == [np.dtype("float64")] * 3


@pytest.mark.parametrize("dtype", [pd.SparseDtype("float64", 0), pd.SparseDtype("float64", 0.0),
                                   pd.SparseDtype("float32", np.float32(0)), pd.SparseDtype("int32", 0),
                                   pd.SparseDtype("float64", np.nan), pd.SparseDtype("bool", False)])
def test_sparse_dtypes_come_back_with_their_fill_value(dtype):
    back = from_json(to_json(dtype))
    assert back == dtype and str(back) == str(dtype) and type(back.fill_value) is type(dtype.fill_value)


@pytest.mark.parametrize("entry", [
    {"$": "dtype", "sparse": {"subtype": {"$": "dtype", "numpy": "|O"}, "fill": 0}},
    {"$": "dtype", "sparse": {"subtype": {"$": "dtype", "numpy": "<f8"}, "fill": "zero"}},
    {"$": "dtype", "sparse": {"subtype": {"$": "dtype", "numpy": "<f8"}, "fill": [0]}},
])
def test_a_bad_sparse_dtype_entry_is_refused(entry):
    with pytest.raises(StateError):
        from_json(entry)


def test_a_frame_that_does_not_fit_the_codec_is_refused():
    codec = TableCodec().fit(np.eye(4, 2))
    codec.columns_index_, codec.frame_dtypes_ = pd.RangeIndex(3), [pd.SparseDtype("float64", 0.0)] * 3
    with pytest.raises(StateError, match="do not fit its 2 columns"):
        from_json(to_json(codec))
