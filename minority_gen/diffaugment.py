"""Differentiable augmentation (DiffAugment) for GANs trained on few images.

Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training"
(NeurIPS 2020): the discriminator only ever sees augmented images, real and
generated alike, and the augmentations are differentiable so the generator
is trained through them. With a few dozen to a few hundred images this keeps
the discriminator from memorising the training set.

The operations follow the authors' reference code, on images in ``[-1, 1]``
laid out ``(N, C, H, W)``; every sample draws its own parameters:

* ``color``: brightness shift in ``[-0.5, 0.5)``, saturation scale in
  ``[0, 2)`` (no effect on one channel), contrast scale in ``[0.5, 1.5)``;
* ``translation``: integer shift of up to ``translation_ratio`` of each side,
  the uncovered border filled with zeros;
* ``cutout``: a zeroed rectangle of ``cutout_ratio`` of each side at a random
  position.

Randomness comes only from the ``torch.Generator`` handed in.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

POLICIES = ("color", "translation", "cutout")
#: ``diffaugment="auto"`` for images (tables get none).
DEFAULT_IMAGE_POLICY = "color,translation,cutout"


def parse_policy(policy: str | Sequence[str]) -> tuple[str, ...]:
    """``"color,translation"`` → ``("color", "translation")``, validated.

    Examples
    --------
    >>> parse_policy("translation, cutout")
    ('translation', 'cutout')
    """
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [str(n).strip() for n in names if str(n).strip()]
    bad = [n for n in names if n not in POLICIES]
    if bad or not names:
        raise ValueError(
            f"diffaugment must be a comma-separated list of {', '.join(POLICIES)} (e.g. "
            f"{DEFAULT_IMAGE_POLICY!r}), 'auto' or None; got {policy!r}."
        )
    return tuple(dict.fromkeys(names))


def resolve_policy(diffaugment: str | Sequence[str] | None, images: bool) -> tuple[str, ...] | None:
    """The policy ``GANOversampler(diffaugment=...)`` means for tables / images.

    ``"auto"``: :data:`DEFAULT_IMAGE_POLICY` for images, none for tables;
    ``None``: none; otherwise the parsed policy, which needs images.

    Examples
    --------
    >>> resolve_policy("auto", images=True), resolve_policy("auto", images=False)
    (('color', 'translation', 'cutout'), None)
    """
    if diffaugment is None or (isinstance(diffaugment, str) and diffaugment == "auto" and not images):
        return None
    if isinstance(diffaugment, str) and diffaugment == "auto":
        return parse_policy(DEFAULT_IMAGE_POLICY)
    if not images:
        raise ValueError(
            f"diffaugment={diffaugment!r} augments images, but X is a table; pass diffaugment=None "
            "(or 'auto'), or image data (an image array or image_shape=...)."
        )
    return parse_policy(diffaugment)


class DiffAugment:
    """Apply a DiffAugment policy to a batch of images ``(N, C, H, W)``.

    Parameters
    ----------
    policy : str or sequence of str, default="color,translation,cutout"
        Operations, applied in the given order.
    generator : torch.Generator, default=None
        Source of every random draw (on the images' device); ``None`` uses
        a fresh generator seeded 0.
    translation_ratio, cutout_ratio : float, default=0.125, 0.5
        Largest shift, and cutout side, as a fraction of the image side.

    Examples
    --------
    >>> import torch
    >>> aug = DiffAugment("translation,cutout", torch.Generator().manual_seed(0))
    >>> x = torch.rand(4, 1, 28, 28, requires_grad=True)
    >>> out = aug(x)
    >>> out.shape, out.requires_grad
    (torch.Size([4, 1, 28, 28]), True)
    """

    def __init__(
        self,
        policy: str | Sequence[str] = DEFAULT_IMAGE_POLICY,
        generator: torch.Generator | None = None,
        translation_ratio: float = 0.125,
        cutout_ratio: float = 0.5,
    ):
        self.policy = parse_policy(policy)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)
        self.translation_ratio = translation_ratio
        self.cutout_ratio = cutout_ratio

    def __repr__(self) -> str:
        return f"DiffAugment({','.join(self.policy)!r})"

    def __call__(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f"DiffAugment takes images shaped (N, C, H, W); got shape {tuple(x.shape)}.")
        for name in self.policy:
            x = getattr(self, f"_{name}")(x)
        return x

    def _rand(self, x: Tensor, *shape: int) -> Tensor:
        return torch.rand(*shape, generator=self.generator, device=x.device, dtype=x.dtype)

    def _color(self, x: Tensor) -> Tensor:
        n = len(x)
        x = x + (self._rand(x, n, 1, 1, 1) - 0.5)
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (self._rand(x, n, 1, 1, 1) * 2) + mean
        mean = x.mean(dim=[1, 2, 3], keepdim=True)
        return (x - mean) * (self._rand(x, n, 1, 1, 1) + 0.5) + mean

    def _randint(self, x: Tensor, low: int, high: int, n: int) -> Tensor:
        return torch.randint(low, high, (n, 1, 1), generator=self.generator, device=x.device)

    def _translation(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        sh, sw = int(h * self.translation_ratio + 0.5), int(w * self.translation_ratio + 0.5)
        dy, dx = self._randint(x, -sh, sh + 1, n), self._randint(x, -sw, sw + 1, n)
        b, gy, gx = torch.meshgrid(
            torch.arange(n, device=x.device), torch.arange(h, device=x.device),
            torch.arange(w, device=x.device), indexing="ij",
        )
        gy = torch.clamp(gy + dy + 1, 0, h + 1)
        gx = torch.clamp(gx + dx + 1, 0, w + 1)
        padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)
        return padded[b, gy, gx].permute(0, 3, 1, 2).contiguous()

    def _cutout(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        ch, cw = int(h * self.cutout_ratio + 0.5), int(w * self.cutout_ratio + 0.5)
        oy = self._randint(x, 0, h + (1 - ch % 2), n)
        ox = self._randint(x, 0, w + (1 - cw % 2), n)
        b, gy, gx = torch.meshgrid(
            torch.arange(n, device=x.device), torch.arange(ch, device=x.device),
            torch.arange(cw, device=x.device), indexing="ij",
        )
        gy = torch.clamp(gy + oy - ch // 2, 0, h - 1)
        gx = torch.clamp(gx + ox - cw // 2, 0, w - 1)
        mask = torch.ones(n, h, w, dtype=x.dtype, device=x.device)
        mask[b, gy, gx] = 0
        return x * mask.unsqueeze(1)
