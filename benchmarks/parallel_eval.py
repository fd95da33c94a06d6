"""Speed-up from joblib workers (issue 12): ``compare_oversamplers`` and per-class ``GANOversampler`` training,
serial (torch's default threads, one thread) against ``n_jobs=2``, and whether the results equal the serial ones.
What is run: benchmarks/README.md, "Parallel evaluation"; how to read the results: results/parallel/README.md.

    python benchmarks/parallel_eval.py                 # the committed results
    python benchmarks/parallel_eval.py --quick         # smoke run (tiny budgets, nothing written)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import joblib
import numpy as np
import torch
from joblib.externals.loky import get_reusable_executor
from sklearn.datasets import load_wine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, measure, parser, print_or_write, same  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation import compare_oversamplers  # noqa: E402
from minority_gen.evaluation.datasets import DatasetNotFound, load_zenodo  # noqa: E402
from minority_gen.evaluation.report import table_lines  # noqa: E402


def speedups(what: str, runs: list[tuple[str, float, object]]) -> list[str]:
    """A table of :func:`measure` runs; the first two are the serial baselines (default threads, one thread):
    every run's speed-up against both, and whether its results equal the first's."""
    (_, base, first), (_, base1, _) = runs[:2]
    return table_lines(["run", "wall (s)", "speed-up vs serial, default threads", "vs serial, 1 thread",
                        f"{what} equal to serial"],
                       [[label, f"{t:.1f}", f"{base / t:.2f}", f"{base1 / t:.2f}",
                         "—" if i == 0 else "yes" if same(out, first) else "**no**"]
                        for i, (label, t, out) in enumerate(runs)])


def main(argv=None) -> int:
    ap = parser(__doc__, HERE / "results" / "parallel" / "results.md", quick="tiny budgets, nothing written",
                data="data folder holding imblearn_zenodo/ (default $MINORITY_GEN_DATA, else ../shared/data)")
    ap.add_argument("--dataset", default="yeast_me2")
    ap.add_argument("--n-iter", type=int, default=500, help="rumi iterations in the comparison (default 500)")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    n_iter, gan_iter = (20, 20) if args.quick else (args.n_iter, 2000)
    repeats = args.repeats
    load_start, threads = os.getloadavg(), torch.get_num_threads()
    try:
        X, y = load_zenodo(args.dataset, args.data)
    except (DatasetNotFound, ValueError) as err:
        raise SystemExit(f"parallel_eval: {err}") from None
    Xw, yw = load_wine(return_X_y=True)
    compare = lambda n_jobs: compare_oversamplers(
        X, y, oversamplers=["rumi", "smote", "ros"], classifiers=["logreg"], cv=5, random_state=0,
        gan_params={"n_iter": n_iter, "device": "cpu"}, progress=False, n_jobs=n_jobs)
    fit = lambda n_jobs: GANOversampler(n_iter=gan_iter, random_state=0, device="cpu",
                                        n_jobs=n_jobs).fit_resample(Xw, yw)[0]

    # warm-up in this process (imports, torch's first steps), not counted
    compare_oversamplers(X[:300], y[:300], ["ros", "rumi"], ["logreg"], cv=2, progress=False,
                         gan_params={"n_iter": 2, "device": "cpu"})
    comparisons = [measure(f"n_jobs=1, torch default ({threads}) threads", lambda: compare(1), repeats),
                   measure("n_jobs=1, 1 thread", lambda: compare(1), repeats, single_thread=True)]
    get_reusable_executor().shutdown(wait=True)  # no workers left from anything before: a cold start
    comparisons += [measure("n_jobs=2, cold (workers started)", lambda: compare(2), 1),
                    measure("n_jobs=2, warm", lambda: compare(2), repeats)]
    fit(2)  # the workers are warm for the timed runs
    fits = [measure(f"n_jobs=None, torch default ({threads}) threads", lambda: fit(None), repeats),
            measure("n_jobs=None, 1 thread", lambda: fit(None), repeats, single_thread=True),
            measure("n_jobs=2", lambda: fit(2), repeats)]

    counts = ", ".join(str(n) for n in np.bincount(yw))
    lines = [
        *head("Parallel evaluation and per-class training (joblib, issue 12)", "parallel_eval.py", argv,
              f"* joblib {joblib.__version__} (sees {joblib.cpu_count()} CPUs), torch {threads} threads in the serial "
              "runs. The cores were shared with other jobs during the run, so the figures are indicative: the load "
              "average above counts those jobs too.", load_start=load_start),
        f"## `compare_oversamplers`: {args.dataset} ({X.shape[0]} × {X.shape[1]}, {int(y.sum())} minority rows)", "",
        f"rumi ({n_iter} iterations, CPU), SMOTE, random oversampling × logistic regression × 5 folds: "
        f"15 (oversampler, fold) tasks. Median of {repeats} run(s); *cold* = one run that starts the "
        "two worker processes.", "",
        *speedups("scores", comparisons), "",
        f"## Per-class training: wine ({Xw.shape[0]} × {Xw.shape[1]}, classes {counts})", "",
        f"`GANOversampler(n_iter={gan_iter}, random_state=0, device='cpu', n_jobs=...).fit_resample`: rumi, two "
        f"GANs (the two smaller classes). Median of {repeats} run(s), workers warm.", "",
        *speedups("rows", fits),
    ]
    print_or_write(lines, args.out, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
