"""GANOversampler behaviour a user relies on: API, containers, reproducibility."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from imblearn.pipeline import make_pipeline
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from minority_gen import DivergenceError, GANMethod, GANOversampler, available_methods, losses
from minority_gen.methods.rumi import RumiLSGAN


def test_registered_methods_include_the_rumi_family():
    assert {"rumi", "rumi-sgan", "lsgan"} <= set(available_methods())


def test_fit_resample_keeps_originals_first_and_balances(tiny, imbalanced_table):
    X, y = imbalanced_table
    X_res, y_res = GANOversampler(**tiny).fit_resample(X, y)
    assert Counter(y_res) == {0: 60, 1: 60}
    np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(y_res[: len(y)], y)
    assert np.isfinite(X_res).all()


def test_same_seed_same_output_different_seed_different(tiny, imbalanced_table):
    X, y = imbalanced_table
    a = GANOversampler(**tiny).fit_resample(X, y)[0]
    b = GANOversampler(**tiny).fit_resample(X, y)[0]
    c = GANOversampler(**{**tiny, "random_state": 1}).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[len(X):], c[len(X):])


def test_fitting_does_not_touch_the_global_torch_rng(tiny, imbalanced_table):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    GANOversampler(**tiny).fit_resample(*imbalanced_table)
    np.testing.assert_array_equal(torch.rand(3).numpy(), expected.numpy())


def test_multiclass_each_grown_class_gets_its_own_generator(tiny):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(70, 4))
    y = np.array(["a"] * 40 + ["b"] * 20 + ["c"] * 10)  # string labels must work
    sampler = GANOversampler(**tiny)
    X_res, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res) == {"a": 40, "b": 40, "c": 40}
    assert set(sampler.generators_) == {"b", "c"}
    assert sampler.generators_["b"] is not sampler.generators_["c"]
    assert set(sampler.history_["gan"]) == {"b", "c"}
    assert (sampler.history_.groupby("gan").size() == tiny["n_iter"]).all()


def test_history_records_every_named_term(tiny, imbalanced_table):
    sampler = GANOversampler(**tiny).fit(*imbalanced_table)
    cols = set(sampler.history_.columns)
    assert {"gan", "iteration", "d_loss", "g_loss", "d_pos", "d_neg", "d_fake", "g_adv"} <= cols
    row = sampler.history_.iloc[-1]
    assert row["d_loss"] == pytest.approx(row["d_pos"] + row["d_neg"] + row["d_fake"], rel=1e-5)


def test_float32_stays_float32_and_ints_stay_integers(tiny, imbalanced_table):
    X, y = imbalanced_table
    X32, _ = GANOversampler(**tiny).fit_resample(X.astype(np.float32), y)
    assert X32.dtype == np.float32
    Xi = np.rint(X * 10).astype(np.int64)
    X_int, _ = GANOversampler(**tiny).fit_resample(Xi, y)
    assert X_int.dtype == np.int64
    assert X_int.min() >= Xi.min() and X_int.max() <= Xi.max()


def test_dataframe_round_trip(tiny, imbalanced_table):
    X, y = imbalanced_table
    df = pd.DataFrame(X, columns=["age", "dose", "score"])
    ys = pd.Series(np.where(y == 1, "sick", "well"), name="status")
    sampler = GANOversampler(**tiny)
    X_res, y_res = sampler.fit_resample(df, ys)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert list(X_res.columns) == ["age", "dose", "score"] and y_res.name == "status"
    pd.testing.assert_frame_equal(X_res.iloc[: len(df)].reset_index(drop=True), df)
    assert (y_res.iloc[len(df):] == "sick").all()
    assert list(sampler.feature_names_in_) == ["age", "dose", "score"]
    new = sampler.sample(4, random_state=0)
    assert isinstance(new, pd.DataFrame) and list(new.columns) == ["age", "dose", "score"]


def test_sparse_in_sparse_out(tiny, imbalanced_table):
    X, y = imbalanced_table
    X_res, _ = GANOversampler(**tiny).fit_resample(sp.csr_matrix(X), y)
    dense, _ = GANOversampler(**tiny).fit_resample(X, y)
    assert sp.issparse(X_res)
    np.testing.assert_allclose(X_res.toarray(), dense, rtol=1e-6)


def test_pipeline_with_cross_validation(tiny, imbalanced_table):
    X, y = imbalanced_table
    pipe = make_pipeline(GANOversampler(**tiny), LogisticRegression())
    scores = cross_val_score(pipe, X, y, cv=3, scoring="balanced_accuracy")
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_sample_after_fit_is_reproducible_and_checked(tiny, imbalanced_table):
    sampler = GANOversampler(**tiny)
    with pytest.raises(Exception, match="not fitted"):
        sampler.sample(3)
    sampler.fit(*imbalanced_table)
    a = sampler.sample(5, y=1, random_state=7)
    np.testing.assert_array_equal(a, sampler.sample(5, random_state=7))
    assert not np.allclose(a, sampler.sample(5, random_state=8))
    assert sampler.sample(0).shape == (0, 3)
    with pytest.raises(ValueError, match="No generator was fitted for class 0"):
        sampler.sample(2, y=0)
    for bad in (-1, True, np.True_, 2.0):
        with pytest.raises(ValueError, match="n_samples must be a non-negative integer"):
            sampler.sample(bad)


@pytest.mark.parametrize("method", ["rumi", "acgan"])
def test_nothing_to_grow_trains_nothing(tiny, imbalanced_table, method):
    """A conditional method's shared GAN is not trained for no class; sample() says why it has nothing."""
    X, y = imbalanced_table
    sampler = GANOversampler(**{**tiny, "method": method, "sampling_strategy": {1: int((y == 1).sum())}}).fit(X, y)
    assert sampler.generators_ == {} and len(sampler.history_) == 0
    with pytest.raises(ValueError, match="No class was grown when fitting"):
        sampler.sample(3)


