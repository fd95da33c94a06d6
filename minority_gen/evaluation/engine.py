"""One evaluation engine: datasets × oversamplers × classifiers × folds, kept in a resumable store.

:func:`compare_on_datasets` runs the grid on the machinery of
:func:`~minority_gen.evaluation.compare_oversamplers` (each sampler fitted
once per training fold, its rows shared by every classifier; resampling
never sees a test fold) and, given ``store=PATH``, appends every finished
cell to a JSON-lines file as soon as its fold is done. A second call with
the same arguments reads the cells back and computes nothing, so a long run
can be interrupted (or killed) and continued; failures are stored with their
message and shown in the result, never dropped.

A *cell* is one (dataset, fold, classifier, oversampler). Its key is a
SHA-256 over what determines its numbers, not over labels:

* the dataset's name and a digest of its ``X`` and ``y``, and the fold's
  test rows;
* the classifier's class and parameters (``get_params``) and the versions
  of the libraries it comes from;
* the sampler's class and parameters (``get_params``) and the code it
  runs: for a class of ``minority_gen`` (``GANOversampler``) the package's
  output version (:func:`code_fingerprint`: the digest of its pinned
  outputs, defaults and every ``"auto"`` rule included) and torch's
  version, so that a changed default or training code is recomputed, never
  read back; of its parameters only those that differ from the
  constructor's defaults (the version fixes what a default does), so a
  parameter added at a default that keeps the rows keeps the cells;
  for classic samplers the versions of imbalanced-learn, scikit-learn and
  numpy;
* the preprocessor.

Every stored cell is stamped with the package version, the git commit (when
the package runs from a git checkout), the machine and the 1-minute load
average when its fold started. One process should write a store at a time.
"""

from __future__ import annotations

import inspect
import math
import os
import time
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .._version import __version__
from ..parallel import check_n_jobs, run_unordered
from .datasets import load_dataset
from .downstream import _check_classifiers, _Shared, check_table, fit_and_score, make_splits
from .samplers import NONE, make_classifier, parse_sampler, sampler_spec
from .scoring import DEFAULT_SCORING, _check_scoring
from .store import (
    _digest,
    _key,
    _now,
    _qualname,
    append_records,
    canonical,
    check_store,
    code_versions,
    git_commit,
    machine,
    malformed_cell,
    read_store,
)

COLUMNS = ["dataset", "oversampler", "classifier", "fold", "metric", "value", "error", "cell"]
"""Columns of :func:`compare_on_datasets`' result."""

def _named(items, kind: str) -> dict:
    if isinstance(items, (str, bytes)) or items is None or not isinstance(items, (Sequence, Mapping)):
        items = [items]
    pairs = items.items() if isinstance(items, Mapping) else ((None, it) for it in items)
    out = {}
    for label, item in pairs:
        if label is None:
            if isinstance(item, str):
                label = item
            elif item is None:
                label = NONE
            else:
                try:
                    label = sampler_spec(item) if kind == "oversampler" else type(item).__name__
                except ValueError:
                    label = type(item).__name__
        if str(label) in out:
            raise ValueError(f"Two {kind}s are labelled {label!r}; pass a dict label → {kind} to name them.")
        out[str(label)] = item
    if not out:
        raise ValueError(f"No {kind} given.")
    return out


def _datasets(datasets, data_home) -> dict:
    if isinstance(datasets, str) or not isinstance(datasets, (Sequence, Mapping)):
        datasets = [datasets]
    if not isinstance(datasets, Mapping):
        unnamed = [type(item).__name__ for item in datasets if not isinstance(item, str)]
        if unnamed:  # e.g. (X, y) itself, or [(X, y)]: a table needs a name, the first part of its cells' keys
            raise TypeError(f"datasets must be a dict name → (X, y) or loader names (str); got {unnamed[0]} items "
                            f"in a {type(datasets).__name__}. Name each table: {{'mydata': (X, y)}}.")
        datasets = {name: name for name in datasets}
    out = {}
    for name, value in datasets.items():
        if isinstance(value, str):
            value = load_dataset(value, data_home)
        if not (isinstance(value, (tuple, list)) and len(value) == 2):
            raise TypeError(f"dataset {name!r} must be (X, y) or a loader name; got {type(value).__name__}.")
        out[str(name)] = value
    if not out:
        raise ValueError("No dataset given.")
    return out


