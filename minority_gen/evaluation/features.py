"""Feature extractors that turn images into vectors for the quality metrics.

A feature extractor is any object with ``transform(images) -> (n, d)``
array; it may also have ``fit(images, y)`` (called on the real images before
use). Two are provided:

* :class:`SmallCNNFeatures` — a small convolutional classifier trained on
  the user's own real images; works offline and is the default.
* :class:`InceptionFeatures` — torchvision's Inception-v3 pool features
  (2048-d, the FID feature space), from a local weights file or, when asked,
  torchvision's download.

Images may arrive as ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` with
``C`` in {1, 3, 4}; ``uint8`` pixels are divided by 255, floats are used as
given (expected in [0, 1]). See :func:`to_nchw`.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from torch import nn
from torch.nn import functional as F

from ..devices import seeded_init

_CHANNELS = (1, 3, 4)


def to_nchw(images) -> np.ndarray:
    """Images as a float32 ``(N, C, H, W)`` array.

    ``(N, H, W)`` gains a channel axis; a 4-D array is read as channels-last
    when its last axis has 1, 3 or 4 entries, otherwise as channels-first
    (the rule of :meth:`~minority_gen.images.ImageLayout.detect`, so that a
    GAN and a CNN read the same images alike). ``uint8`` is scaled to [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> to_nchw(np.zeros((2, 28, 28), np.uint8)).shape
    (2, 1, 28, 28)
    >>> to_nchw(np.zeros((2, 32, 32, 3))).shape
    (2, 3, 32, 32)
    """
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[:, None]
    elif arr.ndim == 4:
        if arr.shape[-1] in _CHANNELS:
            arr = arr.transpose(0, 3, 1, 2)
        elif arr.shape[1] not in _CHANNELS:
            raise ValueError(
                f"Cannot tell the channel axis of images with shape {arr.shape}: expected "
                "(N, H, W), (N, H, W, C) or (N, C, H, W) with C in {1, 3, 4}."
            )
    else:
        raise ValueError(f"images must be 3-D or 4-D; got shape {arr.shape}.")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError("images contain NaN or inf.")
    top = max(float(arr.max()), -float(arr.min())) if arr.dtype.kind == "f" and arr.dtype.itemsize > 4 and arr.size \
        else 0.0  # the largest |value|, without a copy of the images
    if top > float(np.finfo(np.float32).max):
        raise ValueError(f"images hold values up to {top:.3g}, beyond float32's range: rescale them (e.g. to [0, 1]).")
    out = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    if not np.isfinite(out).all():
        raise ValueError("images contain NaN or inf.")
    return np.ascontiguousarray(out)


def _batched(module: nn.Module, x: np.ndarray, batch_size: int, device: torch.device, prep=None):
    outs = []
    with torch.no_grad():
        for start in range(0, max(len(x), 1), batch_size):  # no images: one empty batch gives the (0, d) shape
            xb = torch.from_numpy(x[start:start + batch_size]).to(device)
            if prep is not None:
                xb = prep(xb)
            outs.append(module(xb).float().cpu())
    return torch.cat(outs).numpy().astype(np.float64)


def _device(device: str) -> torch.device:
    from ..devices import resolve_device  # "auto", "cpu", "cuda", "cuda:N", with clear errors

    return resolve_device(device)


class _SmallCNN(nn.Module):
    """``blocks`` blocks of ``convs_per_block`` 3×3 convolutions (``width·2^i`` channels in block ``i``, ReLU,
    batch normalisation after each convolution with ``batch_norm``), a 2×2 max-pool between blocks, adaptive
    average pooling (to 4×4 after one or two blocks, 2×2 after three, 1×1 after more), a dense layer of
    ``n_features`` units and a linear head. The defaults (two blocks of one convolution, no batch norm) are
    the plain network: the same layers, so the same seeded initial weights."""

    def __init__(self, channels: int, n_classes: int, width: int, n_features: int, batch_norm: bool = False,
                 blocks: int = 2, convs_per_block: int = 1):
        super().__init__()
        layers, c_in = [], channels
        for i in range(blocks):
            c_out = width * 2**i
            for _ in range(convs_per_block):
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1), *([nn.BatchNorm2d(c_out)] if batch_norm else []),
                           nn.ReLU()]
                c_in = c_out
            if i < blocks - 1:
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
        side = max(1, 4 >> max(0, blocks - 2))
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(side), nn.Flatten(),
                                  nn.Linear(c_in * side * side, n_features), nn.ReLU())
        self.head = nn.Linear(n_features, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


def encode_labels(y, n_images: int, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, indices)`` of the labels of ``n_images`` images; at least two classes."""
    classes, y_idx = np.unique(np.asarray(y), return_inverse=True)
    if y_idx.ndim != 1 or len(y_idx) != n_images:
        raise ValueError(f"y has {len(y_idx)} labels for {n_images} images; pass one label per image.")
    if len(classes) < 2:
        raise ValueError(f"{owner} needs labels of at least 2 classes to train on; got {classes.tolist()}.")
    return classes, y_idx


def build_small_cnn(channels: int, n_classes: int, width: int, n_features: int,
                    rng: np.random.RandomState, **arch) -> nn.Module:
    """A :class:`_SmallCNN` whose initial weights are seeded from ``rng`` (torch's global seed untouched);
    ``arch``: its ``batch_norm``, ``blocks`` and ``convs_per_block``."""
    with seeded_init(int(rng.randint(2**31 - 1))):
        return _SmallCNN(channels, n_classes, width, n_features, **arch)


def flip_shift(x: torch.Tensor, gen: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """A batch ``(N, C, H, W)`` with each image mirrored left-right with probability 1/2 and moved by up to
    ``max_shift`` pixels along each axis (edge pixels repeated into the gap); random draws from ``gen``.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(2 * 16, dtype=torch.float32).reshape(2, 1, 4, 4)
    >>> out = flip_shift(x, torch.Generator().manual_seed(0), max_shift=1)
    >>> out.shape, bool((out.amin() >= x.amin()) & (out.amax() <= x.amax()))
    (torch.Size([2, 1, 4, 4]), True)
    """
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip.to(x.device)[:, None, None, None], x.flip(3), x)
    if max_shift < 1:
        return x
    padded = F.pad(x, (max_shift,) * 4, mode="replicate")
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n), generator=gen).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, :, None]  # (n, h, 1)
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, :]  # (n, 1, w)
    return padded[torch.arange(n, device=x.device)[:, None, None], :, rows, cols].permute(0, 3, 1, 2)


