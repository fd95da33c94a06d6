"""TAC-GAN: AC-GAN plus a twin classifier the generator fights (seed 000)."""

from __future__ import annotations

from .. import losses
from ..nets import Head
from . import register
from .acgan import ACGAN
from .base import Batch, Networks, Terms


@register
class TACGAN(ACGAN):
    """Twin Auxiliary Classifier GAN (Gong et al., 2019).

    AC-GAN plus a twin head ``C_mi`` (``K`` logits, on the discriminator's
    trunk, updated with the discriminator's optimiser) that learns to
    classify **generated** rows by their conditioning label, while the
    generator maximises the twin's loss:

    ``L_D += CE(C_mi(G(z,y)), y)``, ``L_G += -λ_tac · CE(C_mi(G(z,y)), y)``.

    This cancels AC-GAN's conditional-entropy bias, so overlapping classes
    keep their full spread. The twin head receives gradient from the
    generated rows in every discriminator step (tested).

    Parameters
    ----------
    lambda_cls : float, default=1.0
        Weight of the auxiliary classifier term in the generator loss.
    lambda_tac : float, default=1.0
        Weight of the twin term in the generator loss (1 in the authors' code).
    cls_on_fake : bool, default=True
        Train the auxiliary classifier on generated rows too (as AC-GAN and
        the authors' mixture-of-Gaussians code do).

    Notes
    -----
    ``paper_defaults`` (``GANOversampler(recipe="paper")``) are the
    authors' mixture-of-Gaussians recipe (Adam 2e-3, betas (0.5, 0.999), 10
    discriminator steps per generator step, batch 256); the default recipe
    takes Adam 1e-3 and one discriminator step
    (:data:`~minority_gen.methods.base.TUNED_DEFAULTS`), 10 times cheaper.

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="tacgan", n_iter=10, n_critic=2)
    """

    name = "tacgan"
    paper_defaults = {
        "lr_g": 2e-3,
        "lr_d": 2e-3,
        "betas": (0.5, 0.999),
        "batch_size": 256,
        "latent_dim": 100,
        "n_critic": 10,
    }
    _weights = ("lambda_tac",)

    def __init__(self, lambda_cls=1.0, lambda_tac=1.0, cls_on_fake=True):
        super().__init__(lambda_cls=lambda_cls, cls_on_fake=cls_on_fake)
        self.lambda_tac = lambda_tac

    def heads(self, n_classes: int) -> dict[str, Head]:
        return {**super().heads(n_classes), "twin": Head(n_classes)}

    def _d_terms(self, nets: Networks, batch: Batch, real: dict, fake: dict) -> Terms:
        terms = super()._d_terms(nets, batch, real, fake)
        return {**terms, **losses.tac_twin_d(fake["twin"], batch.y_fake)}

    def _g_terms(self, nets: Networks, batch: Batch, fake: dict) -> Terms:
        terms = super()._g_terms(nets, batch, fake)
        return {**terms, **losses.tac_twin_g(fake["twin"], batch.y_fake, lambda_tac=self.lambda_tac)}
