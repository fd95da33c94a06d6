"""BreastMNIST speed (protocol I's data): time per 1,000 iterations, peak memory and sample grids of image GANs,
each (method, scenario) fitted in a process of its own (what is run: benchmarks/README.md, "BreastMNIST speed").

    python benchmarks/breastmnist_speed.py --quick            # 10 iterations, seconds
    python benchmarks/breastmnist_speed.py --threads 1        # 100 iterations per run
    python benchmarks/breastmnist_speed.py --methods rumi acgan --device cuda

Data: breastmnist.npz (MedMNIST v2) in ``--data``. Results: results.md, results.json, grid_<method>_<scenario>.png
in ``--out`` (default benchmarks/results/breastmnist_speed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the package, also when it is not installed

from benchmarks._timing import head, in_fresh_process, or_exit, parser, peak_rss_mb, timed  # noqa: E402
from minority_gen.evaluation.datasets import default_data_dir, load_breastmnist  # noqa: E402
from minority_gen.evaluation.report import table_lines, write_results  # noqa: E402

#: This script's scenario names → ``load_breastmnist``'s.
SCENARIOS = {"malignant147": "full", "severe30": "severe30"}


def training_split(data_dir, scenario: str = "malignant147") -> tuple[np.ndarray, np.ndarray]:
    """BreastMNIST's training split (label 0 = malignant), cut as ``scenario``; a clear exit when it is absent."""
    return or_exit("breastmnist_speed", load_breastmnist, data_dir, SCENARIOS[scenario])["train"]


def breastmnist_or_random(data_dir, random: bool = False) -> tuple[np.ndarray, np.ndarray, str]:
    """BreastMNIST's training split, or (``random``, or the file absent) random 28 × 28 images with its counts
    (147 malignant = 0, then 399 benign = 1; ``default_rng(0)``); and which of the two, in words."""
    path = Path(data_dir or default_data_dir()) / "breastmnist.npz"
    if not random and path.is_file():
        return *training_split(path.parent), f"BreastMNIST training split ({path})"
    y = np.repeat([0, 1], [147, 399])
    X = np.random.default_rng(0).integers(0, 256, (len(y), 28, 28), dtype=np.uint8)
    return X, y, "random 28 × 28 uint8 images with BreastMNIST's counts (BreastMNIST not found or --random)"


def run_one(args: argparse.Namespace, method: str, scenario: str) -> dict:
    """One (method, scenario) fit in this process: its row of the table, after saving its grid."""
    import torch

    from minority_gen import GANOversampler
    from minority_gen.plotting import save_sampler_grid

    if args.threads:
        torch.set_num_threads(args.threads)
    X, y = training_split(args.data, scenario)
    sampler = GANOversampler(method=method, n_iter=args.n_iter, device=args.device, random_state=0)
    seconds = timed(lambda: sampler.fit(X, y), 1)[0]
    grid = f"grid_{method}_{scenario}.png"
    save_sampler_grid(args.out / grid, sampler, X, y, n_per_class=8, random_state=0,
                      title=f"BreastMNIST {scenario}: {method}, {args.n_iter} iterations")
    peak_mb = peak_rss_mb()
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return dict(method=method, scenario=scenario, counts={int(c): int((y == c).sum()) for c in np.unique(y)},
                n_iter=args.n_iter, gans=int(sampler.history_["gan"].nunique()), fit_s=seconds,
                s_per_1000=seconds / args.n_iter * 1000, max_rss_mb=peak_mb, gpu_peak_mb=gpu_mb,
                torch_threads=torch.get_num_threads(), grid=grid)


def main() -> None:
    ap = parser(__doc__, ROOT / "benchmarks" / "results" / "breastmnist_speed", quick="10 iterations per run", data="")
    ap.add_argument("--n-iter", type=int, default=None, help="iterations per run (default 100; quick 10)")
    ap.add_argument("--methods", nargs="+", default=["rumi", "lsgan"])
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--note", default="", help="free text added to the results (e.g. CPU sharing)")
    ap.add_argument("--worker", nargs=2, metavar=("METHOD", "SCENARIO"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.n_iter = args.n_iter or (10 if args.quick else 100)
    if args.worker:
        print(json.dumps(run_one(args, *args.worker)))
        return
    training_split(args.data)  # fail early when the data is absent
    args.out.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    rows = []
    for method in args.methods:
        for scenario in args.scenarios:  # the same options, in a process of its own
            cmd = [sys.executable, __file__, *sys.argv[1:], "--worker", method, scenario]
            rows.append(r := in_fresh_process(cmd, f"{method} / {scenario}"))
            print(f"{method:8s} {scenario:13s} {r['s_per_1000']:8.1f} s/1000 it  max RSS {r['max_rss_mb']:.0f} MB",
                  flush=True)

    from minority_gen.nets.conv import DEFAULT_WIDTH
    from minority_gen.settings import AUTO_IMAGE_EMA

    lines = [
        *head("BreastMNIST: GAN training speed and memory", "breastmnist_speed.py", None,
              f"* Device `{args.device}`, torch threads {rows[0]['torch_threads'] if rows else '?'}",
              f"* Settings: `GANOversampler(method=M, n_iter={args.n_iter}, device={args.device!r}, "
              "random_state=0)`, each method's default batch size, latent size and Adam settings (rumi, lsgan, "
              "acgan: batch 100, latent 100; Adam 1e-4 for rumi and lsgan, 2e-4 for acgan), image defaults (conv "
              f"width {DEFAULT_WIDTH}, DiffAugment color,translation,cutout, EMA of G {AUTO_IMAGE_EMA}); `fit` wall "
              f"time over {args.n_iter} iterations scaled to 1,000; max RSS of the run's own process.",
              *([f"* Note: {args.note}"] if args.note else []), load_start=load_start),
        *table_lines(["method", "scenario", "rows (malignant / benign)", "GANs fitted", "fit (s)", "s per 1,000 it",
                      "max RSS (MB)", "grid"],
                     [[r["method"], r["scenario"], f"{r['counts']['0']} / {r['counts']['1']}", r["gans"],
                       f"{r['fit_s']:.1f}", f"{r['s_per_1000']:.0f}", f"{r['max_rss_mb']:.0f}",
                       f"[{r['grid']}]({r['grid']})"] for r in rows])]
    print("wrote", write_results(args.out / "results.md", lines, rows))


if __name__ == "__main__":
    main()
