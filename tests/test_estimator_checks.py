"""imbalanced-learn's and scikit-learn's estimator checks, for every registered method."""

from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from minority_gen import GANOversampler, available_methods

from .conftest import TINY

ESTIMATORS = [GANOversampler(method=name, **TINY) for name in available_methods()]


@imblearn_checks(ESTIMATORS)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


@sklearn_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
