"""``minority-gen resample``: balance a CSV table with a GAN."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from ..oversampler import GANOversampler
from ..persistence import save_sampler
from ._common import (
    add_overwrite_argument,
    add_save_model_argument,
    listed,
    missing_tokens,
    read_csv_table,
    write_csv_like,
)
from ._data_checks import check_data_kind, check_sampling_targets
from ._gan_options import add_gan_arguments, check_gan_params, gan_kwargs
from ._output import Outputs

NAME = "resample"
HELP = "Balance a CSV table: write the original rows plus synthetic minority rows."
DESCRIPTION = (
    "Numeric, 0/1, True/False and text (categorical) columns are all generated, as are missing cells "
    "(N/A, NA, empty ...), at the rate each class's GAN learned; the output CSV has the input's columns in the "
    "input's order (the class column where it was) and writes every column in the form the input used, missing "
    "cells with the input's own text."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", type=Path, help="input CSV with a header row")
    parser.add_argument("--target", required=True, help="name of the class column")
    parser.add_argument("--out", type=Path, required=True,
                        help="output CSV; missing parent folders are created; never the input")
    parser.add_argument("--synthetic-only", action="store_true",
                        help="write only the synthetic rows (same columns, same order)")
    add_save_model_argument(parser)
    add_overwrite_argument(parser, "--out file (and --save-model file)")
    only_with_shape = "only for a CSV of flattened images, with --image-shape"
    add_gan_arguments(parser, notes={
        "image_shape": "for a CSV whose rows are flattened images (one column per pixel value, in C order, "
                       "e.g. 28,28 for 784 columns): the GAN then uses convolutional networks, and --image-layout, "
                       "--diffaugment and --padding apply",
        "image_layout": only_with_shape, "diffaugment": only_with_shape, "padding": only_with_shape,
    })


def run(args: argparse.Namespace) -> int:
    # Everything a user can get wrong is checked before the first training iteration.
    sampler = GANOversampler(**gan_kwargs(args))
    check_gan_params(sampler, args)
    if sampler.image_shape is None:
        check_data_kind(sampler, args, images=False, data=f"{args.csv}",
                        fix=", or give --image-shape H,W (or H,W,C) if each row of the CSV is a flattened image")
    else:
        check_data_kind(sampler, args, images=True, data=f"{args.csv} with --image-shape (rows of pixel values)")
    if not args.csv.is_file():
        raise FileNotFoundError(f"no such CSV file: {args.csv}")
    outputs = Outputs(overwrite=args.overwrite, inputs=[args.csv])
    outputs.file("--out", args.out, example="balanced.csv")
    if args.save_model is not None:
        outputs.file("--save-model", args.save_model, example="model.mgz")
    X, y = read_csv_table(args.csv, args.target)
    check_sampling_targets(sampler, y, args, args.csv)
    columns = list(pd.read_csv(args.csv, nrows=0).columns)  # the input's order, the class column where it was
    tokens = missing_tokens(args.csv)
    with outputs.staged() as tmp:
        start = time.perf_counter()
        X_res, y_res = sampler.fit_resample(X, y)
        seconds = time.perf_counter() - start
        out = X_res.assign(**{args.target: y_res.to_numpy()})[columns]  # the input's column order
        if args.synthetic_only:
            out = out.iloc[len(X):]
        write_csv_like(out, tmp[args.out], tokens)
        if args.save_model is not None:
            save_sampler(sampler, tmp[args.save_model],
                         metadata={"command": NAME, "target": args.target, "missing_tokens": tokens})
    counts = listed(f"{c}: +{n}" for c, n in sampler.sampling_strategy_.items())
    print(f"{args.csv} -> {args.out}: {len(X)} rows in, {len(X_res) - len(X)} synthetic ({counts}); "
          f"method {sampler.method_.name}, {seconds:.1f} s"
          + (f"; model saved to {args.save_model}" if args.save_model is not None else ""))
    return 0
