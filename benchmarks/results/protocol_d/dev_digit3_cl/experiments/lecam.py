"""Experiment: protocol D with LeCam regularisation of D (Tseng et al., CVPR 2021).

The discriminator loss gains ``lambda * (mean(relu(D(x_real) - ema_fake)^2) +
mean(relu(ema_real - D(G(z)))^2))``, where ``ema_real`` and ``ema_fake`` are
exponential moving averages (decay 0.99) of the mean D output on real and on
generated images, as in google/lecam-gan. For ``rumi`` it is added to the
(positives, fakes) update of the split schedule (the negatives' update is
unchanged); for ``lsgan`` to its one update. ``lambda`` comes from the
environment variable ``LECAM`` (default 0.3). Arguments are protocol D's (or, with ``PROTOCOL=i``, protocol I's), e.g.

    LECAM=0.3 python benchmarks/results/protocol_d/dev_digit3_cl/experiments/lecam.py \\
        --judge-epochs 15 --n-iter 1000 --configs digit3 --methods rumi lsgan --out /tmp/pd_lecam
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

LAMBDA = float(os.environ.get("LECAM", "0.3"))
DECAY = 0.99


def lecam(nets, d_real, d_fake):
    """LeCam term; updates the EMAs kept on ``nets.D``."""
    state = getattr(nets.D, "_lecam_ema", None)
    real_mean, fake_mean = float(d_real.detach().mean()), float(d_fake.detach().mean())
    if state is None:
        state = [real_mean, fake_mean]
    else:
        state = [DECAY * state[0] + (1 - DECAY) * real_mean, DECAY * state[1] + (1 - DECAY) * fake_mean]
    nets.D._lecam_ema = state
    return LAMBDA * (torch.relu(d_real - state[1]).pow(2).mean() + torch.relu(state[0] - d_fake).pow(2).mean())


def rumi_d_updates(self, nets, batch):
    for x, key in ((batch.x_pos, "pos"), (batch.x_neg, "neg")):
        out = nets.d(torch.cat([x, batch.x_fake]))["adv"]
        d_real, d_fake = out.split([len(x), len(batch.x_fake)])
        terms = losses.rumi_lsgan_d(d_real if key == "pos" else None, d_real if key == "neg" else None,
                                    d_fake, fake_weight=0.5, **self._targets())
        if key == "pos":
            terms["lecam"] = lecam(nets, d_real, d_fake)
        yield terms


def lsgan_d_loss(self, nets, batch):
    out = nets.d(torch.cat([batch.x_pos, batch.x_fake]))["adv"]
    d_real, d_fake = out.split([len(batch.x_pos), len(batch.x_fake)])
    terms = losses.lsgan_d(d_real, d_fake, a=self.a, b=self.b)
    terms["lecam"] = lecam(nets, d_real, d_fake)
    return terms


RumiLSGAN.d_updates = rumi_d_updates
LSGAN.d_loss = lsgan_d_loss

import importlib  # noqa: E402

# PROTOCOL=i runs benchmarks/protocol_i.py (BreastMNIST) instead of protocol D.
raise SystemExit(importlib.import_module("protocol_" + os.environ.get("PROTOCOL", "d")).main())
