"""Issue 34: what the default row filter costs in protocol S's warm fit (an experiment beside speed_tabular.md).

Per table shape (``_timing.make_table``) and ``filter`` (``"auto"``, the default: the reach filter on anchored
tables; ``"border"``; ``None``), a fresh process fits ``GANOversampler(method="rumi", random_state=0,
filter=...).fit_resample`` twice (cold, then warm, as protocol S) with 2 torch threads; the median over
``--repeats`` processes. Run it on an idle machine.

    python benchmarks/results/speed_filter/filter_cost.py            # writes results.md beside this file
    python benchmarks/results/speed_filter/filter_cost.py --repeats 1 --shapes 200x5   # smoke run, printed only
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
FILTERS = ("auto", "border", None)


def worker(n: int, d: int, filt: str | None) -> dict:
    import torch

    from benchmarks._timing import make_table
    from minority_gen import GANOversampler

    torch.set_num_threads(2)
    X, y = make_table(n, d)
    out = {}
    for name in ("cold_s", "warm_s"):
        start = time.perf_counter()
        sampler = GANOversampler(method="rumi", random_state=0, filter=filt)
        X_res, _ = sampler.fit_resample(X, y)
        out[name] = time.perf_counter() - start
    start = time.perf_counter()
    sampler.fit(X, y)
    out["warm_fit_s"] = time.perf_counter() - start
    out["new_rows"] = len(X_res) - len(X)
    out["report"] = {str(k): v for k, v in getattr(sampler, "filter_report_", {}).items()}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--shapes", nargs="+", default=["1000x10", "5000x30"])
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        n, d, filt = args.worker
        print(json.dumps(worker(int(n), int(d), None if filt == "None" else filt)))
        return
    from minority_gen.evaluation.report import command_line, run_stamp, table_lines

    load_start = os.getloadavg()
    rows = []
    for shape in args.shapes:
        n, d = map(int, shape.split("x"))
        for filt in FILTERS:
            runs = []
            for _ in range(args.repeats):
                cmd = [sys.executable, __file__, "--worker", str(n), str(d), str(filt)]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            med = {k: statistics.median(r[k] for r in runs) for k in ("cold_s", "warm_s", "warm_fit_s")}
            rows.append([f"{n} × {d}", repr(filt), f"{med['cold_s']:.2f}", f"{med['warm_s']:.2f}",
                         f"{med['warm_fit_s']:.2f}", runs[-1]["new_rows"]])
            print(*rows[-1], flush=True)
    lines = ["# What the row filter costs in the default fit (protocol S's shapes)", "",
             *run_stamp(command_line(str(Path(__file__).relative_to(ROOT))), load_start), "",
             f"Median over {args.repeats} fresh processes, 2 torch threads; `fit_resample` cold (first in the "
             "process) and warm (second), and `fit` alone after them.", "",
             *table_lines(["table", "filter", "cold fit_resample (s)", "warm fit_resample (s)", "warm fit (s)",
                           "new rows"], rows), ""]
    if args.repeats >= 3:
        (HERE / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
