"""Protocol S (EVALUATION.md): fit time and peak memory of GANOversampler on tables, each run in a fresh process
(its max RSS its own): median wall time of ``--repeats`` runs, time per iteration, SMOTE on the same data, and the
loop overhead against a bare torch loop with the same networks and Rumi-LSGAN losses. The demo table is
``breast_cancer_30`` (before 2026-12-06 the example's cut drawn with ``default_rng(0)``, same shape).

    python benchmarks/speed_tabular.py            # full grid, 3 repeats (results/speed_tabular.md)
    python benchmarks/speed_tabular.py --quick    # a smoke run (seconds, printed only)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from imblearn.over_sampling import SMOTE

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.default_fit_times import make_table  # noqa: E402
from minority_gen import GANOversampler, losses  # noqa: E402
from minority_gen.data import DataSpec, TableCodec  # noqa: E402
from minority_gen.evaluation.datasets import load_dataset  # noqa: E402
from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results  # noqa: E402
from minority_gen.nets import Head, build_discriminator, build_generator  # noqa: E402


def worker(kind: str, n: int, d: int, n_iter: int, device: str) -> dict:
    X, y = load_dataset("breast_cancer_30") if kind == "demo" else make_table(n, d)
    out = {"rows": len(X), "features": X.shape[1], "threads": torch.get_num_threads()}
    if kind == "bare":
        out["ms_per_iter"] = bare_loop_ms(X, y, n_iter, device)
    rumi = GANOversampler(method="rumi", n_iter=n_iter, random_state=0, device=device)
    start = time.perf_counter()
    if kind == "smote":
        SMOTE(random_state=0).fit_resample(X, y)
    elif kind == "bare":
        rumi.fit(X, y)  # training only, as the bare loop
    else:
        rumi.fit_resample(X, y)
    out["fit_s"] = time.perf_counter() - start
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def bare_loop_ms(X, y, n_iter: int, device: str) -> float:
    """The library's networks and Rumi losses (split schedule) in a bare loop: milliseconds per iteration."""
    dev = torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")
    x = torch.from_numpy(TableCodec().fit(X).encode(X)).to(dev)
    pos, neg = x[torch.from_numpy(y == 1)], x[torch.from_numpy(y == 0)]
    spec = DataSpec(X.shape[1])
    G, D = build_generator(spec, 100).to(dev), build_discriminator(spec, {"adv": Head(1)}).to(dev)
    og, od = (torch.optim.Adam(net.parameters(), 1e-4, betas=(0.5, 0.999)) for net in (G, D))

    def step(optimiser, terms) -> None:
        optimiser.zero_grad()
        losses.total(terms).backward()
        optimiser.step()

    start = time.perf_counter()
    for _ in range(n_iter):
        xp, xn = (rows[torch.randint(len(rows), (100,), device=dev)] for rows in (pos, neg))
        with torch.no_grad():
            fake = G(torch.randn(100, 100, device=dev))
        for real, side in ((xp, "d_pos"), (xn, "d_neg")):
            out = D(torch.cat([real, fake]))["adv"]
            step(od, losses.rumi_lsgan_d(**{"d_pos": None, "d_neg": None, side: out[:100]}, d_fake=out[100:],
                                         fake_weight=0.5))
        step(og, losses.rumi_lsgan_g(D(G(torch.randn(100, 100, device=dev)))["adv"]))
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / n_iter * 1000


def run(kind, n, d, n_iter, device) -> dict:
    """:func:`worker` in a fresh process."""
    cmd = [sys.executable, __file__, "--worker", kind, str(n), str(d), str(n_iter), device]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path, default=HERE / "results" / "speed_tabular.md")
    p.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        kind, n, d, n_iter, device = args.worker
        print(json.dumps(worker(kind, int(n), int(d), int(n_iter), device)))
        return
    n_iter, repeats = (200, 1) if args.quick else (2000, args.repeats)
    grid = [("demo", 0, 0), ("table", 5000, 30)]
    if not args.quick:
        grid += [("table", n, d) for n in (1_000, 10_000, 100_000) for d in (10, 100)]
    rows = []
    for kind, n, d in grid:
        runs = [run(kind, n, d, n_iter, args.device) for _ in range(repeats)]
        smote = run("smote", n, d, n_iter, args.device)["fit_s"] if kind == "table" else float("nan")
        fit = statistics.median(r["fit_s"] for r in runs)
        rows.append(["demo (breast cancer, 30 malignant)" if kind == "demo" else "synthetic",
                     f"{runs[0]['rows']:,} × {runs[0]['features']}", f"{fit:.1f}", f"{fit / n_iter * 1000:.2f}",
                     f"{max(r['maxrss_mb'] for r in runs):.0f}", f"{smote:.3f}"])
        print(" | ".join(rows[-1]), flush=True)
    bare = run("bare", 5000, 30, n_iter, args.device)
    lib_ms = bare["fit_s"] / n_iter * 1000
    lines = [
        "# Tabular speed and memory (protocol S)", "",
        *run_stamp(command_line("benchmarks/speed_tabular.py", argv)),
        f"* device {args.device}, torch threads {runs[0]['threads']}", "",
        f"Method `rumi` with default settings (batch 100, latent 100, {n_iter} iterations, split D updates); "
        f"median of {repeats} run(s); max RSS of the whole process (includes importing torch).", "",
        *table_lines(["data", "rows × features", "fit (s)", "ms / iteration", "peak RSS (MB)", "SMOTE (s)"], rows), "",
        f"Loop overhead on 5,000 × 30: train_gan {lib_ms:.2f} ms/iteration vs a bare loop with the same networks "
        f"and losses {bare['ms_per_iter']:.2f} ms/iteration (ratio {lib_ms / bare['ms_per_iter']:.2f}).",
    ]
    if not args.quick:
        write_results(args.out, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
