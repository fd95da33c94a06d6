"""The MINE statistics network of UAC-GAN, with its moving average."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .. import losses


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

    def joint_and_marginal(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """``T(x, y)`` and ``T(x, ȳ)`` with ``ȳ = y`` rolled by one row.

        Labels are drawn i.i.d., so row ``i``'s ``ȳ_i = y_{i-1}`` is
        independent of ``x_i``: a draw from ``Q_x ⊗ P_y`` with no extra
        randomness.
        """
        t = self(torch.cat([x, x]), torch.cat([y, y.roll(1)]))
        return t[: len(x)], t[len(x):]

    def update(self, t_marginal: Tensor) -> Tensor:
        """Move the average towards this batch's ``E[exp T]``; return the new ``log_ma``."""
        self.log_ma.copy_(losses.update_log_moving_average(self.log_ma, t_marginal, self.rate))
        return self.log_ma