def train_epochs(net: nn.Module, x: np.ndarray, y_idx: np.ndarray, epochs: int, batch_size: int, lr: float,
                 device: torch.device, rng: np.random.RandomState, augment=None):
    """Train ``net`` with Adam and cross-entropy; yield ``(epoch, mean training loss)`` after each epoch.

    The batch order comes from a ``torch.Generator`` seeded from ``rng``; so
    do the random draws of ``augment`` (``augment(batch, generator)``, e.g.
    :func:`flip_shift`, applied to every training batch). The network is in
    training mode while the loop runs (the caller may evaluate it between
    epochs: it is put back in training mode before the next one).
    """
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(int(rng.randint(2**31 - 1)))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y_idx.astype(np.int64))
    for epoch in range(1, epochs + 1):
        net.train()
        order = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for start in range(0, len(xt), batch_size):
            idx = order[start:start + batch_size]
            xb = xt[idx].to(device)
            if augment is not None:
                xb = augment(xb, gen)
            loss = F.cross_entropy(net(xb), yt[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        yield epoch, total / len(xt)


class SmallCNNFeatures(BaseEstimator):
    """A small CNN trained on your real images; its penultimate layer gives the features.

    Two convolution blocks and a dense layer of ``n_features`` units,
    trained as a classifier on the real images and their labels with Adam
    for ``epochs`` passes. Works offline, on the CPU, in seconds for a few
    thousand small images. Also exposes ``predict_proba`` for class
    fidelity and the AM score.

    Parameters
    ----------
    epochs : int, default=10
    width : int, default=16
        Channels of the first convolution (the second has twice as many).
    n_features : int, default=128
    batch_size : int, default=64
    lr : float, default=1e-3
    device : str, default="cpu"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    random_state : int, RandomState or None, default=0

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> images, y = rng.random((40, 12, 12)), np.repeat([0, 1], 20)
    >>> fx = SmallCNNFeatures(epochs=1, width=4, n_features=8).fit(images, y)
    >>> fx.transform(images).shape
    (40, 8)
    """

    def __init__(self, epochs=10, width=16, n_features=128, batch_size=64, lr=1e-3, device="cpu",
                 random_state=0):
        self.epochs = epochs
        self.width = width
        self.n_features = n_features
        self.batch_size = batch_size
        self.lr = lr
        self.device = device
        self.random_state = random_state

    def fit(self, images, y) -> SmallCNNFeatures:
        x = to_nchw(images)
        self.classes_, y_idx = encode_labels(y, len(x), type(self).__name__)
        self.image_shape_ = x.shape[1:]
        rng = check_random_state(self.random_state)
        self.device_ = _device(self.device)
        net = build_small_cnn(x.shape[1], len(self.classes_), self.width, self.n_features, rng)
        for _ in train_epochs(net, x, y_idx, self.epochs, self.batch_size, self.lr, self.device_, rng):
            pass
        self.net_ = net.eval()
        return self

    def _input(self, images) -> np.ndarray:
        if not hasattr(self, "net_"):
            raise NotFittedError("SmallCNNFeatures is not fitted: call fit(real_images, labels) first.")
        x = to_nchw(images)
        if x.shape[1:] != self.image_shape_:
            raise ValueError(f"images have shape {x.shape[1:]} (C, H, W); fitted on {self.image_shape_}.")
        return x

    def transform(self, images) -> np.ndarray:
        """Penultimate-layer features, ``(n, n_features)``."""
        x = self._input(images)  # first: it says when the extractor is not fitted
        return _batched(self.net_.body, x, 256, self.device_)

    def predict_proba(self, images) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        return _batched(lambda x: self.net_(x).softmax(1), self._input(images), 256, self.device_)


class TorchFeatures:
    """Features from any torch module mapping ``(N, C, H, W)`` images to ``(N, d)``.

    Parameters
    ----------
    module : torch.nn.Module
    input_size : int or None, default=None
        Resize images to ``input_size × input_size`` (bilinear) first.
    channels : int or None, default=None
        Repeat a single grey channel to this many channels (e.g. 3).
    mean, std : sequence of float or None, default=None
        Per-channel normalisation applied after resizing.
    batch_size : int, default=64
    device : str, default="cpu"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> fx = TorchFeatures(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3)))
    >>> fx.transform(np.zeros((5, 4, 4))).shape
    (5, 3)
    """

    def __init__(self, module: nn.Module, input_size: int | None = None, channels: int | None = None,
                 mean=None, std=None, batch_size: int = 64, device: str = "cpu"):
        self.module = module
        self.input_size = input_size
        self.channels = channels
        self.mean = mean
        self.std = std
        self.batch_size = batch_size
        self.device = device

    def fit(self, images=None, y=None) -> TorchFeatures:
        """Nothing to learn: the module is used as given."""
        return self

    def _prep(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels and x.shape[1] == 1 and self.channels > 1:
            x = x.expand(-1, self.channels, -1, -1)
        elif self.channels and x.shape[1] == 4 and self.channels == 3:
            x = x[:, :3]
        if self.input_size and tuple(x.shape[-2:]) != (self.input_size, self.input_size):
            size = (self.input_size, self.input_size)
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        if (self.mean is None) != (self.std is None):
            raise ValueError(f"mean and std must be given together; got mean={self.mean!r}, std={self.std!r}.")
        if self.mean is not None:
            mean = torch.as_tensor(self.mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
            std = torch.as_tensor(self.std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
            x = (x - mean) / std
        return x

    def transform(self, images) -> np.ndarray:
        """Features of the images, ``(n, d)``."""
        device = _device(self.device)
        module = self.module.to(device).eval()
        out = _batched(module, to_nchw(images), self.batch_size, device, self._prep)
        return out.reshape(len(out), -1)


_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
DOWNLOAD = "IMAGENET1K_V1"


def load_inception_v3(weights: str | os.PathLike) -> nn.Module:
    """torchvision's Inception-v3 with its classifier replaced by the identity (2048-d pool features).

    ``weights`` is a local file holding the state dict (e.g. torchvision's
    ``inception_v3_google-0cc3c7bd.pth``), or ``"IMAGENET1K_V1"`` to let
    torchvision download it into its cache (needs the network once).
    """
    from torchvision.models import Inception_V3_Weights, inception_v3

    if str(weights) == DOWNLOAD:
        model = inception_v3(weights=Inception_V3_Weights.IMAGENET1K_V1)
    else:
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"Inception-v3 weights file not found: {path!r}. Pass the path of torchvision's "
                f"inception_v3_google-*.pth state dict, or weights={DOWNLOAD!r} to download it."
            )
        state = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        aux = any(key.startswith("AuxLogits.") for key in state)
        # torchvision builds its pretrained model with transform_input=True; do the same so
        # a local copy of those weights gives the same features as the download.
        model = inception_v3(weights=None, aux_logits=aux, transform_input=True, init_weights=False)
        model.load_state_dict(state)
    model.fc = nn.Identity()
    return model.eval()


class InceptionFeatures(TorchFeatures):
    """Inception-v3 pool features (the FID feature space) from torchvision.

    Grey images are repeated to three channels, resized to ``input_size``
    (299 as for FID) and normalised with ImageNet statistics.

    Parameters
    ----------
    weights : str or path
        A local state-dict file, or ``"IMAGENET1K_V1"`` to download through
        torchvision (cached under ``$TORCH_HOME``).
    input_size : int, default=299
        Inception-v3 accepts 75 and above.
    batch_size : int, default=32
    device : str, default="cpu"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Examples
    --------
    >>> fx = InceptionFeatures("inception_v3_google-0cc3c7bd.pth")  # doctest: +SKIP
    >>> fx.transform(images).shape  # doctest: +SKIP
    (n, 2048)
    """

    def __init__(self, weights: str | os.PathLike, input_size: int = 299, batch_size: int = 32,
                 device: str = "cpu"):
        if input_size < 75:
            raise ValueError(f"input_size must be at least 75 for Inception-v3; got {input_size}.")
        super().__init__(load_inception_v3(weights), input_size=input_size, channels=3,
                         mean=_IMAGENET_MEAN, std=_IMAGENET_STD, batch_size=batch_size, device=device)
        self.weights = weights