def _scoring_ids(scoring) -> tuple[dict, dict]:
    """``scoring`` as a dict name → spec, and what each metric is, stored with a cell and compared when it is read
    back (a name can stand for another metric in another request): a metric name as given, a function's qualified
    name, another callable's ``repr`` (a scikit-learn scorer's names its metric and options)."""
    scoring = DEFAULT_SCORING if scoring is None else [scoring] if isinstance(scoring, str) else scoring
    scoring = dict(scoring) if isinstance(scoring, Mapping) else {s: s for s in scoring}
    return scoring, {str(name): spec if isinstance(spec, str) else canonical(spec) if inspect.isfunction(spec)
                     else repr(spec) for name, spec in scoring.items()}


def _has_metrics(rec: dict, scoring: dict, ids: dict) -> bool:
    got, said = rec.get("metrics", {}), rec.get("scoring")
    for name, spec in scoring.items():
        # a cell stored before cells said what their metrics are: a metric under its own name only
        was = said.get(str(name)) if isinstance(said, dict) else (name if ids[str(name)] == name else None)
        if was != ids[str(name)]:
            return False
        if spec == "recall":
            if not any(m.startswith("recall[") for m in got):
                return False
        elif name not in got:
            return False
    return True


def _requested(metrics: dict, scoring: dict) -> list[tuple[str, float]]:
    """The requested metrics in the order asked for, then ``fit_time_s`` and ``n_synthetic`` (whatever else
    a stored cell holds from an earlier request is left out, so the result depends on the request only)."""
    names = []
    for name, spec in scoring.items():
        names += sorted(m for m in metrics if m.startswith("recall[")) if spec == "recall" else [name]
    return [(m, metrics[m]) for m in [*names, "fit_time_s", "n_synthetic"] if m in metrics]


# --------------------------------------------------------------------------- the engine


