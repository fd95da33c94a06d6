"""The metrics of the downstream comparison: built-in ones (G-mean, balanced accuracy ...) and scikit-learn scorers.

Built-in metrics, for ``K`` classes with recalls ``r_c`` (test rows of class ``c`` predicted ``c``):

* ``gmean``: ``imblearn.metrics.geometric_mean_score``, ``(r_1 ⋯ r_K)^(1/K)``; for two classes
  ``sqrt(TPR · TNR)``; 0 when a class has no correct prediction;
* ``balanced_accuracy``: the mean of the ``r_c``;
* ``f1_macro``: the mean of the per-class F1;
* ``recall``: each ``r_c``, as ``recall[<label>]``;
* ``roc_auc`` and ``average_precision``: two classes: the *minority* class of the whole table (the
  first in sorted order when counts tie) is the positive, scored by the classifier's probability
  (or decision value) for it, whatever the labels (strings too); more classes: the mean over the
  classes of the one-vs-rest values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    get_scorer,
    recall_score,
    roc_auc_score,
)

DEFAULT_SCORING = ("balanced_accuracy", "gmean", "f1_macro", "roc_auc", "average_precision", "recall")
"""Metrics computed when ``scoring`` is not given (``recall`` is per class)."""

_NEEDS_SCORES = {"roc_auc", "average_precision"}
LOWER_IS_BETTER = {"fit_time_s"}
"""Recorded metrics for which smaller values are better (all others: larger)."""


def _scores(model, X) -> np.ndarray:
    """Class scores ``(n, K)`` in the order of ``model.classes_``."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    s = np.asarray(model.decision_function(X), dtype=float)
    return np.c_[-s, s] if s.ndim == 1 else s


def _builtin(name: str, y, pred, scores, classes, positive) -> dict[str, float]:
    if name == "balanced_accuracy":
        return {name: balanced_accuracy_score(y, pred)}
    if name == "gmean":
        return {name: geometric_mean_score(y, pred)}
    if name == "f1_macro":
        return {name: f1_score(y, pred, average="macro", zero_division=0)}
    if name == "recall":
        values = recall_score(y, pred, labels=classes, average=None, zero_division=0)
        return {f"recall[{c}]": v for c, v in zip(classes, values)}
    if len(classes) == 2:
        column = scores[:, list(classes).index(positive)]
        truth = y == positive
        if name == "roc_auc":
            return {name: roc_auc_score(truth, column)}
        return {name: average_precision_score(truth, column)}
    # one-vs-rest macro means, class by class: any scores rank the rows (sklearn's multi_class="ovr" would
    # refuse decision_function scores, which do not sum to 1 over the classes)
    binary = roc_auc_score if name == "roc_auc" else average_precision_score
    return {name: float(np.mean([binary(y == c, scores[:, i]) for i, c in enumerate(classes)]))}


_BUILTIN = {"balanced_accuracy", "gmean", "f1_macro", "recall", *_NEEDS_SCORES}


def _check_scoring(scoring) -> dict[str, str | Callable]:
    if scoring is None:
        scoring = DEFAULT_SCORING
    if isinstance(scoring, str):
        scoring = [scoring]
    if not isinstance(scoring, Mapping):
        scoring = {s: s for s in scoring}
    if not scoring:
        raise ValueError(f"scoring is empty; give metric names (built in: {', '.join(sorted(_BUILTIN))}; or "
                         "scikit-learn scorer names), or None for the default ones.")
    out = {}
    for name, spec in scoring.items():
        if isinstance(spec, str) and spec not in _BUILTIN:
            try:
                spec = get_scorer(spec)
            except ValueError:
                raise ValueError(
                    f"scoring {spec!r} is neither built in ({', '.join(sorted(_BUILTIN))}) nor a "
                    "scikit-learn scorer name (sklearn.metrics.get_scorer_names())."
                ) from None
        elif not (isinstance(spec, str) or callable(spec)):
            raise TypeError(f"scoring entries must be names or callables(estimator, X, y); got {spec!r}.")
        out[name] = spec
    return out


def _score(model, scoring, X, y, classes, positive) -> dict[str, float]:
    pred = model.predict(X)
    scores = None
    out: dict[str, float] = {}
    for name, spec in scoring.items():
        if isinstance(spec, str):
            if spec in _NEEDS_SCORES and scores is None:
                raw = _scores(model, X)  # the pipeline skips the sampler at prediction time
                scores = np.zeros((len(X), len(classes)))  # align to all classes, in sorted order
                scores[:, np.searchsorted(classes, model.classes_)] = raw
            values = _builtin(spec, y, pred, scores, classes, positive)
            out.update(values if spec == "recall" else {name: next(iter(values.values()))})
        else:
            out[name] = spec(model, X, y)
    bad = [k for k, v in out.items() if not np.isfinite(v)]
    if bad:
        raise ValueError(f"metrics {bad} are not finite on a test fold; check the data and scoring.")
    return out
