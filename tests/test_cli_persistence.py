"""``minority-gen resample --save-model`` / ``images --save-model`` and ``minority-gen sample``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from minority_gen import GANOversampler
from minority_gen.cli import main

from .conftest import TINY

FAST = ["--n-iter", "3", "--batch-size", "8", "--quiet"]


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    df["kind"] = rng.choice(["x", "y"], 60)
    df.loc[[2, 7, 40], "a"] = np.nan
    df["label"] = ["common"] * 42 + ["rare"] * 10 + ["odd"] * 8
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False, na_rep="N/A")
    return path


@pytest.fixture
def model(csv, tmp_path):
    path = tmp_path / "model.mgz"
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "bal.csv"),
                 "--save-model", str(path), *FAST]) == 0
    return path


def test_saved_model_draws_rows_like_the_input(model, csv, tmp_path, capsys):
    out = tmp_path / "rows" / "rare.csv"
    assert main(["sample", str(model), "--n", "30", "--class", "rare", "--out", str(out), "--random-state", "4"]) == 0
    assert "30 synthetic rows of class rare" in capsys.readouterr().out
    rows, orig = pd.read_csv(out), pd.read_csv(csv)
    assert list(rows.columns) == list(orig.columns) and len(rows) == 30
    assert set(rows["label"]) == {"rare"} and set(rows["kind"]) <= {"x", "y"}
    # the rows are the loaded model's draws for that seed, missing cells written with the input's own text
    expected = GANOversampler.load(model).sample(30, y="rare", random_state=4)
    pd.testing.assert_frame_equal(rows.drop(columns="label"), expected, check_dtype=False)
    if expected["a"].isna().any():
        assert "N/A" in out.read_text()
    # same seed, same file; another seed, other rows
    again, other = tmp_path / "again.csv", tmp_path / "other.csv"
    main(["sample", str(model), "--n", "30", "--class", "rare", "--out", str(again), "--random-state", "4"])
    main(["sample", str(model), "--n", "30", "--class", "rare", "--out", str(other), "--random-state", "5"])
    assert again.read_bytes() == out.read_bytes() and other.read_bytes() != out.read_bytes()


def test_save_model_is_checked_before_training_and_honours_overwrite(csv, tmp_path, capsys, monkeypatch):
    path = tmp_path / "model.mgz"
    path.write_text("keep me")
    trained = []
    monkeypatch.setattr(GANOversampler, "fit_resample", lambda *a, **k: trained.append(1))
    code = main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"),
                 "--save-model", str(path), *FAST])
    err = capsys.readouterr().err
    assert code == 2 and "--save-model" in err and "already exists" in err and "--overwrite" in err
    assert not trained and path.read_text() == "keep me" and not (tmp_path / "o.csv").exists()
    code = main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"),
                 "--save-model", str(tmp_path / "o.csv"), *FAST])
    assert code == 2 and "are the same path" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"),
                 "--save-model", str(path), "--overwrite", *FAST]) == 0
    assert GANOversampler.load(path).sample(3, y="odd").shape == (3, 4)
    assert not list(tmp_path.glob(".minority-gen-tmp-*"))


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("a,b\n1,2\n"), "is not a minority_gen model file"),
    (lambda p: p.write_bytes(p.read_bytes()[:-200]), "is truncated or damaged"),
    (lambda p: p.unlink(), "no such model file"),
])
def test_bad_model_file_is_one_error_line(model, tmp_path, capsys, make, message):
    make(model)
    out = tmp_path / "rows.csv"
    code = main(["sample", str(model), "--n", "5", "--class", "rare", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("minority-gen sample: error: ") and message in err
    assert str(model) in err and "Traceback" not in err and err.count("\n") == 1
    assert not out.exists()


def test_sample_class_errors(model, tmp_path, capsys):
    out = str(tmp_path / "rows.csv")
    assert main(["sample", str(model), "--n", "5", "--out", out]) == 2
    assert "choose one with --class" in capsys.readouterr().err
    assert main(["sample", str(model), "--n", "5", "--class", "common", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "no generator for that class" in err and "rare" in err and "odd" in err
    with pytest.raises(SystemExit) as exit_:
        main(["sample", str(model), "--n", "0", "--class", "rare", "--out", out])
    assert exit_.value.code == 2 and "--n: must be a positive integer" in capsys.readouterr().err


def test_python_saved_numeric_model_needs_no_class_when_one_was_grown(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)).astype(np.float32), np.r_[np.zeros(48, int), np.ones(12, int)]
    sampler = GANOversampler(**TINY).fit(X, y)
    sampler.save(tmp_path / "m.mgz")
    assert main(["sample", str(tmp_path / "m.mgz"), "--n", "7", "--out", str(tmp_path / "r.csv")]) == 0
    rows = pd.read_csv(tmp_path / "r.csv")
    assert list(rows.columns) == ["0", "1", "2", "class"] and (rows["class"] == 1).all()
    np.testing.assert_allclose(rows.iloc[:, :3].to_numpy(), sampler.sample(7, random_state=0), rtol=1e-6)


def test_image_model_writes_pngs(tmp_path, capsys):
    X = np.random.default_rng(0).integers(0, 256, (20, 16, 16)).astype(np.uint8)
    y = np.array(["normal"] * 14 + ["tumour"] * 6)
    sampler = GANOversampler(**{**TINY, "hidden_dims": (4,)}).fit(X, y)
    sampler.save(tmp_path / "m.mgz")
    out = tmp_path / "png"
    assert main(["sample", str(tmp_path / "m.mgz"), "--n", "4", "--out", str(out), "--random-state", "2"]) == 0
    files = sorted((out / "tumour").iterdir())
    assert [f.name for f in files] == [f"synthetic_{i:05d}.png" for i in range(4)]
    pixels = np.stack([np.asarray(Image.open(f)) for f in files])
    np.testing.assert_array_equal(pixels, sampler.sample(4, random_state=2))
    assert "4 synthetic PNG images of class tumour" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["rows.csv", "more.TXT", "x.png", "draws.npz"])
def test_image_model_refuses_an_out_named_like_a_file(tmp_path, capsys, name):
    """An image model writes a folder: ``--out rows.csv`` is refused, one line, before anything is written (it
    made a folder named rows.csv); a folder of that name that exists already is taken as asked."""
    X = np.random.default_rng(0).integers(0, 256, (20, 16, 16)).astype(np.uint8)
    GANOversampler(**{**TINY, "hidden_dims": (4,)}).fit(X, np.array([0] * 14 + [1] * 6)).save(tmp_path / "m.mgz")
    out = tmp_path / name
    assert main(["sample", str(tmp_path / "m.mgz"), "--n", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is an image model, which writes a folder of PNG files" in err
    assert f"give a folder name, e.g. --out {out.with_suffix('')}" in err and not out.exists()
    out.mkdir()
    assert main(["sample", str(tmp_path / "m.mgz"), "--n", "2", "--out", str(out)]) == 0
    assert len(list((out / "1").glob("*.png"))) == 2


def test_float_image_model_is_refused_for_png(tmp_path, capsys):
    X = np.random.default_rng(0).random((20, 16, 16)).astype(np.float32)
    y = np.array([0] * 14 + [1] * 6)
    GANOversampler(**{**TINY, "hidden_dims": (4,)}).fit(X, y).save(tmp_path / "m.mgz")
    assert main(["sample", str(tmp_path / "m.mgz"), "--n", "2", "--out", str(tmp_path / "png")]) == 2
    err = capsys.readouterr().err
    assert "float32 images; PNG output needs uint8" in err and not (tmp_path / "png").exists()


def test_images_command_saves_a_model(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / "in"
    for cls, n in (("a", 10), ("b", 4)):
        (src / cls).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (16, 16)).astype(np.uint8)).save(src / cls / f"{i}.png")
    model = tmp_path / "img.mgz"
    assert main(["images", str(src), "--out", str(tmp_path / "out"), "--save-model", str(model),
                 "--width", "4", *FAST]) == 0
    assert main(["sample", str(model), "--n", "3", "--out", str(tmp_path / "more")]) == 0
    assert len(list((tmp_path / "more" / "b").glob("*.png"))) == 3
    assert main(["images", str(src), "--out", str(tmp_path / "out.csv"), "--width", "4", *FAST]) == 2
    assert not (tmp_path / "out.csv").exists()  # refused before training, as sample's --out is


@pytest.mark.parametrize("option, anchored", [("auto", True), ("smote", True), ("none", False)])
def test_anchor_option_reaches_the_saved_model(csv, tmp_path, option, anchored):
    from minority_gen.nets import AnchoredGenerator

    path = tmp_path / "m.mgz"
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "bal.csv"),
                 "--save-model", str(path), "--anchor", option, *FAST]) == 0
    loaded = GANOversampler.load(path)
    assert loaded.anchor == (None if option == "none" else option)
    assert isinstance(loaded.generators_["rare"], AnchoredGenerator) is anchored
