"""Where generated rows sit against the border: crossing share and depth under the fold's own logistic regression.

For each table, fold and sampler: the training fold is standardised, the sampler grows the minority
class, and a ``LogisticRegression(class_weight="balanced", max_iter=3000)`` fitted on the real training
rows judges the new rows:

* **crossing share**: the share of new rows it assigns to the other class (issue "boundary": at most
  SMOTE's (k = 5) plus one point);
* **depth**: the median logit margin of the new rows towards the minority class, beside the real
  minority rows' median (the new rows should not be deeper in the class than the data);
* **off the span**: the root mean square distance of the new rows from the affine hull of the real minority
  rows, in directions in which those rows do not vary at all (standardised units): exact linear relations
  that every real row obeys (a constant column, a total and its parts), which SMOTE's interpolations keep
  (0) and a linear model can key on when generated rows break them (``correction="covariance"``).

``--collection dev`` runs protocol V's tables (where choices are made), ``--collection t`` protocol T's
(reporting only); ``--bc30`` the breast-cancer case of the issue: 3 random draws of 30 malignant rows
(seeds 0, 1, 2) with every benign row, standardised, the whole table as the training set. Cells go to a
resumable JSONL store as they finish (a re-run computes only what is missing); the report
``results/boundary_diagnostics_<collection>.md`` is written from the store.

    python benchmarks/boundary_diagnostics.py --collection dev --folds 1
    python benchmarks/boundary_diagnostics.py --bc30
    python benchmarks/boundary_diagnostics.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from benchmarks.dev_collection import PREVIOUS  # noqa: E402 - the table defaults before the boundary choice

#: SMOTE (k = 5, the issue's yardstick), the default, and the table defaults before the boundary choice (the options
#: compared are in the reports at output version 38b0aec79ece24ea:
#: ``git show be059de:benchmarks/results/boundary_diagnostics_t.md``).
SAMPLERS = ["smote:{\"k_neighbors\": 5}", "rumi", PREVIOUS]


def judge(X_train: np.ndarray, y_train: np.ndarray, X_new: np.ndarray, minority) -> dict:
    """Crossing share and median margins of ``X_new`` under the real rows' balanced logistic regression."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(class_weight="balanced", max_iter=3000).fit(X_train, y_train)
    sign = 1.0 if lr.classes_[1] == minority else -1.0
    margin_new = sign * lr.decision_function(X_new)
    margin_real = sign * lr.decision_function(X_train[y_train == minority])
    return {"n_new": int(len(X_new)), "crossing": float(np.mean(lr.predict(X_new) != minority)),
            "depth_new": float(np.median(margin_new)), "depth_real": float(np.median(margin_real)),
            "off_span": off_span(X_train[y_train == minority], X_new)}


def off_span(real: np.ndarray, new: np.ndarray) -> float:
    """RMS norm of ``new - mean(real)`` in the directions in which the rows ``real`` do not vary (eigenvalues of
    their covariance below float64 round-off of the largest); 0 when the rows span every direction."""
    centred = real - real.mean(0)
    values, vectors = np.linalg.eigh(centred.T @ centred / max(len(real) - 1, 1))
    null = vectors[:, values <= values.max() * real.shape[1] * np.finfo(float).eps]
    if not null.shape[1] or not len(new):
        return 0.0
    return float(np.sqrt(np.mean(np.sum(((new - real.mean(0)) @ null) ** 2, axis=1))))


def cell(X_train, y_train, spec: str, seed: int) -> dict:
    from sklearn.preprocessing import StandardScaler

    from minority_gen.evaluation.samplers import parse_sampler

    scaler = StandardScaler().fit(X_train)
    Xs = scaler.transform(X_train)
    minority = pd.Series(y_train).value_counts().idxmin()
    sampler = parse_sampler(spec, random_state=seed)
    X_res, _ = sampler.fit_resample(Xs, y_train)
    return judge(Xs, y_train, np.asarray(X_res)[len(Xs):], minority)


