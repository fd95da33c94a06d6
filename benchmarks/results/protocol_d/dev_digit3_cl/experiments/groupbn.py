"""Experiment (not adopted): protocol D with batch norm in the conv D, each group judged on its own.

As in DCGAN and the Rumi authors' discriminator: batch norm after every
stride-2 convolution, and the positives, the negatives and the generated
images each go through D in a call of their own, so each is normalised by
its own batch statistics (``rumi`` and ``lsgan`` patched here). Arguments are
protocol D's, e.g.

    python benchmarks/results/protocol_d/dev_digit3_cl/experiments/groupbn.py \\
        --judge-epochs 15 --n-iter 1000 --configs digit3 --methods rumi lsgan --out /tmp/pd_groupbn
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

from torch import nn  # noqa: E402

import minority_gen.nets.conv as conv  # noqa: E402
from minority_gen import losses  # noqa: E402
from minority_gen.methods.lsgan import LSGAN  # noqa: E402
from minority_gen.methods.rumi import RumiLSGAN  # noqa: E402

_init = conv.ConvDiscriminator.__init__


def init(self, image_shape, heads, width=conv.DEFAULT_WIDTH, n_classes=0, spectral_norm=False, pac=1):
    _init(self, image_shape, heads, width, n_classes, spectral_norm, pac)
    layers = []
    for m in self.trunk:
        layers.append(m)
        if isinstance(m, nn.Conv2d) and m.stride == (2, 2):
            layers.append(nn.BatchNorm2d(m.out_channels))
    self.trunk = nn.Sequential(*layers)
    self.to(memory_format=conv.CONV_MEMORY_FORMAT)


def rumi_d_updates(self, nets, batch):
    if self.d_schedule == "joint":
        yield losses.rumi_lsgan_d(nets.d(batch.x_pos)["adv"], nets.d(batch.x_neg)["adv"],
                                  nets.d(batch.x_fake)["adv"], **self._targets())
        return
    for x, key in ((batch.x_pos, "pos"), (batch.x_neg, "neg")):
        d_real, d_fake = nets.d(x)["adv"], nets.d(batch.x_fake)["adv"]
        yield losses.rumi_lsgan_d(d_real if key == "pos" else None, d_real if key == "neg" else None,
                                  d_fake, fake_weight=0.5, **self._targets())


def lsgan_d_loss(self, nets, batch):
    return losses.lsgan_d(nets.d(batch.x_pos)["adv"], nets.d(batch.x_fake)["adv"], a=self.a, b=self.b)


conv.ConvDiscriminator.__init__ = init
RumiLSGAN.d_updates = rumi_d_updates
LSGAN.d_loss = lsgan_d_loss

import protocol_d  # noqa: E402

raise SystemExit(protocol_d.main())
