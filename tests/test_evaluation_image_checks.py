"""compare_on_images refuses, before any training, what a cell could not use; its store and GAN cache know the images
they were computed on."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from minority_gen.evaluation import images
from minority_gen.evaluation.cnn import CNNClassifier

TINY_CNN = {"epochs": 1, "width": 2, "n_features": 8, "device": "cpu"}


def tiny_images(n_min=6, n_maj=14, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, (n_min + n_maj, 16, 16), dtype=np.uint8)
    y = np.array([0] * n_min + [1] * n_maj)
    X[y == 0, 5:10, 5:10] = 255
    return X, y


def run_args(tmp_path, **change):
    X, y = tiny_images()
    run = dict(train={"a": (X, y)}, val=tiny_images(4, 8, 1), test=tiny_images(4, 8, 2), conditions=["rumi", "none"],
               seeds=[0], cnn_params=TINY_CNN, gan_params={"rumi": images.image_gan_params("rumi", 2, 8, batch_size=8)},
               store=tmp_path / "runs.jsonl", minority=0, log=None)
    return {**run, **change}


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("trained before refusing")

    monkeypatch.setattr(images.GANSampleCache, "fit_and_draw", staticmethod(refuse))
    monkeypatch.setattr(CNNClassifier, "fit", refuse)


@pytest.mark.parametrize("cnn_params, message", [
    ({**TINY_CNN, "epoch": 2}, r"cnn_params: .*unexpected keyword argument 'epoch' \(CNNClassifier takes .*epochs"),
    ({**TINY_CNN, "random_state": 1}, r"cnn_params sets random_state=1; each cell's CNN is seeded by the cell's seed"),
    ({**TINY_CNN, "validation_metric": "balanced_accuracy"}, r"validation_metric='balanced_accuracy'; .*'roc_auc'"),
    ({**TINY_CNN, "epochs": 0}, r"cnn_params: .*'epochs'"),
    ({**TINY_CNN, "device": "tpu"}, r"cnn_params: .*tpu"),
])
def test_cnn_settings_a_cell_cannot_use_are_refused_before_the_gan_trains(tmp_path, no_training, cnn_params, message):
    with pytest.raises(ValueError, match=message):
        images.compare_on_images(**run_args(tmp_path, cnn_params=cnn_params))
    assert not (tmp_path / "runs.jsonl").exists()


def test_images_the_cnn_cannot_read_and_missing_splits_are_refused_before_any_training(tmp_path, no_training):
    X, y = tiny_images()
    Xt, yt = tiny_images(4, 8, 2)
    nan_test = Xt / 255.0
    nan_test[3, 2, 2] = np.nan
    cases = [
        (dict(test=(nan_test, yt)), r"test: images contain NaN or inf\. Pass finite images shaped \(N, H, W\)"),
        (dict(train={"a": (X.reshape(len(X), -1), y)}), r"training set 'a': images must be 3-D or 4-D; got shape"),
        (dict(val=None), r"val: expected a pair \(images, labels\), got NoneType .*needs a validation and a test"),
        (dict(train={"a": X}), r"training set 'a': expected a pair \(images, labels\)"),
        (dict(train={"a": (X, y[:, None])}), r"training set 'a': labels of shape \(20, 1\); pass one label per image"),
    ]
    for change, message in cases:
        with pytest.raises(ValueError, match=message):
            images.compare_on_images(**run_args(tmp_path, **change))
    assert not (tmp_path / "runs.jsonl").exists()


def test_images_and_labels_given_as_lists_run(tmp_path):
    X, y = tiny_images()
    lists = {"a": (list(X), y.tolist())}
    recs = images.compare_on_images(**run_args(tmp_path, train=lists, conditions=["none", "ros"]))
    assert [r["metrics"]["n_train"] for r in recs] == [{"0": 6, "1": 14}, {"0": 14, "1": 14}]


def cache_name(labels: str) -> str:
    code = ("import numpy as np; from minority_gen.evaluation import images as i; "
            f"y = np.array({labels}, dtype=object); X = np.zeros((len(y), 16, 16), np.uint8); "
            "print(i.GANSampleCache('c').sample_file('a', i.image_gan_params('rumi', 2, 8), 0, X, y, 4).name)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_gan_cache_files_of_string_labels_in_object_arrays_are_found_again_by_the_next_run():
    """pandas string labels are object arrays, whose bytes are memory addresses: the file name must not hang on
    them, or every run fits the GAN again and leaves one more file."""
    labels = "['benign'] * 2 + ['malignant'] * 6"
    assert cache_name(labels) == cache_name(labels)
    assert cache_name(labels) != cache_name("['benign'] * 3 + ['malignant'] * 5")


def test_cells_of_changed_images_under_the_same_name_are_run_again(tmp_path):
    X, y = tiny_images()
    run = run_args(tmp_path, conditions=["none"], seeds=[0, 1])
    first = images.compare_on_images(**run)
    assert len(first) == 2 and len({r["data_key"] for r in first}) == 1
    lines = []
    assert images.compare_on_images(**{**run, "log": lines.append}) == first  # the same images: nothing to run
    assert lines[0].startswith("0 cell(s) to run, 2 cached")
    X2 = X.copy()
    X2[0, 0, 0] ^= 1  # one pixel of the training set
    for change in [dict(train={"a": (X2, y)}), dict(test=(run["test"][0][::-1], run["test"][1][::-1]))]:
        lines.clear()
        recs = images.compare_on_images(**{**run, **change, "log": lines.append})
        assert lines[0].startswith("2 cell(s) to run, 0 cached") and recs[-1]["data_key"] != first[0]["data_key"]
    # records written before cells knew their images are taken as they are
    old = [{k: v for k, v in r.items() if k != "data_key"} for r in first]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old))
    lines.clear()
    images.compare_on_images(**{**run, **dict(train={"a": (X2, y)}), "log": lines.append})
    assert lines[0].startswith("0 cell(s) to run, 2 cached")


def test_uint8_images_beside_floats_outside_0_1_are_refused_before_any_training(tmp_path, no_training):
    """uint8 images are read as pixel / 255, floats as they are: a float 0..255 test set beside uint8 training
    images was scored 255 times brighter than the CNN was trained on, and gave other numbers silently."""
    X, y = tiny_images()
    Xt, yt = tiny_images(4, 8, 2)
    with pytest.raises(ValueError, match=r"test: float images in \[0, 255\] beside uint8 images \(training set 'a'\), "
                                         r"which are read as pixel / 255: give every set the same dtype"):
        images.compare_on_images(**run_args(tmp_path, test=(Xt.astype(np.float32), yt)))
    with pytest.raises(ValueError, match=r"training set 'a': float images in \[-1, 1\] beside uint8 images \(val\)"):
        images.compare_on_images(**run_args(tmp_path, train={"a": (X / 127.5 - 1, y)}))
    from minority_gen.evaluation.image_checks import check_pixel_scales

    check_pixel_scales({"a": (X, y), "test": (Xt / 255.0, yt)})  # the same scale
    check_pixel_scales({"a": (X * 2.0, y), "test": (Xt * 3.0, yt)})  # floats only: each used as given
