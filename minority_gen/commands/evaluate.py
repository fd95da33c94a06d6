"""``minority-gen evaluate``: compare oversamplers on a CSV table, or on named datasets, and write a report.

Two modes on one command:

* ``minority-gen evaluate TABLE.csv --target COL``: one table, downstream
  scores and the quality of the synthetic rows
  (:func:`~minority_gen.evaluation.compare_oversamplers`).
* ``minority-gen evaluate --datasets NAME[,NAME...] --samplers SPEC ...``:
  several named tables (or a collection, ``dev`` / ``protocol_t``) on the
  evaluation engine (:func:`~minority_gen.evaluation.compare_on_datasets`),
  resumable through ``--store``; the report holds per-dataset scores, mean
  ranks, Friedman's test, Holm's test against ``--control`` and the
  critical-difference diagram.
"""

from __future__ import annotations

import argparse
import difflib
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
    DatasetNotFound,
    available_datasets,
    available_oversamplers,
    compare_on_datasets,
    compare_oversamplers,
    load_dataset,
    markdown_table,
    parse_sampler,
    read_store,
    split_specs,
    write_report,
)
from ..evaluation.datasets import COLLECTIONS
from ..evaluation.folds import fold_problem
from ..evaluation.mixed import mixed_preprocessor
from ..evaluation.quality import oversampler_quality
from ..evaluation.report import rank_section
from ..evaluation.report_names import REPORT_MD, RESULTS_CSV
from ..evaluation.samplers import NUMERIC_ONLY, describe_oversampler, make_oversampler
from ..evaluation.scoring import DEFAULT_SCORING
from ..evaluation.store import check_store, machine_description
from ..methods import available_methods
from ..oversampler import GANOversampler
from ._common import CommandError, add_overwrite_argument, check_folds, listed, read_csv_table
from ._data_checks import check_data_kind
from ._gan_options import check_gan_params, parse_params
from ._output import Outputs
from ._report_files import report_folder

NAME = "evaluate"
HELP = ("Compare oversamplers (none, SMOTE, GANs, ...) by cross-validated classifier scores and the "
        "quality of their synthetic rows; write a markdown report with plots.")

#: GANOversampler parameters this command sets with its own options (--param refuses them).
_OWNED = {"n_iter": "--n-iter", "batch_size": "--batch-size", "device": "--device",
          "random_state": "--random-state", "verbose": "--quiet"}

DEFAULT_METHODS = "none,ros,smote,rumi"
DEFAULT_METHODS_MIXED = "none,ros,smotenc,rumi"
DEFAULT_CLASSIFIERS = "logreg,rf"
DEFAULT_SAMPLERS = ("none", "ros", "smote", "rumi")
DEFAULT_CLASSIFIERS_DATASETS = "lr,rf"
RANK_METRICS = tuple(m for m in DEFAULT_SCORING if m != "recall")

#: Options of one mode only: dest -> (option, mode); a value other than None means the option was given.
_TABLE_ONLY = {"csv": "TABLE.csv", "target": "--target", "methods": "--methods", "n_iter": "--n-iter",
               "batch_size": "--batch-size", "device": "--device", "param": "--param", "no_quality": "--no-quality"}
