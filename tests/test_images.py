"""Image input to GANOversampler: layout detection, round trips, dtype and range."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression

from minority_gen import GANOversampler, available_methods
from minority_gen.images import ImageCodec, ImageLayout
from minority_gen.settings import train_config

# Tiny conv nets: width 4 channels, few iterations.
FAST = dict(n_iter=2, batch_size=8, latent_dim=4, hidden_dims=(4,), device="cpu", random_state=0)

SHAPES = {  # array shape of 6 images -> (axes, (C, H, W))
    (6, 28, 28): ("HW", (1, 28, 28)),
    (6, 28, 28, 1): ("HWC", (1, 28, 28)),
    (6, 32, 32, 3): ("HWC", (3, 32, 32)),
    (6, 1, 28, 28): ("CHW", (1, 28, 28)),
    (6, 3, 32, 32): ("CHW", (3, 32, 32)),
    (6, 64, 64, 4): ("HWC", (4, 64, 64)),
}
DTYPES = [np.uint8, np.uint16, np.float32, np.float64]


def _images(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, 256 if dtype == np.uint8 else 4096, shape).astype(dtype)
    return rng.random(shape).astype(dtype)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_layout_detection(shape):
    layout = ImageLayout.detect(np.zeros(shape))
    assert (layout.axes, layout.image_shape) == SHAPES[shape]
    assert layout.native_shape == shape[1:]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_codec_round_trip(shape, dtype):
    X = _images(shape, dtype)
    layout = ImageLayout.detect(X)
    codec = ImageCodec(layout).fit(layout.flatten(X))
    Z = codec.encode(layout.flatten(X))
    assert Z.shape == (len(X), *layout.image_shape) and Z.dtype == np.float32
    assert Z.min() >= -1 and Z.max() <= 1
    back = layout.restore(codec.decode(Z))
    assert back.shape == X.shape and back.dtype == X.dtype
    np.testing.assert_allclose(back.astype(np.float64), X.astype(np.float64), atol=1e-5 * X.max())


def test_codec_channels_go_to_chw():
    X = np.zeros((1, 28, 28, 3), dtype=np.uint8)
    X[..., 2] = 255  # blue channel only
    layout = ImageLayout.detect(X)
    Z = ImageCodec(layout).fit(layout.flatten(X)).encode(layout.flatten(X))
    assert (Z[0, 2] == 1).all() and (Z[0, :2] == -1).all()


def test_flat_rows_with_image_shape_round_trip():
    X = _images((6, 32, 32, 3), np.uint8)
    flat = X.reshape(6, -1)
    layout = ImageLayout.detect(flat, image_shape=(32, 32, 3))
    assert layout.axes == "HWC" and layout.input_ndim == 2
    codec = ImageCodec(layout).fit(flat)
    np.testing.assert_array_equal(layout.restore(codec.decode(codec.encode(flat))), flat)
    # the same pixels flattened channels-first decode to the same images
    chw = X.transpose(0, 3, 1, 2).reshape(6, -1)
    layout2 = ImageLayout.detect(chw, image_shape=(3, 32, 32))
    np.testing.assert_array_equal(ImageCodec(layout2).fit(chw).encode(chw), codec.encode(flat))


def test_force_layout():
    X = np.zeros((2, 3, 28, 3))  # ambiguous: 3 on both sides; auto says channels last
    assert ImageLayout.detect(X).axes == "HWC"
    assert ImageLayout.detect(X, image_layout="channels_first").image_shape == (3, 28, 3)


@pytest.mark.parametrize(
    "X, kwargs, match",
    [
        (np.zeros((4, 28, 28, 5)), {}, "channel axis"),
        (np.zeros((4, 2, 28, 28, 1)), {}, "5 dimension"),
        (np.zeros((4, 100)), {"image_shape": (28, 28)}, "100 features"),
        (np.zeros((4, 28, 28)), {"image_shape": (32, 32)}, "does not match"),
        (np.zeros((4, 784)), {"image_shape": (28, -28)}, "image_shape must be"),
        (np.zeros((4, 784)), {"image_shape": (28, 28), "image_layout": "NHWC"}, "image_layout must be"),
    ],
)
def test_layout_errors(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ImageLayout.detect(X, **kwargs)


def test_table_is_not_an_image():
    assert ImageLayout.detect(np.zeros((4, 3))) is None


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("shape", [(24, 28, 28), (24, 32, 32, 3), (24, 3, 32, 32)])
def test_oversampler_keeps_layout_and_dtype(shape, dtype):
    X = _images(shape, dtype)
    y = np.array([0] * 18 + [1] * 6)
    X_res, y_res = GANOversampler(**FAST).fit_resample(X, y)
    assert X_res.shape == (36, *shape[1:]) and X_res.dtype == X.dtype
    np.testing.assert_array_equal(X_res[:24], X)
    new = X_res[24:]
    hi = 255 if dtype == np.uint8 else 1
    assert np.isfinite(new).all() and new.min() >= 0 and new.max() <= hi
    assert list(y_res) == list(y) + [1] * 12


def test_oversampler_is_deterministic_with_images():
    X, y = _images((20, 28, 28), np.uint8), np.array([0] * 14 + [1] * 6)
    a = GANOversampler(**FAST).fit_resample(X, y)[0]
    b = GANOversampler(**FAST).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)


def test_flat_rows_in_a_pipeline():
    X = _images((24, 28 * 28), np.uint8)
    y = np.array([0] * 18 + [1] * 6)
    sampler = GANOversampler(image_shape=(28, 28), **FAST)
    X_res, _ = sampler.fit_resample(X, y)
    assert X_res.shape == (36, 784) and X_res.dtype == np.uint8
    assert sampler.layout_.image_shape == (1, 28, 28)
    assert sampler.sample(3, y=1).shape == (3, 784)
    pipe = make_pipeline(GANOversampler(image_shape=(28, 28), **FAST), LogisticRegression(max_iter=500))
    assert pipe.fit(X, y).predict(X).shape == (24,)


def test_sample_and_fit_keep_image_layout():
    X, y = _images((20, 3, 32, 32), np.uint8), np.array([0] * 14 + [1] * 6)
    sampler = GANOversampler(**FAST).fit(X, y)
    out = sampler.sample(4, y=1, random_state=0)
    assert out.shape == (4, 3, 32, 32) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, sampler.sample(4, y=1, random_state=0))


def test_diffaugment_parameter():
    X, y = _images((20, 28, 28), np.uint8), np.array([0] * 14 + [1] * 6)
    for policy in (None, "translation", "color,cutout"):
        GANOversampler(diffaugment=policy, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="diffaugment must be"):
        GANOversampler(diffaugment="rotate", **FAST).fit(X, y)
    table = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="X is a table"):
        GANOversampler(diffaugment="translation", **FAST).fit(table, y)


def test_unsupported_image_size_names_supported_sizes():
    X, y = _images((20, 8, 8), np.uint8), np.array([0] * 14 + [1] * 6)
    with pytest.raises(ValueError, match="28×28, 32×32"):
        GANOversampler(**FAST).fit_resample(X, y)


def test_wrong_ndim_is_refused():
    with pytest.raises(ValueError, match="dimension"):
        GANOversampler(**FAST).fit_resample(np.zeros((6,)), np.zeros(6))


def test_spectral_norm_and_ema_with_images():
    X, y = _images((20, 32, 32, 3), np.uint8), np.array([0] * 14 + [1] * 6)
    sampler = GANOversampler(spectral_norm=True, ema=0.9, **FAST)
    X_res, _ = sampler.fit_resample(X, y)
    assert X_res.shape == (28, 32, 32, 3) and X_res.dtype == np.uint8
    D = sampler.discriminators_[1]
    assert any(name.endswith("weight_orig") for name, _ in D.named_parameters())


def test_images_sample_from_the_ema_generator_by_default():
    """ema="auto" averages G's weights (decay 0.99) for images, not for tables."""
    X, y = _images((20, 28, 28), np.uint8), np.array([0] * 14 + [1] * 6)
    kw = {**FAST, "n_iter": 4}

    def draw(**extra):
        return GANOversampler(**kw, **extra).fit(X, y).sample(4, random_state=0)

    default, averaged, raw = draw(), draw(ema=0.99), draw(ema=None)
    np.testing.assert_array_equal(default, averaged)
    assert not np.array_equal(default, raw)
    Xt, yt = np.random.default_rng(0).normal(size=(40, 3)), np.array([0] * 30 + [1] * 10)
    table = dict(n_iter=4, batch_size=8, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)
    np.testing.assert_array_equal(GANOversampler(**table).fit(Xt, yt).sample(4, random_state=0),
                                  GANOversampler(ema=None, **table).fit(Xt, yt).sample(4, random_state=0))


