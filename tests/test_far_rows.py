"""Rows far outside the data (but short of the divergence rule) are named with a warning and their share recorded."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from minority_gen import GANOversampler
from minority_gen.divergence import FAR_FACTOR

from .conftest import TINY


def _fit():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (60, 3)), rng.normal(2, 1, (15, 3))]
    y = np.r_[np.zeros(60, int), np.ones(15, int)]
    return X, y, GANOversampler(**TINY, anchor=None).fit(X, y)


def test_a_healthy_draw_warns_nothing_and_records_zero():
    _, _, sampler = _fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler.sample(200, random_state=0)
    assert sampler.far_rows_ == {1: 0.0}


def test_far_rows_are_named_with_their_share():
    X, y, sampler = _fit()
    G = sampler.generators_[1]
    last = G.net[-1]
    with torch.no_grad():  # push the generator's output out to about 40x the training range: far, not diverged
        last.weight.zero_()
        last.bias.fill_(40.0 * float(np.abs((X - X.mean(0)) / X.std(0)).max()))
    with pytest.warns(UserWarning, match=rf"100\.0% of the 50 rows generated for class 1 lie beyond {FAR_FACTOR}x"):
        rows = sampler.sample(50, random_state=0)
    assert sampler.far_rows_[1] == 1.0 and np.isfinite(rows).all()
