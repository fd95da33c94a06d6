"""Mixed-type table benchmark on the stroke data (issue 9): downstream scores and per-column fidelity.

Data: ``<data>/stroke.csv`` (``minority_gen.evaluation.datasets.default_data_dir``: ``$MINORITY_GEN_DATA``, else
``../shared/data``; 5,110 patients, 249 strokes, ``id`` dropped). Protocol: stratified 5-fold CV (shuffled, seed
0); in each training fold a sampler balances the two classes, LR and HGB are fitted on the result behind the same
preprocessing and scored on the untouched test fold, and the sampler's synthetic rows are compared column by column
with the test fold's real strokes. The samplers, the preprocessing and the fidelity scores in detail:
benchmarks/README.md, "Stroke, a mixed-type table".

    python benchmarks/stroke_mixed.py                  # all samplers, 5 folds (~20 min on 2 cores)
    PYTHONPATH=/path/to/ctgan-with-pandas2 python benchmarks/stroke_mixed.py --samplers ctgan
    python benchmarks/stroke_mixed.py --report         # tables from the runs recorded so far
    python benchmarks/stroke_mixed.py --quick          # smoke run: 2 folds, tiny GANs, no CTGAN

Runs go to ``results/stroke_mixed/runs.jsonl`` and are resumed from there (benchmarks/README.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from imblearn.metrics import geometric_mean_score
from imblearn.over_sampling import SMOTENC
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import or_exit, parser, timed  # noqa: E402
from minority_gen._version import OUTPUT_VERSION  # noqa: E402
from minority_gen.evaluation import column_fidelity, correlation_difference, make_classifier, parse_sampler  # noqa: E402
from minority_gen.evaluation.ctgan_sampler import CTGANSampler, ctgan_missing  # noqa: E402
from minority_gen.evaluation.datasets import default_data_dir, load_stroke  # noqa: E402
from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results  # noqa: E402
from minority_gen.evaluation.store import read_records  # noqa: E402

DATA = default_data_dir() / "stroke.csv"
OUT = HERE / "results" / "stroke_mixed"
CATEGORICAL = ["gender", "ever_married", "work_type", "Residence_type", "smoking_status"]
BINARY = ["hypertension", "heart_disease"]
CONTINUOUS = ["age", "avg_glucose_level", "bmi"]
SAMPLERS = ["none", "ros", "smotenc", "ctgan", "rumi", "cagan", "rumi-modes", "cagan-modes", "rumi-anchor",
            "cagan-anchor", "rumi-noise", "cagan-noise", "rumi-default", "cagan-default"]
VARIANTS = {"modes": {"continuous": "modes"}, "anchor": {"anchor": "smote"}, "noise": {"anchor": None}, "default": {}}
CLASSIFIERS = ["lr", "hgb"]
FIDELITY = ["tvd_categorical", "ks_continuous", "bmi_missing_rate", "corr_diff"]


def load() -> tuple[pd.DataFrame, np.ndarray]:
    return or_exit("stroke_mixed", load_stroke, DATA.parent)


def classifier(name: str):
    """``make_classifier(name)`` behind the preprocessing of the module docstring."""
    numeric = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    return make_pipeline(ColumnTransformer([("num", numeric, CONTINUOUS + BINARY),
                                            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)]),
                         make_classifier(name))


def resample(name: str, X: pd.DataFrame, y: np.ndarray, quick: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """The training fold balanced by sampler ``name`` (original rows first)."""
    imputed = X.fillna({"bmi": float(X["bmi"].median())})  # for SMOTENC and CTGAN, which refuse missing values
    if name == "none":
        return X, y
    if name == "ros":
        return parse_sampler("ros").fit_resample(X, y)
    if name == "smotenc":
        X_res, y_res = SMOTENC(categorical_features=CATEGORICAL, random_state=0).fit_resample(imputed, y)
        return pd.concat([X, X_res.iloc[len(X):]], ignore_index=True), y_res
    if name == "ctgan":
        ctgan = CTGANSampler(random_state=0, discrete_columns=CATEGORICAL + BINARY, **({"epochs": 2} if quick else {}))
        X_res, y_res = ctgan.fit_resample(imputed, y)
        return pd.concat([X, X_res.iloc[len(X):]], ignore_index=True), y_res
    method, _, variant = name.partition("-")
    params = {"device": "cpu", **(dict(n_iter=30, hidden_dims=[16]) if quick else {}), **VARIANTS.get(variant, {})}
    return parse_sampler(f"{method}:{json.dumps(params)}").fit_resample(X, y)


def fidelity(new: pd.DataFrame, real: pd.DataFrame) -> dict:
    cols = column_fidelity(real, new).set_index("column")
    return dict(zip(FIDELITY, (float(cols.loc[CATEGORICAL + BINARY, "value"].mean()),
                               float(cols.loc[CONTINUOUS, "value"].mean()), float(cols.loc["bmi", "missing_fake"]),
                               correlation_difference(real, new))))


def run_one(name: str, fold: int, train, test, X, y, quick: bool) -> dict:
    X_tr, y_tr = X.iloc[train].reset_index(drop=True), y[train]
    X_te, y_te = X.iloc[test].reset_index(drop=True), y[test]
    seconds, (X_res, y_res) = timed(lambda: resample(name, X_tr, y_tr, quick), 1)
    row = {"sampler": name, "fold": fold, "fit_time_s": seconds, "n_synthetic": int(len(X_res) - len(X_tr))}
    if name.partition("-")[0] in ("rumi", "cagan"):  # the package's samplers
        row["output_version"] = OUTPUT_VERSION
    for clf in CLASSIFIERS:
        model = classifier(clf).fit(X_res, y_res)
        pred, score = model.predict(X_te), model.predict_proba(X_te)[:, 1]
        row.update({f"{clf}_gmean": geometric_mean_score(y_te, pred),
                    f"{clf}_balanced_accuracy": balanced_accuracy_score(y_te, pred),
                    f"{clf}_average_precision": average_precision_score(y_te, score)})
    if row["n_synthetic"]:
        row.update(fidelity(X_res.iloc[len(X_tr):], X_te[y_te == 1]))
    if name == "none":  # the reference: the training fold's own strokes against the test fold's
        row.update({f"ref_{k}": v for k, v in fidelity(X_tr[y_tr == 1], X_te[y_te == 1]).items()})
    return row


def read_runs(path: Path) -> list[dict]:
    """The recorded rows of ``path`` that stand for their names today (none without the file): a ``-default`` row
    only at today's output version (the defaults move; its older rows stay in ``runs.jsonl``), every other name as
    recorded."""
    return [r for r in read_records(path)
            if not r["sampler"].endswith("-default") or r.get("output_version") == OUTPUT_VERSION]


def report(runs: pd.DataFrame, out: Path, command: str, notes=()) -> str:
    metrics = [f"{c}_{m}" for c in CLASSIFIERS for m in ("gmean", "balanced_accuracy", "average_precision")]
    order = [s for s in SAMPLERS if s in set(runs.sampler)]
    g = runs.groupby("sampler")
    mean, std = g[metrics].mean().loc[order], g[metrics].std().loc[order]
    real = runs[runs.sampler == "none"]
    synthetic = [s for s in order if s != "none" and FIDELITY[0] in runs
                 and runs[runs.sampler == s][FIDELITY[0]].notna().any()]
    X, y = load()
    lines = [
        "# Stroke: a mixed-type table (issue 9)", "", *run_stamp(command),
        "* torch threads 1; protocol: `benchmarks/stroke_mixed.py` docstring (5-fold stratified CV, seed 0; samplers "
        "inside the training folds only)", *(f"* {n}" for n in notes), "",
        "## Downstream scores (mean ± std over folds)", "",
        *table_lines(["sampler", "folds", "fit s", *metrics],
                     ([s, g.size()[s], f"{g.fit_time_s.mean()[s]:.1f}",
                       *(f"{mean.loc[s, m]:.3f} ± {std.loc[s, m]:.3f}" for m in metrics)] for s in order)),
        "", "## Fidelity of the synthetic strokes to the test fold's real strokes (mean over folds)", "",
        "Lower is better for every column but the missing rate, which should match the real one.", "",
        *table_lines(["rows", *FIDELITY], [*([["real (train)", *(f"{real[f'ref_{k}'].mean():.3f}" for k in FIDELITY)]]
                                             if len(real) and "ref_tvd_categorical" in real else []),
                                           *([s, *(f"{runs[runs.sampler == s][k].mean():.3f}" for k in FIDELITY)]
                                             for s in synthetic)]),
        "", f"Real missing rate of `bmi`: {X['bmi'].isna().mean():.3f} over all patients, "
        f"{X['bmi'][y == 1].isna().mean():.3f} over the strokes.", ""]
    write_results(out / "results.md", lines)
    g[metrics + ["fit_time_s"]].mean().loc[order].to_csv(out / "results.csv")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = parser(__doc__, OUT, quick="2 folds, tiny GANs and CTGAN, to check the script")
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--report", action="store_true", help="only write the report from recorded runs")
    ap.add_argument("--note", action="append", default=[], help="a line for the report's header (repeatable)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    names = [s for s in args.samplers.split(",") if s]
    if set(names) - set(SAMPLERS):
        raise SystemExit(f"unknown samplers {sorted(set(names) - set(SAMPLERS))}; choose from {SAMPLERS}")
    if "ctgan" in names and not args.report and (skip := ctgan_missing()):
        print(f"{skip}; it needs pandas<3", file=sys.stderr)
        names.remove("ctgan")
    X, y = load()
    runs_path = args.out / "runs.jsonl"
    done = set() if args.quick else {(r["sampler"], r["fold"]) for r in read_runs(runs_path)}
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y))[:2 if args.quick else None]
    args.out.mkdir(parents=True, exist_ok=True)
    for name in [] if args.report else names:
        for k, (train, test) in enumerate(folds):
            if (name, k) not in done:
                row = run_one(name, k, train, test, X, y, args.quick)
                print(f"{name} fold {k}: lr G-mean {row['lr_gmean']:.3f}, hgb G-mean {row['hgb_gmean']:.3f}, "
                      f"{row['fit_time_s']:.1f} s", flush=True)
                with runs_path.open("a") as f:
                    f.write(json.dumps(row) + "\n")
    runs = pd.DataFrame(read_runs(runs_path))
    given = list(argv if argv is not None else sys.argv[1:])
    shown = [a for i, a in enumerate(given) if a != "--note" and (i == 0 or given[i - 1] != "--note")]
    print(report(runs, args.out, command_line("benchmarks/stroke_mixed.py", shown), args.note))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
