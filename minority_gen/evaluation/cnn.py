"""``CNNClassifier``: a small convolutional image classifier for downstream evaluation.

The classifier of protocol I (``benchmarks/protocol_i.py``): trained on
real and/or synthetic images, it tells whether oversampling helped. It is
the network of :class:`~minority_gen.evaluation.SmallCNNFeatures` (two
convolution blocks and a dense layer, the same training loop) with a
scikit-learn classifier's face and model selection on a validation split.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ..constraints import NumberIn
from .features import _batched, _device, build_small_cnn, encode_labels, flip_shift, to_nchw, train_epochs

VALIDATION_METRICS = ("roc_auc", "balanced_accuracy")
#: Named settings beyond ``epochs`` and ``width``: ``"plain"`` is the class defaults, ``"strong"`` the network that
#: protocol I chose on BreastMNIST's validation split (see :class:`CNNClassifier`).
PRESETS = {"plain": {}, "strong": dict(blocks=3, convs_per_block=2, batch_norm=True, augment=True)}
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


def _score(metric: str, y_idx: np.ndarray, proba: np.ndarray) -> float:
    if metric == "balanced_accuracy":
        return float(balanced_accuracy_score(y_idx, proba.argmax(1)))
    if proba.shape[1] == 2:
        return float(roc_auc_score(y_idx, proba[:, 1]))
    return float(roc_auc_score(y_idx, proba, multi_class="ovr", labels=np.arange(proba.shape[1])))


def _outside_unit(x: np.ndarray) -> bool:
    """Floats clearly outside [0, 1] (by more than 0.1: a GAN's or an interpolation's overshoot is not)."""
    return bool(len(x)) and (float(x.min()) < -0.1 or float(x.max()) > 1.1)


def check_same_scale(X, x: np.ndarray, fitted_uint8: bool, fitted_outside: bool, what: str) -> None:
    """Refuse ``uint8`` images (read as pixel / 255) against float training images outside [0, 1], and float images
    outside [0, 1] against ``uint8`` training images: the network would see images 255 times brighter or darker
    than it was trained on. ``X`` as given, ``x`` as read (:func:`to_nchw`)."""
    given_uint8 = np.asarray(X).dtype == np.uint8
    if given_uint8 and not fitted_uint8 and fitted_outside:
        raise ValueError(f"{what} are uint8 (read as pixel / 255) but the training images were floats outside "
                         "[0, 1] (read as they are): pass them as the same float values, e.g. X.astype(np.float32)")
    if fitted_uint8 and not given_uint8 and _outside_unit(x):
        raise ValueError(f"{what} are floats in [{x.min():g}, {x.max():g}] but the training images were uint8 (read "
                         "as pixel / 255): pass them as uint8, or divide them by 255")


class CNNClassifier(ClassifierMixin, BaseEstimator):
    """A small CNN image classifier with a fixed epoch budget and validation-based selection.

    ``blocks`` blocks of ``convs_per_block`` 3×3 convolutions (``width``,
    ``2·width``, ``4·width``, ... channels, ReLU, batch normalisation after
    each convolution with ``batch_norm``; 2×2 max-pool between blocks,
    adaptive average pooling to 4×4 after one or two blocks, 2×2 after
    three, 1×1 after more), a
    dense layer of ``n_features`` units and a linear head, trained with Adam
    on the cross-entropy for exactly ``epochs`` passes over the training
    images. Pixels are standardised per channel with the training images'
    mean and standard deviation. The defaults are the plain two-block
    network; ``blocks=3, convs_per_block=2, batch_norm=True, augment=True``
    (``PRESETS["strong"]``) is the stronger one that protocol I chose on BreastMNIST's validation
    split (``benchmarks/results/protocol_i/NOTES.md``, section "a stronger
    CNN"), about 3 times slower.

    **Model selection.** With ``fit(X, y, X_val=..., y_val=...)`` the
    network is scored on the validation images after every epoch
    (``validation_metric``) and the weights of the best epoch are kept (the
    earliest one on ties); ``history_`` records every epoch's training loss
    and validation score and ``best_epoch_`` the one kept. Without a
    validation set the last epoch is kept. The validation images are never
    trained on.

    Images may be ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` with
    ``C`` in {1, 3, 4}, ``uint8`` (divided by 255) or float (used as given);
    see :func:`~minority_gen.evaluation.to_nchw`.

    Parameters
    ----------
    epochs : int, default=30
        Training passes over the training images (the fixed budget).
    width : int, default=16
        Channels of the first block's convolutions (each further block has twice as many).
    n_features : int, default=128
        Units of the dense layer before the head.
    blocks : int, default=2
        Convolution blocks, each but the last followed by a 2×2 max-pool.
    convs_per_block : int, default=1
        3×3 convolutions in each block.
    batch_norm : bool, default=False
        Batch normalisation after each convolution.
    augment : bool, default=False
        Mirror each training image left-right with probability 1/2 and move
        it by up to 2 pixels along each axis, afresh in every epoch
        (:func:`~minority_gen.evaluation.features.flip_shift`). Only for
        images whose class a mirror and a small shift keep (e.g. ultrasound
        or photographs; not digits or text).
    batch_size : int, default=64
    lr : float, default=1e-3
        Adam learning rate.
    validation_metric : {"roc_auc", "balanced_accuracy"}, default="roc_auc"
        Score that picks the epoch when a validation set is given
        (``"roc_auc"``: one-vs-rest macro AUC for more than two classes).
    device : str, default="cpu"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    random_state : int, RandomState or None, default=0
        Seeds the initial weights and the batch order; the same value gives
        identical predictions on the CPU. Torch's global seed is not touched.

    Attributes
    ----------
    classes_ : ndarray
        The class labels; columns of ``predict_proba`` follow this order.
    image_shape_ : tuple
        ``(C, H, W)`` of the training images.
    mean_, std_ : ndarray
        Per-channel pixel mean and standard deviation used for standardising.
    net_ : torch.nn.Module
        The trained network (the selected epoch's weights), in eval mode.
    history_ : pandas.DataFrame
        One row per epoch: ``epoch``, ``train_loss`` and, with a validation
        set, ``val_<validation_metric>``.
    best_epoch_ : int
        The epoch whose weights were kept (``epochs`` without validation).
    best_score_ : float or None
        Its validation score (``None`` without validation).
    uint8_input_, outside_unit_ : bool
        Whether the training images were ``uint8``, and floats outside [0, 1]. ``X_val`` and the images to
        predict must be read at the same scale: ``uint8`` against such floats (or the reverse) raises ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from minority_gen.evaluation import CNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((60, 8, 8)).astype(np.float32) * 0.2
    >>> y = np.repeat([0, 1], 30)
    >>> X[y == 0, :3, :3] += 0.8; X[y == 1, -3:, -3:] += 0.8
    >>> clf = CNNClassifier(epochs=5, width=4, n_features=8).fit(X[::2], y[::2], X_val=X[1::2], y_val=y[1::2])
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    >>> len(clf.history_), 1 <= clf.best_epoch_ <= 5
    (5, True)
    """

    _parameter_constraints: dict = {
        "epochs": [NumberIn(Integral, 1, None, closed="left")],
        "width": [NumberIn(Integral, 1, None, closed="left")],
        "n_features": [NumberIn(Integral, 1, None, closed="left")],
        "blocks": [NumberIn(Integral, 1, None, closed="left")],
        "convs_per_block": [NumberIn(Integral, 1, None, closed="left")],
        "batch_norm": ["boolean"],
        "augment": ["boolean"],
        "batch_size": [NumberIn(Integral, 1, None, closed="left")],
        "lr": [NumberIn(Real, 0, None, closed="neither")],
        "validation_metric": [StrOptions(set(VALIDATION_METRICS))],
        "device": [str],
        "random_state": ["random_state"],
    }

    def __init__(self, epochs=30, width=16, n_features=128, blocks=2, convs_per_block=1, batch_norm=False,
                 augment=False, batch_size=64, lr=1e-3, validation_metric="roc_auc", device="cpu", random_state=0):
        self.epochs = epochs
        self.width = width
        self.n_features = n_features
        self.blocks = blocks
        self.convs_per_block = convs_per_block
        self.batch_norm = batch_norm
        self.augment = augment
        self.batch_size = batch_size
        self.lr = lr
        self.validation_metric = validation_metric
        self.device = device
        self.random_state = random_state

    def _check_validation(self, X_val, y_val, classes, image_shape, scale) -> tuple[np.ndarray, np.ndarray] | None:
        if X_val is None and y_val is None:
            return None
        if X_val is None or y_val is None:
            raise ValueError("Pass both X_val and y_val (validation images and their labels), or neither.")
        x_val = to_nchw(X_val)
        check_same_scale(X_val, x_val, *scale, "X_val images")
        if x_val.shape[1:] != image_shape:
            raise ValueError(f"X_val images have shape {x_val.shape[1:]} (C, H, W); the training images "
                             f"have {image_shape}.")
        y_val = np.asarray(y_val)
        if y_val.ndim != 1 or len(y_val) != len(x_val):
            raise ValueError(f"y_val has shape {y_val.shape} for {len(x_val)} validation images; "
                             "pass one label per image.")
        unknown = np.setdiff1d(y_val, classes)
        if len(unknown):
            raise ValueError(f"y_val has labels not seen in y: {unknown.tolist()}; y has {classes.tolist()}.")
        present = np.unique(y_val)
        if self.validation_metric == "roc_auc" and len(present) < len(classes):
            raise ValueError(f"validation_metric='roc_auc' needs every class in y_val; y_val has "
                             f"{present.tolist()} of {classes.tolist()}. Use a stratified validation split.")
        return x_val, np.searchsorted(classes, y_val)

    def fit(self, X, y, X_val=None, y_val=None) -> CNNClassifier:
        """Train for ``epochs`` passes; with ``X_val, y_val`` keep the best validation epoch.

        All inputs are checked before training starts.
        """
        self._validate_params()
        x = to_nchw(X)
        if np.ndim(y) != 1:
            raise ValueError(f"y has shape {np.shape(y)}; pass one label per image, a 1-D array (e.g. y.ravel()).")
        classes, y_idx = encode_labels(y, len(x), type(self).__name__)
        scale = (np.asarray(X).dtype == np.uint8, _outside_unit(x))
        validation = self._check_validation(X_val, y_val, classes, x.shape[1:], scale)
        self.device_ = _device(self.device)
        self.classes_, self.image_shape_, self.uint8_input_, self.outside_unit_ = classes, x.shape[1:], *scale
        self.mean_ = x.mean(axis=(0, 2, 3), keepdims=True)[0]
        self.std_ = np.maximum(x.std(axis=(0, 2, 3), keepdims=True)[0], 1e-6)
        rng = check_random_state(self.random_state)
        net = build_small_cnn(x.shape[1], len(classes), self.width, self.n_features, rng,
                              batch_norm=self.batch_norm, blocks=self.blocks, convs_per_block=self.convs_per_block)
        column = f"val_{self.validation_metric}"
        rows, best = [], (-np.inf, self.epochs, None)
        for epoch, loss in train_epochs(net, self._standardise(x), y_idx, self.epochs, self.batch_size,
                                        self.lr, self.device_, rng, flip_shift if self.augment else None):
            row = {"epoch": epoch, "train_loss": loss}
            if validation is not None:
                net.eval()
                proba = _batched(lambda b: net(b).softmax(1), self._standardise(validation[0]), 256,
                                 self.device_)
                row[column] = _score(self.validation_metric, validation[1], proba)
                if row[column] > best[0]:
                    best = (row[column], epoch, copy.deepcopy(net.state_dict()))
            rows.append(row)
        if best[2] is not None:
            net.load_state_dict(best[2])
        self.best_epoch_ = best[1]
        self.best_score_ = None if validation is None else best[0]
        self.history_ = pd.DataFrame(rows)
        self.net_ = net.eval()
        return self

    def describe(self) -> str:
        """The network and its training in words, for reports.

        >>> CNNClassifier().describe()
        'two blocks of one 3×3 convolution, dense 128, Adam 0.001, batch 64'
        """
        blocks, convs = self.blocks, self.convs_per_block
        network = (f"{_WORDS.get(blocks, blocks)} block{'s' * (blocks > 1)} of {_WORDS.get(convs, convs)} 3×3 "
                   f"convolution{'s' * (convs > 1)}{' with batch norm' if self.batch_norm else ''}")
        augment = ", training batches mirrored left-right and shifted by up to 2 pixels" if self.augment else ""
        return f"{network}, dense {self.n_features}, Adam {self.lr:g}, batch {self.batch_size}{augment}"

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray((x - self.mean_) / self.std_, dtype=np.float32)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, ``(n, n_classes)``, columns in the order of ``classes_``."""
        check_is_fitted(self, "net_")
        x = to_nchw(X)
        if x.shape[1:] != self.image_shape_:
            raise ValueError(f"images have shape {x.shape[1:]} (C, H, W); fitted on {self.image_shape_}.")
        check_same_scale(X, x, self.uint8_input_, self.outside_unit_, "the images")
        return _batched(lambda b: self.net_(b).softmax(1), self._standardise(x), 256, self.device_)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each image."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]
