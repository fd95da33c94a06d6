"""AC-GAN: adversarial head + auxiliary classifier (seeds 000, 001, 003).

:class:`ACGAN` is also the base of :mod:`.tacgan` and :mod:`.uacgan`, which
add terms to :meth:`ACGAN.d_loss` / :meth:`ACGAN.g_loss`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .. import losses
from ..nets import Head
from . import register
from .base import Batch, GANMethod, Networks, Terms


@register
class ACGAN(GANMethod):
    """Auxiliary Classifier GAN (Odena et al., 2017).

    The discriminator shares a trunk between an adversarial logit ``d(x)``
    and ``K`` class logits ``C(x)``; the generator ``G(z, y)`` is
    conditional.

    ``L_D = BCE(d(x), 1) + BCE(d(G(z,y)), 0) + CE(C(x), y) [+ CE(C(G(z,y)), y)]``,
    ``L_G = BCE(d(G(z,y)), 1) + λ_cls · CE(C(G(z,y)), y)``.

    AC-GAN is known to push each class away from the others' overlap (its
    optimum minimises the conditional entropy of the labels); see
    ``tacgan`` and ``uacgan`` for the corrections.

    Parameters
    ----------
    lambda_cls : float, default=1.0
        Weight of the classifier term in the generator loss.
    cls_on_fake : bool, default=True
        Train the classifier on generated rows too (the bracketed term; the
        original AC-GAN does; seed 003 shows it interferes and the UAC-GAN
        authors run without it).

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="acgan", method_params={"cls_on_fake": False}, n_iter=10)
    """

    name = "acgan"
    conditional = True
    paper_defaults = {
        "lr_g": 2e-4,
        "lr_d": 2e-4,
        "betas": (0.5, 0.999),
        "batch_size": 100,
        "latent_dim": 100,
        "n_critic": 1,
    }

    def __init__(self, lambda_cls=1.0, cls_on_fake=True):
        self.lambda_cls = lambda_cls
        self.cls_on_fake = cls_on_fake

    def validate(self) -> None:
        for name in ("lambda_cls", *getattr(self, "_weights", ())):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"{self.name}: {name} must be a number >= 0; got {value!r}.")
        if not isinstance(self.cls_on_fake, (bool, np.bool_)):
            raise TypeError(f"{self.name}: cls_on_fake must be True or False; got {self.cls_on_fake!r}.")

    def heads(self, n_classes: int) -> dict[str, Head]:
        return {"adv": Head(1), "cls": Head(n_classes)}

    def _split(self, nets: Networks, batch: Batch) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """Discriminator outputs on real and (detached) fake rows, one forward pass."""
        n = len(batch.x_real)
        out = nets.d(torch.cat([batch.x_real, batch.x_fake]))
        return {k: v[:n] for k, v in out.items()}, {k: v[n:] for k, v in out.items()}

    def d_loss(self, nets: Networks, batch: Batch) -> Terms:
        real, fake = self._split(nets, batch)
        return self._d_terms(nets, batch, real, fake)

    def _d_terms(self, nets: Networks, batch: Batch, real: dict, fake: dict) -> Terms:
        c_fake = fake["cls"] if self.cls_on_fake else None
        return losses.ac_d(real["adv"], fake["adv"], real["cls"], batch.y_real, c_fake, batch.y_fake)

    def g_loss(self, nets: Networks, batch: Batch) -> Terms:
        return self._g_terms(nets, batch, nets.d(batch.x_fake))

    def _g_terms(self, nets: Networks, batch: Batch, fake: dict) -> Terms:
        return losses.ac_g(fake["adv"], fake["cls"], batch.y_fake, lambda_cls=self.lambda_cls)
