"""Image arrays: detecting their layout, flattening them to rows and back, scaling pixels for the networks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .data import is_sparse_dtype

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
        if sp.issparse(X) or any(is_sparse_dtype(t) for t in getattr(X, "dtypes", ())):  # matrix, sparse columns
            frame = hasattr(X, "dtypes")
            raise ValueError(
                f"X is {'a DataFrame of sparse columns' if frame else f'sparse ({type(X).__name__})'}, and sparse "
                f"input cannot be read as images (image_shape={image_shape!r}); pass a dense array "
                f"({'X.sparse.to_dense()' if frame else 'X.toarray()'})."
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
        forced, other = {"channels_last": (c, a), "channels_first": (a, c)}.get(image_layout, (1, 1))
        if forced not in _CHANNEL_SIZES and other in _CHANNEL_SIZES:
            guess = "channels_first" if image_layout == "channels_last" else "channels_last"
            raise ValueError(
                f"image_layout={image_layout!r} reads images shaped {shape} as {forced} channels, but the other "
                f"end has {other} entries, the channel axis it looks like; pass image_layout={guess!r} or 'auto'."
            )
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

    #: The attributes a model file stores (:mod:`minority_gen.jsonstate`): its settings and fitted values.
    STATE = ('layout', 'dtype_', 'range_')

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
        # a float64 copy of its own, worked on in place (the same operations, in the same order, as out of place)
        images = np.array(Z, dtype=np.float64).reshape(len(Z), *self.layout.image_shape)
        np.clip(images, -1.0, 1.0, out=images)
        images += 1.0
        images /= 2.0
        images *= hi - lo
        images += lo
        if self.layout.axes == "HWC":
            images = images.transpose(0, 2, 3, 1)
        rows = np.ascontiguousarray(images).reshape(len(Z), int(np.prod(self.layout.image_shape)))  # 0 rows too
        if self.dtype_.kind in "biu":
            np.clip(np.rint(rows, out=rows), lo, hi, out=rows)
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
        X_resampled : same kind, layout and dtype as ``X`` (nested lists for a nested list)
        y_resampled : array-like of shape (n_samples_new,)
        """
        X_res, y_res = super().fit_resample(self._images_to_rows(X), y, **params)
        images = self._rows_to_images(X_res)
        return (images.tolist() if isinstance(X, list) and isinstance(images, np.ndarray) else images), y_res
