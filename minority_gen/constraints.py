"""Parameter constraints shared by the package's estimators (scikit-learn's ``_parameter_constraints``)."""

from __future__ import annotations

from numbers import Integral  # noqa: F401 - the doctest's

import numpy as np
from sklearn.utils._param_validation import Interval


class NumberIn(Interval):
    """scikit-learn's parameter ``Interval`` without ``True`` and ``False``: ``n_iter=True`` is a slip, not 1.

    >>> NumberIn(Integral, 1, None, closed="left").is_satisfied_by(True), NumberIn(Integral, 1, None,
    ...     closed="left").is_satisfied_by(3)
    (False, True)
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)
