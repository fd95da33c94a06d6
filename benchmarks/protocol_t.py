"""Protocol T (EVALUATION.md): the tabular downstream benchmark, on the package's evaluation engine.

The tables, folds, classifiers and samplers, the store ``<out>/runs.jsonl`` and the report: benchmarks/README.md,
"Protocol T" (also where the data is read); ``results/protocol_t/README.md`` says how the committed run was made.

    python benchmarks/protocol_t.py                          # everything, 5 folds (hours on a CPU)
    python benchmarks/protocol_t.py --jobs 2 --samplers none,ros,smote,adasyn,bsmote
    python benchmarks/protocol_t.py --datasets ecoli,oil --samplers smote,rumi,'rumi:{"n_iter": 500}'
    python benchmarks/protocol_t.py --report                 # tables from what runs.jsonl holds
    python benchmarks/protocol_t.py --quick                  # smoke run in seconds (temporary folder)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from minority_gen import available_methods
from minority_gen.evaluation import compare_on_datasets
from minority_gen.evaluation.ctgan_sampler import CTGANSampler, ctgan_missing, ctgan_params
from minority_gen.evaluation.datasets import COLLECTIONS, default_data_dir, load_available
from minority_gen.evaluation.grid_report import METRIC_NAMES, grid_tables, plot_mean_ranks
from minority_gen.evaluation.report import command_line
from minority_gen.evaluation.samplers import (
    ALIASES,
    available_oversamplers,
    describe_oversampler,
    parse_sampler,
    register_oversampler,
    split_specs,
)
from minority_gen.evaluation.store import machine_description, read_records

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "protocol_t"
DATASETS = tuple(COLLECTIONS["protocol_t"])
CLASSIFIERS = {"lr": "Logistic regression", "rf": "Random forest (200 trees)", "hgb": "Histogram gradient boosting"}
CLASSIC = ("none", "ros", "smote", "adasyn", "bsmote")
METRICS = {m: m for m in METRIC_NAMES}
"""The engine's scoring: name → built-in metric, or callable(model, X, y); a non-finite value fails the cell."""
QUICK = dict(datasets="breast_cancer_30", folds=2, samplers="none,ros,smote,rumi", classifiers="lr",
             gan_params='{"n_iter": 20, "hidden_dims": [16], "batch_size": 32}')


if "ctgan" not in available_oversamplers():
    register_oversampler("ctgan", lambda rs, _: CTGANSampler(random_state=rs, **ctgan_params()),
                         CTGANSampler.DESCRIPTION)


def expand(text: str) -> list[str]:
    """The specs of ``--samplers`` text, ``all`` standing for the classic samplers, ctgan and every GAN method."""
    return [s for item in split_specs(text) for s in ([*CLASSIC, "ctgan", *available_methods()]
                                                       if item == "all" else [item])]


def parse_samplers(specs, gan_params: dict) -> dict:
    """Label (the spec as written) → sampler, from specs or ``--samplers`` text (``all`` expands)."""
    out = {}
    for spec in expand(specs) if isinstance(specs, str) else specs:
        if spec in out:
            raise SystemExit(f"protocol_t: sampler {spec!r} given twice")
        name, _, text = spec.partition(":")
        try:
            out[spec] = parse_sampler(spec)
            if name.strip() in available_methods():  # on the CPU, --gan-params under the spec's own keywords
                own = json.loads(text.strip() or "{}")
                out[spec] = parse_sampler(f"{name}:" + json.dumps({"device": "cpu", **gan_params, **own}))
        except ValueError as err:
            raise SystemExit(f"protocol_t: {err}") from None
    return out


def describe(label: str) -> str:
    name, _, text = label.partition(":")
    what = describe_oversampler(ALIASES.get(name, name))
    return what + (" (random_state=0, device='cpu')" if name in available_methods() else "") + (
        f" with {text}" if text else "")


CELL_COLUMNS = ["dataset", "fold", "status", "error", "started", "commit", "machine", "loadavg", "n_folds", "sampler",
                "classifier", "fit_s", *METRIC_NAMES]