_DATASETS_ONLY = {"samplers": "--samplers", "data_home": "--data-home", "store": "--store", "control": "--control",
                  "metric": "--metric"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", type=Path, nargs="?", default=None,
                        help="input CSV with a header row (numbers, text categories, 0/1, True/False and missing "
                             "cells); leave out with --datasets")
    parser.add_argument("--target", default=None, help="name of the class column (with a CSV)")
    parser.add_argument("--methods", default=None,
                        help=f"comma-separated oversamplers: {', '.join(available_oversamplers())} "
                             f"(default {DEFAULT_METHODS}; {DEFAULT_METHODS_MIXED} for a table with text "
                             "categories or missing cells)")
    parser.add_argument("--classifiers", default=None,
                        help=f"comma-separated classifiers: {', '.join(CLASSIFIERS)} (default "
                             f"{DEFAULT_CLASSIFIERS}; {DEFAULT_CLASSIFIERS_DATASETS} with --datasets)")
    parser.add_argument("--cv", type=int, default=5, help="stratified folds (default 5)")
    parser.add_argument("--out", type=Path, required=True,
                        help="report folder, written as a whole; must be new or empty unless --overwrite")
    add_overwrite_argument(parser, "--out report folder (holding only the report's own files)")
    parser.add_argument("--n-iter", type=int, default=None,
                        help="GAN generator updates (default: the estimator's n_iter='auto')")
    parser.add_argument("--batch-size", type=int, default=None, help="GAN batch size (default: the method's)")
    parser.add_argument("--device", default=None, help="GAN device: auto, cpu, cuda, cuda:N (default auto)")
    parser.add_argument("--random-state", type=int, default=0, help="seed of folds and samplers (default 0)")
    parser.add_argument("--param", action="append", default=None, metavar="NAME=JSON",
                        help="any other GANOversampler parameter of the GAN methods, by name with a JSON value "
                             "(repeatable), e.g. --param lr_g=2e-4 --param 'hidden_dims=[64, 64]'")
    parser.add_argument("--jobs", type=int, default=1,
                        help="(oversampler, fold) tasks run in parallel through joblib; -1: all CPUs (default 1). "
                             "Scores are the same as a serial run's; see docs/scaling.md")
    parser.add_argument("--no-quality", action="store_true", default=None,
                        help="skip the generative-quality metrics (the downstream comparison only)")
    parser.add_argument("--note", action="append", default=[],
                        help="a line of text for the report header (repeatable), e.g. about the machine")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    group = parser.add_argument_group(
        "several datasets (--datasets)",
        "Compare samplers over named tables on the evaluation engine; GAN settings go into the sampler specs "
        "(--n-iter, --batch-size, --device, --param and --methods belong to the CSV mode).")
    group.add_argument("--datasets", default=None, metavar="NAME[,NAME...]",
                       help=f"comma-separated dataset names or collections ({', '.join(COLLECTIONS)}); known: "
                            f"{', '.join(available_datasets())}")
    group.add_argument("--data-home", type=Path, default=None, metavar="DIR",
                       help="data folder holding imblearn_zenodo/ for the imbalanced-learn sets (default "
                            "$MINORITY_GEN_DATA, else ../shared/data)")
    group.add_argument("--samplers", nargs="+", default=None, metavar="SPEC",
                       help="sampler specs, name or name:JSON, e.g. none ros smote 'rumi:{\"anchor\": null}' "
                            f"(default {' '.join(DEFAULT_SAMPLERS)}); names: {', '.join(available_oversamplers())}")
    group.add_argument("--store", type=Path, default=None, metavar="PATH",
                       help="JSON-lines file of finished cells: a re-run reads them back and computes only "
                            "what is missing (default: nothing kept)")
    group.add_argument("--control", default=None,
                       help="sampler the others are tested against (Holm); a spec or its name (default the "
                            "first GAN sampler, else the first sampler)")
    group.add_argument("--metric", default=None, choices=RANK_METRICS,
                       help="metric of the per-dataset table, the ranks and the tests (default gmean)")


def _split_names(text: str | None, allowed: list[str], option: str, default: str = "") -> list[str]:
    names = [n.strip() for n in (default if text is None else text).split(",") if n.strip()]
    if not names:
        raise ValueError(f"{option} is empty; give comma-separated names from: {', '.join(allowed)}.")
    for n in names:
        if n not in allowed:
            close = difflib.get_close_matches(n, allowed, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{option}: unknown name {n!r}.{hint} Available: {', '.join(allowed)}.")
    if len(set(names)) != len(names):
        raise ValueError(f"{option} names one of them twice: {text!r}.")
    return names


def load_table(path: Path, target: str) -> tuple[pd.DataFrame, pd.Series, bool]:
    """Read a CSV and split it into features and the target; say whether the features are a mixed table.

    Numeric tables are compared as numbers (standardised before the sampler); tables with text, True/False or
    missing cells as mixed tables (resampled as they are, encoded for the classifiers afterwards, see
    :func:`minority_gen.evaluation.compare_oversamplers`).
    """
    X, y = read_csv_table(path, target)
    numeric = all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in X.dtypes)
    mixed = not numeric or bool(X.isna().any().any())
    if mixed:
        mixed_preprocessor(X)  # column problems (all-missing, mixed types ...) named before any training
    return X, y, mixed


def _check_mode(args: argparse.Namespace) -> None:
    """Refuse options of the other mode, and a run with neither a CSV nor --datasets."""
    if args.datasets is not None:
        wrong = [opt for dest, opt in _TABLE_ONLY.items() if getattr(args, dest) is not None]
        if wrong:
            raise CommandError(f"{', '.join(wrong)} belong to the CSV mode and cannot be used with --datasets; "
                               "put GAN settings into the sampler specs, e.g. --samplers none "
                               "'rumi:{\"n_iter\": 500, \"device\": \"cpu\"}'.")
        return
    wrong = [opt for dest, opt in _DATASETS_ONLY.items() if getattr(args, dest) is not None]
    if wrong:
        raise CommandError(f"{', '.join(wrong)} need --datasets (they belong to the several-datasets mode).")
    if args.csv is None:
        raise CommandError("give a CSV with --target (one table), or --datasets NAME[,NAME...] (several).")
    if args.target is None:
        raise CommandError(f"--target is required with a CSV: the name of {args.csv}'s class column.")
    args.n_iter = "auto" if args.n_iter is None else args.n_iter  # the estimator's own table default
    args.device = "auto" if args.device is None else args.device
    args.param = [] if args.param is None else args.param
    args.no_quality = bool(args.no_quality)


