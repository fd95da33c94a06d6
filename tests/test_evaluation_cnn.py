"""CNNClassifier: shapes and layouts, determinism, separating blobs, validation-epoch selection, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from minority_gen.evaluation import CNNClassifier
from minority_gen.evaluation import cnn as cnn_module

TINY = dict(width=4, n_features=8, batch_size=16, random_state=0)


def blobs(n_per_class: int, seed: int, side: int = 8):
    """Dim noise with a bright 3×3 square top-left (label "tl") or bottom-right ("br")."""
    rng = np.random.default_rng(seed)
    X = rng.random((2 * n_per_class, side, side)).astype(np.float32) * 0.3
    y = np.repeat(np.array(["tl", "br"]), n_per_class)
    X[y == "tl", :3, :3] += 0.7
    X[y == "br", -3:, -3:] += 0.7
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.fixture(scope="module")
def fitted():
    X, y = blobs(30, seed=0)
    return CNNClassifier(epochs=8, lr=3e-3, **TINY).fit(X, y)


def test_separates_blobs_on_held_out_images(fitted):
    X_test, y_test = blobs(40, seed=1)
    assert list(fitted.classes_) == ["br", "tl"]
    assert (fitted.predict(X_test) == y_test).mean() >= 0.95


def test_pixels_are_standardised_so_the_pixel_range_does_not_matter():
    X, y = blobs(20, seed=0)
    X_test, _ = blobs(10, seed=1)
    unit = CNNClassifier(epochs=3, **TINY).fit(X, y)
    scaled = CNNClassifier(epochs=3, **TINY).fit(X * 100 + 50, y)  # floats far from [0, 1]
    np.testing.assert_allclose(scaled.mean_.ravel(), [X.mean() * 100 + 50], rtol=1e-4)
    np.testing.assert_allclose(scaled.predict_proba(X_test * 100 + 50), unit.predict_proba(X_test), atol=1e-3)


@pytest.mark.parametrize("layout", ["nhw", "nhwc", "nchw", "uint8"])
def test_shapes_and_layouts(fitted, layout):
    X, _ = blobs(5, seed=2)
    X = {"nhw": X, "nhwc": X[..., None], "nchw": X[:, None],
         "uint8": (np.clip(X, 0, 1) * 255).astype(np.uint8)}[layout]
    proba = fitted.predict_proba(X)
    assert proba.shape == (10, 2) and np.allclose(proba.sum(1), 1)
    assert set(fitted.predict(X)) <= set(fitted.classes_) and fitted.predict(X).shape == (10,)
    assert fitted.image_shape_ == (1, 8, 8)


def test_same_random_state_gives_identical_probabilities():
    X, y = blobs(20, seed=3)
    a = CNNClassifier(epochs=2, **TINY).fit(X, y).predict_proba(X)
    b = CNNClassifier(epochs=2, **TINY).fit(X, y).predict_proba(X)
    c = CNNClassifier(epochs=2, **{**TINY, "random_state": 1}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert clone(CNNClassifier(epochs=2, **TINY)).get_params() == CNNClassifier(epochs=2, **TINY).get_params()


@pytest.mark.parametrize("flip", [True, False])
def test_validation_keeps_the_best_epoch_weights(flip):
    X, y = blobs(30, seed=0)
    X_val, y_val = blobs(20, seed=4)
    if flip:  # flipped labels: learning makes the validation score worse, the best epoch is early
        y_val = np.where(y_val == "tl", "br", "tl")
    clf = CNNClassifier(epochs=8, lr=3e-4, **TINY).fit(X, y, X_val=X_val, y_val=y_val)
    curve = clf.history_["val_roc_auc"].to_numpy()
    assert list(clf.history_["epoch"]) == list(range(1, 9)) and np.isfinite(clf.history_["train_loss"]).all()
    assert clf.best_epoch_ == 1 + int(np.argmax(curve)) and clf.best_score_ == curve.max()
    assert (curve[-1] if flip else curve[0]) < curve.max() - 0.5  # neither the last nor the first epoch
    # the weights kept are the best epoch's: they reproduce its validation score
    proba = clf.predict_proba(X_val)
    assert roc_auc_score(y_val == "tl", proba[:, list(clf.classes_).index("tl")]) == pytest.approx(curve.max())


def test_balanced_accuracy_selection_and_no_validation():
    X, y = blobs(20, seed=5)
    clf = CNNClassifier(epochs=3, validation_metric="balanced_accuracy", **TINY).fit(X, y, X_val=X, y_val=y)
    assert "val_balanced_accuracy" in clf.history_ and clf.best_score_ == clf.history_["val_balanced_accuracy"].max()
    plain = CNNClassifier(epochs=3, **TINY).fit(X, y)
    assert plain.best_epoch_ == 3 and plain.best_score_ is None and list(plain.history_) == ["epoch", "train_loss"]


@pytest.mark.parametrize("bad, message", [
    (dict(y=np.array(["tl"] * 39)), "39 labels for 40 images"),
    (dict(y=np.array(["tl"] * 40)), "at least 2 classes"),
    (dict(X=np.zeros((40, 64))), "3-D or 4-D"),
    (dict(X_val=np.zeros((4, 8, 8))), "both X_val and y_val"),
    (dict(X_val=np.zeros((4, 9, 9)), y_val=["tl", "br", "tl", "br"]), "X_val images have shape"),
    (dict(X_val=np.zeros((4, 8, 8)), y_val=["tl", "br", "tl", "xx"]), "not seen in y: ['xx']"),
    (dict(X_val=np.zeros((4, 8, 8)), y_val=["tl"] * 4), "needs every class in y_val"),
    (dict(X_val=np.zeros((4, 8, 8)), y_val=["tl", "br"]), "y_val has shape (2,) for 4"),
    (dict(params=dict(epochs=0)), "'epochs' parameter"),
    (dict(params=dict(validation_metric="f1")), "'validation_metric' parameter"),
    (dict(params=dict(blocks=0)), "'blocks' parameter"),
    (dict(params=dict(augment="flip")), "'augment' parameter"),
])
def test_bad_input_is_refused_before_training(monkeypatch, bad, message):
    def no_training(*args, **kwargs):
        raise AssertionError("training started before the input was checked")

    monkeypatch.setattr(cnn_module, "train_epochs", no_training)
    X, y = blobs(20, seed=6)
    clf = CNNClassifier(**{**TINY, **bad.get("params", {})})
    with pytest.raises(ValueError, match=None) as err:
        clf.fit(bad.get("X", X), bad.get("y", y), X_val=bad.get("X_val"), y_val=bad.get("y_val"))
    assert message in str(err.value)


def test_predict_needs_a_fit_and_the_fitted_image_shape(fitted):
    with pytest.raises(NotFittedError):
        CNNClassifier().predict(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"fitted on \(1, 8, 8\)"):
        fitted.predict_proba(np.zeros((2, 10, 10)))


STRONG = dict(blocks=3, convs_per_block=2, batch_norm=True, augment=True)


def test_flip_shift_mirrors_and_moves_each_image_within_its_own_pixels():
    """Every output image is its input, mirrored or not, moved by at most 2 pixels per axis with the edge
    pixels repeated; both mirrors and several shifts occur; the same generator seed gives the same batch."""
    import torch

    from minority_gen.evaluation.features import flip_shift

    x = torch.rand(64, 1, 6, 6)
    out = flip_shift(x, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, flip_shift(x, torch.Generator().manual_seed(0)))
    seen = set()
    for img, src in zip(out, x):
        matches = [(f, dy, dx) for f in (0, 1) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(img, shifted(src.flip(2) if f else src, dy, dx))]
        assert matches, "an output image is no mirror/shift of its input"
        seen.add(matches[0])
    assert {m[0] for m in seen} == {0, 1} and len({m[1:] for m in seen}) >= 10
    torch.testing.assert_close(flip_shift(x, torch.Generator().manual_seed(0), max_shift=0).abs().sum(),
                               x.abs().sum())


def shifted(img, dy: int, dx: int):
    """``img`` (C, H, W) moved by (dy, dx) pixels, edge pixels repeated: the reference for flip_shift."""
    _, h, w = img.shape
    rows = (np.arange(h) - dy).clip(0, h - 1)
    cols = (np.arange(w) - dx).clip(0, w - 1)
    return img[:, rows][:, :, cols]


def test_the_stronger_network_separates_blobs_and_is_seeded(monkeypatch):
    """blocks, convs_per_block and batch_norm build the network they name; augment feeds every training batch
    through flip_shift; the result still separates the blobs (a mirror keeps top vs bottom) and is seeded."""
    calls = []
    real = cnn_module.flip_shift

    def counting(x, gen):
        calls.append(len(x))
        return real(x, gen)

    monkeypatch.setattr(cnn_module, "flip_shift", counting)
    X, y = blobs(30, seed=0)
    clf = CNNClassifier(epochs=6, lr=3e-3, **{**TINY, **STRONG}).fit(X, y)
    assert sum(calls) == 6 * len(X)
    layers = [type(m).__name__ for m in clf.net_.body]
    assert layers.count("Conv2d") == 6 and layers.count("BatchNorm2d") == 6 and layers.count("MaxPool2d") == 2
    X_test, y_test = blobs(40, seed=1)
    assert (clf.predict(X_test) == y_test).mean() >= 0.95
    again = CNNClassifier(epochs=6, lr=3e-3, **{**TINY, **STRONG}).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X_test), clf.predict_proba(X_test))


def test_defaults_are_the_plain_two_block_network():
    X, y = blobs(10, seed=0)
    clf = CNNClassifier(epochs=1, **TINY).fit(X, y)
    assert [type(m).__name__ for m in clf.net_.body] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU",
                                                       "AdaptiveAvgPool2d", "Flatten", "Linear", "ReLU"]


def test_presets_and_describe_name_the_network():
    """PRESETS["strong"] is the network protocol I chose; describe() says what each setting builds."""
    from minority_gen.evaluation.cnn import PRESETS

    assert PRESETS["plain"] == {} and PRESETS["strong"] == STRONG
    assert CNNClassifier().describe() == "two blocks of one 3×3 convolution, dense 128, Adam 0.001, batch 64"
    assert CNNClassifier(**PRESETS["strong"]).describe() == (
        "three blocks of two 3×3 convolutions with batch norm, dense 128, Adam 0.001, batch 64, training batches "
        "mirrored left-right and shifted by up to 2 pixels")
    assert CNNClassifier(blocks=1, convs_per_block=5, n_features=8, lr=3e-3, batch_size=16).describe() == (
        "one block of 5 3×3 convolutions, dense 8, Adam 0.003, batch 16")


def test_images_read_at_another_pixel_scale_than_the_training_images_are_refused():
    """uint8 is read as pixel / 255, floats as given: float 0..255 images against a uint8 fit (or uint8 against a
    float 0..255 fit) were scored 255 times off, silently."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (24, 8, 8), dtype=np.uint8)
    y = np.repeat([0, 1], 12)
    clf = CNNClassifier(epochs=1, width=2, n_features=4).fit(X, y)
    with pytest.raises(ValueError, match=r"the images are floats in \[0, 255\] but the training images were uint8"):
        clf.predict_proba(X.astype(np.float32))
    assert clf.predict_proba(X / 255.0).shape == (24, 2)  # the same scale
    with pytest.raises(ValueError, match=r"X_val images are floats in \[0, 255\] .* pass them as uint8, or divide"):
        CNNClassifier(epochs=1, width=2, n_features=4).fit(X, y, X_val=X.astype(np.float64), y_val=y)
    floats = CNNClassifier(epochs=1, width=2, n_features=4).fit(X.astype(np.float32), y)
    with pytest.raises(ValueError, match=r"the images are uint8 \(read as pixel / 255\) but the training images were "
                                         r"floats outside \[0, 1\]"):
        floats.predict(X)
    assert floats.predict(X * 1.0).shape == (24,)


def test_labels_of_two_dimensions_are_refused_with_their_shape():
    X = np.zeros((6, 8, 8), np.float32)
    with pytest.raises(ValueError, match=r"y has shape \(6, 1\); pass one label per image, a 1-D array"):
        CNNClassifier(epochs=1).fit(X, np.array([0, 1] * 3)[:, None])
