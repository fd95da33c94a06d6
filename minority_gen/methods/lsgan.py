"""LSGAN on the positive class alone: the baseline Rumi must beat (seed 004)."""

from __future__ import annotations

import torch

from .. import losses
from . import register
from .base import Batch, GANMethod, Networks, Terms
from .rumi import PAPER_DEFAULTS


@register
class LSGAN(GANMethod):
    """Least-squares GAN trained on the positive (minority) rows only.

    ``L_D = E[(D(x+) - b)²] + E[(D(G(z)) - a)²]``, ``L_G = E[(D(G(z)) - c)²]``,
    with ``(a, b, c) = (0, 1, 1)``. Negative rows are never used.

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="lsgan", n_iter=10)
    """

    name = "lsgan"
    conditional = False
    uses_negatives = False
    paper_defaults = PAPER_DEFAULTS

    def __init__(self, a=0.0, b=1.0, c=1.0):
        self.a = a
        self.b = b
        self.c = c

    def validate(self) -> None:
        if self.a == self.b:
            raise ValueError(f"LSGAN needs different real and fake targets; got a = b = {self.a}.")

    def d_loss(self, nets: Networks, batch: Batch) -> Terms:
        out = nets.d(torch.cat([batch.x_pos, batch.x_fake]))["adv"]
        d_real, d_fake = out.split([len(batch.x_pos), len(batch.x_fake)])
        return losses.lsgan_d(d_real, d_fake, a=self.a, b=self.b)

    def g_loss(self, nets: Networks, batch: Batch) -> Terms:
        return losses.lsgan_g(nets.d(batch.x_fake)["adv"], c=self.c)

