"""Does oversampling help my classifier? Cross-validated comparison of oversamplers.

Each oversampler runs inside ``imblearn.pipeline.make_pipeline(preprocessor,
sampler, classifier)`` under stratified, shuffled K-fold cross-validation:
resampling only ever sees a training fold, and every score is measured on
real, untouched test rows. With ``n_jobs`` the (oversampler, fold) tasks run
in parallel through joblib (:mod:`minority_gen.parallel`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from imblearn.pipeline import make_pipeline
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from tqdm.auto import tqdm

from ..data import check_table_input
from ..parallel import TaskError, check_n_jobs, run_unordered
from ..safeguards import class_label
from .columns import is_mixed_table, plain_numbers, refuse_numeric_only
from .folds import fold_problem
from .mixed import mixed_preprocessor
from .samplers import NONE, NUMERIC_ONLY, make_classifier, make_oversampler
from .scoring import _NEEDS_SCORES, _check_scoring, _score


def _named(items, make, kind: str) -> dict[str, object]:
    """Accept a list of names/objects or a mapping label → name/object."""
    if isinstance(items, (str, bytes)) or not isinstance(items, (Sequence, Mapping)):
        items = [items]
    pairs = items.items() if isinstance(items, Mapping) else ((None, it) for it in items)
    out: dict[str, object] = {}
    for label, item in pairs:
        if isinstance(item, str):
            make(item)  # validate the name now, before any work
            label = label or item
        elif item is None:
            label, item = label or NONE, NONE
        else:
            label = label or type(item).__name__
        if label in out:
            raise ValueError(f"Two {kind}s are labelled {label!r}; pass a dict label → {kind} to name them.")
        out[str(label)] = item
    if not out:
        raise ValueError(f"No {kind} given.")
    return out


def check_table(X, y, name: str | None = None) -> tuple[object, np.ndarray, bool]:
    """``X`` as an array (or, for a mixed table, a DataFrame with a fresh index), ``y`` as an array, and
    whether ``X`` is mixed; refuses what the comparison cannot use (``name``: the dataset's, for the message),
    before any fold runs."""
    mixed = is_mixed_table(X) and not plain_numbers(X)
    if mixed:  # resampled as it is; the encoding for the classifier comes after the sampler
        X = X.reset_index(drop=True) if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
        mixed_preprocessor(X)  # column checks (names, types, missing columns) before any fold
    else:
        check_table_input(X)
        X = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be 2-D with one row per label; got X {X.shape} and y {y.shape}.")
    check_classification_targets(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"{'y' if name is None else f'dataset {name!r}'} has a single class"
                         f"{f' ({class_label(classes[0])})' if len(classes) else ''}; comparing oversamplers needs "
                         "at least two classes.")
    return X, y, mixed


def _check_classifiers(models: dict, scoring: dict, random_state) -> None:
    for label, clf in models.items():
        est = make_classifier(clf, random_state) if isinstance(clf, str) else clf
        if set(scoring.values()) & _NEEDS_SCORES and not (
            hasattr(est, "predict_proba") or hasattr(est, "decision_function")
        ):
            raise ValueError(f"classifier {label!r} has neither predict_proba nor decision_function, "
                             "needed for roc_auc and average_precision; drop those from scoring.")


def check_gan_params(gan_params: Mapping | None, fixed: Sequence[str] = ("method", "random_state"),
                     name: str = "gan_params") -> dict:
    """``gan_params`` as a dict, refused before any fold (or cell) when it holds what ``GANOversampler`` does not
    take, or what the evaluation sets itself (``fixed``: by default the method, from the sampler's name, and
    ``random_state``), or a value ``GANOversampler`` refuses. ``name``: the argument's, for the messages."""
    from ..oversampler import GANOversampler

    gan_params = dict(gan_params or {})
    valid = set(GANOversampler().get_params(deep=False)) - set(fixed)
    unknown = sorted(set(gan_params) - valid)
    if unknown:
        raise ValueError(f"{name} has {unknown}, which GANOversampler does not take here ({' and '.join(fixed)} "
                         f"{'is' if len(fixed) == 1 else 'are'} set by the evaluation); its options are "
                         f"{sorted(valid)}.")
    try:
        GANOversampler(**gan_params)._validate_params()  # a bad value (n_iter=-5) before the first fold, not in each
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    return gan_params


def make_splits(cv, X, y, random_state, samplers: Mapping | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) index pairs: ``StratifiedKFold(cv, shuffle=True, random_state)`` for an int, refused
    before any work when a class is too small for them (:func:`~minority_gen.evaluation.folds.fold_problem`:
    ``samplers``: label → sampler object or ``None``, the ones compared, whose needs set the rows every
    training fold must hold of each class)."""
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds (or a splitter with a split method); got {cv}.")
        cv = int(cv)
        problem = fold_problem(y, cv, samplers or {})
        if problem is not None:
            raise ValueError(problem)
        cv = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    elif not callable(getattr(cv, "split", None)):
        raise TypeError(f"cv must be a number of folds (an int, at least 2) or a splitter with a split method "
                        f"(StratifiedKFold, ...); got {cv!r}.")
    return list(cv.split(X, y))


def compare_oversamplers(
    X,
    y,
    oversamplers=("none", "ros", "smote"),
    classifiers=("logreg", "rf"),
    *,
    cv: int | object = 5,
    scoring=None,
    random_state: int | None = 0,
    gan_params: dict | None = None,
    preprocessor="standard",
    errors: str = "raise",
    progress: bool = True,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Cross-validate classifiers trained on data resampled by each oversampler.

    For every fold of ``StratifiedKFold(cv, shuffle=True,
    random_state=random_state)`` and every oversampler, the preprocessor
    (default ``StandardScaler``) and the sampler are fitted on the training
    fold, and each classifier on the resampled training rows; the fitted
    steps form ``make_pipeline(preprocessor, sampler, classifier)`` which is
    scored on the untouched test fold. The sampler is fitted once per fold
    and its output shared by all classifiers (what fitting one pipeline per
    classifier would give, as samplers get a fixed ``random_state``, at a
    fraction of the cost for GANs).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        A numeric table (an array, or a DataFrame of NumPy number columns
        without missing cells, compared as its array), or a mixed one
        (categorical, boolean, nullable columns, missing values;
        :mod:`minority_gen.tabular`). A mixed
        table is resampled as it is, and the preprocessing runs after the
        sampler: ``make_pipeline(sampler, preprocessor, classifier)``,
        with :func:`~minority_gen.evaluation.mixed.mixed_preprocessor`
        for ``"standard"``. The numeric-only samplers (SMOTE, ADASYN,
        Borderline-SMOTE) are refused for it: use ``"smotenc"``.
    y : array-like of shape (n_samples,)
    oversamplers : list or dict, default=("none", "ros", "smote")
        Names (``"none"``, ``"ros"``, ``"smote"``, ``"adasyn"``,
        ``"borderline-smote"``, any GAN method; see
        :func:`~minority_gen.evaluation.available_oversamplers`), sampler
        objects (cloned per fold), or a dict label → name/object.
    classifiers : list or dict, default=("logreg", "rf")
        Names (``"logreg"``: ``LogisticRegression(max_iter=3000)``,
        ``"rf"``: 200-tree random forest) or estimators, or a dict.
    cv : int or cross-validation splitter, default=5
        An int: stratified folds, refused before any work when a class is
        too small for them (:mod:`minority_gen.evaluation.folds`).
    scoring : list, dict or None, default=None
        Built-in names (``balanced_accuracy``, ``gmean``, ``f1_macro``,
        ``roc_auc``, ``average_precision``, ``recall`` — one value per
        class, ``recall[<label>]``), scikit-learn scorer names, or a dict
        name → callable(estimator, X, y). ``None``: all built-in ones. For
        binary targets ROC AUC and average precision take the *minority*
        class as positive; for multi-class they are one-vs-rest macro means.
    random_state : int or None, default=0
        Seeds the folds, the samplers and random-forest classifiers.
    gan_params : dict, default=None
        ``GANOversampler`` options for named GAN methods, e.g. ``{"n_iter": 500}``.
    preprocessor : "standard", transformer or None, default="standard"
        Fitted on each training fold before resampling (after it for a
        mixed table, see ``X``). ``"standard"``: ``StandardScaler``, or the
        mixed-table encoding.
    errors : {"raise", "warn"}, default="raise"
        When a sampler fails on a fold: raise, or warn and leave that fold out
        (the messages, in task order, are then in the result's
        ``attrs["failures"]``, which :func:`write_report` lists).
        A raised ``ValueError`` names the first failing (oversampler, fold)
        in that order, as a serial run would, and its ``__cause__`` is the
        sampler's (or classifier's) exception; from a worker process that is
        a copy whose own ``__cause__`` holds the worker's traceback as text
        (see :class:`minority_gen.parallel.TaskError`).
    progress : bool, default=True
        A progress bar over oversampler × fold (advanced as each task
        completes).
    n_jobs : int, default=None
        How many (oversampler, fold) tasks run at once, through
        ``joblib.Parallel`` with joblib's default backend: loky processes
        on this machine, or whatever ``joblib.parallel_config`` selects (a
        Dask cluster, Ray) to spread them over machines. Each task fits the
        sampler on its training fold and scores every classifier on it.
        ``None`` means 1 unless a ``joblib.parallel_config`` context says
        otherwise; ``-1`` uses all CPUs. The scores are the same as the
        serial run's (only ``fit_time_s`` differs); inside each worker torch
        and BLAS threads are capped at ``cpu_count // n_jobs`` (at least 1).
        See docs/scaling.md.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``oversampler``, ``classifier``, ``fold``, ``metric``,
        ``value``. Besides the scores, ``fit_time_s`` (seconds the sampler
        took on that fold) and ``n_synthetic`` (rows it added) are recorded.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(200, weights=[0.9], random_state=0)
    >>> res = compare_oversamplers(X, y, ["none", "smote"], ["logreg"], progress=False)
    >>> sorted(res.oversampler.unique()), res.fold.nunique()
    (['none', 'smote'], 5)
    """
    if errors not in ("raise", "warn"):
        raise ValueError(f"errors must be 'raise' or 'warn'; got {errors!r}.")
    check_n_jobs(n_jobs)
    X, y, mixed = check_table(X, y)
    classes, counts = np.unique(y, return_counts=True)
    positive = classes[np.argmin(counts)]
    gan_params = check_gan_params(gan_params)
    samplers = _named(oversamplers, lambda n: make_oversampler(n, random_state, gan_params), "oversampler")
    numeric_only = [label for label, spec in samplers.items() if isinstance(spec, str) and spec in NUMERIC_ONLY]
    refuse_numeric_only(numeric_only, X)
    models = _named(classifiers, lambda n: make_classifier(n, random_state), "classifier")
    scoring = _check_scoring(scoring)
    _check_classifiers(models, scoring, random_state)
    splits = make_splits(cv, X, y, random_state, {label: make_oversampler(spec, random_state, gan_params)
                                                  if isinstance(spec, str) else spec
                                                  for label, spec in samplers.items()})

    shared = _Shared(X, y, models, scoring, classes, positive, preprocessor, random_state, gan_params, errors)
    tasks = [(shared, label, spec, fold, train, test)
             for label, spec in samplers.items() for fold, (train, test) in enumerate(splits)]
    done: list = [None] * len(tasks)
    left_out: dict[int, str] = {}  # errors="warn": the message of each (oversampler, fold) left out
    failed: dict[int, TaskError] = {}  # the first in task order is raised: the serial run's error
    results = run_unordered(_fold_task, tasks, n_jobs)
    with tqdm(total=len(tasks), desc="oversampler × fold", disable=not progress, dynamic_ncols=True) as bar:
        for index, (records, failure) in results:
            if isinstance(failure, TaskError):
                failed[index] = failure
            else:
                done[index] = records
                if failure is not None:
                    warnings.warn(failure + " (fold left out)", RuntimeWarning, stacklevel=2)
                    left_out[index] = failure
                _, label, _, fold, _, _ = tasks[index]
                bar.set_postfix_str(f"{label}, fold {fold + 1}/{len(splits)} done")
                bar.update(1)
            if failed and None not in done[:min(failed)]:  # every earlier task done: none of them failed
                break
    if failed:
        results.close()  # joblib cancels the tasks not started
        failed[min(failed)].raise_from(ValueError)
    records = [r for task_records in done for r in task_records]  # the serial order, whatever finished first
    frame = pd.DataFrame(records, columns=["oversampler", "classifier", "fold", "metric", "value"])
    if left_out:  # for the report (write_report lists them), in task order
        frame.attrs["failures"] = [left_out[i] for i in sorted(left_out)]
    return frame


@dataclass
class _Shared:
    """What every (oversampler, fold) task reads."""

    X: np.ndarray
    y: np.ndarray
    models: dict
    scoring: dict
    classes: np.ndarray
    positive: object
    preprocessor: object
    random_state: int | None
    gan_params: dict
    errors: str


def _fold_task(shared: _Shared, label: str, spec, fold: int, train: np.ndarray,
               test: np.ndarray) -> tuple[list[tuple], str | TaskError | None]:
    """Fit one sampler on one training fold, score every classifier on the test fold.

    Returns the tidy records and, when the sampler failed under
    ``errors="warn"``, the message to warn with (no records then). An error
    to raise (the sampler's under ``errors="raise"``, a classifier's) is
    returned as a :class:`~minority_gen.parallel.TaskError`, raised by the
    caller in task order.
    """
    outcome = fit_and_score(shared, label, spec, fold, train, test)
    if outcome.sampler_error is not None:
        if shared.errors == "raise":
            return [], TaskError(outcome.sampler_message, outcome.sampler_error)
        return [], outcome.sampler_message
    records = []
    for clf_label, values in outcome.scores.items():
        if isinstance(values, BaseException):
            return [], TaskError(outcome.messages[clf_label], values)
        values = {**values, "fit_time_s": outcome.fit_time_s, "n_synthetic": outcome.n_synthetic}
        records += [(label, clf_label, fold, m, float(v)) for m, v in values.items()]
    return records, None


@dataclass
class FoldOutcome:
    """What one sampler fit on one training fold gave: the sampler's failure, or each classifier's scores.

    ``scores`` maps a classifier label to its metric values, or to the exception it raised (its
    message in ``messages``). ``sampler_error`` is the sampler's exception (then ``scores`` is empty).
    """

    sampler_error: BaseException | None = None
    sampler_message: str | None = None
    fit_time_s: float = float("nan")
    n_synthetic: float = float("nan")
    scores: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)


