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
  learned (a short fit can leave a few missing cells, or a level only other
  classes have, in a class that has none: unlike a discrete numeric column's
  range, such levels are not filtered).

:meth:`MixedTableCodec.decode` gives rows back in the input's container:
a DataFrame with the input's column Index (names, order, the Index's type,
dtype and name) and dtypes (``int64``,
``float32``, ``bool``, ``category`` with its categories, ``str`` /
``string``, ``Int64``, ``Float64``, ``boolean`` ...; missing cells as the
dtype's own missing value), or an array of the input's dtype (``object``
when it was).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .columns import CONTINUOUS, INTEGER, Column, as_frame, describe_column, detect_columns
from .data import TableCodec, within_float_range


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
    columns_index_ : pandas.Index
        A DataFrame's own column Index, set only where the column names alone
        would rebuild another one (:func:`own_columns`), so that :meth:`decode`
        gives back the input's; a codec without it (a model file saved before
        it existed) rebuilds the Index from the names.

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

    #: The attributes a model file stores (:mod:`minority_gen.jsonstate`): its settings and fitted values.
    STATE = ('categorical_features', 'continuous', 'discrete_levels', 'array_dtype_', 'block_of_', 'blocks_',
             'columns_', 'is_frame_', 'modes_', 'n_encoded_', 'numeric_', 'numeric_idx_', 'columns_index_')

    def __init__(self, categorical_features="auto", discrete_levels: int = 32, continuous: str = "standard"):
        self.categorical_features = categorical_features
        self.discrete_levels = discrete_levels
        self.continuous = continuous

    def fit(self, X) -> MixedTableCodec:
        self.is_frame_ = isinstance(X, pd.DataFrame)
        self.array_dtype_ = None if self.is_frame_ else np.asarray(X).dtype
        self.__dict__.pop("columns_index_", None)
        own = own_columns(X.columns) if self.is_frame_ else None
        if own is not None:  # only then: the model file of a table with plain names is as before
            self.columns_index_ = own
        self.columns_ = detect_columns(X, self.categorical_features)
        frame = as_frame(X)
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
        """Level index of each cell (missing: ``len(levels)``; unseen with ``unknown="ignore"``: -1, as is a missing
        cell of a column that had none in fit, whose block has no missing level)."""
        isna = s.isna().to_numpy()
        if isna.any() and not col.missing and unknown != "ignore":
            raise ValueError(f"{describe_column(col.name)} holds a missing value; it had none in fit, so it has no "
                             "level for one.")
        codes = np.full(len(s), len(col.levels) if col.missing else -1, dtype=np.int64)
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
            raise ValueError(f"{describe_column(col.name)} holds {bad!r}, a level not seen in fit.")
        codes[~isna] = mapped
        return codes

    def encode(self, X, unknown: str = "error") -> np.ndarray:
        """Rows for the networks: standardised numbers, then the one-hot blocks.

        A level not seen in :meth:`fit` is an error, or with
        ``unknown="ignore"`` an all-zero block (as scikit-learn's
        ``OneHotEncoder(handle_unknown="ignore")``).
        """
        frame = as_frame(X)
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

    def class_ranges(self, X_class) -> list[list]:
        """``[[slot, lo, hi], ...]`` for the discrete numeric columns (``slot``: the column's place among the
        numeric ones, its place in the encoded rows) whose range in the class's rows is narrower than the
        levels of every class (:meth:`~minority_gen.data.TableCodec.class_ranges`)."""
        return self.numeric_.class_ranges(self._numeric(as_frame(X_class))) if self.numeric_idx_ else []

    def outside(self, Z: np.ndarray, ranges: list) -> np.ndarray:
        """Which encoded rows decode to a value outside ``ranges`` in some column (a missing value never is)."""
        missing = {}
        for k, _, _ in ranges:
            block = self.block_of_.get(self.numeric_idx_[k])
            if block is not None:
                missing[k] = np.argmax(Z[:, block[0]:block[1]], axis=1) == 1
        return self.numeric_.outside(Z, ranges, missing)

    def decode(self, Z):
        """Generated (or encoded) rows back to the input's container, dtypes and levels."""
        Z = np.array(Z, dtype=np.float64)
        n = len(Z)
        for k, model in self.modes_.items():  # back to the standardised value the numeric codec decodes
            s0, e0 = model.block
            x = model.decode(Z[:, k], np.argmax(Z[:, s0:e0], axis=1))
            Z[:, k] = (x - self.numeric_.mean_[k]) / self.numeric_.scale_[k]
        num = self.numeric_.decode(Z[:, : len(self.numeric_idx_)], own=True) if self.numeric_idx_ else np.empty((n, 0))
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
            out = pd.concat([pd.Series(data[j], dtype=c.dtype, name=c.name) for j, c in enumerate(self.columns_)],
                            axis=1) if self.columns_ else pd.DataFrame(index=range(n))
            own = getattr(self, "columns_index_", None)
            if own is not None:
                out.columns = own.copy()  # a copy: renaming the output's Index leaves the codec's alone
            return out
        if self.array_dtype_.kind == "O":
            out = np.empty((n, len(self.columns_)), dtype=object)
            for j in range(len(self.columns_)):
                out[:, j] = data[j]
            return out
        return np.column_stack([np.asarray(data[j], dtype=np.float64) for j in range(len(self.columns_))]
                               ).reshape(n, len(self.columns_)).astype(self.array_dtype_)


    def check_state(self) -> None:
        """Refuse a loaded state whose column Index does not fit its columns (:mod:`minority_gen.jsonstate`)."""
        own = getattr(self, "columns_index_", None)
        if own is not None and (not isinstance(own, pd.Index) or len(own) != len(self.columns_)):
            raise ValueError(f"its column Index {own!r:.80} does not fit its {len(self.columns_)} columns")


def own_columns(columns: pd.Index) -> pd.Index | None:
    """A copy of a DataFrame's column Index where its names alone would rebuild another (a ``RangeIndex``, a
    name, tuples in a flat Index, an ``object`` or ``category`` dtype ...); ``None`` where they rebuild it exactly.

    >>> own_columns(pd.Index(["a", "b"])) is None, own_columns(pd.RangeIndex(2))
    (True, RangeIndex(start=0, stop=2, step=1))
    """
    rebuilt = (pd.concat([pd.Series([], dtype=np.float64, name=c) for c in columns], axis=1).columns if len(columns)
               else pd.DataFrame(index=range(0)).columns)
    same = (type(rebuilt) is type(columns) and rebuilt.dtype == columns.dtype
            and list(rebuilt.names) == list(columns.names) and rebuilt.equals(columns))
    return None if same else columns.copy()


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

    #: The attributes a model file stores (:mod:`minority_gen.jsonstate`): its settings and fitted values.
    STATE = ('max_modes', 'max_rows', 'n_modes', 'weight_threshold', 'means_', 'stds_', 'weights_', 'block')

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
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # Int64, UInt64, Float32, ... through their own
        numpy_dtype = np.dtype(dtype.numpy_dtype)  # NumPy type (UInt64 values above int64's range stay exact)
        arr = pd.array(within_float_range(values, numpy_dtype).astype(numpy_dtype), dtype=dtype)
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
    return within_float_range(values, np.dtype(dtype)).astype(dtype)


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
