"""The columns of a mixed-type table: their kinds, levels and missing values (:func:`detect_columns`)."""

from __future__ import annotations

import datetime
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import MAX_ABS_VALUE
from .integers import check_integer_range

#: Temperature of the generator's Gumbel-softmax over each one-hot block (CTGAN's value).
GUMBEL_TAU = 0.2
#: Above this many levels a categorical column draws a warning (its one-hot block is wide).
MANY_LEVELS = 1000

CONTINUOUS, INTEGER, BOOLEAN, CATEGORICAL = "continuous", "integer", "boolean", "categorical"


@dataclass
class Column:
    """One column of a mixed table as :class:`MixedTableCodec` sees it.

    ``levels``: the categories of a categorical or boolean column, in the
    order of its one-hot block; ``missing``: whether ``fit`` saw missing
    cells (then the block has one more level, or a numeric column gets an
    observed/missing block); ``na_value``: what a missing cell is on output.
    """

    name: object
    kind: str
    dtype: object
    missing: bool = False
    levels: list | None = None
    na_value: object = None


def describe_column(name) -> str:
    return f"column {name!r}"


#: Python, NumPy and pandas scalars of dates, times and durations (Timestamp and Timedelta subclass these).
_TIME_TYPES = (datetime.date, datetime.time, datetime.timedelta, np.datetime64, np.timedelta64, pd.Period)


def _dates_error(name, what) -> TypeError:
    return TypeError(
        f"{describe_column(name)} holds dates or times ({what}); GANOversampler needs numbers or categories. "
        f"Convert it first, e.g. to days since a reference date (s = pd.to_datetime(X[{name!r}]); "
        f"X[{name!r}] = (s - s.min()).dt.days), durations with pd.to_timedelta(X[{name!r}]).dt.total_seconds(), "
        "or drop it."
    )


def _type_kind(cls: type) -> str:
    """What a value of type ``cls`` is, for the checks of an object or string column."""
    if issubclass(cls, _TIME_TYPES):
        return cls.__name__ + " (a date or time)"
    if issubclass(cls, (bool, np.bool_)):
        return "bool"
    if issubclass(cls, (numbers.Integral, float, np.floating)):
        return "number"
    if issubclass(cls, numbers.Number):  # Decimal, Fraction, complex: no float64 round trip
        return cls.__name__ + " (a number other than int or float)"
    if issubclass(cls, str):
        return "str"
    return cls.__name__