def test_image_defaults_width_16_and_1000_iterations():
    """hidden_dims=None → conv width 16 for images; n_iter="auto" → 1000 updates for images, 500 for tables."""
    import torch

    from minority_gen.methods import get_method

    X, y = _images((20, 28, 28), np.uint8), np.array([0] * 14 + [1] * 6)
    sampler = GANOversampler(n_iter=1, batch_size=8, latent_dim=4, device="cpu", random_state=0).fit(X, y)
    first = next(m for m in sampler.discriminators_[1].modules() if isinstance(m, torch.nn.Conv2d))
    assert first.out_channels == 16
    rumi = get_method("rumi")
    assert GANOversampler().get_params()["n_iter"] == "auto"
    assert train_config(rumi, GANOversampler().get_params(), images=True).n_iter == 1000
    assert train_config(rumi, GANOversampler().get_params(), images=False).n_iter == 500
    assert train_config(rumi, GANOversampler().get_params(), images=False, anchored=False).n_iter == 1000
    assert train_config(rumi, GANOversampler(n_iter=7).get_params(), images=True).n_iter == 7


def test_rumi_weighs_the_negatives_by_the_kind_of_data(imbalanced_table):
    """beta_neg="auto": 0.1 on images, 0.01 on images with anchor="smote", 1 on tables (anchored or not), in the
    method the fit trains (method_); the estimator's own
    method keeps "auto" (so clones refit alike), a number is kept as given, and an unresolved "auto" (the method
    used on its own) weighs the negatives as the paper does, 1."""
    import torch

    from minority_gen.methods import Batch, Networks, get_method, resolved_params
    from minority_gen.methods.rumi import AUTO_BETA_NEG

    assert AUTO_BETA_NEG == (1.0, 0.1, 0.01)
    X, y = _images((20, 28, 28), np.uint8), np.array([0] * 14 + [1] * 6)
    fast = dict(n_iter=1, batch_size=8, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)
    on_images = GANOversampler(method="rumi", anchor=None, **fast).fit(X, y)
    assert on_images.method_.beta_neg == 0.1 and on_images.method == "rumi"
    anchored = GANOversampler(method="rumi", anchor="smote", **fast).fit(X, y)
    assert anchored.method_.beta_neg == 0.01
    assert resolved_params("rumi", images=True, anchored=True) == anchored.method_.get_params()
    on_table = GANOversampler(method="rumi", **fast).fit(*imbalanced_table)
    assert on_table.method_.beta_neg == 1.0 and on_table.anchor == "auto"  # tables are anchored by default
    assert get_method("rumi").for_data(images=False, anchored=True).beta_neg == 1.0
    given = GANOversampler(method="rumi", method_params={"beta_neg": 0.5}, **fast).fit(X, y)
    assert given.method_.beta_neg == 0.5
    rumi = get_method("rumi")
    assert rumi.beta_neg == "auto" and rumi.for_data(images=True).get_params() == {**rumi.get_params(),
                                                                                   "beta_neg": 0.1}
    assert resolved_params("rumi", images=True) == on_images.method_.get_params()
    assert resolved_params("rumi", images=False) == on_table.method_.get_params()
    assert resolved_params("rumi", {"beta_neg": 0.5}, images=True) == given.method_.get_params()
    nets = Networks(G=torch.nn.Identity(), D=lambda x, y=None: {"adv": x.sum(1, keepdim=True)}, n_classes=0)
    rows = torch.ones(2, 3)  # D = 3 everywhere: the negatives' term is beta_neg * (3 - (-1))^2 = 16 beta_neg
    batch = Batch(z=rows, x_pos=rows, x_neg=rows, x_fake=rows)
    assert rumi.d_loss(nets, batch)["neg"].item() == 16.0
    assert rumi.for_data(images=True).d_loss(nets, batch)["neg"].item() == pytest.approx(1.6)


