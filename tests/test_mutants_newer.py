"""Small hand-computed checks of the newer modules (row filters, codecs, safeguards, settings, statistics, the
cell store) that the mutation benchmark's mutants over those modules showed missing (benchmarks/mutants.toml)."""

from __future__ import annotations

import numpy as np
import pytest

from minority_gen.filtering import RowFilter


def test_copy_radius_is_inclusive_at_exactly_copy_tol_times_the_median_distance():
    # X_pos = 0, 1, 3: leave-one-out nearest distances 1, 1, 2 -> median 1; copy_tol 0.5 -> radius 0.5.
    # A candidate at distance exactly 0.5 from a real row is a copy ("at most"), one at 0.75 is not.
    f = RowFilter(criteria="copies", copy_tol=0.5).fit(np.array([[0.0], [1.0], [3.0]]))
    assert f.copy_threshold_ == 0.5
    assert f.keep(np.array([[0.5], [2.5], [1.75], [-0.75]])).tolist() == [False, False, True, True]


def test_a_value_exactly_at_the_divergence_limit_is_not_beyond_it():
    from minority_gen.divergence import beyond, divergence_limits

    # |v| > 1000 x max(1, max |x|) diverges; |v| equal to the limit does not
    limits = divergence_limits(np.array([[0.5, -2.0], [0.0, 1.0]]))
    assert limits.tolist() == [1000.0, 2000.0]
    assert beyond(np.array([[1000.0, -2000.0]]), limits) is None
    assert beyond(np.array([[0.0, np.nextafter(2000.0, np.inf)]]), limits).startswith("|value| 2e+03 in column 1")


def test_number_in_refuses_booleans_numpy_ones_too():
    from numbers import Integral, Real

    from minority_gen.constraints import NumberIn

    ints, reals = NumberIn(Integral, 1, None, closed="left"), NumberIn(Real, 0, 1, closed="both")
    assert [ints.is_satisfied_by(v) for v in (True, np.True_, 1, np.int64(2), 0)] == [False, False, True, True, False]
    assert [reals.is_satisfied_by(v) for v in (False, True, 0.0, 1)] == [False, False, True, True]


def test_whole_number_floats_stay_continuous_unless_they_have_gaps():
    import pandas as pd

    from minority_gen.columns import CONTINUOUS, INTEGER, detect_columns

    frame = pd.DataFrame({"whole": [1.0, 2.0, 3.0], "gaps": [1.0, np.nan, 3.0], "halves": [0.5, np.nan, 1.0]})
    assert [c.kind for c in detect_columns(frame)] == [CONTINUOUS, INTEGER, CONTINUOUS]


def test_mode_normaliser_round_trips_values_within_four_sigma_of_their_mode():
    from minority_gen.tabular import ModeNormaliser

    rng = np.random.default_rng(0)
    model = ModeNormaliser().fit(np.r_[rng.normal(-10.0, 1.0, 300), rng.normal(10.0, 1.0, 300)])
    assert model.n_modes == 2
    x = np.r_[model.means_ + 2.5 * model.stds_, model.means_ - 3.0 * model.stds_]
    alpha, mode = model.encode(x)
    np.testing.assert_allclose(np.abs(alpha), [2.5 / 4] * 2 + [3.0 / 4] * 2)  # alpha = (x - mu) / (4 sigma)
    np.testing.assert_allclose(model.decode(alpha, mode), x)


def test_a_target_equal_to_the_class_size_or_the_ratio_it_has_is_accepted():
    from minority_gen.safeguards import check_oversampling_targets, check_ratio

    y = np.array([0] * 6 + [1] * 2)
    assert dict(check_oversampling_targets({1: 2}, y)) == {1: 0}  # "(2 adds none)": allowed
    with pytest.raises(ValueError, match="at least 2"):
        check_oversampling_targets({1: 1}, y)
    check_ratio(2 / 6, y)  # the ratio y has: nothing to refuse
    with pytest.raises(ValueError, match="ratio between"):
        check_ratio(np.nextafter(2 / 6, 0.0), y)


def _settings(spec, **params):
    from minority_gen import GANOversampler
    from minority_gen.settings import resolve_settings

    return resolve_settings(GANOversampler(device="cpu", **params).get_params(), spec)


def test_auto_settings_for_tables_and_images():
    from minority_gen.data import DataSpec

    table, image = DataSpec(n_features=3), DataSpec(n_features=64, image_shape=(1, 8, 8))
    anchored = _settings(table)
    assert (anchored.anchor, anchored.config.pac, anchored.config.n_iter) == (True, 4, 500)
    assert anchored.row_filter.criteria == "reach"
    for params in ({"anchor": None}, {"selection": "quality"}):  # tables from noise: no filter, longer
        noise = _settings(table, **params)
        assert (noise.anchor, noise.row_filter, noise.boundary, noise.config.n_iter) == (False, None, None, 1000)
    images = _settings(image)
    assert (images.anchor, images.config.pac, images.row_filter, images.boundary) == (False, 1, None, None)


