"""Issue 11, part 5: property-based fuzzing of ``GANOversampler.fit_resample`` (hypothesis).

Every generated case (a table, its labels, a sampling strategy and the
estimator's parameters) must end in one of two ways:

* a clear ``ValueError`` / ``TypeError`` raised by minority_gen's own checks
  or by the scikit-learn / imbalanced-learn validation it calls, before or
  instead of a result (never an error from deep inside torch, numpy or
  pandas, never another exception type); or
* a valid output: the original rows first and unchanged, exactly the counts
  that imbalanced-learn's ``check_sampling_strategy`` gives for the
  strategy, finite numbers (missing only where the column had missing
  values), observed levels only, and the containers and dtypes of the input.

The runs are derandomised (the same cases on every run, so CI is
reproducible) and have no deadline; the case counts below add up to more
than 1,000. ``--hypothesis-show-statistics`` prints how the cases ended
(``benchmarks/results/fuzz.md``).
"""

from __future__ import annotations

import re
import traceback
from collections import Counter
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from imblearn.utils import check_sampling_strategy

import minority_gen.plan as plan
from minority_gen import GANOversampler

real_train_gan = plan.train_gan

#: Modules whose ValueError / TypeError counts as a clear, intended refusal.
CLEAR_SOURCES = (
    "minority_gen",
    "sklearn/utils/_param_validation",
    "sklearn/utils/validation",
    "sklearn/utils/multiclass",
    "imblearn/utils/_validation",
)

FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TINY = dict(n_iter=2, batch_size=8, latent_dim=2, hidden_dims=(4,), device="cpu")


# --------------------------------------------------------------------------- the oracle
#: Numbers and quoted names in a message, so that the statistics group messages of one kind.
_GENERIC = re.compile(r"-?[0-9][0-9.e+]*|'[^']*'")


def _raised_in(err: BaseException) -> str:
    return traceback.extract_tb(err.__traceback__)[-1].filename.replace("\\", "/")


def run_case(X, y, **params):
    """``fit_resample`` under the oracle; returns the output, or ``None`` after a clear refusal."""
    sampler = GANOversampler(**{**TINY, **params})
    trained = []

    def train_gan(*args, **kwargs):
        trained.append(True)
        return real_train_gan(*args, **kwargs)

    try:
        with mock.patch.object(plan, "train_gan", train_gan):
            out = sampler.fit_resample(X, y)
    except (ValueError, TypeError) as err:
        where = _raised_in(err)
        assert any(src in where for src in CLEAR_SOURCES), (
            f"{type(err).__name__} from {where}, not from a validation step: {err}")
        assert not trained, f"refused only after training had started: {err}"
        message = str(err)
        assert len(message) > 20 and "Traceback" not in message, f"unclear message: {message!r}"
        event(f"refused: {type(err).__name__}: {_GENERIC.sub('#', message)[:50]}")
        return None
    event("valid output")
    check_output(X, y, out, sampler.sampling_strategy)
    return out


def _labels(y) -> np.ndarray:
    """The labels as a 1-D array of their natural dtype (as the sampler reads them)."""
    return np.asarray(list(y.to_numpy() if hasattr(y, "to_numpy") else y))


def check_output(X, y, out, strategy) -> None:
    X_res, y_res = out
    n = len(y)
    y_in = _labels(y)
    # container and counts -------------------------------------------------
    assert type(X_res) is type(X) and type(y_res) is type(y)
    expected = Counter(y_in.tolist())
    for cls, extra in check_sampling_strategy(
            strategy(y_in) if callable(strategy) else strategy, y_in, "over-sampling").items():
        expected[cls] += extra
    got = _labels(y_res)
    assert Counter(got.tolist()) == expected
    np.testing.assert_array_equal(got[:n], y_in)  # labels of the original rows kept, in order
    assert len(X_res) == len(got)
    # rows: originals first and unchanged, new rows plausible ----------------
    if isinstance(X, pd.DataFrame):
        assert list(X_res.columns) == list(X.columns)
        assert list(X_res.dtypes) == list(X.dtypes)
        pd.testing.assert_frame_equal(X_res.iloc[:n].reset_index(drop=True), X.reset_index(drop=True))
        new = X_res.iloc[n:]
        for col in X.columns:
            _check_new_column(X[col].to_numpy(dtype=object), new[col].to_numpy(dtype=object), str(X[col].dtype))
    elif isinstance(X, np.ndarray):
        assert X_res.dtype == X.dtype and X_res.shape[1:] == X.shape[1:]
        np.testing.assert_array_equal(X_res[:n], X)
        width = X[0].size  # images: one pixel a column
        flat_in, flat_new = X.reshape(n, width), X_res[n:].reshape(len(X_res) - n, width)
        for j in range(flat_in.shape[1]):
            _check_new_column(flat_in[:, j].astype(object), flat_new[:, j].astype(object), str(X.dtype))
    else:  # a list of rows
        assert X_res[:n] == X or _same_with_nan(X_res[:n], X)
        arr_in, arr_new = np.asarray(X, dtype=object), np.asarray(X_res[n:], dtype=object).reshape(-1, len(X[0]))
        for j in range(arr_in.shape[1]):
            _check_new_column(arr_in[:, j], arr_new[:, j], "list")


