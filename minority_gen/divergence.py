"""When a GAN counts as diverged: non-finite values, or values far outside the training rows."""

from __future__ import annotations

import numpy as np


class DivergenceError(RuntimeError):
    """A GAN diverged: its training or its generated rows left the finite, plausible range.

    Raised by :func:`train_gan` when a loss is not finite, or when the
    generator's batch of an iteration holds a value beyond
    :func:`divergence_limits`, and by :func:`generate_rows` before it would
    return such rows (non-finite, or beyond the limits). The message names
    the method, the GAN (class) and what to try: lower learning rates
    (``lr_g``, ``lr_d``), ``spectral_norm=True`` or ``recipe="paper"``.
    :class:`~minority_gen.GANOversampler` keeps its previous fitted state
    when a fit raises it.
    """


#: Generated values beyond this factor times the training rows' largest
#: magnitude count as divergence (see :func:`divergence_limits`).
DIVERGENCE_FACTOR = 1e3

ADVICE = "Try lower learning rates (lr_g, lr_d), spectral_norm=True, or recipe='paper'"


#: Rows at a time in :func:`beyond` and :func:`far_share`, so that their work arrays stay small whatever the draw.
PART_ROWS = 8192


def _parts(rows: np.ndarray):
    """``rows`` (rows first) as 2-D parts of at most :data:`PART_ROWS` rows, without copying."""
    rows = np.asarray(rows)
    flat = rows.reshape(len(rows), int(np.prod(rows.shape[1:], dtype=np.int64)))  # 0 rows too
    return (flat[start:start + PART_ROWS] for start in range(0, len(flat), PART_ROWS))


def _column_peaks(rows: np.ndarray) -> np.ndarray:
    """Per column of ``rows`` (rows first), the largest |value| in float64, read in parts in the rows' own type
    (where |value| is exact: no float64 copy of the whole array); ``inf`` where a column holds NaN or inf."""
    peak = np.zeros(int(np.prod(np.shape(rows)[1:], dtype=np.int64)))
    for part in _parts(rows):
        top = np.abs(part).max(axis=0).astype(np.float64)
        peak = np.maximum(peak, np.where(np.isnan(top), np.inf, top))
    return peak


def divergence_limits(x: np.ndarray) -> np.ndarray:
    """Per encoded column, the largest magnitude a generated value may have: the divergence rule.

    ``x`` holds the training rows as the networks see them (standardised
    numbers, one-hot blocks, images scaled to ``[-1, 1]``; any shape with
    the rows first). A generated value ``v`` in column ``j`` is diverged when
    ``|v| > DIVERGENCE_FACTOR * max(1, max_i |x_ij|)``. Standardised columns
    have unit variance, so the training rows reach ``|z|`` of a few units
    (at most ``sqrt(n_rows)``); the floor of 1 covers constant columns and
    one-hot blocks. Healthy generators stay within a few times the training
    range: over default-setting fits of 4 toy tables (with several methods)
    and 13 real ones (the imbalanced-learn benchmark sets, breast cancer,
    the mixed stroke table), the largest multiple seen was about 13 during
    training (the untrained generator's first batches included) and 5 in
    the returned rows (``benchmarks/results/divergence_bound.md``), two
    orders of magnitude below the factor. A generator driven off by too
    large a learning rate (``lr_g=lr_d=10`` on a 72-row toy) reaches ``1e6``
    times within two iterations, where the decoded rows are meaningless.

    >>> divergence_limits(np.array([[0.5, 0.0], [-2.0, 0.0]], dtype=np.float32))
    array([2000., 1000.])
    """
    return DIVERGENCE_FACTOR * np.maximum(1.0, _column_peaks(x))


def beyond(rows: np.ndarray, limits: np.ndarray) -> str | None:
    """Where ``rows`` (rows first) break the limits, in words; ``None`` when they do not.

    >>> beyond(np.array([[1.0, 5.0], [-3000.0, 2.0]]), np.array([1000.0, 1000.0]))[:40]
    '|value| 3e+03 in column 0 of the encoded'
    >>> beyond(np.array([[1.0, np.nan]]), np.array([1000.0, 1000.0]))
    'non-finite values in column 1 of the encoded rows'
    """
    if not len(rows):
        return None
    peak = _column_peaks(rows)
    ratio = peak / limits
    j = int(np.argmax(ratio))
    if not ratio[j] > 1.0:
        return None
    value = peak[j]
    if not np.isfinite(value):
        return f"non-finite values in column {j} of the encoded rows"
    return (f"|value| {value:.3g} in column {j} of the encoded rows, beyond the limit {limits[j]:.3g} "
            f"({DIVERGENCE_FACTOR:g} x the training rows' largest |value| there, floored at 1)")


#: Returned rows beyond this factor times the training rows' largest magnitude (floored at 1) in some encoded
#: column are far: healthy fits stay within about 13 (benchmarks/results/divergence_bound.md), so a share of
#: far rows is a warning sign below the divergence rule's 1,000.
FAR_FACTOR = 20


def far_share(rows: np.ndarray, limits: np.ndarray) -> float:
    """The share of ``rows`` (encoded, rows first) with a value beyond :data:`FAR_FACTOR` times the training rows'
    largest magnitude in its column (``limits`` from :func:`divergence_limits`).

    >>> far_share(np.array([[1.0, 0.0], [30.0, 0.0], [0.0, -25.0]]), np.array([1000.0, 1000.0]))
    0.6666666666666666
    """
    if not len(rows):
        return 0.0
    bound = limits * (FAR_FACTOR / DIVERGENCE_FACTOR)  # compared with each |value| exactly, in float64
    far = sum(int((np.abs(part) > bound).any(axis=1).sum()) for part in _parts(rows))
    return far / len(rows)
