"""BreastMNIST speed benchmark (protocol I's data): time per 1,000 iterations,
peak memory, and sample grids for convolutional GANs on the CPU.

Scenarios, on the official training split (label 0 = malignant = minority):

* ``malignant147``: the whole split (147 malignant, 399 benign);
* ``severe30``: malignant images cut to 30 (``numpy.random.default_rng(0)``).

Each (method, scenario) runs in its own process (so max RSS is its own):
``GANOversampler(method=..., n_iter=N, device=..., random_state=0)`` with the
method's defaults and the image defaults (conv width, DiffAugment
``color,translation,cutout``, EMA of the generator), fitted with ``fit``; the fit's wall time is
scaled to 1,000 iterations. Then a grid of 8 real vs 8 synthetic images per
fitted class is saved. ``N`` is far too small for good images: the grids show
what that many iterations give, not converged quality.

Usage::

    python benchmarks/breastmnist_speed.py --quick            # 10 iterations, seconds
    python benchmarks/breastmnist_speed.py --threads 1        # 100 iterations per run
    python benchmarks/breastmnist_speed.py --methods rumi acgan --device cuda

The data is read from ``--data`` (default: ``$MINORITY_GEN_DATA`` or
``../shared/data`` beside the repository); ``breastmnist.npz`` is MedMNIST v2's
file (https://medmnist.com, ``breastmnist.npz``, CC BY 4.0).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the package, also when it is not installed

from minority_gen.evaluation.datasets import default_data_dir  # noqa: E402
from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results  # noqa: E402

SCENARIOS = ("malignant147", "severe30")


def load_breastmnist(data_dir: Path, scenario: str = "malignant147") -> tuple[np.ndarray, np.ndarray]:
    """BreastMNIST's training split (``<data_dir>/breastmnist.npz``; label 0 = malignant), cut as ``scenario``."""
    path = Path(data_dir) / "breastmnist.npz"
    if not path.is_file():
        raise SystemExit(
            f"{path} not found. Download breastmnist.npz from MedMNIST v2 (https://medmnist.com, "
            "zenodo record 10519652) into that folder, or pass --data / set MINORITY_GEN_DATA."
        )
    with np.load(path) as f:
        X, y = f["train_images"], f["train_labels"].ravel().astype(np.int64)
    if scenario == "severe30":
        malignant = np.flatnonzero(y == 0)
        keep = np.sort(np.random.default_rng(0).choice(malignant, 30, replace=False))
        mask = y != 0
        mask[keep] = True
        X, y = X[mask], y[mask]
    return X, y


def breastmnist_or_random(data_dir: Path, random: bool = False) -> tuple[np.ndarray, np.ndarray, str]:
    """BreastMNIST's training split, or (``random``, or the file absent) random 28 × 28 images with its counts
    (147 malignant = 0, then 399 benign = 1; ``default_rng(0)``); and which of the two, in words."""
    if not random and (Path(data_dir) / "breastmnist.npz").is_file():
        return *load_breastmnist(data_dir), f"BreastMNIST training split ({Path(data_dir) / 'breastmnist.npz'})"
    y = np.repeat([0, 1], [147, 399])
    X = np.random.default_rng(0).integers(0, 256, (len(y), 28, 28), dtype=np.uint8)
    return X, y, "random 28 × 28 uint8 images with BreastMNIST's counts (BreastMNIST not found or --random)"


