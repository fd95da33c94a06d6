"""Turning what users pass (tables, DataFrames) into training tensors and back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

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
    about *their* data: non-numeric DataFrame columns, missing or infinite
    values, values too large to standardise (:data:`MAX_ABS_VALUE`), and
    arrays with more than two dimensions.
    """
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # pandas DataFrame
        bad = [
            str(col)
            for col, dtype in zip(X.columns, X.dtypes)
            if not (_is_numeric_dtype(dtype) or _is_sparse_numeric(dtype))
        ]
        if bad:
            raise ValueError(
                f"X has non-numeric columns {bad[:10]}{' ...' if len(bad) > 10 else ''}; "
                "GANOversampler handles numeric tables only. Encode them first "
                "(e.g. sklearn.preprocessing.OneHotEncoder or OrdinalEncoder in the "
                "pipeline before the sampler) or drop them."
            )
    if sp.issparse(X):
        check_magnitude(X)
        return
    if hasattr(X, "sparse") and hasattr(X, "dtypes"):  # a DataFrame of sparse columns
        check_magnitude(X.sparse.to_coo())
        return
    arr = np.asarray(X) if not hasattr(X, "to_numpy") else X.to_numpy()
    if arr.ndim > 2:
        raise ValueError(
            f"X has {arr.ndim} dimensions (shape {arr.shape}); a table must be 2-D, "
            "(n_samples, n_features)."
        )
    if arr.dtype.kind in "fc":
        bad_cells = ~np.isfinite(arr)
        if bad_cells.any():
            n_nan = int(np.isnan(arr).sum())
            n_inf = int(bad_cells.sum()) - n_nan
            cols = np.unique(np.nonzero(bad_cells)[-1])[:10].tolist() if arr.ndim == 2 else []
            raise ValueError(
                f"X contains NaN ({n_nan} cells) or inf ({n_inf} cells)"
                f"{f' in columns {cols}' if cols else ''}. GANs cannot learn from missing "
                "or infinite values: impute or drop them first (e.g. "
                "sklearn.impute.SimpleImputer before the sampler in the pipeline)."
            )
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