def compare_on_datasets(
    datasets,
    oversamplers=("none", "ros", "smote"),
    classifiers=("lr", "rf"),
    *,
    cv: int | object = 5,
    scoring=None,
    store=None,
    n_jobs: int | None = None,
    errors: str = "record",
    random_state: int | None = 0,
    preprocessor="standard",
    data_home=None,
    retry_failed: bool = False,
    compute: bool = True,
    progress: bool = True,
    folds=None,
) -> pd.DataFrame:
    """Cross-validate every classifier on every oversampler's rows, on several datasets, resumably.

    Parameters
    ----------
    datasets : dict or list
        A dict name → ``(X, y)`` (or → a loader name), or loader names
        (:func:`~minority_gen.evaluation.datasets.load_dataset`).
    oversamplers : list or dict, default=("none", "ros", "smote")
        Sampler specs (``"smote"``, ``'rumi:{"anchor": null}'``; see
        :func:`~minority_gen.evaluation.parse_sampler`), sampler objects or
        ``None``, or a dict label → spec/object. A spec is its own label.
    classifiers : list or dict, default=("lr", "rf")
        Names of :data:`~minority_gen.evaluation.CLASSIFIERS` (cost-sensitive
        baselines included) or estimators, or a dict label → name/estimator.
    cv : int or splitter, default=5
        An int: ``StratifiedKFold(cv, shuffle=True, random_state=random_state)``,
        refused before any work when a class is too small for it
        (:mod:`minority_gen.evaluation.folds`).
    scoring : list, dict or None
        As in :func:`~minority_gen.evaluation.compare_oversamplers`. A stored
        cell lacking a requested metric, or holding another metric under its
        name (``{"score": "roc_auc"}`` after ``{"score": "gmean"}``), is recomputed.
    store : path, default=None
        The JSON-lines file cells are appended to and read back from.
        ``None``: nothing is kept. A file that is not a store (a folder,
        or a first line that is not a JSON record) is refused before any
        fit (:func:`~minority_gen.evaluation.store.check_store`).
    n_jobs : int, default=None
        (dataset, oversampler, fold) tasks run at once (joblib); the
        results equal the serial run's except ``fit_time_s``.
    errors : {"record", "raise"}, default="record"
        A failing sampler or classifier is stored with its message and
        shown in the result (``metric == "error"``, message in ``error``);
        ``"raise"`` stores it, then raises ``ValueError``, as it does for a
        failure read back from the store (unless ``retry_failed``).
    random_state : int or None, default=0
        Seeds the folds and the samplers and classifiers made from names.
    preprocessor : "standard", transformer or None, default="standard"
    data_home : path, default=None
        Data folder for loader names.
    retry_failed : bool, default=False
        Recompute stored failures (by default a failure is a finished cell).
    compute : bool, default=True
        ``False``: only read the store; cells not in it are absent from the result.
    progress : bool, default=True
    folds : list of int, default=None
        Run (and return) only these fold indices of ``cv``'s splits, a piece of
        the whole (a cell keeps its index among all of ``cv``'s folds, so the
        pieces of several calls make up the full run). ``None``: every fold.

    Returns
    -------
    pandas.DataFrame
        Tidy, in grid order (dataset, oversampler, fold, classifier):
        ``dataset``, ``oversampler``, ``classifier``, ``fold``, ``metric``,
        ``value``, ``error`` (empty but for failed cells) and ``cell`` (its
        key in the store). Besides the scores, ``fit_time_s`` and
        ``n_synthetic`` as in ``compare_oversamplers``. A re-run returns the
        same table.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(200, weights=[0.9], random_state=0)
    >>> res = compare_on_datasets({"toy": (X, y)}, ["none", "smote"], ["lr", "lr-balanced"],
    ...                           scoring=["gmean"], progress=False)
    >>> res.groupby(["oversampler", "classifier"]).size().tolist()
    [15, 15, 15, 15]
    """
    if errors not in ("record", "raise"):
        raise ValueError(f"errors must be 'record' or 'raise'; got {errors!r}.")
    check_n_jobs(n_jobs)
    tables = _datasets(datasets, data_home)
    samplers = {label: parse_sampler(spec, random_state) if isinstance(spec, str) else spec
                for label, spec in _named(oversamplers, "oversampler").items()}
    models = {label: make_classifier(clf, random_state) if isinstance(clf, str) else clf
              for label, clf in _named(classifiers, "classifier").items()}
    scoring, metric_ids = _scoring_ids(scoring)
    scoring = _check_scoring(scoring)
    _check_classifiers(models, scoring, random_state)
    store = None if store is None else check_store(store)
    done = {rec["key"]: rec for rec in read_store(store) if not malformed_cell(rec)} if store is not None else {}
    stamp = {"minority_gen": __version__, "commit": git_commit(), "machine": machine(), "scoring": metric_ids}
    pre_id = canonical(preprocessor)
    sampler_ids = {label: {"class": "none" if s is None else _qualname(type(s)),
                           "params": canonical(None if s is None else s.get_params(deep=False)),
                           "code": code_versions(s)} for label, s in samplers.items()}
    clf_ids = {label: {"class": _qualname(type(c)), "params": canonical(c.get_params(deep=False)),
                       "code": code_versions(c)} for label, c in models.items()}

    grid, tasks = [], []
    if folds is not None:
        folds = {int(f) for f in folds}
    for name, (X, y) in tables.items():
        X, y, _ = check_table(X, y, name)
        classes, counts = np.unique(y, return_counts=True)
        splits = make_splits(cv, X, y, random_state, samplers)
        if folds is not None and not folds <= set(range(len(splits))):
            raise ValueError(f"folds {sorted(folds - set(range(len(splits))))} are not fold indices of cv, whose "
                             f"{len(splits)} folds are numbered 0 to {len(splits) - 1} (dataset {name!r}).")
        shared = _Shared(X, y, models, scoring, classes, classes[np.argmin(counts)], preprocessor, random_state,
                         {}, "warn")
        data_id = {"name": name, "data": _digest(X, y)}
        for label, sampler in samplers.items():
            for fold, (train, test) in enumerate(splits):
                if folds is not None and fold not in folds:
                    continue
                fold_id = {"index": fold, "n_splits": len(splits), "test": _digest(np.sort(test))}
                keys, identities, missing = {}, {}, []
                for clf in models:
                    identity = {"dataset": data_id, "fold": fold_id, "classifier": clf_ids[clf],
                                "oversampler": sampler_ids[label], "preprocessor": pre_id}
                    key = keys[clf] = _key(identity)
                    identities[clf] = identity
                    grid.append((name, label, clf, fold, key))
                    prev = done.get(key)
                    stale = prev is None or (prev["status"] != "ok" and retry_failed) or (
                        prev["status"] == "ok" and not _has_metrics(prev, scoring, metric_ids))
                    if stale:
                        missing.append(clf)
                if missing and compute:
                    meta = {"dataset": name, "keys": keys, "identities": identities, "stamp": stamp}
                    tasks.append((shared, label, NONE if sampler is None else sampler, fold, train, test,
                                  missing, meta))

    failures = []
    with tqdm(total=len(tasks), desc="dataset × oversampler × fold", disable=not progress or not tasks,
              dynamic_ncols=True) as bar:
        results = run_unordered(_task, tasks, n_jobs)
        for index, records in results:
            if store is not None:
                append_records(store, records)
            for rec in records:
                done[rec["key"]] = rec
                if rec["status"] != "ok":
                    failures.append(rec["error"])
            _, label, _, fold, _, _, _, meta = tasks[index]  # what finished, as compare_oversamplers' bar says
            n_splits = next(iter(meta["identities"].values()))["fold"]["n_splits"]
            bar.set_postfix_str(f"{meta['dataset']}, {label}, fold {fold + 1}/{n_splits} done", refresh=False)
            bar.update(1)
            if failures and errors == "raise":
                results.close()  # the tasks not started are cancelled
                raise ValueError(failures[0] + (f" (stored in {store})" if store is not None else ""))

    rows = []
    failed = 0
    for name, label, clf, fold, key in grid:
        rec = done.get(key)
        if rec is None:
            continue
        if rec["status"] == "ok":
            rows += [(name, label, clf, fold, m, float(v), "", key) for m, v in _requested(rec["metrics"], scoring)]
        else:
            failed += 1
            rows.append((name, label, clf, fold, "error", math.nan, rec["error"], key))
    if failed and errors == "raise":  # a failure read back from the store, as the run that stored it raised
        first = next(r[6] for r in rows if r[4] == "error")
        raise ValueError(f"{first} (stored in {store}; retry_failed=True computes it again)")
    if failed:
        warnings.warn(f"{failed} cell(s) failed (rows with metric 'error'; messages in column 'error'"
                      + (f", kept in {store}" if store is not None else "") + ").", RuntimeWarning, stacklevel=2)
    return pd.DataFrame(rows, columns=COLUMNS)


def _task(shared: _Shared, label: str, sampler, fold: int, train, test, classifiers: list[str],
          meta: dict) -> list[dict]:
    """One sampler fit on one training fold, the missing classifiers scored: one store record per cell."""
    started, load = _now(), round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    outcome = fit_and_score(shared, label, sampler, fold, train, test, classifiers)  # clones the sampler
    seconds = round(time.perf_counter() - t0, 3)
    records = []
    for clf in classifiers:
        rec = {"key": meta["keys"][clf], "dataset": meta["dataset"], "oversampler": label, "classifier": clf,
               "fold": fold, "identity": meta["identities"][clf], **meta["stamp"], "started": started,
               "loadavg": load, "task_s": seconds}
        if outcome.sampler_error is not None:
            rec.update(status="error", error=outcome.sampler_message)
        elif isinstance(outcome.scores[clf], BaseException):
            rec.update(status="error", error=outcome.messages[clf])
        else:
            metrics = {**outcome.scores[clf], "fit_time_s": outcome.fit_time_s, "n_synthetic": outcome.n_synthetic}
            rec.update(status="ok", metrics={m: float(v) for m, v in metrics.items()})
        records.append(rec)
    return records

