"""benchmarks/boundary_diagnostics.py: the off-span distance of generated rows."""

import numpy as np
import pytest

from tests.benchmark_scripts import imported

bd = imported("boundary_diagnostics")


def _plane(n=40, seed=0):
    """Rows with x2 = x0 - x1 + 1 exactly: a plane in three columns."""
    a = np.random.default_rng(seed).normal(size=(n, 2))
    return np.c_[a, a[:, 0] - a[:, 1] + 1]


def test_rows_in_the_span_are_zero_off_it_and_a_shift_along_the_normal_is_measured():
    real = _plane()
    i, j = np.arange(30), np.arange(30) + 5
    smote_like = real[i] + np.random.default_rng(1).random((30, 1)) * (real[j % 40] - real[i])
    assert bd.off_span(real, smote_like) < 1e-9
    normal = np.array([1.0, -1.0, -1.0]) / np.sqrt(3)
    shifted = smote_like + 0.5 * normal
    assert bd.off_span(real, shifted) == pytest.approx(0.5, rel=1e-6)
    # a shift inside the plane costs nothing
    assert bd.off_span(real, smote_like + np.array([1.0, 1.0, 0.0])) < 1e-9


def test_rows_that_span_every_direction_give_zero():
    real = np.random.default_rng(2).normal(size=(50, 3))
    assert bd.off_span(real, real + 3.0) == 0.0


def test_judge_reports_the_off_span_distance():
    rng = np.random.default_rng(3)
    X = np.r_[_plane(60, 4) + 2, rng.normal(size=(200, 3))]
    y = np.r_[np.ones(60, int), np.zeros(200, int)]
    out = bd.judge(X, y, X[:10] + [0.0, 0.0, 0.3], minority=1)
    assert out["off_span"] == pytest.approx(0.3 / np.sqrt(3), rel=1e-6)
