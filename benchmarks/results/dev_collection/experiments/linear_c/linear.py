"""Issue 30 experiment on protocol V's tables only (not a default, not adopted): a linear boundary classifier.

The default's boundary term matches the margins of the generated rows to the real rows' margins under a classifier
``C`` of the discriminator's architecture (an MLP). Under a logistic regression of the real rows the default's rows
still lie deeper in the class than the real rows, and logistic regression trails SMOTE (issue 30). Here ``C`` has no
hidden layer (``hidden_dims=()``: a logistic regression trained by the same Adam steps), everything else at the
defaults, so the margins the generator matches are a linear model's. LR, RF and HGB G-mean on protocol V's folds
against the default's rows of the same seed, SMOTE and ROS (``../_v_folds.py``).

    python benchmarks/results/dev_collection/experiments/linear_c/linear.py [TABLE,TABLE,...]  # appends runs.jsonl
    python benchmarks/results/dev_collection/experiments/linear_c/linear.py --report           # results.md
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[4]), str(HERE.parent)]
import _v_folds as v  # noqa: E402


def linear_classifier():
    """``minority_gen.plan.build_classifier`` with no hidden layer, for the fits inside the block."""
    import contextlib

    import minority_gen.plan as plan

    @contextlib.contextmanager
    def block():
        real = plan.build_classifier
        plan.build_classifier = lambda spec, n_outputs, hidden, seed, device=None: real(spec, n_outputs, (), seed,
                                                                                        device)
        try:
            yield
        finally:
            plan.build_classifier = real

    return block()


def new_rows(Xtr, ytr) -> dict:
    """The default's rows and those of the same fit with a linear boundary classifier."""
    from minority_gen import GANOversampler

    rows = {"gan": GANOversampler(method="rumi", random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):]}
    with linear_classifier():
        rows["linear"] = GANOversampler(method="rumi", random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):]
    return rows


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        v.write_report(HERE, __file__, "A linear boundary classifier on protocol V (experiment, not adopted)",
                       "`gan`: default rumi rows, `linear`: the same fit with the boundary term's classifier "
                       "linear (no hidden layer). Median margins (real, gan, linear, smote, ros) under the fold's "
                       "balanced logistic regression are in the store.", ("gan", "linear", "smote", "ros"))
    else:
        from minority_gen.evaluation.datasets import COLLECTIONS

        v.run(HERE / "runs.jsonl", sys.argv[1].split(",") if len(sys.argv) > 1 else list(COLLECTIONS["dev"]),
              new_rows)
