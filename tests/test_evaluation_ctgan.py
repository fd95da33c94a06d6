"""CTGANSampler, the optional CTGAN baseline: a clear error without the ctgan package, balanced rows with it."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from minority_gen.evaluation.ctgan_sampler import CTGANSampler, ctgan_missing, ctgan_params, require_ctgan


@pytest.fixture
def no_ctgan(monkeypatch):
    monkeypatch.setitem(sys.modules, "ctgan", None)  # makes `import ctgan` fail as if not installed


def tiny(n_major=40, n_minor=8):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (n_major, 3)), rng.normal(2, 1, (n_minor, 3))])
    return X, np.array([0] * n_major + [1] * n_minor)


def test_without_ctgan_the_error_says_how_to_install_it(no_ctgan):
    assert "ctgan skipped" in ctgan_missing() and "pip install ctgan" in ctgan_missing()
    assert "`bench` extra" in ctgan_missing()
    assert ctgan_params() == {}
    with pytest.raises(ImportError, match=r"needs the `ctgan` package.*pip install ctgan"):
        require_ctgan()
    with pytest.raises(ImportError, match="pip install ctgan"):
        CTGANSampler(epochs=1).fit_resample(*tiny())


def test_balanced_rows_come_back_unchanged_without_ctgan(no_ctgan):
    X, y = tiny(8, 8)
    X_res, y_res = CTGANSampler().fit_resample(X, y)
    assert X_res is X and np.array_equal(y_res, y)


def test_parameters_are_ctgan_keywords_and_clone_keeps_them():
    sampler = CTGANSampler(random_state=3, discrete_columns=["a"], epochs=2)
    assert sampler.get_params() == {"random_state": 3, "discrete_columns": ["a"], "epochs": 2}
    sampler.set_params(random_state=4, batch_size=20, discrete_columns=["b"])
    assert clone(sampler).get_params() == {"random_state": 4, "discrete_columns": ["b"], "epochs": 2,
                                           "batch_size": 20}


def test_ctgan_balances_an_array():
    pytest.importorskip("ctgan")
    X, y = tiny()
    X_res, y_res = CTGANSampler(epochs=2, batch_size=20, pac=5).fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [40, 40] and X_res.shape == (80, 3)
    assert np.isfinite(X_res).all() and np.array_equal(X_res[:48], X)


def test_ctgan_balances_a_dataframe_with_discrete_columns():
    pytest.importorskip("ctgan")
    X, y = tiny()
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(kind=np.where(y == 1, "p", "q"))
    X_res, y_res = CTGANSampler(discrete_columns=["kind"], epochs=2, batch_size=20, pac=5).fit_resample(frame, y)
    assert list(X_res.columns) == ["a", "b", "c", "kind"] and (X_res.dtypes == frame.dtypes).all()
    assert len(X_res) == 80 and set(X_res["kind"][48:]) <= {"p", "q"}
    pd.testing.assert_frame_equal(X_res.iloc[:48], frame)
