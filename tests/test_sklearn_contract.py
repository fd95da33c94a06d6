"""scikit-learn's contract as a user of the wider ecosystem meets it: fitted attributes, parameter errors."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from minority_gen import GANOversampler

FITTED_PROPERTIES = ["method_", "generators_", "discriminators_", "filters_", "codec_", "latent_dim_", "far_rows_"]


@pytest.mark.parametrize("name", FITTED_PROPERTIES)
def test_a_fitted_attribute_before_fitting_says_not_fitted(name):
    sampler = GANOversampler()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(sampler, name)
    assert not hasattr(sampler, name)  # NotFittedError is an AttributeError: hasattr still answers False


def test_fitted_attributes_after_fitting(tiny, imbalanced_table):
    sampler = GANOversampler(**tiny).fit(*imbalanced_table)
    assert list(sampler.generators_) == [1] and sampler.latent_dim_ == tiny["latent_dim"]
    assert all(hasattr(sampler, name) for name in FITTED_PROPERTIES)


def test_a_numpy_generator_as_random_state_is_refused_with_the_fix(tiny, imbalanced_table):
    sampler = GANOversampler(**{**tiny, "random_state": np.random.default_rng(0)})
    with pytest.raises(InvalidParameterError, match=r"random_state=int\(g.integers\(2\*\*32\)\)"):
        sampler.fit_resample(*imbalanced_table)
    with pytest.raises(InvalidParameterError, match="Generator"):
        sampler.fit(*imbalanced_table)
    assert not hasattr(sampler, "model_")
    # the fix it names works, and other bad values keep scikit-learn's own message
    sampler.set_params(random_state=int(np.random.default_rng(0).integers(2**32))).fit(*imbalanced_table)
    with pytest.raises(InvalidParameterError, match="The 'random_state' parameter of GANOversampler must be"):
        GANOversampler(**{**tiny, "random_state": -1}).fit(*imbalanced_table)


def test_sample_takes_a_class_written_as_text_as_sampling_strategy_does(tiny, imbalanced_table):
    sampler = GANOversampler(**{**tiny, "sampling_strategy": {"1": 30}}).fit(*imbalanced_table)
    np.testing.assert_array_equal(sampler.sample(5, y="1", random_state=0), sampler.sample(5, y=1, random_state=0))
    with pytest.raises(ValueError, match=r"No generator was fitted for class '0'; fitted classes: 1\."):
        sampler.sample(2, y="0")  # a class, but not one grown
    X, y = imbalanced_table
    text = GANOversampler(**tiny).fit(X, np.where(y == 1, "1", "0"))  # text labels stay text
    assert text.sample(2, y="1").shape == (2, 3)
    with pytest.raises(ValueError, match="No generator was fitted for class 1; fitted classes: '1'"):
        text.sample(2, y=1)
