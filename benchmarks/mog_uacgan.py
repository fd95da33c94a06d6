"""Reproduce the UAC-GAN paper's 1-D mixture of Gaussians (EVALUATION.md, protocol M).

Data, recipe, measures: benchmarks/README.md, "Protocol M". Results: results/mog_uacgan[_quick][_<tag>].{md,json,png}.

    python -m benchmarks.mog_uacgan --quick          # smoke run, ~30 CPU-seconds
    python -m benchmarks.mog_uacgan                  # a full run at pac 4, no anchors
    python -m benchmarks.mog_uacgan --seeds 5 --n-iter 500 --methods acgan,tacgan,uacgan --pac 4 --tag pac4
                                                     # the committed results/mog_uacgan_pac4.md (~25 min)
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks._timing import parser, timed
from minority_gen import GANOversampler
from minority_gen.evaluation.metrics import mmd2, mmd2_poly_1d
from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results
from minority_gen.evaluation.toys import MIXTURE_MEANS, MIXTURE_STDS, gaussian_mixture_1d

RESULTS = Path(__file__).resolve().parent / "results"
RECIPE = dict(lr_g=2e-3, lr_d=2e-3, betas=(0.5, 0.999), n_critic=10, batch_size=256, latent_dim=2,
              hidden_dims=(10, 10), device="cpu")
METHODS = "acgan,tacgan,uacgan,projection,cagan,amgan,labelgan"
PARAMS = {"uacgan": {"lambda_mi": 1.0}}  # the authors' 1-D script (their CIFAR runs: 0.1)
KEYS = [f"{k}_{c}" for k in ("poly", "rbf") for c in (0, 1, 2, "marginal")] + ["std_0", "std_1", "std_2", "fit_s"]


def mmd_rbf(a: np.ndarray, b: np.ndarray, rng, n: int = 2000, bandwidth: float = 1.0) -> float:
    """Unbiased MMD² with ``exp(-(x-y)²/(2h²))`` (:func:`mmd2`) on ``n`` rows of each sample drawn by ``rng``."""
    a, b = (rng.choice(v.ravel(), n, replace=False).astype(np.float64)[:, None] for v in (a, b))
    return mmd2(a, b, bandwidth=bandwidth, max_samples=None)


def run_one(method, n_per_class, seed, n_iter, n_eval, pac=4, anchor=None):
    rng = np.random.default_rng(seed)
    X, y = gaussian_mixture_1d(n_per_class, rng)
    strategy = {c: int(n) + 1 for c, n in enumerate(n_per_class)}  # fit every class
    sampler = GANOversampler(method=method, method_params=PARAMS.get(method), n_iter=n_iter,
                             sampling_strategy=strategy, pac=pac, anchor=anchor, random_state=seed, **RECIPE)
    out = {"fit_s": timed(lambda: sampler.fit(X, y), 1)[0]}
    gen = [sampler.sample(n_eval, y=c, random_state=seed).ravel() for c in range(3)]
    real = np.split(gaussian_mixture_1d([n_eval] * 3, np.random.default_rng(10_000 + seed))[0].ravel(), 3)
    for c in range(3):
        out.update({f"poly_{c}": mmd2_poly_1d(gen[c], real[c]), f"rbf_{c}": mmd_rbf(gen[c], real[c], rng),
                    f"std_{c}": float(np.std(gen[c]))})
    g_all, r_all = np.concatenate(gen), np.concatenate(real)
    out.update(poly_marginal=mmd2_poly_1d(g_all, r_all), rbf_marginal=mmd_rbf(g_all, r_all, rng))
    return out, gen


def plot(samples, path, methods, variants):
    from matplotlib.figure import Figure  # drawn without pyplot: the caller's backend is left alone

    grid = np.linspace(-8, 16, 400)
    fig = Figure(figsize=(5 * len(variants), 2.2 * len(methods)))
    axes = fig.subplots(len(methods), len(variants), squeeze=False, sharex=True)
    for (i, m), (j, v) in itertools.product(enumerate(methods), enumerate(variants)):
        for c, (mu, sd, color) in enumerate(zip(MIXTURE_MEANS, MIXTURE_STDS, ("tab:blue", "tab:orange", "tab:green"))):
            pdf = np.exp(-((grid - mu) ** 2) / (2 * sd**2)) / (sd * np.sqrt(2 * np.pi))
            axes[i, j].plot(grid, pdf, "--", color=color, lw=1)
            axes[i, j].hist(samples[(m, v)][c], bins=120, range=(-8, 16), density=True, histtype="step",
                            color=color, lw=1.2)
        axes[i, j].set_title(f"{m} — {v} (seed 0)", fontsize=9)
        axes[i, j].set_yticks([])
    fig.suptitle("Generated (solid histograms) vs true class densities (dashed); classes 0, 1, 2", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(argv=None) -> int:
    ap = parser(__doc__, RESULTS, quick="1 seed, 100 iterations, 3 methods")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--n-iter", type=int, default=1000, help="generator steps (each after 10 D steps)")
    ap.add_argument("--n-train", type=int, default=10_000, help="training rows per class")
    ap.add_argument("--n-eval", type=int, default=10_000, help="generated and true rows per class")
    ap.add_argument("--methods", default=METHODS)
    ap.add_argument("--tag", default="", help="suffix of the result files")
    ap.add_argument("--pac", type=int, default=4, help="rows per discriminator pack (1: no packing)")
    ap.add_argument("--anchor", choices=("none", "smote", "auto"), default="none",
                    help="the estimator's anchor (none: the paper's plain generator)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    methods = args.methods.split(",")
    if args.quick:
        args.seeds, args.n_iter, methods = 1, 100, ["acgan", "tacgan", "uacgan"]
    n, anchor = args.n_train, None if args.anchor == "none" else args.anchor
    variants = {"balanced": [n, n, n], "imbalanced": [n, n, n // 20]}
    results, samples = {}, {}
    t_start = time.perf_counter()
    for v, sizes in variants.items():
        for m in methods:
            rows = []
            for seed in range(args.seeds):
                row, gen = run_one(m, sizes, seed, args.n_iter, args.n_eval, args.pac, anchor)
                rows.append(row)
                samples.setdefault((m, v), gen)  # seed 0's
                print(f"{v:10s} {m:10s} seed {seed}: poly marginal {row['poly_marginal']:.3f} class2 "
                      f"{row['poly_2']:.3f} std {row['std_0']:.2f}/{row['std_1']:.2f}/{row['std_2']:.2f} "
                      f"({row['fit_s']:.1f}s)", flush=True)
            # mean and population (ddof=0, as in the committed results) standard deviation over the seeds
            results[(m, v)] = {k: (float(np.mean([r[k] for r in rows])), float(np.std([r[k] for r in rows])))
                               for k in KEYS}
    total = time.perf_counter() - t_start
    out = args.out
    stem = ("mog_uacgan_quick" if args.quick else "mog_uacgan") + (f"_{args.tag}" if args.tag else "")
    lines = [
        "# UAC-GAN paper's 1-D mixture of Gaussians (protocol M)", "",
        *run_stamp(command_line("-m benchmarks.mog_uacgan", argv)),
        f"* torch 1 thread; total wall time {total / 60:.1f} min", "",
        f"pac = {args.pac}, anchor = {anchor}; uacgan: lambda_mi = 1 (the authors' 1-D script); every other "
        "option at its default.  ",
        f"Settings: {args.seeds} seeds, {args.n_iter} generator steps × 10 D steps, batch 256, Adam 2e-3 "
        f"(0.5, 0.999), latent 2, hidden (10, 10); training rows per class: balanced {variants['balanced']}, "
        f"imbalanced {variants['imbalanced']}; {args.n_eval} generated and {args.n_eval} fresh true rows "
        "per class.", "",
        "MMD² (lower is better), mean ± std over seeds. `poly`: kernel (x·y + 1)³, unbiased, exact, as the "
        "authors' script (data units, so class 2's large values dominate). `rbf`: Gaussian kernel, bandwidth 1, "
        "unbiased, 2,000 rows per side. `std c`: generated standard deviation of class c (true 1, 2, 3).", "",
        "Paper (poly, balanced, marginal): AC-GAN 52.348, TAC-GAN 0.351, UAC-GAN 0.185; class 2: 527.801, "
        "2.772, 0.760.", "",
    ]
    header = ["method", *(f"{k} {c}" for k in ("poly", "rbf") for c in ("c0", "c1", "c2", "marginal")),
              "std c0", "std c1", "std c2", "fit s"]
    for v in variants:
        rows = [[m, *(f"{mean:.3f} ± {std:.3f}" for mean, std in (results[(m, v)][k] for k in KEYS[:-4])),
                 *(f"{results[(m, v)][k][0]:.2f}" for k in KEYS[-4:])] for m in methods]
        lines += [f"## {v}", "", *table_lines(header, rows), ""]
    lines.append(f"![densities]({stem}.png)")
    write_results(out / f"{stem}.md", lines, {f"{m}|{v}": r for (m, v), r in results.items()}, echo=True)  # makes out
    plot(samples, out / f"{stem}.png", methods, list(variants))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
