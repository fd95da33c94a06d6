"""Discriminator heads: what a method asks the discriminator to output."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class Head:
    """One named output of a discriminator.

    Parameters
    ----------
    dim : int
        Number of outputs (1 for an adversarial score, ``K`` for class logits).
    projection : bool
        If true the head is ``ψ(φ(x)) + <E(y), φ(x)>`` (Miyato & Koyama's
        projection discriminator): it needs the labels ``y`` and ``dim`` must
        be 1.
    class_bias : bool
        With ``projection``, add a learned per-class bias ``b_y``.
    """

    dim: int = 1
    projection: bool = False
    class_bias: bool = False

    def __post_init__(self) -> None:
        if self.dim < 1:
            raise ValueError(f"Head.dim must be >= 1, got {self.dim}.")
        if self.projection and self.dim != 1:
            raise ValueError(f"A projection head has one output, got dim={self.dim}.")


def condition_on_labels(z: Tensor, y: Tensor | None, n_classes: int) -> Tensor:
    """``z`` with one-hot ``y`` appended (``z`` unchanged for an unconditional generator)."""
    if not n_classes:
        return z
    if y is None:
        raise ValueError("This generator is conditional: pass the labels y.")
    return torch.cat([z, nn.functional.one_hot(y, n_classes).to(z.dtype)], dim=1)


class HeadLayer(nn.Module):
    """A :class:`Head` applied to the features ``φ(x)`` of a trunk."""

    def __init__(self, head: Head, in_features: int, n_classes: int, sn=None):
        super().__init__()
        wrap = sn or (lambda m: m)
        self.head = head
        self.linear = wrap(nn.Linear(in_features, head.dim))
        if head.projection:
            if n_classes < 1:
                raise ValueError("A projection head needs n_classes >= 1.")
            self.embed = wrap(nn.Embedding(n_classes, in_features))
            self.bias = nn.Embedding(n_classes, 1) if head.class_bias else None
            if self.bias is not None:
                nn.init.zeros_(self.bias.weight)

    def forward(self, h: Tensor, y: Tensor | None = None) -> Tensor:
        out = self.linear(h)
        if self.head.projection:
            if y is None:
                raise ValueError("This discriminator head is a projection head: pass y.")
            out = out + torch.sum(self.embed(y) * h, dim=1, keepdim=True)
            if self.bias is not None:
                out = out + self.bias(y)
        return out.squeeze(1) if self.head.dim == 1 else out
