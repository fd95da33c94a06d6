"""AugmentationOversampler: counts, images differing from their sources, layouts,
determinism, GAN combination, and imbalanced-learn's / scikit-learn's estimator checks."""

from __future__ import annotations

from collections import Counter

import albumentations as A
import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from minority_gen import AugmentationOversampler, GANOversampler


def _data(shape=(30, 28, 28), dtype=np.uint8, n_min=6):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, shape).astype(dtype) if dtype == np.uint8 else rng.random(shape).astype(dtype)
    return X, np.array([0] * (shape[0] - n_min) + [1] * n_min)


@pytest.mark.parametrize(
    "shape, dtype",
    [((30, 28, 28), np.uint8), ((30, 32, 32, 3), np.uint8), ((30, 3, 32, 32), np.float32),
     ((30, 28, 28, 1), np.float64)],
)
def test_counts_layout_dtype_and_differences(shape, dtype):
    X, y = _data(shape, dtype)
    sampler = AugmentationOversampler(random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 24, 1: 24}
    assert X_res.shape == (48, *shape[1:]) and X_res.dtype == X.dtype
    np.testing.assert_array_equal(X_res[:30], X)
    sources = sampler.sample_indices_[30:]
    assert (y[sources] == 1).all()
    for new, src in zip(X_res[30:], sources):
        assert not np.array_equal(new, X[src])
    if dtype == np.uint8:
        assert X_res.min() >= 0 and X_res.max() <= 255
    else:
        assert X_res[30:].min() >= X.min() and X_res[30:].max() <= X.max()


def test_channels_first_images_are_augmented_as_images():
    """A left-right flip of (C, H, W) images must flip W, not mix channels."""
    X, y = _data((20, 3, 32, 32))
    flip = A.HorizontalFlip(p=1.0)
    X_res, _ = AugmentationOversampler(augmentation=flip, random_state=0).fit_resample(X, y)
    sampler = AugmentationOversampler(augmentation=flip, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    for new, src in zip(X_res[20:], sampler.sample_indices_[20:]):
        np.testing.assert_array_equal(new, X[src][:, :, ::-1])


def test_flat_rows_with_image_shape():
    X, y = _data((30, 28, 28))
    flat = X.reshape(30, -1)
    X_res, _ = AugmentationOversampler(image_shape=(28, 28), random_state=0).fit_resample(flat, y)
    assert X_res.shape == (48, 784)
    X_img, _ = AugmentationOversampler(random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X_img.reshape(48, -1))


def test_deterministic_and_does_not_touch_the_transform():
    X, y = _data()
    t = A.Compose([A.Affine(rotate=(-20, 20), p=1.0)], seed=123)
    a = AugmentationOversampler(augmentation=t, random_state=0).fit_resample(X, y)[0]
    b = AugmentationOversampler(augmentation=t, random_state=0).fit_resample(X, y)[0]
    c = AugmentationOversampler(augmentation=t, random_state=1).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert t.seed == 123


def test_combines_with_gan_output():
    X, y = _data()
    pipe = make_pipeline(
        GANOversampler(sampling_strategy=0.5, n_iter=2, batch_size=8, latent_dim=4, hidden_dims=(4,),
                       device="cpu", random_state=0),
        AugmentationOversampler(random_state=0),
    )
    X_res, y_res = pipe.fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 24, 1: 24} and X_res.shape == (48, 28, 28)


def test_bad_transform():
    X, y = _data()
    with pytest.raises(ValueError, match="augmentation"):
        AugmentationOversampler(augmentation="flip").fit_resample(X, y)


@imblearn_checks([AugmentationOversampler(random_state=0)])
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


@sklearn_checks([AugmentationOversampler(random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
