"""The MINE statistics network of UAC-GAN, with its moving average."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .. import losses


def marginal_labels(y: Tensor, pac: int = 1) -> Tensor:
    """Labels ``ȳ`` for MINE's marginal term: ``y`` rolled by one pack of ``pac`` rows.

    The samplers draw one label per run of ``pac`` consecutive rows (one
    per row when ``pac=1``), independently from run to run, and the
    generator's row ``i`` depends on its own label only. Row ``i`` gets the
    label of row ``i - pac``, in the previous pack, so ``ȳ_i`` is
    independent of ``x_i``: a draw from ``Q_x ⊗ P_y`` with no extra
    randomness. Rolling by one row would take, at ``pac > 1``, the label of
    a row of the same pack for all but one row in ``pac``: ``ȳ = y`` there,
    and the bound is capped at ``-log P(ȳ = y)`` whatever the true mutual
    information. With a single pack in the batch ``ȳ = y`` and the bound is 0.

    >>> marginal_labels(torch.tensor([0, 0, 1, 1, 2, 2]), pac=2).tolist()
    [2, 2, 0, 0, 1, 1]
    >>> marginal_labels(torch.tensor([0, 1, 2])).tolist()
    [2, 0, 1]
    """
    return y.roll(int(pac))


class MINEStatistics(nn.Module):
    """Statistics network ``T(x, y)`` with the moving average of ``E[exp T]``.

    ``net`` is a discriminator-shaped network with one projection head
    ``"t"``: ``T(x, y) = ψ(φ(x)) + <E(y), φ(x)> (+ b_y)``. The buffer
    ``log_ma`` holds the log of the moving average (NaN before the first
    update).

    Examples
    --------
    >>> import torch
    >>> from minority_gen.nets import Head, MLPDiscriminator
    >>> net = MLPDiscriminator(2, {"t": Head(1, projection=True)}, (8,), n_classes=3)
    >>> T = MINEStatistics(net, rate=0.01)
    >>> t_joint, t_marginal = T.joint_and_marginal(torch.zeros(4, 2), torch.tensor([0, 1, 2, 0]))
    >>> t_joint.shape, bool(torch.isnan(T.log_ma))
    (torch.Size([4]), True)
    """

    def __init__(self, net: nn.Module, rate: float):
        super().__init__()
        self.net, self.rate = net, rate
        self.register_buffer("log_ma", torch.tensor(float("nan")))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return self.net(x, y)["t"]

    def joint_and_marginal(self, x: Tensor, y: Tensor, pac: int = 1) -> tuple[Tensor, Tensor]:
        """``T(x, y)`` and ``T(x, ȳ)`` with ``ȳ`` = :func:`marginal_labels` ``(y, pac)``.

        ``pac``: the rows per pack of the batch's labels (``Networks.pac``),
        so that ``ȳ`` comes from other packs and is independent of ``x``.
        """
        t = self(torch.cat([x, x]), torch.cat([y, marginal_labels(y, pac)]))
        return t[: len(x)], t[len(x):]

    def update(self, t_marginal: Tensor) -> Tensor:
        """Move the average towards this batch's ``E[exp T]``; return the new ``log_ma``."""
        self.log_ma.copy_(losses.update_log_moving_average(self.log_ma, t_marginal, self.rate))
        return self.log_ma
