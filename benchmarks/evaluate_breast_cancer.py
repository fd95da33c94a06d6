"""``minority-gen evaluate`` on the demo data, ``breast_cancer_30`` of ``minority_gen.evaluation.datasets`` (protocol
T's table: 357 benign rows, 30 malignant, label 1) written to a temporary CSV: the committed report is exactly
what a user gets from the command line.

    python -m benchmarks.evaluate_breast_cancer           # full: GAN defaults, cv 5
    python -m benchmarks.evaluate_breast_cancer --quick   # n_iter 50, cv 3: a smoke run in seconds
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer

from benchmarks._timing import parser
from minority_gen.cli import main
from minority_gen.evaluation.datasets import load_dataset

HERE = Path(__file__).resolve().parent


def run(argv=None) -> int:
    p = parser(__doc__, quick="n_iter 50 and cv 3 (smoke run)")
    p.add_argument("--methods", default="none,ros,smote,rumi")
    p.add_argument("--out", type=Path, default=None,
                   help="report folder (default benchmarks/results/evaluate_breast_cancer[_quick])")
    p.add_argument("--note", action="append", default=[], help="extra line for the report header")
    args = p.parse_args(argv)
    out = args.out or HERE / "results" / ("evaluate_breast_cancer_quick" if args.quick else "evaluate_breast_cancer")
    X, y = load_dataset("breast_cancer_30")
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "breast_cancer_30_malignant.csv"
        pd.DataFrame(X, columns=load_breast_cancer().feature_names).assign(label=y).to_csv(csv, index=False)
        cli = ["evaluate", str(csv), "--target", "label", "--methods", args.methods, "--out", str(out),
               "--device", "cpu", "--note",
               "data: breast_cancer_30 of minority_gen.evaluation.datasets (sklearn load_breast_cancer, malignant "
               "= label 1 cut to 30 rows by RandomState(0).choice); written by "
               "benchmarks/evaluate_breast_cancer.py" + (" --quick" if args.quick else "")]
        cli += ["--n-iter", "50", "--cv", "3"] if args.quick else ["--cv", "5"]
        return main(cli + [arg for note in args.note for arg in ("--note", note)])


if __name__ == "__main__":
    sys.exit(run())
