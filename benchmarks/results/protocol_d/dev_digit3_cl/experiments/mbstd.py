"""Experiment (not adopted): protocol D with a minibatch-standard-deviation channel in the conv D.

ProGAN's layer: before the discriminator's flatten, the standard deviation of
each feature over groups of ``MBSTD`` (default 4) consecutive images, averaged
to one number per group, is appended as an extra channel, followed by a 3×3
convolution. Every group is all real or all generated (the methods pass
``cat([real, fake])`` with batch sizes that are multiples of 4). Arguments are
protocol D's, e.g.

    MBSTD=4 python benchmarks/results/protocol_d/dev_digit3_cl/experiments/mbstd.py \\
        --judge-epochs 15 --n-iter 1000 --configs digit3 --methods rumi lsgan --out /tmp/pd_mbstd4
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

import torch  # noqa: E402
from torch import nn  # noqa: E402

import minority_gen.nets.conv as conv  # noqa: E402

GROUP = int(os.environ.get("MBSTD", "4"))
_init = conv.ConvDiscriminator.__init__


class MinibatchStd(nn.Module):
    def __init__(self, group: int):
        super().__init__()
        self.group = group

    def forward(self, h):
        n, c, hh, ww = h.shape
        g = self.group if n % self.group == 0 else 1
        s = h.reshape(n // g, g, c, hh, ww).var(dim=1, unbiased=False).add(1e-8).sqrt().mean(dim=[1, 2, 3])
        return torch.cat([h, s.repeat_interleave(g).view(n, 1, 1, 1).expand(n, 1, hh, ww)], dim=1)


def init(self, image_shape, heads, width=conv.DEFAULT_WIDTH, n_classes=0, spectral_norm=False, pac=1):
    _init(self, image_shape, heads, width, n_classes, spectral_norm, pac)
    k, _, _ = conv.conv_stages(image_shape)
    base = conv._widths(width, k)[k]
    layers = list(self.trunk)[:-1]  # all but the flatten
    layers += [MinibatchStd(GROUP), nn.Conv2d(base + 1, base, 3, padding=1), nn.LeakyReLU(0.2), nn.Flatten()]
    self.trunk = nn.Sequential(*layers)
    self.to(memory_format=conv.CONV_MEMORY_FORMAT)


conv.ConvDiscriminator.__init__ = init

import protocol_d  # noqa: E402

raise SystemExit(protocol_d.main())
