"""``AugmentationOversampler``: the classic-augmentation baseline for images.

Over-samples minority classes with albumentations-augmented copies of their
own images: the baseline every GAN is compared with, and a complement to
GAN output (chain both in an imbalanced-learn pipeline).
"""

from __future__ import annotations

import copy
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions

from .constraints import NumberIn
from .images import ImageArraysMixin, ImageLayout

_SEED_MAX = 2**31 - 1


def default_medical_transform():
    """The default pipeline: mild, label-preserving changes for medical images.

    Horizontal flip (p 0.5); affine with rotation ±10°, shift ±6 %, scale
    0.95–1.05 and reflected borders (p 0.9); brightness and contrast ±10 %
    (p 0.5). No vertical flip, elastic warp or colour shift, which can change
    what a medical image shows.

    Examples
    --------
    >>> import numpy as np
    >>> t = default_medical_transform()
    >>> t(image=np.zeros((28, 28, 1), dtype=np.uint8))["image"].shape
    (28, 28, 1)
    """
    import albumentations as A
    import cv2

    return A.Compose([
        A.HorizontalFlip(p=0.5),
        A.Affine(rotate=(-10, 10), translate_percent=(-0.06, 0.06), scale=(0.95, 1.05),
                 border_mode=cv2.BORDER_REFLECT_101, p=0.9),
        A.RandomBrightnessContrast(brightness_limit=0.1, contrast_limit=0.1, p=0.5),
    ])


