"""Rumi-SGAN: the cross-entropy form of Rumi (seed 004)."""

from __future__ import annotations

import torch

from .. import losses
from . import register
from .base import Batch, GANMethod, Networks, Terms
from .rumi import PAPER_DEFAULTS

#: ``alpha_neg="auto"`` on (tables, images). On images the paper's weight 1
#: makes the generator collapse onto the most typical positive, as Rumi-LSGAN's
#: ``beta_neg`` does (protocol D, development digit 3: FD 188 at 1, 58.5 at
#: 0.25, 48.6 at 0.1, 51.1 at 0.05; 0.1 is the lowest FD with class fidelity
#: >= 95 %; see benchmarks/results/protocol_d/NOTES.md).
AUTO_ALPHA_NEG = (1.0, 0.1)


@register
class RumiSGAN(GANMethod):
    """Rumi-SGAN (Asokan & Seelamantula, seed 004).

    ``L_D = -(α+ E[log D(x+)] + E[log(1 - D(G(z)))] + α- E[log(1 - D(x-))])``
    with ``D = sigmoid(logit)``; the generator uses the non-saturating loss.
    The optimum is ``p_g* = (1 + α-) p+ - α- p-``.

    Parameters
    ----------
    alpha_pos : float in [0, 1], default=1.0
    alpha_neg : float or "auto", default="auto"
        Weight of the negatives (paper: 1). Must satisfy
        ``alpha_neg >= alpha_pos - 1``. ``"auto"``: 1 for tables, 0.1 for
        images, where the paper's 1 made the generator collapse onto the most
        typical positive image (:data:`AUTO_ALPHA_NEG`; resolved by
        ``GANOversampler`` as for Rumi-LSGAN's ``beta_neg``; a method object
        used on its own, unresolved, weighs the negatives 1).

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="rumi-sgan", method_params={"alpha_neg": 0.5})
    """

    name = "rumi-sgan"
    conditional = False
    uses_negatives = True
    paper_defaults = PAPER_DEFAULTS
    auto_options = {"alpha_neg": AUTO_ALPHA_NEG}

    def __init__(self, alpha_pos=1.0, alpha_neg="auto"):
        self.alpha_pos = alpha_pos
        self.alpha_neg = alpha_neg

    def validate(self) -> None:
        if not 0.0 <= self.alpha_pos <= 1.0:
            raise ValueError(f"Rumi-SGAN needs alpha_pos in [0, 1]; got alpha_pos={self.alpha_pos}.")
        self._check_auto_options()
        if not self.option("alpha_neg") >= self.alpha_pos - 1.0:
            raise ValueError(
                f"Rumi-SGAN needs alpha_neg >= alpha_pos - 1 = {self.alpha_pos - 1.0}; "
                f"got alpha_neg={self.option('alpha_neg')}."
            )

    def d_loss(self, nets: Networks, batch: Batch) -> Terms:
        n_pos, n_neg = len(batch.x_pos), len(batch.x_neg)
        out = nets.d(torch.cat([batch.x_pos, batch.x_neg, batch.x_fake]))["adv"]
        l_pos, l_neg, l_fake = out.split([n_pos, n_neg, len(out) - n_pos - n_neg])
        alpha_pos, alpha_neg = self.alpha_pos, self.option("alpha_neg")
        return losses.rumi_sgan_d(l_pos, l_neg, l_fake, alpha_pos=alpha_pos, alpha_neg=alpha_neg)

    def g_loss(self, nets: Networks, batch: Batch) -> Terms:
        return losses.nonsaturating_g(nets.d(batch.x_fake)["adv"])
