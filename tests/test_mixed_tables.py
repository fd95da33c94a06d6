"""Mixed-type tables (issue 9): categorical, boolean, integer, nullable columns and missing values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

import minority_gen.plan as plan_module
from minority_gen import GANOversampler, available_methods
from minority_gen.columns import detect_columns
from minority_gen.nets import MLPGenerator
from minority_gen.tabular import MixedTableCodec


def mixed_frame(n=120, seed=0):
    """Every column kind and dtype the codec must keep, with missing cells where the dtype allows them."""
    rng = np.random.default_rng(seed)
    maybe = rng.random(n) < 0.2
    return pd.DataFrame({
        "x": rng.normal(size=n),
        "x32": rng.normal(size=n).astype(np.float32),
        "count": rng.integers(-3, 12, n),
        "u8": rng.integers(5, 9, n).astype(np.uint8),
        "flag": rng.random(n) < 0.6,
        "cat": pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c", "unused"]),
        "ordered": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "hi"], ordered=True),
        "text": pd.Series(rng.choice(["u", "v", "w"], n), dtype="string"),
        "obj": pd.Series(np.where(maybe, None, rng.choice(["p", "q"], n)), dtype=object),
        "Int": pd.array(np.where(maybe, None, rng.integers(0, 5, n)).tolist(), dtype="Int64"),
        "Bool": pd.array(np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.5).tolist(), dtype="boolean"),
        "Float": pd.array(np.where(maybe, None, rng.normal(size=n)).tolist(), dtype="Float64"),
        "gap": np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n)),
        "seven": np.full(n, 7),
        "const": np.full(n, 2.5),
    })


def labels(n=120, n_min=30):
    return np.r_[np.zeros(n - n_min, int), np.ones(n_min, int)]


def assert_valid_rows(new: pd.DataFrame, real: pd.DataFrame):
    """Generated rows a user could not tell apart from real ones by their type or values."""
    assert list(new.columns) == list(real.columns)
    assert new.dtypes.equals(real.dtypes)
    for col in real:
        r, g = real[col], new[col]
        if isinstance(r.dtype, pd.CategoricalDtype) or r.dtype in (object, "string", "boolean", bool):
            assert set(g.dropna().unique()) <= set(r.dropna().unique()) | set(getattr(r.dtype, "categories", [])), col
        else:
            v, lo, hi = g.dropna().astype(float), float(r.min()), float(r.max())
            if pd.api.types.is_integer_dtype(r.dtype):
                assert (v == np.round(v)).all() and v.between(lo, hi).all(), col
            if r.nunique() == 1:
                assert (v == lo).all(), col
        if not r.isna().any():
            assert not g.isna().any(), col


def test_fit_resample_keeps_dtypes_order_names_and_counts(tiny):
    X, y = mixed_frame(), labels()
    X_res, y_res = GANOversampler(**tiny).fit_resample(X, pd.Series(y, name="target"))
    assert len(X_res) == len(y_res) == 2 * (y == 0).sum()
    assert isinstance(y_res, pd.Series) and y_res.name == "target"
    assert X_res.iloc[: len(X)].equals(X)  # the original rows, untouched
    assert X_res.dtypes.equals(X.dtypes)
    assert_valid_rows(X_res.iloc[len(X):], X)
    assert X_res["cat"].cat.categories.tolist() == ["a", "b", "c", "unused"]
    assert X_res["ordered"].cat.ordered


def test_sample_returns_the_input_types(tiny):
    X, y = mixed_frame(), labels()
    new = GANOversampler(**tiny).fit(X, y).sample(50, random_state=0)
    assert isinstance(new, pd.DataFrame) and len(new) == 50
    assert_valid_rows(new, X)
    assert new["obj"].isna().sum() == 0 or new["obj"][new["obj"].isna()].map(lambda v: v is None).all()


def test_same_seed_same_rows(tiny):
    X, y = mixed_frame(), labels()
    a = GANOversampler(**tiny).fit_resample(X, y)[0]
    b = GANOversampler(**tiny).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(a, b)


def test_codec_round_trip_is_exact_for_discrete_columns():
    X = mixed_frame()
    codec = MixedTableCodec().fit(X)
    back = codec.decode(codec.encode(X))
    assert back.dtypes.equals(X.dtypes)
    for col in ["count", "u8", "flag", "cat", "ordered", "text", "obj", "Int", "Bool", "seven", "const"]:
        pd.testing.assert_series_equal(back[col], X[col], check_names=True)
    for col in ["x", "gap", "Float"]:  # float32 precision inside the networks
        assert back[col].isna().equals(X[col].isna())
        np.testing.assert_allclose(back[col].astype(float), X[col].astype(float), rtol=1e-5, atol=1e-6)


def test_column_kinds_and_blocks():
    cols = {c.name: c for c in detect_columns(mixed_frame())}
    assert {n: c.kind for n, c in cols.items() if n in ("x", "count", "flag", "cat", "text", "obj", "Int", "Bool")} == {
        "x": "continuous", "count": "integer", "flag": "boolean", "cat": "categorical", "text": "categorical",
        "obj": "categorical", "Int": "integer", "Bool": "boolean"}
    assert cols["gap"].missing and not cols["x"].missing
    codec = MixedTableCodec().fit(mixed_frame())
    widths = [e - s for s, e in codec.blocks_]
    # flag 2, cat 3 (its unused category gets no output), ordered 2, text 3, obj 2+missing, Int missing 2,
    # Bool 2+missing, Float missing 2, gap missing 2
    assert widths == [2, 3, 2, 3, 3, 2, 3, 2, 2]


def test_an_unused_category_is_never_generated_and_the_dtype_keeps_it():
    """Found by tests/test_fuzz.py: the unused category had an output and was generated."""
    rng = np.random.default_rng(0)
    dtype = pd.CategoricalDtype(["a", "b", "c", "d"])
    X = pd.DataFrame({"f": pd.Series(rng.choice(["a", "c"], 40), dtype=dtype), "x": rng.normal(0, 1, 40)})
    y = np.r_[np.zeros(30, int), np.ones(10, int)]
    new = GANOversampler(n_iter=2, hidden_dims=(4,), device="cpu", random_state=0).fit(X, y).sample(500, random_state=0)
    assert new["f"].dtype == dtype
    assert set(new["f"]) == {"a", "c"}


def test_missing_rates_and_category_frequencies_are_learned():
    rng = np.random.default_rng(0)

    def part(n, p_cat, p_flag, p_miss, mu):
        return pd.DataFrame({
            "x": rng.normal(mu, 1, n),
            "cat": pd.Categorical(rng.choice(["a", "b", "c"], n, p=p_cat), categories=["a", "b", "c"]),
            "flag": rng.random(n) < p_flag,
            "lab": np.where(rng.random(n) < p_miss, np.nan, rng.normal(mu, 1, n)),
        })

    X = pd.concat([part(300, [0.1, 0.3, 0.6], 0.2, 0.05, -1.0), part(150, [0.6, 0.3, 0.1], 0.7, 0.3, 1.0)],
                  ignore_index=True)
    y = np.r_[np.zeros(300, int), np.ones(150, int)]
    s = GANOversampler(n_iter=300, hidden_dims=(32, 32), latent_dim=8, batch_size=64, device="cpu", random_state=0)
    new = s.fit(X, y).sample(2000, random_state=0)
    real = X[y == 1]
    freq = new["cat"].value_counts(normalize=True)
    assert freq["a"] > freq["b"] > freq["c"]  # the minority's order, the reverse of the majority's
    assert np.abs(freq.reindex(["a", "b", "c"]).to_numpy() - [0.6, 0.3, 0.1]).max() < 0.15
    assert abs(new["flag"].mean() - real["flag"].mean()) < 0.15
    assert abs(new["lab"].isna().mean() - real["lab"].isna().mean()) < 0.1  # ~0.3, not the majority's 0.05
    assert new["lab"].notna().any()


def test_arrays_with_categorical_features_and_missing_values(tiny):
    rng = np.random.default_rng(1)
    X = np.c_[rng.normal(size=(60, 2)), rng.integers(0, 3, 60)].astype(float)
    X[rng.random(60) < 0.2, 0] = np.nan
    y = labels(60, 15)
    X_res, y_res = GANOversampler(categorical_features=[2], **tiny).fit_resample(X, y)
    assert X_res.dtype == np.float64 and len(X_res) == len(y_res) == 90
    new = X_res[60:]
    assert set(np.unique(new[:, 2])) <= {0.0, 1.0, 2.0}
    assert np.isfinite(new[:, 1:]).all()
    # a boolean mask names the same column
    same = GANOversampler(categorical_features=[False, False, True], **tiny).fit_resample(X, y)[0]
    np.testing.assert_array_equal(same, X_res)


def test_object_arrays_with_strings(tiny):
    rng = np.random.default_rng(2)
    X = np.empty((50, 2), dtype=object)
    X[:, 0] = rng.normal(size=50).tolist()
    X[:, 1] = rng.choice(["yes", "no"], 50).tolist()
    X[3, 1] = None
    X_res, _ = GANOversampler(**tiny).fit_resample(X, labels(50, 10))
    assert X_res.dtype == object and X_res.shape == (80, 2)
    assert set(X_res[50:, 1]) <= {"yes", "no", None}
    assert all(isinstance(v, float) for v in X_res[50:, 0])


@pytest.mark.filterwarnings("ignore:.*had no candidate")  # labelgan's rejection step with 3 iterations
@pytest.mark.parametrize("method", available_methods())
def test_every_method_generates_valid_mixed_rows(tiny, method):
    X, y = mixed_frame(90), np.r_[np.zeros(50, int), np.ones(25, int), np.full(15, 2)]
    params = {"amgan": {"labelling": "predefined"}}.get(method)
    X_res, y_res = GANOversampler(method=method, method_params=params, **tiny).fit_resample(X, y)
    assert len(X_res) == 150 and np.bincount(y_res).tolist() == [50, 50, 50]
    assert_valid_rows(X_res.iloc[90:], X)


# -- the generator's categorical outputs ----------------------------------------
def test_gumbel_blocks_are_distributions_drawn_from_z():
    g = MLPGenerator(latent_dim=3, out_features=5, hidden_dims=(8,), blocks=((1, 4),))
    assert g.noise_dim == 6
    z = torch.randn(200, 6, generator=torch.Generator().manual_seed(0))
    out = g(z)
    torch.testing.assert_close(out[:, 1:4].sum(1), torch.ones(200))
    assert (out[:, 1:4] >= 0).all()
    torch.testing.assert_close(g(z), out)  # all randomness is in z
    z2 = z.clone()
    z2[:, 3:] = torch.randn(200, 3, generator=torch.Generator().manual_seed(1))
    assert not torch.equal(g(z2)[:, 1:4], out[:, 1:4])  # the extra entries are the Gumbel noise
    torch.testing.assert_close(g(z2)[:, [0, 4]], out[:, [0, 4]])  # and touch only the block


def test_gumbel_argmax_draws_levels_with_the_softmax_probabilities():
    g = MLPGenerator(latent_dim=2, out_features=3, hidden_dims=(4,), blocks=((0, 3),))
    p = torch.tensor([0.6, 0.3, 0.1])
    with torch.no_grad():
        g.net[-1].weight.zero_()
        g.net[-1].bias.copy_(p.log())
    z = torch.randn(20000, g.noise_dim, generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(g(z).argmax(1), minlength=3) / 20000
    torch.testing.assert_close(freq, p, atol=0.015, rtol=0)


# -- bad input: a clear error naming the column, before any training ----------------
@pytest.fixture
def no_training(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("training started before the input was validated")
    monkeypatch.setattr(plan_module, "train_gan", fail)


@pytest.mark.parametrize("make, error, match", [
    (lambda X: X.assign(empty=np.nan), ValueError, r"column 'empty' is entirely missing; drop it"),
    (lambda X: X.assign(x=X["x"].where(X.index != 3, np.inf)), ValueError, r"column 'x' holds infinite values"),
    (lambda X: X.assign(mixed=[1, "a"] * (len(X) // 2)), TypeError,
     r"column 'mixed' mixes Python types.*astype\(str\)"),
    (lambda X: X.set_axis(["x", "x", *X.columns[2:]], axis=1), ValueError, r"duplicate column names \['x'\]"),
    (lambda X: X.assign(when=pd.date_range("2020-01-01", periods=len(X))), TypeError, r"column 'when' holds dates"),
    (lambda X: X.assign(huge=1e200), ValueError, r"column 'huge' holds values up to 1e\+200.*rescale"),
])
def test_bad_tables_are_refused_before_training(tiny, no_training, make, error, match):
    X = make(mixed_frame())
    with pytest.raises(error, match=match):
        GANOversampler(**tiny).fit_resample(X, labels())


@pytest.mark.parametrize("value, match", [
    ([7], r"index 7, but X has 3 columns"),
    (["b"], r"names 'b', which is not a column of X \(X is an array"),
    ([True, False], r"boolean mask of length 2, but X has 3 columns"),
    ("b", r"'categorical_features' parameter of GANOversampler must be"),
])
def test_bad_categorical_features(tiny, no_training, imbalanced_table, value, match):
    with pytest.raises((ValueError, TypeError), match=match):
        GANOversampler(categorical_features=value, **tiny).fit_resample(*imbalanced_table)


def test_many_levels_warn_and_say_what_is_done(tiny):
    X = pd.DataFrame({"x": np.arange(1100.0), "id": [f"p{i}" for i in range(1100)]})
    with pytest.warns(UserWarning, match=r"'id' has 1100 levels: it is encoded as 1100 one-hot outputs"):
        detect_columns(X)


# -- mode-specific normalisation (continuous="modes") ------------------------------------
def bimodal(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(n) < 0.5, rng.normal(-5, 0.5, n), rng.normal(5, 1, n))
    return pd.DataFrame({"x": x, "c": rng.choice(["a", "b"], n)})


def test_mode_normaliser_finds_the_modes_and_round_trips():
    from minority_gen.tabular import ModeNormaliser

    x = bimodal()["x"].to_numpy()
    m = ModeNormaliser().fit(x)
    assert m.n_modes == 2 and sorted(np.round(m.means_)) == [-5, 5]
    alpha, mode = m.encode(x)
    assert (np.abs(alpha) < 1).all() and set(mode) == {0, 1}
    np.testing.assert_allclose(m.decode(alpha, mode), x, atol=1e-9)
    assert (m.means_[mode] * x > 0).all()  # each value encoded by its own mode


def test_codec_with_modes_adds_a_block_of_modes_per_continuous_column():
    X = bimodal().assign(n=np.random.default_rng(1).integers(0, 100, 400))
    codec = MixedTableCodec(continuous="modes").fit(X)
    assert list(codec.modes_) == [0] and codec.modes_[0].n_modes == 2  # integers keep plain standardisation
    assert codec.blocks_ == [(2, 4), (4, 6)]  # c's block, then x's modes
    back = codec.decode(codec.encode(X))
    np.testing.assert_allclose(back["x"], X["x"], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="continuous must be 'standard' or 'modes'"):
        MixedTableCodec(continuous="gmm").fit(X)


def test_modes_keep_generated_rows_off_the_gap_between_modes():
    X = bimodal(300)
    y = np.r_[np.zeros(200, int), np.ones(100, int)]
    kw = dict(n_iter=300, hidden_dims=(32, 32), latent_dim=8, batch_size=64, device="cpu", random_state=0,
              anchor=None)  # from noise: the normalisation, not the anchors, keeps rows off the gap
    gap = {c: (GANOversampler(continuous=c, **kw).fit(X, y).sample(1000, random_state=0)["x"].abs() < 2).mean()
           for c in ("standard", "modes")}
    assert gap["modes"] < 0.03 and gap["modes"] < gap["standard"]


@pytest.mark.parametrize("mixed", [False, True])
def test_a_wide_frame_comes_back_consolidated(mixed):
    """imbalanced-learn rebuilds the frame one block per column; adding a column to that warned of fragmentation."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 120)), columns=[f"c{i}" for i in range(120)])
    if mixed:
        X["cat"] = rng.choice(["a", "b"], len(X))
    y = np.r_[np.zeros(45), np.ones(15)].astype(int)
    X_res, y_res = GANOversampler(n_iter=2, hidden_dims=(8,), batch_size=16, random_state=0).fit_resample(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        X_res.assign(label=y_res)


def test_a_missing_cell_of_a_column_that_had_none_is_no_level_of_the_next_column():
    import pandas as pd

    from minority_gen.tabular import MixedTableCodec

    codec = MixedTableCodec().fit(pd.DataFrame({"c": ["a", "b"], "d": ["x", "y"], "e": [True, False]}))
    rows = pd.DataFrame({"c": [None, "a"], "d": ["y", "x"], "e": [True, None]}).astype({"e": object})
    out = codec.encode(rows, unknown="ignore")
    # blocks c: [a, b], d: [x, y], e: [False, True]; a missing c or e is an all-zero block, d untouched
    assert out.tolist() == [[0, 0, 0, 1, 0, 1], [1, 0, 1, 0, 0, 0]]
    with pytest.raises(ValueError, match="column 'c' holds a missing value; it had none in fit"):
        codec.encode(rows)