def store_cells(path: Path, keys=None) -> pd.DataFrame:
    """One row per (dataset, n_folds, fold, sampler, classifier) of a runs.jsonl: the engine's records (only
    those of ``keys`` when given) and the records this script wrote before it used the engine (one per fold
    and sampler, every classifier inside); a successful record over a failed one, a later over an earlier."""
    rows = []
    for rec in read_records(path):  # a line cut short by a kill is skipped with a warning
        if "key" in rec:
            per_clf = {rec["classifier"]: rec.get("metrics", {})} if keys is None or rec["key"] in keys else {}
            n_folds, sampler = rec["identity"]["fold"]["n_splits"], rec["oversampler"]
        elif keys is None:  # the script's records before the engine
            per_clf, n_folds, sampler = rec.get("metrics") or dict.fromkeys(CLASSIFIERS, {}), rec["n_folds"], \
                rec["sampler"]
        else:
            continue
        rows += [{**{k: rec.get(k) for k in CELL_COLUMNS[:8]}, "n_folds": n_folds, "sampler": sampler,
                  "classifier": clf, "fit_s": m.get("fit_time_s", rec.get("fit_s")),
                  **{k: m.get(k) for k in METRIC_NAMES}} for clf, m in per_clf.items()]
    cells = pd.DataFrame(rows, columns=CELL_COLUMNS)
    cells = cells.assign(_ok=cells.status == "ok").sort_values("_ok", kind="stable")
    key = ["dataset", "n_folds", "fold", "sampler", "classifier"]
    return cells.drop_duplicates(key, keep="last").sort_index().drop(columns="_ok")


def write_report(out: Path, cells: pd.DataFrame, datasets, samplers, classifiers, n_folds, command, notes=(),
                 tables=None) -> str:
    """results.md, results.csv and ranks.png from the cells (:func:`store_cells`); returns the markdown."""
    import imblearn
    import sklearn

    from minority_gen import __version__

    cells = cells[(cells.n_folds == n_folds) & cells.dataset.isin(datasets) & cells.sampler.isin(samplers)
                  & cells.classifier.isin(classifiers)]
    ctgan = None if ctgan_missing() else __import__("ctgan")
    per_fold = cells.drop_duplicates(["dataset", "fold", "sampler"])
    commits, loads = sorted(per_fold.commit.dropna().astype(str).unique()), pd.to_numeric(per_fold.loadavg)
    tables = tables or {}
    lines = [
        "# Protocol T: tabular downstream benchmark", "", f"* command: `{command}`",
        f"* report written {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S UTC} on {machine_description()}; "
        f"scikit-learn {sklearn.__version__}, imbalanced-learn {imblearn.__version__}, minority_gen {__version__}, "
        + (f"ctgan {getattr(ctgan, '__version__', '?')}" if ctgan else "ctgan not installed"),
        *([f"* cells: {len(cells)} from `runs.jsonl`, computed {per_fold.started.min()} – {per_fold.started.max()} "
           f"at commit(s) {', '.join(commits)} on {'; '.join(sorted(per_fold.machine.dropna().unique()))}; 1-minute "
           f"load average at fold start {loads.min():.1f}–{loads.max():.1f} (fit times measure the machine too)"]
          if len(cells) else []),
        "* data: " + "; ".join(f"{d} {tables[d][0].shape[0]}×{tables[d][0].shape[1]} ({int(tables[d][1].sum())} "
                               "minority)" if d in tables else d for d in datasets),
        f"* protocol: StratifiedKFold({n_folds}, shuffle=True, random_state=0); StandardScaler fitted on the training "
        "fold, the sampler's fit_resample, then each classifier on the same resampled rows (equivalent to "
        "make_pipeline(StandardScaler(), sampler, classifier)); one thread per task",
        "* samplers: " + "; ".join(f"`{s}` = {describe(s)}" for s in samplers), *(f"* {note}" for note in notes), ""]
    body, csv, ranks = grid_tables(cells, datasets, samplers, classifiers, n_folds, CLASSIFIERS)
    out.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines + body)
    (out / "results.md").write_text(text)
    csv.to_csv(out / "results.csv", index=False)
    plot_mean_ranks(out / "ranks.png", ranks, samplers, CLASSIFIERS)
    return text


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None,
                   help="data folder holding imblearn_zenodo/ (default $MINORITY_GEN_DATA, else ../shared/data)")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default benchmarks/results/protocol_t; --quick: a temporary folder)")
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
    p.add_argument("--jobs", type=int, default=1, help="tasks run in parallel (joblib; default 1)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: breast_cancer_30, 2 folds, none,ros,smote,rumi with a tiny GAN, LR only")
    p.add_argument("--report", action="store_true", help="only write the report from <out>/runs.jsonl")
    p.add_argument("--note", action="append", default=[], help="extra line for the report header")
    args = p.parse_args(argv)
    args.explicit = {k for k, v in vars(args).items() if v is not None}
    for key, value in QUICK.items() if args.quick else ():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.folds = args.folds or 5
    if args.folds < 2:
        p.error("--folds must be at least 2")
    return args


def _csv(text, known, what):
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in known]
    if bad:
        raise SystemExit(f"protocol_t: unknown {what} {bad}; known: {', '.join(known)}")
    return items


