"""Fully connected generator and discriminator for tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import Tensor, nn
from torch.nn.utils import spectral_norm as _sn

from .heads import Head, HeadLayer, condition_on_labels


class MLPGenerator(nn.Module):
    """``z -> x`` (or ``(z, y) -> x`` with one-hot ``y`` concatenated to ``z``).

    The output is linear: tables are standardised before training, so the
    generator works in that space.

    Examples
    --------
    >>> import torch
    >>> g = MLPGenerator(latent_dim=8, out_features=3, hidden_dims=(16,))
    >>> g(torch.zeros(5, 8)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        latent_dim: int,
        out_features: int,
        hidden_dims: Sequence[int] = (128, 128),
        n_classes: int = 0,
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        layers: list[nn.Module] = []
        width = latent_dim + n_classes
        for h in hidden_dims:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        z = condition_on_labels(z, y, self.n_classes)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """``x -> {head name: output}`` with a shared trunk ``φ``.

    Examples
    --------
    >>> import torch
    >>> d = MLPDiscriminator(3, {"adv": Head(1), "cls": Head(4)}, hidden_dims=(16,))
    >>> {k: v.shape for k, v in d(torch.zeros(5, 3)).items()}
    {'adv': torch.Size([5]), 'cls': torch.Size([5, 4])}
    """

    def __init__(
        self,
        in_features: int,
        heads: Mapping[str, Head],
        hidden_dims: Sequence[int] = (128, 128),
        n_classes: int = 0,
        spectral_norm: bool = False,
    ):
        super().__init__()
        if not heads:
            raise ValueError("A discriminator needs at least one head.")
        wrap = _sn if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden_dims:
            layers += [wrap(nn.Linear(width, h)), nn.LeakyReLU(0.2)]
            width = h
        self.trunk = nn.Sequential(*layers)
        self.heads = nn.ModuleDict(
            {name: HeadLayer(head, width, n_classes, _sn if spectral_norm else None) for name, head in heads.items()}
        )

    def features(self, x: Tensor) -> Tensor:
        """The trunk's features ``φ(x)``."""
        return self.trunk(x)

    def forward(self, x: Tensor, y: Tensor | None = None) -> dict[str, Tensor]:
        h = self.trunk(x)
        return {name: layer(h, y) for name, layer in self.heads.items()}