def test_sample_needs_y_when_several_classes_were_fitted(tiny):
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = np.array([0] * 30 + [1] * 20 + [2] * 10)
    sampler = GANOversampler(**tiny).fit(X, y)
    with pytest.raises(ValueError, match="pass y="):
        sampler.sample(3)
    assert sampler.sample(3, y=2).shape == (3, 2)


def test_method_object_clone_and_nested_params(tiny, imbalanced_table):
    sampler = GANOversampler(method=RumiLSGAN(a=-0.5, d_schedule="joint"), **{k: v for k, v in tiny.items()})
    assert sampler.get_params()["method__a"] == -0.5
    sampler.set_params(method__b_pos=3.0)
    twin = clone(sampler)
    assert twin.method is not sampler.method and twin.method.b_pos == 3.0
    twin.fit(*imbalanced_table)
    assert twin.method_.b_pos == 3.0 and twin.method_ is not twin.method


def test_every_method_class_is_importable_from_the_methods_package():
    import minority_gen.methods as methods

    for name in methods.available_methods():
        cls = type(methods.get_method(name))
        assert getattr(methods, cls.__name__) is cls and cls.__name__ in methods.__all__


def test_nested_params_of_a_method_name_say_to_use_method_params(tiny):
    sampler = GANOversampler(method="rumi", **tiny)
    with pytest.raises(ValueError, match=r"method_params=\{'b_pos': 3\.0\}"):
        sampler.set_params(method__b_pos=3.0)
    assert sampler.method == "rumi" and sampler.method_params is None  # nothing set
    sampler.set_params(method=RumiLSGAN(), method__b_pos=3.0)  # a method object in the same call works
    assert sampler.method.b_pos == 3.0