def warm_up(samplers: dict) -> None:
    """A 2-iteration fit per GAN method, so that torch's one-off start-up is not counted in a fold's fit time."""
    from minority_gen import GANOversampler

    X, y = np.random.RandomState(0).normal(size=(24, 3)), np.r_[np.zeros(18, int), np.ones(6, int)]
    for method in {s.method for s in samplers.values() if isinstance(s, GANOversampler)}:
        GANOversampler(method=method, n_iter=2, batch_size=8, hidden_dims=(8,), device="cpu",
                       random_state=0).fit_resample(X, y)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    command = command_line("benchmarks/protocol_t.py", argv)
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="protocol_t_quick_")) if args.quick else DEFAULT_OUT
    store = args.out / "runs.jsonl"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)  # one thread per task: parallelism, if any, is across tasks (--jobs)
    if args.report:
        return report_only(args, command, store)

    gan_params = json.loads(args.gan_params or "{}")
    if not isinstance(gan_params, dict):
        raise SystemExit("protocol_t: --gan-params must be a JSON object")
    notes = list(args.note) + ([f"--gan-params {json.dumps(gan_params)} applied to every GANOversampler"]
                               if gan_params else [])
    specs = expand(args.samplers or "all")
    if "ctgan" in specs and (skip := ctgan_missing()):
        print(f"protocol_t: {skip}", file=sys.stderr)
        notes.append(skip)
        specs = [s for s in specs if s.partition(":")[0] != "ctgan"]
    samplers = parse_samplers(specs, gan_params)
    classifiers = _csv(args.classifiers or ",".join(CLASSIFIERS), CLASSIFIERS, "classifier(s)")
    data_home = args.data or default_data_dir()
    tables, missing = load_available(_csv(args.datasets or ",".join(DATASETS), DATASETS, "dataset(s)"), data_home)
    if missing:
        print(f"protocol_t: missing dataset(s) {', '.join(missing)}; running on the others only\n"
              + next(iter(missing.values())), file=sys.stderr)
        notes.append(f"not found in {data_home}/imblearn_zenodo, so not run: {', '.join(missing)}")
        if "datasets" in args.explicit and not tables:
            return 2
    folds = sorted({int(f) for f in args.only_folds.split(",")}) if args.only_folds else list(range(args.folds))
    if not all(0 <= f < args.folds for f in folds):
        raise SystemExit(f"protocol_t: --only-folds must lie in 0..{args.folds - 1}")
    common = dict(cv=args.folds, scoring=METRICS, store=store, n_jobs=args.jobs, retry_failed=True, folds=folds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # stored failures: retried below
        cached = int((compare_on_datasets(tables, samplers, classifiers, compute=False, progress=False, **common)
                      .metric == "gmean").sum())
    total = len(tables) * len(samplers) * len(classifiers) * len(folds)
    print(f"protocol_t: {len(tables)} dataset(s) × {len(samplers)} sampler(s) × {len(classifiers)} classifier(s) × "
          f"{len(folds)} of {args.folds} folds: {cached} cell(s) cached in {store}, {total - cached} to run "
          f"(jobs {args.jobs})", flush=True)
    if args.jobs == 1 and cached < total:
        warm_up(samplers)
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # failures are counted and reported below
            results = compare_on_datasets(tables, samplers, classifiers, **common)
    except KeyboardInterrupt:
        print(f"protocol_t: interrupted; the cells finished so far are in {store}: "
              "run the same command again to continue", file=sys.stderr)
        return 130
    text = write_report(args.out, store_cells(store, set(results.cell)), list(tables), list(samplers), classifiers,
                        args.folds, command, notes, tables)
    print(*([text] if args.quick else []), f"protocol_t: report {args.out / 'results.md'}", sep="\n", flush=True)
    failures = int((results.metric == "error").sum())
    if failures:
        print(f"protocol_t: {failures} cell(s) failed; see 'Failures' in the report", file=sys.stderr)
    return 1 if failures else 0


def report_only(args, command, store: Path) -> int:
    cells = store_cells(store)
    cells = cells[cells.n_folds == args.folds]
    if not len(cells):
        print(f"protocol_t: no {args.folds}-fold cells in {store} (use --folds)", file=sys.stderr)
        return 2
    samplers = split_specs(args.samplers) if args.samplers and args.samplers != "all" else list(
        dict.fromkeys(cells.sampler))
    datasets = (_csv(args.datasets, DATASETS, "dataset(s)") if args.datasets
                else [d for d in DATASETS if d in set(cells.dataset)])
    classifiers = (_csv(args.classifiers, CLASSIFIERS, "classifier(s)") if args.classifiers
                   else [c for c in CLASSIFIERS if c in set(cells.classifier)])
    tables, _ = load_available(datasets, args.data or default_data_dir())
    write_report(args.out, cells, datasets, samplers, classifiers, args.folds, command, args.note, tables)
    print(f"protocol_t: report {args.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
