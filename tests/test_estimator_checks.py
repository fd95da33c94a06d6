"""imbalanced-learn's and scikit-learn's estimator checks, for every registered method."""

import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from minority_gen import GANOversampler, available_methods

from .conftest import TINY

ESTIMATORS = [GANOversampler(method=name, **TINY) for name in available_methods()]


# Label-free methods (labelgan) warn when tiny untrained networks cannot place a
# class; that warning is tested in test_methods_conditional.py.
quiet = pytest.mark.filterwarnings("ignore:.*had no candidate the discriminator assigns")


@quiet
@imblearn_checks(ESTIMATORS)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


@quiet
@sklearn_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
