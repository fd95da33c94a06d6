"""minority_gen.evaluation.minority_digits (protocol D's data and SMOTE reference), judges.judge_scores and the
method-option helpers protocol D reads its ``--method-param`` with."""

from __future__ import annotations

import numpy as np
import pytest

from minority_gen.evaluation.judges import judge_scores
from minority_gen.evaluation.minority_digits import gan_training_set, mnist_halves, positives_of, smote_images
from minority_gen.methods import changed_params, method_params_from, resolved_params


def test_training_set_keeps_200_positives_of_the_digit_and_every_negative():
    y = np.repeat(np.arange(10), 300)
    X = np.arange(len(y))[:, None, None] * np.ones((1, 2, 2), np.int64)
    Xd, yb = gan_training_set(X, y, "digit5", 200)
    assert yb.sum() == 200 and (yb == 0).sum() == 2700
    assert set(y[Xd[yb == 1, 0, 0]]) == {5} and 5 not in set(y[Xd[yb == 0, 0, 0]])
    Xe, ye = gan_training_set(X, y, "even", 200)
    assert len(Xe) == len(X) and set(y[Xe[ye == 1, 0, 0]]) == {0, 2, 4, 6, 8}
    with pytest.raises(ValueError, match="digit0 … digit9 or even"):
        positives_of("digit12")


def test_halves_are_disjoint_stratified_and_a_fraction_keeps_a_stratified_share():
    y = np.repeat(np.arange(10), 100)
    X = np.arange(len(y))
    (Xa, ya), (Xb, yb) = mnist_halves(X, y)
    assert not set(Xa) & set(Xb) and len(Xa) + len(Xb) == len(X)
    assert np.bincount(ya).tolist() == np.bincount(yb).tolist() == [50] * 10
    assert (y[Xa] == ya).all() and (y[Xb] == yb).all()
    (Xs, ys), (Xt, _) = mnist_halves(X, y, fraction=0.2)
    assert len(Xs) + len(Xt) == 200 and np.bincount(ys).tolist() == [10] * 10
    assert np.array_equal(mnist_halves(X, y)[0][0], Xa)  # the same split every time


def test_smote_images_are_new_uint8_images_between_two_positives():
    rng = np.random.default_rng(0)
    X = np.r_[np.zeros((30, 3, 3)), rng.integers(100, 200, (12, 3, 3))].astype(np.uint8)
    y = np.r_[[0] * 30, [1] * 12]
    new = smote_images(X, y, 20, random_state=0)
    assert new.shape == (20, 3, 3) and new.dtype == np.uint8
    assert new.min() >= X[y == 1].min() and new.max() <= X[y == 1].max()  # blends of positives, never zeros
    assert np.array_equal(new, smote_images(X, y, 20, random_state=0))


class PixelJudge:
    """Features: the pixels; class 1 where the mean pixel is above 0.5."""

    classes_ = np.array([0, 1])

    def transform(self, X):
        return np.asarray(X, float).reshape(len(X), -1)

    def predict_proba(self, X):
        p = (self.transform(X).mean(1) > 0.5).astype(float)
        return np.c_[1 - p, p]


def test_judge_scores_read_the_judges_features_and_classes():
    rng = np.random.default_rng(0)
    real = rng.uniform(0.6, 1.0, (200, 2, 2))
    judge = PixelJudge()
    same = judge_scores(judge, judge.transform(real), rng.uniform(0.6, 1.0, (200, 2, 2)), positives=[1])
    off = judge_scores(judge, judge.transform(real), rng.uniform(0.0, 0.4, (100, 2, 2)), positives=[1])
    assert same["fidelity"] == 1.0 and off["fidelity"] == 0.0 and off["n"] == 100
    assert same["fd"] < 0.05 < off["fd"] and same["precision"] > 0.8 and off["precision"] == 0.0
    assert judge_scores(judge, judge.transform(real), rng.uniform(0.0, 0.4, (10, 2, 2)), positives=[0])[
        "fidelity"] == 1.0


def test_method_params_from_reads_json_or_text_and_checks_each_method():
    rumi = resolved_params("rumi", images=True)
    got = method_params_from(["rumi:d_schedule=joint", "rumi:c=2", "rumi:beta_neg=1", "lsgan:a=-1"], images=True)
    assert got == {"rumi": {"d_schedule": "joint", "c": 2, "beta_neg": 1.0}, "lsgan": {"a": -1}}
    assert type(got["rumi"]["beta_neg"]) is float and type(got["rumi"]["c"]) is type(rumi["c"])
    assert method_params_from([], images=True) == {}
    for bad, message in (("rumi", "method:name=value"), ("rumi:=1", "method:name=value"),
                         ("rumi:d_schedule=bad", "d_schedule must be"), ("rumi:lambda_cls=2", "does not take"),
                         ("nosuch:c=1", "Unknown GAN method")):
        with pytest.raises(ValueError, match=message):
            method_params_from([bad], images=True)


def test_changed_params_names_what_differs_from_the_resolved_defaults():
    anchored = resolved_params("rumi", images=True, anchored=True)
    assert changed_params("rumi", anchored, images=True, anchored=True) == {}
    assert changed_params("rumi", anchored, images=True) == {
        k: v for k, v in anchored.items() if resolved_params("rumi", images=True)[k] != v}
    assert changed_params("rumi", {**anchored, "c": 3}, images=True, anchored=True) == {"c": 3}
