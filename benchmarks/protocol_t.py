"""Protocol T (EVALUATION.md): the tabular downstream benchmark.

Data: the 11 imbalanced-learn benchmark sets in ``<data>/imblearn_zenodo``
(read offline with ``imblearn.datasets.fetch_datasets(...,
download_if_missing=False)``; their target 1 = minority becomes label 1,
-1 becomes 0), scikit-learn's breast cancer (malignant, scikit-learn's
target 0, becomes the minority label 1) and ``breast_cancer_30``, the same
table with the malignant rows cut to 30 (``np.random.RandomState(0).choice(
malignant_rows, 30, replace=False)``; all 357 benign rows kept). Note that
``benchmarks/evaluate_breast_cancer.py`` draws its 30 rows with
``np.random.default_rng(0)`` instead, so the two severe tables differ.

Protocol, per dataset: ``StratifiedKFold(5, shuffle=True, random_state=0)``;
on each training fold a ``StandardScaler`` fitted on that fold, then the
sampler's ``fit_resample``, then every classifier trained on the same
resampled rows; the test fold is scaled with the training fold's scaler.
Fitting the sampler once per fold and reusing its rows for all classifiers
gives exactly what ``imblearn.pipeline.make_pipeline(StandardScaler(),
sampler, classifier)`` gives per classifier (every sampler is seeded, so a
refit per classifier would return the same rows), at a third of the cost.
Classifiers: ``LogisticRegression(max_iter=3000)``,
``RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=1)``,
``HistGradientBoostingClassifier(random_state=0)``. Metrics on the test fold:
G-mean (``imblearn.metrics.geometric_mean_score``), balanced accuracy, and
average precision of ``predict_proba[:, 1]`` (minority = positive). The
sampler's ``fit_resample`` wall time is recorded per fold (after a tiny
warm-up fit per process, so torch's start-up is not counted).

Samplers (``--samplers``, comma-separated; default all): ``none``, ``ros``
(RandomOverSampler), ``smote`` (SMOTE k_neighbors=3), ``adasyn``
(n_neighbors=3), ``bsmote`` (BorderlineSMOTE k_neighbors=3), all
random_state=0; ``ctgan`` (the ``ctgan`` package's ``CTGAN(verbose=False,
enable_gpu=False)`` — ``cuda=False`` in versions without ``enable_gpu`` —
seeded with ``set_random_state(0)``, otherwise its defaults, fitted on the
training fold's scaled minority rows, then ``sample`` of as many rows as
balance the classes; reported as skipped when ``ctgan`` is not installed);
and every name
in ``minority_gen.available_methods()`` as ``GANOversampler(method=name,
random_state=0, device="cpu")`` with its default settings. ``--gan-params
JSON`` adds keyword arguments to every GANOversampler. A sampler may be
given as ``name:JSON`` (e.g. ``'rumi:{"n_iter": 500}'``) to pass keyword
arguments to its constructor; the whole spec is then its label in the
results, so variants can be compared side by side.

Every (dataset, fold, sampler) cell is appended as one JSON line to
``<out>/runs.jsonl`` as soon as it is computed, and a rerun skips the cells
already there, so a long run can be done in pieces (``--datasets``,
``--samplers``) and interrupted. Failed cells are recorded with their error,
shown in the report, make the command exit with status 1, and are retried
by the next run. ``--jobs N`` runs cells in parallel (joblib, loky); every
cell runs on one thread (torch, OpenMP, BLAS), so results do not depend on
``--jobs``. At the end (or with ``--report`` alone) ``<out>/results.md``,
``<out>/results.csv`` and ``<out>/ranks.png`` are written from runs.jsonl.

    python benchmarks/protocol_t.py                          # everything, 5 folds (hours on a CPU)
    python benchmarks/protocol_t.py --jobs 2 --samplers none,ros,smote,adasyn,bsmote
    python benchmarks/protocol_t.py --datasets ecoli,oil --samplers smote,rumi,'rumi:{"n_iter": 500}'
    python benchmarks/protocol_t.py --report                 # tables from what runs.jsonl holds
    python benchmarks/protocol_t.py --quick                  # smoke run in seconds (temporary folder)
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from minority_gen.evaluation.datasets import load_breast_cancer_sets  # the one breast_cancer_30

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "results" / "protocol_t"

#: imbalanced-learn's benchmark sets kept in ``<data>/imblearn_zenodo`` (see ../shared/data/README.md).
ZENODO = ("abalone", "arrhythmia", "ecoli", "libras_move", "mammography", "oil", "optical_digits",
          "spectrometer", "us_crime", "wine_quality", "yeast_me2")
BREAST = ("breast_cancer", "breast_cancer_30")
DATASETS = ZENODO + BREAST

CLASSIFIERS = {
    "lr": "Logistic regression",
    "rf": "Random forest (200 trees)",
    "hgb": "Histogram gradient boosting",
}
CLASSIC = ("none", "ros", "smote", "adasyn", "bsmote")
METRIC_NAMES = {"gmean": "G-mean", "balanced_accuracy": "balanced accuracy", "average_precision": "average precision"}

QUICK = dict(datasets="breast_cancer_30", folds=2, samplers="none,ros,smote,rumi", classifiers="lr",
             gan_params='{"n_iter": 20, "hidden_dims": [16], "batch_size": 32}')

MISSING_ZENODO = """\
The imbalanced-learn benchmark sets are not in {path}.
They are imbalanced-learn's Zenodo archive (https://zenodo.org/record/61452) unpacked as
{path}/zenodo/x<ID>data.npz; on a machine with internet access
    python -c "from imblearn.datasets import fetch_datasets; fetch_datasets(data_home='{path}')"
