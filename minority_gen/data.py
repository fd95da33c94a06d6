"""Turning what users pass (tables, DataFrames) into training tensors and back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .integers import check_integer_range, over_integer_range

#: The largest magnitude a numeric cell may have. Standardising squares the
#: deviations from the mean, and float64 overflows past about 1.3e154; the
#: margin keeps every column's variance finite.
MAX_ABS_VALUE = 1e150


@dataclass(frozen=True)
class DataSpec:
    """The shape of one row as the networks see it.

    ``n_features`` is the flat row length; ``image_shape`` is ``(C, H, W)``
    for images and ``None`` for tables; ``blocks`` are the ``(start, end)``
    column ranges of a table's one-hot blocks (categorical columns and
    missing-value indicators, :mod:`minority_gen.tabular`), which the
    generator ends with a Gumbel-softmax.
    """

    n_features: int
    image_shape: tuple[int, int, int] | None = None
    blocks: tuple[tuple[int, int], ...] = ()

    @property
    def kind(self) -> str:
        return "table" if self.image_shape is None else "image"

    @property
    def extra_noise(self) -> int:
        """Noise inputs the generator needs besides the latent vector: one Gumbel draw per one-hot level."""
        return sum(end - start for start, end in self.blocks)


def check_table_input(X) -> None:
    """Refuse, with an actionable message, what a numeric table cannot hold.

    Runs before scikit-learn's own validation so that users get a message
    about *their* data: non-numeric DataFrame columns, a DataFrame of sparse
    columns that scipy cannot read (:func:`check_sparse_frame`), missing or
    infinite values, values too large to standardise (:data:`MAX_ABS_VALUE`),
    integers that float64 rounds out of their type (:func:`check_integer_range`),
    and arrays with more than two dimensions.
    """
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # pandas DataFrame
        bad = [
            str(col)
            for col, dtype in zip(X.columns, X.dtypes)
            if not (_is_numeric_dtype(dtype) or _is_sparse_numeric(dtype))
        ]
        if bad:
            sparse_hint = (" X has sparse columns, so it is read as a numeric table; convert them to dense "
                           "(X = X.sparse.to_dense(), or X[col].sparse.to_dense() for each) to have the other "
                           "columns modelled as categories." if any(is_sparse_dtype(d) for d in X.dtypes) else "")
            raise ValueError(
                f"X has non-numeric columns {bad[:10]}{' ...' if len(bad) > 10 else ''}; "
                "GANOversampler handles numeric tables only. Encode them first "
                "(e.g. sklearn.preprocessing.OneHotEncoder or OrdinalEncoder in the "
                f"pipeline before the sampler) or drop them.{sparse_hint}"
            )
        check_sparse_frame(X)
    if sp.issparse(X) or (hasattr(X, "sparse") and hasattr(X, "dtypes")):  # a matrix, or a DataFrame of sparse columns
        coo = X.tocoo() if sp.issparse(X) else X.sparse.to_coo()
        check_finite(coo.data, coo.col)
        check_magnitude(coo)
        return
    arr = np.asarray(X) if not hasattr(X, "to_numpy") else X.to_numpy()
    if arr.ndim > 2:
        raise ValueError(
            f"X has {arr.ndim} dimensions (shape {arr.shape}); a table must be 2-D, "
            "(n_samples, n_features)."
        )
    if arr.dtype.kind in "fc":
        check_finite(arr)
    elif arr.dtype.kind in "OUS":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise type(exc)(
                f"X holds non-numeric values ({exc}); GANOversampler handles numeric "
                "tables only. Encode categorical columns first (e.g. "
                "sklearn.preprocessing.OneHotEncoder) or drop them."
            ) from None
    check_magnitude(arr)


def check_finite(arr, columns: np.ndarray | None = None) -> None:
    """Refuse infinite and missing cells of a float array (rows reaching the numeric or image codec), naming
    which there are and the columns that hold them.

    ``arr``: a 2-D array, or the stored values of a sparse matrix with their
    ``columns``. Dense tables with missing cells are modelled
    (:mod:`minority_gen.tabular`), so NaN gets here only in images, rows
    given ``image_shape`` and sparse input.
    """
    arr = np.asarray(arr)
    if arr.dtype.kind not in "fc":
        return
    bad_cells = ~np.isfinite(arr)
    if not bad_cells.any():
        return
    n_nan = int(np.isnan(arr).sum())
    n_inf = int(bad_cells.sum()) - n_nan
    shown = np.isinf(arr) if n_inf else bad_cells
    where = columns[shown] if columns is not None else np.nonzero(shown)[-1] if arr.ndim == 2 else []
    cols = np.unique(where)[:10].tolist()
    at = f" (column{'s' if len(cols) > 1 else ''} {cols if len(cols) > 1 else cols[0]})" if cols else ""
    if n_inf:
        also = f", and NaN in {n_nan}" if n_nan else ""
        raise ValueError(
            f"X contains inf in {n_inf} cell{'s' if n_inf > 1 else ''}{at}{also}; a GAN cannot learn from "
            "infinite values: replace them (e.g. with a large finite value, or clip) or drop those rows."
        )
    raise ValueError(
        f"X contains NaN in {n_nan} cell{'s' if n_nan > 1 else ''}{at}; missing values are modelled in dense "
        "tables only, not in images (nor rows read with image_shape) or sparse input: impute or drop them first."
    )


def check_sparse_frame(X) -> None:
    """Refuse a DataFrame of sparse columns that scipy cannot turn into a sparse matrix.

    A DataFrame whose columns are all sparse is read as a scipy matrix
    (``X.sparse.to_coo()``), which needs a fill value of 0 and a numeric
    subtype other than bool in every column; pandas' own error otherwise
    names neither the column nor the fix.
    """
    dtypes = list(X.dtypes)
    if not dtypes or not all(is_sparse_dtype(d) for d in dtypes):
        return
    bad = [f"{col!r} ({d})" for col, d in zip(X.columns, dtypes)
           if d.subtype.kind == "b" or not _is_zero(d.fill_value)]
    if bad:
        raise ValueError(
            f"X is a DataFrame of sparse columns, which is read as a scipy sparse matrix: every column needs a "
            f"numeric, non-boolean subtype and fill value 0, and column{'s' if len(bad) > 1 else ''} "
            f"{', '.join(bad[:10])}{' ...' if len(bad) > 10 else ''} do{'es' if len(bad) == 1 else ''} not. Pass "
            "X.sparse.to_dense() (a dense DataFrame: missing values modelled, booleans kept), or "
            "X.astype(pd.SparseDtype('float64', 0.0)) when the fill value stands for values that are present."
        )


def is_sparse_dtype(dtype) -> bool:
    return getattr(dtype, "subtype", None) is not None and hasattr(dtype, "fill_value")


def _is_zero(value) -> bool:
    try:
        return bool(value == 0)
    except (TypeError, ValueError):
        return False


def check_magnitude(arr) -> None:
    """Refuse cells beyond :data:`MAX_ABS_VALUE`, naming the columns (a sparse matrix: its stored values), and
    integers that float64 rounds out of their type (:func:`check_integer_range`)."""
    coo = arr.tocoo() if sp.issparse(arr) else None
    values = np.asarray(arr) if coo is None else coo.data
    if values.dtype.kind not in "fiu" or values.size == 0:
        return
    over = over_integer_range(values) if values.dtype.kind in "iu" else None
    if over is not None:
        cols = np.unique(np.nonzero(over)[-1] if coo is None else coo.col[over]).tolist()
        named = f"column {cols[0]}" if len(cols) == 1 else f"columns {cols[:10]}"
        where = "X" if coo is None and values.ndim != 2 else f"X's {named}"
        check_integer_range(values, where)
    if values.dtype.kind != "f" or float(np.finfo(values.dtype).max) <= MAX_ABS_VALUE:
        return  # integers (at most ~1.8e19) and floats narrower than float64 cannot reach it: no copy to check
    big = np.abs(values) > MAX_ABS_VALUE
    if not big.any():
        return
    where = np.nonzero(big)[-1] if coo is None else coo.col[big]
    cols = np.unique(where)[:10].tolist() if coo is not None or values.ndim == 2 else []
    raise ValueError(
        f"X holds values up to {np.abs(values[big]).max():.3g}{f' in columns {cols}' if cols else ''}, beyond "
        f"what float64 can standardise (|value| <= {MAX_ABS_VALUE:.0e}); rescale those columns (e.g. divide "
        "by a power of ten or take logs)."
    )


def _is_numeric_dtype(dtype) -> bool:
    try:
        return np.dtype(dtype).kind in "biuf"
    except TypeError:  # pandas extension dtypes (Int64, Float64, boolean)
        kind = getattr(dtype, "kind", "O")
        return kind in "biuf"


def _is_sparse_numeric(dtype) -> bool:
    subtype = getattr(dtype, "subtype", None)
    return subtype is not None and _is_numeric_dtype(subtype)


class TableCodec:
    """Standardise a numeric table for training and map generated rows back.

    Columns are centred and scaled to unit variance, however small that
    variance is (a column of spread 1e-13 keeps it); only a constant column
    keeps scale 1, so it encodes to zeros. :meth:`decode` inverts that and casts to the input's dtype:
    float32 stays float32 and integer columns are rounded and clipped to the
    range seen in ``fit``.

    Columns with few distinct values (at most ``discrete_levels``, and at
    most half the number of rows) are *discrete*: 0/1 flags, one-hot codes,
    small counts, constants. :meth:`decode` snaps their generated values to
    the nearest value seen in ``fit``. A generator's raw output there (0.37
    for a 0/1 flag) is a value no real row has, and tree-based classifiers
    then separate the synthetic rows from every real one by it: on the
    abalone table (three one-hot columns) a random forest's G-mean with
    Rumi-LSGAN rows went from 0.28 to 0.61 with snapping, SMOTE's being 0.60
    (``benchmarks/results/protocol_t``).

    Parameters
    ----------
    discrete_levels : int, default=32
        The most distinct values a discrete column may have; 0 treats every
        column as continuous.

    Attributes
    ----------
    columns_index_ : pandas.Index
        The column Index of a DataFrame (of sparse columns) read as a numeric
        table; set with ``frame_dtypes_`` by the numeric adapter, so that rows
        drawn later come back in a frame like the input's
        (:func:`minority_gen.adapters.output_rows`). Absent for arrays and
        sparse matrices, and in model files saved before it existed.
    frame_dtypes_ : list of dtypes
        That DataFrame's column dtypes (``Sparse[float64, 0]`` ...).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 10.0], [3.0, 10.0]], dtype=np.float32)
    >>> codec = TableCodec().fit(X)
    >>> codec.encode(X)
    array([[-1.,  0.],
           [ 1.,  0.]], dtype=float32)
    >>> codec.decode(codec.encode(X)).dtype
    dtype('float32')
    >>> flags = TableCodec().fit(np.array([[0.0, 1.5], [1.0, 2.5], [1.0, 3.5], [0.0, 4.5]]))
    >>> flags.decode(flags.encode(np.array([[0.7, 2.1]]))).round(3)  # column 0 is a 0/1 flag, column 1 continuous
    array([[1. , 2.1]])
    """

    #: The attributes a model file stores (:mod:`minority_gen.jsonstate`): its settings and fitted values.
    STATE = ('discrete_levels', 'dtype_', 'integer_', 'levels_', 'max_', 'mean_', 'min_', 'scale_',
             'columns_index_', 'frame_dtypes_')

    def __init__(self, discrete_levels: int = 32):
        self.discrete_levels = discrete_levels

    def fit(self, X: np.ndarray, integer: np.ndarray | None = None) -> TableCodec:
        """Learn each column's centre, scale, range and levels.

        NaN cells (used by :class:`~minority_gen.tabular.MixedTableCodec`
        for missing values) are left out of every statistic. ``integer``: a
        boolean mask of the columns to round and clip in :meth:`decode`
        (default: all of them for an integer array, none otherwise).
        """
        X64 = np.asarray(X, dtype=np.float64)
        self.dtype_ = np.asarray(X).dtype
        observed = ~np.isnan(X64)
        if observed.all():
            self.mean_ = X64.mean(axis=0)
            scale = X64.std(axis=0)
            self.min_, self.max_ = X64.min(axis=0), X64.max(axis=0)
        else:  # all-missing columns are refused before this point
            with np.errstate(invalid="ignore", divide="ignore"):
                self.mean_ = np.nanmean(X64, axis=0)
                scale = np.nanstd(X64, axis=0)
                self.min_, self.max_ = np.nanmin(X64, axis=0), np.nanmax(X64, axis=0)
        self.scale_ = _scales(scale, self.min_, self.max_)
        self.integer_ = (np.full(X64.shape[1], self.dtype_.kind in "biu") if integer is None
                         else np.asarray(integer, dtype=bool))
        self.levels_ = {}  # column index -> sorted distinct values of a discrete column
        for j in range(X64.shape[1]):
            column = X64[observed[:, j], j]
            values = np.unique(column)
            cap = min(self.discrete_levels, len(column) // 2)
            if len(values) <= max(cap, 1) and self.discrete_levels > 0:
                self.levels_[j] = values
        return self

    def encode(self, X: np.ndarray) -> np.ndarray:
        Z = np.array(X, dtype=np.float64)  # a copy of its own, standardised in place (the same operations)
        Z -= self.mean_
        Z /= self.scale_
        return Z.astype(np.float32)

    def class_ranges(self, X_class) -> list[list]:
        """``[[column, low, high], ...]``: for each discrete column where the rows of one class (``X_class``,
        raw) leave out levels that other classes have, the interval of values :meth:`decode` snaps into the
        class's range: ``low`` / ``high`` halfway to the next level below / above the class's values, ``None``
        where the class reaches the data's own edge (left to :meth:`decode`: rejecting there would also remove
        rows the class has at that edge). :meth:`outside` finds the rows to draw again.
        """
        X64 = np.asarray(X_class, dtype=np.float64)
        ranges = []
        for j, levels in sorted(self.levels_.items()):
            column = X64[:, j][~np.isnan(X64[:, j])]
            if not len(column):
                continue
            i, k = np.searchsorted(levels, [column.min(), column.max()])
            low = float((levels[i - 1] + levels[i]) / 2) if i > 0 else None
            high = float((levels[k] + levels[k + 1]) / 2) if k + 1 < len(levels) else None
            if low is not None or high is not None:
                ranges.append([int(j), low, high])
        return ranges

    def outside(self, Z: np.ndarray, ranges: list, missing: dict | None = None) -> np.ndarray:
        """Which encoded rows ``Z`` hold a value outside the interval of ``ranges`` (:meth:`class_ranges`) in
        some column: ``value <= low`` (a tie snaps to the level below) or ``value > high``.

        ``missing``: column → mask of the rows whose value in that column is decoded as missing (never outside).
        """
        bad = np.zeros(len(Z), dtype=bool)
        for j, low, high in ranges:
            x = np.asarray(Z[:, j], dtype=np.float64) * self.scale_[j] + self.mean_[j]
            out = (x <= (-np.inf if low is None else low)) | (x > (np.inf if high is None else high))
            if missing is not None and j in missing:
                out &= ~missing[j]
            bad |= out
        return bad

    def decode(self, Z: np.ndarray, own: bool = False) -> np.ndarray:
        """Encoded rows back to the table's values and dtype; with ``own``, ``Z`` is a float64 array (or a view of
        one) that the caller gives up, decoded in place, else a copy is (one float64 array at a time)."""
        X = Z if own else np.array(Z, dtype=np.float64)
        X *= self.scale_
        X += self.mean_
        for j, values in self.levels_.items():
            X[:, j] = snap_to_levels(X[:, j], values)
        if self.integer_.any():
            X[:, self.integer_] = np.clip(np.rint(X[:, self.integer_]), self.min_[self.integer_],
                                          self.max_[self.integer_])
        if self.dtype_.kind not in "biuf":
            return X
        return within_float_range(X, self.dtype_, out=X).astype(self.dtype_, copy=False)

    def check_state(self) -> None:
        """Refuse a loaded state whose frame (``columns_index_``, ``frame_dtypes_``) does not fit its columns."""
        frame = [getattr(self, k) for k in ("columns_index_", "frame_dtypes_") if hasattr(self, k)]
        if frame and (len(frame) != 2 or not isinstance(frame[0], pd.Index) or not isinstance(frame[1], list)
                      or not len(frame[0]) == len(frame[1]) == len(self.mean_)):
            raise ValueError(f"its frame's columns and dtypes do not fit its {len(self.mean_)} columns")


def _scales(std: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Each column's scale: its standard deviation; 1 for a constant column.

    A column is constant when its smallest and largest values are equal, not
    when its standard deviation is small: a column spread over 1e-13 is
    scaled by its own spread (it would otherwise be generated at the
    standardised rows' scale, about 1, and decoded to values far outside its
    range). A spread whose variance underflows to 0 (subnormal values) is
    scaled by its range.
    """
    varying = hi > lo
    return np.where(varying & (std > 0), std, np.where(varying, hi - lo, 1.0))


