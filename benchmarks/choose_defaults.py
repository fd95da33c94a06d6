"""Choose GANOversampler defaults by cross-validation inside protocol T's training folds.

For each dataset of protocol T and each outer training fold used (``--outer-folds``, default the first), the
training fold is split again, StratifiedKFold(3, shuffle=True, random_state=1), and ``compare_on_datasets``
scores every sampler on the inner validation parts with protocol T's samplers, classifiers and metrics
(``benchmarks/protocol_t.py``); the test folds are never read. The candidate with the best mean rank of inner
G-mean over the datasets, averaged over ``lr`` and ``rf``, is the choice; reference samplers
(``--references``) are ranked beside the candidates but not chosen. Every cell goes to ``<out>/runs.jsonl``
(the engine's store: a run resumes); ``results.md`` is written at the end, or alone with ``--report`` (which
also reads this script's records from before the engine). benchmarks/README.md says why this choice was redone
on protocol V.

    python benchmarks/choose_defaults.py --jobs 2
    python benchmarks/choose_defaults.py --candidates 'rumi,rumi:{"anchor":"smote"}' --references smote,ros
    python benchmarks/choose_defaults.py --quick     # seconds, into a temporary folder
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from minority_gen.evaluation import compare_on_datasets
from minority_gen.evaluation.report import command_line, machine_description, table_lines

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import protocol_t as pt  # noqa: E402  (the same datasets, samplers, classifiers and metrics)

DEFAULT_OUT = HERE / "results" / "choose_defaults"
DEFAULTS = dict(datasets=",".join(pt.DATASETS), candidates='rumi,rumi:{"anchor":"smote"}', references="smote,ros",
                classifiers=",".join(pt.CLASSIFIERS), inner_folds=3)
QUICK = dict(datasets="breast_cancer_30", candidates='rumi:{"n_iter":40},rumi:{"n_iter":40,"anchor":"smote"}',
             references="smote", classifiers="lr,rf", inner_folds=2)
CHOICE_CLASSIFIERS = ("lr", "rf")
INNER_SEED = 1
WHERE = ["dataset", "outer_fold", "fold", "oversampler"]


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="folder holding imblearn_zenodo/ (default: ../shared/data)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--datasets", default=None, help="comma-separated (default: all of protocol T)")
    ap.add_argument("--candidates", default=None,
                    help=f"samplers to choose among (default: {DEFAULTS['candidates']})")
    ap.add_argument("--references", default=None,
                    help=f"samplers ranked beside them (default: {DEFAULTS['references']})")
    ap.add_argument("--classifiers", default=None, help="comma-separated (default: lr,rf,hgb)")
    ap.add_argument("--outer-folds", default="0", help="protocol T training folds to split (of 5; default 0)")
    ap.add_argument("--inner-folds", type=int, default=None, help="default 3")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="a tiny run into a temporary folder (smoke test)")
    ap.add_argument("--report", action="store_true", help="only rewrite the report from runs.jsonl")
    args = ap.parse_args(argv)
    for key, value in {**DEFAULTS, **(QUICK if args.quick else {})}.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.inner_folds < 2:
        ap.error("--inner-folds must be at least 2")
    return args


def run(tables: dict, outer, samplers: dict, classifiers, inner_folds: int, store: Path, jobs: int,
        compute: bool = True) -> pd.DataFrame:
    """The engine's cells, each outer training fold a table of its own split by the inner folds."""
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
        where = dict(zip(WHERE, (rec["dataset"], rec["outer_fold"], rec["inner_fold"], rec["sampler"])))
        if rec["status"] != "ok":
            rows.append({**where, "classifier": "", "metric": "error", "value": np.nan, "error": rec["error"]})
        rows += [{**where, "classifier": c, "metric": "gmean", "value": m["gmean"], "error": ""}
                 for c, m in rec.get("metrics", {}).items()]
    return pd.DataFrame(rows, columns=[*WHERE, "classifier", "metric", "value", "error"])


def mean_ranks(table: pd.DataFrame) -> pd.Series:
    """Mean rank (1 = best, ties averaged) of each column over the rows complete for all of them."""
    return table.dropna().rank(axis=1, ascending=False).mean()


