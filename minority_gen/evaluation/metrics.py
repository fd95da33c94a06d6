"""Generative-quality metrics: how close, how diverse, how novel are synthetic rows.

Distance-based metrics live here; the classifier-based ones
(``c2st_accuracy``, ``class_fidelity``, ``am_score``) in
:mod:`minority_gen.evaluation.judges`. Every function takes two sets of
rows (or of image features, see :mod:`minority_gen.evaluation.features`)
as 2-D arrays and returns plain floats. Metrics that are quadratic in the number of rows draw a random
subsample of at most ``max_samples`` rows per set (default
:data:`MAX_SAMPLES`) and compute distances in blocks of at most
:data:`BLOCK_ROWS` rows and :data:`BLOCK_ELEMENTS` distances, so memory
stays bounded whatever the input size (``max_samples=None`` included).

========================  ==============  =================================
metric                    range           better
========================  ==============  =================================
``mmd2``                  ≈ [0, 2]        lower (0: same distribution)
``frechet_distance``      [0, ∞)          lower (0: same mean and cov.)
``precision``             [0, 1]          higher (fidelity)
``recall``                [0, 1]          higher (diversity)
``density``               [0, ∞)          higher (≈ 1 for matching sets)
``coverage``              [0, 1]          higher
``c2st_accuracy``         [0, 1]          0.5 (indistinguishable; ≪ 0.5: copies)
``class_fidelity``        [0, 1]          higher
``dcr_ratio``             [0, ∞)          ≈ 1 or above; < 1 hints copying
``near_copies``           {0, 1, …}       0
``am_score``              [0, ∞)          lower
========================  ==============  =================================
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist, pdist
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

MAX_SAMPLES = 2000
"""Default cap on the rows per set used by quadratic metrics."""

BLOCK_ROWS = 1024
"""Rows per block when a distance or kernel matrix is computed piecewise."""

BLOCK_ELEMENTS = 2**24
"""Distances per block at most (fewer rows than :data:`BLOCK_ROWS` against more than 16,384 others): 128 MiB."""

BANDWIDTH_SAMPLES = 1000
"""Pooled rows (at most) from which the median-heuristic bandwidth is taken."""


# --------------------------------------------------------------------------
# Input checks and helpers
# --------------------------------------------------------------------------
def _as_2d(X, name: str) -> np.ndarray:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}. "
            "For images, extract features first (minority_gen.evaluation.features)."
        )
    if len(arr) == 0:
        raise ValueError(f"{name} has no rows.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf; drop or impute those rows first.")
    return arr


def _pair(X, Y, names=("X_real", "X_fake")) -> tuple[np.ndarray, np.ndarray]:
    X, Y = _as_2d(X, names[0]), _as_2d(Y, names[1])
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"{names[0]} has {X.shape[1]} features but {names[1]} has {Y.shape[1]}.")
    return X, Y


def _subsample(X: np.ndarray, cap: int | None, rng: np.random.RandomState) -> np.ndarray:
    if cap is None or len(X) <= cap:
        return X
    return X[np.sort(rng.choice(len(X), cap, replace=False))]


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared distances by the fast ‖a‖² + ‖b‖² − 2ab expansion (for kernels, on centred rows: the rounding
    error is relative to ‖a‖², harmless when the rows are near the origin)."""
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def _blocks(n: int, width: int):
    """Slices of ``n`` rows, each against ``width`` others: at most ``BLOCK_ROWS`` rows and ``BLOCK_ELEMENTS``
    distances (a row at least) per block."""
    rows = max(1, min(BLOCK_ROWS, BLOCK_ELEMENTS // max(width, 1)))
    for start in range(0, n, rows):
        yield slice(start, min(start + rows, n))


# --------------------------------------------------------------------------
# MMD
# --------------------------------------------------------------------------
def median_bandwidth(X, Y, max_samples: int | None = BANDWIDTH_SAMPLES, random_state=0) -> float:
    """Median heuristic: the median pairwise distance in the pooled sample (at most ``max_samples`` rows).

    Zero distances (duplicated rows, e.g. random oversampling's copies) are left out of the median; 1.0 when
    every distance is 0.
    """
    X, Y = _pair(X, Y)
    rng = check_random_state(random_state)
    Z = _subsample(np.vstack([X, Y]), max_samples, rng)
    d = pdist(Z)  # exact differences: duplicated rows are at distance 0 and left out
    d = d[d > 0]
    return float(np.median(d)) if len(d) else 1.0


def mmd2(X_real, X_fake, bandwidth: float | None = None, max_samples: int | None = MAX_SAMPLES,
         random_state=0) -> float:
    """Unbiased squared maximum mean discrepancy with an RBF kernel.

    ``k(x, y) = exp(-‖x − y‖² / (2σ²))`` with ``σ`` the median pairwise
    distance of the pooled sample (median heuristic, on at most
    :data:`BANDWIDTH_SAMPLES` pooled rows, zero distances left out: see
    :func:`median_bandwidth`) unless ``bandwidth`` is given.
    The unbiased estimate leaves out the diagonal of the within-set kernel
    matrices, so it can be slightly negative when the two sets come from
    one distribution. Range ≈ [0, 2]; lower is better.

    Parameters
    ----------
    X_real, X_fake : array-like of shape (n, d) and (m, d)
    bandwidth : float, default=None
        Kernel width σ; ``None`` uses the median heuristic.
    max_samples : int or None, default=2000
        At most this many rows of each set are used (a random subsample).
    random_state : int, RandomState or None, default=0
        Seeds the subsample.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> abs(mmd2(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)))) < 0.02
    True
    """
    X, Y = _pair(X_real, X_fake)
    if len(X) < 2 or len(Y) < 2:
        raise ValueError("mmd2 needs at least 2 rows in each set.")
    rng = check_random_state(random_state)
    X, Y = _subsample(X, max_samples, rng), _subsample(Y, max_samples, rng)
    sigma = median_bandwidth(X, Y, random_state=rng) if bandwidth is None else float(bandwidth)
    if not sigma > 0:
        raise ValueError(f"bandwidth must be positive; got {bandwidth!r}.")
    gamma = 1.0 / (2.0 * sigma**2)
    # both sets shifted by the midpoint of their means (distances do not change): the expansion in _sq_dists
    # loses the distances to rounding when the rows are far from the origin
    centre = (X.mean(0) + Y.mean(0)) / 2
    X, Y = X - centre, Y - centre

    def kernel_sum(A, B):
        return sum(np.exp(-gamma * _sq_dists(A[s], B)).sum() for s in _blocks(len(A), len(B)))

    n, m = len(X), len(Y)
    k_xx = (kernel_sum(X, X) - n) / (n * (n - 1))  # diagonal terms are exp(0) = 1
    k_yy = (kernel_sum(Y, Y) - m) / (m * (m - 1))
    k_xy = kernel_sum(X, Y) / (n * m)
    return float(k_xx + k_yy - 2.0 * k_xy)


def mmd2_poly_1d(x_real, x_fake) -> float:
    """Unbiased squared MMD of two 1-D samples with the polynomial kernel ``(x·y + 1)³``, exact in linear time.

    The mean of ``(u v + 1)³`` over pairs is ``Σ_k C(3, k) E[u^k] E[v^k]``; within a sample the pairs ``i = j``
    are left out. In data units (large values dominate): the UAC-GAN authors' statistic on their 1-D mixture.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> abs(mmd2_poly_1d(rng.normal(size=5000), rng.normal(size=5000))) < 0.5
    True
    """
    terms = list(enumerate((1, 3, 3, 1)))

    def within(u):
        return sum(c * (np.sum(u**k) ** 2 - np.sum(u ** (2 * k))) / (len(u) * (len(u) - 1)) for k, c in terms)

    a, b = (np.asarray(v).astype(np.float64).ravel() for v in (x_real, x_fake))
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"mmd2_poly_1d needs at least 2 values in each sample; got {len(a)} and {len(b)}.")
    return float(within(a) + within(b) - 2 * sum(c * np.mean(a**k) * np.mean(b**k) for k, c in terms))


# --------------------------------------------------------------------------
# Fréchet distance
# --------------------------------------------------------------------------
def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh((S + S.T) / 2)
    return (V * np.sqrt(np.clip(w, 0, None))) @ V.T


def frechet_distance_from_stats(mu1, sigma1, mu2, sigma2) -> float:
    """``‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})`` for two Gaussians.

    The trace of the matrix square root is computed as the sum of the square
    roots of the eigenvalues of ``Σ₁^{1/2} Σ₂ Σ₁^{1/2}`` (symmetric, so
    stable even for singular covariances: no ``scipy.linalg.sqrtm``, so no
    imaginary parts to drop). Eigenvalues that round-off makes slightly
    negative count as 0, and a total that round-off makes slightly negative
    is returned as 0.0.

    Examples
    --------
    >>> import numpy as np
    >>> round(frechet_distance_from_stats(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2)), 6)
    4.0
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, float)), np.atleast_2d(np.asarray(sigma2, float))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(
            f"mean/covariance shapes do not match: {mu1.shape}, {s1.shape}, {mu2.shape}, {s2.shape}."
        )
    r1 = _sqrt_psd(s1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(r1 @ s2 @ r1), 0, None)).sum()
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2.0 * cross)
    return max(value, 0.0)


def frechet_distance(X_real, X_fake) -> float:
    """Fréchet distance between Gaussians fitted to two sets of features.

    With Inception-v3 features this is the FID; here it applies to any
    features (table columns, a small CNN's penultimate layer). Means and
    covariances (``np.cov``, ``n − 1`` denominator) go to
    :func:`frechet_distance_from_stats`. Range
    [0, ∞); lower is better. Linear in the number of rows (covariances are
    ``d × d``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(500, 3))
    >>> round(frechet_distance(X, X + [1.0, 2.0, 0.0]), 6)  # ‖shift‖² = 5
    5.0
    """
    X, Y = _pair(X_real, X_fake)
    if len(X) < 2 or len(Y) < 2:
        raise ValueError("frechet_distance needs at least 2 rows in each set.")
    return frechet_distance_from_stats(X.mean(0), np.cov(X, rowvar=False), Y.mean(0), np.cov(Y, rowvar=False))


# --------------------------------------------------------------------------
# Precision / recall / density / coverage
# --------------------------------------------------------------------------
def _kth_radius(X: np.ndarray, k: int) -> np.ndarray:
    """Distance of each row to its k-th nearest other row, in blocks."""
    out = np.empty(len(X))
    for s in _blocks(len(X), len(X)):
        out[s] = np.partition(cdist(X[s], X), k, axis=1)[:, k]  # the smallest, 0, is the row itself
    return out


def prdc(X_real, X_fake, k: int = 5, max_samples: int | None = MAX_SAMPLES,
         random_state=0) -> dict[str, float]:
    """Precision, recall, density and coverage on k-NN manifolds (Naeem et al. 2020).

    Each real row gets a ball reaching its ``k``-th nearest real neighbour,
    the row itself left out (likewise for synthetic rows). Balls are
    closed: a row at exactly the radius is inside, as in Kynkäänniemi et
    al. 2019's definition (Naeem et al.'s code uses ``<``; the two differ
    only on ties, most visibly when a real row occurs more than ``k``
    times: its radius is 0 and here exact copies of it are inside it).
    Distances are Euclidean, computed from the differences.

    * precision: share of synthetic rows inside some real ball — fidelity,
      [0, 1], higher is better;
    * recall: share of real rows inside some synthetic ball — diversity,
      [0, 1], higher is better;
    * density: mean number of real balls holding a synthetic row, divided
      by ``k`` — [0, ∞), ≈ 1 when the sets match, higher means rows crowd
      in dense real regions;
    * coverage: share of real rows whose ball holds a synthetic row — [0, 1],
      higher is better.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> prdc(X, X)["precision"], prdc(X, X + 100)["precision"]
    (1.0, 0.0)
    """
    X, Y = _pair(X_real, X_fake)
    rng = check_random_state(random_state)
    X, Y = _subsample(X, max_samples, rng), _subsample(Y, max_samples, rng)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int; got {k!r}.")
    if min(len(X), len(Y)) <= k:
        raise ValueError(
            f"prdc with k={k} needs more than {k} rows in each set; got {len(X)} real and "
            f"{len(Y)} synthetic. Lower k or pass more rows."
        )
    r_real, r_fake = _kth_radius(X, k), _kth_radius(Y, k)
    in_real_balls = np.zeros(len(Y))  # per synthetic row: number of real balls holding it
    covered = np.zeros(len(X), bool)
    recalled = np.zeros(len(X), bool)
    for s in _blocks(len(X), len(Y)):
        # exact differences (not the ‖a‖² + ‖b‖² − 2ab expansion), so that a copied row is at distance 0
        # from its original and radii of duplicated rows are exactly 0: ties are decided the same way
        # whatever the last bits of the input
        d = cdist(X[s], Y)  # real block × synthetic
        inside = d <= r_real[s, None]
        in_real_balls += inside.sum(0)
        covered[s] = inside.any(1)
        recalled[s] = (d <= r_fake[None, :]).any(1)
    return {
        "precision": float((in_real_balls > 0).mean()),
        "recall": float(recalled.mean()),
        "density": float(in_real_balls.mean() / k),
        "coverage": float(covered.mean()),
    }


# --------------------------------------------------------------------------
# Memorisation
# --------------------------------------------------------------------------
def memorisation(X_train, X_fake, X_holdout=None, copy_tol: float = 1e-3, standardise: bool = True
                 ) -> dict[str, float]:
    """Distance to the closest training record (DCR) and near-copies.

    For every synthetic row, the distance to its nearest row of
    ``X_train`` (the rows the generator learnt from) is compared with the
    same distance for real rows the generator never saw: ``X_holdout``
    when given, otherwise each training row's distance to its nearest
    *other* training row (leave-one-out). Features are standardised with the
    training rows' mean and standard deviation when ``standardise``.
    Distances are Euclidean, computed from the differences (a copy is at
    exactly 0).

    Returns a dict with

    * ``dcr_synthetic`` / ``dcr_reference``: median DCR of synthetic rows and
      of the reference real rows;
    * ``dcr_ratio``: their quotient; ≈ 1 or above is healthy, well below 1
      means synthetic rows sit closer to training rows than fresh real rows
      do (memorisation);
    * ``near_copies``: the number of synthetic rows within ``threshold`` of a
      training row, and ``near_copy_share`` the same as a share (0 is best);
    * ``threshold``: ``copy_tol`` × the median leave-one-out distance of the
      training rows (exact copies always count).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> memorisation(X, X[:10])["near_copies"]
    10
    """
    T, Y = _pair(X_train, X_fake, ("X_train", "X_fake"))
    if len(T) < 2:
        raise ValueError("memorisation needs at least 2 training rows.")
    H = None if X_holdout is None else _pair(T, X_holdout, ("X_train", "X_holdout"))[1]
    if standardise:
        mean, std = T.mean(0), T.std(0)
        std[std == 0] = 1.0
        T, Y = (T - mean) / std, (Y - mean) / std
        H = None if H is None else (H - mean) / std
    nn = NearestNeighbors(n_neighbors=1).fit(T)

    def dcr(Q=None):  # the neighbour as found, the distance recomputed from the differences: a copy is at 0
        index = nn.kneighbors(Q, return_distance=False)[:, 0]  # Q None: each training row's nearest other row
        return np.linalg.norm((T if Q is None else Q) - T[index], axis=1)

    loo = dcr()
    dcr_fake = dcr(Y)
    dcr_ref = loo if H is None else dcr(H)
    threshold = copy_tol * float(np.median(loo))
    copies = int((dcr_fake <= threshold).sum())
    ref_median = float(np.median(dcr_ref))
    fake_median = float(np.median(dcr_fake))
    return {
        "dcr_synthetic": fake_median,
        "dcr_reference": ref_median,
        "dcr_ratio": fake_median / ref_median if ref_median > 0 else (np.inf if fake_median > 0 else 1.0),
        "near_copies": copies,
        "near_copy_share": copies / len(Y),
        "threshold": threshold,
    }
