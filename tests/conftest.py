"""Tiny, fast settings shared by the tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

# The tests train tiny networks: intra-op threads only add overhead there
# (and oversubscribe a small CI machine), so the suite runs single-threaded.
torch.set_num_threads(1)

# Settings that make any GAN fit take milliseconds on the CPU.
TINY = dict(n_iter=3, batch_size=16, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)


@pytest.fixture
def tiny():
    """Keyword arguments for a GANOversampler that trains in milliseconds."""
    return dict(TINY)


@pytest.fixture
def imbalanced_table():
    """A 3-feature binary table: 60 majority rows (label 0), 12 minority (label 1)."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (60, 3)), rng.normal(3, 1, (12, 3))])
    y = np.array([0] * 60 + [1] * 12)
    return X, y