def check_magnitude(arr) -> None:
    """Refuse cells beyond :data:`MAX_ABS_VALUE`, naming the columns (a sparse matrix: its stored values)."""
    coo = arr.tocoo() if sp.issparse(arr) else None
    values = np.asarray(arr) if coo is None else coo.data
    if values.dtype.kind not in "fiu" or values.size == 0:
        return
    big = np.abs(values.astype(np.float64, copy=False)) > MAX_ABS_VALUE
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
        return ((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_).astype(np.float32)

    def decode(self, Z: np.ndarray) -> np.ndarray:
        X = np.asarray(Z, dtype=np.float64) * self.scale_ + self.mean_
        for j, values in self.levels_.items():
            X[:, j] = snap_to_levels(X[:, j], values)
        if self.integer_.any():
            X[:, self.integer_] = np.clip(np.rint(X[:, self.integer_]), self.min_[self.integer_],
                                          self.max_[self.integer_])
        if self.dtype_.kind not in "biuf":
            return X
        return X.astype(self.dtype_)


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


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------
_CHANNEL_SIZES = (1, 3, 4)
_LAYOUTS = ("auto", "channels_last", "channels_first")


@dataclass(frozen=True)
class ImageLayout:
    """How the images a user passes are laid out, and how to restore that layout.

    Attributes
    ----------
    image_shape : tuple of int
        ``(C, H, W)``: the layout the networks use.
    axes : {"HW", "HWC", "CHW"}
        The axis order of one image as the user holds it.
    input_ndim : int
        ``X.ndim`` as passed: 2 for flattened rows, 3 or 4 for image arrays.

    Examples
    --------
    >>> import numpy as np
    >>> layout = ImageLayout.detect(np.zeros((5, 28, 28, 3), dtype=np.uint8))
    >>> layout.axes, layout.image_shape
    ('HWC', (3, 28, 28))
    >>> layout.flatten(np.zeros((5, 28, 28, 3))).shape
    (5, 2352)
    """

    image_shape: tuple[int, int, int]
    axes: str
    input_ndim: int

    @property
    def native_shape(self) -> tuple[int, ...]:
        """The shape of one image in the user's layout."""
        c, h, w = self.image_shape
        return {"HW": (h, w), "HWC": (h, w, c), "CHW": (c, h, w)}[self.axes]

    @classmethod
    def detect(cls, X, image_shape=None, image_layout: str = "auto") -> ImageLayout | None:
        """The layout of ``X``, or ``None`` when ``X`` is a table.

        * ``(N, H, W)``: grayscale images.
        * ``(N, A, B, C)``: with ``image_layout="auto"``, channels last when the
          last axis has 1, 3 or 4 entries (NumPy / PIL / albumentations
          convention), otherwise channels first when axis 1 has 1, 3 or 4
          entries (PyTorch convention); force either with
          ``image_layout="channels_last"`` or ``"channels_first"``.
        * ``(N, n_features)``: a table, unless ``image_shape`` is given: then
          each row is one image flattened in C order from the shape
          ``image_shape`` — ``(H, W)``, ``(H, W, C)`` or ``(C, H, W)``, the
          channel axis found by the same rule.
        """
        if image_layout not in _LAYOUTS:
            raise ValueError(f"image_layout must be one of {_LAYOUTS}; got {image_layout!r}.")
        x_shape = tuple(X.shape) if hasattr(X, "shape") else np.shape(X)
        ndim = len(x_shape)
        if ndim == 2 and image_shape is None:
            return None
        if ndim not in (2, 3, 4):
            raise ValueError(
                f"X has {ndim} dimension(s) (shape {x_shape}); pass a table "
                "(n_samples, n_features), images (N, H, W), (N, H, W, C) or (N, C, H, W), or "
                "flattened images (N, H*W*C) with image_shape=(H, W, C)."
            )
        if image_shape is not None:
            shape = _check_image_shape(image_shape)
            if ndim > 2 and x_shape[1:] != shape:
                raise ValueError(
                    f"image_shape={tuple(image_shape)} does not match the images in X, of shape "
                    f"{x_shape[1:]}; pass image_shape=None for image arrays (the shape is read "
                    "from X) or reshape X."
                )
            if ndim == 2 and x_shape[1] != int(np.prod(shape)):
                raise ValueError(
                    f"X has {x_shape[1]} features but image_shape={shape} holds {int(np.prod(shape))} "
                    "pixel values; give the shape each row was flattened from."
                )
        else:
            shape = tuple(int(s) for s in x_shape[1:])
        if len(shape) == 2:
            h, w = shape
            return cls((1, h, w), "HW", ndim)
        a, b, c = shape
        if image_layout == "channels_last" or (image_layout == "auto" and c in _CHANNEL_SIZES):
            return cls((c, a, b), "HWC", ndim)
        if image_layout == "channels_first" or (image_layout == "auto" and a in _CHANNEL_SIZES):
            return cls((a, b, c), "CHW", ndim)
        raise ValueError(
            f"Cannot tell the channel axis of images shaped {shape}: neither the first nor the last "
            f"axis has {' / '.join(map(str, _CHANNEL_SIZES))} entries. Pass "
            "image_layout='channels_last' (H, W, C) or 'channels_first' (C, H, W)."
        )

    def flatten(self, X) -> np.ndarray:
        """``X`` as 2-D rows in the user's own axis order (2-D input unchanged)."""
        if self.input_ndim == 2:
            return X
        X = np.asarray(X)
        return X.reshape(len(X), -1)

    def restore(self, rows: np.ndarray) -> np.ndarray:
        """Rows back to the user's array shape (flattened input stays flat)."""
        if self.input_ndim == 2:
            return rows
        return np.asarray(rows).reshape(len(rows), *self.native_shape)


def _check_image_shape(image_shape) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in image_shape)
        ok = len(shape) in (2, 3) and all(s > 0 and s == t for s, t in zip(shape, image_shape))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"image_shape must be (H, W), (H, W, C) or (C, H, W) with positive ints; got {image_shape!r}."
        )
    return shape


