"""Behaviour on small data: what each unconditional method is for."""

import numpy as np
import pytest

from minority_gen import GANOversampler


def ring_of_gaussians(seed=0):
    """8 Gaussians on a circle of radius 4: even ones positive (100 rows), odd ones negative (800)."""
    rng = np.random.default_rng(seed)
    angles = np.arange(8) * np.pi / 4
    modes = 4 * np.c_[np.cos(angles), np.sin(angles)]
    pos, neg = modes[0::2], modes[1::2]
    X_pos = np.repeat(pos, 25, axis=0) + rng.normal(0, 0.2, (100, 2))
    X_neg = np.repeat(neg, 200, axis=0) + rng.normal(0, 0.2, (800, 2))
    return np.vstack([X_neg, X_pos]), np.r_[np.zeros(800, int), np.ones(100, int)], pos, neg


def nearest_is_positive(samples, pos, neg):
    d_pos = np.linalg.norm(samples[:, None] - pos[None], axis=2).min(axis=1)
    d_neg = np.linalg.norm(samples[:, None] - neg[None], axis=2).min(axis=1)
    return d_pos < d_neg


@pytest.mark.slow
def test_rumi_learns_the_positive_modes_not_the_negative_ones():
    X, y, pos, neg = ring_of_gaussians()
    sampler = GANOversampler(method="rumi", n_iter=600, hidden_dims=(64, 64), random_state=0, device="cpu")
    X_res, y_res = sampler.fit_resample(X, y)
    synthetic = X_res[len(X):]
    assert len(synthetic) == 700 and (y_res[len(X):] == 1).all()
    assert nearest_is_positive(synthetic, pos, neg).mean() >= 0.95