downloads them there. Pass another data folder with --data or the MINORITY_GEN_DATA variable.
Running on the breast cancer sets only."""


# --------------------------------------------------------------------------- data



def default_data_dir() -> Path:
    """``$MINORITY_GEN_DATA``, else ``../shared/data`` beside the repository."""
    env = os.environ.get("MINORITY_GEN_DATA")
    return Path(env) if env else (REPO.parent / "shared" / "data")


def load_zenodo(data_dir: Path, name: str):
    """One imbalanced-learn benchmark set as ``(X, y)`` with labels 1/0, or ``None`` when absent."""
    from imblearn.datasets import fetch_datasets

    home = Path(data_dir) / "imblearn_zenodo"
    try:
        bunch = fetch_datasets(data_home=str(home), filter_data=(name,), download_if_missing=False)[name]
    except OSError:
        return None
    return np.asarray(bunch.data, dtype=float), (np.asarray(bunch.target) == 1).astype(int)


def load_datasets(data_dir: Path, names) -> tuple[dict, list]:
    """The requested datasets (name → (X, y)) and the names that could not be found."""
    out, missing = {}, []
    breast = load_breast_cancer_sets() if any(n in BREAST for n in names) else {}
    for name in names:
        pair = breast[name] if name in BREAST else load_zenodo(data_dir, name)
        if pair is None:
            missing.append(name)
        else:
            out[name] = pair
    return out, missing


# --------------------------------------------------------------------------- samplers


@dataclass
class SamplerSpec:
    """A sampler as asked for on the command line: its label, base name and constructor keywords."""

    label: str
    name: str
    params: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.name == "none":
            return "none"
        if self.name in CLASSIC:
            return "imblearn"
        return "ctgan" if self.name == "ctgan" else "gan"


def split_specs(text: str) -> list[str]:
    """Split ``a,b:{"x": 1, "y": 2},c`` on the commas outside braces, brackets and strings."""
    parts, depth, quote, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quote = not quote
        elif not quote and ch in "{[":
            depth += 1
        elif not quote and ch in "}]":
            depth -= 1
        elif not quote and depth == 0 and ch == ",":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def gan_methods() -> list[str]:
    from minority_gen import available_methods

    return list(available_methods())


def all_sampler_names() -> list[str]:
    return [*CLASSIC, "ctgan", *gan_methods()]


def imblearn_class(name: str):
    from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler

    return {"ros": RandomOverSampler, "smote": SMOTE, "adasyn": ADASYN, "bsmote": BorderlineSMOTE}[name]


def default_params(name: str, gan_params: dict) -> dict:
    if name == "none":
        return {}
    if name == "ros":
        return {"random_state": 0}
    if name in ("smote", "bsmote"):
        return {"k_neighbors": 3, "random_state": 0}
    if name == "adasyn":
        return {"n_neighbors": 3, "random_state": 0}
    if name == "ctgan":
        return {"verbose": False, **ctgan_cpu_param(), "random_state": 0}
    return {"method": name, "random_state": 0, "device": "cpu", **gan_params}


def ctgan_cpu_param() -> dict:
    """The keyword that keeps CTGAN on the CPU: ``enable_gpu=False`` where it exists, else ``cuda=False``."""
    try:
        from ctgan import CTGAN
    except ImportError:
        return {}
    return {"enable_gpu": False} if "enable_gpu" in inspect.signature(CTGAN.__init__).parameters else {"cuda": False}


def valid_params(spec: SamplerSpec) -> set | None:
    """Constructor keywords the sampler accepts (``None``: not checkable here)."""
    if spec.kind == "none":
        return set()
    if spec.kind == "imblearn":
        return set(imblearn_class(spec.name)().get_params())
    if spec.kind == "gan":
        from minority_gen import GANOversampler

        return set(GANOversampler().get_params())
    try:
        from ctgan import CTGAN
    except ImportError:
        return None
    return set(inspect.signature(CTGAN.__init__).parameters) - {"self"} | {"random_state"}


def parse_samplers(text: str, gan_params: dict) -> list[SamplerSpec]:
    """Sampler specs from ``--samplers`` (names, ``name:JSON``, ``all``), checked against the code."""
    names = all_sampler_names()
    specs = []
    items = [n for item in split_specs(text) for n in (names if item == "all" else [item])]
    for item in items:
        name, _, js = item.partition(":")
        name = name.strip()
        if name not in names:
            raise SystemExit(f"protocol_t: unknown sampler {name!r}; known: {', '.join(names)}")
        extra = {}
        if js.strip():
            try:
                extra = json.loads(js)
            except json.JSONDecodeError as err:
                raise SystemExit(f"protocol_t: sampler {item!r}: the part after ':' is not JSON ({err})") from None
            if not isinstance(extra, dict):
                raise SystemExit(f"protocol_t: sampler {item!r}: the JSON must be an object of keyword arguments")
        spec = SamplerSpec(item, name, {**default_params(name, gan_params), **extra})
        allowed = valid_params(spec)
        unknown = sorted(set(spec.params) - allowed) if allowed is not None else []
        if unknown:
            raise SystemExit(f"protocol_t: sampler {item!r}: unknown parameter(s) {unknown}; "
                             f"accepted: {sorted(allowed)}")
        if any(s.label == item for s in specs):
            raise SystemExit(f"protocol_t: sampler {item!r} given twice")
        specs.append(spec)
    return specs


def ctgan_status() -> str | None:
    """``None`` when the ``ctgan`` package imports, else why the ctgan sampler is skipped."""
    try:
        import ctgan  # noqa: F401
    except ImportError as err:
        return (f"ctgan skipped: the `ctgan` package is not installed ({err}); "
                "install it with `pip install ctgan` (or this project's `bench` extra) to include it")
    return None


class CTGANSampler:
    """``CTGAN`` fitted on the minority rows, sampled until the two classes are equal (binary 0/1 ``y``)."""

    def __init__(self, random_state=0, **ctgan_params):
        self.random_state = random_state
        self.ctgan_params = ctgan_params

    def fit_resample(self, X, y):
        import pandas as pd
        from ctgan import CTGAN

        labels, counts = np.unique(y, return_counts=True)
        minority, majority = labels[np.argmin(counts)], labels[np.argmax(counts)]
        n_needed = int(counts.max() - counts.min())
        if n_needed == 0 or minority == majority:
            return X, y
        rows = pd.DataFrame(X[y == minority], columns=[f"x{j}" for j in range(X.shape[1])])
        model = CTGAN(**self.ctgan_params)
        model.set_random_state(self.random_state)
        model.fit(rows)
        synthetic = model.sample(n_needed).to_numpy(dtype=float)
        return np.vstack([X, synthetic]), np.concatenate([y, np.full(n_needed, minority, dtype=y.dtype)])


def build_sampler(spec: SamplerSpec):
    params = dict(spec.params)
    if spec.kind == "none":
        return None
    if spec.kind == "imblearn":
        return imblearn_class(spec.name)(**params)
    if spec.kind == "ctgan":
        return CTGANSampler(**params)
    from minority_gen import GANOversampler

    return GANOversampler(**params)


# --------------------------------------------------------------------------- one cell


def build_classifier(name: str):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    if name == "lr":
        return LogisticRegression(max_iter=3000)
    if name == "rf":
        return RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=1)
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=0)
    raise ValueError(f"unknown classifier {name!r}")


def _gmean(y_true, y_pred, proba):
    from imblearn.metrics import geometric_mean_score

    return geometric_mean_score(y_true, y_pred)


def _balanced_accuracy(y_true, y_pred, proba):
    from sklearn.metrics import balanced_accuracy_score

    return balanced_accuracy_score(y_true, y_pred)


def _average_precision(y_true, y_pred, proba):
    from sklearn.metrics import average_precision_score

    return average_precision_score(y_true, proba)


#: metric name → f(y_true, y_pred, proba of label 1); a non-finite value fails the cell.
METRICS = {"gmean": _gmean, "balanced_accuracy": _balanced_accuracy, "average_precision": _average_precision}


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def single_thread() -> None:
    """One torch thread; OpenMP and BLAS are held to one by ``threadpool_limits`` around each cell
    (and by the ``THREAD_VARS`` given to parallel workers): parallelism is across cells, never inside one."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def run_cell(task: dict) -> dict:
    """Fit one sampler on one training fold and score every classifier on the test fold."""
    from threadpoolctl import threadpool_limits

    single_thread()
    start = time.perf_counter()
    rec = {key: task[key] for key in ("dataset", "n_folds", "fold", "sampler")}
    rec.update(name=task["spec"]["name"], params=task["spec"]["params"], commit=task["commit"],
               machine=task["machine"], started=_now(), loadavg=round(os.getloadavg()[0], 2))
    try:
        with threadpool_limits(1):
            rec.update(_score_fold(task))
        rec["status"] = "ok"
    except Exception as err:  # recorded, reported and retried, never dropped
        rec.update(status="error", error=f"{type(err).__name__}: {err}",
                   traceback=traceback.format_exc(limit=-4))
    rec["cell_s"] = round(time.perf_counter() - start, 3)
    return rec


