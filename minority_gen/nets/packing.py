"""Packed discriminator inputs (PacGAN, Lin et al. 2018).

A packed discriminator judges ``pac`` rows at a time, all real or all
generated, concatenated into one input. A generator that puts all its rows
on one mode makes packs whose rows look alike, which a real pack of the
class never does, so the discriminator can penalise the collapse that a
discriminator of single rows cannot see. CTGAN packs 10 rows; the PacGAN
paper finds 2 to 4 enough.

:class:`PackedDiscriminator` wraps a discriminator built for inputs ``pac``
times as wide (``pac · n_features`` for tables, ``pac · C`` channels for
images). It takes rows in the usual ``(N, ...)`` form, groups each run of
``pac`` consecutive rows into one pack, and gives every row of a pack that
pack's outputs, so the methods' losses (means over rows) are unchanged in
form. Consecutive rows must therefore come from the same set (the samplers
draw batches whose sizes are multiples of ``pac``) and, for a conditional
method, share one label (the conditional sampler draws one label per pack).
"""

from __future__ import annotations

from torch import Tensor, nn


class PackedDiscriminator(nn.Module):
    """Judge packs of ``pac`` consecutive rows with ``inner``; one output per row.

    Parameters
    ----------
    inner : nn.Module
        A discriminator taking flat rows of ``pac`` times the row length
        and returning a dict of head outputs.
    pac : int
        Rows per pack.

    Examples
    --------
    >>> import torch
    >>> from minority_gen.nets import Head, MLPDiscriminator
    >>> d = PackedDiscriminator(MLPDiscriminator(2 * 3, {"adv": Head(1)}, hidden_dims=(8,)), pac=2)
    >>> out = d(torch.randn(6, 3))["adv"]
    >>> out.shape, bool(out[0] == out[1]), bool(out[1] == out[2])
    (torch.Size([6]), True, False)
    """

    def __init__(self, inner: nn.Module, pac: int):
        super().__init__()
        if int(pac) < 2:
            raise ValueError(f"PackedDiscriminator needs pac >= 2; got {pac!r} (use the inner network for 1).")
        self.inner = inner
        self.pac = int(pac)

    def pack(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """``(N, ...)`` rows → ``(N / pac, pac · row length)`` packs, and one label per pack."""
        n = len(x)
        if n % self.pac:
            raise ValueError(
                f"A packed discriminator (pac={self.pac}) needs a multiple of {self.pac} rows; got {n}."
            )
        return x.reshape(n // self.pac, -1), None if y is None else y[:: self.pac]

    def forward(self, x: Tensor, y: Tensor | None = None) -> dict[str, Tensor]:
        xp, yp = self.pack(x, y)
        return {name: v.repeat_interleave(self.pac, dim=0) for name, v in self.inner(xp, yp).items()}
