"""``minority-gen evaluate`` end to end on a tiny CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import minority_gen.commands.evaluate as evaluate_command
from minority_gen.cli import main


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (48, 3)), rng.normal(2, 1, (12, 3))]
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=np.r_[["neg"] * 48, ["pos"] * 12])
    path = tmp_path / "tiny.csv"
    df.to_csv(path, index=False)
    return path


def test_evaluate_writes_a_report(csv, tmp_path, capsys):
    out = tmp_path / "report"
    rc = main(["evaluate", str(csv), "--target", "label", "--methods", "none,ros,rumi", "--cv", "3",
               "--classifiers", "logreg", "--n-iter", "3", "--batch-size", "16", "--device", "cpu",
               "--out", str(out), "--quiet", "--note", "a test run"])
    assert rc == 0
    for name in ("report.md", "downstream.png", "downstream_folds.csv", "downstream_summary.csv",
                 "quality.png", "quality.csv"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    assert "## Downstream classifiers" in report and "## Generative quality" in report
    assert "a test run" in report and "--n-iter 3" in report and "wall time" in report
    folds = pd.read_csv(out / "downstream_folds.csv")
    assert set(folds.oversampler) == {"none", "ros", "rumi"} and folds.fold.nunique() == 3
    assert "recall[pos]" in set(folds.metric)
    quality = pd.read_csv(out / "quality.csv")
    assert list(quality.oversampler) == ["ros", "rumi"] and (quality["class"] == "pos").all()
    assert quality.set_index("oversampler").loc["ros", "near_copies"] == 36  # random oversampling copies
    printed = capsys.readouterr().out
    assert "| rumi |" in printed and "report:" in printed


def test_evaluate_without_quality(csv, tmp_path):
    out = tmp_path / "r"
    assert main(["evaluate", str(csv), "--target", "label", "--methods", "none,smote", "--cv", "2",
                 "--classifiers", "logreg", "--no-quality", "--out", str(out), "--quiet"]) == 0
    assert not (out / "quality.csv").exists() and "Generative quality" not in (out / "report.md").read_text()


def test_evaluate_jobs_reach_the_comparison(csv, tmp_path, monkeypatch):
    seen = []
    real = evaluate_command.compare_oversamplers

    def spy(*args, n_jobs=None, **kwargs):
        seen.append(n_jobs)
        return real(*args, **kwargs)  # serial: tests/test_parallel.py checks parallel == serial

    monkeypatch.setattr(evaluate_command, "compare_oversamplers", spy)
    out = tmp_path / "r"
    assert main(["evaluate", str(csv), "--target", "label", "--methods", "none,ros", "--cv", "2", "--jobs", "2",
                 "--classifiers", "logreg", "--no-quality", "--out", str(out), "--quiet"]) == 0
    assert seen == [2]
    report = (out / "report.md").read_text()
    assert "--jobs 2" in report and "cross-validation jobs: 2" in report


@pytest.mark.parametrize(
    "change, args, message",
    [
        (None, ["--target", "missing"], "not a column"),
        ("text", ["--target", "label", "--methods", "none,smote"], "--methods: smote need all-numeric features"),
        ("nan", ["--target", "label", "--methods", "ros,adasyn"], "use smotenc instead"),
        ("empty", ["--target", "label"], "column 'b' is entirely missing"),
        (None, ["--target", "label", "--methods", "none,smoot"], "Did you mean 'smote'"),
        (None, ["--target", "label", "--classifiers", "svm"], "Available: logreg, rf"),
        (None, ["--target", "label", "--cv", "20"], "--cv 20 needs at least 20 rows of every class (one in each "
                                                    "fold); the class 'pos' of"),
        (None, ["--target", "label", "--cv", "20"], "has 12. Lower --cv to 12 or less, or add rows of that class."),
        ("one", ["--target", "label"], "the class 'pos' of"),
        ("one", ["--target", "label"], "has 1 row; cross-validation needs at least 2 rows of every class"),
        (None, ["--target", "label", "--jobs", "0"], "--jobs must be a positive number"),
    ],
)
def test_evaluate_errors(csv, tmp_path, capsys, change, args, message):
    if change:
        df = pd.read_csv(csv)
        if change == "text":
            df["a"] = "x"
        elif change == "one":
            df = df.iloc[:49]  # one 'pos' row
        elif change == "nan":
            df.loc[3, "b"] = np.nan
        else:
            df["b"] = np.nan
        df.to_csv(csv, index=False)
    argv = ["evaluate", str(csv), *args, "--out", str(tmp_path / "r"), "--quiet", "--no-quality"]
    if "--classifiers" not in args:
        argv += ["--classifiers", "logreg"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1 and "Lower cv" not in err


def test_evaluate_missing_file(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope.csv"), "--target", "y", "--out", str(tmp_path)]) == 2
    assert "no such CSV file" in capsys.readouterr().err


def test_evaluate_skips_quality_for_a_class_too_small(tmp_path, capsys):
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(22, 2)), columns=["a", "b"]).assign(label=[0] * 20 + [1] * 2)
    df.to_csv(tmp_path / "small.csv", index=False)
    out = tmp_path / "r"
    assert main(["evaluate", str(tmp_path / "small.csv"), "--target", "label", "--methods", "none,ros",
                 "--cv", "2", "--classifiers", "logreg", "--out", str(out), "--quiet"]) == 0
    assert "ros: generative quality skipped" in capsys.readouterr().err
    assert (out / "report.md").exists() and not (out / "quality.csv").exists()


def test_evaluate_a_mixed_table(tmp_path):
    # text categories, True/False and missing cells: resampled as they are, SMOTENC instead of SMOTE by default
    rng = np.random.default_rng(1)
    n = 60
    df = pd.DataFrame({
        "site": rng.choice(["north", "south"], n), "flag": rng.random(n) < 0.5,
        "x": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "label": np.r_[["neg"] * 45, ["pos"] * 15],
    })
    csv, out = tmp_path / "mixed.csv", tmp_path / "report"
    df.to_csv(csv, index=False)
    assert main(["evaluate", str(csv), "--target", "label", "--cv", "3", "--classifiers", "logreg",
                 "--n-iter", "3", "--batch-size", "16", "--device", "cpu", "--out", str(out), "--quiet"]) == 0
    folds = pd.read_csv(out / "downstream_folds.csv")
    assert set(folds.oversampler) == {"none", "ros", "smotenc", "rumi"}
    quality = pd.read_csv(out / "quality.csv").set_index("oversampler")
    assert {"category_tvd", "missing_rate_diff", "numeric_ks"} <= set(quality.columns)
    assert quality.loc["ros", "near_copies"] > 0 and quality.loc["smotenc", "missing_rate_diff"] > 0


# ---------------------------------------------------------------------------
# The library function the command's quality section calls
# ---------------------------------------------------------------------------
def test_oversampler_quality_scores_the_rows_each_sampler_adds():
    from minority_gen.evaluation import oversampler_quality

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (48, 3)), rng.normal(2, 1, (12, 3))]
    y = np.r_[["neg"] * 48, ["pos"] * 12]
    table = oversampler_quality(X, y, ["none", "ros", "smote"], random_state=0)
    assert list(table.oversampler) == ["ros", "smote"] and (table["class"] == "pos").all()
    assert (table.n_fake == 36).all() and (table.n_real == 12).all()
    by = table.set_index("oversampler")
    assert by.loc["ros", "near_copies"] == 36 and by.loc["smote", "near_copies"] < 36  # ros copies, SMOTE blends
    assert (table.fit_time_s >= 0).all()
    # a mixed table is scored through the mixed-table encoding, per-column figures included
    frame = pd.DataFrame({"site": rng.choice(["north", "south"], 60), "x": X[:, 0]})
    mixed = oversampler_quality(frame, y, ["ros"])
    assert mixed.loc[0, "n_fake"] == 36 and np.isfinite(mixed.loc[0, "category_tvd"])


def test_oversampler_quality_raises_or_warns_for_a_class_too_small():
    from minority_gen.evaluation import oversampler_quality

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(22, 2)), np.r_[[0] * 20, [1] * 2]
    with pytest.raises(ValueError, match="ros: generative quality skipped: Class .*1.* has 2 real"):
        oversampler_quality(X, y, ["ros"])
    with pytest.warns(UserWarning, match="ros: generative quality skipped"):
        assert oversampler_quality(X, y, ["ros"], errors="warn").empty
    with pytest.raises(ValueError, match="errors must be 'raise' or 'warn'"):
        oversampler_quality(X, y, ["ros"], errors="ignore")


def test_the_command_holds_no_quality_logic():
    assert not hasattr(evaluate_command, "quality_table")
    from minority_gen.evaluation import quality

    assert evaluate_command.oversampler_quality is quality.oversampler_quality


def test_evaluate_param_reaches_the_gan_methods(csv, tmp_path, monkeypatch):
    seen = []
    real = evaluate_command.compare_oversamplers

    def spy(*args, gan_params=None, **kwargs):
        seen.append(gan_params)
        return real(*args, gan_params=gan_params, **kwargs)

    monkeypatch.setattr(evaluate_command, "compare_oversamplers", spy)
    out = tmp_path / "r"
    assert main(["evaluate", str(csv), "--target", "label", "--methods", "none,rumi", "--cv", "2",
                 "--classifiers", "logreg", "--no-quality", "--n-iter", "2", "--device", "cpu", "--out", str(out),
                 "--quiet", "--param", "lr_g=0.0005", "--param", "hidden_dims=[8]"]) == 0
    assert seen == [{"n_iter": 2, "batch_size": None, "device": "cpu", "lr_g": 0.0005, "hidden_dims": [8]}]
    report = (out / "report.md").read_text()
    assert "--param lr_g=0.0005 --param 'hidden_dims=[8]'" in report and "lr_g=0.0005" in report


@pytest.mark.parametrize("param, message", [
    ("lr_gg=1", "--param lr_gg: GANOversampler has no parameter 'lr_gg'. Did you mean 'lr_g'"),
    ("n_iter=5", "--param n_iter: the command line sets n_iter itself; use --n-iter"),
    ("lr_g=-1", "--param lr_g: The 'lr_g' parameter of GANOversampler must be a float"),
    ("lr_g=x", "--param lr_g: 'x' is not valid JSON"),
])
def test_evaluate_param_errors(csv, tmp_path, capsys, param, message):
    assert main(["evaluate", str(csv), "--target", "label", "--out", str(tmp_path / "r"), "--quiet",
                 "--classifiers", "logreg", "--param", param]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "r").exists()