_WARM: set = set()


def warm_up(method: str) -> None:
    """A 2-iteration fit on a tiny table, once per process and method, so that torch's one-off start-up
    (about a second) is not counted in the first fold's fit time. Fits are seeded, so results do not change."""
    if method in _WARM:
        return
    from minority_gen import GANOversampler

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(24, 3)), np.r_[np.zeros(18, int), np.ones(6, int)]
    GANOversampler(method=method, n_iter=2, batch_size=8, hidden_dims=(8,), device="cpu",
                   random_state=0).fit_resample(X, y)
    _WARM.add(method)


def _score_fold(task: dict) -> dict:
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    X, y = task["X"], task["y"]
    folds = StratifiedKFold(task["n_folds"], shuffle=True, random_state=0)
    train, test = list(folds.split(X, y))[task["fold"]]
    scaler = StandardScaler().fit(X[train])
    X_train, X_test, y_train, y_test = scaler.transform(X[train]), scaler.transform(X[test]), y[train], y[test]
    spec = task["spec"]
    sampler = build_sampler(SamplerSpec(spec["label"], spec["name"], spec["params"]))
    if spec["name"] in gan_methods():
        warm_up(spec["name"])
    t0 = time.perf_counter()
    X_res, y_res = (X_train, y_train) if sampler is None else sampler.fit_resample(X_train, y_train)
    fit_s = time.perf_counter() - t0
    X_res, y_res = np.asarray(X_res, dtype=float), np.asarray(y_res)
    if not np.isfinite(X_res).all():
        raise ValueError(f"the sampler returned {int((~np.isfinite(X_res)).sum())} non-finite values")
    out = {"fit_s": round(fit_s, 4), "n_train": int(len(y_train)), "n_train_minority": int(y_train.sum()),
           "n_resampled": int(len(y_res)), "n_resampled_minority": int((y_res == 1).sum()),
           "n_rows": int(len(y)), "n_features": int(X.shape[1]), "n_minority": int(y.sum()),
           "metrics": {}, "clf_s": {}}
    for clf_name in task["classifiers"]:
        t0 = time.perf_counter()
        clf = build_classifier(clf_name).fit(X_res, y_res)
        y_pred = clf.predict(X_test)
        proba = clf.predict_proba(X_test)[:, list(clf.classes_).index(1)]
        scores = {}
        for metric, fn in METRICS.items():
            value = float(fn(y_test, y_pred, proba))
            if not math.isfinite(value):
                raise ValueError(f"{clf_name}: metric {metric} is not finite ({value})")
            scores[metric] = value
        out["metrics"][clf_name] = scores
        out["clf_s"][clf_name] = round(time.perf_counter() - t0, 3)
    return out


