"""Protocol S: fit time and peak memory of the default GANOversampler on tables, beside SMOTE and CTGAN, and the
FLOP bound of its training step, each measurement in a fresh process. What is measured, and how to install ctgan
for ``--ctgan-path``: benchmarks/README.md, "Protocol S: tabular speed".

    python benchmarks/speed_tabular.py --ctgan-path /work/ctgan_path   # full grid (results/speed_tabular.md)
    python benchmarks/speed_tabular.py --quick                         # smoke run (seconds, printed only)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from imblearn.over_sampling import SMOTE

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks import _timing as timing  # noqa: E402
from benchmarks._timing import make_table  # noqa: E402 (also this module's, for the tests)
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation.ctgan_sampler import CTGANSampler  # noqa: E402
from minority_gen.evaluation.datasets import load_dataset  # noqa: E402
from minority_gen.evaluation.report import table_lines  # noqa: E402


def worker(kind: str, n: int, d: int, n_iter: int | None, device: str) -> dict:
    """One measurement (``kind``: rumi, smote, ctgan or flops) on one table, in this process."""
    X, y = load_dataset("breast_cancer_30") if kind.startswith("demo-") else make_table(n, d)
    out = {"rows": len(X), "features": X.shape[1], "threads": torch.get_num_threads()}
    kind = kind.removeprefix("demo-")
    params = dict(method="rumi", random_state=0, device=device, **({} if n_iter is None else {"n_iter": n_iter}))
    if kind == "rumi":
        for name in ("cold_s", "warm_s"):
            start = time.perf_counter()
            sampler = GANOversampler(**params)
            sampler.fit_resample(X, y)
            out[name] = time.perf_counter() - start
        out["iterations"] = int(sampler.history_["iteration"].nunique())
    elif kind == "smote":
        out["fit_s"] = timing.timed(lambda: SMOTE(random_state=0).fit_resample(X, y), 1)[0]
    elif kind == "ctgan":  # CTGAN at its defaults on the CPU, as protocol T runs it
        out["fit_s"] = timing.timed(lambda: CTGANSampler(random_state=0).fit_resample(X, y), 1)[0]
    elif kind == "flops":
        out.update(step_flops(X, y, params), gflops=timing.matmul_rate() / 1e9)
    out["maxrss_mb"] = timing.peak_rss_mb()
    return out


def step_flops(X, y, params: dict) -> dict:
    """FLOPs of one training iteration at ``params`` (fits of 1 and 3 iterations, the difference halved)."""
    return {"flops_per_iter": timing.flops_per_iter(lambda n: GANOversampler(**{**params, "n_iter": n}).fit(X, y))}


def run(kind, n, d, n_iter, device, ctgan_path: Path | None = None) -> dict:
    """:func:`worker` in a fresh process (CTGAN's with ``ctgan_path`` on ``PYTHONPATH``)."""
    cmd = [sys.executable, __file__, "--worker", kind, str(n), str(d), str(n_iter), device]
    return timing.in_fresh_process(cmd, f"speed_tabular worker {kind} {n}x{d}", ctgan_path)


def carried_ctgan(path: Path) -> dict:
    """The CTGAN seconds per ``rows × features`` of an earlier results file of this script (``_stamp``: its date and
    commit line)."""
    from benchmarks.docs_figures import read_md_table

    text = path.read_text(encoding="utf-8")
    rows = read_md_table(path, "data")
    stamp = next((line[2:].strip() for line in text.splitlines() if line.startswith("* Date: ")), "undated")
    out = {r["rows × features"]: float(r["CTGAN (s)"]) for r in rows if r["CTGAN (s)"] not in ("–", "")}
    if not out:
        raise SystemExit(f"--ctgan-from {path}: no CTGAN column with values in it.")
    return {**out, "_stamp": stamp}


def ctgan_available(path: Path | None) -> bool:
    """Whether ctgan imports with ``path`` first on ``PYTHONPATH``."""
    check = subprocess.run([sys.executable, "-c", "import ctgan"], env=timing.path_first(path), capture_output=True)
    return check.returncode == 0


def main(argv=None) -> None:
    p = timing.parser(__doc__, HERE / "results" / "speed_tabular.md")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--ctgan-path", type=Path, default=None,
                   help="a folder with ctgan and its dependencies (pandas<3), on PYTHONPATH for CTGAN's runs only")
    p.add_argument("--ctgan-from", type=Path, default=None, metavar="RESULTS_MD",
                   help="take the CTGAN column from an earlier results file of this script instead of fitting CTGAN "
                        "again (CTGAN and its tables do not depend on this package's defaults); the report says so")
    p.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        kind, n, d, n_iter, device = args.worker
        print(json.dumps(worker(kind, int(n), int(d), None if n_iter == "None" else int(n_iter), device)))
        return
    n_iter, repeats = (20, 1) if args.quick else (None, args.repeats)
    grid = [("demo", 0, 0), ("table", 1_000, 10), ("table", 5_000, 30)]
    if not args.quick:
        grid += [("table", n, d) for n, d in ((1_000, 100), (10_000, 10), (10_000, 100), (100_000, 10), (100_000, 100))]
    carried = carried_ctgan(args.ctgan_from) if args.ctgan_from is not None else None
    with_ctgan = carried is None and ctgan_available(args.ctgan_path) and not args.quick
    rows = []
    for kind, n, d in grid:
        prefix = "demo-" if kind == "demo" else ""
        runs = [run(prefix + "rumi", n, d, n_iter, args.device) for _ in range(repeats)]
        flops = run(prefix + "flops", n, d, n_iter, args.device)
        smote = run(prefix + "smote", n, d, n_iter, args.device)["fit_s"]
        ctgan = run(prefix + "ctgan", n, d, n_iter, args.device, args.ctgan_path)["fit_s"] if with_ctgan else None
        if carried is not None:
            ctgan = carried.get(f"{runs[0]['rows']:,} × {runs[0]['features']}")
        warm = statistics.median(r["warm_s"] for r in runs)
        ms = warm / runs[0]["iterations"] * 1000
        bound_ms = flops["flops_per_iter"] / (flops["gflops"] * 1e9) * 1000
        rows.append(["demo (breast cancer, 30 malignant)" if kind == "demo" else "synthetic",
                     f"{runs[0]['rows']:,} × {runs[0]['features']}",
                     f"{statistics.median(r['cold_s'] for r in runs):.2f}",
                     f"{warm:.2f}", f"{ms:.2f}", f"{max(r['maxrss_mb'] for r in runs):.0f}", f"{smote:.3f}",
                     "–" if ctgan is None else f"{ctgan:.1f}", f"{warm / smote:.0f}",
                     f"{flops['flops_per_iter'] / 1e6:.1f}", f"{bound_ms:.3f}", f"{ms / bound_ms:.0f}"])
        print(" | ".join(rows[-1]), flush=True)
    lines = [
        *timing.head("Tabular speed and memory (protocol S)", "speed_tabular.py", argv,
              f"* device {args.device}, torch threads {runs[0]['threads']}; float32 matrix products at "
              f"{flops['gflops']:.0f} GFLOP/s (best of 5 products of 1,024², these threads)"),
        f"Method `rumi` at today's defaults ({runs[0]['iterations']} iterations); cold = the process's first fit, "
        f"warm = its second (median of {repeats} processes); ms / iteration from the warm fit; max RSS of the "
        "whole process (includes importing torch). FLOPs: one training iteration's matrix products, forward and "
        "backward; bound = FLOPs ÷ the measured rate; ratio = warm ms / iteration ÷ bound. CTGAN: one run, "
        + ("ctgan 0.12.1 at its defaults (300 epochs) on the minority rows." if with_ctgan else
           f"not re-run: the column is {args.ctgan_from}'s, whose header gives its run ({carried['_stamp']})."
           if carried is not None else "not measured (ctgan not importable; pass --ctgan-path)."), "",
        *table_lines(["data", "rows × features", "cold fit (s)", "warm fit (s)", "ms / iteration", "peak RSS (MB)",
                      "SMOTE (s)", "CTGAN (s)", "warm ÷ SMOTE", "MFLOP / iteration", "bound (ms)", "ratio"], rows),
    ]
    timing.print_or_write(lines, args.out, args.quick, echo=True)


if __name__ == "__main__":
    main()
