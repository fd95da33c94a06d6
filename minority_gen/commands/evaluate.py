"""``minority-gen evaluate``: compare oversamplers on a CSV table and write a report."""

from __future__ import annotations

import argparse
import difflib
import os
import platform
import shlex
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ..evaluation import (
    CLASSIFIERS,
    available_oversamplers,
    compare_oversamplers,
    markdown_table,
    write_report,
)
from ..evaluation.mixed import mixed_preprocessor
from ..evaluation.quality import oversampler_quality
from ..evaluation.samplers import NUMERIC_ONLY, describe_oversampler
from ..oversampler import GANOversampler
from ._common import add_overwrite_argument, foreign_entry, read_csv_table
from ._gan_options import check_gan_params, parse_params
from ._output import Outputs

NAME = "evaluate"
HELP = ("Compare oversamplers (none, SMOTE, GANs, ...) by cross-validated classifier scores and the "
        "quality of their synthetic rows; write a markdown report with plots.")


#: What ``write_report`` writes into the report folder (anything else there is refused by --overwrite).
REPORT_SUFFIXES = (".md", ".png", ".csv")

#: GANOversampler parameters this command sets with its own options (--param refuses them).
_OWNED = {"n_iter": "--n-iter", "batch_size": "--batch-size", "device": "--device",
          "random_state": "--random-state", "verbose": "--quiet"}