# --------------------------------------------------------------------------- cache


def read_runs(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"protocol_t: {path}:{n} is not JSON (an interrupted write?); ignored", file=sys.stderr)
    return records


def cell_key(rec: dict) -> tuple:
    return rec["dataset"], rec["n_folds"], rec["fold"], rec["sampler"]


def _canon(params: dict) -> str:
    return json.dumps(params, sort_keys=True)


def latest(records: list[dict]) -> dict:
    """key → the last successful record of each cell, else its last failed one."""
    best = {}
    for rec in records:
        key = cell_key(rec)
        if rec.get("status") == "ok" or best.get(key, {}).get("status") != "ok":
            best[key] = rec
    return best


# --------------------------------------------------------------------------- report


def _fmt(x, digits=3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def summarise(records, datasets, samplers, classifiers, n_folds):
    """Fold means per (classifier, dataset, sampler), completeness and error flags."""
    cells = latest([r for r in records if r["n_folds"] == n_folds])
    summary = {}
    for clf in classifiers:
        for ds in datasets:
            for s in samplers:
                values = {m: [] for m in METRICS}
                fits, errors = [], []
                for fold in range(n_folds):
                    rec = cells.get((ds, n_folds, fold, s))
                    if rec is None:
                        continue
                    if rec["status"] != "ok":
                        errors.append(f"fold {fold}: {rec.get('error')}")
                    elif clf in rec["metrics"]:
                        for m in METRICS:
                            values[m].append(rec["metrics"][clf][m])
                        fits.append(rec["fit_s"])
                n = len(values["gmean"])
                summary[clf, ds, s] = {
                    "n": n, "complete": n == n_folds, "errors": errors,
                    **{f"{m}_mean": float(np.mean(v)) if v else math.nan for m, v in values.items()},
                    **{f"{m}_std": float(np.std(v)) if v else math.nan for m, v in values.items()},
                    "fit_s_mean": float(np.mean(fits)) if fits else math.nan,
                }
    return cells, summary


def mean_ranks(summary, clf, datasets, samplers, metric):
    """Mean rank of each sampler (1 = best, ties averaged) over the datasets complete for all samplers."""
    from scipy.stats import rankdata

    complete = [ds for ds in datasets if all(summary[clf, ds, s]["complete"] for s in samplers)]
    if not complete or not samplers:
        return complete, {}
    table = np.array([[summary[clf, ds, s][f"{metric}_mean"] for s in samplers] for ds in complete])
    ranks = np.vstack([rankdata(-row, method="average") for row in table])
    return complete, dict(zip(samplers, ranks.mean(axis=0)))


def _cell_text(st, n_folds) -> str:
    if st["errors"]:
        return f"**error** ({len(st['errors'])} fold{'s' if len(st['errors']) > 1 else ''})"
    if st["n"] == 0:
        return "–"
    text = f"{st['gmean_mean']:.3f} ({st['balanced_accuracy_mean']:.3f})"
    return text if st["complete"] else f"{text} [{st['n']}/{n_folds} folds]"


def _versions() -> str:
    import imblearn
    import sklearn

    parts = [f"Python {platform.python_version()}"]
    try:
        import torch

        parts.append(f"torch {torch.__version__}")
    except ImportError:
        pass
    parts += [f"scikit-learn {sklearn.__version__}", f"imbalanced-learn {imblearn.__version__}"]
    try:
        import minority_gen

        parts.append(f"minority_gen {minority_gen.__version__}")
    except ImportError:
        pass
    try:
        import ctgan

        parts.append(f"ctgan {getattr(ctgan, '__version__', '?')}")
    except ImportError:
        parts.append("ctgan not installed")
    return ", ".join(parts)


def machine() -> str:
    return f"{platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"


def _describe(rec_params: dict, name: str) -> str:
    if name == "none":
        return "no resampling"
    cls = {"ros": "RandomOverSampler", "smote": "SMOTE", "adasyn": "ADASYN", "bsmote": "BorderlineSMOTE",
           "ctgan": "CTGAN"}.get(name, "GANOversampler")
    args = ", ".join(f"{k}={v!r}" for k, v in rec_params.items())
    return f"`{cls}({args})`" + (" on the minority rows" if name == "ctgan" else "")


def write_report(out: Path, records, datasets, samplers, classifiers, n_folds, command, notes=()) -> str:
    """results.md, results.csv and ranks.png from the records; returns the markdown."""
    import pandas as pd

    cells, summary = summarise(records, datasets, samplers, classifiers, n_folds)
    used = [r for r in cells.values() if r["dataset"] in datasets and r["sampler"] in samplers]
    lines = ["# Protocol T: tabular downstream benchmark", ""]
    lines.append(f"* command: `{command}`")
    lines.append(f"* report written {_now()} on {machine()}; {_versions()}")
    if used:
        started = sorted(r["started"] for r in used)
        commits = sorted({r.get("commit", "?") for r in used})
        machines = sorted({r.get("machine", "?") for r in used})
        loads = [r.get("loadavg", math.nan) for r in used]
        lines.append(f"* cells: {len(used)} from `runs.jsonl`, computed {started[0]} – {started[-1]} at commit(s) "
                     f"{', '.join(commits)} on {'; '.join(machines)}; 1-minute load average at cell start "
                     f"{np.nanmin(loads):.1f}–{np.nanmax(loads):.1f} (fit times measure the machine too)")
    shapes = {}
    for r in used:
        if r["status"] == "ok":
            shapes.setdefault(r["dataset"], f"{r['dataset']} {r['n_rows']}×{r['n_features']} "
                                            f"({r['n_minority']} minority)")
    lines.append("* data: " + "; ".join(shapes.get(ds, ds) for ds in datasets))
    lines.append(f"* protocol: StratifiedKFold({n_folds}, shuffle=True, random_state=0); StandardScaler fitted on "
                 "the training fold, the sampler's fit_resample, then each classifier on the same resampled rows "
                 "(equivalent to make_pipeline(StandardScaler(), sampler, classifier)); one thread per cell")
    descr = {}
    for r in used:
        descr.setdefault(r["sampler"], _describe(r["params"], r["name"]))
    lines.append("* samplers: " + "; ".join(f"`{s}` = {descr.get(s, '(no cells yet)')}" for s in samplers))
    lines += [f"* {note}" for note in notes]
    lines += ["", f"Cell: G-mean (balanced accuracy), mean of {n_folds} folds; `[k/{n_folds} folds]`: incomplete; "
              "`–`: not run. Mean ranks (1 = best, ties averaged) are over the datasets on which every sampler "
              "listed has all folds.", ""]

    csv_rows, rank_rows = [], {}
    for clf in classifiers:
        lines += [f"## {CLASSIFIERS[clf]} (`{clf}`)", ""]
        lines.append("| dataset | " + " | ".join(samplers) + " |")
        lines.append("|---|" + "---|" * len(samplers))
        for ds in datasets:
            lines.append(f"| {ds} | " + " | ".join(_cell_text(summary[clf, ds, s], n_folds) for s in samplers) + " |")
        for metric, label in METRIC_NAMES.items():
            complete, ranks = mean_ranks(summary, clf, datasets, samplers, metric)
            rank_rows[clf, metric] = (complete, ranks)
            lines.append(f"| **mean rank ({label})** | " + " | ".join(_fmt(ranks.get(s), 2) for s in samplers) + " |")
        complete = rank_rows[clf, "gmean"][0]
        lines += ["", f"Mean ranks over {len(complete)} of {len(datasets)} dataset(s)"
                  + (f": {', '.join(complete)}." if len(complete) < len(datasets) else ".")]
        lines += ["", "Average precision (mean of folds):", ""]
        lines.append("| dataset | " + " | ".join(samplers) + " |")
        lines.append("|---|" + "---|" * len(samplers))
        for ds in datasets:
            row = []
            for s in samplers:
                st = summary[clf, ds, s]
                row.append("**error**" if st["errors"] else _fmt(st["average_precision_mean"]) if st["n"] else "–")
            lines.append(f"| {ds} | " + " | ".join(row) + " |")
        lines.append("")
        refs = [s for s in ("smote", "ros") if s in samplers]
        others = [s for s in samplers if s not in ("smote", "ros")]
        if refs and others and complete:
            lines += [f"Datasets (of {len(complete)} complete) where a sampler's mean beats the better of "
                      f"{' and '.join(refs)}:", "", "| sampler | " + " | ".join(METRIC_NAMES.values()) + " |",
                      "|---|" + "---|" * len(METRIC_NAMES)]
            for s in others:
                counts = []
                for metric in METRIC_NAMES:
                    wins = sum(summary[clf, ds, s][f"{metric}_mean"]
                               > max(summary[clf, ds, r][f"{metric}_mean"] for r in refs) for ds in complete)
                    counts.append(f"{wins}/{len(complete)}")
                lines.append(f"| {s} | " + " | ".join(counts) + " |")
            lines.append("")
        for ds in datasets:
            for s in samplers:
                st = summary[clf, ds, s]
                csv_rows.append({"classifier": clf, "dataset": ds, "sampler": s, "folds_done": st["n"],
                                 "folds": n_folds, "errors": len(st["errors"]),
                                 **{k: st[k] for k in st if k.endswith(("_mean", "_std"))}})

    lines += ["## Sampler fit time", "",
              "Wall seconds of the sampler's `fit_resample` per training fold (one thread), mean over the folds "
              "done; last row: mean over all folds of all datasets.", "",
              "| dataset | " + " | ".join(samplers) + " |", "|---|" + "---|" * len(samplers)]
    fits = {s: [] for s in samplers}
    for ds in datasets:
        row = []
        for s in samplers:
            done = [cells[ds, n_folds, f, s]["fit_s"] for f in range(n_folds)
                    if cells.get((ds, n_folds, f, s), {}).get("status") == "ok"]
            fits[s] += done
            row.append(_fmt(float(np.mean(done)), 2) if done else "–")
        lines.append(f"| {ds} | " + " | ".join(row) + " |")
    lines.append("| **mean** | " + " | ".join(_fmt(float(np.mean(v)), 2) if v else "–" for v in fits.values()) + " |")
    lines.append("")

    failed = [r for r in used if r["status"] != "ok"]
    if failed:
        lines += ["## Failures", "", f"{len(failed)} cell(s) failed; a rerun retries them.", ""]
        lines += [f"* {r['dataset']} fold {r['fold']} `{r['sampler']}`: {r.get('error')}" for r in failed]
        lines.append("")

    out.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines)
    (out / "results.md").write_text(text)
    pd.DataFrame(csv_rows).to_csv(out / "results.csv", index=False)
    plot_ranks(out / "ranks.png", {clf: rank_rows[clf, "gmean"] for clf in classifiers}, samplers)
    return text


