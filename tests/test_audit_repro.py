"""Audit of reproducibility and save/load fidelity: ``sample()`` gives back the input's column Index, before and
after saving; files saved before that keep loading as they did; the same seed gives the same rows whatever the
container; a fit leaves the caller's random state and thread count alone; saving is deterministic."""

from __future__ import annotations

import hashlib
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch

from minority_gen import GANOversampler
from minority_gen.jsonstate import StateError, from_json, to_json
from minority_gen.persistence import ModelFileError
from minority_gen.tabular import own_columns

FAST = dict(n_iter=5, batch_size=16, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)


def _data(n_columns=2, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (40, n_columns)), rng.normal(2, 1, (12, n_columns))])
    return X, np.r_[np.zeros(40, int), np.ones(12, int)]


INDEXES = {
    "tuples in a flat Index": pd.Index([("a", 1), ("b", 2)], tupleize_cols=False),
    "a named Index": pd.Index(["a", "b"], name="feature"),
    "an object Index": pd.Index(["a", "b"], dtype=object),
    "a RangeIndex": pd.RangeIndex(2),
    "a named MultiIndex": pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["x", "y"]),
    "a CategoricalIndex": pd.CategoricalIndex(["b", "a"]),
}


def _frame(columns) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = _data()
    df = pd.DataFrame(X, columns=columns)
    df[df.columns[1]] = np.where(X[:, 1] > 1, "hi", "lo")  # a mixed table: a text column beside a number
    return df, y


def _assert_same_frame(out, ref):
    assert isinstance(out, pd.DataFrame)
    pd.testing.assert_index_equal(out.columns, ref.columns, exact=True, check_names=True)
    assert out.columns.names == ref.columns.names
    assert out.dtypes.tolist() == ref.dtypes.tolist()


# --------------------------------------------------------------------------
# sample() gives back the input's column Index, before and after save / load
# --------------------------------------------------------------------------
@pytest.mark.parametrize("columns", INDEXES.values(), ids=INDEXES.keys())
def test_sample_and_loaded_sample_give_the_input_column_index(columns, tmp_path):
    df, y = _frame(columns)
    sampler = GANOversampler(**FAST)
    X_res, _ = sampler.fit_resample(df, y)
    out = sampler.sample(6, y=1, random_state=3)
    _assert_same_frame(X_res, df)  # fit_resample did already
    _assert_same_frame(out, df)
    sampler.save(tmp_path / "m.mgz")
    loaded = GANOversampler.load(tmp_path / "m.mgz").sample(6, y=1, random_state=3)
    _assert_same_frame(loaded, df)
    pd.testing.assert_frame_equal(loaded, out, check_exact=True)
    _assert_same_frame(pickle.loads(pickle.dumps(sampler)).sample(2, y=1, random_state=0), df)


def test_renaming_a_sample_columns_leaves_the_next_sample_alone():
    df, y = _frame(pd.Index(["a", "b"], name="feature"))
    sampler = GANOversampler(**FAST).fit(df, y)
    out = sampler.sample(2, y=1, random_state=0)
    out.columns.name = "changed"
    assert sampler.sample(2, y=1, random_state=0).columns.name == "feature"
    assert df.columns.name == "feature"


def test_a_file_without_the_column_index_loads_as_before(tmp_path):
    """A model file written before the codec kept the column Index rebuilds it from the names, as then."""
    df, y = _frame(pd.Index([("a", 1), ("b", 2)], tupleize_cols=False))
    sampler = GANOversampler(**FAST).fit(df, y)
    del sampler.codec_.columns_index_  # what the codec held before
    sampler.save(tmp_path / "old.mgz")
    with zipfile.ZipFile(tmp_path / "old.mgz") as zf:
        assert b"columns_index_" not in zf.read("state.json")
    out = GANOversampler.load(tmp_path / "old.mgz").sample(3, y=1, random_state=0)
    assert isinstance(out.columns, pd.MultiIndex) and list(out.columns) == [("a", 1), ("b", 2)]


def test_plain_column_names_store_no_column_index(tmp_path):
    """A table whose names rebuild its Index keeps the file it had (older readers of format 2 still load it)."""
    df, y = _frame(pd.Index(["a", "b"]))
    sampler = GANOversampler(**FAST).fit(df, y)
    assert not hasattr(sampler.codec_, "columns_index_")
    sampler.save(tmp_path / "m.mgz")
    with zipfile.ZipFile(tmp_path / "m.mgz") as zf:
        assert b"columns_index_" not in zf.read("state.json")


def test_own_columns_only_where_names_do_not_rebuild_the_index():
    assert own_columns(pd.Index(["a", "b"])) is None
    assert own_columns(pd.Index([3, 7])) is None
    for columns in INDEXES.values():
        own = own_columns(columns)
        assert own is not None and own is not columns
        pd.testing.assert_index_equal(own, columns, exact=True)


