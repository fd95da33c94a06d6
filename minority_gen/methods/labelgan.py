"""LabelGAN: the K+1 GAN of seed 002."""

from __future__ import annotations

from .. import losses
from . import register
from .amgan import AMGAN
from .base import Batch, Networks, Terms


@register
class LabelGAN(AMGAN):
    """K+1 GAN ("LabelGAN", seed 002): AM-GAN's discriminator, class-free generator loss.

    ``L_D = CE(D(x), y) + CE(D(G(z)), K+1)`` and
    ``L_G = -log Σ_{k ≤ K} softmax(D(G(z)))_k``: the generator only has to
    look real, to any class. Seed 002 shows the optimum equals the binary
    GAN's.

    Since the loss ignores the conditioning label, rows of a requested class
    are drawn by rejection through the discriminator's ``K`` real-class
    logits (see :func:`minority_gen.methods.amgan.select_class_rows`); the
    generator is still fed ``y`` (its input layer matches the other
    conditional methods) and may pick it up, which only raises the
    acceptance rate.

    Parameters
    ----------
    n_candidates : int, default=16
        Candidates per generated row for the rejection sampling.

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="labelgan", n_iter=10)
    """

    name = "labelgan"

    def __init__(self, n_candidates=16):
        self.n_candidates = n_candidates

    def validate(self) -> None:
        self._check_candidates()

    def label_free_generator(self) -> bool:
        return True

    def g_loss(self, nets: Networks, batch: Batch) -> Terms:
        return losses.labelgan_g(nets.d(batch.x_fake)["cls"])
