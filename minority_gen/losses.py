"""Pure GAN loss functions.

Every function takes discriminator outputs (logits or raw scores, never
probabilities) and returns a ``dict`` of named scalar terms whose sum is the
loss of the formula in ``docs/METHODS.md``. The names are what the training
loop logs in ``GANOversampler.history_``. Nothing here holds state or touches
a network, so each formula is unit-tested on hand-computed tensors.

Use :func:`total` to add the terms up.
"""

from __future__ import annotations

import math

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


# --------------------------------------------------------------------------
# Conditional GANs: AC-GAN, TAC-GAN, UAC-GAN (seeds 000, 001, 003)
# --------------------------------------------------------------------------
def bce(logits: Tensor, target: float) -> Tensor:
    """``BCE(logit, target)`` averaged over the batch (``target`` 0 or 1)."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(target)))


def ac_d(
    l_real: Tensor,
    l_fake: Tensor,
    c_real: Tensor,
    y_real: Tensor,
    c_fake: Tensor | None = None,
    y_fake: Tensor | None = None,
) -> Terms:
    """AC-GAN discriminator loss.

    ``L_D = BCE(d(x), 1) + BCE(d(G(z,y)), 0) + CE(C(x), y) [+ CE(C(G(z,y)), y)]``;
    the bracketed term only when ``c_fake`` is given.
    """
    terms = {"real": bce(l_real, 1), "fake": bce(l_fake, 0), "cls_real": F.cross_entropy(c_real, y_real)}
    if c_fake is not None:
        terms["cls_fake"] = F.cross_entropy(c_fake, y_fake)
    return terms


def ac_g(l_fake: Tensor, c_fake: Tensor, y_fake: Tensor, *, lambda_cls: float = 1.0) -> Terms:
    """AC-GAN generator loss ``BCE(d(G(z,y)), 1) + λ_cls · CE(C(G(z,y)), y)``."""
    return {"adv": bce(l_fake, 1), "cls": lambda_cls * F.cross_entropy(c_fake, y_fake)}


def tac_twin_d(c_twin_fake: Tensor, y_fake: Tensor) -> Terms:
    """TAC-GAN twin classifier loss ``CE(C_mi(G(z,y)), y)`` (the twin head minimises it)."""
    return {"twin": F.cross_entropy(c_twin_fake, y_fake)}


def tac_twin_g(c_twin_fake: Tensor, y_fake: Tensor, *, lambda_tac: float = 1.0) -> Terms:
    """TAC-GAN generator term ``-λ_tac · CE(C_mi(G(z,y)), y)`` (the generator fights the twin)."""
    return {"twin": -lambda_tac * F.cross_entropy(c_twin_fake, y_fake)}


def log_mean_exp(t: Tensor) -> Tensor:
    """``log E[exp t]`` computed stably."""
    return torch.logsumexp(t.reshape(-1), 0) - math.log(t.numel())


def mine_dv(t_joint: Tensor, t_marginal: Tensor, log_ma: Tensor | None = None) -> Tensor:
    """Donsker–Varadhan bound ``V = E_Q[T(x,y)] - log E_{Q_x ⊗ P_y}[exp T(x,ȳ)]``.

    The value is always ``V``. With ``log_ma`` (the log of a moving average
    of ``E[exp T]``), the gradient of the log term is MINE's bias-corrected
    ``∇E[exp T] / ma`` instead of ``∇E[exp T] / E[exp T]``.
    """
    lme = log_mean_exp(t_marginal)
    if log_ma is not None:
        d = lme.detach()
        lme = d + torch.exp(d - log_ma.detach()) * (lme - d)
    return t_joint.mean() - lme


def mine_t(t_joint: Tensor, t_marginal: Tensor, log_ma: Tensor | None = None) -> Terms:
    """Loss of the statistics network ``T``: ``-V_MINE`` (``T`` maximises the bound)."""
    return {"mine": -mine_dv(t_joint, t_marginal, log_ma)}


def mine_g(
    t_joint: Tensor, t_marginal: Tensor, *, lambda_mi: float = 0.1, log_ma: Tensor | None = None
) -> Terms:
    """UAC-GAN generator term ``λ_mi · V_MINE`` (the generator minimises the MI estimate)."""
    return {"mi": lambda_mi * mine_dv(t_joint, t_marginal, log_ma)}


def update_log_moving_average(log_ma: Tensor | None, t_marginal: Tensor, rate: float) -> Tensor:
    """``ma ← (1 - rate)·ma + rate·E[exp T]`` in log space (first call: ``ma = E[exp T]``)."""
    lme = log_mean_exp(t_marginal.detach())
    if log_ma is None or rate >= 1:  # rate 1: the average is the latest value (log1p(-1) would be log 0)
        return lme
    # chosen on the device (a Python `if` on a tensor would wait for it every iteration)
    return torch.where(torch.isfinite(log_ma), torch.logaddexp(math.log1p(-rate) + log_ma, math.log(rate) + lme), lme)


# --------------------------------------------------------------------------
# Projection discriminator (hinge), CA-GAN, AM-GAN / K+1 GAN
# --------------------------------------------------------------------------
def hinge_d(d_real: Tensor, d_fake: Tensor) -> Terms:
    """Hinge discriminator loss ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``."""
    return {"real": F.relu(1 - d_real).mean(), "fake": F.relu(1 + d_fake).mean()}


def hinge_g(d_fake: Tensor) -> Terms:
    """Hinge generator loss ``-E[D(G(z))]``."""
    return {"adv": -d_fake.mean()}


def bce_d(l_real: Tensor, l_fake: Tensor) -> Terms:
    """Standard GAN discriminator loss ``BCE(D(x), 1) + BCE(D(G(z)), 0)`` on logits."""
    return {"real": bce(l_real, 1), "fake": bce(l_fake, 0)}


def cagan_d(d_real: Tensor, y_real: Tensor, d_fake: Tensor, y_fake: Tensor) -> Terms:
    """CA-GAN discriminator loss (LSGAN form), one output per class.

    ``L_D = E_real[Σ_c y_c (D_c(x) - 1)²] + E_fake[Σ_c y'_c D_c(G(z,y'))²]`` with
    ``y``, ``y'`` one-hot or multi-hot float tensors of shape ``(n, K)``: only
    the active outputs enter the loss, so only they receive gradient.
    """
    return {
        "real": torch.sum(y_real * (d_real - 1) ** 2, dim=1).mean(),
        "fake": torch.sum(y_fake * d_fake**2, dim=1).mean(),
    }


def cagan_g(d_fake: Tensor, y_fake: Tensor) -> Terms:
    """CA-GAN generator loss ``E_fake[Σ_c y'_c (D_c(G(z,y')) - 1)²]``."""
    return {"adv": torch.sum(y_fake * (d_fake - 1) ** 2, dim=1).mean()}


def k_plus_one_d(logits_real: Tensor, y_real: Tensor, logits_fake: Tensor) -> Terms:
    """K+1 discriminator loss ``CE(D(x), y) + CE(D(G(z)), K+1)``.

    ``logits`` have ``K + 1`` columns; the last one is "generated".
    """
    fake_class = torch.full((len(logits_fake),), logits_fake.shape[1] - 1, dtype=torch.long,
                            device=logits_fake.device)
    return {"real": F.cross_entropy(logits_real, y_real), "fake": F.cross_entropy(logits_fake, fake_class)}


def dynamic_labels(logits_fake: Tensor) -> Tensor:
    """AM-GAN dynamic labels ``argmax_{k ≤ K} D_k(G(z))`` under stop-gradient."""
    return logits_fake.detach()[:, :-1].argmax(dim=1)


def amgan_g(logits_fake: Tensor, target: Tensor) -> Terms:
    """AM-GAN generator loss ``CE(D(G(z,y)), target)`` (target: ``y`` or dynamic labels)."""
    return {"adv": F.cross_entropy(logits_fake, target)}


def labelgan_g(logits_fake: Tensor) -> Terms:
    """K+1 GAN generator loss ``-log Σ_{k ≤ K} softmax(D(G(z)))_k``."""
    return {"adv": -(torch.logsumexp(logits_fake[:, :-1], 1) - torch.logsumexp(logits_fake, 1)).mean()}
