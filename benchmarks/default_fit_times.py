"""Fit time of every registered method at its default settings, on a 1,000 × 10 table (10 % minority), median
of ``--repeats`` runs in this process. Target: under 60 s per method on 2 CPU cores (results/default_fit_times*.md).

    python benchmarks/default_fit_times.py              # all methods, 1 repeat
    python benchmarks/default_fit_times.py --param correction='"free"' --param boundary=null \
        --out benchmarks/results/default_fit_times_previous.md   # the table defaults before 2026-12-06
    python benchmarks/default_fit_times.py --quick      # 2 methods, 50 iterations (smoke run, nothing written)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, make_table, parser, print_or_write  # noqa: E402
from minority_gen import GANOversampler, available_methods  # noqa: E402
from minority_gen.commands._common import CommandError  # noqa: E402
from minority_gen.commands._gan_options import parse_params  # noqa: E402
from minority_gen.evaluation.report import table_lines  # noqa: E402


def main(argv=None) -> int:
    ap = parser(__doc__, HERE / "results" / "default_fit_times.md", quick="2 methods, 50 iterations, nothing written")
    ap.add_argument("--methods", default=None, help="comma-separated (default: all registered)")
    ap.add_argument("--recipe", default="tuned", choices=["tuned", "paper"])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--anchor", default="auto", choices=["auto", "none"],
                    help="GANOversampler's anchor: auto (the default, SMOTE anchors on tables) or none")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=JSON",
                    help="set an estimator parameter (repeatable), e.g. boundary=null")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = ap.parse_args(argv)
    methods = args.methods.split(",") if args.methods else available_methods()
    if args.threads:
        torch.set_num_threads(args.threads)
    extra = {} if args.anchor == "auto" else {"anchor": None}
    try:  # the command line's own --param parsing: names checked against the estimator, values as JSON
        extra.update(parse_params(args.param, GANOversampler, owned={}))
    except CommandError as err:
        ap.error(str(err))
    if args.quick:
        methods, extra = methods[:2], {**extra, "n_iter": 50}  # the options asked for, briefly
    X, y = make_table()
    rows = []
    for name in methods:
        times = []  # (wall, CPU) seconds of each run
        for r in range(args.repeats):
            t, c = time.perf_counter(), time.process_time()
            GANOversampler(method=name, recipe=args.recipe, random_state=r, device="cpu", **extra).fit_resample(X, y)
            times.append((time.perf_counter() - t, time.process_time() - c))
        rows.append([name, *(statistics.median(column) for column in zip(*times))])
        print(f"{name:12s} {rows[-1][1]:7.1f} s  (CPU {rows[-1][2]:.1f} s)", flush=True)
    lines = [
        *head(f"Default fit time per method (recipe={args.recipe!r})", "default_fit_times.py", argv,
              f"* torch threads {torch.get_num_threads()}"),
        "1,000 × 10 binary table (10 % minority), `GANOversampler(method=name, random_state=r, "
        "device='cpu').fit_resample(X, y)` at its defaults"
        + ("" if not extra else " but " + ", ".join(f"`{k}={v!r}`" for k, v in extra.items()))
        + f"; median of {args.repeats} run(s). Target: under 60 s. *CPU* is the process's CPU time (all its "
        "threads), which other jobs on the machine inflate less than the wall time.",
        "",
        *table_lines(["method", "fit_resample (s)", "CPU (s)", "under 60 s"],
                     [[n, f"{t:.1f}", f"{c:.1f}", "yes" if t < 60 else "**no**"] for n, t, c in rows]),
    ]
    print_or_write(lines, args.out, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
