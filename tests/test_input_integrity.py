"""Inputs that used to give silently wrong rows or unreadable errors: each now gives correct rows or one clear line.

* integer-valued float columns with missing cells (what pandas makes of an
  integer column with gaps) are generated as integers in their range;
* int64 / uint64 values that float64 rounds out of their type's range are
  refused, naming the column and the limit, instead of wrapping to -2**63;
* categories a model file cannot hold, sparse DataFrames scipy cannot read,
  missing or mixed-type labels, ill-typed method options, absurd counts and
  infinite values are refused before training with a line naming the problem;
* options that would be ignored (``sample_weight``, ``continuous="modes"`` on
  numeric arrays, ``categorical_features`` on images or sparse input) are refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import minority_gen.oversampler as oversampler_module
from minority_gen import GANOversampler
from minority_gen.columns import INTEGER, detect_columns
from minority_gen.data import check_table_input
from minority_gen.methods import ACGAN, LSGAN, RumiLSGAN
from minority_gen.tabular import MixedTableCodec

from .conftest import TINY

N, N_MIN = 60, 15


def labels():
    return np.r_[np.zeros(N - N_MIN, int), np.ones(N_MIN, int)]


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if a fit gets as far as training."""
    def refuse(*args, **kwargs):
        pytest.fail("training started before the input was refused")

    monkeypatch.setattr(oversampler_module, "fit_model", refuse)


def refused(X, y=None, error=(ValueError, TypeError), match=None, fit_params=None, **params) -> str:
    """The one-line message of the error ``fit_resample`` raises for this input."""
    with pytest.raises(error, match=match) as err:
        GANOversampler(**{**TINY, **params}).fit_resample(X, labels() if y is None else y, **(fit_params or {}))
    message = str(err.value)
    assert "\n" not in message.strip(), message
    return message


def ages(seed=0, missing=True) -> np.ndarray:
    """Integer ages 18..79 as pandas reads them from a CSV with empty cells: float64 with NaN."""
    rng = np.random.default_rng(seed)
    a = rng.integers(18, 80, N).astype(np.float64)
    if missing:
        a[rng.random(N) < 0.15] = np.nan
    return a


# ---------------------------------------------------------------------------
# 7: integer-valued float columns with missing cells
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("container", ["frame", "array"])
def test_integer_valued_float_column_with_gaps_is_generated_as_integers(container):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"age": ages(), "x": rng.normal(size=N)})
    X = frame if container == "frame" else frame.to_numpy()
    X_res, _ = GANOversampler(**TINY).fit_resample(X, labels())
    new = (X_res["age"] if container == "frame" else pd.Series(X_res[:, 0])).iloc[N:].dropna()
    observed = frame["age"].dropna()
    assert len(new) > 0
    assert (new == np.round(new)).all(), new[new != np.round(new)].head().tolist()
    assert new.between(observed.min(), observed.max()).all()
    if container == "frame":
        assert X_res.dtypes.equals(frame.dtypes)  # still float64: the container's dtype is kept
        pd.testing.assert_frame_equal(X_res.iloc[:N], frame)
        assert X_res["age"].iloc[N:].isna().any() or frame["age"].isna().mean() < 0.05  # gaps still generated


