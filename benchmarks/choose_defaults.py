"""Choose GANOversampler defaults by cross-validation inside protocol T's training folds.

Protocol T (``benchmarks/protocol_t.py``) scores samplers on test folds; a
default chosen by those scores would be tuned on the test data. This script
makes the choice on the training folds only: for each dataset of protocol T
and each outer training fold it uses (``--outer-folds``, default the first),
the training fold is split again, ``StratifiedKFold(3, shuffle=True,
random_state=1)``; every candidate sampler is fitted on each inner training
part (after a ``StandardScaler`` fitted there) and every classifier is scored
on the inner validation part. The test folds are never read.

The candidate with the best mean rank of inner G-mean over the datasets,
averaged over logistic regression and random forest (the two classifiers the
targets of issue 8 name), is the choice. Reference samplers (``smote``,
``ros``) may be listed too: they take part in the ranks shown, not in the
choice (``--references``).

Every cell (dataset, outer fold, inner fold, candidate) is appended to
``runs.jsonl`` as it finishes, so a run can be interrupted and resumed; the
report (``results.md``) is rewritten at the end, or alone with ``--report``.

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
import time
import traceback
from pathlib import Path

import numpy as np

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


def run_cell(task: dict) -> dict:
    """Fit one sampler on one inner training part and score every classifier on its validation part."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    pt.single_thread()
    rec = {k: task[k] for k in ("dataset", "outer_fold", "inner_fold", "inner_folds", "sampler")}
    rec.update(params=task["spec"]["params"], commit=task["commit"], machine=task["machine"])
    start = time.perf_counter()
    try:
        with threadpool_limits(1):
            X, y = task["X"], task["y"]
            train, _ = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))[task["outer_fold"]]
            Xt, yt = X[train], y[train]  # the outer test fold is never touched
            inner = StratifiedKFold(task["inner_folds"], shuffle=True, random_state=INNER_SEED)
            fit_idx, val_idx = list(inner.split(Xt, yt))[task["inner_fold"]]
            scaler = StandardScaler().fit(Xt[fit_idx])
            X_fit, X_val = scaler.transform(Xt[fit_idx]), scaler.transform(Xt[val_idx])
            y_fit, y_val = yt[fit_idx], yt[val_idx]
            spec = task["spec"]
            sampler = pt.build_sampler(pt.SamplerSpec(spec["label"], spec["name"], spec["params"]))
            if spec["name"] in pt.gan_methods():
                pt.warm_up(spec["name"])
            t0 = time.perf_counter()
            X_res, y_res = (X_fit, y_fit) if sampler is None else sampler.fit_resample(X_fit, y_fit)
            rec["fit_s"] = round(time.perf_counter() - t0, 3)
            rec["metrics"] = {}
            for clf_name in task["classifiers"]:
                clf = pt.build_classifier(clf_name).fit(np.asarray(X_res, dtype=float), np.asarray(y_res))
                proba = clf.predict_proba(X_val)[:, list(clf.classes_).index(1)]
                rec["metrics"][clf_name] = {m: float(fn(y_val, clf.predict(X_val), proba))
                                            for m, fn in pt.METRICS.items()}
        rec["status"] = "ok"
    except Exception as err:  # recorded and retried on the next run, never dropped
        rec.update(status="error", error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc(limit=-4))
    rec["cell_s"] = round(time.perf_counter() - start, 3)
    return rec


def _key(rec: dict) -> tuple:
    return rec["dataset"], rec["outer_fold"], rec["inner_fold"], rec["inner_folds"], rec["sampler"]


def read_runs(path: Path) -> dict:
    done: dict = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                done[_key(rec)] = rec  # the latest line of a cell wins
    return done


def summarise(done: dict, datasets, samplers, classifiers, outer, inner_folds):
    """Per classifier: dataset → sampler → mean inner G-mean (None when a cell is missing)."""
    table = {}
    for clf in classifiers:
        table[clf] = {}
        for ds in datasets:
            row = {}
            for s in samplers:
                cells = [done.get((ds, o, i, inner_folds, s)) for o in outer for i in range(inner_folds)]
                ok = all(c is not None and c["status"] == "ok" and clf in c["metrics"] for c in cells)
                row[s] = float(np.mean([c["metrics"][clf]["gmean"] for c in cells])) if ok else None
            table[clf][ds] = row
    return table


