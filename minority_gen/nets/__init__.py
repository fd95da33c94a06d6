"""Generator and discriminator networks, sized from the data's shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import nn

from ..data import DataSpec
from .heads import Head, HeadLayer
from .mlp import MLPDiscriminator, MLPGenerator

__all__ = [
    "Head",
    "HeadLayer",
    "MLPDiscriminator",
    "MLPGenerator",
    "auto_hidden_dims",
    "build_discriminator",
    "build_generator",
]


def auto_hidden_dims(spec: DataSpec) -> tuple[int, ...]:
    """Default hidden widths for a table: two layers of ``clip(4·d, 64, 256)``."""
    width = int(min(256, max(64, 4 * spec.n_features)))
    return (width, width)


def build_generator(
    spec: DataSpec,
    latent_dim: int,
    n_classes: int = 0,
    hidden_dims: Sequence[int] | None = None,
) -> nn.Module:
    """The generator for data of shape ``spec`` (``n_classes > 0``: conditional)."""
    hidden = tuple(hidden_dims) if hidden_dims is not None else auto_hidden_dims(spec)
    return MLPGenerator(latent_dim, spec.n_features, hidden, n_classes)


def build_discriminator(
    spec: DataSpec,
    heads: Mapping[str, Head],
    n_classes: int = 0,
    hidden_dims: Sequence[int] | None = None,
    spectral_norm: bool = False,
) -> nn.Module:
    """The discriminator for data of shape ``spec`` returning ``heads``."""
    hidden = tuple(hidden_dims) if hidden_dims is not None else auto_hidden_dims(spec)
    return MLPDiscriminator(spec.n_features, heads, hidden, n_classes, spectral_norm)
