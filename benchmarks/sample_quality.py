"""Sample quality (issue 8): mode coverage on toys and fidelity/diversity on held-back real rows.

The current defaults against the previous ones (``recipe="paper", pac=1, anchor=None, n_iter=2000``: :data:`OLD`)
and one change at a time, on the two-mode toy and the ring of Gaussians of :mod:`minority_gen.evaluation.toys` and on
breast cancer with 30 malignant rows (protocol T's ``breast_cancer_30``), scored against the 182 malignant rows held
back. Data, measurements and targets: benchmarks/README.md, "Sample quality"; findings: docs/sample_quality.md.

    python benchmarks/sample_quality.py            # everything (about 10 minutes on 2 cores)
    python benchmarks/sample_quality.py --quick    # smoke run (seconds)
"""

from __future__ import annotations

import sys
from itertools import product
from pathlib import Path

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, parser, timed  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation import load_dataset, parse_sampler  # noqa: E402
from minority_gen.evaluation.datasets import breast_cancer_30_malignant  # noqa: E402
from minority_gen.evaluation.metrics import frechet_distance, prdc  # noqa: E402
from minority_gen.evaluation.report import table_lines, write_results  # noqa: E402
from minority_gen.evaluation.toys import mode_coverage, ring_of_gaussians, two_mode_toy  # noqa: E402

OLD = {"recipe": "paper", "pac": 1, "selection": "last", "anchor": None, "n_iter": 2000}
BOTH = {"defaults": {}, "previous defaults": OLD}
ABLATIONS = {**BOTH, "correction='free', boundary=None": {"correction": "free", "boundary": None},
             "anchor=None": {"anchor": None}, "pac=1": {"pac": 1},
             "selection='quality'": {"selection": "quality"}, "recipe='paper'": {"recipe": "paper"},
             "n_iter=2000": {"n_iter": 2000}}


def fit_sample(kw: dict, X, y, n: int, seed: int, extra: dict) -> tuple[np.ndarray, float]:
    seconds, rows = timed(lambda: GANOversampler(random_state=seed, device="cpu", **{**kw, **extra}).fit(X, y)
                          .sample(n, y=1, random_state=0), 1)
    return rows, seconds


def mode_table(label: str, toy, methods, variants: dict, seeds, extra: dict) -> list[dict]:
    """2,000 rows of each (method, variant, seed): the share nearer a positive mode than a negative one and the
    share of each positive mode (the ring's rows leave out the method and seed, always rumi and 0)."""
    rows = []
    for method, (name, kw), seed in product(methods, variants.items(), seeds):
        X, y, pos, neg = toy(seed)
        F, sec = fit_sample({"method": method, **kw}, X, y, 2000, seed, extra)
        near_pos, shares = mode_coverage(F, pos, neg)
        row = {"method": method, "variant": name, "seed": seed, "near_positive": round(near_pos, 3),
               "mode_shares": [round(float(s), 3) for s in shares], "seconds": round(sec, 1)}
        rows.append(row if label == "toy" else {k: v for k, v in row.items() if k not in ("method", "seed")})
        print(label, rows[-1], flush=True)
    return rows


def quality(X_held: np.ndarray, F: np.ndarray) -> dict:
    p = prdc(X_held, F, k=5)
    return {"frechet": round(frechet_distance(X_held, F), 2), **{k: round(v, 3) for k, v in p.items()}}