def fit_and_score(shared: _Shared, label: str, spec, fold: int, train: np.ndarray, test: np.ndarray,
                  classifiers: Sequence[str] | None = None) -> FoldOutcome:
    """Fit the sampler ``spec`` (a name or a sampler object, cloned) on one training fold, once, and score
    the classifiers of ``shared.models`` (those labelled in ``classifiers``; default all) trained on its
    rows on the untouched test fold. Failures are returned, not raised (``KeyboardInterrupt`` and other
    non-``Exception`` errors do propagate)."""
    X, y, random_state, gan_params = shared.X, shared.y, shared.random_state, shared.gan_params
    mixed = isinstance(X, pd.DataFrame)
    if shared.preprocessor == "standard":
        pre = mixed_preprocessor(X) if mixed else StandardScaler()
    else:
        pre = None if shared.preprocessor is None else clone(shared.preprocessor)
    sampler = make_oversampler(spec, random_state, gan_params) if isinstance(spec, str) else clone(spec)
    take = (lambda idx: X.iloc[idx].reset_index(drop=True)) if mixed else (lambda idx: X[idx])  # noqa: E731
    after = mixed and pre is not None  # a mixed table: encoded for the classifier after resampling
    Xtr = take(train) if pre is None or after else pre.fit_transform(X[train], y[train])
    start = time.perf_counter()
    try:
        X_res, y_res = (Xtr, y[train]) if sampler is None else sampler.fit_resample(Xtr, y[train])
    except Exception as exc:  # noqa: BLE001 - reported with the sampler and fold
        return FoldOutcome(exc, f"oversampler {label!r} failed on fold {fold}: {type(exc).__name__}: {exc}")
    outcome = FoldOutcome(fit_time_s=time.perf_counter() - start, n_synthetic=float(len(y_res) - len(train)))
    if after:
        X_res = pre.fit(X_res, y_res).transform(X_res)
    wanted = shared.models if classifiers is None else {c: shared.models[c] for c in classifiers}
    for clf_label, clf_spec in wanted.items():
        clf = make_classifier(clf_spec, random_state) if isinstance(clf_spec, str) else clone(clf_spec)
        try:
            clf.fit(X_res, y_res)
            steps = [sampler, pre] if after else [pre, sampler]
            model = make_pipeline(*(s if s is not None else "passthrough" for s in steps), clf)
            outcome.scores[clf_label] = _score(model, shared.scoring, take(test), y[test], shared.classes,
                                               shared.positive)
        except Exception as exc:  # noqa: BLE001 - reported with the classifier, sampler and fold
            outcome.scores[clf_label] = exc
            outcome.messages[clf_label] = (f"classifier {clf_label!r} failed on fold {fold} resampled by "
                                           f"oversampler {label!r}: {type(exc).__name__}: {exc}")
    return outcome