def run_one(args: argparse.Namespace) -> None:
    """Worker: one (method, scenario) fit; prints one JSON line."""
    import torch

    from minority_gen import GANOversampler
    from minority_gen.plotting import save_sampler_grid

    if args.threads:
        torch.set_num_threads(args.threads)
    X, y = load_breastmnist(args.data, args.scenario)
    sampler = GANOversampler(method=args.method, n_iter=args.n_iter, device=args.device, random_state=0)
    start = time.perf_counter()
    sampler.fit(X, y)
    seconds = time.perf_counter() - start
    grid = Path(args.out) / f"grid_{args.method}_{args.scenario}.png"
    save_sampler_grid(grid, sampler, X, y, n_per_class=8, random_state=0,
                      title=f"BreastMNIST {args.scenario}: {args.method}, {args.n_iter} iterations")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    counts = {int(c): int((y == c).sum()) for c in np.unique(y)}
    print(json.dumps(dict(
        method=args.method, scenario=args.scenario, counts=counts, n_iter=args.n_iter,
        gans=int(sampler.history_["gan"].nunique()), fit_s=seconds,
        s_per_1000=seconds / args.n_iter * 1000, max_rss_mb=peak_mb, gpu_peak_mb=gpu_mb,
        torch_threads=torch.get_num_threads(), grid=grid.name,
    )))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 iterations per run (smoke test)")
    parser.add_argument("--n-iter", type=int, default=None, help="iterations per run (default 100; quick 10)")
    parser.add_argument("--methods", nargs="+", default=["rumi", "lsgan"])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "breastmnist_speed")
    parser.add_argument("--note", default="", help="free text added to the results (e.g. CPU sharing)")
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "SCENARIO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.n_iter = args.n_iter or (10 if args.quick else 100)
    if args.worker:
        args.method, args.scenario = args.worker
        run_one(args)
        return
    load_breastmnist(args.data, "malignant147")  # fail early when the data is absent
    args.out.mkdir(parents=True, exist_ok=True)
    args.load_start = os.getloadavg()
    rows = []
    for method in args.methods:
        for scenario in args.scenarios:
            cmd = [sys.executable, __file__, "--worker", method, scenario, "--n-iter", str(args.n_iter),
                   "--device", args.device, "--threads", str(args.threads or 0),
                   "--data", str(args.data), "--out", str(args.out)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                raise SystemExit(f"{method} / {scenario} failed:\n{done.stderr[-3000:]}")
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            r = rows[-1]
            print(f"{method:8s} {scenario:13s} {r['s_per_1000']:8.1f} s/1000 it  "
                  f"max RSS {r['max_rss_mb']:.0f} MB", flush=True)
    write_table(args, rows)


def write_table(args: argparse.Namespace, rows: list[dict]) -> None:
    from minority_gen.nets.conv import DEFAULT_WIDTH
    from minority_gen.settings import AUTO_IMAGE_EMA

    lines = [
        "# BreastMNIST: GAN training speed and memory",
        "",
        *run_stamp(command_line("benchmarks/breastmnist_speed.py"), args.load_start),
        f"* Device `{args.device}`, torch threads {rows[0]['torch_threads'] if rows else '?'}",
        f"* Settings: `GANOversampler(method=M, n_iter={args.n_iter}, device={args.device!r}, "
        "random_state=0)`, each method's default batch size, latent size and Adam settings (rumi, lsgan, acgan: "
        "batch 100, latent 100; Adam 1e-4 for rumi and lsgan, 2e-4 for acgan), image "
        f"defaults (conv width {DEFAULT_WIDTH}, DiffAugment color,translation,cutout, EMA of G {AUTO_IMAGE_EMA}); "
        "`fit` wall time over "
        f"{args.n_iter} iterations scaled to 1,000; max RSS of the run's own process.",
    ]
    if args.note:
        lines.append(f"* Note: {args.note}")
    lines += ["", *table_lines(
        ["method", "scenario", "rows (malignant / benign)", "GANs fitted", "fit (s)", "s per 1,000 it", "max RSS (MB)",
         "grid"],
        [[r["method"], r["scenario"], f"{r['counts'].get('0', r['counts'].get(0))} / "
          f"{r['counts'].get('1', r['counts'].get(1))}", r["gans"], f"{r['fit_s']:.1f}", f"{r['s_per_1000']:.0f}",
          f"{r['max_rss_mb']:.0f}", f"[{r['grid']}]({r['grid']})"] for r in rows])]
    print("wrote", write_results(args.out / "results.md", lines, rows))


if __name__ == "__main__":
    main()
