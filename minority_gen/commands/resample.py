"""``minority-gen resample``: balance a CSV table with a GAN."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from ..oversampler import GANOversampler
from ._common import add_gan_arguments, gan_kwargs

NAME = "resample"
HELP = "Balance a CSV table: write the original rows plus synthetic minority rows."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", type=Path, help="input CSV with a header row")
    parser.add_argument("--target", required=True, help="name of the class column")
    parser.add_argument("--out", type=Path, required=True, help="output CSV (refuses to overwrite the input)")
    parser.add_argument("--synthetic-only", action="store_true", help="write only the synthetic rows")
    add_gan_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if not args.csv.is_file():
        raise FileNotFoundError(f"no such CSV file: {args.csv}")
    if args.out.resolve() == args.csv.resolve():
        raise ValueError("--out is the input file; choose another path so the original is kept.")
    df = pd.read_csv(args.csv)
    if args.target not in df.columns:
        raise ValueError(f"--target {args.target!r} is not a column of {args.csv}; columns: {list(df.columns)}")
    X, y = df.drop(columns=[args.target]), df[args.target]
    sampler = GANOversampler(**gan_kwargs(args))
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    out = X_res.assign(**{args.target: y_res.to_numpy()})
    if args.synthetic_only:
        out = out.iloc[len(df):]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, index=False)
    counts = ", ".join(f"{c}: +{n}" for c, n in sampler.sampling_strategy_.items())
    print(f"{args.csv} -> {args.out}: {len(df)} rows in, {len(X_res) - len(df)} synthetic ({counts}); "
          f"method {sampler.method_.name}, {seconds:.1f} s")
    return 0