class AugmentationOversampler(ImageArraysMixin, BaseOverSampler):
    """Over-sample minority classes with augmented copies of their images.

    Each synthetic image is a random image of the class (drawn uniformly,
    with replacement) passed through ``augmentation``. An augmentation that
    leaves its source unchanged is redrawn (up to ``max_tries`` times), so
    synthetic images differ from their sources unless the source is
    invariant to the whole pipeline (e.g. a constant image).

    Images are passed as for :class:`~minority_gen.GANOversampler`: arrays
    ``(N, H, W)``, ``(N, H, W, C)``, ``(N, C, H, W)`` (channel axis detected,
    or forced with ``image_layout``), or flat rows with ``image_shape``. The
    output keeps the input's layout and dtype. A 2-D ``X`` without
    ``image_shape`` is treated as rows of 1-pixel-high images — rarely what
    you want for images: pass ``image_shape``.

    ``uint8`` images go to albumentations as they are; other dtypes are
    scaled to ``[0, 1]`` float32 from the range seen in ``fit_resample`` and
    back (integers rounded and clipped to that range).

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn.
    augmentation : callable, default=None
        An albumentations transform (``A.Compose([...])`` or a single one) —
        any callable ``f(image=hwc_array) -> {"image": hwc_array}``.
        ``None`` uses :func:`default_medical_transform`. Its random state is
        seeded from ``random_state`` on a copy; the object passed is not
        modified.
    image_shape : tuple of int, default=None
        Shape each row of a 2-D ``X`` was flattened from: ``(H, W)``,
        ``(H, W, C)`` or ``(C, H, W)``.
    image_layout : {"auto", "channels_last", "channels_first"}, default="auto"
        Where the channel axis is.
    max_tries : int, default=10
        Draws of the augmentation per image before an unchanged copy is
        accepted.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of sources and the augmentations.

    Attributes
    ----------
    sampling_strategy_ : dict
        Class label → number of images generated.
    sample_indices_ : ndarray
        Index in ``X`` of the source of every returned image (originals
        first, then the source of each augmented one).
    layout_ : ImageLayout
        The image layout detected in ``X``.

    Examples
    --------
    >>> from collections import Counter
    >>> import numpy as np
    >>> from minority_gen import AugmentationOversampler
    >>> X = np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    >>> y = np.array([0] * 24 + [1] * 6)
    >>> X_res, y_res = AugmentationOversampler(random_state=0).fit_resample(X, y)
    >>> X_res.shape, X_res.dtype, sorted(Counter(y_res.tolist()).items())
    ((48, 28, 28), dtype('uint8'), [(0, 24), (1, 24)])

    Combined with a GAN: GAN images up to half the majority, then augmented
    copies (of real and GAN images) up to balance.

    >>> from imblearn.pipeline import make_pipeline
    >>> from minority_gen import GANOversampler
    >>> both = make_pipeline(
    ...     GANOversampler(sampling_strategy=0.5, n_iter=2, batch_size=8, random_state=0),
    ...     AugmentationOversampler(random_state=0))
    >>> sorted(Counter(both.fit_resample(X, y)[1].tolist()).items())
    [(0, 24), (1, 24)]
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "augmentation": [callable, None],
        "image_shape": [tuple, list, None],
        "image_layout": [StrOptions({"auto", "channels_last", "channels_first"})],
        "max_tries": [NumberIn(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, sampling_strategy="auto", augmentation=None, image_shape=None, image_layout="auto",
                 max_tries=10, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.augmentation = augmentation
        self.image_shape = image_shape
        self.image_layout = image_layout
        self.max_tries = max_tries
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        tags.sampler_tags.sample_indices = True
        return tags

    def _table_layout(self, X) -> ImageLayout:
        """A table without ``image_shape``: rows as 1-pixel-high strips."""
        n_features = X.shape[1] if hasattr(X, "shape") else np.shape(X)[1]
        return ImageLayout((1, 1, n_features), "HW", 2)

    def fit(self, X, y, **params):
        """Check inputs and compute ``sampling_strategy_``; use :meth:`fit_resample`."""
        return super().fit(self._images_to_rows(X), y, **params)

    # ------------------------------------------------------------------
    def _hwc(self, rows: np.ndarray) -> np.ndarray:
        """Flat rows in the user's layout → (N, H, W, C) images."""
        images = rows.reshape(len(rows), *self.layout_.native_shape)
        if self.layout_.axes == "HW":
            return images[..., None]
        return images.transpose(0, 2, 3, 1) if self.layout_.axes == "CHW" else images

    def _rows(self, images: np.ndarray) -> np.ndarray:
        if self.layout_.axes == "CHW":
            images = images.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(images).reshape(len(images), -1)

    def _fit_resample(self, X, y):
        is_sparse = sp.issparse(X)
        dense = X.toarray() if is_sparse else np.asarray(X)
        rng = check_random_state(self.random_state)
        transform = (
            default_medical_transform() if self.augmentation is None else copy.deepcopy(self.augmentation)
        )
        if hasattr(transform, "set_random_seed"):
            transform.set_random_seed(int(rng.randint(_SEED_MAX)))
        as_uint8 = dense.dtype == np.uint8
        lo, hi = (0.0, 255.0) if as_uint8 else (float(dense.min()), float(dense.max()))
        span = hi - lo if hi > lo else 1.0
        sources = []
        for cls, n in self.sampling_strategy_.items():
            if n > 0:
                sources.append(rng.choice(np.flatnonzero(y == cls), size=n, replace=True))
        index = np.concatenate(sources) if sources else np.empty(0, dtype=int)
        self.sample_indices_ = np.concatenate([np.arange(len(y)), index])
        if not len(index):
            return X, y
        originals = self._hwc(dense[index])
        inputs = originals if as_uint8 else ((originals - lo) / span).astype(np.float32)
        out = np.empty(inputs.shape, dtype=inputs.dtype)
        for i, image in enumerate(inputs):
            image = np.ascontiguousarray(image)
            for _ in range(self.max_tries):
                new = np.asarray(transform(image=image)["image"]).reshape(image.shape)
                if not np.array_equal(new, image):
                    break
            out[i] = new
        if not as_uint8:
            out = np.clip(out.astype(np.float64), 0.0, 1.0) * span + lo
            if dense.dtype.kind in "biu":
                out = np.rint(out)
        X_new = self._rows(out).astype(dense.dtype)
        y_new = y[index]
        if is_sparse:
            X_res = sp.vstack([X, sp.csr_matrix(X_new)]).asformat(X.format)
        else:
            X_res = np.concatenate([dense, X_new])
        return X_res, np.concatenate([y, y_new])