def test_batch_size_rounds_up_to_whole_packs_and_the_paper_recipe_applies_to_tables():
    from minority_gen import GANOversampler
    from minority_gen.methods import get_method
    from minority_gen.settings import train_config

    rumi = get_method("rumi")
    assert train_config(rumi, GANOversampler(pac=3, batch_size=10).get_params(), images=False).batch_size == 12
    assert train_config(rumi, GANOversampler(pac=4, batch_size=8).get_params(), images=False).batch_size == 8
    tac = get_method("tacgan")
    paper = train_config(tac, GANOversampler(recipe="paper").get_params(), images=False)
    assert paper.n_critic == tac.paper_defaults["n_critic"] != tac.defaults["n_critic"]


class _Duplicating:
    """A sampler that duplicates the minority rows and counts its fits (class-wide, so clones share the count)."""

    fits = 0

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def fit_resample(self, X, y):
        _Duplicating.fits += 1
        minority = np.flatnonzero(y == np.bincount(y).argmin())
        return np.r_[X, X[minority]], np.r_[y, y[minority]]


def _cells(store, **kw):
    from minority_gen.evaluation import compare_on_datasets

    rng = np.random.default_rng(0)
    X, y = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(1.5, 1, (10, 2))], np.r_[[0] * 30, [1] * 10]
    _Duplicating.fits = 0
    compare_on_datasets({"toy": (X, y)}, {"dup": _Duplicating()}, {"lr": "lr"}, scoring=["gmean"], store=store,
                        progress=False, cv=2, **kw)
    return _Duplicating.fits


def test_a_cells_key_holds_the_preprocessor_and_the_folds_test_rows(tmp_path):
    store = tmp_path / "runs.jsonl"
    assert _cells(store) == 2 and _cells(store) == 0  # computed, then read back
    assert _cells(store, preprocessor=None) == 2  # another preprocessor: other numbers, computed
    assert _cells(store, random_state=1) == 2  # the same fold numbers over other test rows: computed
    assert _cells(store, random_state=1) == 0


def test_read_store_keeps_a_cells_last_successful_record(tmp_path):
    import json

    from minority_gen.evaluation import read_store

    store = tmp_path / "runs.jsonl"
    records = [{"key": "k", "status": "ok", "metrics": {"gmean": 0.5}},
               {"key": "k", "status": "error", "error": "boom"},
               {"key": "k", "status": "ok", "metrics": {"gmean": 0.7}},
               {"key": "j", "status": "error", "error": "first"}, {"key": "j", "status": "error", "error": "last"}]
    store.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert {r["key"]: r.get("metrics", r.get("error")) for r in read_store(store)} == {"k": {"gmean": 0.7},
                                                                                       "j": "last"}


def test_a_tables_digest_holds_its_column_names_and_boolean_metrics_are_malformed():
    import pandas as pd

    from minority_gen.evaluation.store import _digest, malformed_cell

    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    assert _digest(frame) == _digest(frame.copy())
    assert _digest(frame) != _digest(frame.rename(columns={"b": "c"}))
    assert not malformed_cell({"status": "ok", "metrics": {"gmean": 0.5, "n": 3}})
    assert malformed_cell({"status": "ok", "metrics": {"gmean": True}})


@pytest.mark.parametrize("value", [0.0, 0, {"weight": 0.0, "target": "margins"}, float("nan"), -0.5])
def test_a_boundary_weight_must_be_above_zero(value):
    from minority_gen.boundary import parse_boundary

    with pytest.raises(ValueError, match="weight must be a float > 0"):
        parse_boundary(value)
    assert parse_boundary(1e-9) == (1e-9, "median")


def test_a_first_round_without_a_kept_row_does_not_give_up_while_the_rounds_left_can_make_up_the_rows():
    from minority_gen.generation import draw_filtered

    # Round 1 draws 64 exact copies of real rows (all rejected); at the generous bound (0 + 0 + 3) / 64 of the
    # acceptance rate, 19 rounds left can make up 10 rows, so draw_filtered goes on and round 2's fresh rows pass.
    rng = np.random.default_rng(0)
    real = rng.normal(size=(8, 2))
    f = RowFilter(criteria="copies", copy_tol=0.0).fit(real)
    calls = []

    def draw(m):
        calls.append(m)
        return np.tile(real, (m // 8 + 1, 1))[:m] if len(calls) == 1 else rng.normal(size=(m, 2)) + 10.0

    rows, report = draw_filtered(draw, 10, f)
    assert calls == [64, 100] and rows.shape == (10, 2) and (rows[:, 0] > 5).all()
    assert (report["rounds"], report["dropped_copies"], report["kept"]) == (2, 64, 10)