DEFAULT_METHODS = "none,ros,smote,rumi"
DEFAULT_METHODS_MIXED = "none,ros,smotenc,rumi"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", type=Path, help="input CSV with a header row (numbers, text categories, 0/1, "
                                               "True/False and missing cells)")
    parser.add_argument("--target", required=True, help="name of the class column")
    parser.add_argument("--methods", default=None,
                        help=f"comma-separated oversamplers: {', '.join(available_oversamplers())} "
                             f"(default {DEFAULT_METHODS}; {DEFAULT_METHODS_MIXED} for a table with text "
                             "categories or missing cells)")
    parser.add_argument("--classifiers", default="logreg,rf",
                        help=f"comma-separated classifiers: {', '.join(CLASSIFIERS)} (default both)")
    parser.add_argument("--cv", type=int, default=5, help="stratified folds (default 5)")
    parser.add_argument("--out", type=Path, required=True,
                        help="report folder, written as a whole; must be new or empty unless --overwrite")
    add_overwrite_argument(parser, "--out report folder (holding only .md, .png and .csv files)")
    parser.add_argument("--n-iter", type=int, default=2000, help="GAN generator updates (default 2000)")
    parser.add_argument("--batch-size", type=int, default=None, help="GAN batch size (default: the method's)")
    parser.add_argument("--device", default="auto", help="GAN device: auto, cpu, cuda, cuda:N (default auto)")
    parser.add_argument("--random-state", type=int, default=0, help="seed of folds and samplers (default 0)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=JSON",
                        help="any other GANOversampler parameter of the GAN methods, by name with a JSON value "
                             "(repeatable), e.g. --param lr_g=2e-4 --param 'hidden_dims=[64, 64]'")
    parser.add_argument("--jobs", type=int, default=1,
                        help="(oversampler, fold) tasks run in parallel through joblib; -1: all CPUs (default 1). "
                             "Scores are the same as a serial run's; see docs/scaling.md")
    parser.add_argument("--no-quality", action="store_true",
                        help="skip the generative-quality metrics (the downstream comparison only)")
    parser.add_argument("--note", action="append", default=[],
                        help="a line of text for the report header (repeatable), e.g. about the machine")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _split_names(text: str, allowed: list[str], option: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError(f"{option} is empty; give comma-separated names from: {', '.join(allowed)}.")
    for n in names:
        if n not in allowed:
            close = difflib.get_close_matches(n, allowed, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{option}: unknown name {n!r}.{hint} Available: {', '.join(allowed)}.")
    if len(set(names)) != len(names):
        raise ValueError(f"{option} names a method twice: {text!r}.")
    return names


def load_table(path: Path, target: str) -> tuple[pd.DataFrame, pd.Series, bool]:
    """Read a CSV and split it into features and the target; say whether the features are a mixed table.

    Numeric tables are compared as numbers (standardised before the
    sampler); tables with text, True/False or missing cells as mixed tables
    (resampled as they are, encoded for the classifiers afterwards, see
    :func:`minority_gen.evaluation.compare_oversamplers`).
    """
    X, y = read_csv_table(path, target)
    numeric = all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in X.dtypes)
    mixed = not numeric or bool(X.isna().any().any())
    if mixed:
        mixed_preprocessor(X)  # column problems (all-missing, mixed types ...) named before any training
    return X, y, mixed


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical CPUs, {gpu}; "
            f"Python {platform.python_version()}, torch {torch.__version__}")


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    X, y, mixed = load_table(args.csv, args.target)
    given = args.methods if args.methods is not None else (DEFAULT_METHODS_MIXED if mixed else DEFAULT_METHODS)
    methods = _split_names(given, available_oversamplers(), "--methods")
    numeric_only = [m for m in methods if m in NUMERIC_ONLY]
    if mixed and numeric_only:
        raise ValueError(f"--methods: {', '.join(numeric_only)} need all-numeric features without missing cells, "
                         f"and {args.csv} has text, True/False or missing cells; use smotenc instead (SMOTENC on "
                         "the table as it is), or encode and impute the CSV first.")
    classifiers = _split_names(args.classifiers, list(CLASSIFIERS), "--classifiers")
    if args.cv < 2:
        raise ValueError(f"--cv must be at least 2; got {args.cv}.")
    if args.n_iter < 1:
        raise ValueError(f"--n-iter must be a positive integer; got {args.n_iter}.")
    if args.jobs == 0:
        raise ValueError("--jobs must be a positive number of workers, or -1 for all CPUs; got 0.")
    gan_params = {"n_iter": args.n_iter, "batch_size": args.batch_size, "device": args.device,
                  **parse_params(args.param, GANOversampler, owned=_OWNED)}
    check_gan_params(GANOversampler(**gan_params), args)
    outputs = Outputs(overwrite=args.overwrite, inputs=[args.csv])
    outputs.folder("--out", args.out, foreign=lambda p: foreign_entry(p, suffixes=REPORT_SUFFIXES))
    counts = y.value_counts()
    print(f"{args.csv}: {len(X)} rows, {X.shape[1]} features, classes "
          + ", ".join(f"{c}: {n}" for c, n in counts.items()))

    features = X if mixed else X.to_numpy(dtype=np.float64)
    downstream = compare_oversamplers(
        features, y.to_numpy(), methods, classifiers, cv=args.cv,
        random_state=args.random_state, gan_params=gan_params, errors="warn", progress=not args.quiet,
        n_jobs=args.jobs,
    )
    t_down = time.perf_counter() - started
    quality = None
    if not args.no_quality:
        with warnings.catch_warnings(record=True) as caught:  # a skipped oversampler: one line each
            warnings.simplefilter("always")
            quality = oversampler_quality(features, y.to_numpy(), methods, random_state=args.random_state,
                                          gan_params=gan_params, errors="warn", progress=not args.quiet)
        for message in dict.fromkeys(str(w.message) for w in caught):
            print(f"warning: {message}", file=sys.stderr)
    total = time.perf_counter() - started

    command = " ".join(shlex.quote(str(a)) for a in [
        "minority-gen", "evaluate", args.csv, "--target", args.target, "--methods", ",".join(methods),
        "--classifiers", ",".join(classifiers), "--cv", args.cv, "--n-iter", args.n_iter,
        *(["--batch-size", args.batch_size] if args.batch_size else []), "--device", args.device,
        "--random-state", args.random_state, *(["--jobs", args.jobs] if args.jobs != 1 else []),
        *[part for entry in args.param for part in ("--param", entry)],
        *(["--no-quality"] if args.no_quality else []),
        "--out", args.out])
    notes = [
        f"* command: `{command}`",
        f"* data: `{args.csv.name}`, {len(X)} rows × {X.shape[1]} features; classes "
        + ", ".join(f"{c}: {n}" for c, n in counts.items()),
        "* oversamplers: " + "; ".join(f"`{m}` = {describe_oversampler(m)}" for m in methods),
        f"* GAN settings: n_iter={args.n_iter}, batch_size={args.batch_size or 'method default'}, "
        f"device={args.device}"
        + "".join(f", {entry.partition('=')[0].strip()}={entry.partition('=')[2].strip()}" for entry in args.param)
        + f"; random_state={args.random_state}; cross-validation jobs: {args.jobs}",
        f"* date: {when}; machine: {_machine()}",
        f"* wall time: {total:.0f} s in all ({t_down:.0f} s cross-validation"
        + (f", {total - t_down:.0f} s generative quality)" if quality is not None else ")"),
        *[f"* {n}" for n in args.note],
    ]
    with outputs.staged() as tmp:  # the report appears complete or not at all
        report = args.out / write_report(tmp[args.out], downstream, quality,
                                         title=f"Oversampler evaluation: {args.csv.name}", notes=notes).name
    print(markdown_table(downstream, ["balanced_accuracy", "gmean", "f1_macro", "roc_auc",
                                      "average_precision", "fit_time_s"]))
    print(f"\nreport: {report} ({total:.0f} s)")
    return 0
