"""CTGAN (the ``ctgan`` package) as an oversampler: the baseline the benchmarks set beside the GAN methods.

``ctgan`` is optional and never imported before a fit: ``pip install ctgan``, or this project's ``bench``
extra (``pip install "minority-gen[bench]"``). Its dependency ``rdt`` needs ``pandas<3``, so it may have to
live in another environment or a folder put on ``PYTHONPATH``. :func:`ctgan_missing` says whether it imports
here, and why not.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

INSTALL_HINT = "install it with `pip install ctgan` (or this project's `bench` extra) to include it"


def ctgan_missing() -> str | None:
    """``None`` when the ``ctgan`` package imports, else why the ctgan sampler is skipped and how to install it.

    Examples
    --------
    >>> message = ctgan_missing()
    >>> message is None or "pip install ctgan" in message
    True
    """
    try:
        importlib.import_module("ctgan")
    except ImportError as err:
        return f"ctgan skipped: the `ctgan` package is not installed ({err}); {INSTALL_HINT}"
    return None


def require_ctgan():
    """The ``ctgan.CTGAN`` class; ``ImportError`` saying how to install ctgan when it does not import."""
    try:
        from ctgan import CTGAN
    except ImportError as err:
        raise ImportError(f"CTGANSampler needs the `ctgan` package, which does not import ({err}); "
                          f"{INSTALL_HINT}.") from err
    return CTGAN


def ctgan_params() -> dict:
    """Every keyword of ``CTGAN`` at its default but ``verbose=False`` and on the CPU (``enable_gpu=False``, in
    older versions ``cuda=False``); empty without ctgan.

    >>> params = ctgan_params()
    >>> params == {} or params["verbose"] is False
    True
    """
    try:
        from ctgan import CTGAN
    except ImportError:
        return {}
    params = inspect.signature(CTGAN.__init__).parameters
    defaults = {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}
    return {**defaults, "verbose": False, ("enable_gpu" if "enable_gpu" in params else "cuda"): False}


class CTGANSampler(BaseEstimator):
    """CTGAN fitted on the minority rows, sampled until the two classes are equal (original rows first).

    Parameters
    ----------
    random_state : int, default=0
        Passed to ``CTGAN.set_random_state``.
    discrete_columns : sequence of str, default=()
        The columns of a DataFrame that CTGAN treats as discrete (``CTGAN.fit``'s ``discrete_columns``).
    **ctgan_params
        ``CTGAN`` keywords; those not given are :func:`ctgan_params`' (defaults, ``verbose=False``, CPU).

    A DataFrame comes back a DataFrame (the synthetic rows cast to its column types), an array an array of
    floats. CTGAN refuses missing values in continuous columns: fill them first.

    Examples
    --------
    >>> sampler = CTGANSampler(random_state=1, epochs=10)
    >>> sampler.get_params()
    {'random_state': 1, 'discrete_columns': (), 'epochs': 10}
    """

    DESCRIPTION = "CTGAN(verbose=False) on the CPU, on the minority rows (the ctgan package)"

    def __init__(self, random_state=0, discrete_columns=(), **ctgan_params):
        self.random_state = random_state
        self.discrete_columns = discrete_columns
        self.ctgan_params = ctgan_params

    def get_params(self, deep=True):
        return {"random_state": self.random_state, "discrete_columns": self.discrete_columns, **self.ctgan_params}

    def set_params(self, **params):
        self.random_state = params.pop("random_state", self.random_state)
        self.discrete_columns = params.pop("discrete_columns", self.discrete_columns)
        self.ctgan_params = {**self.ctgan_params, **params}
        return self

    def fit(self, X, y):
        """Fit ``model_`` (a ``CTGAN``) on the rows of the smallest class; ``n_needed_`` rows balance ``y``."""
        CTGAN = require_ctgan()
        labels, counts = np.unique(y, return_counts=True)
        self.minority_, self.n_needed_ = labels[np.argmin(counts)], int(counts.max() - counts.min())
        frame = isinstance(X, pd.DataFrame)
        rows = (X[np.asarray(y) == self.minority_].reset_index(drop=True) if frame else
                pd.DataFrame(np.asarray(X)[np.asarray(y) == self.minority_],
                             columns=[f"x{j}" for j in range(np.shape(X)[1])]))
        self.model_ = CTGAN(**{**ctgan_params(), **self.ctgan_params})
        self.model_.set_random_state(self.random_state)
        self.model_.fit(rows, discrete_columns=list(self.discrete_columns))
        return self

    def fit_resample(self, X, y):
        y = np.asarray(y)
        counts = np.unique(y, return_counts=True)[1]
        if counts.max() == counts.min():  # balanced already: nothing to learn
            return X, y
        self.fit(X, y)
        new = self.model_.sample(self.n_needed_)
        y_new = np.concatenate([y, np.full(self.n_needed_, self.minority_, dtype=y.dtype)])
        if isinstance(X, pd.DataFrame):
            return pd.concat([X, new[list(X.columns)].astype(X.dtypes.to_dict())], ignore_index=True), y_new
        return np.vstack([X, new.to_numpy(dtype=float)]), y_new
