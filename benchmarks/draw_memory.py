"""Memory of drawing rows: the peak of ``sample(n)`` per returned row above the fitted sampler's, for each kind of
data, beside ``safeguards.row_bytes``' estimate (what ``check_room`` refuses by), each case in a fresh process
with one torch thread (benchmarks/README.md, "Memory of drawing rows").

    python benchmarks/draw_memory.py            # results/draw_memory.md (and .json)
    python benchmarks/draw_memory.py --quick    # small draws, printed only
"""

from __future__ import annotations

import gc
import json
import re
import resource
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, in_fresh_process, parser, print_or_write  # noqa: E402
from minority_gen.evaluation.report import table_lines  # noqa: E402

#: case → (what it is, rows drawn in a full run)
CASES = {
    "array": ("NumPy float32, 20 columns, no row filter", 500_000),
    "array-filter": ("NumPy float32, 20 columns, the default row filter", 500_000),
    "frame": ("DataFrame of 20 float32 columns, the default row filter", 500_000),
    "objects": ("DataFrame: 5 float columns, 5 text columns of 10 levels", 300_000),
    "category": ("the same, text columns as `category`", 300_000),
    "images": ("28 × 28 uint8 images", 30_000),
}


def data(case: str):
    """The case's training table (5,000 rows, 10 % minority; 300 images, 20 %) and its label."""
    import pandas as pd

    rng = np.random.default_rng(0)
    if case == "images":
        return rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), (np.arange(300) < 60).astype(int)
    y = (np.arange(5000) < 500).astype(int)
    if case in ("objects", "category"):
        levels = np.array([f"l{k}" for k in range(10)], dtype=object)
        X = pd.DataFrame({**{f"x{i}": rng.normal(size=5000) + y for i in range(5)},
                          **{f"c{i}": levels[rng.integers(0, 10, 5000)] for i in range(5)}})
        return (X.astype({f"c{i}": "category" for i in range(5)}) if case == "category" else X), y
    X = rng.standard_normal((5000, 20)).astype(np.float32)
    X[:500] += 2
    return (pd.DataFrame(X, columns=[f"c{i}" for i in range(20)]) if case == "frame" else X), y


def measure(case: str, n: int) -> dict:
    """Fit the case (50 iterations; images 3), draw once to warm every path, then the peak of ``sample(n)``."""
    import torch

    from minority_gen import GANOversampler
    from minority_gen.safeguards import holds_objects, row_bytes

    torch.set_num_threads(1)
    X, y = data(case)
    params = dict(n_iter=3, batch_size=16) if case == "images" else dict(n_iter=50)
    sampler = GANOversampler(random_state=0, **params, **({"filter": None} if case == "array" else {}))
    sampler.fit(X, y)
    sampler.sample(300, random_state=0)
    gc.collect()
    base = int(re.search(r"^VmRSS:\s*(\d+)", Path("/proc/self/status").read_text(), re.M).group(1)) * 1024
    rows = sampler.sample(n, random_state=1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    n_encoded = sampler.model_.spec.n_features if case == "images" else getattr(sampler.codec_, "n_encoded_", 20)
    estimate = row_bytes(n_encoded, sampler.n_features_in_, frame=hasattr(sampler, "feature_names_in_"),
                         objects=holds_objects(sampler.codec_))
    return {"case": case, "n": n, "n_encoded": int(n_encoded), "columns": int(sampler.n_features_in_),
            "bytes_per_row": (peak - base) / n, "estimate": estimate, "returned_mb": _nbytes(rows) / 1e6}


def _nbytes(rows) -> int:
    return int(rows.memory_usage(deep=True).sum()) if hasattr(rows, "memory_usage") else rows.nbytes


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = parser(__doc__, HERE / "results" / "draw_memory.md", quick="draws of 20,000 rows (2,000 images); print only")
    ap.add_argument("--note", default="", help="a line added to the results (e.g. the commit measured)")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=__import__("argparse").SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]))))
        return 0
    results = []
    for case, (_, n) in CASES.items():
        n = (2_000 if case == "images" else 20_000) if args.quick else n
        cmd = [sys.executable, __file__, "--child", case, str(n)]
        results.append(r := in_fresh_process(cmd, f"draw_memory.py --child {case}", OMP_NUM_THREADS="1"))
        print(f"{case}: {r['bytes_per_row']:.0f} bytes a row (estimate {r['estimate']})", flush=True)
    rows = [[f"`{r['case']}`: {CASES[r['case']][0]}", f"{r['n']:,}", r["n_encoded"], r["columns"],
             f"{r['bytes_per_row']:,.0f}", f"{r['estimate']:,}", f"{r['estimate'] / r['bytes_per_row']:.2f}",
             f"{r['returned_mb']:.0f}"] for r in results]
    lines = [*head("Memory of drawing rows", "draw_memory.py", argv, "* 1 torch thread per measuring process",
                   *([f"* Note: {args.note}"] if args.note else [])),
             "Peak resident memory of one `sample(n, random_state=1)` above the resident memory just before it "
             "(after a first draw of 300 rows), per returned row; estimate = `safeguards.row_bytes` for the case.",
             "", *table_lines(["case", "rows drawn", "encoded width", "columns", "peak bytes a row",
                               "estimate", "estimate ÷ peak", "returned (MB)"], rows)]
    print_or_write(lines, args.out, args.quick, results, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