def write_report(out: Path, results: pd.DataFrame, args, command) -> str:
    datasets, classifiers = args.datasets.split(","), args.classifiers.split(",")
    candidates, references = pt.split_specs(args.candidates), pt.split_specs(args.references)
    samplers, outer = candidates + references, sorted(int(f) for f in args.outer_folds.split(","))
    g = results[results.metric == "gmean"].drop_duplicates([*WHERE, "classifier"])
    stat = g.groupby(["classifier", "dataset", "oversampler"]).value.agg(["mean", "count"])
    means = stat["mean"].where(stat["count"] == len(outer) * args.inner_folds)  # NaN: a cell is missing
    lines = [
        "# Choosing defaults by cross-validation on protocol T's training folds", "", f"* command: `{command}`",
        f"* report written {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S UTC} on {machine_description()}",
        f"* outer training fold(s) {', '.join(map(str, outer))} of protocol T's StratifiedKFold(5, shuffle=True, "
        f"random_state=0), each split by StratifiedKFold({args.inner_folds}, shuffle=True, "
        f"random_state={INNER_SEED}); StandardScaler on each inner training part; the test folds are not read",
        f"* candidates: {', '.join(f'`{c}`' for c in candidates)}; references: "
        f"{', '.join(f'`{r}`' for r in references) or 'none'}", "",
        "Cells: mean inner-validation G-mean. Ranks: 1 = best, over the datasets complete for every sampler.", ""]
    choice_ranks = {c: [] for c in candidates}
    for clf in classifiers:
        table = pd.DataFrame([[means.get((clf, ds, s), np.nan) for s in samplers] for ds in datasets],
                             index=datasets, columns=samplers)
        rows = [[ds, *("–" if np.isnan(v) else f"{v:.3f}" for v in row)] for ds, row in table.iterrows()]
        all_ranks, cand_ranks = mean_ranks(table), mean_ranks(table[candidates])
        if all_ranks.notna().all():
            rows.append(["**mean rank, all**", *(f"{all_ranks[s]:.2f}" for s in samplers)])
        if cand_ranks.notna().all():
            rows.append(["**mean rank, candidates**", *(f"{cand_ranks[s]:.2f}" if s in cand_ranks else ""
                                                        for s in samplers)])
            for c in candidates if clf in CHOICE_CLASSIFIERS else ():
                choice_ranks[c].append(cand_ranks[c])
        lines += [f"## `{clf}`", "", *table_lines(["dataset", *samplers], rows), ""]
    lines += ["## Choice", ""]
    if all(len(v) == len([c for c in classifiers if c in CHOICE_CLASSIFIERS]) and v for v in choice_ranks.values()):
        score = {c: float(np.mean(v)) for c, v in choice_ranks.items()}
        lines += ["Mean of the candidates' mean ranks over " + " and ".join(CHOICE_CLASSIFIERS) + ": "
                  + ", ".join(f"`{c}` {v:.2f}" for c, v in score.items())
                  + f". **Chosen: `{min(score, key=score.get)}`.**", ""]
    else:
        lines += ["Not yet: some cells are missing.", ""]
    errors = results[results.metric == "error"]
    if len(errors):
        lines += ["## Failed cells", "", *(f"* {r.dataset} outer {r.outer_fold} inner {r.fold} `{r.oversampler}` "
                                           f"{r.classifier}: {r.error}" for r in errors.itertuples()), ""]
    text = "\n".join(lines)
    (out / "results.md").write_text(text)
    return text


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    out = args.out or (Path(tempfile.mkdtemp(prefix="choose_defaults_")) if args.quick else DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    import torch

    torch.set_num_threads(1)
    tables, missing = pt.load_tables(args.datasets.split(","), args.data or pt.default_data_dir())
    if missing:
        print(f"choose_defaults: missing dataset(s) {', '.join(missing)}; not run", file=sys.stderr)
        args.datasets = ",".join(tables)
    samplers = pt.parse_samplers(",".join(filter(None, [args.candidates, args.references])), {})
    outer = sorted(int(f) for f in args.outer_folds.split(","))
    grid = (tables, outer, samplers, args.classifiers.split(","), args.inner_folds, out / "runs.jsonl", args.jobs)
    results = run(*grid, compute=False)
    if not args.report:
        total = len(tables) * len(outer) * args.inner_folds * len(samplers) * len(grid[3])
        print(f"choose_defaults: {total - int((results.metric == 'gmean').sum())} cell(s) to run", file=sys.stderr)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            results = run(*grid)
    old = old_records(out / "runs.jsonl", args.inner_folds)
    have = set(results[results.metric == "gmean"].set_index(WHERE).index)
    old = old[[k not in have for k in old.set_index(WHERE).index]]
    results = pd.concat([results, old], ignore_index=True) if len(old) else results
    print(write_report(out, results, args, command_line("benchmarks/choose_defaults.py", argv)))
    return 1 if (results.metric == "error").any() else 0


if __name__ == "__main__":
    raise SystemExit(main())
