"""Audit of the sample-quality report: column matching, per-class column scores and errors for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minority_gen.evaluation import (
    class_fidelity,
    column_fidelity,
    correlation_difference,
    encode_for_metrics,
    generative_quality,
    oversampler_quality,
)
from minority_gen.evaluation.toys import mode_coverage

SCORES = ["precision", "near_copies", "numeric_ks", "category_tvd", "corr_diff", "mmd2"]


def mixed(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(0, 1, n), "c": rng.choice(list("xyz"), n), "b": rng.normal(100, 10, n)})
    return X, np.r_[[0] * (n - 20), [1] * 20]


def test_generated_columns_in_another_order_are_matched_by_name():
    real, y = mixed()
    fake = real.iloc[-20:]
    same = generative_quality(real, y, fake, 1)[SCORES]
    swapped = generative_quality(real, y, fake[["b", "c", "a"]], 1)[SCORES]
    pd.testing.assert_frame_equal(same, swapped)
    assert same.loc[0, "near_copies"] == 20  # copies of the real rows, whatever the column order
    pd.testing.assert_frame_equal(column_fidelity(real, fake[["b", "c", "a"]]), column_fidelity(real, fake))
    assert correlation_difference(real, fake[["c", "a", "b"]]) == pytest.approx(correlation_difference(real, fake))
    E_real, E_fake = encode_for_metrics(real, fake[["b", "a", "c"]])
    np.testing.assert_array_equal(E_fake, E_real[-20:])


@pytest.mark.parametrize("call", [
    lambda real, fake: column_fidelity(real, fake),
    lambda real, fake: encode_for_metrics(real, fake),
    lambda real, fake: generative_quality(real, mixed()[1], fake, 1),
])
def test_generated_columns_with_other_names_are_refused_by_name(call):
    real, _ = mixed()
    with pytest.raises(ValueError, match=r"missing \['a'\], not in X_real \['q'\].*X_fake\[X_real.columns\]"):
        call(real, real.iloc[-20:].rename(columns={"a": "q"}))


def test_ks_of_a_class_whose_rows_miss_a_column_everywhere():
    """A column measured only in the other class: the class's report shows it missing, it does not fail."""
    real, y = mixed()
    real.loc[y == 1, "b"] = np.nan
    q = generative_quality(real, y, real[y == 1], 1).iloc[0]
    assert q["missing_rate_diff"] == 0.0 and q["numeric_ks"] == 0.0 and q["corr_diff"] == pytest.approx(0.0)
    cols = column_fidelity(real[y == 1], real[y == 1], reference=real).set_index("column")
    assert cols.loc["b", "missing_real"] == 1.0 and np.isnan(cols.loc["b", "value"])


@pytest.mark.parametrize("bad", ["x", np.inf])
def test_a_numeric_column_with_text_or_inf_in_the_generated_rows_is_named(bad):
    real, y = mixed()
    fake = real.iloc[-20:].copy().astype({"a": object})
    fake["a"] = bad
    with pytest.raises(ValueError, match="column 'a' is numeric in X_real but X_fake holds"):
        column_fidelity(real, fake)
    with pytest.raises(ValueError, match="column 'a' is numeric in X_real but X_fake holds"):
        generative_quality(real, y, fake, 1)


def numeric(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(40, 3)), np.r_[[0] * 20, [1] * 20], rng.normal(size=(10, 3))


@pytest.mark.parametrize("change, message", [
    (dict(X_fake=np.zeros((10, 2))), "X_real has 3 columns and X_fake 2"),
    (dict(X_fake=np.zeros((0, 3))), "X_fake has no rows"),
    (dict(X_real=np.zeros((0, 3)), y_real=np.zeros(0)), "X_real has no rows"),
    (dict(X_fake=np.zeros(10)), r"X_fake must be a 2-D table.*\(10,\)"),
    (dict(y_fake=[1, 1]), "y_fake has 2 labels for 10 synthetic rows"),
    (dict(y_real=np.ones(40, int)), "y_real holds the one class"),
    (dict(X_holdout=np.zeros((5, 2)), y_holdout=np.zeros(5)), "X_real has 3 columns and X_holdout 2"),
    (dict(X_fake=np.full((10, 3), np.inf)), "X_fake holds 30 infinite values"),
])
def test_bad_input_is_refused_with_the_problem_named(change, message):
    X, y, fake = numeric()
    args = dict(X_real=X, y_real=y, X_fake=fake, y_fake=1) | change
    with pytest.raises(ValueError, match=message):
        generative_quality(**args)


@pytest.mark.parametrize("y_real, y_fake, message", [
    (np.ones(40, int), 1, "y_real holds the one class"),  # was 1.0: a one-class forest says every row is its class
    (np.r_[[0] * 20, [1] * 20], [1, 1], "y_fake has 2 labels for 10 synthetic rows"),
])
def test_class_fidelity_refuses_labels_it_cannot_score(y_real, y_fake, message):
    X, _, fake = numeric()
    with pytest.raises(ValueError, match=message):
        class_fidelity(X, y_real, fake, y_fake)