def test_rumi_sgan_weighs_the_negatives_by_the_kind_of_data(imbalanced_table):
    """alpha_neg="auto": 0.1 on images, 1 on tables (the same rule as Rumi-LSGAN's beta_neg), resolved in
    method_; the unresolved method weighs the negatives 1; a string other than "auto" is refused."""
    import torch

    from minority_gen.methods import Batch, Networks, get_method
    from minority_gen.methods.rumi_sgan import AUTO_ALPHA_NEG

    assert AUTO_ALPHA_NEG == (1.0, 0.1)
    X, y = _images((20, 28, 28), np.uint8), np.array([0] * 14 + [1] * 6)
    fast = dict(n_iter=1, batch_size=8, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)
    assert GANOversampler(method="rumi-sgan", **fast).fit(X, y).method_.alpha_neg == 0.1
    assert GANOversampler(method="rumi-sgan", **fast).fit(*imbalanced_table).method_.alpha_neg == 1.0
    given = GANOversampler(method="rumi-sgan", method_params={"alpha_neg": 0.5}, **fast).fit(X, y)
    assert given.method_.alpha_neg == 0.5
    sgan = get_method("rumi-sgan")
    assert sgan.alpha_neg == "auto"
    nets = Networks(G=torch.nn.Identity(), D=lambda x, y=None: {"adv": x.sum(1, keepdim=True)}, n_classes=0)
    rows = torch.zeros(2, 3)  # logits 0 everywhere: every term is its weight times log 2
    batch = Batch(z=rows, x_pos=rows, x_neg=rows, x_fake=rows)
    assert sgan.d_loss(nets, batch)["neg"].item() == pytest.approx(np.log(2))
    assert sgan.for_data(images=True).d_loss(nets, batch)["neg"].item() == pytest.approx(0.1 * np.log(2))
    with pytest.raises(ValueError, match="alpha_neg must be a number or 'auto'"):
        GANOversampler(method="rumi-sgan", method_params={"alpha_neg": "high"}, **fast).fit(X, y)


