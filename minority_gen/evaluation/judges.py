"""Classifier-based quality metrics: two-sample test, class fidelity, AM score, an image judge's scores.

See :mod:`minority_gen.evaluation.metrics` for the ranges and better
directions of every metric.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils import check_random_state

from .metrics import MAX_SAMPLES, _pair, _subsample, frechet_distance, prdc


# --------------------------------------------------------------------------
# Classifier-based metrics
# --------------------------------------------------------------------------
def _default_forest(random_state) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=100, random_state=random_state)


def c2st_accuracy(X_real, X_fake, classifier=None, cv: int = 5, max_samples: int | None = MAX_SAMPLES,
                  random_state=0) -> float:
    """Classifier two-sample test: cross-validated accuracy at telling real from synthetic.

    Both sets are subsampled to the same size (the smaller one, at most
    ``max_samples``), labelled 0 (real) and 1 (synthetic), and a classifier
    (default: a 100-tree random forest) is scored by stratified
    ``cv``-fold accuracy. 0.5 means indistinguishable, 1.0 means every row
    is told apart. Clearly *below* 0.5 happens when synthetic rows copy real
    ones (a copy in training predicts the wrong label for its twin).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> c2st_accuracy(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 10)
    1.0
    """
    X, Y = _pair(X_real, X_fake)
    rng = check_random_state(random_state)
    n = min(len(X), len(Y), max_samples or np.inf)
    if n < cv:
        raise ValueError(f"c2st_accuracy with cv={cv} needs at least {cv} rows in each set; got {n}.")
    X, Y = _subsample(X, n, rng), _subsample(Y, n, rng)
    clf = _default_forest(random_state) if classifier is None else clone(classifier)
    Z, labels = np.vstack([X, Y]), np.r_[np.zeros(len(X)), np.ones(len(Y))]
    folds = StratifiedKFold(cv, shuffle=True, random_state=rng.randint(2**31 - 1))
    return float(cross_val_score(clf, Z, labels, cv=folds, scoring="accuracy").mean())


def fake_labels(y_fake, n_fake: int) -> np.ndarray:
    """``y_fake`` as one label per synthetic row (a single label is broadcast), or a ``ValueError``."""
    y_fake = np.asarray(y_fake)
    if y_fake.ndim > 1 or (y_fake.ndim == 1 and len(y_fake) != n_fake):
        raise ValueError(f"y_fake has {y_fake.size} labels for {n_fake} synthetic rows; pass one label per row "
                         "or a single label for all.")
    return np.broadcast_to(y_fake, (n_fake,))


def class_fidelity(X_real, y_real, X_fake, y_fake, classifier=None, random_state=0) -> float:
    """Share of synthetic rows that a classifier trained on real rows assigns to their intended class.

    ``classifier`` (default: a 100-tree random forest) is cloned and fitted
    on ``(X_real, y_real)``; ``y_fake`` holds the class each synthetic row
    was generated for (a single label is broadcast). Range [0, 1]; higher is
    better.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(8, 1, (50, 2))]
    >>> y = np.r_[np.zeros(50), np.ones(50)]
    >>> class_fidelity(X, y, rng.normal(8, 1, (20, 2)), 1)
    1.0
    """
    X, Y = _pair(X_real, X_fake)
    y_real, y_fake = np.asarray(y_real), fake_labels(y_fake, len(Y))
    if len(y_real) != len(X):
        raise ValueError(f"y_real has {len(y_real)} labels for {len(X)} rows.")
    if len(np.unique(y_real)) < 2:
        raise ValueError(f"y_real holds the one class {y_real[0]!r}; a classifier of one class assigns every row "
                         "to it: pass real rows of at least 2 classes.")
    unknown = set(np.unique(y_fake).tolist()) - set(np.unique(y_real).tolist())
    if unknown:
        raise ValueError(f"y_fake has classes {sorted(unknown)} that y_real does not contain.")
    clf = _default_forest(random_state) if classifier is None else clone(classifier)
    clf.fit(X, y_real)
    return float((clf.predict(Y) == y_fake).mean())


def judge_scores(judge, reference_features, images, positives) -> dict:
    """Generated images scored by a fitted image judge (e.g. :class:`~.features.SmallCNNFeatures`: ``transform``,
    ``predict_proba``, ``classes_``), as protocol D scores them.

    ``fd``: :func:`~.metrics.frechet_distance` from ``reference_features`` (the judge's features of real
    images) to the judge's features of ``images``; ``precision`` and ``recall``: :func:`~.metrics.prdc` (k = 5)
    in the same features; ``fidelity``: the share of ``images`` whose most likely class is among
    ``positives``; ``n``: how many images.

    Examples
    --------
    >>> import numpy as np
    >>> class Judge:  # features: the pixels; class: 1 where the mean pixel is above 0.5
    ...     classes_ = np.array([0, 1])
    ...     def transform(self, X): return X.reshape(len(X), -1)
    ...     def predict_proba(self, X):
    ...         p = (X.reshape(len(X), -1).mean(1) > 0.5).astype(float)
    ...         return np.c_[1 - p, p]
    >>> rng = np.random.default_rng(0)
    >>> real, fake = rng.uniform(0.6, 1, (50, 2, 2)), rng.uniform(0, 1, (40, 2, 2))
    >>> s = judge_scores(Judge(), Judge().transform(real), fake, positives=[1])
    >>> sorted(s), s["n"], 0 < s["fidelity"] < 1
    (['fd', 'fidelity', 'n', 'precision', 'recall'], 40, True)
    """
    feats = judge.transform(images)
    pred = judge.classes_[judge.predict_proba(images).argmax(1)]
    quality = prdc(reference_features, feats)
    return dict(fd=float(frechet_distance(reference_features, feats)), fidelity=float(np.isin(pred, positives).mean()),
                precision=quality["precision"], recall=quality["recall"], n=int(len(images)))


# --------------------------------------------------------------------------
# AM score
# --------------------------------------------------------------------------
def _check_probs(P, name: str) -> np.ndarray:
    P = np.asarray(P, dtype=np.float64)
    if P.ndim == 1:
        P = P[None, :]
    if P.ndim != 2 or (P < 0).any() or not np.allclose(P.sum(1), 1.0, atol=1e-4):
        raise ValueError(f"{name} must hold class probabilities (non-negative rows summing to 1).")
    return P


def am_score(proba_fake, proba_train, eps: float = 1e-12) -> float:
    """AM score (Zhou et al., AM-GAN): ``KL(C̄_train ‖ C̄_G) + E_x[H(C(x))]``.

    ``proba_fake`` holds a classifier's class probabilities on generated
    rows, ``(m, K)``; ``C̄_G`` is their mean and ``H`` the entropy of each
    row. ``proba_train`` is either the reference class distribution ``(K,)``
    or the classifier's probabilities on real training rows ``(n, K)``
    (averaged into ``C̄_train``). Natural logarithms. Range [0, ∞); lower is
    better: 0 when samples are classified with certainty and their class
    mix matches the reference.

    Examples
    --------
    >>> am_score([[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5])
    0.0
    >>> round(am_score([[0.5, 0.5]], [0.5, 0.5]), 4)  # log 2: uncertain samples
    0.6931
    """
    P = _check_probs(proba_fake, "proba_fake")
    ref = _check_probs(proba_train, "proba_train").mean(0)
    if ref.shape[0] != P.shape[1]:
        raise ValueError(f"proba_train has {ref.shape[0]} classes but proba_fake has {P.shape[1]}.")
    mean_fake = P.mean(0)
    kl = float(np.sum(np.where(ref > 0, ref * (np.log(ref + eps) - np.log(mean_fake + eps)), 0.0)))
    entropy = float(-np.sum(np.where(P > 0, P * np.log(P + eps), 0.0), axis=1).mean())
    return max(kl, 0.0) + max(entropy, 0.0)
