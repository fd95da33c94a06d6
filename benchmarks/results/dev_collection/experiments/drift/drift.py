"""Issue 30 experiment on protocol V's tables only (not a default, not adopted): GAN rows without their mean drift.

The default rumi rows' mean lies away from SMOTE's (their anchors' draw): the generator's corrections drift on
average. Here the default's rows (``fit_resample``) are shifted so that their mean is SMOTE's rows' mean, keeping
every row's offset from the mean. LR, RF and HGB G-mean on protocol V's folds against the default's rows, SMOTE
and ROS (``../_v_folds.py``); ``drift`` in the store is the distance between the two means (standardised units),
``sd_real`` the real minority rows' total spread.

    python benchmarks/results/dev_collection/experiments/drift/drift.py [TABLE,TABLE,...]  # appends runs.jsonl
    python benchmarks/results/dev_collection/experiments/drift/drift.py --report           # results.md
"""

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[4]), str(HERE.parent)]
import _v_folds as v  # noqa: E402


def run(names: list[str]) -> None:
    from minority_gen import GANOversampler

    for name, fold, Xtr, Xte, ytr, yte, pos in v.folds(names):
        gan = GANOversampler(method="rumi", random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):]
        base = v.baselines(Xtr, ytr)
        rows = {"gan": gan, "centre": gan - gan.mean(0) + base["smote"].mean(0), **base}
        rec = {"table": name, "fold": fold, "drift": float(np.linalg.norm(gan.mean(0) - base["smote"].mean(0))),
               "sd_real": float(np.sqrt(Xtr[ytr == pos].var(0).sum()))}
        v.append(HERE / "runs.jsonl", {**rec, **v.score(rows, Xtr, Xte, ytr, yte, pos)})


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        v.write_report(HERE, __file__, "GAN rows without their mean drift on protocol V (experiment, not adopted)",
                       "`gan`: the default rumi rows, `centre`: the same rows shifted so that their mean is SMOTE's "
                       "rows' mean; `drift`: distance between the two means, `sd_real`: the real minority rows' total "
                       "spread (standardised units, mean of the folds).", ("gan", "centre", "smote", "ros"),
                       extra=("drift", "sd_real"))
    else:
        from minority_gen.evaluation.datasets import COLLECTIONS

        run(sys.argv[1].split(",") if len(sys.argv) > 1 else list(COLLECTIONS["dev"]))