def within_float_range(x: np.ndarray, dtype: np.dtype, out: np.ndarray | None = None) -> np.ndarray:
    """``x`` clipped to the finite range of a float ``dtype`` narrower than float64 (a generated float16 or float32
    value past the type's largest would otherwise be inf after the cast), into ``out`` when given (``x`` itself to
    clip in place); ``x`` itself for any other dtype.

    >>> within_float_range(np.array([7e4, -1.0]), np.dtype(np.float16)).astype(np.float16)
    array([ 6.55e+04, -1.00e+00], dtype=float16)
    """
    if dtype.kind != "f" or dtype.itemsize >= 8:
        return x
    top = float(np.finfo(dtype).max)
    return np.clip(x, -top, top, out=out)


def snap_to_levels(x: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Each value of ``x`` replaced by the nearest of the sorted ``levels`` (ties go to the lower one).

    >>> snap_to_levels(np.array([-3.0, 0.4, 0.5, 0.6, 9.0]), np.array([0.0, 1.0]))
    array([0., 0., 0., 1., 1.])
    """
    if len(levels) == 1:
        return np.full_like(x, levels[0])
    upper = np.clip(np.searchsorted(levels, x), 1, len(levels) - 1)
    lower = upper - 1
    take_upper = (levels[upper] - x) < (x - levels[lower])
    return np.where(take_upper, levels[upper], levels[lower])
