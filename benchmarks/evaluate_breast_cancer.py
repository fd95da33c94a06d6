"""Run ``minority-gen evaluate`` on the demo data: breast cancer with 30 malignant rows.

scikit-learn's breast-cancer table with the malignant class (label 0 in
scikit-learn) cut to 30 rows (``numpy.random.default_rng(0).choice(...,
30, replace=False)``), all 357 benign rows kept. The table is written to a
temporary CSV and the command line is run on it, so the committed report
is exactly what a user gets from ``minority-gen evaluate``.

    python -m benchmarks.evaluate_breast_cancer           # full: GAN defaults (n_iter 2000), cv 5
    python -m benchmarks.evaluate_breast_cancer --quick   # n_iter 50, cv 3: a smoke run in seconds
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

from minority_gen.cli import main

HERE = Path(__file__).resolve().parent


def severe_breast_cancer(n_malignant: int = 30, seed: int = 0) -> pd.DataFrame:
    """The breast-cancer table with the malignant class (0) cut to ``n_malignant`` rows."""
    data = load_breast_cancer(as_frame=True)
    df = data.frame.rename(columns={"target": "label"})
    malignant = np.flatnonzero(df["label"].to_numpy() == 0)
    keep = np.random.default_rng(seed).choice(malignant, n_malignant, replace=False)
    rows = np.sort(np.concatenate([keep, np.flatnonzero(df["label"].to_numpy() == 1)]))
    return df.iloc[rows].reset_index(drop=True)


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="n_iter 50 and cv 3 (smoke run)")
    p.add_argument("--methods", default="none,ros,smote,rumi")
    p.add_argument("--out", type=Path, default=None,
                   help="report folder (default benchmarks/results/evaluate_breast_cancer[_quick])")
    p.add_argument("--note", action="append", default=[], help="extra line for the report header")
    return p.parse_args(argv)


def run(argv=None) -> int:
    args = parse(argv)
    name = "evaluate_breast_cancer_quick" if args.quick else "evaluate_breast_cancer"
    out = args.out or HERE / "results" / name
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "breast_cancer_30_malignant.csv"
        severe_breast_cancer().to_csv(csv, index=False)
        cli = ["evaluate", str(csv), "--target", "label", "--methods", args.methods, "--out", str(out),
               "--device", "cpu", "--note",
               "data: sklearn load_breast_cancer, malignant (label 0) cut to 30 rows with "
               "numpy default_rng(0).choice(..., 30, replace=False); written by "
               "benchmarks/evaluate_breast_cancer.py" + (" --quick" if args.quick else "")]
        cli += ["--n-iter", "50", "--cv", "3"] if args.quick else ["--cv", "5"]
        for note in args.note:
            cli += ["--note", note]
        return main(cli)


if __name__ == "__main__":
    sys.exit(run())