@pytest.mark.parametrize("shape, kwargs", [((20, 16, 16), {}), ((20, 16, 16, 3), {}),
                                           ((20, 256), {"image_shape": (16, 16)})])
def test_list_of_images_comes_back_as_a_list(shape, kwargs):
    """Images given as a nested list come back as one (of the input's layout), as a table's list does."""
    from minority_gen import AugmentationOversampler

    X, y = _images(shape, np.uint8), np.array([0] * 14 + [1] * 6)
    for sampler in (GANOversampler(**kwargs, **FAST), AugmentationOversampler(**kwargs, random_state=0)):
        X_res, _ = sampler.fit_resample(X.tolist(), y)
        assert isinstance(X_res, list) and isinstance(X_res[0], list) and np.asarray(X_res).shape == (28, *shape[1:])
        assert X_res[:20] == X.tolist()


@pytest.mark.parametrize("method", available_methods())
@pytest.mark.filterwarnings("ignore:.*had no candidate the discriminator")  # 2 steps: D knows no class yet
def test_every_method_on_images(method):
    X = _images((30, 28, 28, 3), np.uint8)
    y = np.array([0] * 18 + [1] * 8 + [2] * 4)
    X_res, y_res = GANOversampler(method=method, **FAST).fit_resample(X, y)
    assert X_res.shape == (54, 28, 28, 3) and X_res.dtype == np.uint8
    assert np.bincount(y_res).tolist() == [18, 18, 18]


@pytest.mark.parametrize("shape, kwargs", [((20, 16, 16), {}), ((20, 16, 16, 3), {}),
                                           ((20, 256), {"image_shape": (16, 16)})])
def test_sample_of_no_images_is_empty_in_the_inputs_layout(shape, kwargs):
    """``sample(0)`` gives an empty array of the input's layout and dtype, as a table's is ``(0, n_features)``."""
    X, y = _images(shape, np.uint8), np.array([0] * 14 + [1] * 6)
    out = GANOversampler(**kwargs, **FAST).fit(X, y).sample(0, y=1)
    assert out.shape == (0, *shape[1:]) and out.dtype == np.uint8


@pytest.mark.parametrize("sparse", ["matrix", "frame"])
def test_sparse_input_is_refused_as_images_before_training(sparse, monkeypatch):
    import pandas as pd
    import scipy.sparse as sp

    from minority_gen import AugmentationOversampler, oversampler

    X, y = _images((20, 256), np.float64), np.array([0] * 14 + [1] * 6)
    X = sp.csr_matrix(X) if sparse == "matrix" else pd.DataFrame(X).astype(pd.SparseDtype(float, 0.0))
    monkeypatch.setattr(oversampler, "fit_model", lambda *a: pytest.fail("trained"))
    fix = r"X\.toarray\(\)" if sparse == "matrix" else r"X\.sparse\.to_dense\(\)"
    for sampler in (GANOversampler(image_shape=(16, 16), **FAST), AugmentationOversampler(image_shape=(16, 16))):
        with pytest.raises(ValueError, match=rf"sparse input cannot be read as images.*dense array \({fix}\)"):
            sampler.fit_resample(X, y)