class ImageCodec:
    """Scale images to ``[-1, 1]`` (for a tanh generator) in ``(C, H, W)`` and back.

    Same interface as :class:`TableCodec`, on rows flattened in the user's
    layout (see :class:`ImageLayout`). The value range is ``[0, 255]`` for
    ``uint8``, ``[0, 1]`` for floats inside it, otherwise the range seen in
    ``fit``. :meth:`encode` returns ``(N, C, H, W)`` float32;
    :meth:`decode` takes generated ``(N, C, H, W)`` (or flat) values, clips
    them to the range, and returns rows in the user's layout and dtype
    (integers rounded).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[[0, 255], [128, 64]]], dtype=np.uint8)
    >>> layout = ImageLayout.detect(X)
    >>> codec = ImageCodec(layout).fit(layout.flatten(X))
    >>> codec.encode(layout.flatten(X)).shape
    (1, 1, 2, 2)
    >>> codec.decode(codec.encode(layout.flatten(X)))
    array([[  0, 255, 128,  64]], dtype=uint8)
    """

    def __init__(self, layout: ImageLayout):
        self.layout = layout

    def fit(self, X: np.ndarray) -> ImageCodec:
        X = np.asarray(X)
        self.dtype_ = X.dtype
        if X.dtype == np.uint8:
            lo, hi = 0.0, 255.0
        else:
            lo, hi = (float(X.min()), float(X.max())) if X.size else (0.0, 1.0)
            if X.dtype.kind == "f" and lo >= 0.0 and hi <= 1.0:
                lo, hi = 0.0, 1.0
        self.range_ = (lo, hi if hi > lo else lo + 1.0)
        return self

    def encode(self, X: np.ndarray) -> np.ndarray:
        lo, hi = self.range_
        images = np.asarray(X, dtype=np.float32).reshape(len(X), *self.layout.native_shape)
        if self.layout.axes == "HW":
            images = images[:, None]
        elif self.layout.axes == "HWC":
            images = images.transpose(0, 3, 1, 2)
        return np.ascontiguousarray((images - lo) / (hi - lo) * 2.0 - 1.0, dtype=np.float32)

    def decode(self, Z: np.ndarray) -> np.ndarray:
        lo, hi = self.range_
        images = np.asarray(Z, dtype=np.float64).reshape(len(Z), *self.layout.image_shape)
        images = (np.clip(images, -1.0, 1.0) + 1.0) / 2.0 * (hi - lo) + lo
        if self.layout.axes == "HWC":
            images = images.transpose(0, 2, 3, 1)
        rows = np.ascontiguousarray(images).reshape(len(Z), -1)
        if self.dtype_.kind in "biu":
            rows = np.clip(np.rint(rows), lo, hi)
        elif self.dtype_.kind != "f":
            return rows
        return rows.astype(self.dtype_)


class ImageArraysMixin:
    """Lets an imbalanced-learn sampler take image arrays as well as tables.

    imbalanced-learn validates 2-D ``X`` only, so :meth:`fit_resample` flattens
    image arrays to rows first (``layout_`` remembers how) and gives the
    result back in the input's layout. The sampler needs ``image_shape`` and
    ``image_layout`` parameters; :meth:`_table_layout` says what a plain table
    becomes (``None``: it stays a table).
    """

    def _table_layout(self, X) -> ImageLayout | None:
        return None

    def _images_to_rows(self, X):
        layout = ImageLayout.detect(X, self.image_shape, self.image_layout)
        self.layout_ = layout if layout is not None else self._table_layout(X)
        return X if self.layout_ is None else self.layout_.flatten(X)

    def _rows_to_images(self, rows):
        return rows if self.layout_ is None else self.layout_.restore(rows)

    def fit_resample(self, X, y, **params):
        """Return the original rows (or images) followed by the new ones.

        Parameters
        ----------
        X : {array-like, DataFrame, sparse matrix} of shape (n_samples, n_features), \
                or an image array (N, H, W), (N, H, W, C), (N, C, H, W)
        y : array-like of shape (n_samples,)

        Returns
        -------
        X_resampled : same kind, layout and dtype as ``X``
        y_resampled : array-like of shape (n_samples_new,)
        """
        X_res, y_res = super().fit_resample(self._images_to_rows(X), y, **params)
        return self._rows_to_images(X_res), y_res
