"""Issue 30 experiment on protocol V's tables only (not a default, not adopted): less push from the negatives.

Rumi-LSGAN's generator is also rewarded for rows its discriminator tells apart from the other classes' rows
(``beta_neg``, 1 on tables). Under a logistic regression of the real rows the default's rows lie deeper in the class
than the real rows on 11 of 14 V tables, and a linear boundary classifier (``../linear_c``) did not pull them back.
Here the same default fit with ``beta_neg`` = 0.1, and the LSGAN baseline (no negatives) at the defaults, against
the default's rows, SMOTE and ROS: LR, RF and HGB G-mean on protocol V's folds (``../_v_folds.py``).

    python benchmarks/results/dev_collection/experiments/negatives/neg.py [TABLE,TABLE,...]  # appends runs.jsonl
    python benchmarks/results/dev_collection/experiments/negatives/neg.py --report           # results.md
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[4]), str(HERE.parent)]
import _v_folds as v  # noqa: E402

VARIANTS = {"gan": dict(method="rumi"), "neg01": dict(method="rumi", method_params={"beta_neg": 0.1}),
            "lsgan": dict(method="lsgan")}


def new_rows(Xtr, ytr) -> dict:
    """The rows of each of :data:`VARIANTS`, fitted on the training fold."""
    from minority_gen import GANOversampler

    return {k: GANOversampler(random_state=0, **p).fit_resample(Xtr, ytr)[0][len(Xtr):] for k, p in VARIANTS.items()}


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        v.write_report(HERE, __file__, "Less push from the negatives on protocol V (experiment, not adopted)",
                       "`gan`: default rumi rows, `neg01`: the same with `beta_neg` 0.1, `lsgan`: the LSGAN baseline "
                       "(no negatives) at the defaults. Median margins under the fold's balanced logistic regression "
                       "are in the store.", ("gan", "neg01", "smote", "ros", "lsgan"))
    else:
        from minority_gen.evaluation.datasets import COLLECTIONS

        v.run(HERE / "runs.jsonl", sys.argv[1].split(",") if len(sys.argv) > 1 else list(COLLECTIONS["dev"]),
              new_rows)