def _same_with_nan(a, b) -> bool:
    return pd.DataFrame(a, dtype=object).equals(pd.DataFrame(b, dtype=object))


def _missing(values: np.ndarray) -> np.ndarray:
    return np.array([v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) for v in values], dtype=bool)


def _check_new_column(real: np.ndarray, new: np.ndarray, dtype: str) -> None:
    if not len(new):
        return
    real_missing, new_missing = _missing(real), _missing(new)
    assert real_missing.any() or not new_missing.any(), f"missing values generated in a complete column ({dtype})"
    present_real, present_new = real[~real_missing], new[~new_missing]
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
                  for v in present_real)
    if numeric and len(present_real):
        values = np.asarray(present_new, dtype=np.float64)
        assert np.isfinite(values).all(), f"non-finite generated values ({dtype})"
        lo, hi = np.min(present_real.astype(np.float64)), np.max(present_real.astype(np.float64))
        span = max(hi - lo, abs(hi), abs(lo), 1.0)
        assert np.all(np.abs(values) <= abs(hi) + abs(lo) + 1e3 * span), f"absurd generated values ({dtype})"
        if lo == hi:
            assert np.all(values == lo), "a constant column did not stay constant"
    else:  # booleans, strings, categories: observed levels only
        levels = set(present_real.tolist())
        assert set(present_new.tolist()) <= levels, f"unseen levels generated ({dtype})"


# --------------------------------------------------------------------------- data strategies
LABEL_KINDS = ("int", "negative", "str", "bool", "float")


@st.composite
def labels(draw, n_classes=(1, 2, 2, 2, 3, 3, 4, 6), sizes=(1, 2, 3, 3, 4, 5, 6, 8, 10, 12, 15)):
    """Labels of 1 to 6 classes (mostly 2 or 3) of 1 to 15 rows, of every label kind, in three containers."""
    kind = draw(st.sampled_from(LABEL_KINDS))
    n_classes = 2 if kind == "bool" else draw(st.sampled_from(n_classes))
    sizes = draw(st.lists(st.sampled_from(sizes), min_size=n_classes, max_size=n_classes))
    names = {
        "int": list(range(n_classes)),
        "negative": [-1 - 2 * i for i in range(n_classes)],
        "str": [f"c{i}" for i in range(n_classes)],
        "bool": [False, True],
        "float": [float(i) for i in range(n_classes)],
    }[kind]
    y = np.repeat(np.array(names, dtype=object if kind == "str" else None), sizes)
    order = draw(st.permutations(range(len(y))))
    y = y[list(order)]
    container = draw(st.sampled_from(("ndarray", "list", "series")))
    if container == "list":
        return y.tolist()
    if container == "series":
        return pd.Series(y, name="target")
    return y


def strategies_for(y):
    """Sampling strategies: the named ones, ratios, dicts (good and bad), callables."""
    y_arr = _labels(y)
    classes = sorted(set(y_arr.tolist()), key=str)
    sizes = Counter(y_arr.tolist())
    some = st.sampled_from(classes)
    as_dict = st.dictionaries(some, st.one_of(st.integers(-1, 30), st.floats(0, 30), st.just("5")), max_size=3)
    grow_dict = st.dictionaries(some, st.integers(0, 6), max_size=3).map(
        lambda d: {c: sizes[c] + k for c, k in d.items()})
    return st.one_of(
        st.sampled_from(("auto", "minority", "not majority", "not minority", "all", "majority")),
        st.floats(0.0, 1.5),
        grow_dict, as_dict,
        st.sampled_from(("bad", lambda y: {}, lambda y: "minority")),
        grow_dict.map(lambda d: (lambda y_: d)),
        st.just({"no such class": 3}),
        st.sampled_from(classes).map(lambda c: {c: 10 ** 13}),  # more rows than any memory holds
    )


VALUE_KINDS = ("normal", "constant", "duplicate", "tiny", "huge", "too_huge", "integer", "nan", "inf", "negative")


def _numeric_column(draw, kind: str, n: int, previous: list[np.ndarray]) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    if kind == "duplicate" and previous:
        return previous[-1].copy()
    col = rng.normal(0, 1, n)
    if kind == "constant":
        col = np.full(n, draw(st.sampled_from((0.0, 3.5, -1e6))))
    elif kind == "tiny":
        col = col * 1e-12
    elif kind == "huge":
        col = col * 1e12
    elif kind == "too_huge":
        col = col * 1e200
    elif kind == "integer":
        col = rng.integers(-5, 6, n).astype(np.float64)
    elif kind == "negative":
        col = -np.abs(col) - 1e4
    elif kind in ("nan", "inf"):
        col[rng.random(n) < 0.3] = np.nan if kind == "nan" else np.inf
    return col


