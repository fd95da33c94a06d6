"""Image features for the quality metrics: layouts, the small CNN, Inception-v3 from a local file."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minority_gen.evaluation import (
    InceptionFeatures,
    SmallCNNFeatures,
    TorchFeatures,
    generative_quality,
    to_nchw,
)

TINY_CNN = dict(epochs=2, width=4, n_features=8, random_state=0)


def _images(n_per_class=24, size=10, seed=0):
    """Class 0: dark images, class 1: a bright square in the middle (uint8, N×H×W)."""
    rng = np.random.default_rng(seed)
    dark = rng.integers(0, 60, (n_per_class, size, size))
    bright = rng.integers(0, 60, (n_per_class, size, size))
    bright[:, 3:7, 3:7] = 250
    return np.r_[dark, bright].astype(np.uint8), np.r_[[0] * n_per_class, [1] * n_per_class]


@pytest.mark.parametrize(
    "shape, want",
    [((2, 8, 9), (2, 1, 8, 9)), ((2, 8, 9, 3), (2, 3, 8, 9)), ((2, 3, 8, 9), (2, 3, 8, 9)),
     ((2, 1, 8, 9), (2, 1, 8, 9)), ((2, 8, 9, 1), (2, 1, 8, 9))],
)
def test_to_nchw_layouts(shape, want):
    assert to_nchw(np.zeros(shape, np.float32)).shape == want


def test_to_nchw_scales_uint8_and_refuses_ambiguity():
    assert to_nchw(np.full((1, 2, 2), 255, np.uint8)).max() == 1.0
    assert to_nchw(np.full((1, 2, 2), 0.5)).max() == 0.5
    with pytest.raises(ValueError, match="channel axis"):
        to_nchw(np.zeros((2, 8, 9, 7)))
    with pytest.raises(ValueError, match="3-D or 4-D"):
        to_nchw(np.zeros((2, 8)))


def test_small_cnn_features_are_deterministic_and_separate_classes():
    images, y = _images()
    a = SmallCNNFeatures(**TINY_CNN).fit(images, y)
    b = SmallCNNFeatures(**TINY_CNN).fit(images, y)
    fa = a.transform(images)
    assert fa.shape == (48, 8) and np.isfinite(fa).all()
    np.testing.assert_array_equal(fa, b.transform(images))
    proba = SmallCNNFeatures(**{**TINY_CNN, "epochs": 40, "lr": 0.01}).fit(images, y).predict_proba(images)
    assert proba.shape == (48, 2) and np.allclose(proba.sum(1), 1)
    assert (proba.argmax(1) == y).mean() > 0.9
    with pytest.raises(ValueError, match="fitted on"):
        a.transform(np.zeros((2, 12, 12), np.uint8))


def test_torch_features_resize_and_channels():
    seen = {}

    class Probe(torch.nn.Module):
        def forward(self, x):
            seen["shape"] = tuple(x.shape)
            return x.mean((2, 3))

    out = TorchFeatures(Probe(), input_size=16, channels=3, mean=[0.5] * 3, std=[0.5] * 3).transform(
        np.full((4, 8, 8), 255, np.uint8))
    assert seen["shape"] == (4, 3, 16, 16)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)  # (1 - 0.5) / 0.5


@pytest.mark.slow
def test_inception_features_from_a_local_state_dict(tmp_path):
    from torchvision.models import inception_v3

    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=True, init_weights=True)
    path = tmp_path / "inception.pth"
    torch.save(net.state_dict(), path)
    fx = InceptionFeatures(path, input_size=75)
    images, _ = _images(2, size=20)
    feats = fx.transform(images)
    assert feats.shape == (4, 2048) and np.isfinite(feats).all()
    with pytest.raises(FileNotFoundError, match="IMAGENET1K_V1"):
        InceptionFeatures(tmp_path / "missing.pth")


def test_generative_quality_on_images_flags_copies():
    images, y = _images()
    copies = images[y == 1][:12]
    table = generative_quality(images, y, copies, 1, extractor=SmallCNNFeatures(**TINY_CNN))
    assert table.loc[0, "near_copies"] == 12 and table.loc[0, "precision"] == 1.0
    fresh, _ = _images(seed=5)
    table = generative_quality(images, y, fresh[24:], 1, extractor=SmallCNNFeatures(**TINY_CNN))
    assert table.loc[0, "near_copies"] == 0 and not table.isna().any().any()