def test_only_float_columns_with_gaps_become_integers():
    """Without missing cells a float column keeps today's encoding (pinned outputs depend on it)."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"gaps": ages(), "full": ages(missing=False), "half": ages() + 0.5,
                          "x": rng.normal(size=N)})
    kinds = {c.name: c.kind for c in detect_columns(frame)}
    assert kinds == {"gaps": INTEGER, "full": "continuous", "half": "continuous", "x": "continuous"}
    codec = MixedTableCodec().fit(frame)
    assert codec.numeric_.integer_.tolist() == [True, False, False, False]


# ---------------------------------------------------------------------------
# 8: integers that float64 rounds out of their type
# ---------------------------------------------------------------------------
BIG = 2 ** 63 - 1


@pytest.mark.parametrize("container", ["array", "frame", "Int64", "uint64"])
def test_int64_values_near_the_limit_are_refused(no_training, container):
    rng = np.random.default_rng(3)
    top = np.array([BIG, BIG - 1, BIG - 5, BIG - 100], dtype=np.uint64 if container == "uint64" else np.int64)
    if container == "uint64":
        top = top * np.uint64(2)
    big = np.resize(top, N)
    small = rng.integers(0, 5, N)
    if container in ("array", "uint64"):
        X, where = np.column_stack([big, small.astype(big.dtype)]), "column 0"
    else:
        col = pd.array(big, dtype="Int64") if container == "Int64" else big
        X, where = pd.DataFrame({"id": col, "n": small}), "column 'id'"
    message = refused(X, error=ValueError)
    limit = "18446744073709550591" if container == "uint64" else "9223372036854775295"
    assert where in message and limit in message and "float64" in message, message


def test_the_integer_limit_is_the_last_value_float64_keeps_in_range():
    check_table_input(np.array([[2 ** 63 - 513], [0]], dtype=np.int64))
    check_table_input(np.array([[-(2 ** 63)], [0]], dtype=np.int64))  # -2**63 is exact in float64
    check_table_input(np.array([[2 ** 31 - 1], [0]], dtype=np.int32))
    with pytest.raises(ValueError, match="column 0"):
        check_table_input(np.array([[2 ** 63 - 512], [0]], dtype=np.int64))


# ---------------------------------------------------------------------------
# 12: clear errors before training
# ---------------------------------------------------------------------------
def _categories(kind: str, rng) -> pd.Categorical:
    values = {"interval": pd.interval_range(0, 3), "period": pd.period_range("2020", periods=3, freq="Y"),
              "timestamp": pd.date_range("2020-01-01", periods=3)}[kind]
    return pd.Categorical(values.take(rng.integers(0, 3, N)))


@pytest.mark.parametrize("kind", ["interval", "period", "timestamp"])
def test_categories_a_model_file_cannot_hold_are_refused_before_training(no_training, kind):
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"when": _categories(kind, rng), "x": rng.normal(size=N)})
    message = refused(X, error=TypeError)
    assert "column 'when'" in message and "astype(str)" in message, message


def _sparse(values, **kw):
    return pd.arrays.SparseArray(values, **kw)


@pytest.mark.parametrize("case", ["nan_fill", "fill_one", "bool"])
def test_sparse_frames_scipy_cannot_read_are_refused(no_training, case):
    rng = np.random.default_rng(5)
    a = {"nan_fill": _sparse(rng.normal(size=N)), "fill_one": _sparse(rng.integers(0, 3, N), fill_value=1),
         "bool": _sparse(rng.random(N) < 0.3)}[case]
    X = pd.DataFrame({"a": a, "b": _sparse(rng.normal(size=N), fill_value=0.0)})
    message = refused(X, error=ValueError)
    assert "sparse" in message and "'a'" in message and "to_dense()" in message, message


@pytest.mark.parametrize("container", ["array", "frame"])
@pytest.mark.parametrize("case", ["nan", "None", "pd.NA", "string NA", "category nan"])
def test_missing_labels_are_refused(no_training, container, case):
    rng = np.random.default_rng(6)
    names = np.where(labels() == 1, "sick", "well").astype(object)
    y = {"nan": labels().astype(float), "None": names.copy(), "pd.NA": pd.Series(labels(), dtype="Int64"),
         "string NA": pd.Series(names, dtype="string"), "category nan": pd.Series(pd.Categorical(names))}[case]
    y[7] = {"None": None, "pd.NA": pd.NA, "string NA": pd.NA}.get(case, np.nan)
    X = rng.normal(size=(N, 3))
    message = refused(X if container == "array" else pd.DataFrame(X), y, error=ValueError)
    assert message.startswith("y has 1 missing label") and "7" in message, message


@pytest.mark.parametrize("container", ["array", "frame"])
def test_labels_of_mixed_types_are_refused(no_training, container):
    X = np.random.default_rng(7).normal(size=(N, 3))
    y = labels().astype(object)
    y[y == 1] = "sick"
    message = refused(X if container == "array" else pd.DataFrame(X), y, error=TypeError)
    assert "y mixes label types" in message and "int" in message and "str" in message, message


def test_ill_typed_method_options_are_named(no_training, imbalanced_table):
    message = refused(*imbalanced_table, error=TypeError, method_params={"b_pos": "x"})
    assert "method_params['b_pos']" in message and "'x'" in message, message


@pytest.mark.parametrize(("method", "where"), [
    (lambda: RumiLSGAN(c="2"), "RumiLSGAN(c=...) must be a number"),
    (lambda: RumiLSGAN(b_pos="3"), "RumiLSGAN(b_pos=...) must be a number"),  # before validate() compares it
    (lambda: LSGAN(c=None), "LSGAN(c=...) must be a number"),
    (lambda: ACGAN(cls_on_fake=1), "ACGAN(cls_on_fake=...) must be True or False"),
])
def test_ill_typed_options_of_a_method_object_are_named(no_training, imbalanced_table, method, where):
    """A method object's options get the checks method_params gets, before any training."""
    message = refused(*imbalanced_table, error=TypeError, method=method())
    assert where in message, message


