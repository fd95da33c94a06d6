"""Memory of fits (issue 11, part 7), each measurement in a fresh process with one torch thread: resident memory
and live tensors over ``--loop-fits`` fits in a loop, the peak of one fit of a ``--large-n`` × 20 table, and the
peak of ``sample(--filtered-n)`` through a row filter that keeps few of the rows it draws
(what each measures: benchmarks/README.md, "Memory of fits").

    python benchmarks/memory.py             # both, results file written (results/memory.md and .json)
    python benchmarks/memory.py --quick     # small sizes, printed only
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, in_fresh_process, parser, print_or_write, timed  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation.report import table_lines  # noqa: E402

MB = 1e6


def rss_bytes() -> int:
    """The process's resident memory now (Linux only: ``/proc/self/status``)."""
    return int(re.search(r"^VmRSS:\s*(\d+)", Path("/proc/self/status").read_text(), re.M).group(1)) * 1024


def table(n: int, d: int, seed: int = 0, shift: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    X[:n // 10] += shift
    return X, (np.arange(n) < n // 10).astype(np.int64)


def run_loop(n_fits: int, n_iter: int) -> dict:
    X, y = table(1000, 10)
    out = {"rss_mb": [], "live_tensors": [], "fit_s": [], "n_iter": n_iter}
    for i in range(n_fits):
        start = time.perf_counter()
        GANOversampler(n_iter=n_iter, device="cpu", random_state=i).fit_resample(X, y)
        out["fit_s"].append(time.perf_counter() - start)
        gc.collect()
        out["rss_mb"].append(rss_bytes() / MB)
        out["live_tensors"].append(sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor)))
    return out


def run_large(n: int, d: int, n_iter: int) -> dict:
    GANOversampler(n_iter=2, device="cpu", random_state=0).fit_resample(*table(200, d))  # warm every code path
    gc.collect()
    base = rss_bytes()
    X, y = table(n, d)
    sampler = GANOversampler(n_iter=n_iter, device="cpu", random_state=0)
    fit_s, (X_res, y_res) = timed(lambda: sampler.fit_resample(X, y), 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {"n": n, "d": d, "n_iter": n_iter, "data_mb": X.nbytes / MB, "base_mb": base / MB, "peak_mb": peak / MB,
            "peak_over_base_mb": (peak - base) / MB, "multiple_of_data": (peak - base) / X.nbytes,
            "input_plus_output_mb": (X.nbytes + y.nbytes + X_res.nbytes + y_res.nbytes) / MB,
            "new_rows": int(len(X_res) - n), "fit_s": fit_s}


def run_filtered(n: int, d: int, n_iter: int) -> dict:
    """Peak of ``sample(n)`` through a k-NN filter at quantile 0.9 on overlapping classes (a drawn row passes about
    as often as the real minority rows' top tenth of positive shares): the memory of drawing many more rows than
    are kept."""
    from minority_gen.filtering import RowFilter

    sampler = GANOversampler(n_iter=n_iter, device="cpu", random_state=0, filter=RowFilter("knn", quantile=0.9))
    sampler.fit(*table(5000, d, shift=0.5))  # the classes overlap: many drawn rows look like the other class
    sampler.sample(1000, random_state=0)  # warm every code path
    gc.collect()
    base = rss_bytes()
    fit_s, rows = timed(lambda: sampler.sample(n, random_state=1), 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report = sampler.filter_report_[1]
    return {"n": n, "d": d, "n_iter": n_iter, "drawn": report["drawn"], "rounds": report["rounds"],
            "kept_share": n / report["drawn"], "peak_over_base_mb": (peak - base) / MB,
            "bytes_per_row": (peak - base) / n, "output_mb": rows.nbytes / MB, "sample_s": fit_s}


def report(loop: dict, large: dict, argv, filtered: dict) -> list[str]:
    rss, tensors = loop["rss_mb"], loop["live_tensors"]
    k = min(4, len(rss) - 2)  # growth measured after the first few fits (allocator warm-up)
    return [
        *head("Memory of fits (issue 11, part 7)", "memory.py", argv, "* 1 torch thread per measuring process"),
        f"## {len(rss)} fits in a loop (1,000 × 10 float32, 10 % minority, rumi, {loop['n_iter']} iterations each)", "",
        *table_lines(["after fit", "RSS (MB)", "live torch tensors", "fit (s)"],
                     [[i, f"{r:.1f}", t, f"{s:.1f}"]
                      for i, (r, t, s) in enumerate(zip(rss, tensors, loop["fit_s"]), 1)]), "",
        f"Growth from fit {k + 1} to fit {len(rss)}: {rss[-1] - rss[k]:+.1f} MB of RSS "
        f"({(rss[-1] - rss[k]) / (len(rss) - 1 - k):+.2f} MB per fit), {tensors[-1] - tensors[k]:+d} live tensors.", "",
        f"## One fit of a {large['n']:,} × {large['d']} float32 table ({large['data_mb']:.0f} MB)", "",
        *table_lines(["", "MB"], [[label, f"{large[key]:.0f}"] for label, key in (
            ("resident before the table was made (torch and minority_gen loaded)", "base_mb"),
            ("peak resident during `fit_resample`", "peak_mb"), ("peak minus the start", "peak_over_base_mb"),
            ("the table itself", "data_mb"),
            (f"input + output that `fit_resample` returns ({large['new_rows']:,} new rows)", "input_plus_output_mb"))]),
        "",
        f"Peak above the start: **{large['multiple_of_data']:.1f} × the table's size** "
        f"(the input and the output alone are {large['input_plus_output_mb'] / large['data_mb']:.1f} ×). "
        f"Default rumi, {large['n_iter']:,} iterations, {large['fit_s']:.0f} s.", "",
        f"## `sample({filtered['n']:,})` through a row filter that keeps few rows (a {filtered['d']}-column table, "
        f"`RowFilter('knn', quantile=0.9)`, {filtered['n_iter']:,} iterations)", "",
        f"The filter kept {filtered['kept_share']:.0%} of the {filtered['drawn']:,} rows drawn in "
        f"{filtered['rounds']} round(s). Peak above the start: **{filtered['peak_over_base_mb']:.0f} MB, "
        f"{filtered['bytes_per_row']:.0f} bytes per returned row** (the returned rows themselves: "
        f"{filtered['output_mb']:.0f} MB); {filtered['sample_s']:.0f} s.", "",
    ]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = parser(__doc__, HERE / "results" / "memory.md", quick="3 fits of 5 iterations, a 20,000-row table; print only")
    ap.add_argument("--loop-fits", type=int, default=20)
    ap.add_argument("--loop-iter", type=int, default=200)
    ap.add_argument("--large-n", type=int, default=1_000_000)
    ap.add_argument("--large-iter", type=int, default=2000)
    ap.add_argument("--filtered-n", type=int, default=200_000)
    ap.add_argument("--child", choices=("loop", "large", "filtered"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.loop_fits, args.loop_iter, args.large_n, args.large_iter = 3, 5, 20_000, 5  # growth from fit 2 to 3
        args.filtered_n = 2_000
    if args.child:
        torch.set_num_threads(1)
        run = {"loop": lambda: run_loop(args.loop_fits, args.loop_iter),
               "large": lambda: run_large(args.large_n, 20, args.large_iter),
               "filtered": lambda: run_filtered(args.filtered_n, 20, args.loop_iter)}[args.child]
        print(json.dumps(run()))
        return 0
    results = {}
    for mode in ("loop", "large", "filtered"):  # each in a fresh process, so that one does not inherit the other's heap
        print(f"{mode} ...", flush=True)
        cmd = [sys.executable, __file__, *argv, "--child", mode]
        results[mode] = in_fresh_process(cmd, f"memory.py --child {mode}", OMP_NUM_THREADS="1")
    print_or_write(report(results["loop"], results["large"], argv, results["filtered"]), args.out, args.quick,
                   results, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
