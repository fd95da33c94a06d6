"""Extreme class counts and table shapes: many classes, tiny classes under cross-validation, odd labels."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import minority_gen.oversampler as oversampler_module
from minority_gen import GANOversampler
from minority_gen.cli import main
from minority_gen.evaluation import compare_on_datasets, compare_oversamplers
from minority_gen.plan import MANY_GANS

from .conftest import TINY


class _Stop(Exception):
    """Raised in place of training: the test only looks at what happens before it."""


def _no_training(monkeypatch):
    def stop(*args, **kwargs):
        raise _Stop

    monkeypatch.setattr(oversampler_module, "fit_model", stop)


def _classes(n_small: int, rows: int = 3, majority: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(majority, int), np.repeat(np.arange(1, n_small + 1), rows)]
    return rng.normal(size=(len(y), 3)), y


# -- many classes: a warning before training, "k of N" on the labels --------------------------------------------

def test_many_separate_gans_are_warned_about_before_the_first_one_trains():
    X, y = _classes(MANY_GANS + 1, rows=2, majority=30)
    caught_at_begin = []

    class Spy:
        def on_train_begin(self, n_iter, label):
            caught_at_begin.append((len(caught), label))

        def on_iteration_end(self, iteration, record): ...
        def on_train_end(self): ...

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GANOversampler(**{**TINY, "n_iter": 1}).fit(X, y, callbacks=[Spy()])
    many = [w for w in caught if "classes to grow" in str(w.message)]
    assert len(many) == 1
    text = str(many[0].message)
    assert f"{MANY_GANS + 1} GANs of 1 iteration each will train, one after the other" in text
    assert "sampling_strategy" in text and "'acgan'" in text and "n_jobs=-1" in text
    assert caught_at_begin[0][0] >= 1  # the warning came before the first GAN began
    labels = [label for _, label in caught_at_begin]
    assert labels[0] == f"rumi (class 1) (1 of {MANY_GANS + 1})"
    assert labels[-1] == f"rumi (class {MANY_GANS + 1}) ({MANY_GANS + 1} of {MANY_GANS + 1})"


def test_the_threshold_and_conditional_methods_give_no_warning(monkeypatch):
    _no_training(monkeypatch)
    for n_small, method, warned in [(MANY_GANS, "rumi", False), (MANY_GANS + 1, "acgan", False),
                                    (MANY_GANS + 1, "lsgan", True)]:
        X, y = _classes(n_small, rows=2, majority=30)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(_Stop):
                GANOversampler(**{**TINY, "method": method}).fit(X, y)
        assert any("classes to grow" in str(w.message) for w in caught) == warned, (n_small, method)


def test_naming_fewer_classes_in_sampling_strategy_gives_no_warning(monkeypatch):
    _no_training(monkeypatch)
    X, y = _classes(MANY_GANS + 5, rows=2, majority=30)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(_Stop):
            GANOversampler(**TINY, sampling_strategy={1: 30, 2: 30}).fit(X, y)
    assert not any("classes to grow" in str(w.message) for w in caught)


def test_a_single_gan_keeps_its_plain_label(capsys):
    X, y = _classes(1, rows=6)
    GANOversampler(**TINY, verbose=True).fit(X, y)
    err = capsys.readouterr().err
    assert "rumi (class 1)" in err and " of 1)" not in err
    X, y = _classes(2, rows=6)
    GANOversampler(**TINY, verbose=True).fit(X, y)
    err = capsys.readouterr().err
    assert "rumi (class 1) (1 of 2)" in err and "rumi (class 2) (2 of 2)" in err


def test_images_command_warns_about_many_class_folders_before_training(tmp_path, monkeypatch, capsys):
    _no_training(monkeypatch)
    rng = np.random.default_rng(0)
    src = tmp_path / "in"
    for k in range(MANY_GANS + 2):
        (src / f"c{k:02d}").mkdir(parents=True)
        for i in range(2 if k else 4):
            Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(src / f"c{k:02d}" / f"{i}.png")
    code = main(["images", str(src), "--out", str(tmp_path / "out"), "--n-iter", "2", "--quiet"])
    assert code == 1  # the stand-in for training stopped it
    warning, error = capsys.readouterr().err.splitlines()[-2:]  # the command's warning line, before the error
    assert re.match(rf"warning: {MANY_GANS + 1} classes to grow: .*{MANY_GANS + 1} GANs", warning), warning
    assert error.startswith("minority-gen images: error:"), error


# -- cross-validation: a class too small for the training folds is refused up front -----------------------------

def _cv_table(small: int):
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(30, int), np.ones(10, int), np.full(small, 2)]
    return rng.normal(size=(len(y), 3)), y


def test_a_class_of_two_rows_with_two_folds_is_refused_before_any_fold(monkeypatch):
    fits = []
    monkeypatch.setattr(GANOversampler, "fit_resample", lambda self, X, y: fits.append(1))
    X, y = _cv_table(2)
    with pytest.raises(ValueError, match=r"cv=2: class 2 has 2 rows, so every training fold would hold only 1 row "
                                         r"of it, and 'rumi' needs at least 2 rows.*drop the class or merge it"):
        compare_oversamplers(X, y, ["none", "rumi"], ["logreg"], cv=2, progress=False)
    assert fits == []


def test_the_fold_check_names_the_number_of_folds_that_works():
    X, y = _cv_table(3)
    with pytest.raises(ValueError, match=r"class 2 has 3 rows, so some training folds would hold only 1 row.*'smote' "
                                         r"needs.*those folds would fail.*use cv=3 \(more folds"):
        compare_oversamplers(X, y, ["smote"], ["logreg"], cv=2, progress=False)
    with pytest.raises(ValueError, match=r"'rumi' needs at least 2 rows.*use cv=3 \(more folds"):
        compare_on_datasets({"toy": (X, y)}, ["none", "rumi"], ["lr"], cv=2, progress=False)


def test_copying_samplers_are_not_held_to_two_rows():
    X, y = _cv_table(2)
    res = compare_oversamplers(X, y, ["none", "ros"], ["logreg"], cv=2, progress=False)
    assert set(res.oversampler) == {"none", "ros"}


def test_evaluate_command_refuses_the_class_before_any_work(tmp_path, capsys):
    X, y = _cv_table(2)
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=np.array(["common", "rare", "tiny"])[y])
    df.to_csv(tmp_path / "t.csv", index=False)
    code = main(["evaluate", str(tmp_path / "t.csv"), "--target", "label", "--cv", "2", "--methods", "none,rumi",
                 "--classifiers", "logreg", "--out", str(tmp_path / "r"), "--quiet", "--no-quality"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "--cv 2: class 'tiny' of" in err and "has 2 rows, so every training fold would hold only 1 row of it" in err
    assert "'rumi' needs at least 2 rows" in err and "drop the class or merge it into another" in err
    assert not (tmp_path / "r").exists()


def test_a_ratio_below_the_datas_own_is_refused_in_words_by_the_estimator_and_the_command(tmp_path, capsys):
    y = np.r_[np.zeros(6, int), np.ones(2, int)]
    X = np.random.default_rng(0).normal(size=(8, 2))
    with pytest.raises(ValueError, match=r"a ratio of 0.1 asks for 0.1 minority row\(s\) per majority row after "
                                         r"resampling, but the classes already have 0.333 \(1: 2, 0: 6\)"):
        GANOversampler(**{**TINY, "sampling_strategy": 0.1}).fit_resample(X, y)
    assert len(GANOversampler(**{**TINY, "sampling_strategy": 0.5}).fit_resample(X, y)[0]) == 9  # 0.5 still works
    pd.DataFrame({"a": np.arange(30.0), "label": [0] * 20 + [1] * 10}).to_csv(tmp_path / "t.csv", index=False)
    code = main(["resample", str(tmp_path / "t.csv"), "--target", "label", "--sampling-strategy", "0.2",
                 "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "--sampling-strategy: a ratio of 0.2" in err and "t.csv already has 0.5" in err, err
    assert not (tmp_path / "o.csv").exists()


def test_a_warning_during_a_command_is_one_warning_line(tmp_path, capsys, monkeypatch):
    pd.DataFrame({"a": np.arange(30.0), "label": [0] * 20 + [1] * 10}).to_csv(tmp_path / "t.csv", index=False)

    def warn_then_fail(self, X, y):
        warnings.warn("rows may\n  drift", UserWarning, stacklevel=2)
        raise RuntimeError("stop here")

    monkeypatch.setattr(GANOversampler, "fit_resample", warn_then_fail)
    argv = ["resample", str(tmp_path / "t.csv"), "--target", "label", "--out", str(tmp_path / "o.csv")]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "warning: rows may drift\n" in err and "UserWarning" not in err, err
    assert warnings.showwarning.__module__ == "warnings"  # Python's own again after the command


@pytest.mark.parametrize("dtype", [float, np.float32, object])
def test_an_infinite_label_is_refused_naming_its_row(dtype):
    y = np.array([0.0] * 20 + [1.0] * 8, dtype=dtype)
    y[3] = -np.inf
    X = np.random.default_rng(0).normal(size=(28, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stray RuntimeWarning from a cast on the way
        with pytest.raises(ValueError, match=r"y has 1 infinite label at row 3; a class label must be a finite"):
            GANOversampler(**TINY).fit_resample(X, y)
