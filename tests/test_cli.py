"""The minority-gen command line."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from minority_gen.cli import main


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    df["label"] = ["common"] * 42 + ["rare"] * 8
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def test_resample_writes_originals_plus_synthetic_rows(csv, tmp_path, capsys):
    out = tmp_path / "out" / "balanced.csv"
    code = main(["resample", str(csv), "--target", "label", "--out", str(out), "--n-iter", "3",
                 "--batch-size", "8", "--quiet"])
    assert code == 0
    res = pd.read_csv(out)
    orig = pd.read_csv(csv)
    assert list(res.columns) == list(orig.columns)
    pd.testing.assert_frame_equal(res.iloc[: len(orig)], orig)
    assert (res["label"].value_counts() == 42).all()
    assert "34 synthetic" in capsys.readouterr().out


def test_resample_synthetic_only(csv, tmp_path):
    out = tmp_path / "synthetic.csv"
    assert main(["resample", str(csv), "--target", "label", "--out", str(out), "--n-iter", "2",
                 "--synthetic-only", "--quiet"]) == 0
    res = pd.read_csv(out)
    assert len(res) == 34 and set(res["label"]) == {"rare"}


@pytest.mark.parametrize("extra", [[], ["--synthetic-only"]])
def test_resample_keeps_the_inputs_column_order(tmp_path, extra):
    """The class column stays where the input had it (not moved last), in full and --synthetic-only output."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=40), "label": ["common"] * 30 + ["rare"] * 10,
                       "b": rng.normal(size=40), "kind": rng.choice(["x", "y"], 40)})
    csv, out = tmp_path / "in.csv", tmp_path / "out.csv"
    df.to_csv(csv, index=False)
    assert main(["resample", str(csv), "--target", "label", "--out", str(out), "--n-iter", "2", "--quiet",
                 *extra]) == 0
    res = pd.read_csv(out)
    assert list(res.columns) == ["a", "label", "b", "kind"]
    assert len(res) == (20 if extra else 60) and (res["label"].iloc[-20:] == "rare").all()


def test_resample_a_csv_of_flattened_images_with_the_image_options(tmp_path):
    """--image-shape makes each row an image; --image-layout, --diffaugment and --padding then apply."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 256, (24, 16 * 16)), columns=[f"p{i}" for i in range(256)])
    df.insert(3, "label", ["a"] * 16 + ["b"] * 8)
    csv, out = tmp_path / "pixels.csv", tmp_path / "out.csv"
    df.to_csv(csv, index=False)
    assert main(["resample", str(csv), "--target", "label", "--out", str(out), "--n-iter", "2", "--quiet",
                 "--image-shape", "16,16,1", "--image-layout", "channels_last", "--diffaugment", "color",
                 "--padding", "reflect", "--param", "hidden_dims=[4]"]) == 0
    res = pd.read_csv(out)
    assert list(res.columns) == list(df.columns) and len(res) == 32
    assert res.iloc[24:, 4:].stack().between(0, 255).all()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--target", "nope"], "'nope' is not a column"),
        (["--target", "label", "--method", "rumii"], "Did you mean 'rumi'"),
        (["--target", "label", "--method-params", "{bad"], "not valid JSON"),
        (["--target", "label", "--pac", "four"], "--pac must be 'auto' or a positive integer"),
        (["--target", "label", "--filter", "copy"], "copy"),
    ],
)
def test_resample_errors_are_one_clear_line(csv, tmp_path, capsys, extra, message):
    code = main(["resample", str(csv), "--out", str(tmp_path / "o.csv"), "--n-iter", "2", "--quiet", *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv, line",
    [
        (["resample", "data.csv", "--target", "label", "--out", "w.csv", "--bogus"],
         "minority-gen resample: error: unrecognized arguments: --bogus (see minority-gen resample --help)"),
        (["resample", "data.csv", "--target", "label", "--out", "w.csv", "--n-iter", "x"],
         "minority-gen resample: error: argument --n-iter: invalid int value: 'x' (see minority-gen resample --help)"),
        (["resample", "data.csv", "--target", "label", "--out", "w.csv", "--random-state", "x"],
         "minority-gen resample: error: argument --random-state: invalid int value: 'x' "
         "(see minority-gen resample --help)"),
        (["resample", "data.csv"], "minority-gen resample: error: the following arguments are required: --target, "
                                   "--out (see minority-gen resample --help)"),
        (["evaluate", "data.csv", "--out", "r", "--cv", "x"],
         "minority-gen evaluate: error: argument --cv: invalid int value: 'x' (see minority-gen evaluate --help)"),
        (["sample", "m.mgz", "--out", "r.csv", "--n", "10", "--bogus", "1"],
         "minority-gen sample: error: unrecognized arguments: --bogus 1 (see minority-gen sample --help)"),
        (["bogus"], "minority-gen: error: argument COMMAND: invalid choice: 'bogus' (choose from 'evaluate', "
                    "'images', 'resample', 'sample') (see minority-gen --help)"),
    ],
)
def test_argument_errors_are_one_line_naming_the_sub_command(argv, line, capsys):
    """As every other failure: one line, the sub-command's name, where to look; no usage block; exit code 2."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert capsys.readouterr().err == line + "\n"


