"""pandas input and output fidelity: unusual dtypes, column names and labels (audit of the mixed-table path)."""

from __future__ import annotations

import datetime
import decimal
import fractions
import warnings

import numpy as np
import pandas as pd
import pytest

from minority_gen import GANOversampler
from minority_gen.data import TableCodec
from minority_gen.tabular import MixedTableCodec


def tiny(**params) -> GANOversampler:
    """A sampler that trains in well under a second."""
    return GANOversampler(**{"n_iter": 5, "hidden_dims": (8,), "batch_size": 16, "random_state": 0, **params})


def labels(n=40, n_min=10):
    return np.r_[np.zeros(n - n_min, int), np.ones(n_min, int)]


def test_uint64_column_above_int64_range_decodes():
    """A nullable UInt64 column with values above int64's largest went through int64 on output: pandas refused
    the cast ("cannot safely cast non-equivalent int64 to uint64") after the whole fit."""
    big = np.uint64(10**19) + np.arange(40, dtype=np.uint64) * np.uint64(10**12)
    X = pd.DataFrame({"U": pd.array(big, dtype="UInt64"), "x": np.linspace(0, 1, 40)})
    X_res, _ = tiny().fit_resample(X, labels())
    assert X_res.dtypes.equals(X.dtypes)
    new = X_res["U"].iloc[len(X):].astype(float)
    assert new.between(float(big.min()), float(big.max())).all()


@pytest.mark.parametrize("dtype", [np.float16, "Float32"])
def test_narrow_float_column_never_decodes_to_inf(dtype):
    """A float16 (or Float32) value generated past the type's largest became inf on the cast back."""
    top = 6.0e4 if dtype == np.float16 else 3.3e38
    X = pd.DataFrame({"h": pd.array(np.linspace(top * 0.9, top, 40).astype(np.float32 if dtype != np.float16
                                                                            else np.float16), dtype=dtype)})
    codec = MixedTableCodec().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the old cast warned of the overflow
        out = codec.decode(np.array([[50.0], [-1e3], [0.0]]))
    values = out["h"].astype(float).to_numpy()
    assert np.isfinite(values).all() and out["h"].dtype == X["h"].dtype


def test_narrow_float_array_never_decodes_to_inf():
    """The numeric codec (plain float16 arrays) likewise."""
    X = np.linspace(6.0e4, 6.5e4, 20, dtype=np.float16).reshape(-1, 1)
    codec = TableCodec(discrete_levels=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = codec.decode(np.array([[50.0], [-50.0]]))
    assert out.dtype == np.float16 and np.isfinite(out).all()


@pytest.mark.parametrize("multi", [False, True])
def test_categorical_features_names_a_tuple_column(multi):
    """Columns named by tuples (a MultiIndex, or an Index of tuples) could not be named in categorical_features:
    each tuple was split into its parts ("categorical_features names 'y', which is not a column of X")."""
    names = [("x", "a"), ("y", "b")]
    X = pd.DataFrame({"a": np.linspace(0, 1, 40), "b": np.arange(40) % 3})
    X.columns = pd.MultiIndex.from_tuples(names) if multi else pd.Index(names, tupleize_cols=False)
    codec = MixedTableCodec(categorical_features=[("y", "b")]).fit(X)
    assert [c.kind for c in codec.columns_] == ["continuous", "categorical"]
    assert [c.kind for c in MixedTableCodec(categorical_features=X.columns[[1]]).fit(X).columns_][1] == "categorical"
    with pytest.raises(ValueError, match=r"pass \[\('y', 'b'\)\]"):  # one tuple: its parts, so a hint to wrap it
        MixedTableCodec(categorical_features=("y", "b")).fit(X)


def test_categorical_features_integer_names_are_positions():
    """With integer column names, an integer is a position (as SMOTENC reads it); naming one by its name said
    only that the index was out of range."""
    X = pd.DataFrame({10: np.linspace(0, 1, 40), 20: np.arange(40) % 3})
    with pytest.raises(ValueError, match="column 20 is at position 1"):
        tiny(categorical_features=[20]).fit(X, labels())


@pytest.mark.parametrize("values", [
    [datetime.date(2020, 1, 1 + i % 28) for i in range(40)],
    [pd.Timestamp("2020-01-01") + pd.Timedelta(days=i) for i in range(40)],
    [datetime.timedelta(hours=i) for i in range(40)],
    [datetime.time(i % 24) for i in range(40)],
], ids=["date", "Timestamp", "timedelta", "time"])
def test_dates_in_an_object_column_get_the_dates_message(values):
    """Dates held as Python objects were refused with the fix for odd objects ("Convert the column (e.g.
    .astype(str))"), which would make every date a category; they get the dates message, as a datetime64
    column does."""
    X = pd.DataFrame({"x": np.linspace(0, 1, 40), "when": pd.Series(values, dtype=object)})
    with pytest.raises(TypeError, match=r"column 'when' holds dates or times \(object column of \w+ values\).*"
                                        r"days since a reference date"):
        tiny().fit(X, labels())


@pytest.mark.parametrize(("values", "shown"), [
    ([decimal.Decimal(i) / 3 for i in range(40)], "Decimal"),  # output mixed Decimal and float: .sum() failed
    ([fractions.Fraction(i, 3) for i in range(40)], "Fraction"),  # refused as "infinite values"
    ([complex(i, 1) for i in range(40)], "complex"),  # imaginary parts silently dropped
])
def test_numbers_other_than_int_or_float_in_an_object_column_are_refused(values, shown):
    X = pd.DataFrame({"x": np.linspace(0, 1, 40), "o": pd.Series(values, dtype=object)})
    with pytest.raises(TypeError, match=rf"column 'o' holds {shown} values.*astype\(float\)"):
        tiny().fit(X, labels())


def test_numpy_and_python_numbers_in_an_object_column_still_work():
    """np.int64 / np.float32 scalars and Python numbers in object columns stay numeric columns."""
    X = pd.DataFrame({"i": pd.Series([np.int64(v) for v in range(40)], dtype=object),
                      "f": pd.Series([np.float32(v) / 7 for v in range(40)], dtype=object),
                      "p": pd.Series([v / 3 for v in range(40)], dtype=object)})
    assert [c.kind for c in MixedTableCodec().fit(X).columns_] == ["integer", "continuous", "continuous"]


def test_a_column_of_dates_beside_other_odd_values_is_named_by_its_date_type():
    from decimal import Decimal

    X = pd.DataFrame({"a": np.arange(20.0), "o": pd.Series([Decimal("1.5"), pd.Timestamp("2020-01-01")] * 10,
                                                             dtype=object)})
    with pytest.raises(TypeError, match=r"holds dates or times \(object column of Timestamp values\)"):
        GANOversampler(n_iter=1).fit_resample(X, np.r_[np.zeros(15, int), np.ones(5, int)])
