"""UAC-GAN: AC-GAN minus a MINE estimate of I(G(z,y); y) (seed 000)."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from .. import losses
from ..nets import Head
from ..nets.mine import MINEStatistics
from . import register
from .acgan import ACGAN
from .base import Batch, Networks, Terms
from .tacgan import TACGAN


@register
class UACGAN(ACGAN):
    """Unbiased AC-GAN with MINE (Han et al., 2020).

    A statistics network ``T`` (own trunk, own Adam optimiser) maximises
    the Donsker–Varadhan bound
    ``V = E_Q[T(x, y)] - log E_{Q_x ⊗ P_y}[exp T(x, ȳ)]`` on generated rows,
    and the generator minimises ``L_AC + λ_mi · V``, removing AC-GAN's
    conditional-entropy bias. ``T`` is the paper's projection statistics
    network. In ``T``'s update the gradient of the log term uses a moving
    average of ``E[exp T]`` (MINE's bias correction); the generator uses
    the plain bound. The marginal labels ``ȳ`` are the batch's labels
    rolled by one discriminator pack (:func:`~minority_gen.nets.mine.marginal_labels`):
    a pack's rows share one label, so ``ȳ`` must come from another pack
    to be independent of ``x``.

    Parameters
    ----------
    lambda_cls : float, default=1.0
        Weight of the classifier term in the generator loss.
    lambda_mi : float, default=0.1
        Weight of the MINE estimate in the generator loss (authors' CIFAR
        runs; their 1-D mixture-of-Gaussians script uses 1.0, which
        ``benchmarks/mog_uacgan.py`` uses too: with 0.1 and 600 steps the
        bias correction is too weak there and UAC-GAN behaves like AC-GAN).
    ma_rate : float, default=0.001
        Rate of the moving average of ``E[exp T]`` (authors' code), in (0, 1].
    class_bias : bool, default=False
        Add a per-class bias ``b_y`` to ``T``.
    cls_on_fake : bool, default=False
        Train the classifier on generated rows too (the authors run without).

    Notes
    -----
    The authors' CIFAR-10 runs share ``T``'s trunk with the discriminator
    and their 1-D script rescales the MI gradient adaptively; here ``T``
    has its own trunk (the contract's extra network) and the gradient is
    not rescaled. ``paper_defaults`` (``recipe="paper"``): the TAC/UAC
    mixture-of-Gaussians recipe (Adam 2e-3, betas (0.5, 0.999), 10 D steps
    per G step); the default recipe: Adam 1e-3, one D step.

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="uacgan", method_params={"lambda_mi": 0.5}, n_iter=10)
    """

    name = "uacgan"
    paper_defaults = TACGAN.paper_defaults  # the authors' mixture-of-Gaussians recipe
    _weights = ("lambda_mi",)

    def __init__(self, lambda_cls=1.0, lambda_mi=0.1, ma_rate=0.001, class_bias=False, cls_on_fake=False):
        super().__init__(lambda_cls=lambda_cls, cls_on_fake=cls_on_fake)
        self.lambda_mi = lambda_mi
        self.ma_rate = ma_rate
        self.class_bias = class_bias

    def validate(self) -> None:
        super().validate()
        if not 0 < self.ma_rate <= 1:
            raise ValueError(f"uacgan: ma_rate must be in (0, 1]; got {self.ma_rate!r}.")

    def extra_networks(self, build: Callable[..., nn.Module], n_classes: int) -> dict[str, nn.Module]:
        net = build({"t": Head(1, projection=True, class_bias=bool(self.class_bias))})
        return {"mine": MINEStatistics(net, self.ma_rate)}

    def _d_terms(self, nets: Networks, batch: Batch, real: dict, fake: dict) -> Terms:
        T = nets.extra["mine"]
        t_joint, t_marg = T.joint_and_marginal(batch.x_fake, batch.y_fake, nets.pac)
        log_ma = T.update(t_marg)
        return {**super()._d_terms(nets, batch, real, fake), **losses.mine_t(t_joint, t_marg, log_ma)}

    def _g_terms(self, nets: Networks, batch: Batch, fake: dict) -> Terms:
        t_joint, t_marg = nets.extra["mine"].joint_and_marginal(batch.x_fake, batch.y_fake, nets.pac)
        mi = losses.mine_g(t_joint, t_marg, lambda_mi=self.lambda_mi)
        return {**super()._g_terms(nets, batch, fake), **mi}
