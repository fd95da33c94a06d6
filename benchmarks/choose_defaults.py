"""Choose GANOversampler defaults by cross-validation inside protocol T's training folds.

Protocol T (``benchmarks/protocol_t.py``) scores samplers on test folds; a
default chosen by those scores would be tuned on the test data. This script
makes the choice on the training folds only: for each dataset of protocol T
and each outer training fold it uses (``--outer-folds``, default the first),
the training fold is split again, ``StratifiedKFold(3, shuffle=True,
random_state=1)``; every candidate sampler is fitted on each inner training
part (after a ``StandardScaler`` fitted there) and every classifier is scored
on the inner validation part (``compare_on_datasets`` on the outer training
fold's rows, protocol T's samplers, classifiers and metrics). The test folds
are never read.

The candidate with the best mean rank of inner G-mean over the datasets,
averaged over logistic regression and random forest (the two classifiers the
targets of issue 8 name), is the choice. Reference samplers (``smote``,
``ros``) may be listed too: they take part in the ranks shown, not in the
choice (``--references``).

Every cell (dataset, outer fold, inner fold, candidate, classifier) goes to
``runs.jsonl`` (the engine's store) as its fold finishes, so a run can be
interrupted and resumed; the report (``results.md``) is rewritten at the end,
or alone with ``--report`` (which also reads the records this script wrote
before it used the engine).

    python benchmarks/choose_defaults.py --jobs 2
    python benchmarks/choose_defaults.py --candidates 'rumi,rumi:{"anchor":"smote"}' --references smote,ros
    python benchmarks/choose_defaults.py --quick     # seconds, into a temporary folder
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import protocol_t as pt  # noqa: E402  (the same datasets, samplers, classifiers and metrics)

DEFAULT_OUT = HERE / "results" / "choose_defaults"
DEFAULT_CANDIDATES = 'rumi,rumi:{"anchor":"smote"}'
DEFAULT_REFERENCES = "smote,ros"
CHOICE_CLASSIFIERS = ("lr", "rf")
INNER_SEED = 1
QUICK = dict(datasets="breast_cancer_30", candidates='rumi:{"n_iter":40},rumi:{"n_iter":40,"anchor":"smote"}',
             references="smote", classifiers="lr,rf", inner_folds=2)


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="folder holding imblearn_zenodo/ (default: ../shared/data)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--datasets", default=None, help="comma-separated (default: all of protocol T)")
    ap.add_argument("--candidates", default=None, help=f"samplers to choose among (default: {DEFAULT_CANDIDATES})")
    ap.add_argument("--references", default=None, help=f"samplers ranked beside them (default: {DEFAULT_REFERENCES})")
    ap.add_argument("--classifiers", default=None, help="comma-separated (default: lr,rf,hgb)")
    ap.add_argument("--outer-folds", default="0", help="protocol T training folds to split (of 5; default 0)")
    ap.add_argument("--inner-folds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="a tiny run into a temporary folder (smoke test)")
    ap.add_argument("--report", action="store_true", help="only rewrite the report from runs.jsonl")
    args = ap.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) in (None, 3):
                setattr(args, key, value)
    args.datasets = args.datasets or ",".join(pt.DATASETS)
    args.candidates = args.candidates or DEFAULT_CANDIDATES
    args.references = DEFAULT_REFERENCES if args.references is None else args.references
    args.classifiers = args.classifiers or ",".join(pt.CLASSIFIERS)
    if args.inner_folds < 2:
        ap.error("--inner-folds must be at least 2")
    return args


def run(tables: dict, outer, samplers: dict, classifiers, inner_folds: int, store: Path, jobs: int,
        compute: bool = True) -> pd.DataFrame:
    """The engine's cells, each outer training fold a table of its own split by the inner folds."""
    from sklearn.model_selection import StratifiedKFold

    from minority_gen.evaluation import compare_on_datasets

    parts = []
    for name, (X, y) in tables.items():
        splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
        for o in outer:
            train = splits[o][0]  # the outer test fold is never touched
            inner = StratifiedKFold(inner_folds, shuffle=True, random_state=INNER_SEED)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # failures are shown in the report
                parts.append(compare_on_datasets({name: (X[train], y[train])}, samplers, classifiers, cv=inner,
                                                 scoring=pt.METRICS, store=store, n_jobs=jobs, retry_failed=True,
                                                 compute=compute, progress=compute).assign(outer_fold=o))
    return pd.concat(parts, ignore_index=True)


