"""Mixed-type tables: categorical, boolean, integer and nullable columns, and missing values.

:class:`MixedTableCodec` is the codec :class:`~minority_gen.GANOversampler`
uses for DataFrames and for arrays with categorical columns or missing
values (a plain numeric array keeps :class:`~minority_gen.data.TableCodec`).
It reads each column's *kind* (:func:`detect_columns`) and encodes the table
for the networks:

* **continuous** and **integer** columns are standardised (as
  :class:`~minority_gen.data.TableCodec` does, including the snapping of
  columns with few distinct values); integers come back rounded into their
  observed range;
* **categorical** columns (pandas ``category``, strings, objects, or those
  named by ``categorical_features``) and **boolean** columns become one
  one-hot *block* each. The generator ends every block with a
  Gumbel-softmax at temperature 0.2 (as CTGAN does), so the discriminator
  sees nearly one-hot rows like the real ones, and a generated row's
  category is the block's arg-max: a category drawn with the probabilities
  the generator learned;
* **missing values** are modelled, not imputed away: a categorical column
  with missing cells gets a "missing" level in its block; a numeric column
  gets a two-level block (observed / missing) beside its value, whose cells
  are set to the column mean where missing. A generated row's value is
  missing where its block says so, so each class's missing rate is
  reproduced.

:meth:`MixedTableCodec.decode` gives rows back in the input's container:
a DataFrame with the same column names, order and dtypes (``int64``,
``float32``, ``bool``, ``category`` with its categories, ``str`` /
``string``, ``Int64``, ``Float64``, ``boolean`` ...; missing cells as the
dtype's own missing value), or an array of the input's dtype (``object``
when it was).
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import MAX_ABS_VALUE, TableCodec

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


def _describe(name) -> str:
    return f"column {name!r}"


def _value_type(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, numbers.Number):
        return "number"
    if isinstance(v, str):
        return "str"
    return type(v).__name__


def _column_kind(name, values: pd.Series, forced_categorical: bool) -> str:
    """The kind of one column; raises for what no kind can hold."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return CATEGORICAL
    if pd.api.types.is_bool_dtype(dtype):
        return CATEGORICAL if forced_categorical else BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype) \
            or isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype)):
        raise TypeError(
            f"{_describe(name)} holds dates or times ({dtype}); GANOversampler needs numbers or categories. "
            "Convert it first (e.g. to days since a reference date with (s - s.min()).dt.days) or drop it."
        )
    if pd.api.types.is_complex_dtype(dtype):
        raise TypeError(f"{_describe(name)} holds complex numbers ({dtype}); split it into real and imaginary "
                        "columns or drop it.")
    if pd.api.types.is_numeric_dtype(dtype):
        if forced_categorical:
            return CATEGORICAL
        return INTEGER if pd.api.types.is_integer_dtype(dtype) else CONTINUOUS
    # object or string: look at the values
    present = values[~values.isna()]
    types = {_value_type(v) for v in present.tolist()}
    odd = types - {"str", "bool", "number"}
    if odd:
        raise TypeError(
            f"{_describe(name)} holds {sorted(odd)[0]} values, but GANOversampler's argument must be a table of "
            "strings, numbers or booleans (or pandas categories). Convert the column (e.g. .astype(str)) or drop it."
        )
    if len(types) > 1:
        raise TypeError(
            f"{_describe(name)} mixes Python types ({', '.join(sorted(types))}) in one column; a column must "
            f"hold one kind of value. Convert it first, e.g. X[{name!r}] = X[{name!r}].astype(str) to treat "
            f"every value as a category, or pd.to_numeric(X[{name!r}], errors='coerce') for numbers."
        )
    if types == {"number"} and not forced_categorical:
        kinds = {type(v) for v in present.tolist()}
        integral = all(issubclass(k, (numbers.Integral, np.integer)) for k in kinds)
        return INTEGER if integral else CONTINUOUS
    return CATEGORICAL


def _resolve_categorical(categorical_features, columns: list, n_features: int, is_frame: bool) -> set[int]:
    """Indices of the columns ``categorical_features`` names (``"auto"``/``None``: none forced)."""
    if categorical_features is None or (isinstance(categorical_features, str) and categorical_features == "auto"):
        return set()
    if isinstance(categorical_features, str):
        raise ValueError(
            f"categorical_features must be 'auto', None, or column indices, names or a boolean mask; got "
            f"{categorical_features!r}. For one column pass a list, e.g. [{categorical_features!r}]."
        )
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
                raise ValueError(f"categorical_features holds index {i}, but X has {n_features} columns "
                                 f"(valid indices 0..{n_features - 1}).")
            out.add(i % n_features)
        elif is_frame and v in columns:
            out.add(columns.index(v))
        else:
            where = f"columns are {columns[:20]}" if is_frame else "X is an array: name columns by index"
            raise ValueError(f"categorical_features names {v!r}, which is not a column of X ({where}).")
    return out