@st.composite
def numeric_arrays(draw, n: int):
    n_cols = draw(st.integers(1, 4))
    cols: list[np.ndarray] = []
    for _ in range(n_cols):
        cols.append(_numeric_column(draw, draw(st.sampled_from(VALUE_KINDS)), n, cols))
    X = np.column_stack(cols)
    dtype = draw(st.sampled_from(("float64", "float32", "int64", "uint8", "bool")))
    if dtype in ("int64", "uint8", "bool"):
        if not np.isfinite(X).all() or np.abs(X).max(initial=0) > 1e15:
            dtype = "float64"
        else:
            X = np.abs(np.round(X)) if dtype == "uint8" else np.round(X)
            X = (X > 0) if dtype == "bool" else np.clip(X, -1e15, 255 if dtype == "uint8" else 1e15)
    with np.errstate(over="ignore", invalid="ignore"):
        return X.astype(dtype)


@st.composite
def frames(draw, n: int):
    n_cols = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    data, previous = {}, []
    for j in range(n_cols):
        kind = draw(st.sampled_from((*VALUE_KINDS, "category", "string", "object", "bool", "Int64", "all_missing")))
        name = f"f{j}"
        if kind == "category":
            data[name] = pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c", "d"])
        elif kind == "string":
            data[name] = pd.array(rng.choice(["x", "y"], n), dtype="string")
        elif kind == "object":
            values = rng.choice(["p", "q", "r"], n).astype(object)
            values[rng.random(n) < 0.2] = None
            data[name] = values
        elif kind == "bool":
            data[name] = rng.random(n) < 0.5
        elif kind == "Int64":
            values = pd.array(rng.integers(0, 4, n), dtype="Int64")
            values[rng.random(n) < 0.2] = pd.NA
            data[name] = values
        elif kind == "all_missing":
            data[name] = np.full(n, np.nan)
        else:
            previous.append(_numeric_column(draw, kind, n, previous))
            data[name] = previous[-1]
    frame = pd.DataFrame(data)
    if draw(st.booleans()) and n_cols > 1:  # duplicated column names
        frame.columns = ["dup"] * n_cols
    return frame


@st.composite
def cases(draw, tables):
    y = draw(labels())
    X = draw(tables(len(y)))
    strategy = draw(strategies_for(y))
    container = draw(st.sampled_from(("as drawn", "list"))) if isinstance(X, np.ndarray) else "as drawn"
    if container == "list":
        X = X.tolist()
    return X, y, strategy


METHODS = ("rumi", "lsgan", "rumi-sgan", "acgan", "projection", "amgan", "cagan", "labelgan", "tacgan", "uacgan")


@st.composite
def parameters(draw):
    """Estimator parameters, valid and not: each refused one must fail before training."""
    p = {"method": draw(st.sampled_from(METHODS + ("no-such-method",)))}
    optional = {
        "n_iter": st.sampled_from((0, 1, 2, -1, 2.5)),
        "batch_size": st.sampled_from((1, 2, 5, 8, 0, "8")),
        "latent_dim": st.sampled_from((1, 2, 0)),
        "hidden_dims": st.sampled_from(((4,), (4, 4), [3], (), (0,), "4")),
        "pac": st.sampled_from(("auto", 1, 2, 3, 0)),
        "lr_g": st.sampled_from((1e-4, 1e-2, 0.0, -1.0)),
        "n_critic": st.sampled_from((1, 2, 0)),
        "ema": st.sampled_from((None, 0.5, 0.0, 1.0)),
        "selection": st.sampled_from(("last", "quality", "best")),
        "patience": st.sampled_from((None, 1)),
        "eval_every": st.sampled_from((None, 1)),
        "spectral_norm": st.booleans(),
        "filter": st.sampled_from((None, "copies", "knn", "copies,knn", "nonsense")),
        "continuous": st.sampled_from(("standard", "modes", "other")),
        "label_sampling": st.sampled_from(("balanced", "empirical")),
        "random_state": st.integers(0, 3),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=4)):
        p[name] = draw(optional[name])
    return p


# --------------------------------------------------------------------------- the fuzz tests (> 1,000 cases)
@settings(FUZZ, max_examples=400)
@given(case=cases(numeric_arrays), random_state=st.integers(0, 3))
def test_fuzz_numeric_arrays_and_lists(case, random_state):
    X, y, strategy = case
    run_case(X, y, sampling_strategy=strategy, random_state=random_state)