def old_records(path: Path, inner_folds: int) -> pd.DataFrame:
    """The G-mean cells of the records this script wrote before it used the engine (no ``key``)."""
    rows = []
    for rec in map(json.loads, path.read_text().splitlines() if path.exists() else []):
        if "key" in rec or rec["inner_folds"] != inner_folds:
            continue
        where = dict(dataset=rec["dataset"], outer_fold=rec["outer_fold"], fold=rec["inner_fold"],
                     oversampler=rec["sampler"])
        if rec["status"] != "ok":
            rows.append({**where, "classifier": "", "metric": "error", "value": np.nan, "error": rec["error"]})
        rows += [{**where, "classifier": c, "metric": "gmean", "value": m["gmean"], "error": ""}
                 for c, m in rec.get("metrics", {}).items()]
    return pd.DataFrame(rows, columns=["dataset", "outer_fold", "fold", "oversampler", "classifier", "metric",
                                       "value", "error"])


def summarise(results: pd.DataFrame, datasets, samplers, classifiers, outer, inner_folds):
    """Per classifier: dataset → sampler → mean inner G-mean (None when a cell is missing)."""
    g = results[results.metric == "gmean"].drop_duplicates(["dataset", "outer_fold", "fold", "oversampler",
                                                            "classifier"])
    groups = g.groupby(["classifier", "dataset", "oversampler"]).value.agg(["mean", "count"])
    want = len(outer) * inner_folds
    return {clf: {ds: {s: float(groups.loc[(clf, ds, s), "mean"]) if (clf, ds, s) in groups.index
                       and groups.loc[(clf, ds, s), "count"] == want else None for s in samplers}
                  for ds in datasets} for clf in classifiers}


def mean_ranks(rows: dict, samplers) -> dict | None:
    """Mean rank (1 = best, ties averaged) of each sampler over the rows complete for all of them."""
    complete = pd.DataFrame([[r[s] for s in samplers] for r in rows.values()
                             if all(r[s] is not None for s in samplers)], columns=list(samplers))
    return None if complete.empty else complete.rank(axis=1, ascending=False).mean().to_dict()


