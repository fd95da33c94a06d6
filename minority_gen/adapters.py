"""One input adapter per kind of data: it checks what the user passes, encodes it, and gives results back alike.

* :class:`NumericAdapter`: numeric tables (arrays, numeric DataFrames of
  sparse columns, sparse matrices), standardised by
  :class:`~minority_gen.data.TableCodec`;
* :class:`ImageAdapter`: image arrays, or rows of flattened images with
  ``image_shape`` (:class:`~minority_gen.images.ImageLayout`,
  :class:`~minority_gen.images.ImageCodec`);
* :class:`MixedAdapter`: DataFrames and arrays with categorical, boolean,
  nullable or missing values (:class:`~minority_gen.tabular.MixedTableCodec`).

:func:`adapter_for` picks one from the estimator's parameters and ``X``.
Every adapter checks the data before any training (:meth:`check`), gives
the codec and the shape the networks see (:meth:`encoder`), joins original
and synthetic rows in the input's container (:meth:`resampled`);
:func:`output_rows` turns rows drawn later into what ``sample`` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from imblearn.utils import check_target_type
from imblearn.utils._validation import ArraysTransformer
from sklearn.preprocessing import label_binarize
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d, validate_data

from .columns import needs_mixed_codec
from .data import DataSpec, TableCodec, check_table_input
from .images import ImageCodec, ImageLayout
from .nets import conv_stages
from .safeguards import check_labels
from .tabular import MixedTableCodec


@dataclass
class Checked:
    """Validated training data: rows ``X`` (array, sparse matrix or mixed table), labels ``y``, whether ``y`` came
    one-hot (``binarize_y``), and the containers to give back (``arrays``)."""

    X: object
    y: np.ndarray
    binarize_y: bool
    arrays: ArraysTransformer


class NumericAdapter:
    """Numeric tables: validated as imbalanced-learn does, standardised for the networks."""

    layout: ImageLayout | None = None
    #: A DataFrame's own column Index and dtypes (sparse columns take the numeric path), for the rows sample() draws.
    frame: tuple | None = None

    def check(self, estimator, X, y) -> Checked:
        """Validate ``X`` and ``y`` (sets ``n_features_in_`` / ``feature_names_in_`` on ``estimator``)."""
        check_labels(y)
        check_classification_targets(y)
        X = self.rows(X)
        arrays = ArraysTransformer(X, y)
        self.frame = (X.columns.copy(), list(X.dtypes)) if isinstance(X, pd.DataFrame) else None
        check_table_input(X)
        y_checked, binarize_y = check_target_type(plain_labels(y), indicate_one_vs_all=True)
        X, y_checked = validate_data(estimator, X=X, y=y_checked, reset=True, accept_sparse=["csr", "csc"])
        return Checked(X, y_checked, binarize_y, arrays)

    def rows(self, X):
        """``X`` as 2-D rows."""
        return X

    def n_encoded(self, X) -> int:
        """Values per row the networks see."""
        return X.shape[1]

    def encoder(self, X) -> tuple[object, DataSpec, np.ndarray]:
        """``(codec fitted on X, the encoded rows' shape, X as the codec takes it)``."""
        X_dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        codec = TableCodec().fit(X_dense)
        if self.frame is not None:  # set on the codec only then: array model files are as before
            codec.columns_index_, codec.frame_dtypes_ = self.frame
        return codec, DataSpec(n_features=X_dense.shape[1]), X_dense

    def resampled(self, data: Checked, X_new: list, y_new: list) -> tuple:
        """The original rows followed by ``X_new``, labels likewise, in the input's containers."""
        X_res, y_res = self.join(data.X, X_new), np.concatenate([data.y, *y_new])
        if data.binarize_y:
            y_res = label_binarize(y_res, classes=np.unique(data.y))
        X_out, y_out = data.arrays.transform(X_res, y_res)
        if isinstance(X_out, pd.DataFrame):  # imbalanced-learn's frame holds a block per column; consolidated,
            X_out = X_out.copy()  # adding a column to it does not warn of fragmentation
            if self.frame is not None:
                X_out = exact_sparse_dtypes(X_out, self.frame[1])
        return X_out, y_out

    def join(self, X, X_new: list):
        """``X`` followed by the synthetic rows (``X`` itself when there are none)."""
        if not X_new:
            return X
        if sp.issparse(X):
            return sp.vstack([X, *(sp.csr_matrix(x) for x in X_new)]).asformat(X.format)
        return np.concatenate([X, *X_new]).astype(X.dtype, copy=False)


class ImageAdapter(NumericAdapter):
    """Image arrays: flattened to rows for validation, scaled to ``[-1, 1]``, given back in their layout."""

    def __init__(self, layout: ImageLayout):
        self.layout = layout

    def check(self, estimator, X, y) -> Checked:
        self.nested_list = isinstance(X, list) and self.layout.input_ndim > 2  # flat rows: a list already
        return super().check(estimator, X, y)

    def rows(self, X):
        return self.layout.flatten(X)

    def encoder(self, X) -> tuple[object, DataSpec, np.ndarray]:
        X_dense = np.asarray(X)
        spec = DataSpec(n_features=X_dense.shape[1], image_shape=self.layout.image_shape)
        conv_stages(spec.image_shape)  # unsupported sizes fail before any training
        return ImageCodec(self.layout).fit(X_dense), spec, X_dense

    def resampled(self, data: Checked, X_new: list, y_new: list) -> tuple:
        X_res, y_res = super().resampled(data, X_new, y_new)
        images = self.layout.restore(X_res)
        return (images.tolist() if getattr(self, "nested_list", False) else images), y_res


class MixedAdapter(NumericAdapter):
    """Mixed-type tables: every column's kind read and encoded by a :class:`MixedTableCodec` fitted in :meth:`check`."""

    def __init__(self, categorical_features, continuous: str):
        self.codec = MixedTableCodec(categorical_features, continuous=continuous)

    def check(self, estimator, X, y) -> Checked:
        check_labels(y)
        check_classification_targets(y)
        arrays = ArraysTransformer(X, y)  # the containers to give back (list, DataFrame, Series ...)
        if isinstance(X, list):
            X = np.asarray(X, dtype=object)
        y_checked, binarize_y = check_target_type(plain_labels(y), indicate_one_vs_all=True)
        y_checked = column_or_1d(y_checked) if np.ndim(y_checked) == 1 else y_checked
        check_consistent_length(X, y_checked)
        self.codec.fit(X)
        validate_data(estimator, X=X, y=y_checked, reset=True, skip_check_array=True)
        return Checked(X, np.asarray(y_checked), binarize_y, arrays)

    def n_encoded(self, X) -> int:
        return self.codec.n_encoded_

    def encoder(self, X) -> tuple[object, DataSpec, object]:
        return self.codec, DataSpec(n_features=self.codec.n_encoded_, blocks=tuple(self.codec.blocks_)), X

    def join(self, X, X_new: list):
        if isinstance(X, pd.DataFrame):
            return pd.concat([X, *X_new], ignore_index=True)
        return np.concatenate([X, *X_new]).astype(X.dtype, copy=False)


def exact_sparse_dtypes(X: pd.DataFrame, dtypes: list) -> pd.DataFrame:
    """``X`` with each sparse column's dtype exactly the input's: imbalanced-learn's frame of a sparse matrix has
    fill value ``0.0`` where the input's is ``0`` (``Sparse[float64, 0]``), dtypes equal, so its ``astype`` keeps
    them."""
    for j, dtype in enumerate(dtypes):
        column = X.iloc[:, j].array
        if isinstance(column, pd.arrays.SparseArray) and column.dtype == dtype and str(column.dtype) != str(dtype):
            X.isetitem(j, pd.arrays.SparseArray(np.asarray(column), dtype=dtype))  # one column dense at a time
    return X


def plain_labels(y):
    """Labels of a pandas nullable dtype (``Int64``, ``boolean`` ...; their missing values are refused before)
    as a NumPy array of that dtype's own NumPy type, so classes stay ``1`` / ``True`` rather than becoming the
    floats scikit-learn's checks would make of them; any other ``y`` as it is. The output's ``y`` keeps the
    input's dtype either way."""
    numpy_dtype = getattr(getattr(y, "dtype", None), "numpy_dtype", None)
    if isinstance(y, (pd.Series, pd.api.extensions.ExtensionArray)) and numpy_dtype is not None:
        return np.asarray(y.to_numpy(dtype=numpy_dtype))
    return y


def adapter_for(params: Mapping, X) -> NumericAdapter:
    """The adapter for ``X`` under the estimator's parameters (``image_shape``, ``image_layout``,
    ``categorical_features``, ``continuous``).

    ``categorical_features`` and ``continuous="modes"`` act on mixed tables
    only; for data another adapter reads (numeric arrays, sparse input,
    images) they are refused rather than ignored, and so is an
    ``image_layout`` other than ``"auto"`` for a table.
    """
    table = params["image_shape"] is None and np.ndim(X) == 2
    if table and params["image_layout"] != "auto":
        raise ValueError(
            f"image_layout={params['image_layout']!r} says where an image's channel axis is, but X is a table "
            f"(shape {np.shape(X)}, no image_shape), so it would be ignored; leave image_layout='auto', or pass "
            "image_shape=(H, W, C) if each row is a flattened image."
        )
    if table and needs_mixed_codec(X, params["categorical_features"]):
        return MixedAdapter(params["categorical_features"], params["continuous"])
    layout = ImageLayout.detect(X, params["image_shape"], params["image_layout"])
    _refuse_mixed_table_options(params, X, layout)
    return NumericAdapter() if layout is None else ImageAdapter(layout)


def _refuse_mixed_table_options(params: Mapping, X, layout: ImageLayout | None) -> None:
    """Refuse the mixed-table options for ``X`` that the numeric or image adapter reads (they would do nothing)."""
    sparse = sp.issparse(X) or isinstance(X, pd.DataFrame)  # a dense DataFrame is always a mixed table
    if layout is not None:
        what, fix = "X is read as images", ""
    elif sparse:
        what, fix = "X is sparse, read as a numeric table", " or pass a dense table (X.toarray(), X.sparse.to_dense())"
    else:
        what, fix = "X is a numeric array, read as a numeric table", ""
    categorical = params["categorical_features"]
    if categorical is not None and not (isinstance(categorical, str) and categorical == "auto"):
        raise ValueError(
            f"categorical_features={categorical!r} applies to tables with categorical columns, but {what}, so it "
            f"would be ignored; leave categorical_features='auto'{fix}."
        )
    if params["continuous"] != "standard":
        if layout is None and not sparse:
            fix = " or pass pd.DataFrame(X) to have each column's modes modelled"
        raise ValueError(
            f"continuous={params['continuous']!r} applies to mixed tables (DataFrames, and arrays with categorical "
            f"or missing values), but {what}, standardised column by column, so it would be ignored; leave "
            f"continuous='standard'{fix}."
        )


def output_rows(rows, codec, layout: ImageLayout | None, feature_names) -> object:
    """Rows drawn after fitting as ``sample`` returns them: a mixed table's codec already gives the input's container;
    a DataFrame read as a numeric table (sparse columns) comes back as ``fit_resample`` gives its rows: the input's
    column Index and dtypes (sparse stays sparse, with its fill value); images come back in their layout.

    A numeric codec without the frame (a model file saved before it was stored) gives a DataFrame of the column
    names where there are string names (``feature_names``), as before.
    """
    if isinstance(codec, MixedTableCodec):
        return rows
    dtypes = getattr(codec, "frame_dtypes_", None)
    if dtypes is not None:  # column by column, by position (duplicate names), as imbalanced-learn's astype does
        out = pd.DataFrame(rows).astype(dict(enumerate(dtypes)))
        out.columns = codec.columns_index_.copy()  # a copy: renaming the output's Index leaves the codec's alone
        return out
    if feature_names is not None:
        return pd.DataFrame(rows, columns=feature_names)
    return rows if layout is None else layout.restore(rows)
