"""What :func:`~minority_gen.evaluation.images.compare_on_images` refuses before any training, and the fingerprint
of the images a cell was computed on."""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from .files import check_name_part

ImageSet = tuple[np.ndarray, np.ndarray]


def check_seed(seed) -> None:
    """Refuse a seed that is not an integer (it names the GAN cache files, and seeds the fits)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"the seed {seed!r} is not an integer")


def label_bytes(y) -> bytes:
    """The bytes of labels for a fingerprint: object arrays (e.g. pandas string labels) by their text, since their
    own bytes are memory addresses that change from one run to the next; other arrays by their bytes as before."""
    y = np.asarray(y)
    return np.ascontiguousarray(y.astype(str) if y.dtype == object else y).tobytes()


def data_key(X, y, val: ImageSet, test: ImageSet, minority) -> str:
    """A fingerprint of everything a cell's numbers depend on besides its settings: the training, validation and
    test images and labels (with their shapes and dtypes) and the minority class."""
    h = hashlib.sha1(repr(minority).encode())
    for images, labels in ((X, y), val, test):
        images = np.asarray(images)
        h.update(f"{images.shape}{images.dtype}".encode() + np.ascontiguousarray(images).tobytes())
        h.update(label_bytes(labels))
    return h.hexdigest()[:16]


def _pair(value, name: str) -> ImageSet:
    try:
        X, y = value
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a pair (images, labels), got {type(value).__name__}"
                         f"{'' if value is not None else ' (compare_on_images needs a validation and a test split)'}"
                         ) from None
    return np.asarray(X), np.asarray(y)


def check_images(train: Mapping[str, tuple], val: tuple, test: tuple, minority,
                 seeds: Sequence[int]) -> tuple[dict[str, ImageSet], ImageSet, ImageSet]:
    """Refuse, before any training, what :func:`compare_on_images` cannot run: no seeds or training sets, a seed
    that is not an integer, a training set name that cannot be part of a file name (:func:`.files.check_name_part`:
    the GAN cache files are named by it), a set that is no ``(images, labels)`` pair (``val`` and ``test`` are
    required), images the CNN cannot read (not 3-D or 4-D, NaN or infinite pixels), other than two classes, a
    minority that is not the smaller class of a training set, images of other shapes, labels and images of
    different counts, or uint8 images beside floats outside [0, 1] (:func:`check_pixel_scales`).
    Returns the training sets, ``val`` and ``test`` as arrays."""
    from .features import to_nchw

    if not seeds or not train:
        raise ValueError("give at least one seed and one training set")
    for seed in seeds:
        check_seed(seed)
    for scenario in train:
        check_name_part(scenario, "the training set")
    sets = {f"training set {k!r}": _pair(v, f"training set {k!r}") for k, v in train.items()}
    sets.update(val=_pair(val, "val"), test=_pair(test, "test"))
    shape, classes = None, None
    for name, (X, y) in sets.items():
        if y.ndim != 1 or len(X) != len(y):
            raise ValueError(f"{name}: {len(X)} images but {len(y)} labels" if y.ndim == 1 else
                             f"{name}: labels of shape {y.shape}; pass one label per image, a 1-D array")
        try:
            to_nchw(X)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc} Pass finite images shaped (N, H, W), (N, H, W, C) or (N, C, H, W)."
                             ) from None
        shape = X.shape[1:] if shape is None else shape
        if X.shape[1:] != shape:
            raise ValueError(f"{name}: images of shape {X.shape[1:]}, the first training set's are {shape}")
        labels = set(np.unique(y).tolist())
        classes = labels if classes is None else classes
        if len(labels) != 2 or labels != classes or minority not in labels:
            raise ValueError(f"{name}: classes {sorted(labels)}; every set needs the same two classes, the minority "
                             f"{minority!r} one of them (compare_on_images is for binary image sets)")
        if not name.startswith("training") or (y == minority).sum() < (y != minority).sum():
            continue
        raise ValueError(f"{name}: the minority {minority!r} has {(y == minority).sum()} images, not fewer than "
                         f"the other class's {(y != minority).sum()}; name the smaller class as minority")
    check_pixel_scales(sets)
    return dict(zip(train, list(sets.values())[:-2])), sets["val"], sets["test"]


def check_pixel_scales(sets: Mapping[str, ImageSet]) -> None:
    """Refuse ``uint8`` images (read as pixel / 255) beside float images outside [0, 1] by more than 0.1 (read as they
    are): the CNN would standardise both with one mean and deviation, and score images 255 times brighter than it
    was trained on."""
    from .cnn import _outside_unit

    as_bytes = [name for name, (X, _) in sets.items() if X.dtype == np.uint8]
    outside = next(((name, X.min(), X.max()) for name, (X, _) in sets.items()
                    if X.dtype != np.uint8 and _outside_unit(X)), None)
    if as_bytes and outside:
        name, lo, hi = outside
        raise ValueError(f"{name}: float images in [{lo:g}, {hi:g}] beside uint8 images ({as_bytes[0]}), which are "
                         "read as pixel / 255: give every set the same dtype (e.g. X.astype(np.uint8) for whole "
                         "pixel values, or floats divided by 255 everywhere)")


def check_cnn_params(cnn_params: Mapping) -> None:
    """Refuse, before any training, CNN settings a cell could not use: a keyword or value
    :class:`~minority_gen.evaluation.CNNClassifier` refuses, an unknown or absent device, a ``random_state`` (each
    cell's seed sets it) or a ``validation_metric`` other than ``"roc_auc"`` (cells record and are chosen on the
    validation ROC AUC)."""
    from .cnn import CNNClassifier
    from .features import _device

    if not isinstance(cnn_params, Mapping):
        raise ValueError(f"cnn_params: expected a mapping of CNNClassifier parameters, got {type(cnn_params).__name__}")
    if "random_state" in cnn_params:
        raise ValueError(f"cnn_params sets random_state={cnn_params['random_state']!r}; each cell's CNN is seeded by "
                         "the cell's seed (the seeds argument): drop random_state from cnn_params")
    if cnn_params.get("validation_metric", "roc_auc") != "roc_auc":
        raise ValueError(f"cnn_params sets validation_metric={cnn_params['validation_metric']!r}; compare_on_images "
                         "records the validation ROC AUC of every cell and chooses conditions on it: drop it or use "
                         "'roc_auc'")
    try:
        clf = CNNClassifier(**cnn_params)
        clf._validate_params()
        _device(clf.device)
    except (TypeError, ValueError) as exc:
        names = ", ".join(k for k in CNNClassifier().get_params() if k != "random_state")
        raise ValueError(f"cnn_params: {exc} (CNNClassifier takes {names})") from None
