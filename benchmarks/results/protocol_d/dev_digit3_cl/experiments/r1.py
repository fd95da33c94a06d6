"""Experiment: protocol D with the R1 gradient penalty on D (Mescheder et al., ICML 2018).

The discriminator loss gains ``gamma / 2 * mean(||grad_x D(x_real)||^2)`` on the
real images of each update: for ``rumi``'s split schedule, on the positives in the
(positives, fakes) update and on the negatives in the (negatives, fakes) update;
for ``lsgan`` on its positives. ``gamma`` comes from the environment variable
``R1`` (default 1.0). Arguments are protocol D's (or, with ``PROTOCOL=i``, protocol I's), e.g.

    R1=1 python benchmarks/results/protocol_d/dev_digit3_cl/experiments/r1.py \\
        --judge-epochs 15 --n-iter 1000 --configs digit3 --methods rumi lsgan --out /tmp/pd_r1
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

import torch  # noqa: E402

from minority_gen import losses  # noqa: E402
from minority_gen.methods.lsgan import LSGAN  # noqa: E402
from minority_gen.methods.rumi import RumiLSGAN  # noqa: E402

GAMMA = float(os.environ.get("R1", "1.0"))


def d_with_r1(nets, x_real, x_fake):
    """D outputs on ``cat([x_real, x_fake])`` and the R1 penalty on ``x_real``."""
    x_real = x_real.detach().requires_grad_(True)
    out = nets.d(torch.cat([x_real, x_fake]))["adv"]
    d_real, d_fake = out.split([len(x_real), len(x_fake)])
    (grad,) = torch.autograd.grad(d_real.sum(), x_real, create_graph=True)
    return d_real, d_fake, GAMMA / 2 * grad.pow(2).flatten(1).sum(1).mean()


def rumi_d_updates(self, nets, batch):
    for x, key in ((batch.x_pos, "pos"), (batch.x_neg, "neg")):
        d_real, d_fake, r1 = d_with_r1(nets, x, batch.x_fake)
        terms = losses.rumi_lsgan_d(d_real if key == "pos" else None, d_real if key == "neg" else None,
                                    d_fake, fake_weight=0.5, **self._targets())
        terms["r1"] = r1
        yield terms


def lsgan_d_loss(self, nets, batch):
    d_real, d_fake, r1 = d_with_r1(nets, batch.x_pos, batch.x_fake)
    terms = losses.lsgan_d(d_real, d_fake, a=self.a, b=self.b)
    terms["r1"] = r1
    return terms


RumiLSGAN.d_updates = rumi_d_updates
LSGAN.d_loss = lsgan_d_loss

import importlib  # noqa: E402

# PROTOCOL=i runs benchmarks/protocol_i.py (BreastMNIST) instead of protocol D.
raise SystemExit(importlib.import_module("protocol_" + os.environ.get("PROTOCOL", "d")).main())
