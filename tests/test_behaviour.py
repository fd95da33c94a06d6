"""Behaviour on small data: what each unconditional method is for."""

import numpy as np
import pytest

from minority_gen import GANOversampler

# The toys the sample-quality benchmark reports on (minority_gen.evaluation.toys): the ring (8 Gaussians on a
# circle of radius 4, the even ones positive: 100 rows, the odd ones negative: 800) and issue 8's two-mode toy
# (positives on 2 modes, 60 rows; negatives on 3, 1,500 rows; sigma 0.3).
from minority_gen.evaluation.toys import ring_of_gaussians, two_mode_toy


def nearest_is_positive(samples, pos, neg):
    d_pos = np.linalg.norm(samples[:, None] - pos[None], axis=2).min(axis=1)
    d_neg = np.linalg.norm(samples[:, None] - neg[None], axis=2).min(axis=1)
    return d_pos < d_neg


def mode_shares(samples, modes):
    """Share of the samples whose nearest mode is each of ``modes``."""
    nearest = np.linalg.norm(samples[:, None] - modes[None], axis=2).argmin(axis=1)
    return np.bincount(nearest, minlength=len(modes)) / len(samples)


@pytest.mark.slow
def test_rumi_learns_the_positive_modes_not_the_negative_ones():
    X, y, pos, neg = ring_of_gaussians()
    sampler = GANOversampler(method="rumi", hidden_dims=(64, 64), random_state=0, device="cpu")
    X_res, y_res = sampler.fit_resample(X, y)
    synthetic = X_res[len(X):]
    assert len(synthetic) == 700 and (y_res[len(X):] == 1).all()
    assert nearest_is_positive(synthetic, pos, neg).mean() >= 0.95
    # not collapsed: at least two of the four positive modes hold 20 % of the rows each (one with pac=1)
    assert (mode_shares(synthetic, pos) >= 0.2).sum() >= 2


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rumi_defaults_cover_both_positive_modes(seed):
    """Default rumi: >= 95 % of rows nearer a positive mode, each positive mode >= 20 % (collapsed before PacGAN)."""
    X, y, pos, neg = two_mode_toy(seed)
    sampler = GANOversampler(method="rumi", random_state=seed, device="cpu").fit(X, y)
    synthetic = sampler.sample(2000, y=1, random_state=0)
    assert nearest_is_positive(synthetic, pos, neg).mean() >= 0.95
    assert mode_shares(synthetic, pos).min() >= 0.2