class Pixels:
    """The pixels as features: a cheap extractor."""

    def transform(self, X):
        return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


def images(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((60, 6, 6)) * 255).astype(np.uint8), np.r_[[0] * 40, [1] * 20]


def test_images_of_another_size_are_refused_naming_both_shapes():
    imgs, y = images()
    with pytest.raises(ValueError, match=r"X_fake's images have shape \(1, 5, 5\) .* X_real's \(1, 6, 6\)"):
        generative_quality(imgs, y, imgs[40:, :5, :5], 1, extractor=Pixels())


def test_uint8_real_images_and_float_generated_pixels_up_to_255_are_refused():
    imgs, y = images()
    ok = generative_quality(imgs, y, imgs[40:] / 255.0, 1, extractor=Pixels())  # the same scale: copies
    assert ok.loc[0, "near_copies"] == 20
    with pytest.raises(ValueError, match=r"X_fake: float images in \[\d+, 25\d\] beside uint8 images \(X_real\)"):
        generative_quality(imgs, y, imgs[40:].astype(np.float32), 1, extractor=Pixels())


def test_oversampler_quality_refuses_smote_on_a_mixed_table_naming_the_alternatives():
    real, y = mixed()
    with pytest.raises(ValueError, match=r"oversamplers \['smote'\] need an all-numeric table.*'smotenc'"):
        oversampler_quality(real, y, ["ros", "smote"])  # was scikit-learn's "could not convert string to float"
    numbers = real[["a", "b"]].assign(i=np.arange(len(real)))  # a DataFrame of numbers only: SMOTE can run on it
    assert oversampler_quality(numbers, y, ["smote"])["n_fake"].tolist() == [20]
    nullable = numbers.astype({"i": "Int64"})  # was "cannot safely cast non-equivalent float64 to int64"
    with pytest.raises(ValueError, match=r"oversamplers \['smote'\] need an all-numeric table.*nullable"):
        oversampler_quality(nullable, y, ["smote"])


def test_mode_coverage_takes_lists_and_refuses_no_rows():
    near, shares = mode_coverage([[2.1, 2.0], [0.1, 0.0]], [[2, 2], [-2, 2]], [[0, 0]])  # was a TypeError
    assert near == 0.5 and shares.tolist() == [0.5, 0.0]
    with pytest.raises(ValueError, match="at least one row"):
        mode_coverage(np.empty((0, 2)), np.array([[2, 2]]), np.array([[0, 0]]))  # was (nan, [nan]) and warnings
    with pytest.raises(ValueError, match="same number of columns"):
        mode_coverage(np.zeros((3, 3)), np.array([[2, 2]]), np.array([[0, 0]]))


def test_a_small_max_samples_lowers_k_like_a_small_class_and_a_bad_one_is_named():
    X, y, fake = numeric()
    capped = generative_quality(X, y, fake, 1, max_samples=4).iloc[0]  # was prdc's "k=5 needs more than 5 rows"
    assert 0 <= capped["precision"] <= 1 and 0 <= capped["c2st_accuracy"] <= 1
    for bad in (0, 2, 2.5, -1, True):  # 0 was "X_real has no rows", 2.5 a TypeError from numpy
        with pytest.raises(ValueError, match=f"max_samples must be None or an int of at least 3.*got {bad!r}"):
            generative_quality(X, y, fake, 1, max_samples=bad)


def test_the_judge_passed_is_cloned_not_fitted_in_place():
    from sklearn.linear_model import LogisticRegression

    X, y, fake = numeric()
    judge = LogisticRegression()
    generative_quality(X, y, fake, 1, judge=judge)
    assert not hasattr(judge, "coef_")  # class_fidelity clones its classifier; so does the report now


@pytest.mark.parametrize("kind_values", [["a", "b", "a"], [True, False, True]])
def test_tvd_is_nan_not_one_half_where_the_generated_rows_have_no_level(kind_values):
    real = pd.DataFrame({"c": kind_values})
    fake = pd.DataFrame({"c": [None, None, None]}, dtype=object)
    out = column_fidelity(real, fake).iloc[0]  # was 0.5: half the mass of one side against nothing
    assert out["metric"] == "tvd" and np.isnan(out["value"]) and out["missing_fake"] == 1.0


def test_a_generated_column_missing_everywhere_counts_as_far_as_it_goes_in_the_means():
    real, y = mixed()
    fake = real[y == 1].copy()
    fake["c"], fake["a"] = None, np.nan
    q = generative_quality(real, y, fake, 1).iloc[0]
    assert q["category_tvd"] == 1.0  # was 0.5 (and NaN after the per-column fix): never a better score
    assert q["numeric_ks"] == pytest.approx((1.0 + 0.0) / 2)  # "a" counts 1, "b" (copied) 0; was 0.0 ("a" skipped)