def run(args: argparse.Namespace) -> int:
    _check_mode(args)
    if not 0 <= args.random_state < 2**32:  # numpy's own message would not name the option
        raise CommandError(f"--random-state must be a seed from 0 to 2**32 - 1; got {args.random_state}.")
    if args.cv < 2:
        raise ValueError(f"--cv must be at least 2; got {args.cv}.")
    if args.jobs == 0:
        raise ValueError("--jobs must be a positive number of workers, or -1 for all CPUs; got 0.")
    if args.datasets is not None:
        return run_datasets(args)
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
    classifiers = _split_names(args.classifiers, list(CLASSIFIERS), "--classifiers", DEFAULT_CLASSIFIERS)
    check_folds(y, args.cv, args.csv, {m: make_oversampler(m) for m in methods})
    if args.n_iter != "auto" and args.n_iter < 1:
        raise ValueError(f"--n-iter must be a positive integer; got {args.n_iter}.")
    gan_params = {"n_iter": args.n_iter, "batch_size": args.batch_size, "device": args.device,
                  **parse_params(args.param, GANOversampler, owned=_OWNED)}
    sampler = GANOversampler(**gan_params)
    check_gan_params(sampler, args)
    check_data_kind(sampler, args, images=sampler.image_shape is not None, data=str(args.csv))
    outputs = Outputs(overwrite=args.overwrite, inputs=[args.csv])
    report_folder(outputs, args.out)
    counts = y.value_counts()
    print(f"{args.csv}: {len(X)} rows, {X.shape[1]} features, classes "
          + listed(f"{c}: {n}" for c, n in counts.items()))

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
        "--classifiers", ",".join(classifiers), "--cv", args.cv,
        *(["--n-iter", args.n_iter] if args.n_iter != "auto" else []),
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
        f"* date: {when}; machine: {machine_description()}",
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


# --------------------------------------------------------------------------- several datasets


