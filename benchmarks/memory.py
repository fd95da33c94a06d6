"""Memory of fits (issue 11, part 7): 20 fits in a loop, and the peak of a 1,000,000 × 20 float32 fit.

Two measurements, each in a fresh Python process so that one does not
inherit the other's heap:

* **loop** — ``GANOversampler(method="rumi").fit_resample`` 20 times in a
  row on the same 1,000 × 10 table (10 % minority; ``--loop-iter``
  iterations per fit), recording after every fit the process's resident
  memory (``VmRSS``) and the number of live torch tensors (``gc``). A leak
  shows as growth from fit to fit after the first few.
* **large** — one default ``fit_resample`` (``--large-iter`` iterations, 2,000 =
  the default) on a 1,000,000 × 20 float32 table, 10 % minority, so 800,000
  rows are generated. Reported: the peak resident memory (``ru_maxrss``)
  minus the resident memory just before the table was made (torch and
  the package imported, a tiny fit run to load every code path), in
  units of the table's own size (80 MB), next to the size of the input
  plus the output that ``fit_resample`` must hold at the end.

    python benchmarks/memory.py             # both, results file written
    python benchmarks/memory.py --quick     # small sizes, printed only
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results  # noqa: E402

MB = 1e6


def rss_bytes() -> int:
    """The process's resident memory now (Linux ``/proc/self/status``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS not found in /proc/self/status (Linux only)")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def live_tensors() -> int:
    import torch

    return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))


def table(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_min = n // 10
    X = rng.standard_normal((n, d), dtype=np.float32)
    X[:n_min] += 2.0
    y = np.zeros(n, dtype=np.int64)
    y[:n_min] = 1
    return X, y


def _setup() -> None:
    import torch

    torch.set_num_threads(1)


def run_loop(n_fits: int, n_iter: int) -> dict:
    _setup()
    from minority_gen import GANOversampler

    X, y = table(1000, 10)
    rss, tensors, seconds = [], [], []
    for i in range(n_fits):
        start = time.perf_counter()
        X_res, y_res = GANOversampler(n_iter=n_iter, device="cpu", random_state=i).fit_resample(X, y)
        seconds.append(time.perf_counter() - start)
        del X_res, y_res
        gc.collect()
        rss.append(rss_bytes())
        tensors.append(live_tensors())
    return {"rss_mb": [r / MB for r in rss], "live_tensors": tensors, "fit_s": seconds, "n_iter": n_iter}


def run_large(n: int, d: int, n_iter: int) -> dict:
    _setup()
    from minority_gen import GANOversampler

    GANOversampler(n_iter=2, device="cpu", random_state=0).fit_resample(*table(200, d))  # warm every code path
    gc.collect()
    base = rss_bytes()
    X, y = table(n, d)
    data = X.nbytes
    start = time.perf_counter()
    X_res, y_res = GANOversampler(n_iter=n_iter, device="cpu", random_state=0).fit_resample(X, y)
    fit_s = time.perf_counter() - start
    end_state = X.nbytes + y.nbytes + X_res.nbytes + y_res.nbytes
    peak = peak_rss_bytes()
    return {"n": n, "d": d, "n_iter": n_iter, "data_mb": data / MB, "base_mb": base / MB, "peak_mb": peak / MB,
            "peak_over_base_mb": (peak - base) / MB, "multiple_of_data": (peak - base) / data,
            "input_plus_output_mb": end_state / MB, "new_rows": int(len(X_res) - n), "fit_s": fit_s}


def in_subprocess(mode: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--loop-fits", str(args.loop_fits),
           "--loop-iter", str(args.loop_iter), "--large-n", str(args.large_n), "--large-iter", str(args.large_iter)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(loop: dict, large: dict, command: str) -> list[str]:
    rss, tensors = loop["rss_mb"], loop["live_tensors"]
    k = min(4, len(rss) - 2)  # growth measured after the first few fits (allocator warm-up)
    return [
        "# Memory of fits (issue 11, part 7)",
        "",
        *run_stamp(command),
        "* 1 torch thread per measuring process",
        "",
        f"## {len(rss)} fits in a loop (1,000 × 10 float32, 10 % minority, rumi, {loop['n_iter']} iterations each)",
        "",
        *table_lines(["after fit", "RSS (MB)", "live torch tensors", "fit (s)"],
                     [[i, f"{r:.1f}", t, f"{s:.1f}"]
                      for i, (r, t, s) in enumerate(zip(rss, tensors, loop["fit_s"]), 1)]),
        "",
        f"Growth from fit {k + 1} to fit {len(rss)}: {rss[-1] - rss[k]:+.1f} MB of RSS "
        f"({(rss[-1] - rss[k]) / (len(rss) - 1 - k):+.2f} MB per fit), "
        f"{tensors[-1] - tensors[k]:+d} live tensors.",
        "",
        f"## One fit of a {large['n']:,} × {large['d']} float32 table ({large['data_mb']:.0f} MB)",
        "",
        *table_lines(["", "MB"], [[label, f"{large[key]:.0f}"] for label, key in (
            ("resident before the table was made (torch and minority_gen loaded)", "base_mb"),
            ("peak resident during `fit_resample`", "peak_mb"), ("peak minus the start", "peak_over_base_mb"),
            ("the table itself", "data_mb"),
            (f"input + output that `fit_resample` returns ({large['new_rows']:,} new rows)", "input_plus_output_mb"))]),
        "",
        f"Peak above the start: **{large['multiple_of_data']:.1f} × the table's size** "
        f"(the input and the output alone are {large['input_plus_output_mb'] / large['data_mb']:.1f} ×). "
        f"Default rumi, {large['n_iter']:,} iterations, {large['fit_s']:.0f} s.",
        "",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 fits of 5 iterations, a 20,000-row table; print only")
    parser.add_argument("--loop-fits", type=int, default=20)
    parser.add_argument("--loop-iter", type=int, default=200)
    parser.add_argument("--large-n", type=int, default=1_000_000)
    parser.add_argument("--large-iter", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "memory.md")
    parser.add_argument("--child", choices=("loop", "large"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.loop_fits, args.loop_iter, args.large_n, args.large_iter = 3, 5, 20_000, 5  # growth from fit 2 to 3
    if args.child == "loop":
        print(json.dumps(run_loop(args.loop_fits, args.loop_iter)))
        return 0
    if args.child == "large":
        print(json.dumps(run_large(args.large_n, 20, args.large_iter)))
        return 0
    print("loop ...", flush=True)
    loop = in_subprocess("loop", args)
    print("large ...", flush=True)
    large = in_subprocess("large", args)
    lines = report(loop, large, command_line("benchmarks/memory.py", argv))
    print("\n".join(lines))
    if not args.quick:
        write_results(args.out, lines, {"loop": loop, "large": large})
    return 0


if __name__ == "__main__":
    sys.exit(main())