def test_nested_params_of_a_filter_name_say_to_pass_a_row_filter(tiny):
    from minority_gen.filtering import RowFilter

    sampler = GANOversampler(**tiny)  # filter="auto"
    with pytest.raises(ValueError, match=r"filter__k set an option of a RowFilter object, but filter is 'auto'\. "
                                         r"Pass filter=RowFilter\(criteria=\.\.\., k=3\)"):
        sampler.set_params(filter__k=3)
    assert sampler.filter == "auto"  # nothing set
    sampler.set_params(filter=RowFilter(criteria="knn"), filter__k=3)  # a RowFilter in the same call works
    assert sampler.filter.k == 3


def test_callbacks_reach_a_sampler_in_a_pipeline_with_metadata_routing(tiny, imbalanced_table):
    """With routing on, one request (set_fit_resample_request) carries pipeline.fit's callbacks to the sampler,
    as for imbalanced-learn's samplers: fit does not take callbacks from a router, so it needs no request."""
    import sklearn
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import LogisticRegression

    from minority_gen.callbacks import Callback

    class Count(Callback):
        iterations = 0

        def on_iteration_end(self, *args, **kwargs):
            Count.iterations += 1

    with sklearn.config_context(enable_metadata_routing=True):
        sampler = GANOversampler(**tiny).set_fit_resample_request(callbacks=True)
        Pipeline([("gan", sampler), ("clf", LogisticRegression())]).fit(*imbalanced_table, callbacks=[Count()])
    assert Count.iterations == tiny["n_iter"]


@pytest.mark.parametrize("param", ["n_iter", "batch_size", "lr_g", "n_jobs", "pac"])
def test_booleans_are_not_numbers(tiny, imbalanced_table, param):
    with pytest.raises(ValueError, match=f"'{param}' parameter.*Got True"):
        GANOversampler(**{**tiny, param: True}).fit_resample(*imbalanced_table)


def test_method_params_reach_the_method(tiny, imbalanced_table):
    sampler = GANOversampler(method="rumi", method_params={"b_neg": -2.0, "a": -0.5}, **tiny)
    sampler.fit(*imbalanced_table)
    assert (sampler.method_.b_neg, sampler.method_.a) == (-2.0, -0.5)


def test_ema_generator_differs_from_raw(tiny, imbalanced_table):
    kw = {**tiny, "n_iter": 10}
    raw = GANOversampler(**kw).fit(*imbalanced_table).sample(5, random_state=0)
    ema = GANOversampler(ema=0.9, **kw).fit(*imbalanced_table).sample(5, random_state=0)
    assert np.isfinite(ema).all() and not np.allclose(raw, ema)


def test_progress_bar_only_when_verbose(tiny, imbalanced_table, capsys):
    GANOversampler(**tiny).fit(*imbalanced_table)
    assert capsys.readouterr().err == ""
    GANOversampler(verbose=True, **tiny).fit(*imbalanced_table)
    err = capsys.readouterr().err
    assert "rumi (class 1)" in err and "3/3" in err


# -- bad input -------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_inf_in_X(tiny, imbalanced_table, bad):
    # NaN is a missing value, which is modelled (tests/test_mixed_tables.py); inf is refused
    X, y = imbalanced_table
    X = X.copy()
    X[4, 2] = bad
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match=r"column 2 holds infinite values.*replace"):
        GANOversampler(**tiny).fit_resample(X, y)


def test_three_dimensional_table(tiny):
    # 3-D arrays are read as grayscale images (issue 4); 2×2 ones are refused up front,
    # even when no class needs growing, with the supported sizes and the table hint.
    with pytest.raises(ValueError, match=r"do not support images.*Supported.*2-D table"):
        GANOversampler(**tiny).fit_resample(np.zeros((10, 2, 2)), np.r_[np.zeros(5), np.ones(5)])
    with pytest.raises(ValueError, match="5 dimension"):
        GANOversampler(**tiny).fit_resample(np.zeros((10, 2, 2, 2, 2)), np.r_[np.zeros(5), np.ones(5)])