def test_resample_sample_quality_options(csv, tmp_path, monkeypatch):
    seen = {}
    from minority_gen import oversampler

    original = oversampler.GANOversampler.fit_resample

    def spy(self, X, y):
        seen.update(self.get_params())
        return original(self, X, y)

    monkeypatch.setattr(oversampler.GANOversampler, "fit_resample", spy)
    out = tmp_path / "o.csv"
    assert main(["resample", str(csv), "--target", "label", "--out", str(out), "--n-iter", "3", "--quiet",
                 "--pac", "2", "--recipe", "paper", "--selection", "last", "--filter", "copies"]) == 0
    assert (seen["pac"], seen["recipe"], seen["selection"], seen["filter"]) == (2, "paper", "last", "copies")
    assert len(pd.read_csv(out)) == 84


def test_resample_refuses_to_overwrite_its_input(csv, capsys):
    assert main(["resample", str(csv), "--target", "label", "--out", str(csv)]) == 2
    assert "original is kept" in capsys.readouterr().err


def test_missing_file(tmp_path, capsys):
    assert main(["resample", str(tmp_path / "absent.csv"), "--target", "y", "--out", "o.csv"]) == 2
    assert "no such CSV file" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    res = subprocess.run([sys.executable, "-m", "minority_gen", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("minority-gen ")


def test_resample_round_trips_categorical_and_missing_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 80
    df = pd.DataFrame({
        "work": rng.choice(["Private", "Self-employed", "Govt_job"], n),
        "smoker": rng.random(n) < 0.4,
        "flag": (rng.random(n) < 0.6).astype(int),
        "bmi": np.round(rng.normal(28, 4, n), 1),
        "label": np.r_[np.zeros(60, int), np.ones(20, int)],
    })
    text = df.to_csv(index=False).splitlines()
    bmi_col = list(df.columns).index("bmi")
    for i in rng.choice(np.arange(1, n + 1), 20, replace=False):  # 20 missing BMIs written as N/A
        cells = text[i].split(",")
        cells[bmi_col] = "N/A"
        text[i] = ",".join(cells)
    csv, out = tmp_path / "in.csv", tmp_path / "out.csv"
    csv.write_text("\n".join(text) + "\n")
    assert main(["resample", str(csv), "--target", "label", "--out", str(out), "--n-iter", "30", "--quiet"]) == 0
    real, res = pd.read_csv(csv), pd.read_csv(out)
    assert res.dtypes.equals(real.dtypes) and list(res.columns) == list(real.columns)
    new = res.iloc[len(real):]
    assert len(new) == 40 and (new["label"] == 1).all()
    assert set(new["work"]) <= set(real["work"]) and set(new["flag"]) <= {0, 1}
    assert new["smoker"].dtype == bool
    raw = out.read_text()
    assert "nan" not in raw.lower() and raw.count("N/A") == res["bmi"].isna().sum() >= 20


def test_n_iter_option_defaults_to_the_estimators_auto():
    """Without --n-iter the command leaves n_iter to GANOversampler ("auto": 500 tables, 1000 images)."""
    import argparse

    from minority_gen.commands._gan_options import add_gan_arguments, gan_kwargs

    parser = argparse.ArgumentParser()
    add_gan_arguments(parser)
    assert gan_kwargs(parser.parse_args([]))["n_iter"] == "auto"
    assert gan_kwargs(parser.parse_args(["--n-iter", "5"]))["n_iter"] == 5