def mean_ranks(rows: dict, samplers) -> dict | None:
    from scipy.stats import rankdata

    complete = [r for r in rows.values() if all(r[s] is not None for s in samplers)]
    if not complete:
        return None
    ranks = np.array([rankdata([-r[s] for s in samplers]) for r in complete])
    return dict(zip(samplers, ranks.mean(0)))


def write_report(out: Path, done, args, command) -> str:
    datasets = args.datasets.split(",")
    candidates, references = pt.split_specs(args.candidates), pt.split_specs(args.references)
    classifiers = args.classifiers.split(",")
    outer = sorted(int(f) for f in args.outer_folds.split(","))
    table = summarise(done, datasets, candidates + references, classifiers, outer, args.inner_folds)
    lines = [
        "# Choosing defaults by cross-validation on protocol T's training folds",
        "",
        f"* command: `{command}`",
        f"* report written {pt._now()} on {pt.machine()}",
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
        all_ranks = mean_ranks(table[clf], samplers)
        cand_ranks = mean_ranks(table[clf], candidates)
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
    errors = [r for r in done.values() if r["status"] != "ok"]
    if errors:
        lines += ["## Failed cells", ""] + [f"* {_key(r)}: {r['error']}" for r in errors] + [""]
    text = "\n".join(lines)
    (out / "results.md").write_text(text)
    return text


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    command = "python benchmarks/choose_defaults.py" + (" " + shlex.join(argv) if argv else "")
    out = args.out or (Path(tempfile.mkdtemp(prefix="choose_defaults_")) if args.quick else DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    runs = out / "runs.jsonl"
    pt.single_thread()
    done = read_runs(runs)
    if not args.report:
        data, missing = pt.load_datasets(args.data or pt.default_data_dir(), args.datasets.split(","))
        if missing:
            print(f"choose_defaults: missing dataset(s) {', '.join(missing)}; not run", file=sys.stderr)
            args.datasets = ",".join(d for d in args.datasets.split(",") if d in data)
        specs = pt.parse_samplers(",".join(filter(None, [args.candidates, args.references])), {})
        commit, host = pt.git_commit(), pt.machine()
        tasks = []
        for ds in args.datasets.split(","):
            X, y = data[ds]
            for o in sorted(int(f) for f in args.outer_folds.split(",")):
                for i in range(args.inner_folds):
                    for spec in specs:
                        prev = done.get((ds, o, i, args.inner_folds, spec.label))
                        if prev is not None and prev["status"] == "ok":
                            continue
                        tasks.append(dict(dataset=ds, outer_fold=o, inner_fold=i, inner_folds=args.inner_folds,
                                          sampler=spec.label, X=X, y=y, classifiers=args.classifiers.split(","),
                                          spec=dict(label=spec.label, name=spec.name, params=spec.params),
                                          commit=commit, machine=host))
        print(f"choose_defaults: {len(tasks)} cell(s) to run", file=sys.stderr)
        if args.jobs > 1 and len(tasks) > 1:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=args.jobs, backend="loky", return_as="generator_unordered")(
                delayed(run_cell)(t) for t in tasks)
        else:
            results = (run_cell(t) for t in tasks)
        with runs.open("a") as fh:
            for n, rec in enumerate(results, 1):
                fh.write(json.dumps(rec) + "\n")
                fh.flush()
                done[_key(rec)] = rec
                scores = " ".join(f"{c} {m['gmean']:.3f}" for c, m in rec.get("metrics", {}).items())
                print(f"[{n}/{len(tasks)}] {rec['dataset']} outer {rec['outer_fold']} inner {rec['inner_fold']} "
                      f"{rec['sampler']}: {rec['status']} {scores} ({rec['cell_s']:.1f} s)", file=sys.stderr)
    print(write_report(out, done, args, command))
    failed = [r for r in done.values() if r["status"] != "ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