def _dataset_names(text: str) -> list[str]:
    """Names and collections from ``--datasets``, expanded, in order, without repeats."""
    known = available_datasets()
    names = []
    for item in (n.strip() for n in text.split(",")):
        if not item:
            continue
        if item in COLLECTIONS:
            names += available_datasets(item)
        elif item in known:
            names.append(item)
        else:
            close = difflib.get_close_matches(item, [*known, *COLLECTIONS], n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise CommandError(f"--datasets: unknown dataset {item!r}.{hint} Known: {', '.join(known)}; "
                               f"collections: {', '.join(COLLECTIONS)}.")
    if not names:
        raise CommandError(f"--datasets is empty; give names from: {', '.join(known)}, or a collection: "
                           f"{', '.join(COLLECTIONS)}.")
    return list(dict.fromkeys(names))


def _load(name: str, data_home: Path | None):
    try:
        return load_dataset(name, data_home)
    except DatasetNotFound as exc:  # the loader's advice, with the command line's option for the folder
        text = " ".join(str(exc).split()).replace("data_home=...", "--data-home DIR")
        raise CommandError(f"--datasets {name}: {text}") from None


def _sampler_specs(given: list[str] | None, random_state: int) -> list[str]:
    specs = [spec for part in (given or DEFAULT_SAMPLERS) for spec in split_specs(part)]
    for spec in specs:
        try:
            parse_sampler(spec, random_state)  # refuses an unknown name or parameter, listing the known ones
        except (ValueError, TypeError) as exc:
            raise CommandError(f"--samplers: {' '.join(str(exc).split())}") from None
    if len(set(specs)) != len(specs) or not specs:
        raise CommandError(f"--samplers names a sampler twice: {' '.join(specs)}." if specs else
                           f"--samplers is empty; give sampler specs, e.g. {' '.join(DEFAULT_SAMPLERS)}.")
    return specs


def _control(given: str | None, specs: list[str]) -> str:
    gans = [s for s in specs if s.partition(":")[0].strip() in available_methods()]
    if given is None:
        return (gans or specs)[0]
    if given in specs:
        return given
    by_name = [s for s in specs if s.partition(":")[0].strip() == given]
    if len(by_name) == 1:
        return by_name[0]
    why = "names several of them" if by_name else "is none of them"
    raise CommandError(f"--control {given!r} {why}; give one of the --samplers specs: {', '.join(specs)}.")


def run_datasets(args: argparse.Namespace) -> int:
    """The several-datasets mode: the engine's grid, then ranks and tests per classifier."""
    started = time.perf_counter()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    names = _dataset_names(args.datasets)
    specs = _sampler_specs(args.samplers, args.random_state)
    control = _control(args.control, specs)
    classifiers = _split_names(args.classifiers, list(CLASSIFIERS), "--classifiers", DEFAULT_CLASSIFIERS_DATASETS)
    metric = args.metric or "gmean"
    if args.store is not None and args.store.resolve().is_relative_to(args.out.resolve()):
        raise CommandError(f"--store {args.store} is inside --out {args.out}, which is rewritten as a whole; "
                           "keep the store outside the report folder.")
    if args.store is not None:
        try:
            check_store(args.store)  # a folder or not a store: before --out is touched or any table read
        except ValueError as err:
            raise CommandError(f"--store {err}") from None
    outputs = Outputs(overwrite=args.overwrite, inputs=[args.store] if args.store is not None else [])
    report_folder(outputs, args.out)
    tables = {name: _load(name, args.data_home) for name in names}  # every table found before any training
    samplers = {spec: parse_sampler(spec, args.random_state) for spec in specs}
    for name, (X, y) in tables.items():
        print(f"{name}: {X.shape[0]} rows, {X.shape[1]} features, {int(y.sum())} minority")
        if (problem := fold_problem(y, args.cv, samplers, option="--cv ", data=f"dataset {name}")) is not None:
            raise CommandError(problem)  # before any training, in the command line's words

    before = {r["key"] for r in read_store(args.store)} if args.store is not None else set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = compare_on_datasets(tables, specs, classifiers, cv=args.cv, scoring=[*RANK_METRICS, "recall"],
                                      store=args.store, n_jobs=args.jobs, random_state=args.random_state,
                                      data_home=args.data_home, progress=not args.quiet)
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"warning: {message}", file=sys.stderr)
    cells = set(results.cell)
    reused = len(cells & before)
    total = time.perf_counter() - started

    command = " ".join(shlex.quote(str(a)) for a in [
        "minority-gen", "evaluate", "--datasets", args.datasets,
        *(["--data-home", args.data_home] if args.data_home else []), "--samplers", *specs,
        "--classifiers", ",".join(classifiers), "--control", control, "--metric", metric, "--cv", args.cv,
        "--random-state", args.random_state, *(["--jobs", args.jobs] if args.jobs != 1 else []),
        *(["--store", args.store] if args.store else []), "--out", args.out])
    lines = [f"# Oversampler evaluation over {len(tables)} datasets", "",
             f"* command: `{command}`",
             "* data: " + "; ".join(f"{n} {X.shape[0]}×{X.shape[1]} ({int(y.sum())} minority)"
                                    for n, (X, y) in tables.items()),
             "* samplers: " + ", ".join(f"`{s}`" for s in specs) + f"; control `{control}`",
             f"* protocol: StratifiedKFold({args.cv}, shuffle=True, random_state={args.random_state}); StandardScaler "
             "on the training fold, each sampler fitted once per training fold, every classifier on its rows",
             f"* cells: {len(cells)}, {len(cells) - reused} computed, {reused} read from "
             + (f"`{args.store}`" if args.store else "no store"),
             f"* date: {when}; machine: {machine_description()}; wall time {total:.0f} s",
             *[f"* {n}" for n in args.note], ""]
    failures = results[results.metric == "error"]
    with outputs.staged() as tmp:  # the report appears complete or not at all
        folder = tmp[args.out]
        results.to_csv(folder / RESULTS_CSV, index=False)
        for clf in classifiers:
            lines += rank_section(results, clf, metric, specs, control, folder)
        lines += ["## Failures", ""]
        lines += ([f"* {r.dataset} fold {r.fold} `{r.oversampler}` / {r.classifier}: {r.error}"
                   for r in failures.itertuples()] or ["None."])
        (folder / REPORT_MD).write_text("\n".join([*lines, ""]), encoding="utf-8")
    print(f"cells: {len(cells)}, {len(cells) - reused} computed, {reused} read from "
          + (str(args.store) if args.store else "no store"))
    print(f"\nreport: {args.out / REPORT_MD} ({total:.0f} s)")
    return 0
