"""Balance a mixed-type clinical table as it is: text categories, 0/1 flags and missing values.

The stroke table (``stroke.csv`` in ``$MINORITY_GEN_DATA``, else in
``../shared/data``; see its README) has five text columns, two 0/1 columns
and ``bmi`` with 201 missing values ("N/A").
No encoding or imputation is done here: ``GANOversampler`` reads each
column's kind from its dtype (docs/mixed_tables.md). A fifth of the strokes
are held back, and the synthetic strokes are compared with them column by
column, beside the training strokes themselves (what random oversampling
would copy).

    python examples/stroke_mixed.py [--data PATH] [--n-iter 2000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from minority_gen import GANOversampler
from minority_gen.evaluation import column_fidelity, correlation_difference
from minority_gen.evaluation.datasets import default_data_dir


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None,
                    help="the stroke CSV (default: stroke.csv in $MINORITY_GEN_DATA, else in ../shared/data)")
    ap.add_argument("--n-iter", type=int, default=None, help="generator updates (default: the estimator's 'auto')")
    args = ap.parse_args(argv)
    args.n_iter = "auto" if args.n_iter is None else args.n_iter
    args.data = default_data_dir() / "stroke.csv" if args.data is None else args.data
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found: pass the stroke table with --data, or its folder with "
                         "MINORITY_GEN_DATA.")
    torch.set_num_threads(1)
    df = pd.read_csv(args.data).drop(columns="id")
    X, y = df.drop(columns="stroke"), df["stroke"]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)

    sampler = GANOversampler(method="rumi", n_iter=args.n_iter, random_state=0)
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(X_tr, y_tr)
    print(f"{len(X_tr)} training rows ({int(y_tr.sum())} strokes) -> {len(X_res)} rows, "
          f"{time.perf_counter() - start:.1f} s; dtypes kept: {X_res.dtypes.equals(X_tr.dtypes)}")
    synthetic = X_res.iloc[len(X_tr):]
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(synthetic.head(6).round(1).to_string(index=False))

    held_back, train_strokes = X_te[y_te == 1], X_tr[y_tr == 1]
    table = column_fidelity(held_back, synthetic)[["column", "kind", "metric", "value", "missing_fake"]]
    table = table.rename(columns={"value": "synthetic", "missing_fake": "missing (synthetic)"})
    reference = column_fidelity(held_back, train_strokes)
    table.insert(4, "training strokes", reference["value"])
    table.insert(5, "missing (held back)", reference["missing_real"])
    table.insert(6, "missing (training)", reference["missing_fake"])
    print("\nPer column, against the held-back strokes (tvd / ks: lower is closer):")
    print(table.round(3).to_string(index=False))
    print(f"\ncorrelation difference: synthetic {correlation_difference(held_back, synthetic):.3f}, "
          f"training strokes {correlation_difference(held_back, train_strokes):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