def plot_ranks(path: Path, ranks: dict, samplers) -> None:
    """Grouped horizontal bars: mean G-mean rank per sampler, one bar per classifier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.45 * len(samplers) * max(1, len(ranks)) ** 0.5 + 1.5))
    height = 0.8 / max(1, len(ranks))
    pos = np.arange(len(samplers))
    for i, (clf, (complete, r)) in enumerate(ranks.items()):
        values = [r.get(s, np.nan) for s in samplers]
        ax.barh(pos + (i - (len(ranks) - 1) / 2) * height, values, height,
                label=f"{CLASSIFIERS[clf]} ({len(complete)} datasets)")
    ax.set_yticks(pos, samplers)
    ax.invert_yaxis()
    ax.set_xlabel("mean G-mean rank (1 = best)")
    ax.set_xlim(left=0)
    ax.set_title("Protocol T: mean rank across datasets")
    if not any(r for _, r in ranks.values()):
        ax.text(0.5, 0.5, "no dataset complete for all samplers yet", transform=ax.transAxes, ha="center")
    else:
        ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------- main


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "minority_gen", "benchmarks/protocol_t.py"],
                               cwd=REPO, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None,
                   help="data folder holding imblearn_zenodo/ (default $MINORITY_GEN_DATA, else ../shared/data)")
    p.add_argument("--out", type=Path, default=None,
                   help=f"results folder (default {DEFAULT_OUT.relative_to(REPO)}; --quick: a temporary folder)")
    p.add_argument("--datasets", default=None, help=f"comma-separated (default all: {','.join(DATASETS)})")
    p.add_argument("--samplers", default=None,
                   help="comma-separated names or name:JSON specs (default all: none,ros,smote,adasyn,bsmote,"
                        "ctgan and every minority_gen method)")
    p.add_argument("--classifiers", default=None, help="comma-separated from lr,rf,hgb (default all)")
    p.add_argument("--folds", type=int, default=None, help="number of stratified folds (default 5)")
    p.add_argument("--only-folds", default=None,
                   help="comma-separated fold numbers (0-based) to run, e.g. 0 (a piece of a run; default all)")
    p.add_argument("--gan-params", default=None,
                   help='JSON keyword arguments for every GANOversampler, e.g. \'{"n_iter": 500}\'')
    p.add_argument("--jobs", type=int, default=1, help="cells run in parallel (joblib loky; default 1)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: breast_cancer_30, 2 folds, none,ros,smote,rumi with a tiny GAN, LR only")
    p.add_argument("--report", action="store_true", help="only write the report from <out>/runs.jsonl")
    p.add_argument("--note", action="append", default=[], help="extra line for the report header")
    args = p.parse_args(argv)
    explicit = {k for k, v in vars(args).items() if v is not None}
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
    args.folds = args.folds or 5
    if args.folds < 2:
        p.error("--folds must be at least 2")
    args.explicit = explicit
    return args


def _csv(text, known, what):
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in known]
    if bad:
        raise SystemExit(f"protocol_t: unknown {what} {bad}; known: {', '.join(known)}")
    return items


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    command = "python benchmarks/protocol_t.py" + (" " + shlex.join(argv) if argv else "")
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="protocol_t_quick_")) if args.quick else DEFAULT_OUT
    runs_path = args.out / "runs.jsonl"
    single_thread()

    if args.report:
        return report_only(args, command, runs_path)

    gan_params = json.loads(args.gan_params) if args.gan_params else {}
    if not isinstance(gan_params, dict):
        raise SystemExit("protocol_t: --gan-params must be a JSON object")
    specs = parse_samplers(args.samplers or "all", gan_params)
    classifiers = _csv(args.classifiers or ",".join(CLASSIFIERS), CLASSIFIERS, "classifier(s)")
    names = _csv(args.datasets or ",".join(DATASETS), DATASETS, "dataset(s)")
    notes = list(args.note)
    if gan_params:
        notes.append(f"--gan-params {json.dumps(gan_params)} applied to every GANOversampler")
    skip = ctgan_status() if any(s.kind == "ctgan" for s in specs) else None
    if skip:
        print(f"protocol_t: {skip}", file=sys.stderr)
        notes.append(skip)
        specs = [s for s in specs if s.kind != "ctgan"]

    data_dir = args.data or default_data_dir()
    data, missing = load_datasets(data_dir, names)
    if missing:
        print(f"protocol_t: missing dataset(s) {', '.join(missing)}", file=sys.stderr)
        print(MISSING_ZENODO.format(path=Path(data_dir) / "imblearn_zenodo"), file=sys.stderr)
        notes.append(f"not found in {data_dir}/imblearn_zenodo, so not run: {', '.join(missing)}")
        if "datasets" in args.explicit and not data:
            return 2
    datasets = [n for n in names if n in data]

    fold_ids = range(args.folds)
    if args.only_folds:
        fold_ids = sorted({int(f) for f in args.only_folds.split(",")})
        if not all(0 <= f < args.folds for f in fold_ids):
            raise SystemExit(f"protocol_t: --only-folds must lie in 0..{args.folds - 1}")
    records = read_runs(runs_path)
    done = latest(records)
    commit, host = git_commit(), machine()
    tasks, cached = [], 0
    for ds in datasets:
        X, y = data[ds]
        for spec in specs:
            for fold in fold_ids:
                key = (ds, args.folds, fold, spec.label)
                prev = done.get(key)
                if prev is not None and prev["status"] == "ok":
                    if _canon(prev["params"]) != _canon(spec.params):
                        raise SystemExit(
                            f"protocol_t: {runs_path} holds `{spec.label}` on {ds} with parameters "
                            f"{_canon(prev['params'])}, this run asks for {_canon(spec.params)}. Use another "
                            "--out, or a name:JSON label so both variants are kept apart.")
                    if all(c in prev["metrics"] for c in classifiers):
                        cached += 1
                        continue
                tasks.append({"dataset": ds, "n_folds": args.folds, "fold": fold, "sampler": spec.label,
                              "spec": {"label": spec.label, "name": spec.name, "params": spec.params},
                              "X": X, "y": y, "classifiers": classifiers, "commit": commit, "machine": host})
    print(f"protocol_t: {len(datasets)} dataset(s) × {len(specs)} sampler(s) × {len(fold_ids)} of {args.folds} folds: "
          f"{cached} cell(s) cached in {runs_path}, {len(tasks)} to run (jobs {args.jobs})", flush=True)

    try:
        failures = run_tasks(tasks, args.jobs, runs_path)
    except KeyboardInterrupt:
        print(f"protocol_t: interrupted; the cells finished so far are in {runs_path}: "
              "run the same command again to continue", file=sys.stderr)
        return 130
    records = read_runs(runs_path)
    text = write_report(args.out, records, datasets, [s.label for s in specs], classifiers, args.folds,
                        command, notes)
    if args.quick:
        print(text)
    print(f"protocol_t: report {args.out / 'results.md'}", flush=True)
    _, summary = summarise(records, datasets, [s.label for s in specs], classifiers, args.folds)
    stale = sum(bool(st["errors"]) for st in summary.values())
    if failures or stale:
        print(f"protocol_t: {failures} cell(s) failed in this run; see 'Failures' in the report", file=sys.stderr)
        return 1
    return 0


def run_tasks(tasks, jobs, runs_path: Path) -> int:
    """Run the cells, appending each record to runs.jsonl as it finishes; returns the number that failed."""
    runs_path.parent.mkdir(parents=True, exist_ok=True)
    failures = 0
    if jobs > 1 and len(tasks) > 1:
        from joblib import Parallel, delayed

        if str(HERE) not in sys.path:  # loky workers import run_cell from this file by name
            sys.path.insert(0, str(HERE))
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
        os.environ.update({var: "1" for var in THREAD_VARS})  # inherited by the workers loky starts
        import protocol_t as importable

        results = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")(
            delayed(importable.run_cell)(t) for t in tasks)
    else:
        results = (run_cell(t) for t in tasks)
    with open(runs_path, "a") as fh:
        for i, rec in enumerate(results, 1):
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            failures += rec["status"] != "ok"
            scores = "  ".join(f"{c} G {m['gmean']:.3f}" for c, m in rec.get("metrics", {}).items())
            what = (f"fit {rec['fit_s']:.2f} s  {scores}" if rec["status"] == "ok"
                    else f"ERROR {rec.get('error')}")
            print(f"[{i}/{len(tasks)}] {rec['dataset']} fold {rec['fold'] + 1}/{rec['n_folds']} "
                  f"{rec['sampler']}: {what}  ({rec['cell_s']:.1f} s)", flush=True)
    return failures


def report_only(args, command, runs_path: Path) -> int:
    records = read_runs(runs_path)
    if not records:
        print(f"protocol_t: no runs in {runs_path}", file=sys.stderr)
        return 2
    records_k = [r for r in records if r["n_folds"] == args.folds]
    if not records_k:
        print(f"protocol_t: {runs_path} has no {args.folds}-fold cells (use --folds)", file=sys.stderr)
        return 2
    seen = list(dict.fromkeys(r["sampler"] for r in records_k))
    samplers = split_specs(args.samplers) if args.samplers and args.samplers != "all" else seen
    ds_seen = {r["dataset"] for r in records_k}
    datasets = ([d.strip() for d in args.datasets.split(",")] if args.datasets
                else [d for d in DATASETS if d in ds_seen])
    clf_seen = {c for r in records_k for c in r.get("metrics", {})}
    classifiers = (_csv(args.classifiers, CLASSIFIERS, "classifier(s)") if args.classifiers
                   else [c for c in CLASSIFIERS if c in clf_seen])
    write_report(args.out, records, datasets, samplers, classifiers, args.folds, command, args.note)
    print(f"protocol_t: report {args.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