def test_single_class(tiny):
    with pytest.raises(ValueError, match="more than 1 class"):
        GANOversampler(**tiny).fit_resample(np.zeros((10, 2)), np.zeros(10))


def test_class_with_a_single_row(tiny):
    X = np.random.default_rng(0).normal(size=(11, 2))
    with pytest.raises(ValueError, match=r"Class 1 has 1 row.*at least 2.*gather more rows of it \(Random"):
        GANOversampler(**tiny).fit_resample(X, np.r_[np.zeros(10, int), 1])  # no other class to grow
    y = np.r_[np.zeros(7, int), [2, 2, 2], 1]  # class 2 can grow: the fix names it with its size after resampling
    with pytest.raises(ValueError, match=r"Class 1 has 1 row.*sampling_strategy=\{2: 7\} \(rows after"):
        GANOversampler(**tiny).fit_resample(X, y)


def test_sampling_strategy_keys_may_be_classes_written_as_text(tiny, imbalanced_table):
    """A JSON sampler spec (compare_on_datasets, the CLI) can only write its keys as text."""
    X, y = imbalanced_table
    n = int((y == 1).sum())
    sampler = GANOversampler(sampling_strategy={"1": n + 7}, **tiny)
    _, y_res = sampler.fit_resample(X, y)
    assert dict(sampler.sampling_strategy_) == {1: 7} and (y_res == 1).sum() == n + 7


def test_sampling_strategy_names_an_absent_class(tiny, imbalanced_table):
    with pytest.raises(ValueError, match="not present"):
        GANOversampler(sampling_strategy={7: 100}, **tiny).fit_resample(*imbalanced_table)


def test_unknown_method_suggests_the_closest(tiny, imbalanced_table):
    with pytest.raises(ValueError, match="Did you mean 'rumi'"):
        GANOversampler(**{**tiny, "method": "rumy"}).fit_resample(*imbalanced_table)


def test_unknown_method_option(tiny, imbalanced_table):
    with pytest.raises(ValueError, match="does not take"):
        GANOversampler(method_params={"bogus": 1}, **tiny).fit_resample(*imbalanced_table)


@pytest.mark.parametrize(
    "method, params, match",
    [
        ("rumi", {"b_pos": -1.0, "b_neg": -1.0}, "b_pos > b_neg"),
        ("rumi", {"a": 0.6}, r"a <= \(b_pos \+ b_neg\) / 2"),
        ("rumi", {"beta_pos": -1.0}, "weights must be >= 0"),
        ("rumi", {"beta_neg": -0.5}, "weights must be >= 0"),
        ("rumi", {"beta_neg": "half"}, "beta_neg must be a number or 'auto'"),
        ("rumi", {"d_schedule": "both"}, "d_schedule"),
        ("rumi-sgan", {"alpha_pos": 1.5}, r"alpha_pos in \[0, 1\]"),
        ("rumi-sgan", {"alpha_pos": 1.0, "alpha_neg": -0.5}, "alpha_neg >= alpha_pos - 1"),
    ],
)
def test_paper_constraints_are_validated(tiny, imbalanced_table, method, params, match):
    with pytest.raises(ValueError, match=match):
        GANOversampler(**{**tiny, "method": method, "method_params": params}).fit_resample(*imbalanced_table)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_gpu(tiny, imbalanced_table):
    with pytest.raises(ValueError, match="no CUDA GPU.*device='cpu'"):
        GANOversampler(**{**tiny, "device": "cuda"}).fit_resample(*imbalanced_table)


def test_bad_device_string(tiny, imbalanced_table):
    with pytest.raises(ValueError, match="device must be"):
        GANOversampler(**{**tiny, "device": "tpu"}).fit_resample(*imbalanced_table)


@pytest.mark.parametrize("param, value, match", [
    ("hidden_dims", (8, 0), "hidden_dims"),
    ("betas", (0.5, 1.5), "betas"),
])
def test_bad_network_options(tiny, imbalanced_table, param, value, match):
    with pytest.raises(ValueError, match=match):
        GANOversampler(**{**tiny, param: value}).fit_resample(*imbalanced_table)


