"""Generator and discriminator networks, sized from the data's shape.

Tables (``spec.image_shape is None``) get fully connected networks; images
get the DCGAN-style convolutional ones of :mod:`minority_gen.nets.conv`,
whose width (channels at full resolution) is ``hidden_dims[0]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import nn

from ..data import DataSpec
from .anchored import AnchoredConvGenerator, AnchoredGenerator
from .conv import DEFAULT_WIDTH, ConvDiscriminator, ConvGenerator, conv_stages, supported_sizes_near
from .heads import Head, HeadLayer
from .mlp import MLPDiscriminator, MLPGenerator
from .packing import PackedDiscriminator

__all__ = [
    "AnchoredConvGenerator",
    "AnchoredGenerator",
    "ConvDiscriminator",
    "ConvGenerator",
    "Head",
    "HeadLayer",
    "MLPDiscriminator",
    "MLPGenerator",
    "PackedDiscriminator",
    "auto_hidden_dims",
    "build_discriminator",
    "build_generator",
    "conv_stages",
    "supported_sizes_near",
]


def auto_hidden_dims(spec: DataSpec) -> tuple[int, ...]:
    """Default hidden widths: two layers of ``clip(4·d, 64, 256)`` for a table;
    ``(16,)`` channels at full resolution for images."""
    if spec.image_shape is not None:
        return (DEFAULT_WIDTH,)
    width = int(min(256, max(64, 4 * spec.n_features)))
    return (width, width)


def build_generator(
    spec: DataSpec,
    latent_dim: int,
    n_classes: int = 0,
    hidden_dims: Sequence[int] | None = None,
    anchors: Mapping | None = None,
    padding: str = "zeros",
) -> nn.Module:
    """The generator for data of shape ``spec`` (``n_classes > 0``: conditional).

    ``anchors``: keyword arguments of
    :class:`~minority_gen.nets.anchored.AnchoredGenerator` (tables) or
    :class:`~minority_gen.nets.anchored.AnchoredConvGenerator` (images):
    ``rows`` (flat), and ``labels`` / ``neighbours`` when known; the
    generator then refines SMOTE interpolations of those rows. ``padding``:
    how an image generator's convolutions pad (:data:`~minority_gen.nets.conv.PADDINGS`); tables have none.
    """
    hidden = tuple(hidden_dims) if hidden_dims is not None else auto_hidden_dims(spec)
    if spec.image_shape is not None:
        if anchors is not None:
            return AnchoredConvGenerator(latent_dim, spec.image_shape, hidden[0], n_classes, **anchors,
                                         padding=padding)
        return ConvGenerator(latent_dim, spec.image_shape, hidden[0], n_classes, padding=padding)
    if anchors is not None:
        return AnchoredGenerator(latent_dim, spec.n_features, hidden, n_classes, blocks=spec.blocks, **anchors)
    return MLPGenerator(latent_dim, spec.n_features, hidden, n_classes, blocks=spec.blocks)


def build_discriminator(
    spec: DataSpec,
    heads: Mapping[str, Head],
    n_classes: int = 0,
    hidden_dims: Sequence[int] | None = None,
    spectral_norm: bool = False,
    pac: int = 1,
) -> nn.Module:
    """The discriminator for data of shape ``spec`` returning ``heads``.

    ``pac > 1`` gives a :class:`PackedDiscriminator` judging ``pac`` rows at
    a time (PacGAN).
    """
    hidden = tuple(hidden_dims) if hidden_dims is not None else auto_hidden_dims(spec)
    if spec.image_shape is not None:
        inner = ConvDiscriminator(spec.image_shape, heads, hidden[0], n_classes, spectral_norm, pac=pac)
    else:
        inner = MLPDiscriminator(spec.n_features * pac, heads, hidden, n_classes, spectral_norm)
    return inner if pac == 1 else PackedDiscriminator(inner, pac)
