"""Fully connected generator and discriminator for tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn
from torch.nn.utils import spectral_norm as _sn

from .heads import Head, HeadLayer, condition_on_labels


class MLPGenerator(nn.Module):
    """``z -> x`` (or ``(z, y) -> x`` with one-hot ``y`` concatenated to ``z``).

    The output is linear: tables are standardised before training, so the
    generator works in that space. Each one-hot ``block`` ``(start, end)``
    of the output (a categorical column, :mod:`minority_gen.tabular`) ends
    instead with a Gumbel-softmax at temperature ``tau`` (CTGAN's design):
    nearly one-hot, like the real rows the discriminator compares it with,
    and its arg-max is a level drawn with the softmax's probabilities. The
    Gumbel noise comes from ``z`` itself, so that all randomness stays in
    the caller's ``torch.Generator``: ``z`` has :attr:`noise_dim` =
    ``latent_dim`` + one entry per block level, and those extra standard
    normal entries are mapped to Gumbel draws by their CDF.

    Examples
    --------
    >>> import torch
    >>> g = MLPGenerator(latent_dim=8, out_features=3, hidden_dims=(16,))
    >>> g(torch.zeros(5, 8)).shape
    torch.Size([5, 3])
    >>> g = MLPGenerator(latent_dim=8, out_features=4, hidden_dims=(16,), blocks=((1, 4),))
    >>> g.noise_dim, g(torch.randn(5, 11)).shape
    (11, torch.Size([5, 4]))
    """

    def __init__(
        self,
        latent_dim: int,
        out_features: int,
        hidden_dims: Sequence[int] = (128, 128),
        n_classes: int = 0,
        blocks: Sequence[tuple[int, int]] = (),
        tau: float = 0.2,
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.blocks = tuple((int(s), int(e)) for s, e in blocks)
        self.tau = tau
        self.noise_dim = latent_dim + sum(e - s for s, e in self.blocks)
        layers: list[nn.Module] = []
        width = latent_dim + n_classes
        for h in hidden_dims:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        if not self.blocks:
            return self.net(condition_on_labels(z, y, self.n_classes))
        z, u = z[:, : self.latent_dim], z[:, self.latent_dim :]
        out = self.net(condition_on_labels(z, y, self.n_classes))
        # Gumbel(0, 1) = -log(-log U) with U = Phi(u) uniform; log_ndtr keeps the tails finite
        gumbel = -torch.log((-torch.special.log_ndtr(u)).clamp_min(1e-30))
        pieces, at, k = [], 0, 0
        for s, e in self.blocks:
            pieces.append(out[:, at:s])
            pieces.append(torch.softmax((out[:, s:e] + gumbel[:, k : k + e - s]) / self.tau, dim=1))
            at, k = e, k + e - s
        pieces.append(out[:, at:])
        return torch.cat(pieces, dim=1)


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
