"""cGAN with a projection discriminator (Miyato & Koyama, 2018; CGAN-PD)."""

from __future__ import annotations

import numpy as np
import torch

from .. import losses
from ..nets import Head
from . import register
from .base import Batch, GANMethod, Networks, Terms


@register
class ProjectionGAN(GANMethod):
    """Conditional GAN whose discriminator projects the label onto its features.

    ``D(x, y) = ψ(φ(x)) + <E(y), φ(x)>``, with a conditional generator
    ``G(z, y)``. Hinge loss by default:
    ``L_D = E[relu(1 - D(x, y))] + E[relu(1 + D(G(z, y), y))]``,
    ``L_G = -E[D(G(z, y), y)]``.

    Parameters
    ----------
    loss : {"hinge", "bce"}, default="hinge"
        ``"bce"``: the standard GAN loss on the logit ``D(x, y)`` with the
        non-saturating generator loss.
    spectral_norm : bool, default=True
        Spectral normalisation on the discriminator, as in the paper. With
        ``False`` the discriminator has it only if
        ``GANOversampler(spectral_norm=True)``.
    class_bias : bool, default=False
        Add a learned per-class bias ``b_y`` to ``D(x, y)``.

    Notes
    -----
    The reference recipe (``paper_defaults``, ``GANOversampler(recipe="paper")``):
    Adam 2e-4, betas (0, 0.9), 5 discriminator steps per generator step.
    The default recipe takes Adam 1e-3 and one discriminator step
    (:data:`~minority_gen.methods.base.TUNED_DEFAULTS`).

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="projection", method_params={"loss": "bce"}, n_iter=10)
    """

    name = "projection"
    conditional = True
    paper_defaults = {
        "lr_g": 2e-4,
        "lr_d": 2e-4,
        "betas": (0.0, 0.9),
        "batch_size": 64,
        "latent_dim": 100,
        "n_critic": 5,
    }

    def __init__(self, loss="hinge", spectral_norm=True, class_bias=False):
        self.loss = loss
        self.spectral_norm = spectral_norm
        self.class_bias = class_bias

    def validate(self) -> None:
        if self.loss not in ("hinge", "bce"):
            raise ValueError(f"projection: loss must be 'hinge' or 'bce'; got {self.loss!r}.")
        for name in ("spectral_norm", "class_bias"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"projection: {name} must be True or False; got {getattr(self, name)!r}.")

    def needs_spectral_norm(self) -> bool:
        return self.spectral_norm

    def heads(self, n_classes: int) -> dict[str, Head]:
        return {"adv": Head(1, projection=True, class_bias=self.class_bias)}

    def d_loss(self, nets: Networks, batch: Batch) -> Terms:
        n = len(batch.x_real)
        out = nets.d(torch.cat([batch.x_real, batch.x_fake]), torch.cat([batch.y_real, batch.y_fake]))["adv"]
        d_real, d_fake = out[:n], out[n:]
        return losses.hinge_d(d_real, d_fake) if self.loss == "hinge" else losses.bce_d(d_real, d_fake)

    def g_loss(self, nets: Networks, batch: Batch) -> Terms:
        d_fake = nets.d(batch.x_fake, batch.y_fake)["adv"]
        return losses.hinge_g(d_fake) if self.loss == "hinge" else losses.nonsaturating_g(d_fake)
