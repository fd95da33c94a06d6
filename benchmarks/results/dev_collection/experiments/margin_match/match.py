"""Issue 30 experiment on protocol V's tables only (not a default, not adopted): margin-matched GAN rows.

Default rumi rows lie deeper in their class than the real rows (their margin under a balanced logistic regression
of the real training rows is larger). Here 5 x the needed rows are drawn from the fitted default sampler and n of
them are kept so that their margins follow the real minority rows' margins (equal counts in the real margins'
quantile bins; a bin short of candidates takes the nearest spare ones). LR, RF and HGB G-mean on protocol V's folds
(StratifiedKFold(5, shuffle=True, random_state=0), StandardScaler on the training fold) against n rows of the
same fit drawn as they come, SMOTE and ROS.

    python benchmarks/results/dev_collection/experiments/margin_match/match.py [TABLE,TABLE,...]  # appends runs.jsonl
    python benchmarks/results/dev_collection/experiments/margin_match/match.py --report           # results.md
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[4]
sys.path.insert(0, str(ROOT))
SETS = ("gan", "match", "smote", "ros")
CLASSIFIERS = ("lr", "rf", "hgb")


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
    import torch
    from imblearn.metrics import geometric_mean_score
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    from minority_gen import GANOversampler
    from minority_gen.evaluation import load_dataset
    from minority_gen.evaluation.samplers import make_classifier

    torch.set_num_threads(1)
    with open(HERE / "runs.jsonl", "a") as out:
        for name in names:
            X, y = load_dataset(name)
            X, y = np.asarray(X, float), np.asarray(y)
            labels, counts = np.unique(y, return_counts=True)
            pos = labels[np.argmin(counts)]
            for fold, (tr, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)):
                scaler = StandardScaler().fit(X[tr])
                Xtr, Xte, ytr, yte = scaler.transform(X[tr]), scaler.transform(X[te]), y[tr], y[te]
                n = int((ytr != pos).sum() - (ytr == pos).sum())
                start = time.time()
                g = GANOversampler(method="rumi", random_state=0).fit(Xtr, ytr)
                cands = np.asarray(g.sample(5 * n, y=pos, random_state=1))
                lr = LogisticRegression(class_weight="balanced", max_iter=3000).fit(Xtr, ytr == pos)
                coef, intercept = lr.coef_[0], lr.intercept_[0]
                real = Xtr[ytr == pos] @ coef + intercept
                rows = {"gan": np.asarray(g.sample(n, y=pos, random_state=1)),
                        "match": select(cands, cands @ coef + intercept, real, n),
                        "smote": SMOTE(random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):],
                        "ros": RandomOverSampler(random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):]}
                rec = {"table": name, "fold": fold, "fit_s": time.time() - start, "real_margin": float(np.median(real)),
                       "margin": {k: float(np.median(v @ coef + intercept)) for k, v in rows.items()}}
                for k, new in rows.items():
                    Xa, ya = np.vstack([Xtr, new]), np.concatenate([ytr, np.full(len(new), pos)])
                    for c in CLASSIFIERS:
                        pred = make_classifier(c, 0).fit(Xa, ya).predict(Xte)
                        rec[f"{k}/{c}"] = float(geometric_mean_score(yte, pred))
                out.write(json.dumps(rec) + "\n")
                out.flush()
                print(name, fold, {k: round(v, 3) for k, v in rec.items() if k.endswith("/lr")}, flush=True)


def report() -> None:
    import pandas as pd

    df = pd.DataFrame([json.loads(line) for line in open(HERE / "runs.jsonl")])
    table = df.groupby("table")[[f"{k}/{c}" for k in SETS for c in CLASSIFIERS]].mean()  # counts unrounded
    lines = ["# Margin-matched GAN rows on protocol V (experiment, not adopted)", "",
             f"Written by `python {Path(__file__).relative_to(ROOT)} --report` from `runs.jsonl` ({len(df)} "
             "folds, computed 2026-12-07 at output version 52303f66844ddca3, Intel Xeon, 1 thread). G-mean, mean of "
             "5 folds; `gan`: n default rumi rows, `match`: n rows of the same fit whose logistic-regression margins "
             "follow the real minority rows' margins. Median margins (real, gan, match) per fold are in the store.",
             "SMOTE here is imblearn's default, k = 5 (protocol V's `smote` row uses k = 3), so the counts against "
             "SMOTE and ROS are not protocol V's; the comparison that matters is with `gan`, the same fit's rows.", ""]
    for c in CLASSIFIERS:
        sub = table[[f"{k}/{c}" for k in SETS]]
        best = sub[[f"smote/{c}", f"ros/{c}"]].max(axis=1)
        gan, match = sub[f"gan/{c}"], sub[f"match/{c}"]
        lines += [f"## {c}", "", "| table | " + " | ".join(SETS) + " |", "|---" * (len(SETS) + 1) + "|"]
        lines += [f"| {name} | " + " | ".join(f"{v:.3f}" for v in row) + " |" for name, row in sub.iterrows()]
        lines += ["", f"Ahead of the better of SMOTE and ROS: gan {int((gan > best).sum())}, match "
                  f"{int((match > best).sum())} of {len(sub)}; match above / below gan on "
                  f"{int((match > gan).sum())} / {int((match < gan).sum())} tables.", ""]
    (HERE / "results.md").write_text("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        report()
    else:
        from minority_gen.evaluation.datasets import COLLECTIONS

        run(sys.argv[1].split(",") if len(sys.argv) > 1 else list(COLLECTIONS["dev"]))