@pytest.mark.parametrize(("method", "options"), [
    ("rumi", {"c": float("nan")}), ("rumi", {"beta_neg": float("nan")}), ("lsgan", {"a": float("nan")}),
    ("acgan", {"lambda_cls": float("inf")}), ("uacgan", {"lambda_mi": -float("inf")}),
])
def test_options_that_are_not_finite_are_refused(no_training, imbalanced_table, method, options):
    """NaN or infinity would diverge at the first iteration with advice about learning rates."""
    name = next(iter(options))
    message = refused(*imbalanced_table, error=ValueError, method=method, method_params=options)
    assert f"method_params[{name!r}] must be a finite number" in message, message


def test_infinity_where_a_method_gives_it_a_meaning(imbalanced_table):
    """CA-GAN's mix_rate=inf mixes mix_max from the start; numpy booleans count as booleans."""
    X, y = imbalanced_table
    GANOversampler(**TINY, method="cagan", method_params={"mix_rate": float("inf")}).fit(X, y)
    GANOversampler(**TINY, method="acgan", method_params={"cls_on_fake": np.False_}).fit(X, y)
    GANOversampler(**TINY, method="projection", method_params={"spectral_norm": np.False_}).fit(X, y)


def test_counts_beyond_any_memory_are_refused_before_numpy_overflows(no_training, imbalanced_table):
    message = refused(*imbalanced_table, error=ValueError, sampling_strategy={1: 2 ** 70})
    assert "sampling_strategy[1]" in message, message


def test_inf_is_reported_as_inf(no_training):
    X = np.random.default_rng(8).normal(size=(N, 16 * 16)).astype(np.float32)
    X[3, 5] = np.inf
    message = refused(X, error=ValueError, image_shape=(16, 16))
    assert message.startswith("X contains inf in 1 cell") and "NaN" not in message.split(";")[0], message


# ---------------------------------------------------------------------------
# 13: options that would be ignored
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("container", ["array", "frame"])
def test_sample_weight_is_refused(no_training, container, imbalanced_table):
    X, y = imbalanced_table
    message = refused(X if container == "array" else pd.DataFrame(X), y, error=TypeError,
                      fit_params={"sample_weight": np.ones(len(y))})
    assert "sample_weight" in message, message


def test_modes_on_a_numeric_array_is_refused(no_training, imbalanced_table):
    message = refused(*imbalanced_table, error=ValueError, continuous="modes")
    assert "continuous='modes'" in message and "pd.DataFrame(X)" in message, message


@pytest.mark.parametrize("layout", ["3-D", "image_shape"])
def test_categorical_features_on_images_is_refused(no_training, layout):
    X = np.random.default_rng(9).integers(0, 256, (N, 16, 16)).astype(np.uint8)
    params = {"image_shape": (16, 16)} if layout == "image_shape" else {}
    message = refused(X.reshape(N, -1) if params else X, error=ValueError, categorical_features=[0], **params)
    assert "categorical_features" in message and "images" in message, message


def test_categorical_features_on_sparse_input_is_refused(no_training, imbalanced_table):
    X, y = imbalanced_table
    message = refused(sp.csr_matrix(X), y, error=ValueError, categorical_features=[0])
    assert "categorical_features" in message and "sparse" in message, message