def breast_cancer_table(variants: dict, extra: dict, with_filter: bool) -> list[dict]:
    X, y = load_dataset("breast_cancer")  # malignant = 1; breast_cancer_30's rows: the benign, then 30 malignant
    keep = breast_cancer_30_malignant(y)
    train = np.r_[np.flatnonzero(y == 0), keep]
    scaler = StandardScaler().fit(X[train])
    Xt, yt, Xh = scaler.transform(X[train]), y[train], scaler.transform(X[np.setdiff1d(np.flatnonzero(y == 1), keep)])
    rows = [{"sampler": "the 30 real rows", **quality(Xh, Xt[yt == 1])}]
    for name, spec in (("SMOTE (k=5)", 'smote:{"k_neighbors": 5}'), ("ROS", "ros")):
        rows.append({"sampler": name, **quality(Xh, parse_sampler(spec).fit_resample(Xt, yt)[0][len(Xt):][:len(Xh)])})
    runs = {f"rumi, {k}": {"method": "rumi", **v} for k, v in variants.items()}
    if with_filter:
        runs["rumi, filter='copies,knn'"] = {"method": "rumi", "filter": "copies,knn"}
    runs.update({f"{m}, {k}": {"method": m, **v} for m in ("lsgan", "acgan") for k, v in BOTH.items()})
    for name, kw in runs.items():
        F, sec = fit_sample(kw, Xt, yt, len(Xh), 0, extra)
        rows.append({"sampler": name, **quality(Xh, F), "seconds": round(sec, 1)})
        print("breast cancer", rows[-1], flush=True)
    return rows


def write_report(out: Path, data: dict, argv=None) -> Path:
    """results.md (and results.json: ``data``) from the three tables."""
    toy = []
    for method, variant in dict.fromkeys((r["method"], r["variant"]) for r in data["toy"]):
        rs = [r for r in data["toy"] if (r["method"], r["variant"]) == (method, variant)]
        ok = all(r["near_positive"] >= 0.95 and min(r["mode_shares"]) >= 0.2 for r in rs)
        toy.append([method, variant, ", ".join(f"{r['near_positive']:.3f}" for r in rs),
                    ", ".join(f"{min(r['mode_shares']):.2f}" for r in rs), "yes" if ok else "**no**"])
    lines = [
        *head("Sample quality: mode coverage and held-back fidelity/diversity", "sample_quality.py", argv,
              "* torch on 1 thread. \"previous defaults\" = `recipe='paper', pac=1, selection='last', anchor=None, "
              "n_iter=2000` (what `main` did before issue 8; the defaults keep `selection='last'` too). See the "
              "script's docstring for the data."),
        "## Two-mode toy (2,000 rows sampled)", "",
        *table_lines(["method", "variant", "near a positive mode (seeds 0, 1, 2)", "smallest mode share",
                      "target met"], toy),
        "", "## Ring: 4 positive modes among 4 negative ones (rumi, seed 0)", "",
        *table_lines(["variant", "near a positive mode", "share per positive mode"],
                     ([r["variant"], f"{r['near_positive']:.3f}", r["mode_shares"]] for r in data["ring"])),
        "", "## Breast cancer, 30 malignant rows: 182 synthetic rows against the 182 held-back malignant rows", "",
        *table_lines(["sampler", "Fréchet ↓", "precision", "recall", "density", "coverage", "fit (s)"],
                     ([r["sampler"], f"{r['frechet']:.1f}", *(f"{r[k]:.2f}" for k in ("precision", "recall",
                       "density", "coverage")), r.get("seconds", "")] for r in data["breast_cancer"])), ""]
    return write_results(out / "results.md", lines, data)


def main(argv=None) -> int:
    args = parser(__doc__, HERE / "results" / "sample_quality", quick="tiny settings, nothing written").parse_args(argv)
    torch.set_num_threads(1)
    extra, seeds = ({"n_iter": 20, "hidden_dims": (16,)}, [0]) if args.quick else ({}, [0, 1, 2])
    toy = mode_table("toy", two_mode_toy, ["rumi"] if args.quick else ["rumi", "lsgan", "acgan"], BOTH, seeds, extra)
    if not args.quick:
        toy += mode_table("toy", two_mode_toy, ["rumi"], {k: v for k, v in ABLATIONS.items() if k not in BOTH},
                          seeds, extra)
    ring_variants = {"defaults": {}} if args.quick else ABLATIONS
    rings = mode_table("ring", ring_of_gaussians, ["rumi"], ring_variants, [0], extra)
    bc = breast_cancer_table(BOTH if args.quick else ABLATIONS, extra, with_filter=not args.quick)
    if not args.quick:
        print("wrote", write_report(args.out, {"toy": toy, "ring": rings, "breast_cancer": bc}, argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