def write_report(out: Path, results: pd.DataFrame, args, command) -> str:
    from minority_gen.evaluation.report import machine_description

    datasets = args.datasets.split(",")
    candidates, references = pt.split_specs(args.candidates), pt.split_specs(args.references)
    classifiers = args.classifiers.split(",")
    outer = sorted(int(f) for f in args.outer_folds.split(","))
    table = summarise(results, datasets, candidates + references, classifiers, outer, args.inner_folds)
    lines = [
        "# Choosing defaults by cross-validation on protocol T's training folds",
        "",
        f"* command: `{command}`",
        f"* report written {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S UTC} on {machine_description()}",
        f"* outer training fold(s) {', '.join(map(str, outer))} of protocol T's StratifiedKFold(5, shuffle=True, "
        f"random_state=0), each split by StratifiedKFold({args.inner_folds}, shuffle=True, "
        f"random_state={INNER_SEED}); StandardScaler on each inner training part; the test folds are not read",
        f"* candidates: {', '.join(f'`{c}`' for c in candidates)}; references: "
        f"{', '.join(f'`{r}`' for r in references) or 'none'}",
        "",
        "Cells: mean inner-validation G-mean. Ranks: 1 = best, over the datasets complete for every sampler.",
        "",
    ]
    choice_ranks = {c: [] for c in candidates}
    for clf in classifiers:
        samplers = candidates + references
        lines += [f"## `{clf}`", "", "| dataset | " + " | ".join(samplers) + " |",
                  "|---|" + "---|" * len(samplers)]
        for ds, row in table[clf].items():
            lines.append(f"| {ds} | " + " | ".join("–" if row[s] is None else f"{row[s]:.3f}" for s in samplers) + " |")
        all_ranks, cand_ranks = mean_ranks(table[clf], samplers), mean_ranks(table[clf], candidates)
        if all_ranks:
            lines.append("| **mean rank, all** | " + " | ".join(f"{all_ranks[s]:.2f}" for s in samplers) + " |")
        if cand_ranks:
            lines.append("| **mean rank, candidates** | "
                         + " | ".join(f"{cand_ranks[s]:.2f}" if s in cand_ranks else "" for s in samplers) + " |")
            if clf in CHOICE_CLASSIFIERS:
                for c in candidates:
                    choice_ranks[c].append(cand_ranks[c])
        lines.append("")
    if all(len(v) == len([c for c in classifiers if c in CHOICE_CLASSIFIERS]) and v for v in choice_ranks.values()):
        score = {c: float(np.mean(v)) for c, v in choice_ranks.items()}
        best = min(score, key=score.get)
        lines += ["## Choice", "",
                  "Mean of the candidates' mean ranks over " + " and ".join(CHOICE_CLASSIFIERS) + ": "
                  + ", ".join(f"`{c}` {v:.2f}" for c, v in score.items()) + f". **Chosen: `{best}`.**", ""]
    else:
        lines += ["## Choice", "", "Not yet: some cells are missing.", ""]
    errors = results[results.metric == "error"]
    if len(errors):
        lines += ["## Failed cells", ""] + [f"* {r.dataset} outer {r.outer_fold} inner {r.fold} `{r.oversampler}` "
                                            f"{r.classifier}: {r.error}" for r in errors.itertuples()] + [""]
    text = "\n".join(lines)
    (out / "results.md").write_text(text)
    return text


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    command = "python benchmarks/choose_defaults.py" + (" " + shlex.join(argv) if argv else "")
    out = args.out or (Path(tempfile.mkdtemp(prefix="choose_defaults_")) if args.quick else DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    store = out / "runs.jsonl"
    import torch

    torch.set_num_threads(1)
    tables, missing = pt.load_tables(args.datasets.split(","), args.data or pt.default_data_dir())
    if missing:
        print(f"choose_defaults: missing dataset(s) {', '.join(missing)}; not run", file=sys.stderr)
        args.datasets = ",".join(tables)
    samplers = pt.parse_samplers(",".join(filter(None, [args.candidates, args.references])), {})
    classifiers, outer = args.classifiers.split(","), sorted(int(f) for f in args.outer_folds.split(","))
    grid = (tables, outer, samplers, classifiers, args.inner_folds, store, args.jobs)
    results = run(*grid, compute=False)
    if not args.report:
        total = len(tables) * len(outer) * args.inner_folds * len(samplers) * len(classifiers)
        print(f"choose_defaults: {total - int((results.metric == 'gmean').sum())} cell(s) to run", file=sys.stderr)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            results = run(*grid)
    old = old_records(store, args.inner_folds)
    have = set(map(tuple, results[results.metric == "gmean"][["dataset", "outer_fold", "fold", "oversampler"]]
                   .to_numpy().tolist()))
    old = old[[k not in have for k in map(tuple, old[["dataset", "outer_fold", "fold", "oversampler"]]
                                          .to_numpy().tolist())]]
    results = pd.concat([results, old], ignore_index=True) if len(old) else results
    print(write_report(out, results, args, command))
    return 1 if (results.metric == "error").any() else 0


if __name__ == "__main__":
    raise SystemExit(main())