def detect_columns(X, categorical_features="auto") -> list[Column]:
    """The :class:`Column` of each column of ``X`` (a DataFrame or a 2-D array), validated.

    Raises ``ValueError``/``TypeError`` naming the column and the fix for:
    duplicate column names, a column that is entirely missing, infinite
    values, mixed Python types in one column, dates, complex numbers. Warns
    for a categorical column with more than :data:`MANY_LEVELS` levels.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"age": [61.0, None, 70.5], "sex": ["F", "M", "F"], "smoker": [True, False, True]})
    >>> [(c.name, c.kind, c.missing) for c in detect_columns(df)]
    [('age', 'continuous', True), ('sex', 'categorical', False), ('smoker', 'boolean', False)]
    """
    frame = _as_frame(X)
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
            raise ValueError(f"{_describe(name)} is entirely missing; drop it (a generator cannot learn "
                             "values that were never observed).")
        col = Column(name=name, kind=kind, dtype=s.dtype, missing=bool(isna.any()))
        if col.missing:
            first = s[isna].iloc[0]
            col.na_value = first
        if kind in (CONTINUOUS, INTEGER):
            v = pd.to_numeric(s[~isna], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            if not np.isfinite(v).all():
                raise ValueError(
                    f"{_describe(name)} holds infinite values ({int((~np.isfinite(v)).sum())} cells); replace "
                    "them (e.g. with NaN for missing, which is modelled, or a large finite value) or drop the rows."
                )
            if np.abs(v).max(initial=0.0) > MAX_ABS_VALUE:
                raise ValueError(
                    f"{_describe(name)} holds values up to {np.abs(v).max():.3g}, beyond what float64 can "
                    "standardise; rescale the column (e.g. divide by a power of ten or take logs)."
                )
        else:
            col.levels = _levels(s[~isna], s.dtype)
            if len(col.levels) > MANY_LEVELS:
                warnings.warn(
                    f"{_describe(name)} has {len(col.levels)} levels: it is encoded as {len(col.levels)} one-hot "
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


def _as_frame(X) -> pd.DataFrame:
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


class MixedTableCodec:
    """Encode a mixed-type table for the networks and decode generated rows back (module docstring).

    Parameters
    ----------
    categorical_features : "auto", None, or indices, names or a boolean mask, default="auto"
        Columns to treat as categorical besides those whose dtype already
        says so (``category``, strings, objects; booleans are their own kind).

    Attributes
    ----------
    columns_ : list of Column
    blocks_ : list of (start, end)
        The one-hot blocks in the encoded row (the generator's softmax groups).
    n_encoded_ : int
        Width of an encoded row.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"n": [1, 2, 3, 4], "c": pd.Categorical(["a", "b", "a", "a"]),
    ...                    "f": [True, False, True, True]})
    >>> codec = MixedTableCodec().fit(df)
    >>> codec.n_encoded_, codec.blocks_
    (5, [(1, 3), (3, 5)])
    >>> out = codec.decode(codec.encode(df))
    >>> out.equals(df), out.dtypes.astype(str).tolist()
    (True, ['int64', 'category', 'bool'])
    """

    def __init__(self, categorical_features="auto", discrete_levels: int = 32, continuous: str = "standard"):
        self.categorical_features = categorical_features
        self.discrete_levels = discrete_levels
        self.continuous = continuous

    def fit(self, X) -> MixedTableCodec:
        self.is_frame_ = isinstance(X, pd.DataFrame)
        self.array_dtype_ = None if self.is_frame_ else np.asarray(X).dtype
        self.columns_ = detect_columns(X, self.categorical_features)
        frame = _as_frame(X)
        self.numeric_idx_ = [j for j, c in enumerate(self.columns_) if c.kind in (CONTINUOUS, INTEGER)]
        num = self._numeric(frame)
        integer = np.array([self.columns_[j].kind == INTEGER for j in self.numeric_idx_], dtype=bool)
        self.numeric_ = TableCodec(self.discrete_levels).fit(num, integer=integer)
        start = len(self.numeric_idx_)
        self.blocks_: list[tuple[int, int]] = []
        self.block_of_: dict[int, tuple[int, int]] = {}  # column index -> its block
        for j, col in enumerate(self.columns_):
            if col.kind in (CONTINUOUS, INTEGER):
                width = 2 if col.missing else 0
            else:
                width = len(col.levels) + int(col.missing)
            if width:
                self.blocks_.append((start, start + width))
                self.block_of_[j] = (start, start + width)
                start += width
        self.modes_: dict[int, ModeNormaliser] = {}  # numeric slot -> its mode model ("modes" only)
        if self.continuous == "modes":
            for k, j in enumerate(self.numeric_idx_):
                if self.columns_[j].kind == CONTINUOUS and k not in self.numeric_.levels_:
                    model = ModeNormaliser().fit(num[:, k][~np.isnan(num[:, k])])
                    if model.n_modes > 1:
                        self.modes_[k] = model
                        self.blocks_.append((start, start + model.n_modes))
                        model.block = (start, start + model.n_modes)
                        start += model.n_modes
        elif self.continuous != "standard":
            raise ValueError(f"continuous must be 'standard' or 'modes'; got {self.continuous!r}.")
        self.n_encoded_ = start
        return self

    def _numeric(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.numeric_idx_)), dtype=np.float64)
        for k, j in enumerate(self.numeric_idx_):
            s = frame.iloc[:, j]
            out[:, k] = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def _codes(self, s: pd.Series, col: Column, unknown: str = "error") -> np.ndarray:
        """Level index of each cell (missing: ``len(levels)``; unseen with ``unknown="ignore"``: -1)."""
        isna = s.isna().to_numpy()
        codes = np.full(len(s), len(col.levels), dtype=np.int64)
        if isinstance(s.dtype, pd.CategoricalDtype) and list(s.dtype.categories) == col.levels:
            raw = s.cat.codes.to_numpy()
            codes[~isna] = raw[~isna]
            return codes
        lookup = {v: i for i, v in enumerate(col.levels)}
        try:
            mapped = [lookup.get(v, -1) for v in s[~isna].tolist()]
        except TypeError:  # unhashable values
            mapped = [-1] * int((~isna).sum())
        mapped = np.asarray(mapped, dtype=np.int64)
        if (mapped < 0).any() and unknown != "ignore":
            bad = s[~isna].iloc[int(np.argmax(mapped < 0))]
            raise ValueError(f"{_describe(col.name)} holds {bad!r}, a level not seen in fit.")
        codes[~isna] = mapped
        return codes

    def encode(self, X, unknown: str = "error") -> np.ndarray:
        """Rows for the networks: standardised numbers, then the one-hot blocks.

        A level not seen in :meth:`fit` is an error, or with
        ``unknown="ignore"`` an all-zero block (as scikit-learn's
        ``OneHotEncoder(handle_unknown="ignore")``).
        """
        frame = _as_frame(X)
        num = self._numeric(frame)
        out = np.zeros((len(frame), self.n_encoded_), dtype=np.float32)
        out[:, : len(self.numeric_idx_)] = np.nan_to_num(self.numeric_.encode(num), nan=0.0)
        for k, model in self.modes_.items():
            values = np.where(np.isnan(num[:, k]), self.numeric_.mean_[k], num[:, k])
            alpha, mode = model.encode(values)
            out[:, k] = alpha
            out[np.arange(len(frame)), model.block[0] + mode] = 1.0
        for j, (s0, _) in self.block_of_.items():
            col = self.columns_[j]
            if col.kind in (CONTINUOUS, INTEGER):
                codes = frame.iloc[:, j].isna().to_numpy().astype(np.int64)  # 0 observed, 1 missing
            else:
                codes = self._codes(frame.iloc[:, j], col, unknown)
            seen = codes >= 0
            out[np.flatnonzero(seen), s0 + codes[seen]] = 1.0
        return out

    def decode(self, Z):
        """Generated (or encoded) rows back to the input's container, dtypes and levels."""
        Z = np.array(Z, dtype=np.float64)
        n = len(Z)
        for k, model in self.modes_.items():  # back to the standardised value the numeric codec decodes
            s0, e0 = model.block
            x = model.decode(Z[:, k], np.argmax(Z[:, s0:e0], axis=1))
            Z[:, k] = (x - self.numeric_.mean_[k]) / self.numeric_.scale_[k]
        num = self.numeric_.decode(Z[:, : len(self.numeric_idx_)]) if self.numeric_idx_ else np.empty((n, 0))
        data = {}
        for j, col in enumerate(self.columns_):
            block = self.block_of_.get(j)
            code = np.argmax(Z[:, block[0]:block[1]], axis=1) if block else None
            if col.kind in (CONTINUOUS, INTEGER):
                values = num[:, self.numeric_idx_.index(j)]
                missing = code == 1 if col.missing else np.zeros(n, dtype=bool)
                data[j] = _numeric_output(values, missing, col)
            else:
                data[j] = _categorical_output(code, col)
        if self.is_frame_:  # column by column, so that no dtype is re-inferred (object stays object)
            return pd.concat([pd.Series(data[j], dtype=c.dtype, name=c.name) for j, c in enumerate(self.columns_)],
                             axis=1) if self.columns_ else pd.DataFrame(index=range(n))
        if self.array_dtype_.kind == "O":
            out = np.empty((n, len(self.columns_)), dtype=object)
            for j in range(len(self.columns_)):
                out[:, j] = data[j]
            return out
        return np.column_stack([np.asarray(data[j], dtype=np.float64) for j in range(len(self.columns_))]
                               ).reshape(n, len(self.columns_)).astype(self.array_dtype_)