def test_a_generated_missing_level_the_real_rows_lack_is_an_all_zero_block_not_the_next_column():
    real = pd.DataFrame({"c": ["a", "b", "a", "b"], "d": ["x", "y", "y", "x"]})
    fake = pd.DataFrame({"c": [None, "a"], "d": ["y", "y"]})
    _, E_fake = encode_for_metrics(real, fake)
    # blocks: c (a, b), d (x, y); the missing c was written into d's "x" column
    np.testing.assert_array_equal(E_fake, [[0, 0, 0, 1], [1, 0, 0, 1]])


def test_mixed_smotenc_refuses_a_class_of_one_row_naming_it():
    from minority_gen.evaluation.mixed import MixedSMOTENC

    X, _ = mixed(11)
    with pytest.raises(ValueError, match="at least 2 rows of every class.*has 1. Use 'ros'"):
        MixedSMOTENC().fit_resample(X, np.r_[[0] * 10, [1]])  # was NearestNeighbors' "n_neighbors = 2 ..."


def test_small_cnn_features_say_they_are_not_fitted_and_take_no_images():
    from minority_gen.evaluation.features import SmallCNNFeatures

    with pytest.raises(ValueError, match="not fitted: call fit"):  # was AttributeError: no attribute 'net_'
        SmallCNNFeatures().transform(np.zeros((2, 4, 4)))
    rng = np.random.default_rng(0)
    fx = SmallCNNFeatures(epochs=1, width=2, n_features=4).fit(rng.random((6, 4, 4)), [0, 1] * 3)
    assert fx.transform(np.zeros((0, 4, 4))).shape == (0, 4)  # was torch.cat's "non-empty list" error
    assert fx.predict_proba(np.zeros((0, 4, 4))).shape == (0, 2)


def test_torch_features_refuse_a_mean_without_a_std():
    import torch

    from minority_gen.evaluation.features import TorchFeatures

    with pytest.raises(ValueError, match="mean and std must be given together"):  # was a TypeError from torch
        TorchFeatures(torch.nn.Flatten(), mean=(0.5,)).transform(np.zeros((2, 4, 4)))


def test_distance_blocks_hold_at_most_block_elements_whatever_the_other_set_size(monkeypatch):
    """prdc and mmd2 with max_samples=None: each block of distances had BLOCK_ROWS rows against *all* of the other
    set (1024 x 100,000 floats, 0.8 GB and its copies, for n = m = 100,000); now at most BLOCK_ELEMENTS."""
    import tracemalloc

    from minority_gen.evaluation import metrics

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3000, 2)), rng.normal(size=(3000, 2))
    expected = metrics.prdc(X, Y, max_samples=None), metrics.mmd2(X, Y, max_samples=None)
    monkeypatch.setattr(metrics, "BLOCK_ELEMENTS", 30_000, raising=False)  # 10 rows of 3,000
    tracemalloc.start()
    try:
        got = metrics.prdc(X, Y, max_samples=None), metrics.mmd2(X, Y, max_samples=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6  # was 52 MB (1,024 x 3,000 distances, a partitioned copy, a mask); now 9 (the bandwidth)
    assert got[0] == expected[0] and got[1] == pytest.approx(expected[1], abs=1e-12)


@pytest.mark.parametrize("X, y, names, error, message", [
    (np.zeros((30, 3)), np.r_[[0] * 20, [1] * 10], "ros", TypeError, r"got the string 'ros' \(pass \['ros'\]\)"),
    (np.zeros((30, 3)), np.r_[[0] * 20, [1] * 9], ["ros"], ValueError, "^y has 29 labels for 30 rows"),
    (np.zeros((30, 4, 4)), np.r_[[0] * 20, [1] * 10], ["ros"], ValueError, "X must be a 2-D table.*generative_quality"),
])
def test_oversampler_quality_names_bad_arguments_before_any_fit(X, y, names, error, message):
    with pytest.raises(error, match=message):  # were "Unknown oversampler 'r'", "ros: ... skipped", StandardScaler's
        oversampler_quality(X, y, names)


def test_to_nchw_reads_channels_as_the_estimator_does_and_names_values_beyond_float32():
    from minority_gen.evaluation.features import to_nchw
    from minority_gen.images import ImageLayout

    for shape in [(2, 4, 4, 3), (2, 3, 4, 4), (2, 3, 28, 28), (2, 28, 28, 3), (2, 1, 4, 4)]:
        X = (np.arange(np.prod(shape)).reshape(shape) / np.prod(shape)).astype(np.float32)
        layout = ImageLayout.detect(X)  # how GANOversampler reads them
        got = to_nchw(X)
        assert got.shape[1:] == layout.image_shape, (shape, got.shape, layout.image_shape)
        np.testing.assert_array_equal(got, X.transpose(0, 3, 1, 2) if layout.axes == "HWC" else X)
    with pytest.raises(ValueError, match=r"values up to 1e\+40, beyond float32's range"):
        to_nchw(np.full((2, 8, 8), 1e40))
    with pytest.raises(ValueError, match="NaN or inf"):
        to_nchw(np.full((2, 8, 8), np.nan))
