"""Toy data sets with known modes, and how generated rows cover them.

* :func:`two_mode_toy` and :func:`ring_of_gaussians`: 2-D classes on a few Gaussian modes, positive and
  negative ones apart; :func:`mode_coverage` says which modes generated rows landed on.
* :func:`gaussian_mixture_1d`: the UAC-GAN paper's 1-D mixture, one Gaussian per class (protocol M).
* :func:`bimodal_table`: a DataFrame whose continuous column has two far-apart modes (issue 9).

The benchmarks ``sample_quality.py``, ``mog_uacgan.py`` and ``mode_normalisation.py`` report on these data
and the behaviour tests check them, so every one of them draws exactly the same rows from the same seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Means and standard deviations of :func:`gaussian_mixture_1d`'s classes 0, 1, 2.
MIXTURE_MEANS, MIXTURE_STDS = (0.0, 3.0, 6.0), (1.0, 2.0, 3.0)


def two_mode_toy(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Issue 8's toy: 60 positive rows on the modes (2, 2) and (−2, 2) among 1,500 negative rows on (2, −2),
    (−2, −2) and (0, 0), each mode's rows drawn at random, σ = 0.3.

    Returns ``X, y, positive_modes, negative_modes`` (the negatives first in ``X``; ``y`` 1 for the positives).

    >>> X, y, pos, neg = two_mode_toy(0)
    >>> X.shape, int(y.sum()), pos.shape, neg.shape
    ((1560, 2), 60, (2, 2), (3, 2))
    """
    rng = np.random.default_rng(seed)
    pos, neg = np.array([[2, 2], [-2, 2]]), np.array([[2, -2], [-2, -2], [0, 0]])
    X_pos = pos[rng.integers(0, 2, 60)] + 0.3 * rng.normal(size=(60, 2))
    X_neg = neg[rng.integers(0, 3, 1500)] + 0.3 * rng.normal(size=(1500, 2))
    return np.vstack([X_neg, X_pos]), np.r_[np.zeros(1500, int), np.ones(60, int)], pos, neg


def ring_of_gaussians(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """8 Gaussians (σ = 0.2) on a circle of radius 4: the even ones positive (25 rows each), the odd ones
    negative (200 rows each).

    Returns ``X, y, positive_modes, negative_modes`` like :func:`two_mode_toy`.

    >>> X, y, pos, neg = ring_of_gaussians()
    >>> X.shape, int(y.sum()), pos.shape
    ((900, 2), 100, (4, 2))
    """
    rng = np.random.default_rng(seed)
    angles = np.arange(8) * np.pi / 4
    modes = 4 * np.c_[np.cos(angles), np.sin(angles)]
    pos, neg = modes[0::2], modes[1::2]
    X_pos = np.repeat(pos, 25, axis=0) + rng.normal(0, 0.2, (100, 2))
    X_neg = np.repeat(neg, 200, axis=0) + rng.normal(0, 0.2, (800, 2))
    return np.vstack([X_neg, X_pos]), np.r_[np.zeros(800, int), np.ones(100, int)], pos, neg


def mode_coverage(samples, positive_modes, negative_modes) -> tuple[float, np.ndarray]:
    """Where generated rows of the positive class landed: the share of ``samples`` nearer a positive mode
    than any negative one, and for each positive mode the share of ``samples`` that are near a positive mode
    and nearest to that one (the shares add up to the first figure).

    >>> near, shares = mode_coverage(np.array([[2.1, 2.0], [2.0, 1.9], [-2.0, 2.1], [0.1, 0.0]]),
    ...                              np.array([[2, 2], [-2, 2]]), np.array([[0, 0]]))
    >>> float(near), shares.tolist()
    (0.75, [0.5, 0.25])
    """
    samples, positive_modes, negative_modes = (np.asarray(a, dtype=np.float64)
                                               for a in (samples, positive_modes, negative_modes))
    if samples.ndim != 2 or len(samples) == 0:
        raise ValueError(f"samples must be a 2-D array with at least one row; got shape {samples.shape}.")
    if positive_modes.ndim != 2 or negative_modes.ndim != 2 or not (
            samples.shape[1] == positive_modes.shape[1] == negative_modes.shape[1]):
        raise ValueError(f"samples {samples.shape}, positive_modes {positive_modes.shape} and negative_modes "
                         f"{negative_modes.shape} must be 2-D with the same number of columns.")
    d_pos = np.linalg.norm(samples[:, None] - positive_modes[None], axis=2)
    near_pos = d_pos.min(1) < np.linalg.norm(samples[:, None] - negative_modes[None], axis=2).min(1)
    shares = np.bincount(d_pos.argmin(1)[near_pos], minlength=len(positive_modes)) / len(samples)
    return float(near_pos.mean()), shares


def gaussian_mixture_1d(n_per_class, rng) -> tuple[np.ndarray, np.ndarray]:
    """The UAC-GAN paper's 1-D mixture: ``n_per_class[c]`` rows of class ``c`` from N(:data:`MIXTURE_MEANS`\\[c],
    :data:`MIXTURE_STDS`\\[c]) for c = 0, 1, 2, drawn by the generator ``rng``; ``X`` float32 ``(n, 1)``.

    >>> X, y = gaussian_mixture_1d([4, 2, 1], np.random.default_rng(0))
    >>> X.shape, X.dtype.name, y.tolist()
    ((7, 1), 'float32', [0, 0, 0, 0, 1, 1, 2])
    """
    X = np.concatenate([rng.normal(m, s, n) for m, s, n in zip(MIXTURE_MEANS, MIXTURE_STDS, n_per_class)])
    return X[:, None].astype(np.float32), np.repeat(np.arange(3), n_per_class)


def bimodal_values(n: int, p_low: float, rng) -> np.ndarray:
    """``n`` values from N(−5, 0.5) with probability ``p_low``, else from N(5, 1), drawn by ``rng``."""
    return np.where(rng.random(n) < p_low, rng.normal(-5, 0.5, n), rng.normal(5, 1, n))


def bimodal_table(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Issue 9's toy: a continuous column ``x`` and a text column ``c`` ("a"/"b" at random). Class 0 (400 rows)
    has ``x`` on the modes of :func:`bimodal_values` 30 % / 70 %, class 1 (200 rows, the one to grow) in equal
    shares, so almost no row of class 1 lies between the modes.

    >>> X, y = bimodal_table(0)
    >>> X.shape, list(X.columns), int(y.sum())
    ((600, 2), ['x', 'c'], 200)
    """
    rng = np.random.default_rng(seed)
    x = np.r_[bimodal_values(400, 0.3, rng), bimodal_values(200, 0.5, rng)]
    return pd.DataFrame({"x": x, "c": rng.choice(["a", "b"], 600)}), np.r_[np.zeros(400, int), np.ones(200, int)]