def test_numpy_betas_are_taken_as_numbers(tiny, imbalanced_table):
    """torch's Adam refuses a mix of Python and NumPy floats; the estimator passes it Python floats."""
    a = GANOversampler(**{**tiny, "betas": (np.float32(0.5), 0.9)}).fit_resample(*imbalanced_table)[0]
    b = GANOversampler(**{**tiny, "betas": (0.5, 0.9)}).fit_resample(*imbalanced_table)[0]
    np.testing.assert_array_equal(a, b)


class _Explodes(GANMethod):
    """A method whose discriminator loss turns NaN at iteration 2."""

    name = "explodes"
    uses_negatives = True

    def d_loss(self, nets, batch):
        out = nets.d(batch.x_pos)["adv"]
        return {"real": out.mean() * (float("nan") if batch.iteration >= 2 else 1.0)}

    def g_loss(self, nets, batch):
        return losses.lsgan_g(nets.d(batch.x_fake)["adv"])


def test_divergence_stops_with_a_clear_error(tiny, imbalanced_table):
    with pytest.raises(DivergenceError, match=r"'explodes' \(explodes \(class 1\)\) diverged at iteration 2"):
        GANOversampler(**{**tiny, "method": _Explodes()}).fit_resample(*imbalanced_table)


def test_non_finite_generator_output_never_reaches_the_user(tiny, imbalanced_table):
    sampler = GANOversampler(**tiny).fit(*imbalanced_table)
    last = [m for m in sampler.generators_[1].modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.bias.fill_(float("inf"))
    with pytest.raises(DivergenceError, match="non-finite"):
        sampler.sample(3)


def test_fitting_leaves_the_callers_random_state_alone(tiny, imbalanced_table, monkeypatch):
    """Networks draw their initial weights from a forked CPU generator: the caller's CPU state is restored, and
    no device's generator is reseeded (torch.manual_seed would reseed every CUDA device with the fit's seed)."""
    from minority_gen.evaluation.features import build_small_cnn

    reseeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: reseeded.append(seed))
    monkeypatch.setattr(torch.cuda, "manual_seed", lambda seed: reseeded.append(seed))
    torch.manual_seed(123)
    reseeded.clear()
    before = torch.random.get_rng_state()
    GANOversampler(**{**tiny, "boundary": 0.5}).fit(*imbalanced_table)  # generator, discriminator, classifier
    build_small_cnn(1, 2, 4, 8, np.random.RandomState(0))
    assert torch.equal(before, torch.random.get_rng_state())
    assert reseeded == []


@pytest.mark.parametrize("dtype, labels", [("Int64", [0, 1]), ("boolean", [False, True])])
@pytest.mark.parametrize("frame", [False, True])
def test_nullable_labels_stay_the_classes_they_are(tiny, imbalanced_table, tmp_path, dtype, labels, frame):
    """pandas nullable labels are classes 1 / True in the fitted attributes and messages (scikit-learn's checks
    would make floats of them); the output keeps the input's dtype; a saved model keeps them."""
    X, y = imbalanced_table
    if frame:  # a mixed table
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        X["kind"] = pd.Categorical(np.arange(len(X)) % 2)
    y = pd.Series(np.asarray(labels)[y]).astype(dtype)
    sampler = GANOversampler(**tiny)
    _, y_res = sampler.fit_resample(X, y)
    assert y_res.dtype == dtype
    assert sampler.classes_.tolist() == labels and type(sampler.classes_[0]) is not np.float64
    assert list(sampler.generators_) == [labels[1]] and list(sampler.sampling_strategy_) == [labels[1]]
    sampler.save(tmp_path / "m.mgz")
    assert GANOversampler.load(tmp_path / "m.mgz").classes_.tolist() == labels