def _column_kind(name, values: pd.Series, forced_categorical: bool) -> str:
    """The kind of one column; raises for what no kind can hold."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        _check_categories(name, dtype)
        return CATEGORICAL
    if pd.api.types.is_bool_dtype(dtype):
        return CATEGORICAL if forced_categorical else BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype) \
            or isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype)):
        raise _dates_error(name, dtype)
    if pd.api.types.is_complex_dtype(dtype):
        raise TypeError(f"{describe_column(name)} holds complex numbers ({dtype}); split it into real and imaginary "
                        "columns or drop it.")
    if pd.api.types.is_numeric_dtype(dtype):
        if forced_categorical:
            return CATEGORICAL
        return INTEGER if pd.api.types.is_integer_dtype(dtype) or _integral_with_gaps(values) else CONTINUOUS
    # object or string: look at the values
    classes = {type(v) for v in values[~values.isna()].tolist()}  # one pass over the cells; then per type
    types = {_type_kind(c) for c in classes}
    odd = types - {"str", "bool", "number"}
    dates = sorted(t.split()[0] for t in odd if t.endswith("(a date or time)"))
    if dates:
        raise _dates_error(name, f"{values.dtype} column of {dates[0]} values")
    exotic = sorted(t.split()[0] for t in odd if t.endswith("(a number other than int or float)"))
    if exotic:
        raise TypeError(
            f"{describe_column(name)} holds {exotic[0]} values; GANOversampler computes in float64 and generates "
            f"ints or floats, which would sit beside {exotic[0]} values in the output. Convert the column first, "
            f"e.g. X[{name!r}] = X[{name!r}].astype(float)"
            + (" (complex: split it into real and imaginary columns)" if "complex" in exotic else "") + ", or drop it."
        )
    if odd:
        raise TypeError(
            f"{describe_column(name)} holds {sorted(odd)[0]} values, but GANOversampler's argument must be a table of "
            "strings, numbers or booleans (or pandas categories). Convert the column (e.g. .astype(str)) or drop it."
        )
    if len(types) > 1:
        raise TypeError(
            f"{describe_column(name)} mixes Python types ({', '.join(sorted(types))}) in one column; a column must "
            f"hold one kind of value. Convert it first, e.g. X[{name!r}] = X[{name!r}].astype(str) to treat "
            f"every value as a category, or pd.to_numeric(X[{name!r}], errors='coerce') for numbers."
        )
    if types == {"number"} and not forced_categorical:
        integral = all(issubclass(k, (numbers.Integral, np.integer)) for k in classes)
        return INTEGER if integral else CONTINUOUS
    return CATEGORICAL


def _integral_with_gaps(values: pd.Series) -> bool:
    """Whether a float column has missing cells and only whole numbers otherwise.

    That is what pandas makes of an integer column with gaps (``read_csv``
    gives float64 with NaN), so it is generated as integers (rounded into its
    observed range). A float column without gaps keeps its kind, whatever
    its values.
    """
    if not pd.api.types.is_float_dtype(values.dtype):
        return False
    isna = values.isna().to_numpy()
    if not isna.any() or isna.all():
        return False
    v = values[~isna].to_numpy(dtype=np.float64)
    return bool(np.isfinite(v).all() and (v == np.round(v)).all())


def _check_categories(name, dtype: pd.CategoricalDtype) -> None:
    """Refuse categories that are not strings, numbers or booleans (intervals, periods, timestamps ...).

    A fitted sampler keeps each column's categories, and a model file holds
    only these (:mod:`minority_gen.jsonstate`): ``save`` would otherwise fail
    after the whole fit.
    """
    odd = sorted({_type_kind(type(v)) for v in dtype.categories.tolist()} - {"str", "bool", "number"})
    if odd:
        raise TypeError(
            f"{describe_column(name)} is categorical with {odd[0]} categories ({dtype.categories.dtype}); a fitted "
            "sampler keeps only categories that are strings, numbers or booleans (save() could not write these). "
            f"Convert it first, e.g. X[{name!r}] = X[{name!r}].astype(str), or drop it."
        )


def _resolve_categorical(categorical_features, columns: list, n_features: int, is_frame: bool) -> set[int]:
    """Indices of the columns ``categorical_features`` names (``"auto"``/``None``: none forced)."""
    if categorical_features is None or (isinstance(categorical_features, str) and categorical_features == "auto"):
        return set()
    if isinstance(categorical_features, str):
        raise ValueError(
            f"categorical_features must be 'auto', None, or column indices, names or a boolean mask; got "
            f"{categorical_features!r}. For one column pass a list, e.g. [{categorical_features!r}]."
        )
    if isinstance(categorical_features, (list, tuple, pd.Index)):  # names may be tuples (MultiIndex columns)
        items = list(categorical_features)
    else:
        items = list(np.asarray(categorical_features, dtype=object).ravel())
    if items and all(isinstance(v, (bool, np.bool_)) for v in items):
        if len(items) != n_features:
            raise ValueError(f"categorical_features is a boolean mask of length {len(items)}, but X has "
                             f"{n_features} columns; give one entry per column.")
        return {i for i, v in enumerate(items) if v}
    out = set()
    for v in items:
        if isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_)):
            i = int(v)
            if not -n_features <= i < n_features:
                named = (f" Integers are column positions, not names (as SMOTENC reads them): column {v!r} is at "
                         f"position {columns.index(v)}." if is_frame and v in columns else "")
                raise ValueError(f"categorical_features holds index {i}, but X has {n_features} columns "
                                 f"(valid indices 0..{n_features - 1}).{named}")
            out.add(i % n_features)
        elif is_frame and v in columns:
            out.add(columns.index(v))
        else:
            where = f"columns are {columns[:20]}" if is_frame else "X is an array: name columns by index"
            wrap = (f" To name the column {categorical_features!r}, pass [{categorical_features!r}]."
                    if is_frame and isinstance(categorical_features, tuple) and categorical_features in columns else "")
            raise ValueError(f"categorical_features names {v!r}, which is not a column of X ({where}).{wrap}")
    return out


def detect_columns(X, categorical_features="auto") -> list[Column]:
    """The :class:`Column` of each column of ``X`` (a DataFrame or a 2-D array), validated.

    Raises ``ValueError``/``TypeError`` naming the column and the fix for:
    duplicate column names, a column that is entirely missing, infinite
    values, integers that float64 rounds out of their type, mixed Python
    types in one column, dates, complex numbers, categories a model file
    cannot hold (intervals, periods, timestamps). Warns for a categorical
    column with more than :data:`MANY_LEVELS` levels. A float column with
    missing cells and whole numbers otherwise is an integer column.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"age": [61.0, None, 70.5], "sex": ["F", "M", "F"], "smoker": [True, False, True]})
    >>> [(c.name, c.kind, c.missing) for c in detect_columns(df)]
    [('age', 'continuous', True), ('sex', 'categorical', False), ('smoker', 'boolean', False)]
    """
    frame = as_frame(X)
    names = list(frame.columns) if isinstance(X, pd.DataFrame) else list(range(frame.shape[1]))
    if isinstance(X, pd.DataFrame):
        dup = frame.columns[frame.columns.duplicated()].unique().tolist()
        if dup:
            raise ValueError(f"X has duplicate column names {dup[:10]}; give every column a distinct name "
                             "(e.g. X.columns = [...]) so that the output can keep them.")
    forced = _resolve_categorical(categorical_features, names, frame.shape[1], isinstance(X, pd.DataFrame))
    cols = []
    for j, name in enumerate(names):
        s = frame.iloc[:, j]
        kind = _column_kind(name, s, j in forced)
        isna = s.isna().to_numpy()
        if len(s) and isna.all():
            raise ValueError(f"{describe_column(name)} is entirely missing; drop it (a generator cannot learn "
                             "values that were never observed).")
        col = Column(name=name, kind=kind, dtype=s.dtype, missing=bool(isna.any()))
        if col.missing:
            first = s[isna].iloc[0]
            col.na_value = first
        if kind in (CONTINUOUS, INTEGER):
            v = pd.to_numeric(s[~isna], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            if not np.isfinite(v).all():
                raise ValueError(
                    f"{describe_column(name)} holds infinite values ({int((~np.isfinite(v)).sum())} cells); replace "
                    "them (e.g. with NaN for missing, which is modelled, or a large finite value) or drop the rows."
                )
            if np.abs(v).max(initial=0.0) > MAX_ABS_VALUE:
                raise ValueError(
                    f"{describe_column(name)} holds values up to {np.abs(v).max():.3g}, beyond what float64 can "
                    "standardise; rescale the column (e.g. divide by a power of ten or take logs)."
                )
            if kind == INTEGER and pd.api.types.is_integer_dtype(s.dtype):  # fixed width: int64, Int64, uint64 ...
                numpy_dtype = getattr(s.dtype, "numpy_dtype", s.dtype)
                check_integer_range(s[~isna].to_numpy(dtype=numpy_dtype), describe_column(name))
        else:
            col.levels = _levels(s[~isna], s.dtype)
            if len(col.levels) > MANY_LEVELS:
                warnings.warn(
                    f"{describe_column(name)} has {len(col.levels)} levels: it is encoded as {len(col.levels)} one-hot "
                    "outputs, and the generator reproduces only levels it saw in a class. Group rare levels or "
                    "drop the column if that is too wide.", UserWarning, stacklevel=3)
        cols.append(col)
    return cols


def _levels(present: pd.Series, dtype) -> list:
    """The levels a column's one-hot block holds: those observed, in the dtype's order for categories.

    A category that no row holds gets no output, so it is never generated
    (the output keeps the full dtype, unused categories included).
    """
    if isinstance(dtype, pd.CategoricalDtype):
        seen = set(present.cat.codes.tolist())
        return [c for i, c in enumerate(dtype.categories) if i in seen]
    values = pd.unique(present)
    try:
        return sorted(values.tolist())
    except TypeError:
        return list(values)


def as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"X must be a 2-D table (n_samples, n_features); got shape {arr.shape}.")
    # object arrays stay object column by column: no string dtype inferred, None stays None
    return pd.DataFrame(arr, dtype=object if arr.dtype.kind == "O" else None)


def needs_mixed_codec(X, categorical_features) -> bool:
    """Whether ``X`` goes through :class:`MixedTableCodec` rather than the plain numeric path.

    Every (dense) DataFrame does, so that its dtypes come back exactly; an
    array does when it has categorical columns, non-numeric values or
    missing values.
    """
    if isinstance(X, pd.DataFrame):
        return not any(isinstance(d, pd.SparseDtype) for d in X.dtypes)
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):  # sparse matrices: numeric path
        return False
    if categorical_features is not None and not (isinstance(categorical_features, str)
                                                 and categorical_features == "auto"):
        return True
    try:
        arr = np.asarray(X)
    except Exception:  # noqa: BLE001 - ragged input: let validation explain
        return False
    if arr.dtype.kind in "OUS":
        return True
    return arr.dtype.kind == "f" and arr.ndim == 2 and bool(np.isnan(arr).any())
