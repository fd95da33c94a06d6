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
* the sampler's class and **resolved** parameters (``get_params``) and the
  code it runs: for a class of ``minority_gen`` (``GANOversampler``), whose
  ``"auto"`` values stay ``"auto"`` in ``get_params``, the package's output
  version (:func:`code_fingerprint`: the digest of its pinned outputs) and
  torch's version, so that a changed default or training code is
  recomputed, never read back;
  for classic samplers the versions of imbalanced-learn, scikit-learn and
  numpy;
* the preprocessor.

Every stored cell is stamped with the package version, the git commit (when
the package runs from a git checkout), the machine and the 1-minute load
average when its fold started. One process should write a store at a time.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import platform
import subprocess
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .._version import OUTPUT_VERSION, __version__
from ..parallel import check_n_jobs, run_unordered
from .datasets import load_dataset
from .downstream import (
    _check_classifiers,
    _check_scoring,
    _Shared,
    check_table,
    fit_and_score,
    make_splits,
)
from .samplers import NONE, make_classifier, parse_sampler, sampler_spec

COLUMNS = ["dataset", "oversampler", "classifier", "fold", "metric", "value", "error", "cell"]
"""Columns of :func:`compare_on_datasets`' result."""

_PACKAGE = Path(__file__).resolve().parents[1]
def code_fingerprint() -> str:
    """What the package's samplers return: :data:`minority_gen._version.OUTPUT_VERSION`, the digest of their
    pinned, bit-exact outputs over every method and option. It changes exactly when a commit changes what a
    sampler returns (a test keeps it equal to the pinned outputs), so a refactor or a docstring leaves the
    cells valid and a changed default or training code recomputes them."""
    return OUTPUT_VERSION


