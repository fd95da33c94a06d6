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