@settings(FUZZ, max_examples=350)
@given(case=cases(frames), random_state=st.integers(0, 3))
def test_fuzz_dataframes_of_mixed_types(case, random_state):
    X, y, strategy = case
    run_case(X, y, sampling_strategy=strategy, random_state=random_state)


@settings(FUZZ, max_examples=300)
@given(y=labels(n_classes=(2, 3), sizes=(2, 4, 6, 9)), params=parameters(), data=st.data())
def test_fuzz_parameters(y, params, data):
    X = data.draw(st.one_of(numeric_arrays(len(y)), frames(len(y))))
    run_case(X, y, **params)


@st.composite
def image_cases(draw):
    """Image arrays of supported and unsupported sizes, in every layout, uint8 or float, sometimes broken."""
    y = draw(labels(n_classes=(2, 2, 3), sizes=(1, 2, 3, 5)))
    n = len(y)
    h, w = draw(st.sampled_from(((16, 16), (16, 20), (20, 20), (12, 12), (16, 17), (8, 8))))
    channels = draw(st.sampled_from((None, 1, 3, 5)))
    shape = (n, h, w) if channels is None else (n, h, w, channels)
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    kind = draw(st.sampled_from(("uint8", "float", "float", "nan", "out_of_range")))
    X = rng.random(shape).astype(np.float32)
    if kind == "uint8":
        X = (X * 255).astype(np.uint8)
    elif kind == "nan":
        X[0, 0, 0] = np.nan
    elif kind == "out_of_range":
        X = X * 255
    if channels is not None and draw(st.booleans()):
        X = np.ascontiguousarray(np.moveaxis(X, -1, 1))  # channels first
    return X, y, draw(st.sampled_from(("auto", "minority", {y[0]: n})))


@settings(FUZZ, max_examples=120)
@given(case=image_cases(), method=st.sampled_from(("rumi", "acgan")), diffaugment=st.sampled_from(("auto", None)))
def test_fuzz_image_arrays(case, method, diffaugment):
    X, y, strategy = case
    out = run_case(X, y, sampling_strategy=strategy, method=method, diffaugment=diffaugment, n_iter=1, batch_size=4)
    if out is not None:
        X_res = out[0]
        lo, hi = (0, 255) if X.dtype == np.uint8 else (float(X.min()), float(X.max()))
        assert X_res.min() >= lo and X_res.max() <= hi, "generated pixels outside the input's range"


# --------------------------------------------------------------------------- the oracle itself is tested
def test_the_oracle_rejects_an_error_from_deep_inside_a_library():
    with pytest.raises(AssertionError, match="not from a validation step"):
        try:
            np.empty((2, 2)).reshape(3)
        except ValueError as err:
            assert any(src in _raised_in(err) for src in CLEAR_SOURCES), (
                f"{type(err).__name__} from {_raised_in(err)}, not from a validation step")


def test_the_oracle_rejects_wrong_counts_lost_rows_and_bad_values():
    X = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]])
    y = np.array([0, 0, 1])
    good = (np.vstack([X, [[2.0, 3.0]]]), np.array([0, 0, 1, 1]))
    check_output(X, y, good, "auto")
    bad_outputs = {
        "count": (np.vstack([X, [[2.0, 3.0]] * 2]), np.array([0, 0, 1, 1, 1])),
        "original rows changed": (np.vstack([X * 2, [[2.0, 3.0]]]), np.array([0, 0, 1, 1])),
        "non-finite": (np.vstack([X, [[np.inf, 3.0]]]), np.array([0, 0, 1, 1])),
        "absurd": (np.vstack([X, [[1e9, 3.0]]]), np.array([0, 0, 1, 1])),
        "dtype": (np.vstack([X, [[2.0, 3.0]]]).astype(np.float32), np.array([0, 0, 1, 1])),
    }
    for name, out in bad_outputs.items():
        with pytest.raises(AssertionError):
            check_output(X, y, out, "auto")
            pytest.fail(f"the oracle accepted a wrong output ({name})")


def test_the_oracle_rejects_unseen_levels_and_missing_values_in_complete_columns():
    X = pd.DataFrame({"a": pd.Categorical(["u", "v", "v"], categories=["u", "v", "w"]), "b": [1.0, 2.0, 3.0]})
    y = pd.Series([0, 0, 1])
    new_level = pd.concat([X, pd.DataFrame({"a": pd.Categorical(["w"], categories=["u", "v", "w"]), "b": [2.0]})],
                          ignore_index=True)
    missing = pd.concat([X, pd.DataFrame({"a": pd.Categorical(["u"]), "b": [np.nan]})], ignore_index=True)
    missing["a"] = missing["a"].astype(X["a"].dtype)
    for out in (new_level, missing):
        with pytest.raises(AssertionError):
            check_output(X, y, (out, pd.Series([0, 0, 1, 1])), "auto")