def _qualname(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def canonical(obj):
    """A JSON-able, order-stable description of a value: estimators by class and ``get_params(deep=False)``."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else repr(obj)
    if isinstance(obj, np.generic):
        return canonical(obj.item())
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, np.ndarray):
        return {"array": _digest(obj), "shape": list(obj.shape)}
    if hasattr(obj, "get_params"):
        return {"class": _qualname(type(obj)), "params": canonical(obj.get_params(deep=False))}
    if callable(obj):  # a class, function or callable object
        name = getattr(obj, "__qualname__", type(obj).__qualname__)
        return {"callable": f"{getattr(obj, '__module__', type(obj).__module__)}.{name}"}
    return {"repr": repr(obj)}


def _classes(obj, out: set) -> set:
    """Every estimator class in ``obj``'s parameter tree."""
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        out.add(type(obj))
        for value in obj.get_params(deep=False).values():
            _classes(value, out)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _classes(value, out)
    return out


def _version(package: str) -> str | None:
    try:
        return getattr(importlib.import_module(package), "__version__", None)
    except ImportError:
        return None


def code_versions(obj) -> dict:
    """What code an estimator runs: :func:`code_fingerprint` for ``minority_gen`` classes outside
    ``evaluation``, otherwise the versions of the packages its classes come from (and numpy)."""
    if obj is None:
        return {}
    out = {"numpy": np.__version__}
    for cls in _classes(obj, set()):
        root = cls.__module__.split(".")[0]
        if root == "minority_gen" and not cls.__module__.startswith("minority_gen.evaluation"):
            out.update(minority_gen_code=code_fingerprint(), torch=_version("torch"))
        else:
            out[root] = _version(root)
            if root in ("imblearn", "minority_gen"):
                out["sklearn"] = _version("sklearn")
    return dict(sorted(out.items()))


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if isinstance(a, pd.DataFrame):
            h.update(pd.util.hash_pandas_object(a, index=False).to_numpy().tobytes())
            h.update(json.dumps([str(c) for c in a.columns]).encode())
        else:
            a = np.asarray(a)
            h.update(str((a.dtype.str, a.shape)).encode())
            h.update(np.ascontiguousarray(a).tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()[:32]


def _key(identity: dict) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def git_commit() -> str | None:
    """The checkout's short commit (``+dirty`` when the package's files differ from it), or ``None``."""
    try:
        run = dict(cwd=_PACKAGE.parent, capture_output=True, text=True, timeout=10)
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=True, **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", _PACKAGE.name], **run).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def machine() -> str:
    """Platform, processor and CPU count."""
    return f"{platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- the store


def read_store(path) -> list[dict]:
    """The cells of a store, one record per key: its last successful record, else its last failure.

    Lines that are not JSON (a write cut short by a kill) are skipped with a warning.
    """
    path = Path(path)
    if not path.exists():
        return []
    best: dict[str, dict] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            warnings.warn(f"{path}:{n} is not JSON (a write cut short?); skipped.", RuntimeWarning, stacklevel=2)
            continue
        if rec.get("status") == "ok" or best.get(rec["key"], {}).get("status") != "ok":
            best[rec["key"]] = rec
    return list(best.values())


def _append(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        if fh.tell() > 0:  # a previous write cut short leaves no newline: start on a fresh line
            with open(path, "rb") as check:
                check.seek(-1, os.SEEK_END)
                if check.read(1) != b"\n":
                    fh.write(b"\n")
        fh.write("".join(json.dumps(r, sort_keys=True) + "\n" for r in records).encode())
        fh.flush()


# --------------------------------------------------------------------------- inputs


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


def _has_metrics(rec: dict, scoring: dict) -> bool:
    got = rec.get("metrics", {})
    for name, spec in scoring.items():
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
        An int: ``StratifiedKFold(cv, shuffle=True, random_state=random_state)``.
    scoring : list, dict or None
        As in :func:`~minority_gen.evaluation.compare_oversamplers`. A stored
        cell lacking a requested metric is recomputed.
    store : path, default=None
        The JSON-lines file cells are appended to and read back from.
        ``None``: nothing is kept.
    n_jobs : int, default=None
        (dataset, oversampler, fold) tasks run at once (joblib); the
        results equal the serial run's except ``fit_time_s``.
    errors : {"record", "raise"}, default="record"
        A failing sampler or classifier is stored with its message and
        shown in the result (``metric == "error"``, message in ``error``);
        ``"raise"`` stores it, then raises ``ValueError``.
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
    scoring = _check_scoring(scoring)
    _check_classifiers(models, scoring, random_state)
    store = None if store is None else Path(store)
    done = {rec["key"]: rec for rec in read_store(store)} if store is not None else {}
    stamp = {"minority_gen": __version__, "commit": git_commit(), "machine": machine()}
    pre_id = canonical(preprocessor)
    sampler_ids = {label: {"class": "none" if s is None else _qualname(type(s)),
                           "params": canonical(None if s is None else s.get_params(deep=False)),
                           "code": code_versions(s)} for label, s in samplers.items()}
    clf_ids = {label: {"class": _qualname(type(c)), "params": canonical(c.get_params(deep=False)),
                       "code": code_versions(c)} for label, c in models.items()}

    grid, tasks = [], []
    for name, (X, y) in tables.items():
        X, y, _ = check_table(X, y)
        classes, counts = np.unique(y, return_counts=True)
        splits = make_splits(cv, X, y, random_state)
        shared = _Shared(X, y, models, scoring, classes, classes[np.argmin(counts)], preprocessor, random_state,
                         {}, "warn")
        data_id = {"name": name, "data": _digest(X, y)}
        for label, sampler in samplers.items():
            for fold, (train, test) in enumerate(splits):
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
                        prev["status"] == "ok" and not _has_metrics(prev, scoring))
                    if stale:
                        missing.append(clf)
                if missing and compute:
                    meta = {"dataset": name, "keys": keys, "identities": identities, "stamp": stamp}
                    tasks.append((shared, label, NONE if sampler is None else sampler, fold, train, test,
                                  missing, meta))

    failures = []
    with tqdm(total=len(tasks), desc="dataset × oversampler × fold", disable=not progress or not tasks,
              dynamic_ncols=True) as bar:
        for _, records in run_unordered(_task, tasks, n_jobs):
            if store is not None:
                _append(store, records)
            for rec in records:
                done[rec["key"]] = rec
                if rec["status"] != "ok":
                    failures.append(rec["error"])
            bar.update(1)
            if failures and errors == "raise":
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

