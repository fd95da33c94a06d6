"""Demo: does GAN oversampling help a classifier when one class is rare?

scikit-learn's breast-cancer table (569 × 30) with the malignant class cut to
30 rows. A logistic regression is cross-validated (5 stratified folds,
resampling inside the training folds only) with no resampling, random
oversampling, SMOTE and Rumi-LSGAN (its defaults: rows that refine SMOTE
anchors). Then two GANs are fitted on the 30-malignant table, the default one
and one with ``selection="quality"`` (the generator kept is the one whose rows
scored best during training, ``history_``'s ``q_*`` columns, plotted; rows from
noise). Their rows are scored against the malignant rows the demo never trained
on (PRDC, next to SMOTE's), and the default one's are drawn next to the real
ones in a PCA plot.

Run: ``make demo`` (or ``python examples/demo_breast_cancer.py --out demo_output``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from imblearn.metrics import geometric_mean_score  # noqa: E402
from imblearn.over_sampling import SMOTE, RandomOverSampler  # noqa: E402
from imblearn.pipeline import make_pipeline  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import balanced_accuracy_score, f1_score, make_scorer  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_validate  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation.metrics import prdc  # noqa: E402
from minority_gen.plotting import plot_quality_curve  # noqa: E402
from minority_gen.settings import AUTO_TABLE_N_ITER, AUTO_TABLE_N_ITER_FROM_NOISE  # noqa: E402


def load_severe(n_minority: int = 30, seed: int = 0):
    """Breast cancer with the malignant class cut to ``n_minority`` rows; also the malignant rows left out."""
    data = load_breast_cancer()
    y = np.where(data.target == 0, "malignant", "benign")
    rng = np.random.default_rng(seed)
    malignant = np.flatnonzero(y == "malignant")
    keep = np.sort(np.r_[np.flatnonzero(y == "benign"), rng.choice(malignant, n_minority, replace=False)])
    held_out = np.setdiff1d(malignant, keep)
    return data.data[keep], y[keep], data.data[held_out]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_output"), help="folder for the two PNGs")
    parser.add_argument("--n-iter", type=int, default=None,
                        help=f"GAN generator updates (default: the estimator's n_iter='auto', {AUTO_TABLE_N_ITER} "
                             f"for the anchored default GAN and {AUTO_TABLE_N_ITER_FROM_NOISE} for the "
                             "quality-selected one, which starts from noise)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: these networks are small, and on a shared machine more "
                             "threads than free cores slow training down many times over)")
    args = parser.parse_args(argv)
    args.n_iter = "auto" if args.n_iter is None else args.n_iter
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)

    X, y, X_held = load_severe()
    print(f"Data: breast cancer, {len(y)} rows, {X.shape[1]} features; "
          f"malignant {np.sum(y == 'malignant')}, benign {np.sum(y == 'benign')}")
    scoring = {
        "balanced accuracy": make_scorer(balanced_accuracy_score),
        "G-mean": make_scorer(geometric_mean_score, pos_label="malignant", average="binary"),
        "F1 (malignant)": make_scorer(f1_score, pos_label="malignant"),
    }
    samplers = {
        "none": None,
        "ROS": RandomOverSampler(random_state=0),
        "SMOTE": SMOTE(k_neighbors=3, random_state=0),
        "rumi (GAN)": GANOversampler(method="rumi", n_iter=args.n_iter, random_state=0),
    }
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print("\nLogistic regression, 5-fold stratified CV (resampling inside the training folds); mean ± std")
    header = f"{'oversampler':<12}" + "".join(f"{m:>22}" for m in scoring) + f"{'CV time':>12}"
    print(header)
    print("-" * len(header))
    for name, sampler in samplers.items():
        steps = [StandardScaler()] + ([sampler] if sampler is not None else []) + [LogisticRegression(max_iter=3000)]
        start = time.perf_counter()
        res = cross_validate(make_pipeline(*steps), X, y, cv=cv, scoring=scoring)
        seconds = time.perf_counter() - start
        cells = "".join(
            f"{res[f'test_{m}'].mean():>15.3f} ± {res[f'test_{m}'].std():.3f}" for m in scoring
        )
        print(f"{name:<12}{cells}{seconds:>11.1f}s")

    # Fit on the 30-malignant table; score the rows against the malignant rows it never saw. Two GANs:
    # the defaults (rows refine SMOTE anchors), and a quality-selected one (selection="quality" keeps the
    # generator whose rows scored best during training; with it, anchor="auto" means rows from noise).
    scaler = StandardScaler().fit(X)
    Xs = scaler.transform(X)
    sampler = GANOversampler(method="rumi", n_iter=args.n_iter, random_state=0).fit(Xs, y)
    selected = GANOversampler(method="rumi", n_iter=args.n_iter, selection="quality", random_state=0).fit(Xs, y)
    history = selected.history_.dropna(subset=["q_score"])
    best = history.loc[history["q_score"].idxmax()]
    print(f"\nQuality-selected generator (no anchors): iteration {int(best['iteration'])} of "
          f"{int(history['iteration'].max())} (score {best['q_score']:.3f}: precision {best['q_precision']:.2f}, "
          f"coverage {best['q_coverage']:.2f}, near-copies {best['q_copies']:.2f}; last evaluation "
          f"{history['q_score'].iloc[-1]:.3f})")
    held = scaler.transform(X_held)
    synthetic = sampler.sample(len(held), y="malignant", random_state=0)
    X_smote, _ = SMOTE(random_state=0).fit_resample(Xs, y)
    print(f"\n{len(held)} synthetic malignant rows vs the {len(held)} real malignant rows left out of the table "
          "(PRDC, k = 5; higher is better)")
    print(f"{'rows':<30}{'precision':>10}{'recall':>8}{'density':>9}{'coverage':>10}")
    for name, rows in (("rumi, defaults (anchored)", synthetic),
                       ("rumi, quality-selected", selected.sample(len(held), y="malignant", random_state=0)),
                       ("SMOTE", X_smote[len(X):len(X) + len(held)]),
                       ("the 30 real rows", scaler.transform(X[y == "malignant"]))):
        q = prdc(held, rows, k=5)
        print(f"{name:<30}{q['precision']:>10.2f}{q['recall']:>8.2f}{q['density']:>9.2f}{q['coverage']:>10.2f}")
    print(f"Wrote {plot_quality_curve(selected.history_, args.out / 'demo_quality.png')} "
          "(quality during training, the quality-selected GAN)")
    pca = PCA(2).fit(scaler.transform(X))
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for rows, label, style in [
        (scaler.transform(X[y == "benign"]), "benign (real)", dict(c="#9bb7d4", s=12, alpha=0.5)),
        (synthetic, "malignant (synthetic, rumi)", dict(c="#f4a259", s=14, alpha=0.6, marker="x")),
        (scaler.transform(X[y == "malignant"]), "malignant (real, 30)", dict(c="#bc4b51", s=40, edgecolor="k")),
    ]:
        p = pca.transform(rows)
        ax.scatter(p[:, 0], p[:, 1], label=label, **style)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title("Breast cancer, 30 malignant rows: real vs Rumi-LSGAN rows")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path = args.out / "demo_pca.png"
    fig.savefig(path, dpi=120)
    print(f"\nWrote {path} (PCA of real and synthetic rows)")


if __name__ == "__main__":
    main()
