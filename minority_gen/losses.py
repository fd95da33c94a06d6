"""Pure GAN loss functions.

Every function takes discriminator outputs (logits or raw scores, never
probabilities) and returns a ``dict`` of named scalar terms whose sum is the
loss of the formula in ``docs/METHODS.md``. The names are what the training
loop logs in ``GANOversampler.history_``. Nothing here holds state or touches
a network, so each formula is unit-tested on hand-computed tensors.

Use :func:`total` to add the terms up.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

Terms = dict[str, Tensor]


def total(terms: Terms) -> Tensor:
    """Sum the named terms of a loss into one scalar."""
    values = list(terms.values())
    out = values[0]
    for value in values[1:]:
        out = out + value
    return out


def least_squares(out: Tensor, target: float) -> Tensor:
    """``E[(out - target)^2]``, the least-squares GAN building block."""
    return torch.mean((out - target) ** 2)


# --------------------------------------------------------------------------
# Rumi-LSGAN (seed 004, "Teaching a GAN What Not to Learn")
# --------------------------------------------------------------------------
def rumi_lsgan_d(
    d_pos: Tensor | None,
    d_neg: Tensor | None,
    d_fake: Tensor,
    *,
    b_pos: float = 2.0,
    b_neg: float = -1.0,
    a: float = 0.0,
    beta_pos: float = 1.0,
    beta_neg: float = 1.0,
    fake_weight: float = 1.0,
) -> Terms:
    """Rumi-LSGAN discriminator loss.

    ``L_D = β+ E[(D(x+) - b+)^2] + β- E[(D(x-) - b-)^2] + E[(D(G(z)) - a)^2]``

    ``d_pos`` or ``d_neg`` may be ``None`` to leave that term out and
    ``fake_weight`` scales the fake term: the paper's two-update schedule
    trains on ``(positive, ½ fake)`` then ``(negative, ½ fake)``, whose sum is
    the loss above.
    """
    terms: Terms = {}
    if d_pos is not None:
        terms["pos"] = beta_pos * least_squares(d_pos, b_pos)
    if d_neg is not None:
        terms["neg"] = beta_neg * least_squares(d_neg, b_neg)
    terms["fake"] = fake_weight * least_squares(d_fake, a)
    return terms


def rumi_lsgan_g(d_fake: Tensor, *, c: float = 1.5) -> Terms:
    """Rumi-LSGAN generator loss ``E[(D(G(z)) - c)^2]``."""
    return {"adv": least_squares(d_fake, c)}


# --------------------------------------------------------------------------
# Rumi-SGAN (seed 004)
# --------------------------------------------------------------------------
def rumi_sgan_d(
    l_pos: Tensor,
    l_neg: Tensor,
    l_fake: Tensor,
    *,
    alpha_pos: float = 1.0,
    alpha_neg: float = 1.0,
) -> Terms:
    """Rumi-SGAN discriminator loss on logits (``D = sigmoid(logit)``).

    ``L_D = -(α+ E[log D(x+)] + E[log(1 - D(G(z)))] + α- E[log(1 - D(x-))])``
    """
    return {
        "pos": alpha_pos * F.binary_cross_entropy_with_logits(l_pos, torch.ones_like(l_pos)),
        "neg": alpha_neg * F.binary_cross_entropy_with_logits(l_neg, torch.zeros_like(l_neg)),
        "fake": F.binary_cross_entropy_with_logits(l_fake, torch.zeros_like(l_fake)),
    }


def nonsaturating_g(l_fake: Tensor) -> Terms:
    """Non-saturating generator loss ``-E[log sigmoid(D(G(z)))]``."""
    return {"adv": F.binary_cross_entropy_with_logits(l_fake, torch.ones_like(l_fake))}


# --------------------------------------------------------------------------
# LSGAN (positive-only baseline)
# --------------------------------------------------------------------------
def lsgan_d(d_real: Tensor, d_fake: Tensor, *, a: float = 0.0, b: float = 1.0) -> Terms:
    """LSGAN discriminator loss ``E[(D(x) - b)^2] + E[(D(G(z)) - a)^2]``."""
    return {"real": least_squares(d_real, b), "fake": least_squares(d_fake, a)}


def lsgan_g(d_fake: Tensor, *, c: float = 1.0) -> Terms:
    """LSGAN generator loss ``E[(D(G(z)) - c)^2]``."""
    return {"adv": least_squares(d_fake, c)}