class ModeNormaliser:
    """Mode-specific normalisation of one continuous column (CTGAN's, with a deterministic mode choice).

    A variational (Dirichlet-process) Gaussian mixture of up to
    ``max_modes`` components is fitted to the column; components with
    weight above ``weight_threshold`` are its modes. A value is encoded as
    its most probable mode (one-hot block) and ``alpha = (x - μ) / (4σ)``
    of that mode, clipped to (-0.99, 0.99); decoding inverts this. CTGAN
    draws the mode at random from the posterior; the arg-max keeps
    encoding deterministic.
    """

    def __init__(self, max_modes: int = 10, weight_threshold: float = 0.005, max_rows: int = 20_000):
        self.max_modes, self.weight_threshold, self.max_rows = max_modes, weight_threshold, max_rows

    def fit(self, x: np.ndarray) -> ModeNormaliser:
        from sklearn.mixture import BayesianGaussianMixture

        x = np.asarray(x, dtype=np.float64)
        if len(x) > self.max_rows:  # a fixed subsample bounds the mixture's cost on big tables
            x = np.random.default_rng(0).choice(x, self.max_rows, replace=False)
        n = int(min(self.max_modes, max(1, len(np.unique(x)))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings of the variational fit
            bgm = BayesianGaussianMixture(n_components=n, weight_concentration_prior_type="dirichlet_process",
                                          weight_concentration_prior=0.001, max_iter=200,
                                          random_state=0).fit(x.reshape(-1, 1))
        keep = bgm.weights_ > self.weight_threshold
        # plain arrays only (the mixture object is not kept), so that a saved model holds no pickled objects
        self.weights_ = bgm.weights_[keep]
        self.means_ = bgm.means_.ravel()[keep]
        self.stds_ = np.sqrt(bgm.covariances_.ravel()[keep])
        self.n_modes = int(keep.sum())
        return self

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=np.float64)
        # the most probable mode: argmax of log w_k + log N(x; mu_k, sigma_k)
        z = (x[:, None] - self.means_) / self.stds_
        mode = np.argmax(np.log(self.weights_) - np.log(self.stds_) - 0.5 * z**2, axis=1)
        alpha = np.clip((x - self.means_[mode]) / (4 * self.stds_[mode]), -0.99, 0.99)
        return alpha, mode

    def decode(self, alpha: np.ndarray, mode: np.ndarray) -> np.ndarray:
        return np.clip(alpha, -1.0, 1.0) * 4 * self.stds_[mode] + self.means_[mode]


def _is_object(dtype) -> bool:
    return not isinstance(dtype, pd.api.extensions.ExtensionDtype) and np.dtype(dtype).kind == "O"


def _numeric_output(values: np.ndarray, missing: np.ndarray, col: Column):
    dtype = col.dtype
    if col.kind == INTEGER:
        values = np.rint(values)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # Int64, Float64, ...
        arr = pd.array(values.astype(np.int64) if col.kind == INTEGER else values, dtype=dtype)
        if missing.any():
            arr[missing] = pd.NA
        return arr
    if _is_object(dtype):  # numbers held in an object column
        out = np.empty(len(values), dtype=object)
        out[:] = [int(v) for v in values] if col.kind == INTEGER else values.tolist()
        out[missing] = col.na_value
        return out
    if missing.any():  # only float columns can hold NaN
        values = np.where(missing, np.nan, values)
    return values.astype(dtype)


def _categorical_output(code: np.ndarray, col: Column):
    n_levels = len(col.levels)
    missing = code >= n_levels
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):  # level index -> the dtype's own code
        dtype_codes = np.append(dtype.categories.get_indexer(col.levels), -1)
        return pd.Categorical.from_codes(dtype_codes[np.minimum(code, n_levels)], dtype=dtype)
    levels = np.empty(n_levels + 1, dtype=object)
    levels[:n_levels] = col.levels
    levels[n_levels] = col.na_value
    values = levels[code]
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # string, boolean, ...
        return pd.array(np.where(missing, None, values).tolist(), dtype=dtype)
    if not _is_object(dtype) and not missing.any():  # numpy bool, numbers named by categorical_features
        return values.astype(dtype)
    return values
