"""minority_gen.evaluation.toys (the benchmarks' toy data and mode coverage) and metrics.mmd2_poly_1d."""

from __future__ import annotations

import numpy as np
import pytest

from minority_gen.evaluation.metrics import mmd2_poly_1d
from minority_gen.evaluation.toys import (
    MIXTURE_MEANS,
    MIXTURE_STDS,
    bimodal_table,
    gaussian_mixture_1d,
    mode_coverage,
    ring_of_gaussians,
    two_mode_toy,
)


@pytest.mark.parametrize("toy, n_neg, n_pos, n_modes", [(two_mode_toy, 1500, 60, (2, 3)),
                                                         (ring_of_gaussians, 800, 100, (4, 4))])
def test_mode_toys_put_each_class_on_its_own_modes_and_repeat_by_seed(toy, n_neg, n_pos, n_modes):
    X, y, pos, neg = toy(1)
    assert X.shape == (n_neg + n_pos, 2) and (y[:n_neg] == 0).all() and (y[n_neg:] == 1).all()
    assert (len(pos), len(neg)) == n_modes
    assert mode_coverage(X[y == 1], pos, neg)[0] == 1.0 and mode_coverage(X[y == 0], pos, neg)[0] == 0.0
    assert np.array_equal(toy(1)[0], X) and not np.array_equal(toy(2)[0], X)


def test_mode_coverage_counts_only_rows_near_a_positive_mode():
    pos, neg = np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[0.0, 10.0]])
    samples = np.array([[0.1, 0.0], [-0.2, 0.1], [9.0, 0.0], [0.0, 9.0], [1.0, 8.0]])
    near, shares = mode_coverage(samples, pos, neg)
    assert near == pytest.approx(0.6) and shares.tolist() == pytest.approx([0.4, 0.2])
    assert shares.sum() == pytest.approx(near)


def test_gaussian_mixture_1d_has_the_papers_classes():
    X, y = gaussian_mixture_1d([20_000, 20_000, 1_000], np.random.default_rng(0))
    assert X.shape == (41_000, 1) and X.dtype == np.float32 and np.bincount(y).tolist() == [20_000, 20_000, 1_000]
    for c in range(3):
        assert X[y == c].mean() == pytest.approx(MIXTURE_MEANS[c], abs=0.1 * MIXTURE_STDS[c] + 0.05)
        assert X[y == c].std() == pytest.approx(MIXTURE_STDS[c], rel=0.1)


def test_bimodal_table_keeps_the_class_to_grow_off_the_gap_between_the_modes():
    X, y = bimodal_table(0)
    x = X["x"].to_numpy()
    assert list(X.columns) == ["x", "c"] and set(X["c"]) == {"a", "b"} and np.bincount(y).tolist() == [400, 200]
    assert (np.abs(x[y == 1]) < 2).mean() < 0.01 and 0.4 < (x[y == 1] < -2).mean() < 0.6
    assert 0.2 < (x[y == 0] < -2).mean() < 0.4
    assert X.equals(bimodal_table(0)[0])


def unbiased(k_aa, k_bb, k_ab) -> float:
    n, m = len(k_aa), len(k_bb)
    return ((k_aa.sum() - np.trace(k_aa)) / (n * (n - 1)) + (k_bb.sum() - np.trace(k_bb)) / (m * (m - 1))
            - 2 * k_ab.mean())


def test_poly_mmd_by_moments_equals_the_kernel_matrices():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 60), rng.normal(1, 2, 80)

    def k(u, v):
        return (u[:, None] * v[None, :] + 1) ** 3

    assert mmd2_poly_1d(a, b) == pytest.approx(unbiased(k(a, a), k(b, b), k(a, b)), rel=1e-9)
    assert mmd2_poly_1d(a.astype(np.float32)[:, None], b) == pytest.approx(
        mmd2_poly_1d(a.astype(np.float32), b), rel=1e-12)
    with pytest.raises(ValueError, match="at least 2 values"):
        mmd2_poly_1d(a[:1], b)