@pytest.mark.parametrize("index", [
    *INDEXES.values(), pd.RangeIndex(2, 10, 2, name="r"), pd.Index(["a", None], dtype="string", name=("n", 1)),
    pd.Index([1.5, np.nan]), pd.Index([1, None], dtype="Int64"), pd.Index(["a", 1], dtype=object),
    pd.CategoricalIndex(["b", "a"], categories=["a", "b", "z"], ordered=True, name="c"),
    pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["x", None]),
], ids=lambda i: f"{type(i).__name__}-{i.dtype}-{list(i.names)}")
def test_an_index_comes_back_from_json_exactly(index):
    back = from_json(json.loads(json.dumps(to_json(index))))
    pd.testing.assert_index_equal(back, index, exact=True)
    assert back.names == index.names


@pytest.mark.parametrize("entry", [
    {"$": "Index", "range": ["0", 2, 1], "name": None},
    {"$": "Index", "range": [0, 2, 0], "name": None},
    {"$": "Index", "levels": [{"$": "dict", "items": []}], "codes": [], "names": [None]},
    {"$": "Index", "dtype": {"$": "dtype", "numpy": "<i8"}, "values": {"$": "tuple", "items": []}, "name": None},
])
def test_a_damaged_index_entry_is_refused(entry):
    with pytest.raises(StateError):
        from_json(entry)


def _entries(value, tag):
    """Every JSON object tagged ``tag`` inside ``value``."""
    if isinstance(value, dict):
        if value.get("$") == tag:
            yield value
        for v in value.values():
            yield from _entries(v, tag)
    elif isinstance(value, list):
        for v in value:
            yield from _entries(v, tag)


def test_a_column_index_that_does_not_fit_the_columns_is_refused(tmp_path):
    df, y = _frame(pd.RangeIndex(2))
    sampler = GANOversampler(**FAST).fit(df, y)
    sampler.save(tmp_path / "m.mgz")
    with zipfile.ZipFile(tmp_path / "m.mgz") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    state = json.loads(members["state.json"])
    ranges = list(_entries(state, "Index"))
    assert [r["range"] for r in ranges] == [[0, 2, 1]]
    ranges[0]["range"] = [0, 3, 1]
    members["state.json"] = json.dumps(state).encode()
    manifest = json.loads(members["manifest.json"])
    manifest["sha256"]["state.json"] = hashlib.sha256(members["state.json"]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "edited.mgz", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ModelFileError, match="edited.mgz.*column Index RangeIndex.*does not fit its 2 columns"):
        GANOversampler.load(tmp_path / "edited.mgz")
    sampler.codec_.columns_index_ = "ab"
    with pytest.raises(StateError, match="does not fit"):
        from_json(to_json(sampler.codec_))


# --------------------------------------------------------------------------
# the same seed, the same rows (guards of what was found to hold)
# --------------------------------------------------------------------------
def test_numpy_pandas_list_and_float32_give_the_same_rows():
    X, y = _data(3)
    base = GANOversampler(**FAST).fit_resample(X, y)[0]
    assert np.array_equal(GANOversampler(**FAST).fit_resample(X.tolist(), y)[0], base)
    frame = GANOversampler(**FAST).fit_resample(pd.DataFrame(X, columns=list("abc")), y)[0]
    assert np.array_equal(frame.to_numpy(), base)
    X32 = X.astype(np.float32)  # the same numbers in either dtype: the same rows, in the input's dtype
    out32 = GANOversampler(**FAST).fit_resample(X32, y)[0]
    assert out32.dtype == np.float32
    assert np.array_equal(out32, GANOversampler(**FAST).fit_resample(X32.astype(np.float64), y)[0].astype(np.float32))


def test_a_fit_leaves_the_callers_random_state_and_threads_alone():
    X, y = _data(3)
    threads = torch.get_num_threads()
    np.random.seed(11)
    torch.manual_seed(11)
    np_state, torch_state = np.random.get_state(), torch.get_rng_state()
    sampler = GANOversampler(**FAST).fit(X, y)
    sampler.sample(4, random_state=2)
    after = np.random.get_state()
    assert np.array_equal(after[1], np_state[1]) and after[2] == np_state[2]
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert torch.get_num_threads() == threads


def test_generator_random_state_is_refused_in_words():
    X, y = _data(3)
    with pytest.raises(ValueError, match="random_state"):
        GANOversampler(**{**FAST, "random_state": np.random.default_rng(0)}).fit(X, y)


@pytest.mark.parametrize("random_state", [-1, 2 ** 32, True, 1.5, "0", np.random.default_rng(0)])
def test_sample_refuses_a_random_state_it_cannot_seed_from_naming_it(random_state):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), np.r_[np.zeros(30, int), np.ones(10, int)]
    sampler = GANOversampler(n_iter=2, hidden_dims=(8,), random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"random_state must be None, an int in \[0, 4294967295\] or a np.random"):
        sampler.sample(3, random_state=random_state)
    np.testing.assert_array_equal(sampler.sample(3, random_state=np.uint32(7)), sampler.sample(3, random_state=7))
    assert len(sampler.sample(3, random_state=np.random.RandomState(1))) == 3
