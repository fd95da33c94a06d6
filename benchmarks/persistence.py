"""Save and load time, and file size, of a fitted default sampler (issue 11: persistence).

The default ``GANOversampler(method="rumi")`` is fitted once on a 1,000 × 10
binary table (10 % minority); then ``sampler.save(path)`` and
``GANOversampler.load(path)`` are timed ``--repeats`` times (median
reported) next to ``joblib.dump`` / ``joblib.load`` of the same sampler, and
the loaded sampler's rows are checked to equal the original's for the same
seed.

    python benchmarks/persistence.py               # default rumi, 2,000 iterations, 20 repeats
    python benchmarks/persistence.py --quick       # 50 iterations, 3 repeats, no results file
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import joblib
import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.default_fit_times import make_table  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 iterations, 3 repeats, print only")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "persistence.md")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    kwargs = dict(random_state=0, device="cpu", **({"n_iter": 50} if args.quick else {}))

    X, y = make_table()
    start = time.perf_counter()
    sampler = GANOversampler(**kwargs).fit(X, y)
    fit_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        model, pickled = Path(tmp) / "model.mgz", Path(tmp) / "model.joblib"
        save_s = timed(lambda: sampler.save(model), repeats)
        load_s = timed(lambda: GANOversampler.load(model), repeats)
        dump_s = timed(lambda: joblib.dump(sampler, pickled), repeats)
        jload_s = timed(lambda: joblib.load(pickled), repeats)
        size, jsize = model.stat().st_size, pickled.stat().st_size
        loaded = GANOversampler.load(model)
        same = np.array_equal(loaded.sample(1000, y=1, random_state=3), sampler.sample(1000, y=1, random_state=3))
    if not same:
        raise SystemExit("the loaded sampler drew other rows than the original: persistence is broken")

    command = "python benchmarks/persistence.py" + (" --quick" if args.quick else "")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Saving and loading a fitted sampler",
        "",
        f"`{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}; {date.today()}; "
        f"load average at the end {load:.1f}.",
        "",
        f"Default `GANOversampler(method='rumi')` ({sampler.n_iter} iterations, fitted in {fit_s:.1f} s) on a "
        f"1,000 × 10 binary table (10 % minority); median of {repeats} runs. The loaded sampler's 1,000 rows "
        f"for seed 3 equal the original's: {'yes' if same else 'NO'}.",
        "",
        "| format | save (ms) | load (ms) | file size (KiB) | loading runs code from the file |",
        "|---|---|---|---|---|",
        f"| `sampler.save` / `GANOversampler.load` (.mgz) | {save_s * 1e3:.1f} | {load_s * 1e3:.1f} | "
        f"{size / 1024:.1f} | no |",
        f"| `joblib.dump` / `joblib.load` | {dump_s * 1e3:.1f} | {jload_s * 1e3:.1f} | {jsize / 1024:.1f} | "
        "yes (pickle) |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
