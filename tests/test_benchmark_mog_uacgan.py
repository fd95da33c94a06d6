"""benchmarks/mog_uacgan.py (protocol M): its Gaussian-kernel MMD² against the kernel written out (the polynomial one,
now evaluation.metrics.mmd2_poly_1d: tests/test_evaluation_toys.py)."""

from __future__ import annotations

import numpy as np
import pytest

from .benchmark_scripts import loaded


@pytest.fixture(scope="module")
def mog():
    yield from loaded("mog_uacgan")


def unbiased(k_aa, k_bb, k_ab) -> float:
    n, m = len(k_aa), len(k_bb)
    return ((k_aa.sum() - np.trace(k_aa)) / (n * (n - 1)) + (k_bb.sum() - np.trace(k_bb)) / (m * (m - 1))
            - 2 * k_ab.mean())


def test_rbf_mmd_is_the_unbiased_gaussian_kernel_statistic_on_the_drawn_rows(mog):
    """mmd_rbf (now evaluation.metrics.mmd2 on rows drawn by the given generator) equals the unbiased MMD² with
    exp(-(x-y)²/2) written out over the same draws, so committed figures stay comparable."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 500), rng.normal(0.5, 2, 700)
    draw = np.random.default_rng(7)
    sa, sb = draw.choice(a, 300, replace=False), draw.choice(b, 300, replace=False)
    k = lambda u, v: np.exp(-((u[:, None] - v[None, :]) ** 2) / 2)  # noqa: E731
    got = mog.mmd_rbf(a, b, np.random.default_rng(7), n=300)
    assert got == pytest.approx(unbiased(k(sa, sa), k(sb, sb), k(sa, sb)), rel=1e-12, abs=1e-15)
    assert got > 0.05 and abs(mog.mmd_rbf(a, a.copy(), np.random.default_rng(1), n=300)) < 0.02
