"""CA-GAN: one discriminator output per class, conditional activation (seed 003)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .. import losses
from ..nets import Head
from . import register
from .base import Batch, GANMethod, Networks, Terms


def mixed_batch_indices(n_real: int, n_fake: int, fraction: float, pac: int = 1) -> tuple[Tensor, Tensor]:
    """Row indices (into ``cat([real, fake])``) of CA-GAN's two mixed batches.

    ``k = round(fraction · min(n_real, n_fake))`` rows are swapped between
    the real half and the fake half: batch A holds ``n_real - k`` real and
    ``k`` fake rows, batch B ``k`` real and ``n_fake - k`` fake rows. Both
    ratios are fixed by ``fraction`` alone; at ``fraction = 0.5`` with equal
    halves every batch is half real, half fake. With a packed discriminator
    ``k`` is rounded to a multiple of ``pac``, so that packs stay whole.
    """
    k = pac * int(round(fraction * min(n_real, n_fake) / pac))
    real, fake = torch.arange(n_real), torch.arange(n_real, n_real + n_fake)
    return torch.cat([real[k:], fake[:k]]), torch.cat([real[:k], fake[k:]])


@register
class CAGAN(GANMethod):
    """Conditional Activation GAN (least-squares form).

    The discriminator outputs ``K`` scores ``D_c(x)``; each class is its own
    GAN sharing the hidden layers, and only the outputs of the active
    classes are trained (so there is no ``λ_cls`` to tune):

    ``L_D = E_real[Σ_c y_c (D_c(x) - 1)²] + E_fake[Σ_c y'_c D_c(G(z,y'))²]``,
    ``L_G = E_fake[Σ_c y'_c (D_c(G(z,y')) - 1)²]``.

    Parameters
    ----------
    mixed_batch : {"auto", True, False}, default="auto"
        Mixed batch training: the discriminator sees two batches, each
        holding real and fake rows in a fixed ratio (see
        :func:`mixed_batch_indices`), so batch statistics never reveal which
        rows are fake. ``"auto"`` turns it on when the discriminator has
        batch-norm layers (the MLP discriminator for tables has none).
    mix_rate, mix_max : float, default=(0.01, 0.5)
        The swapped fraction is ``min(mix_rate · epoch, mix_max)`` (the
        paper's code); ``mix_rate=inf`` mixes ``mix_max`` from the start.

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="cagan", method_params={"mixed_batch": True}, n_iter=10)
    """

    name = "cagan"
    conditional = True
    infinite_options = frozenset({"mix_rate"})
    paper_defaults = {
        "lr_g": 2e-4,
        "lr_d": 2e-4,
        "betas": (0.5, 0.999),
        "batch_size": 64,
        "latent_dim": 100,
        "n_critic": 1,
    }

    def __init__(self, mixed_batch="auto", mix_rate=0.01, mix_max=0.5):
        self.mixed_batch = mixed_batch
        self.mix_rate = mix_rate
        self.mix_max = mix_max

    def validate(self) -> None:
        if self.mixed_batch not in ("auto", True, False):
            raise ValueError(f"cagan: mixed_batch must be 'auto', True or False; got {self.mixed_batch!r}.")
        if not (self.mix_rate >= 0 and 0 <= self.mix_max <= 0.5):
            raise ValueError(
                f"cagan: need mix_rate >= 0 and 0 <= mix_max <= 0.5; got mix_rate={self.mix_rate!r}, "
                f"mix_max={self.mix_max!r}."
            )

    def heads(self, n_classes: int) -> dict[str, Head]:
        return {"adv": Head(n_classes)}

    def uses_mixed_batches(self, D: nn.Module) -> bool:
        if self.mixed_batch == "auto":
            return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())
        return bool(self.mixed_batch)

    def d_loss(self, nets: Networks, batch: Batch) -> Terms:
        x = torch.cat([batch.x_real, batch.x_fake])
        n = len(batch.x_real)
        if self.uses_mixed_batches(nets.D):
            fraction = min(self.mix_rate * batch.epoch, self.mix_max)
            out = torch.empty(len(x), nets.n_classes, device=x.device, dtype=x.dtype)
            for idx in mixed_batch_indices(n, len(batch.x_fake), fraction, nets.pac):
                idx = idx.to(x.device)
                out = out.index_put((idx,), nets.d(x[idx])["adv"])
        else:
            out = nets.d(x)["adv"]
        onehot = nn.functional.one_hot(torch.cat([batch.y_real, batch.y_fake]), nets.n_classes).to(out.dtype)
        return losses.cagan_d(out[:n], onehot[:n], out[n:], onehot[n:])

    def g_loss(self, nets: Networks, batch: Batch) -> Terms:
        onehot = nn.functional.one_hot(batch.y_fake, nets.n_classes)
        d_fake = nets.d(batch.x_fake)["adv"]
        return losses.cagan_g(d_fake, onehot.to(d_fake.dtype))
