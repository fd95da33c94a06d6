"""DCGAN-style convolutional generator and discriminator for images.

Both are sized from the image shape ``(C, H, W)``. Supported sizes: each side
``b · 2^k`` with ``4 <= b <= 7`` and the same ``k >= 2`` for height and
width, e.g. 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128 (square or not: 28×28,
32×32, 64×64, 32×48 …); 1 to 4 channels. The networks go through ``k``
resolution stages between a ``b_h × b_w`` base and the full image.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn
from torch.nn.utils import spectral_norm as _sn

from .heads import Head, HeadLayer, condition_on_labels

#: Channels at full resolution when ``hidden_dims`` is not given.
DEFAULT_WIDTH = 16

#: How the image generators' convolutions pad their input (``padding_mode`` of ``torch.nn.Conv2d``). Zeros, the
#: DCGAN habit, let a generator draw a frame that a classifier can key on (docs/images.md, "Why GAN images alone
#: hurt"); replicating or reflecting the edge pixels gives the border nothing of its own to learn.
PADDINGS = ("zeros", "replicate", "reflect")

#: Memory format of the convolution weights (and so of the activations):
#: channels last (NHWC) is oneDNN's native layout, so the CPU convolutions
#: skip the reorders to and from NCHW that otherwise cost about a quarter of
#: an iteration at 28 × 28 (``benchmarks/results/image_iteration_profile.md``).
#: cuDNN takes it as well.
CONV_MEMORY_FORMAT = torch.channels_last


def conv_stages(image_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """``(k, b_h, b_w)``: resolution stages and base size for ``image_shape``.

    Raises ``ValueError`` (saying which sizes are supported) otherwise.

    Examples
    --------
    >>> conv_stages((1, 28, 28)), conv_stages((3, 64, 64))
    ((2, 7, 7), (4, 4, 4))
    """
    c, h, w = image_shape

    def split(side: int) -> tuple[int, int]:
        k = 0
        while side % 2 == 0 and side // 2 >= 4:
            side //= 2
            k += 1
        return k, side

    (kh, bh), (kw, bw) = split(h), split(w)
    if not 1 <= c <= 4 or kh != kw or kh < 2 or not (4 <= bh <= 7 and 4 <= bw <= 7):
        raise ValueError(
            f"The convolutional networks do not support images of shape (C, H, W) = {image_shape}. "
            "Supported: 1 to 4 channels and sides b·2^k with 4 <= b <= 7 and the same k >= 2 for "
            "height and width (16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128 …; e.g. 28×28, 32×32, "
            "64×64)"
            + (f"; nearest to {h}×{w}: {', '.join(f'{a}×{b}' for a, b in supported_sizes_near(h, w))}"
               if 1 <= c <= 4 else "")
            + ". Resize the images (e.g. the images command's --resize) or pass them as flat "
            "rows without image_shape to use the fully connected networks. If X is not images, pass "
            "a 2-D table (n_samples, n_features)."
        )
    return kh, bh, bw


def supported_sizes_near(height: int, width: int, n: int = 4) -> list[tuple[int, int]]:
    """The ``n`` ``(H, W)`` sizes :func:`conv_stages` takes that are nearest ``height × width`` (fewest pixels of
    difference per side, then the closest aspect ratio).

    Examples
    --------
    >>> supported_sizes_near(48, 64)
    [(48, 56), (40, 56), (48, 48), (56, 56)]
    """
    top = max(height, width, 16)
    sizes = [(b_h << k, b_w << k) for k in range(2, top.bit_length() + 1) for b_h in range(4, 8) for b_w in range(4, 8)]
    return sorted(sizes, key=lambda s: (abs(s[0] - height) + abs(s[1] - width), abs(s[0] / s[1] - height / width)))[:n]


def check_padding(padding) -> str:
    """``padding`` if it is one of :data:`PADDINGS`, else a ``ValueError`` that lists them."""
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {', '.join(map(repr, PADDINGS))}; got {padding!r}.")
    return padding


def _widths(width: int, k: int) -> list[int]:
    """Channels from full resolution (index 0) down to the base (index k)."""
    return [width * min(2**i, 8) for i in range(k + 1)]


class ConvGenerator(nn.Module):
    """``z -> image`` (or ``(z, y) -> image``, one-hot ``y`` concatenated to ``z``).

    A linear layer makes a ``b_h × b_w`` map of ``width · 2^k`` channels (at
    most ``8 · width``), then ``k`` stages of nearest 2× upsampling, 3×3
    convolution, batch norm and ReLU halve the channels, and a 3×3
    convolution with tanh gives ``C`` channels in ``[-1, 1]``. ``padding``:
    how every convolution pads its input, one of :data:`PADDINGS`.

    Examples
    --------
    >>> import torch
    >>> g = ConvGenerator(latent_dim=8, image_shape=(1, 28, 28), width=4)
    >>> g(torch.zeros(2, 8)).shape
    torch.Size([2, 1, 28, 28])
    """

    def __init__(
        self,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        width: int = DEFAULT_WIDTH,
        n_classes: int = 0,
        padding: str = "zeros",
    ):
        super().__init__()
        k, bh, bw = conv_stages(image_shape)
        widths = _widths(width, k)
        pad = {"padding": 1, "padding_mode": check_padding(padding)}
        self.latent_dim, self.n_classes = latent_dim, n_classes
        self.image_shape = tuple(image_shape)
        self.base = (widths[k], bh, bw)
        self.project = nn.Linear(latent_dim + n_classes, widths[k] * bh * bw)
        layers: list[nn.Module] = [nn.BatchNorm2d(widths[k]), nn.ReLU()]
        for i in range(k, 0, -1):
            layers += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(widths[i], widths[i - 1], 3, bias=False, **pad),
                nn.BatchNorm2d(widths[i - 1]),
                nn.ReLU(),
            ]
        layers += [nn.Conv2d(widths[0], image_shape[0], 3, **pad), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.to(memory_format=CONV_MEMORY_FORMAT)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        z = condition_on_labels(z, y, self.n_classes)
        return self.net(self.project(z).view(len(z), *self.base))


class ConvDiscriminator(nn.Module):
    """``image -> {head name: output}`` with a convolutional trunk ``φ``.

    A 3×3 convolution to ``width`` channels, then ``k`` stages of 4×4
    stride-2 convolutions (channels doubling, at most ``8 · width``) with
    leaky ReLU; the flattened base map is ``φ(x)``, fed to every
    :class:`~minority_gen.nets.HeadLayer` (so projection heads work). No
    batch norm, so batch statistics never tell real from fake; optional
    spectral norm on every layer. Accepts ``(N, C, H, W)`` or flat rows.
    With ``pac > 1`` it takes packs of ``pac`` images stacked along the
    channels (see :class:`~minority_gen.nets.packing.PackedDiscriminator`).

    Examples
    --------
    >>> import torch
    >>> d = ConvDiscriminator((3, 32, 32), {"adv": Head(1), "cls": Head(5)}, width=4)
    >>> {k: v.shape for k, v in d(torch.zeros(2, 3, 32, 32)).items()}
    {'adv': torch.Size([2]), 'cls': torch.Size([2, 5])}
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        heads: Mapping[str, Head],
        width: int = DEFAULT_WIDTH,
        n_classes: int = 0,
        spectral_norm: bool = False,
        pac: int = 1,
    ):
        super().__init__()
        if not heads:
            raise ValueError("A discriminator needs at least one head.")
        k, bh, bw = conv_stages(image_shape)
        widths = _widths(width, k)
        wrap = _sn if spectral_norm else (lambda m: m)
        c, h, w = image_shape
        self.image_shape = (c * pac, h, w)  # a pack of ``pac`` images is stacked along the channels
        layers: list[nn.Module] = [
            wrap(nn.Conv2d(c * pac, widths[0], 3, padding=1)), nn.LeakyReLU(0.2)
        ]
        for i in range(k):
            layers += [wrap(nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        layers.append(nn.Flatten())
        self.trunk = nn.Sequential(*layers)
        n_features = widths[k] * bh * bw
        self.heads = nn.ModuleDict(
            {name: HeadLayer(head, n_features, n_classes, _sn if spectral_norm else None)
             for name, head in heads.items()}
        )
        self.to(memory_format=CONV_MEMORY_FORMAT)

    def features(self, x: Tensor) -> Tensor:
        """The trunk's features ``φ(x)``."""
        return self.trunk(x.view(len(x), *self.image_shape))

    def forward(self, x: Tensor, y: Tensor | None = None) -> dict[str, Tensor]:
        h = self.features(x)
        return {name: layer(h, y) for name, layer in self.heads.items()}
