"""Speed-up from joblib workers (issue 12): the comparison and the per-class GAN training.

1. ``compare_oversamplers`` on a real imbalanced-learn table (default
   ``yeast_me2``, 1,484 × 8, 51 minority rows; read offline from
   ``<data>/imblearn_zenodo``) with ``rumi`` (``--n-iter`` iterations, CPU),
   SMOTE and random oversampling, logistic regression, 5 stratified folds:
   ``n_jobs=1`` against ``n_jobs=2``. The parallel run is timed twice: *cold*
   (joblib starts its two loky worker processes, which import torch,
   scikit-learn and minority_gen) and *warm* (the workers already running,
   as for every call after the first in a session).
2. ``GANOversampler(method="rumi", random_state=0, device="cpu")`` at its
   default settings on scikit-learn's wine table (178 × 13, 3 classes: two
   GANs to train), ``n_jobs=None`` against ``n_jobs=2`` (warm workers).

Serial runs are timed twice: with torch's default thread count (what a user
gets) and with one thread for torch, OpenMP and BLAS (what each of the two
parallel workers gets on 2 cores: ``cpu_count // 2``). The second is the
fair baseline for the gain from the workers themselves; the first includes
what torch's intra-op threads cost or gain on these small networks. Every figure is a median of ``--repeats``
runs, after a warm-up fit in this process. The tables also say whether the parallel results equal the serial ones
(scores without the timing column; generated rows).

    python benchmarks/parallel_eval.py                 # the committed results
    python benchmarks/parallel_eval.py --quick         # smoke run (tiny budgets, nothing written)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import joblib
import numpy as np
import torch
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks.default_fit_times import timed  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation import compare_oversamplers  # noqa: E402
from minority_gen.evaluation.datasets import DatasetNotFound, default_data_dir, load_zenodo  # noqa: E402
from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results  # noqa: E402


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


def scores(frame):
    """A comparison's rows without the timing column (what must equal between serial and parallel runs)."""
    return frame[frame.metric != "fit_time_s"].reset_index(drop=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=default_data_dir(),
                    help="data folder holding imblearn_zenodo/ (default $MINORITY_GEN_DATA, else ../shared/data)")
    ap.add_argument("--dataset", default="yeast_me2")
    ap.add_argument("--n-iter", type=int, default=500, help="rumi iterations in the comparison (default 500)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "parallel" / "results.md")
    args = ap.parse_args(argv)
    n_iter, gan_iter = (20, 20) if args.quick else (args.n_iter, 2000)
    load_start = os.getloadavg()

    # 1. the comparison -------------------------------------------------------------------
    try:
        X, y = load_zenodo(args.dataset, args.data)
    except (DatasetNotFound, ValueError) as err:
        raise SystemExit(f"parallel_eval: {err}") from None
    kwargs = dict(oversamplers=["rumi", "smote", "ros"], classifiers=["logreg"], cv=5, random_state=0,
                  gan_params={"n_iter": n_iter, "device": "cpu"}, progress=False)
    # warm-up in this process (imports, torch's first steps), not counted
    compare_oversamplers(X[:300], y[:300], ["ros", "rumi"], ["logreg"], cv=2, progress=False,
                         gan_params={"n_iter": 2, "device": "cpu"})
    t_serial, serial = timed(lambda: compare_oversamplers(X, y, n_jobs=1, **kwargs), args.repeats)
    print(f"comparison, n_jobs=1: {t_serial:.1f} s", flush=True)
    with one_thread():
        t_serial1, serial1 = timed(lambda: compare_oversamplers(X, y, n_jobs=1, **kwargs), args.repeats)
    print(f"comparison, n_jobs=1, 1 thread: {t_serial1:.1f} s", flush=True)
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)  # no workers left from anything before: a cold start
    start = time.perf_counter()
    cold = compare_oversamplers(X, y, n_jobs=2, **kwargs)
    t_cold = time.perf_counter() - start
    print(f"comparison, n_jobs=2, cold: {t_cold:.1f} s", flush=True)
    t_warm, warm = timed(lambda: compare_oversamplers(X, y, n_jobs=2, **kwargs), args.repeats)
    print(f"comparison, n_jobs=2, warm: {t_warm:.1f} s", flush=True)
    same_cmp = all(scores(f).equals(scores(serial)) for f in (cold, warm, serial1))

    # 2. per-class training ---------------------------------------------------------------
    from sklearn.datasets import load_wine

    Xw, yw = load_wine(return_X_y=True)
    fit = lambda n_jobs: GANOversampler(n_iter=gan_iter, random_state=0, device="cpu",  # noqa: E731
                                        n_jobs=n_jobs).fit_resample(Xw, yw)[0]
    fit(2)  # the workers are warm for the timed runs
    t_fit1, rows1 = timed(lambda: fit(None), args.repeats)
    print(f"per-class training, n_jobs=None: {t_fit1:.1f} s", flush=True)
    with one_thread():
        t_fit1_1, rows1_1 = timed(lambda: fit(None), args.repeats)
    print(f"per-class training, n_jobs=None, 1 thread: {t_fit1_1:.1f} s", flush=True)
    t_fit2, rows2 = timed(lambda: fit(2), args.repeats)
    print(f"per-class training, n_jobs=2: {t_fit2:.1f} s", flush=True)
    same_rows = np.array_equal(rows1, rows2) and np.array_equal(rows1_1, rows2)

    counts = ", ".join(str(n) for n in np.bincount(yw))
    lines = [
        "# Parallel evaluation and per-class training (joblib, issue 12)",
        "",
        *run_stamp(command_line("benchmarks/parallel_eval.py", argv), load_start),
        f"* joblib {joblib.__version__} (sees {joblib.cpu_count()} CPUs), torch {torch.get_num_threads()} threads in "
        "the serial runs. The cores were shared with other jobs during the run, so the figures are indicative: "
        "the load average above counts those jobs too.",
        "",
        f"## `compare_oversamplers`: {args.dataset} ({X.shape[0]} × {X.shape[1]}, {int(y.sum())} minority rows)",
        "",
        f"rumi ({n_iter} iterations, CPU), SMOTE, random oversampling × logistic regression × 5 folds: "
        f"15 (oversampler, fold) tasks. Median of {args.repeats} run(s); *cold* = one run that starts the "
        "two worker processes.",
        "",
        *speedups("scores", [(f"n_jobs=1, torch default ({torch.get_num_threads()}) threads", t_serial, None),
                             ("n_jobs=1, 1 thread", t_serial1, same_cmp),
                             ("n_jobs=2, cold (workers started)", t_cold, same_cmp),
                             ("n_jobs=2, warm", t_warm, same_cmp)]),
        "",
        f"## Per-class training: wine ({Xw.shape[0]} × {Xw.shape[1]}, classes {counts})",
        "",
        f"`GANOversampler(n_iter={gan_iter}, random_state=0, device='cpu', n_jobs=...).fit_resample`: rumi, two "
        f"GANs (the two smaller classes). Median of {args.repeats} run(s), workers warm.",
        "",
        *speedups("rows", [(f"n_jobs=None, torch default ({torch.get_num_threads()}) threads", t_fit1, None),
                           ("n_jobs=None, 1 thread", t_fit1_1, same_rows), ("n_jobs=2", t_fit2, same_rows)]),
    ]
    if args.quick:
        print("\n".join(lines))
    else:
        print("wrote", write_results(args.out, lines))
    return 0


def speedups(what: str, runs: list[tuple[str, float, bool | None]]) -> list[str]:
    """A table of ``(label, seconds, equal to serial)`` runs; the first two are the serial baselines (default
    threads, one thread), and every run's speed-up against both."""
    (_, base, _), (_, base1, _) = runs[:2]
    return table_lines(["run", "wall (s)", "speed-up vs serial, default threads", "vs serial, 1 thread",
                        f"{what} equal to serial"],
                       [[label, f"{t:.1f}", f"{base / t:.2f}", f"{base1 / t:.2f}",
                         "—" if same is None else "yes" if same else "**no**"] for label, t, same in runs])


if __name__ == "__main__":
    raise SystemExit(main())
