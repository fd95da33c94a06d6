"""Issue 11, library side: divergence caught, nothing lost on failure, every check before training."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import minority_gen.plan as plan
from minority_gen import DivergenceError, GANOversampler
from minority_gen.data import TableCodec
from minority_gen.divergence import DIVERGENCE_FACTOR, divergence_limits

ADVICE = r"lr_g, lr_d\), spectral_norm=True, or recipe='paper'"


@pytest.fixture
def tiny():
    """conftest's tiny sampler with free corrections and the boundary term off (the table defaults before
    2026-12-06): a generator's raw output then is its rows' correction, as these tests set it. By default an
    anchored row's correction is shaped by its class's covariance and bounded by one neighbour distance
    (tests/test_correction.py, tests/test_boundary.py), so no output could run away far enough for the
    divergence guards tested here, which stand for every sampler without that bound."""
    from .conftest import TINY

    return dict(TINY, boundary=None, correction="free")


@pytest.fixture
def no_training(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("training started before the input was validated")

    monkeypatch.setattr(plan, "train_gan", fail)


def _last_linear(generator) -> torch.nn.Linear:
    return [m for m in generator.modules() if isinstance(m, torch.nn.Linear)][-1]


def _constant_output(generator, value: float) -> None:
    """Make a table generator output ``value`` in every column, whatever the noise."""
    last = _last_linear(generator)
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(value)


# --------------------------------------------------------------------------- 1. divergence with finite values
@pytest.mark.parametrize("method, lr", [("rumi", 10.0), ("projection", 1e6)])
def test_finite_divergence_stops_training_early_naming_method_class_and_fix(tiny, imbalanced_table, method, lr):
    label = "class 1" if method == "rumi" else "all classes"
    n_iter = 100
    with pytest.raises(DivergenceError, match=rf"'{method}' \({method} \({label}\)\) diverged at iteration") as err:
        GANOversampler(**{**tiny, "n_iter": n_iter, "method": method, "lr_g": lr, "lr_d": lr}).fit_resample(
            *imbalanced_table)
    message = str(err.value)
    assert "beyond the limit" in message and f"lr_g={lr:g}" in message
    assert int(message.split("at iteration ")[1].split(":")[0]) < n_iter  # stopped during training, not after it


def test_the_limit_is_a_thousand_times_the_training_rows_largest_magnitude_floored_at_one():
    x = np.array([[0.5, 0.0, -3.0], [-2.0, 0.0, 1.0]])
    np.testing.assert_array_equal(divergence_limits(x), DIVERGENCE_FACTOR * np.array([2.0, 1.0, 3.0]))
    assert DIVERGENCE_FACTOR == 1e3


@pytest.mark.parametrize("factor, diverged", [(0.99, False), (1.01, True)])
def test_sample_refuses_rows_beyond_the_limit_and_only_those(tiny, imbalanced_table, factor, diverged):
    sampler = GANOversampler(**tiny).fit(*imbalanced_table)
    limit = sampler.model_.limits.min()
    _constant_output(sampler.generators_[1], factor * limit)
    if diverged:
        with pytest.raises(DivergenceError, match=rf"'rumi' \(class 1\) has diverged.*no rows are returned.*{ADVICE}"):
            sampler.sample(5)
    else:  # returned, and named as far from the data
        with pytest.warns(UserWarning, match=r"100\.0% of the 5 rows generated for class 1 lie beyond"):
            rows = sampler.sample(5)
        z = sampler.codec_.encode(rows)
        assert np.all(np.abs(z) <= sampler.model_.limits)


def test_fit_resample_never_returns_diverged_rows(tiny, imbalanced_table, monkeypatch):
    """A generator that trains without incident but then generates far out: refused at generation."""
    real = plan.train_gan

    def train_then_drift(method, nets, *args, **kwargs):
        out = real(method, nets, *args, **kwargs)
        _constant_output(nets.G, 1e7)
        return out

    monkeypatch.setattr(plan, "train_gan", train_then_drift)
    with pytest.raises(DivergenceError, match=r"'rumi' \(class 1\) has diverged"):
        GANOversampler(**tiny).fit_resample(*imbalanced_table)


def test_mixed_tables_are_checked_too(tiny, monkeypatch):
    X = pd.DataFrame({"x": np.r_[np.random.default_rng(0).normal(size=40)], "c": pd.Categorical(["a", "b"] * 20)})
    y = np.array([0] * 30 + [1] * 10)
    sampler = GANOversampler(**tiny).fit(X, y)
    _last_linear(sampler.generators_[1]).bias.data[0] = 1e7  # the numeric column; the one-hot block stays bounded
    with pytest.raises(DivergenceError, match="column 0 of the encoded rows"):
        sampler.sample(3)


# --------------------------------------------------------------------------- 1b. scales and magnitudes
def test_a_tiny_scale_column_keeps_its_scale_and_a_constant_column_stays_constant(tiny):
    rng = np.random.default_rng(0)
    X = np.column_stack([1.0 + 1e-13 * rng.normal(size=72), np.full(72, 0.1), rng.normal(size=72)])
    y = np.array([0] * 60 + [1] * 12)
    codec = TableCodec().fit(X)
    np.testing.assert_allclose(codec.scale_, [X[:, 0].std(), 1.0, X[:, 2].std()], rtol=1e-4)
    X_res, _ = GANOversampler(**tiny).fit_resample(X, y)
    new = X_res[len(X):]
    assert np.all(np.abs(new[:, 0] - 1.0) < 1e-10)  # a scale of 1 would put them ~0.3 away
    assert np.all(new[:, 1] == 0.1)


@pytest.mark.parametrize("container", ["array", "frame", "sparse", "object"])
def test_values_too_large_to_standardise_are_refused_before_training(tiny, imbalanced_table, no_training, container):
    X, y = imbalanced_table
    X = X.copy()
    X[5, 2] = 1e155
    X = {"array": X, "frame": pd.DataFrame(X, columns=list("abc")), "sparse": sp.csr_matrix(X),
         "object": X.astype(object)}[container]
    with pytest.raises(ValueError, match=r"values up to 1e\+155( in columns \[2\])?, beyond what float64 can"):
        GANOversampler(**tiny).fit_resample(X, y)


def test_values_just_inside_the_magnitude_limit_come_back_finite(tiny, imbalanced_table):
    X, y = imbalanced_table
    X = X * np.array([1.0, 1.0, 1e149])
    X_res, _ = GANOversampler(**tiny).fit_resample(X, y)
    assert np.isfinite(X_res).all() and np.abs(X_res[len(X):, 2]).max() > 1e148


# --------------------------------------------------------------------------- 2. nothing lost on failure
def _fail_in_training(monkeypatch, exc):
    def fail(*args, **kwargs):
        raise exc("simulated failure during training")

    monkeypatch.setattr(plan, "train_gan", fail)


def _table(kind, imbalanced_table):
    X, y = imbalanced_table
    if kind == "mixed":
        X = pd.DataFrame(X, columns=list("abc")).assign(c=pd.Categorical(np.where(X[:, 2] > 1, "hi", "lo")))
    return X, y


@pytest.mark.parametrize("kind", ["numeric", "mixed"])
@pytest.mark.parametrize("call", ["fit", "fit_resample"])
@pytest.mark.parametrize("failure", ["divergence", "interrupt", "bad strategy"])
def test_a_failed_refit_keeps_the_previous_model(tiny, imbalanced_table, monkeypatch, kind, call, failure):
    X, y = _table(kind, imbalanced_table)
    sampler = GANOversampler(**tiny).fit(X, y)
    rows = sampler.sample(4, random_state=0)
    if failure == "divergence":
        sampler.set_params(lr_g=10.0, lr_d=10.0, n_iter=100)
        error = DivergenceError
    elif failure == "interrupt":
        _fail_in_training(monkeypatch, KeyboardInterrupt)
        error = KeyboardInterrupt
    else:
        sampler.set_params(sampling_strategy={1: 20.0})
        error = TypeError
    if failure == "bad strategy":  # and other columns: the checks that pass must not leave their mark either
        X = X.iloc[:, :2] if kind == "mixed" else X[:, :2]
    before = dict(vars(sampler))  # the parameters just set, and the fitted state
    with pytest.raises(error):
        getattr(sampler, call)(X, y)
    assert vars(sampler).keys() == before.keys()
    assert all(vars(sampler)[k] is v for k, v in before.items())
    again = sampler.sample(4, random_state=0)
    if kind == "mixed":
        pd.testing.assert_frame_equal(again, rows)
    else:
        np.testing.assert_array_equal(again, rows)


@pytest.mark.parametrize("call", ["fit", "fit_resample"])
@pytest.mark.parametrize("exc", [DivergenceError, KeyboardInterrupt])
def test_a_failed_first_fit_leaves_the_estimator_unfitted(tiny, imbalanced_table, monkeypatch, call, exc):
    _fail_in_training(monkeypatch, exc)
    sampler = GANOversampler(**tiny)
    with pytest.raises(exc):
        getattr(sampler, call)(*imbalanced_table)
    with pytest.raises(NotFittedError):
        check_is_fitted(sampler)
    assert not [k for k in vars(sampler) if k.endswith("_") or k.startswith("_")]


def test_a_successful_refit_replaces_the_model(tiny, imbalanced_table):
    X, y = imbalanced_table
    sampler = GANOversampler(**tiny).fit(pd.DataFrame(X, columns=list("abc")), y)
    old = sampler.generators_[1]
    sampler.fit(X, y)
    assert sampler.generators_[1] is not old and not hasattr(sampler, "feature_names_in_")


# --------------------------------------------------------------------------- 3. all validation before training
BAD_INPUTS = [
    ({"sampling_strategy": {1: 20.0}}, TypeError, r"strategy\[1\] must be an int.*got 20.0 \(float\)\. Write 20"),
    ({"sampling_strategy": {1: 20.5}}, TypeError, r"sampling_strategy\[1\] must be an int.*got 20.5"),
    ({"sampling_strategy": {1: np.float64(20)}}, TypeError, r"sampling_strategy\[1\] must be an int"),
    ({"sampling_strategy": {1: float("nan")}}, TypeError, r"sampling_strategy\[1\] must be an int.*got nan"),
    ({"sampling_strategy": {1: float("inf")}}, TypeError, r"got inf"),
    ({"sampling_strategy": {1: "20"}}, TypeError, r"got '20' \(str\)"),
    ({"sampling_strategy": {1: None}}, TypeError, r"got None"),
    ({"sampling_strategy": {1: True}}, TypeError, r"got True \(bool\)"),
    ({"sampling_strategy": {1: -5}}, ValueError, r"asks for -5 rows of class 1, which has 12 already.*at least 12"),
    ({"sampling_strategy": {1: 5}}, ValueError, r"asks for 5 rows of class 1, which has 12 already"),
    ({"sampling_strategy": {7: 20}}, ValueError, r"names class 7, which is not present in y; its classes are 0, 1"),
    ({"sampling_strategy": lambda y: "auto"}, TypeError, r"callable \(<lambda>\), so it must return a dict.*'auto'"),
    ({"sampling_strategy": lambda y: [1]}, TypeError, r"it returned \[1\] \(list\)"),
    ({"sampling_strategy": lambda y: None}, TypeError, r"it returned None"),
    ({"sampling_strategy": lambda y: {1: 20.0}}, TypeError, r"strategy\(y\) \(from <lambda>\)\[1\] must be an int"),
    ({"sampling_strategy": lambda y: {1: 3}}, ValueError, r"asks for 3 rows of class 1"),
    ({"sampling_strategy": 0.1}, ValueError, r"a ratio of 0.1 asks for .* give a ratio between"),
    ({"sampling_strategy": 2.0}, ValueError, r"'sampling_strategy' parameter"),
    ({"method": "rumii"}, ValueError, r"Did you mean 'rumi'"),
    ({"method_params": {"bogus": 1}}, ValueError, r"does not take"),
    ({"filter": "bogus"}, ValueError, r"criteria must name"),
    ({"hidden_dims": (8, 0)}, ValueError, r"hidden_dims"),
    ({"betas": (0.5,)}, ValueError, r"betas"),
    ({"betas": ("a", "b")}, ValueError, r"betas must be two numbers in \[0, 1\)"),
    ({"filter": "none"}, ValueError, r"filter=None"),
    ({"anchor": None, "correction": "covariance"}, ValueError, r"correction='covariance'.*anchor"),
    ({"diffaugment": "color"}, ValueError, r"augments images, but X is a table"),
    ({"image_shape": (2, 2)}, ValueError, r"image_shape"),
    ({"categorical_features": [5]}, ValueError, r"index 5"),
    ({"patience": 3}, ValueError, r"selection='quality'"),
    ({"method": "labelgan", "pac": 4}, ValueError, r"pac=4"),
    ({"device": "tpu"}, ValueError, r"device must be"),
    ({"n_jobs": 0}, ValueError, r"n_jobs"),
]


# image_shape does not apply to a DataFrame with categories: those inputs run on the numeric table only
BAD_CASES = [(kind, call, *bad) for bad in BAD_INPUTS for kind in ("numeric", "mixed")
             for call in ("fit", "fit_resample") if not (kind == "mixed" and "image_shape" in bad[0])]


@pytest.mark.parametrize("kind, call, params, error, match", BAD_CASES)
def test_every_bad_parameter_fails_before_training(tiny, imbalanced_table, no_training, kind, call, params, error,
                                                   match):
    X, y = _table(kind, imbalanced_table)
    with pytest.raises(error, match=match):
        getattr(GANOversampler(**{**tiny, **params}), call)(X, y)


@pytest.mark.parametrize("kind", ["numeric", "mixed"])
def test_a_count_beyond_the_machines_memory_is_refused_before_training(tiny, imbalanced_table, no_training, kind):
    X, y = _table(kind, imbalanced_table)
    with pytest.raises(ValueError, match=r"sampling_strategy asks for 9,999,999,999,988 new rows, about .* [TP]B of "
                                         r"memory, more than this machine has .*draw them in parts with sample"):
        GANOversampler(**{**tiny, "sampling_strategy": {1: 10 ** 13}}).fit_resample(X, y)


def test_sample_refuses_a_count_beyond_the_machines_memory_and_draws_what_fits(tiny, imbalanced_table, monkeypatch):
    sampler = GANOversampler(**tiny).fit(*imbalanced_table)
    with pytest.raises(ValueError, match=r"n_samples asks for 1,000,000,000,000 new rows"):
        sampler.sample(10 ** 12)
    # the rule is the estimate against the memory: 3 columns cost 30 * 3 + 8 * 3 = 114 bytes a row, and the filter
    # holds a batch of 16,384 draws of 30 * 3 bytes (1,474,560 bytes) however many rows are asked for
    monkeypatch.setattr("minority_gen.safeguards.memory_bytes", lambda: 114 * 1000 + 1_474_560)
    assert len(sampler.sample(1000)) == 1000
    with pytest.raises(ValueError, match="n_samples asks for 1,001 new rows, about 1.59 MB"):
        sampler.sample(1001)


def test_a_callable_strategy_is_called_once(tiny, imbalanced_table):
    calls = []

    def strategy(y):
        calls.append(len(y))
        return {1: 20}

    _, y_res = GANOversampler(**{**tiny, "sampling_strategy": strategy}).fit_resample(*imbalanced_table)
    assert calls == [72] and (y_res == 1).sum() == 20
