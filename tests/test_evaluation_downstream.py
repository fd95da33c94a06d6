"""Cross-validated comparison of oversamplers: no leakage, the pipeline's numbers, tidy output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from minority_gen.evaluation import (
    NeighbourCap,
    available_oversamplers,
    compare_oversamplers,
    make_oversampler,
    markdown_table,
    plot_comparison,
    rank_oversamplers,
    summarise,
)

FAST = {"tree": DecisionTreeClassifier(random_state=0)}


class RecordingSampler(BaseEstimator):
    """Duplicates minority rows like ROS and records the ids (column 0) of every row it is given."""

    seen: list[set] = []  # class-level: clones share it

    def fit_resample(self, X, y):
        RecordingSampler.seen.append(set(X[:, 0].astype(int).tolist()))
        minority = np.flatnonzero(y == np.bincount(y).argmin())
        return np.r_[X, X[minority]], np.r_[y, y[minority]]


class FailingSampler(BaseEstimator):
    def fit_resample(self, X, y):
        raise RuntimeError("boom")


def _table(n_major=80, n_minor=16, seed=0):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(0, 1, (n_major, 3)), rng.normal(1.5, 1, (n_minor, 3))]
    return X, np.r_[[0] * n_major, [1] * n_minor]


def test_resampling_never_sees_a_test_fold():
    X, y = _table()
    X_ids = np.c_[np.arange(len(y)), X]  # column 0: the row's index
    cv = StratifiedKFold(4, shuffle=True, random_state=3)
    RecordingSampler.seen.clear()
    res = compare_oversamplers(X_ids, y, {"rec": RecordingSampler()}, {"tree": FAST["tree"], "lr": "logreg"},
                               cv=cv, preprocessor=None, progress=False)
    folds = list(cv.split(X_ids, y))
    assert len(RecordingSampler.seen) == len(folds)  # once per fold, shared by both classifiers
    for seen, (train, test) in zip(RecordingSampler.seen, folds):
        assert seen == set(train.tolist())
        assert seen.isdisjoint(test.tolist())
    n_syn = res[(res.metric == "n_synthetic")].groupby("fold")["value"].first()
    assert (n_syn > 0).all()


def test_scores_equal_those_of_the_imblearn_pipeline():
    X, y = _table()
    res = compare_oversamplers(X, y, ["ros"], ["logreg"], cv=5, scoring=["balanced_accuracy"], progress=False)
    got = res[res.metric == "balanced_accuracy"].sort_values("fold")["value"].to_numpy()
    want = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        pipe = make_pipeline(StandardScaler(), RandomOverSampler(random_state=0),
                             LogisticRegression(max_iter=3000))
        want.append(balanced_accuracy_score(y[test], pipe.fit(X[train], y[train]).predict(X[test])))
    np.testing.assert_allclose(got, want)


def test_tidy_output_with_every_default_metric():
    X, y = _table()
    res = compare_oversamplers(X, y, ["none", "ros", "smote"], FAST, cv=3, progress=False)
    assert list(res.columns) == ["oversampler", "classifier", "fold", "metric", "value"]
    metrics = set(res.metric)
    assert {"balanced_accuracy", "gmean", "f1_macro", "roc_auc", "average_precision", "recall[0]",
            "recall[1]", "fit_time_s", "n_synthetic"} <= metrics
    assert res.value.notna().all() and np.isfinite(res.value).all()
    n_syn = res[res.metric == "n_synthetic"].groupby("oversampler")["value"].mean()
    assert n_syn["none"] == 0 and n_syn["ros"] > 0 and n_syn["smote"] == n_syn["ros"]
    assert len(res) == 3 * 3 * len(metrics)


def test_multiclass_sklearn_scorer_and_callable():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(3, 1, (20, 2)), rng.normal(-3, 1, (10, 2))]
    y = np.r_[[0] * 40, [1] * 20, [2] * 10]
    scoring = {"auc": "roc_auc", "ap": "average_precision", "f1w": "f1_weighted",
               "acc": lambda est, X, y: float((est.predict(X) == y).mean())}
    res = compare_oversamplers(X, y, ["ros"], ["logreg"], cv=3, scoring=scoring, progress=False)
    assert {"auc", "ap", "f1w", "acc"} <= set(res.metric)
    assert res[res.metric == "auc"].value.between(0.5, 1).all()


def test_gan_methods_by_name_with_user_options(tiny):
    X, y = _table(60, 12)
    gan = {k: v for k, v in tiny.items() if k != "random_state"}
    res = compare_oversamplers(X, y, ["rumi"], ["logreg"], cv=2, gan_params=gan, progress=False)
    assert (res[res.metric == "n_synthetic"].value == 24).all()  # two 30/6 training folds, grown to 30/30
    assert (res[res.metric == "fit_time_s"].value > 0).all()
    assert make_oversampler("rumi", gan_params={"n_iter": 7}).n_iter == 7
    assert {"none", "ros", "smote", "adasyn", "borderline-smote", "rumi"} <= set(available_oversamplers())


def test_small_minority_lowers_smote_neighbours():
    X, y = _table(30, 6)
    res = compare_oversamplers(X, y, ["smote", "borderline-smote", "adasyn"], FAST, cv=3, progress=False)
    assert set(res.oversampler) == {"smote", "borderline-smote", "adasyn"}  # 4 minority rows per fold
    sampler = make_oversampler("smote")
    sampler.fit_resample(X[:33], y[:33])  # 3 minority rows: k = 2
    assert sampler.k_used_ == 2
    with pytest.raises(ValueError, match="'ros'"):
        NeighbourCap(make_oversampler("smote").sampler).fit_resample(X[:31], y[:31])


def test_errors_are_actionable():
    X, y = _table()
    with pytest.raises(ValueError, match="Available"):
        compare_oversamplers(X, y, ["smoet"], FAST, progress=False)
    with pytest.raises(ValueError, match="y has a single class"):
        compare_oversamplers(X, np.zeros_like(y), ["none"], FAST, progress=False)
    with pytest.raises(ValueError, match=r"the class 1 has \d+\. Lower cv to \d+ or less"):  # not np.int64(1)
        compare_oversamplers(X, y, ["ros"], FAST, cv=20, progress=False)
    one = y.copy()
    one[np.flatnonzero(y == 1)[1:]] = 0  # one minority row: no cv can help
    with pytest.raises(ValueError, match="the class 1 has 1 row; cross-validation needs at least 2 rows of every"):
        compare_oversamplers(X, one, ["ros"], FAST, cv=2, progress=False)
    with pytest.raises(ValueError, match=r"gan_params has \['nope'\].*its options are"):
        compare_oversamplers(X, y, ["rumi"], FAST, gan_params={"nope": 1}, progress=False)
    with pytest.raises(ValueError, match="'lr_g' parameter"):  # refused before the folds, even with errors="warn"
        compare_oversamplers(X, y, ["rumi"], FAST, gan_params={"lr_g": -1}, errors="warn", progress=False)
    with pytest.raises(ValueError, match="failed on fold 0.*boom"):
        compare_oversamplers(X, y, {"bad": FailingSampler()}, FAST, cv=3, progress=False)
    with pytest.warns(RuntimeWarning, match="fold left out"):
        res = compare_oversamplers(X, y, {"bad": FailingSampler(), "ros": "ros"}, FAST, cv=3,
                                   errors="warn", progress=False)
    assert set(res.oversampler) == {"ros"}
    with pytest.raises(ValueError, match="scorer"):
        compare_oversamplers(X, y, ["ros"], FAST, scoring=["not-a-metric"], progress=False)


def test_summary_ranks_markdown_and_plot(tmp_path):
    X, y = _table()
    res = compare_oversamplers(X, y, ["none", "ros"], FAST, cv=3, progress=False)
    summary = summarise(res)
    assert {"mean", "std", "n_folds"} <= set(summary.columns) and (summary.n_folds == 3).all()
    gm = res[res.metric == "gmean"].groupby("oversampler")["value"].mean()
    indexed = summary.set_index(["oversampler", "metric"])
    assert indexed.loc[("ros", "gmean"), "mean"] == pytest.approx(gm["ros"])
    two = summarise(pd.concat([res.assign(dataset="a"), res.assign(dataset="b", value=res.value * 0.5)]))
    assert (two.n_folds == 3).all() and len(two) == 2 * len(summary)  # per dataset, not pooled
    assert two.set_index(["dataset", "oversampler", "metric"]).loc[("b", "ros", "gmean"), "mean"] == pytest.approx(
        gm["ros"] * 0.5)
    ranks = rank_oversamplers({"a": res, "b": res}, metric="gmean")
    best = gm.idxmax()
    assert ranks.loc[best, "tree"] == 1.0 and sorted(ranks["tree"]) == [1.0, 2.0]
    assert rank_oversamplers(pd.concat([res.assign(dataset="a")]), "fit_time_s").loc["none", "tree"] == 1.0
    table = markdown_table(res, ["gmean", "roc_auc"])
    assert "| none |" in table and "±" in table and "**" in table
    plot_comparison(res, ["gmean", "roc_auc"], path=tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_augment_baseline_on_flattened_images():
    from minority_gen.evaluation import compare_oversamplers

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(40, 8, 8)).astype(np.uint8)
    images[30:, 2:6, 2:6] = 255  # the rare class has a bright square
    X, y = images.reshape(40, -1), np.r_[np.zeros(30, int), np.ones(10, int)]
    table = compare_oversamplers(X, y, ["none", "augment"], ["logreg"], cv=2, preprocessor=None,
                                 gan_params={"image_shape": (8, 8)}, progress=False)
    added = table[(table.metric == "n_synthetic") & (table.oversampler == "augment")]["value"]
    assert (added == 10).all()


def test_fmt_writes_a_table_number_and_a_dash_for_what_is_not_one():
    from minority_gen.evaluation.report import fmt

    assert [fmt(0.12345), fmt(2.5, 2), fmt(-1.0, 0)] == ["0.123", "2.50", "-1"]
    assert [fmt(None), fmt(float("nan")), fmt(np.inf), fmt(np.float64("nan"), 2)] == ["–"] * 4


class NeedsMoreRows(BaseEstimator):
    """Fails on every training fold, as SMOTE did on a class of 2 rows under cv=2 (now refused before any fold)."""

    def fit_resample(self, X, y):
        raise ValueError("needs more rows")


@pytest.mark.filterwarnings("ignore:oversampler 'broken' failed:RuntimeWarning")
def test_a_report_lists_the_failed_folds_and_has_no_plot_without_scores(tmp_path):
    """Every oversampler failing on every fold (then: SMOTE on a class of 2 rows, cv=2) left no scores, and the plot
    divided by zero columns (ZeroDivisionError, no report). The report now says so and lists the failures."""
    from minority_gen.evaluation import write_report

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.r_[[0] * 38, [1] * 2]
    with pytest.warns(RuntimeWarning, match="'broken' failed on fold 0"):
        res = compare_oversamplers(X, y, {"broken": NeedsMoreRows()}, ["logreg"], cv=2, errors="warn",
                                   progress=False)
    assert res.empty and len(res.attrs["failures"]) == 2
    assert res.attrs["failures"][1].startswith("oversampler 'broken' failed on fold 1: ValueError: needs more")
    with pytest.raises(ValueError, match="no results to plot: every oversampler failed on every fold"):
        plot_comparison(res)
    report = write_report(tmp_path / "all", res)
    text = report.read_text()
    assert "No scores (no plot): every oversampler failed on every fold" in text
    assert "* oversampler 'broken' failed on fold 0: ValueError" in text and "fold 1: ValueError" in text
    assert sorted(p.name for p in report.parent.iterdir()) == ["downstream_folds.csv", "downstream_summary.csv",
                                                               "report.md"]
    with pytest.warns(RuntimeWarning):
        some = compare_oversamplers(X, y, {"none": "none", "broken": NeedsMoreRows()}, ["logreg"], cv=2,
                                    errors="warn", progress=False)
    text = write_report(tmp_path / "some", some).read_text()
    assert "![downstream metrics](downstream.png)" in text and (tmp_path / "some" / "downstream.png").exists()
    assert "Folds left out (the oversampler failed on them):" in text and "'broken' failed on fold 1" in text
    ok = compare_oversamplers(X, y, ["none"], ["logreg"], cv=2, progress=False)
    assert "failures" not in ok.attrs and "left out" not in write_report(tmp_path / "ok", ok).read_text()


@pytest.mark.filterwarnings("ignore:oversampler 'broken' failed:RuntimeWarning")
def test_evaluate_writes_its_report_when_every_oversampler_fails(tmp_path, capsys, monkeypatch):
    from minority_gen.cli import main
    from minority_gen.evaluation import samplers

    monkeypatch.setitem(samplers._BASELINES, "broken", ("fails on every fold", lambda rs, _: NeedsMoreRows()))

    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(22, 2)), columns=["a", "b"]).assign(label=[0] * 20 + [1] * 2)
    df.to_csv(tmp_path / "small.csv", index=False)
    out = tmp_path / "r"
    assert main(["evaluate", str(tmp_path / "small.csv"), "--target", "label", "--methods", "broken",
                 "--cv", "2", "--classifiers", "logreg", "--no-quality", "--out", str(out), "--quiet"]) == 0
    report = (out / "report.md").read_text()
    assert "every oversampler failed on every fold" in report and "'broken' failed on fold 1" in report
