"""Issue 30 experiment on protocol V's tables only (not a default, not adopted): margin-matched GAN rows.

Default rumi rows lie deeper in their class than the real rows (their margin under a balanced logistic regression
of the real training rows is larger). Here 5 x the needed rows are drawn from the fitted default sampler and n of
them are kept so that their margins follow the real minority rows' margins (equal counts in the real margins'
quantile bins; a bin short of candidates takes the nearest spare ones). LR, RF and HGB G-mean on protocol V's folds
against n rows of the same fit drawn as they come, SMOTE and ROS (``../_v_folds.py``).

    python benchmarks/results/dev_collection/experiments/margin_match/match.py [TABLE,TABLE,...]  # appends runs.jsonl
    python benchmarks/results/dev_collection/experiments/margin_match/match.py --report           # results.md
"""

import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[4]), str(HERE.parent)]
import _v_folds as v  # noqa: E402


def select(cands: np.ndarray, mc: np.ndarray, mr: np.ndarray, n: int, bins: int = 10) -> np.ndarray:
    """``n`` rows of ``cands`` whose margins ``mc`` follow the real margins ``mr`` (quantile bins of ``mr``)."""
    n_bins = max(1, min(bins, len(mr) // 3))
    edges = np.quantile(mr, np.linspace(0, 1, n_bins + 1))[1:-1]
    which = np.searchsorted(edges, mc)
    want = np.full(n_bins, n // n_bins)
    want[: n % n_bins] += 1
    chosen, spare = [], []
    for k in range(n_bins):
        idx = np.flatnonzero(which == k)
        chosen.append(idx[: want[k]])
        spare.append(idx[want[k]:])
        want[k] -= len(chosen[-1])
    lo = np.concatenate([[mr.min()], edges])
    hi = np.concatenate([edges, [mr.max()]])
    pool = np.concatenate(spare)
    used = np.zeros(len(pool), bool)
    for k in np.flatnonzero(want > 0):
        order = np.argsort(np.abs(mc[pool] - (lo[k] + hi[k]) / 2) + used * 1e9)[: want[k]]
        used[order] = True
        chosen.append(pool[order])
    return cands[np.concatenate(chosen)]


def run(names: list[str]) -> None:
    from sklearn.linear_model import LogisticRegression

    from minority_gen import GANOversampler

    for name, fold, Xtr, Xte, ytr, yte, pos in v.folds(names):
        n = int((ytr != pos).sum() - (ytr == pos).sum())
        start = time.time()
        g = GANOversampler(method="rumi", random_state=0).fit(Xtr, ytr)
        cands = np.asarray(g.sample(5 * n, y=pos, random_state=1))
        lr = LogisticRegression(class_weight="balanced", max_iter=3000).fit(Xtr, ytr == pos)
        coef, intercept = lr.coef_[0], lr.intercept_[0]
        real = Xtr[ytr == pos] @ coef + intercept
        rows = {"gan": np.asarray(g.sample(n, y=pos, random_state=1)),
                "match": select(cands, cands @ coef + intercept, real, n), **v.baselines(Xtr, ytr)}
        rec = {"table": name, "fold": fold, "fit_s": time.time() - start, "real_margin": float(np.median(real)),
               "margin": {k: float(np.median(r @ coef + intercept)) for k, r in rows.items()}}
        v.append(HERE / "runs.jsonl", {**rec, **v.score(rows, Xtr, Xte, ytr, yte, pos)})


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        v.write_report(HERE, __file__, "Margin-matched GAN rows on protocol V (experiment, not adopted)",
                       "`gan`: n default rumi rows, `match`: n rows of the same fit whose logistic-regression margins "
                       "follow the real minority rows' margins. Median margins (real, gan, match) per fold are in the "
                       "store.", ("gan", "match", "smote", "ros"))
    else:
        from minority_gen.evaluation.datasets import COLLECTIONS

        run(sys.argv[1].split(",") if len(sys.argv) > 1 else list(COLLECTIONS["dev"]))
