"""Turning what users pass (tables, DataFrames) into training tensors and back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class DataSpec:
    """The shape of one row as the networks see it.

    ``n_features`` is the flat row length; ``image_shape`` is ``(C, H, W)``
    for images and ``None`` for tables.
    """

    n_features: int
    image_shape: tuple[int, int, int] | None = None

    @property
    def kind(self) -> str:
        return "table" if self.image_shape is None else "image"


def check_table_input(X) -> None:
    """Refuse, with an actionable message, what a numeric table cannot hold.

    Runs before scikit-learn's own validation so that users get a message
    about *their* data: non-numeric DataFrame columns, missing or infinite
    values, and arrays with more than two dimensions.
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
    if sp.issparse(X) or (hasattr(X, "sparse") and hasattr(X, "dtypes")):
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
            arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise type(exc)(
                f"X holds non-numeric values ({exc}); GANOversampler handles numeric "
                "tables only. Encode categorical columns first (e.g. "
                "sklearn.preprocessing.OneHotEncoder) or drop them."
            ) from None


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

    Columns are centred and scaled to unit variance (a constant column keeps
    scale 1). :meth:`decode` inverts that and casts to the input's dtype:
    float32 stays float32 and integer columns are rounded and clipped to the
    range seen in ``fit``.

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
    """

    def fit(self, X: np.ndarray) -> TableCodec:
        X64 = np.asarray(X, dtype=np.float64)
        self.dtype_ = np.asarray(X).dtype
        self.mean_ = X64.mean(axis=0)
        scale = X64.std(axis=0)
        scale[scale < 1e-12] = 1.0
        self.scale_ = scale
        self.min_ = X64.min(axis=0)
        self.max_ = X64.max(axis=0)
        return self

    def encode(self, X: np.ndarray) -> np.ndarray:
        return ((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_).astype(np.float32)

    def decode(self, Z: np.ndarray) -> np.ndarray:
        X = np.asarray(Z, dtype=np.float64) * self.scale_ + self.mean_
        if self.dtype_.kind in "biu":
            X = np.clip(np.rint(X), self.min_, self.max_)
        elif self.dtype_.kind != "f":
            return X
        return X.astype(self.dtype_)
