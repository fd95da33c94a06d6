"""What the benchmarks share: their synthetic table, median timing, runs on one thread, FLOP counts and the machine's
matrix-product rate, peak memory, a measurement in a fresh process, data that must be there, their command line's
common options, and the results' head, printed or written."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from minority_gen.evaluation.datasets import DatasetNotFound, default_data_dir
from minority_gen.evaluation.report import command_line, run_stamp, write_results


def make_table(n: int = 1000, d: int = 10, seed: int = 0):
    """``n`` × ``d`` standard normal rows, 10 % minority (label 1) shifted by 1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.1).astype(int)
    X[y == 1] += 1.0
    return X, y


def timed(fn, repeats: int):
    """The median wall time of ``repeats`` calls of ``fn`` and what the last call returned."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


@contextmanager
def one_thread():
    """torch, OpenMP and BLAS on one thread inside the block (what each of two workers gets on 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(before)


def flops_per_iter(fit, short: int = 1, long: int = 3) -> float:
    """FLOPs of one training iteration: those of ``fit(long)`` less those of ``fit(short)`` (``fit(n)``: a fit of
    ``n`` iterations; set-up and final draws cancel), per iteration between them."""
    from torch.utils.flop_counter import FlopCounterMode

    total = []
    for n_iter in (short, long):
        with FlopCounterMode(display=False) as counter:
            fit(n_iter)
        total.append(counter.get_total_flops())
    return (total[1] - total[0]) / (long - short)


def matmul_rate(size: int = 1024, repeats: int = 5) -> float:
    """The best float32 matrix-product rate (FLOP/s) of ``repeats`` products of ``size``², this process's threads."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)  # first use
    return 2 * size**3 / min(timed(lambda: torch.mm(a, b), 1)[0] for _ in range(repeats))


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (``ru_maxrss``: KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label: str, fn, repeats: int, single_thread: bool = False) -> tuple[str, float, object]:
    """``(label, median seconds, what fn returned)`` of ``repeats`` calls (on one thread with ``single_thread``),
    printed when done."""
    with one_thread() if single_thread else nullcontext():
        t, out = timed(fn, repeats)
    print(f"{label}: {t:.1f} s", flush=True)
    return label, t, out


def same(a, b) -> bool:
    """Whether two runs gave the same results: a comparison's rows without the timing column, or generated rows."""
    if isinstance(a, pd.DataFrame):
        a, b = (frame[frame.metric != "fit_time_s"].reset_index(drop=True) for frame in (a, b))
        return a.equals(b)
    return np.array_equal(a, b)


def path_first(folder: Path | str | None) -> dict:
    """This process's environment with ``folder`` put first on ``PYTHONPATH`` (unchanged without one)."""
    env = dict(os.environ)
    if folder is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH", "")) if p)
    return env


def in_fresh_process(cmd: list[str], what: str, path: Path | None = None, **env: str) -> dict:
    """Run ``cmd`` (a script in its worker mode, which prints its result as JSON on its last line) in a new
    process, with ``path`` first on ``PYTHONPATH`` and the variables ``env`` set: that result; ``RuntimeError``
    naming ``what`` if it fails."""
    done = subprocess.run(cmd, capture_output=True, text=True, env={**path_first(path), **env})
    if done.returncode:
        raise RuntimeError(f"{what} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def parser(doc: str, out: Path | None = None, quick: str | None = "smoke run: tiny sizes, nothing written",
           data: str | None = None):
    """A script's argument parser: ``doc`` (its docstring) as the help, ``--quick`` (unless ``quick`` is ``None``),
    with a default ``--out`` and, with ``data`` (its help), ``--data`` (default
    :func:`~minority_gen.evaluation.datasets.default_data_dir`)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if quick is not None:
        ap.add_argument("--quick", action="store_true", help=quick)
    if out is not None:
        ap.add_argument("--out", type=Path, default=out)
    if data is not None:
        ap.add_argument("--data", type=Path, default=default_data_dir(), help=data or None)
    return ap


def or_exit(script: str, load, *args, **kwargs):
    """``load(*args, **kwargs)``; when its data file is absent, an exit naming ``script`` and where to get it."""
    try:
        return load(*args, **kwargs)
    except DatasetNotFound as err:
        raise SystemExit(f"{script}: {err}") from None


def head(title: str, script: str, argv, *notes: str, load_start=None, info=None) -> list[str]:
    """A results file's first lines: ``# title``, the run's stamp (:func:`~minority_gen.evaluation.report.
    run_stamp` of ``python benchmarks/<script> <argv>``) and ``notes``, each a line of its own."""
    return [f"# {title}", "", *run_stamp(command_line(f"benchmarks/{script}", argv), load_start, info), *notes, ""]


def print_or_write(lines: list[str], out: Path, quick: bool, data=None, echo: bool = False) -> None:
    """A smoke run's results printed; a full run's written to ``out`` (``data`` as JSON beside it; printed too
    with ``echo``), and where, printed."""
    if quick:
        print("\n".join(lines))
    else:
        print("wrote", write_results(out, lines, data, echo=echo))
