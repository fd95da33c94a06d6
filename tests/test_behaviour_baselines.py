"""Behaviour on small data of Rumi's two baselines, ``rumi-sgan`` and ``lsgan`` (as tests/test_behaviour.py for rumi).

Both must generate the **positive** class of issue 8's two-mode toy: Rumi-SGAN
because its discriminator is told the negatives are not to be learnt, LSGAN
because it only ever sees the positives. Swapped real/fake targets or swapped
positive/negative sets send the generator elsewhere, and these tests fail.
"""

import pytest

from minority_gen import GANOversampler

from .test_behaviour import mode_shares, nearest_is_positive, two_mode_toy


@pytest.mark.slow
@pytest.mark.parametrize("method", ["rumi-sgan", "lsgan"])
def test_baseline_learns_both_positive_modes_and_no_negative_one(method):
    """>= 95 % of rows nearer a positive mode than a negative one; each positive mode >= 20 % of the rows."""
    X, y, pos, neg = two_mode_toy(0)
    sampler = GANOversampler(method=method, n_iter=1000, random_state=0, device="cpu").fit(X, y)
    synthetic = sampler.sample(2000, y=1, random_state=0)
    assert nearest_is_positive(synthetic, pos, neg).mean() >= 0.95
    assert mode_shares(synthetic, pos).min() >= 0.2
