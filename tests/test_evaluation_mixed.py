"""Downstream comparison on mixed-type tables (issue 9): resample as is, encode for the classifier after."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minority_gen.evaluation import compare_oversamplers
from minority_gen.evaluation.mixed import MISSING_LEVEL, MixedSMOTENC, as_levels, mixed_preprocessor


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 90
    y = np.r_[np.zeros(70, int), np.ones(20, int)]
    X = pd.DataFrame({
        "site": np.where(y == 1, rng.choice(["a", "b"], n, p=[0.8, 0.2]), rng.choice(["a", "b"], n, p=[0.2, 0.8])),
        "count": rng.integers(0, 5, n),
        "Int": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 3, n)).tolist(), dtype="Int64"),
        "flag": rng.random(n) < 0.5,
        "x": np.where(rng.random(n) < 0.2, np.nan, rng.normal(2 * y, 1)),
    })
    return X, y


def test_compare_resamples_the_table_as_is(table):
    X, y = table
    res = compare_oversamplers(X, y, ["none", "ros", "smotenc", "rumi"], ["logreg", "rf"], cv=3, progress=False,
                               gan_params={"n_iter": 5, "batch_size": 16, "device": "cpu"})
    assert set(res.oversampler) == {"none", "ros", "smotenc", "rumi"} and res.fold.nunique() == 3
    syn = res[res.metric == "n_synthetic"].groupby("oversampler").value.mean()
    assert syn["none"] == 0 and syn["ros"] == syn["smotenc"] == syn["rumi"] > 30
    bal = res[res.metric == "balanced_accuracy"].groupby("oversampler").value.mean()
    assert bal["ros"] > 0.7  # the site column separates the classes once encoded
    assert np.isfinite(res.value).all()


def test_numeric_only_samplers_are_refused_before_any_fold(table, monkeypatch):
    X, y = table
    import minority_gen.evaluation.downstream as downstream

    monkeypatch.setattr(downstream, "_fold_task", lambda *a: pytest.fail("a fold ran"))
    with pytest.raises(ValueError, match=r"\['smote'\] need an all-numeric table.*Use 'smotenc'"):
        compare_oversamplers(X, y, ["ros", "smote"], ["logreg"], progress=False)


def test_mixed_smotenc_keeps_originals_and_makes_valid_rows(table):
    X, y = table
    X_res, y_res = MixedSMOTENC(random_state=0).fit_resample(X, y)
    assert len(X_res) == len(y_res) == 140 and X_res.dtypes.equals(X.dtypes)
    pd.testing.assert_frame_equal(X_res.iloc[:90], X)
    new = X_res.iloc[90:]
    assert set(new["site"]) <= {"a", "b"} and new["flag"].dtype == bool
    assert not new.isna().any().any()  # missing values are filled in before interpolating
    assert new["count"].between(0, 4).all()


def test_mixed_preprocessor_encodes_missing_and_unknown_levels(table):
    X, _ = table
    pre = mixed_preprocessor(X).fit(X)
    out = pre.transform(X)
    assert out.dtype.kind == "f" and np.isfinite(out).all()
    # 3 numeric + 2 missing indicators (Int, x); site a/b, flag False/True
    assert out.shape[1] == 3 + 2 + 2 + 2
    unseen = pre.transform(X.assign(site="c").iloc[:3])
    assert np.isfinite(unseen).all()
    assert as_levels(pd.DataFrame({"b": pd.array([True, None], dtype="boolean")}))["b"].tolist() == ["True",
                                                                                                    MISSING_LEVEL]
