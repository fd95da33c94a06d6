"""Mixed-type table benchmark on the stroke data (issue 9): downstream scores and per-column fidelity.

``<data>/stroke.csv`` (``minority_gen.evaluation.datasets.default_data_dir``: ``$MINORITY_GEN_DATA``, else
``../shared/data``; 5,110 patients, 249 strokes): five
categorical columns (``gender``, ``ever_married``, ``work_type``,
``Residence_type``, ``smoking_status``), two 0/1 columns, three continuous
ones, ``bmi`` with 201 missing values. ``id`` is dropped.

Protocol: stratified 5-fold CV (shuffled, seed 0). In each training fold a
sampler balances the two classes; two classifiers are fitted on the result
behind the same preprocessing (numbers: median imputation with a missing
indicator, standardisation; categories: one-hot), and scored on the
untouched test fold: G-mean, balanced accuracy, average precision.

Samplers:

* ``none``; ``ros`` = ``RandomOverSampler(random_state=0)``;
* ``smotenc`` = ``SMOTENC(categorical_features=<the 5 text columns>,
  random_state=0)`` — SMOTENC cannot take missing values, so ``bmi`` is
  median-imputed (training-fold median) first and its synthetic rows have
  no missing ``bmi``;
* ``ctgan`` = ``CTGAN(enable_gpu=False, verbose=False)`` fitted on the
  minority rows of the training fold (``discrete_columns`` = the 5 text and
  2 0/1 columns), sampled to balance the classes; it refuses missing values
  in continuous columns, so ``bmi`` is median-imputed for it too (skipped
  when the ``ctgan`` package is absent; it needs ``pandas<3``);
* ``rumi`` = ``GANOversampler(method="rumi", random_state=0)`` on the
  DataFrame as read (categories, 0/1 integers and missing ``bmi`` handled by
  :mod:`minority_gen.tabular`);
* ``cagan`` = ``GANOversampler(method="cagan", random_state=0)``: the
  conditional method with the best mean G-mean rank over the three
  classifiers of protocol T (``benchmarks/results/protocol_t``), chosen
  there and not on this data;
* ``rumi-modes``, ``cagan-modes``: the same with ``continuous="modes"``
  (mode-specific normalisation of the continuous columns, as CTGAN does);
* ``rumi-anchor``, ``cagan-anchor``: with ``anchor="smote"`` (generators that
  refine SMOTE interpolations, docs/sample_quality.md); ``rumi-noise``,
  ``cagan-noise``: with ``anchor=None`` (rows from noise alone).

Fidelity: each sampler's synthetic rows of a fold against the real strokes
of the *test* fold (rows no sampler saw), by column kind
(:func:`minority_gen.evaluation.column_fidelity`): mean TVD of the level
frequencies of the categorical and 0/1 columns, mean KS statistic of the
continuous ones, the ``bmi`` missing rate, and the correlation difference.
As a reference the training fold's own strokes are scored the same way
(``real (train)``).

    python benchmarks/stroke_mixed.py                  # all samplers, 5 folds (~20 min on 2 cores)
    PYTHONPATH=/path/to/ctgan-with-pandas2 python benchmarks/stroke_mixed.py --samplers ctgan
    python benchmarks/stroke_mixed.py --report         # tables from the runs recorded so far
    python benchmarks/stroke_mixed.py --quick          # smoke run: 2 folds, tiny GANs, no CTGAN

Runs are appended to ``results/stroke_mixed/runs.jsonl`` (one line per
sampler and fold) and skipped when already there, so a run can be resumed or
extended with ``--samplers``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from minority_gen.evaluation import parse_sampler  # noqa: E402
from minority_gen.evaluation.datasets import default_data_dir  # noqa: E402
from minority_gen.evaluation.report import command_line, run_stamp, table_lines  # noqa: E402

DATA = default_data_dir() / "stroke.csv"
OUT = HERE / "results" / "stroke_mixed"
TARGET = "stroke"
CATEGORICAL = ["gender", "ever_married", "work_type", "Residence_type", "smoking_status"]
BINARY = ["hypertension", "heart_disease"]
CONTINUOUS = ["age", "avg_glucose_level", "bmi"]
SAMPLERS = ["none", "ros", "smotenc", "ctgan", "rumi", "cagan", "rumi-modes", "cagan-modes", "rumi-anchor",
            "cagan-anchor", "rumi-noise", "cagan-noise"]
VARIANTS = {"modes": {"continuous": "modes"}, "anchor": {"anchor": "smote"}, "noise": {"anchor": None}}
CLASSIFIERS = ["lr", "hgb"]


def load(path: Path = DATA) -> tuple[pd.DataFrame, np.ndarray]:
    if not path.is_file():
        raise SystemExit(f"{path} not found: the stroke table lives in the shared data folder (see its README).")
    df = pd.read_csv(path).drop(columns="id")
    return df.drop(columns=TARGET), df[TARGET].to_numpy()


def preprocessor():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    return ColumnTransformer([("num", numeric, CONTINUOUS + BINARY),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)])


def classifier(name: str):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = LogisticRegression(max_iter=3000) if name == "lr" else HistGradientBoostingClassifier(random_state=0)
    return make_pipeline(preprocessor(), model)


def impute_bmi(X: pd.DataFrame, median: float) -> pd.DataFrame:
    return X.fillna({"bmi": median})


def resample(name: str, X: pd.DataFrame, y: np.ndarray, quick: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """The training fold balanced by sampler ``name`` (original rows first)."""
    n_new = int((y == 0).sum() - (y == 1).sum())
    if name == "none":
        return X, y
    if name == "ros":
        return parse_sampler("ros").fit_resample(X, y)
    if name == "smotenc":
        from imblearn.over_sampling import SMOTENC

        Xi = impute_bmi(X, float(X["bmi"].median()))
        X_res, y_res = SMOTENC(categorical_features=CATEGORICAL, random_state=0).fit_resample(Xi, y)
        return pd.concat([X, X_res.iloc[len(X):]], ignore_index=True), y_res
    if name == "ctgan":
        from ctgan import CTGAN

        pos = impute_bmi(X[y == 1], float(X["bmi"].median()))
        model = CTGAN(enable_gpu=False, verbose=False, **({"epochs": 2} if quick else {}))
        model.set_random_state(0)
        model.fit(pos.reset_index(drop=True), discrete_columns=CATEGORICAL + BINARY)
        new = model.sample(n_new)[list(X.columns)].astype(X.dtypes.to_dict())
        return pd.concat([X, new], ignore_index=True), np.r_[y, np.ones(n_new, dtype=y.dtype)]
    method, _, variant = name.partition("-")
    params = {"device": "cpu", **(dict(n_iter=30, hidden_dims=[16]) if quick else {}), **VARIANTS.get(variant, {})}
    return parse_sampler(f"{method}:{json.dumps(params)}").fit_resample(X, y)


def fidelity(new: pd.DataFrame, real: pd.DataFrame) -> dict:
    from minority_gen.evaluation import column_fidelity, correlation_difference

    cols = column_fidelity(real, new).set_index("column")
    return {
        "tvd_categorical": float(cols.loc[CATEGORICAL + BINARY, "value"].mean()),
        "ks_continuous": float(cols.loc[CONTINUOUS, "value"].mean()),
        "bmi_missing_rate": float(cols.loc["bmi", "missing_fake"]),
        "corr_diff": correlation_difference(real, new),
    }


def run_one(name: str, fold: int, train, test, X, y, quick: bool) -> dict:
    from imblearn.metrics import geometric_mean_score
    from sklearn.metrics import average_precision_score, balanced_accuracy_score

    X_tr, y_tr = X.iloc[train].reset_index(drop=True), y[train]
    X_te, y_te = X.iloc[test].reset_index(drop=True), y[test]
    start = time.perf_counter()
    X_res, y_res = resample(name, X_tr, y_tr, quick)
    row = {"sampler": name, "fold": fold, "fit_time_s": time.perf_counter() - start,
           "n_synthetic": int(len(X_res) - len(X_tr))}
    for clf_name in CLASSIFIERS:
        model = classifier(clf_name).fit(X_res, y_res)
        pred, score = model.predict(X_te), model.predict_proba(X_te)[:, 1]
        row[f"{clf_name}_gmean"] = geometric_mean_score(y_te, pred)
        row[f"{clf_name}_balanced_accuracy"] = balanced_accuracy_score(y_te, pred)
        row[f"{clf_name}_average_precision"] = average_precision_score(y_te, score)
    real_test = X_te[y_te == 1]
    if row["n_synthetic"]:
        row.update(fidelity(X_res.iloc[len(X_tr):], real_test))
    if name == "none":  # the reference: the training fold's own strokes against the test fold's
        row.update({f"ref_{k}": v for k, v in fidelity(X_tr[y_tr == 1], real_test).items()})
    return row


def report(runs: pd.DataFrame, out: Path, command: str, notes=()) -> str:
    metrics = [f"{c}_{m}" for c in CLASSIFIERS for m in ("gmean", "balanced_accuracy", "average_precision")]
    order = [s for s in SAMPLERS if s in set(runs.sampler)]
    g = runs.groupby("sampler")
    mean, std = g[metrics].mean().loc[order], g[metrics].std().loc[order]
    fid = ["tvd_categorical", "ks_continuous", "bmi_missing_rate", "corr_diff"]
    real = runs[runs.sampler == "none"]
    synthetic = [s for s in order if s != "none" and fid[0] in runs and runs[runs.sampler == s][fid[0]].notna().any()]
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
        *table_lines(["rows", *fid], [*([["real (train)", *(f"{real[f'ref_{k}'].mean():.3f}" for k in fid)]]
                                        if len(real) and "ref_tvd_categorical" in real else []),
                                      *([s, *(f"{runs[runs.sampler == s][k].mean():.3f}" for k in fid)]
                                        for s in synthetic)]),
    ]
    X, y = load()
    lines += ["", f"Real missing rate of `bmi`: {X['bmi'].isna().mean():.3f} over all patients, "
              f"{X['bmi'][y == 1].isna().mean():.3f} over the strokes."]
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text)
    g[metrics + ["fit_time_s"]].mean().loc[order].to_csv(out / "results.csv")
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 folds, tiny GANs and CTGAN, to check the script")
    ap.add_argument("--report", action="store_true", help="only write the report from recorded runs")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--note", action="append", default=[], help="a line for the report's header (repeatable)")
    args = ap.parse_args(argv)
    import torch
    from sklearn.model_selection import StratifiedKFold

    torch.set_num_threads(1)
    names = [s for s in args.samplers.split(",") if s]
    unknown = set(names) - set(SAMPLERS)
    if unknown:
        raise SystemExit(f"unknown samplers {sorted(unknown)}; choose from {SAMPLERS}")
    if "ctgan" in names and not args.report:
        try:
            import ctgan  # noqa: F401
        except ImportError as err:
            print(f"ctgan skipped: {err} (install ctgan, which needs pandas<3)", file=sys.stderr)
            names.remove("ctgan")
    X, y = load()
    runs_path = args.out / "runs.jsonl"
    done = set()
    if runs_path.exists() and not args.quick:
        done = {(r["sampler"], r["fold"]) for r in map(json.loads, runs_path.read_text().splitlines())}
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y))
    if args.quick:
        folds = folds[:2]
    if not args.report:
        args.out.mkdir(parents=True, exist_ok=True)
        for name in names:
            for k, (train, test) in enumerate(folds):
                if (name, k) in done:
                    continue
                row = run_one(name, k, train, test, X, y, args.quick)
                print(f"{name} fold {k}: lr G-mean {row['lr_gmean']:.3f}, hgb G-mean {row['hgb_gmean']:.3f}, "
                      f"{row['fit_time_s']:.1f} s", flush=True)
                with runs_path.open("a") as f:
                    f.write(json.dumps(row) + "\n")
    runs = pd.DataFrame(list(map(json.loads, runs_path.read_text().splitlines())))
    given = list(argv if argv is not None else sys.argv[1:])
    shown = [a for i, a in enumerate(given) if a != "--note" and (i == 0 or given[i - 1] != "--note")]
    print(report(runs, args.out, command_line("benchmarks/stroke_mixed.py", shown), args.note))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
