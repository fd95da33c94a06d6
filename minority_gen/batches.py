"""Batch providers: what every step of the training loop draws, from one ``torch.Generator``.

:class:`PositiveNegativeSampler` serves the unconditional methods (the class
to learn, the other rows, noise); :class:`ConditionalSampler` the conditional
ones (labelled rows, noise, the generator's labels). Rows, labels and noise
are drawn on the device the rows live on, with no host synchronisation.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .methods.base import Batch


class PositiveNegativeSampler:
    """Batches for unconditional methods: positive rows, negative rows, noise.

    Both sets are drawn uniformly with replacement, ``batch_size`` rows each
    (the small positive set is thus repeated, as the Rumi authors do). With a
    packed discriminator, ``batch_size`` must be a multiple of its ``pac``.
    """

    def __init__(self, x_pos: Tensor, x_neg: Tensor | None, batch_size: int, latent_dim: int):
        self.x_pos, self.x_neg = x_pos, x_neg
        self.batch_size, self.latent_dim = batch_size, latent_dim
        self.n_rows = len(x_pos) + (0 if x_neg is None else len(x_neg))

    def sample(self, gen: torch.Generator, with_real: bool = True) -> Batch:
        device = self.x_pos.device
        z = torch.randn(self.batch_size, self.latent_dim, generator=gen, device=device)
        if not with_real:
            return Batch(z=z)
        idx = torch.randint(len(self.x_pos), (self.batch_size,), generator=gen, device=device)
        batch = Batch(z=z, x_pos=self.x_pos[idx])
        if self.x_neg is not None:
            idx = torch.randint(len(self.x_neg), (self.batch_size,), generator=gen, device=device)
            batch.x_neg = self.x_neg[idx]
        return batch


class ConditionalSampler:
    """Batches for conditional methods: labelled real rows, noise and labels.

    ``balanced=True`` (the default of ``GANOversampler``): real rows and the
    generator's labels are both drawn class-balanced, so the discriminator
    cannot tell real from fake by class frequency and the minority class is
    not starved. ``balanced=False``: both follow the empirical distribution.

    ``pac > 1`` (a packed discriminator): labels are drawn once per run of
    ``pac`` consecutive rows, so that every pack holds one class; the rows
    of a pack are drawn within that class.
    """

    def __init__(self, x: Tensor, y: Tensor, n_classes: int, batch_size: int, latent_dim: int, balanced: bool,
                 pac: int = 1):
        if batch_size % pac:
            raise ValueError(f"batch_size ({batch_size}) must be a multiple of pac ({pac}).")
        order = torch.argsort(y, stable=True)
        self.x, self.y = x[order], y[order]
        counts = torch.bincount(self.y, minlength=n_classes)
        self.counts = counts
        self.present = torch.nonzero(counts > 0).squeeze(1)  # once here: nonzero waits for the device
        self.starts = torch.cumsum(counts, 0) - counts
        self.n_classes, self.batch_size, self.latent_dim = n_classes, batch_size, latent_dim
        self.balanced = balanced
        self.pac = pac
        self.n_rows = len(x)

    def _labels_and_rows(self, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        device = self.x.device
        n_packs = self.batch_size // self.pac
        if self.pac == 1 and not self.balanced:
            idx = torch.randint(self.n_rows, (self.batch_size,), generator=gen, device=device)
            return self.y[idx], idx
        if self.balanced:
            y = self.present[torch.randint(len(self.present), (n_packs,), generator=gen, device=device)]
        else:  # one label per pack, in the empirical proportions
            y = self.y[torch.randint(self.n_rows, (n_packs,), generator=gen, device=device)]
        y = y.repeat_interleave(self.pac)
        u = torch.rand(self.batch_size, generator=gen, device=device)
        count = self.counts[y]
        idx = self.starts[y] + torch.minimum((u * count).long(), count - 1)
        return y, idx

    def sample(self, gen: torch.Generator, with_real: bool = True) -> Batch:
        device = self.x.device
        z = torch.randn(self.batch_size, self.latent_dim, generator=gen, device=device)
        y_fake, _ = self._labels_and_rows(gen)
        if not with_real:
            return Batch(z=z, y_fake=y_fake)
        y_real, idx = self._labels_and_rows(gen)
        return Batch(z=z, y_fake=y_fake, x_real=self.x[idx], y_real=y_real)
