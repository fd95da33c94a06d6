"""Issue 30 experiment on protocol V's tables only (not a default, not adopted): GAN rows without their mean drift.

The default rumi rows' mean lies away from SMOTE's (their anchors' draw): the generator's corrections drift on
average. Here the default's rows (``fit_resample``) are shifted so that their mean is SMOTE's rows' mean, keeping
every row's offset from the mean. LR, RF and HGB G-mean on protocol V's folds (StratifiedKFold(5, shuffle=True,
random_state=0), StandardScaler on the training fold) against the default's rows, SMOTE and ROS; ``drift`` in the
store is the distance between the two means (standardised units), ``sd_real`` the real minority rows' total spread.

    python benchmarks/results/dev_collection/experiments/drift/drift.py [TABLE,TABLE,...]  # appends runs.jsonl
    python benchmarks/results/dev_collection/experiments/drift/drift.py --report           # results.md
"""

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[4]
sys.path.insert(0, str(ROOT))
SETS = ("gan", "centre", "smote", "ros")
CLASSIFIERS = ("lr", "rf", "hgb")


def run(names: list[str]) -> None:
    import torch
    from imblearn.metrics import geometric_mean_score
    from imblearn.over_sampling import SMOTE, RandomOverSampler
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
                gan = GANOversampler(method="rumi", random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):]
                smote = SMOTE(random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):]
                real = Xtr[ytr == pos]
                rows = {"gan": gan, "centre": gan - gan.mean(0) + smote.mean(0), "smote": smote,
                        "ros": RandomOverSampler(random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):]}
                rec = {"table": name, "fold": fold, "drift": float(np.linalg.norm(gan.mean(0) - smote.mean(0))),
                       "sd_real": float(np.sqrt(real.var(0).sum()))}
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
    table = df.groupby("table")[[f"{k}/{c}" for k in SETS for c in CLASSIFIERS] + ["drift", "sd_real"]].mean()
    lines = ["# GAN rows without their mean drift on protocol V (experiment, not adopted)", "",
             f"Written by `python {Path(__file__).relative_to(ROOT)} --report` from `runs.jsonl` ({len(df)} "
             "folds, computed 2026-12-07 at output version 52303f66844ddca3, Intel Xeon, 1 thread). G-mean, mean of "
             "5 folds; `gan`: the default rumi rows, `centre`: the same rows shifted so that their mean is SMOTE's "
             "rows' mean. Drift: distance between the two means, beside the real minority rows' total spread "
             "(standardised units, mean of the folds).",
             "SMOTE here is imblearn's default, k = 5 (protocol V's `smote` row uses k = 3), so the counts against "
             "SMOTE and ROS are not protocol V's; the comparison that matters is with `gan`, the same fit's rows.", ""]
    for c in CLASSIFIERS:
        sub = table[[f"{k}/{c}" for k in SETS]]  # counts on the unrounded means, as the engine's reports
        best = sub[[f"smote/{c}", f"ros/{c}"]].max(axis=1)
        gan, centre = sub[f"gan/{c}"], sub[f"centre/{c}"]
        header = "| table | drift | spread | " + " | ".join(SETS) + " |"
        lines += [f"## {c}", "", header, "|---" * (len(SETS) + 3) + "|"]
        lines += [f"| {name} | {table.loc[name, 'drift']:.2f} | {table.loc[name, 'sd_real']:.2f} | "
                  + " | ".join(f"{v:.3f}" for v in row) + " |" for name, row in sub.iterrows()]
        lines += ["", f"Ahead of the better of SMOTE and ROS: gan {int((gan > best).sum())}, centre "
                  f"{int((centre > best).sum())} of {len(sub)}; centre above / below gan on "
                  f"{int((centre > gan).sum())} / {int((centre < gan).sum())} tables, mean difference "
                  f"{(centre - gan).mean():+.4f}.", ""]
    (HERE / "results.md").write_text("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        report()
    else:
        from minority_gen.evaluation.datasets import COLLECTIONS

        run(sys.argv[1].split(",") if len(sys.argv) > 1 else list(COLLECTIONS["dev"]))
