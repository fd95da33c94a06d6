"""scikit-learn's contract as a user of the wider ecosystem meets it: fitted attributes, parameter errors."""

import pytest
from sklearn.exceptions import NotFittedError

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