def tasks(args):
    """(table, fold, X_train, y_train) for the chosen collection."""
    from sklearn.model_selection import StratifiedKFold

    from minority_gen.evaluation.datasets import COLLECTIONS, load_dataset

    if args.bc30:
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        y = 1 - y  # malignant = 1, the minority
        for draw in range(3):
            keep = np.r_[np.flatnonzero(y == 0),
                         np.sort(np.random.default_rng(draw).choice(np.flatnonzero(y == 1), 30, replace=False))]
            yield "breast_cancer_30", draw, X[keep], y[keep]
        return
    names = args.datasets.split(",") if args.datasets else list(COLLECTIONS["dev" if args.collection == "dev"
                                                                            else "protocol_t"])
    if args.quick:
        names = names[:2]
    for name in names:
        X, y = load_dataset(name)
        splits = StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)
        for fold, (train, _) in enumerate(splits):
            if fold >= args.folds:
                break
            yield name, fold, X[train], y[train]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--collection", choices=["dev", "t"], default="dev")
    p.add_argument("--bc30", action="store_true", help="breast cancer with 30 malignant rows, 3 draws")
    p.add_argument("--datasets", default=None, help="comma-separated subset of the collection's tables")
    p.add_argument("--folds", type=int, default=5, help="the first N folds of the 5-fold split (default 5)")
    p.add_argument("--samplers", default=None, help="JSON list of sampler specs (default: SAMPLERS)")
    p.add_argument("--quick", action="store_true", help="2 tables, 1 fold, 20 GAN iterations, temporary store")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    samplers = json.loads(args.samplers) if args.samplers else SAMPLERS
    if args.quick:
        args.folds = 1
        samplers = ["smote", 'rumi:{"n_iter": 20}', 'rumi:{"n_iter": 20, "boundary": 1.0}']
    tag = "bc30" if args.bc30 else args.collection
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "boundary_quick" if args.quick else HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    store = out / f"boundary_diagnostics_{tag}.jsonl"
    from minority_gen._version import OUTPUT_VERSION

    done = set()
    if store.exists():
        for line in store.read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            done.add((r["table"], r["fold"], r["sampler"], r["output_version"]))
    for table, fold, X_train, y_train in tasks(args):
        for spec in samplers:
            if (table, fold, spec, OUTPUT_VERSION) in done:
                continue
            start = datetime.now(timezone.utc)
            result = cell(X_train, y_train, spec, seed=0)
            record = {"table": table, "fold": fold, "sampler": spec, "output_version": OUTPUT_VERSION, **result,
                      "seconds": round((datetime.now(timezone.utc) - start).total_seconds(), 1),
                      "load": round(os.getloadavg()[0], 2)}
            with open(store, "a") as fh:
                fh.write(json.dumps(record) + "\n")
            print(record, flush=True)
    report(store, out / f"boundary_diagnostics_{tag}.md", samplers, argv)
    return 0


def report(store: Path, path: Path, samplers: list[str], argv) -> None:
    from minority_gen._version import OUTPUT_VERSION

    rows = [json.loads(line) for line in store.read_text().splitlines() if line.strip()]
    df = pd.DataFrame([r for r in rows if r["output_version"] == OUTPUT_VERSION and r["sampler"] in samplers])
    if df.empty:
        return
    if "off_span" not in df:
        df["off_span"] = np.nan
    per = df.groupby(["table", "sampler"]).agg(crossing=("crossing", "mean"), depth_new=("depth_new", "median"),
                                               depth_real=("depth_real", "median"), off_span=("off_span", "mean"),
                                               folds=("fold", "nunique"))
    lines = [f"# Generated rows against the border ({path.stem.removeprefix('boundary_diagnostics_')})", "",
             f"`python benchmarks/boundary_diagnostics.py {shlex.join(argv or sys.argv[1:])}`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, 1 torch "
             f"thread; {datetime.now(timezone.utc):%Y-%m-%d}; package output version {OUTPUT_VERSION}.", "",
             "Per table (crossing and off span averaged over the folds or draws, depths their median): the share "
             "of new rows that the fold's own balanced logistic regression "
             "(fitted on the real training rows) assigns to the majority (crossing), and the median logit margin "
             "of the new rows towards the minority against the real minority rows' (depth new / real), and the "
             "new rows' RMS distance off the real minority rows' span, in the directions in which those rows do "
             "not vary (off span; SMOTE's interpolations: 0).", "",
             "| table | " + " | ".join(samplers) + " |", "|---|" + "---|" * len(samplers)]
    for table in sorted(per.index.get_level_values(0).unique()):
        cells = []
        for s in samplers:
            if (table, s) in per.index:
                r = per.loc[(table, s)]
                cells.append(f"{r.crossing:.3f} / {r.depth_new:.2f} / {r.depth_real:.2f} / "
                             + ("–" if np.isnan(r.off_span) else f"{r.off_span:.3f}"))
            else:
                cells.append("–")
        lines.append(f"| {table} | " + " | ".join(cells) + " |")
    smote = samplers[0]
    lines += ["", "Cells: crossing / depth new / depth real / off span. Tables where a sampler's crossing exceeds "
              f"{smote}'s by more than one point, and where its new rows are deeper than the real rows:", ""]
    for s in samplers[1:]:
        over = [t for t in per.index.get_level_values(0).unique()
                if (t, s) in per.index and (t, smote) in per.index
                and per.loc[(t, s)].crossing > per.loc[(t, smote)].crossing + 0.01]
        deeper = [t for t in per.index.get_level_values(0).unique()
                  if (t, s) in per.index and per.loc[(t, s)].depth_new > per.loc[(t, s)].depth_real]
        n = sum((t, s) in per.index for t in per.index.get_level_values(0).unique())
        lines.append(f"* `{s}` ({n} tables): crossing above SMOTE + 1 point on {len(over)} "
                     f"({', '.join(over) or 'none'}); deeper than the data on {len(deeper)} "
                     f"({', '.join(deeper) or 'none'})")
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
