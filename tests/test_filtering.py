"""RowFilter and draw_filtered: which generated rows are dropped, and exact output counts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from minority_gen import filtering, generation
from minority_gen.filtering import RowFilter
from minority_gen.generation import draw_filtered


@pytest.fixture
def classes():
    """Overlapping classes in 2-D: 200 positives around 0, 400 negatives around (3, 3)."""
    rng = np.random.default_rng(0)
    return rng.normal(0, 1, (200, 2)), rng.normal(3, 1, (400, 2))


def test_exact_copies_always_dropped(classes):
    X_pos, X_neg = classes
    for copy_tol in (0.0, 0.1):
        f = RowFilter(copy_tol=copy_tol).fit(X_pos, X_neg)
        assert f.reasons(X_pos[:20])["copies"].all()
        assert not f.keep(X_pos[:20]).any()
    f = RowFilter(criteria="copies").fit(X_pos)
    nudged = X_pos[:20] + 0.5 * f.copy_threshold_  # near copies, within the radius
    assert not f.keep(nudged).any()
    assert f.keep(X_pos[:20] + 3 * f.copy_threshold_ / np.sqrt(2)).all()


def test_exact_copies_dropped_among_near_duplicates_in_many_dimensions():
    # 30 features: a brute-force search whose fast distances cannot tell a row from its near-duplicate.
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 30)) * 1e4
    X_pos = np.vstack([base, base + 1e-9 * rng.normal(size=base.shape)])
    X_pos[:, 0] = 0.0
    f = RowFilter(criteria="copies", copy_tol=0.0).fit(X_pos)
    assert not f.keep(X_pos).any()
    negative_zero = X_pos.copy()
    negative_zero[:, 0] = -0.0  # equal to 0.0, though its bytes differ
    assert not f.keep(negative_zero).any()
    assert f.keep(X_pos + 1e-6).all()


def test_knn_rejects_negative_looking_rows_and_keeps_real_positives(classes):
    X_pos, X_neg = classes
    f = RowFilter(criteria="knn", quantile=0.05).fit(X_pos, X_neg)
    assert f.criteria_ == ("knn",) and f.knn_threshold_ > 0
    # At most a `quantile` share of the real positives fails the test on its own leave-one-out share ...
    assert 0 < (f.reference_shares_ < f.knn_threshold_).mean() <= 0.05
    # ... and with the row itself among its neighbours, even fewer are rejected.
    assert f.reasons(X_pos)["knn"].mean() <= 0.05
    deep_negative = np.array([[4.0, 4.0], [3.0, 3.5], [5.0, 2.5]])
    assert f.reasons(deep_negative)["knn"].all()
    assert f.keep(np.array([[-1.0, -1.0], [0.0, 0.0]])).all()


def test_fresh_positive_rows_are_mostly_kept(classes):
    X_pos, X_neg = classes
    fresh = np.random.default_rng(1).normal(0, 1, (500, 2))
    kept = RowFilter().fit(X_pos, X_neg).keep(fresh)
    assert kept.dtype == bool and kept.shape == (500,)
    assert kept.mean() > 0.85


def test_all_rows_duplicated_rejects_only_exact_copies():
    A = np.random.default_rng(2).normal(size=(30, 3))
    f = RowFilter(criteria="copies").fit(np.vstack([A, A]))
    assert f.copy_threshold_ == 0.0
    assert not f.keep(A).any()
    assert f.keep(A + 1e-9).all()


def test_mostly_duplicated_rows_use_smallest_nonzero_distance():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(30, 3)), rng.normal(size=(10, 3))
    X_pos = np.vstack([A, A, B])  # median leave-one-out distance 0
    f = RowFilter(criteria="copies", copy_tol=0.5).fit(X_pos)
    loo = np.sort(np.linalg.norm(X_pos[:, None] - X_pos[None], axis=2) + np.diag(np.full(len(X_pos), np.inf)), 1)[:, 0]
    assert f.copy_threshold_ == pytest.approx(0.5 * loo[loo > 0].min())
    assert not f.keep(X_pos).any()
    assert f.keep(rng.normal(size=(200, 3))).mean() > 0.9


def test_leave_one_out_shares_exclude_the_row_itself_also_among_duplicates():
    f = RowFilter(criteria="knn", k=1).fit([[0.0], [0.0], [5.0]], [[0.1], [5.1]])
    np.testing.assert_array_equal(f.reference_shares_, [1.0, 1.0, 0.0])
    # Every real positive's nearest other row is negative: the threshold is 0 and rejects nothing.
    f = RowFilter(criteria="knn", k=1, quantile=0.5).fit([[0.0], [5.0]], [[0.1], [5.1]])
    np.testing.assert_array_equal(f.reference_shares_, [0.0, 0.0])
    assert f.knn_threshold_ == 0.0 and f.keep([[0.1], [5.1], [99.0]]).all()


@pytest.mark.parametrize("quantile, threshold", [(0.0, 0.0), (0.3, 0.0), (0.5, 1.0), (0.9, 1.0)])
def test_knn_threshold_is_the_lower_quantile(quantile, threshold):
    f = RowFilter(criteria="knn", k=1, quantile=quantile).fit([[0.0], [5.0], [5.2]], [[0.1]])
    np.testing.assert_array_equal(f.reference_shares_, [0.0, 1.0, 1.0])
    assert f.knn_threshold_ == threshold  # at most a `quantile` share of real positives below it
    assert (f.reference_shares_ < f.knn_threshold_).mean() <= quantile
    assert f.keep([[0.09], [5.1]]).tolist() == [threshold == 0.0, True]  # share 0, share 1


def test_knn_skipped_without_negatives_and_k_clipped(classes):
    X_pos, X_neg = classes
    for X in (None, np.empty((0, 2)), []):
        f = RowFilter().fit(X_pos, X)
        assert f.criteria_ == ("copies",) and set(f.reasons(X_pos[:3])) == {"copies"}
    f = RowFilter(criteria="knn", k=100).fit(X_pos[:5], X_neg[:5])
    assert f.k_ == 9 and f.reference_shares_.shape == (5,)


def test_chunked_queries_match_one_block(classes, monkeypatch):
    X_pos, X_neg = classes
    fresh = np.random.default_rng(4).normal(1.5, 1.5, (300, 2))
    whole = RowFilter().fit(X_pos, X_neg)
    monkeypatch.setattr(filtering, "CHUNK_ROWS", 7)
    chunked = RowFilter().fit(X_pos, X_neg)
    np.testing.assert_array_equal(chunked.reference_shares_, whole.reference_shares_)
    for name, mask in whole.reasons(fresh).items():
        np.testing.assert_array_equal(chunked.reasons(fresh)[name], mask)
    assert 0 < whole.keep(fresh).sum() < len(fresh)


def _recording_draw(X_pos, seed=0):
    """Fresh rows around 0 (every third one an exact copy of a positive), and the list of all rows drawn."""
    rng, drawn = np.random.default_rng(seed), []

    def draw(m):
        rows = rng.normal(0, 1.5, (m, 2))
        rows[::3] = X_pos[rng.integers(0, len(X_pos), len(rows[::3]))]
        drawn.append(rows)
        return rows

    return draw, drawn


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_draw_filtered_exact_count_in_draw_order(classes, n):
    X_pos, X_neg = classes
    f = RowFilter().fit(X_pos, X_neg)
    draw, drawn = _recording_draw(X_pos)
    rows, report = draw_filtered(draw, n, f)
    assert rows.shape == (n, 2)
    everything = np.concatenate(drawn)
    reasons = f.reasons(everything)
    ok = ~(reasons["copies"] | reasons["knn"])
    np.testing.assert_array_equal(rows, everything[ok][:n])
    stop = int(np.flatnonzero(ok)[n - 1]) + 1 if n else 0
    assert report == {
        "requested": n,
        "drawn": len(everything),
        "dropped_copies": int(reasons["copies"][:stop].sum()),
        "dropped_knn": int((reasons["knn"] & ~reasons["copies"])[:stop].sum()),
        "dropped_border": 0,
                      "dropped_reach": 0,
        "dropped_range": 0,
        "surplus": len(everything) - stop,
        "kept": n,
        "kept_outside": 0,
        "rounds": len(drawn),
    }
    if n == 1000:  # enough rows for both kinds of drop
        assert report["dropped_copies"] >= n // 3 and report["dropped_knn"] > 0


def test_draw_filtered_counts_rows_after_the_last_needed_one_as_surplus(classes):
    X_pos, X_neg = classes
    f = RowFilter().fit(X_pos, X_neg)
    draws = []

    def one_fresh_then_copies(m):
        draws.append(m)
        return np.vstack([[[0.3, -0.2]], X_pos[: m - 1]])

    rows, report = draw_filtered(one_fresh_then_copies, 1, f)
    np.testing.assert_array_equal(rows, [[0.3, -0.2]])
    assert draws == [generation.MIN_ROUND]
    assert report == {"requested": 1, "drawn": draws[0], "dropped_copies": 0, "dropped_knn": 0, "dropped_border": 0,
                      "dropped_reach": 0, "dropped_range": 0,
                      "surplus": draws[0] - 1, "kept": 1, "kept_outside": 0, "rounds": 1}


def test_draw_filtered_without_filter_returns_draw(classes):
    draw, drawn = _recording_draw(classes[0])
    rows, report = draw_filtered(draw, 12, None)
    assert len(drawn) == 1 and rows is drawn[0]
    assert report == {"requested": 12, "drawn": 12, "dropped_copies": 0, "dropped_knn": 0, "dropped_border": 0,
                      "dropped_reach": 0, "dropped_range": 0,
                      "surplus": 0, "kept": 12, "kept_outside": 0, "rounds": 1}


def test_outside_alone_keeps_the_first_draw_when_nothing_is_outside_and_redraws_what_is(classes):
    draw, drawn = _recording_draw(classes[0])
    rows, report = draw_filtered(draw, 12, None, outside=lambda r: np.zeros(len(r), bool))
    assert len(drawn) == 1 and len(drawn[0]) == 12
    np.testing.assert_array_equal(rows, drawn[0])  # exactly the unfiltered rows
    draw, drawn = _recording_draw(classes[0], seed=3)
    rows, report = draw_filtered(draw, 40, None, outside=lambda r: r[:, 0] > 0.5)
    everything = np.concatenate(drawn)
    assert len(drawn[0]) == 40 and len(drawn) > 1
    np.testing.assert_array_equal(rows, everything[everything[:, 0] <= 0.5][:40])  # draw order, none outside
    stop = int(np.flatnonzero(everything[:, 0] <= 0.5)[39]) + 1
    assert report["dropped_range"] == int((everything[:stop, 0] > 0.5).sum()) > 0
    assert report["drawn"] == report["kept"] + report["dropped_range"] + report["surplus"]


def test_outside_alone_keeps_rejected_rows_with_a_count_when_the_rounds_run_out(classes):
    draw, drawn = _recording_draw(classes[0])
    rows, report = draw_filtered(draw, 10, None, max_rounds=2, outside=lambda r: np.ones(len(r), bool))
    assert len(rows) == 10 and report["kept_outside"] == 10 and report["rounds"] == 2
    np.testing.assert_array_equal(rows, drawn[0][:10])


def test_outside_counts_beside_the_filter(classes):
    X_pos, X_neg = classes
    f = RowFilter().fit(X_pos, X_neg)
    draw, drawn = _recording_draw(X_pos)
    rows, report = draw_filtered(draw, 50, f, outside=lambda r: r[:, 1] > 0)
    assert (rows[:, 1] <= 0).all() and len(rows) == 50 and report["dropped_range"] > 0
    assert report["drawn"] == (report["kept"] + report["dropped_copies"] + report["dropped_knn"]
                               + report["dropped_range"] + report["surplus"])


def test_draw_filtered_raises_when_everything_is_rejected(classes):
    X_pos, X_neg = classes
    f = RowFilter().fit(X_pos, X_neg)
    calls = []

    def copies_only(m):
        calls.append(m)
        return X_pos[np.arange(m) % len(X_pos)]

    with pytest.raises(ValueError, match=r"kept 0 of 64 generated rows in 1 round,.*stopped early.*filter=None"):
        draw_filtered(copies_only, 10, f, max_rounds=3)
    assert calls == [generation.MIN_ROUND]  # the rounds left could not have made up 10 rows at 0 of 64 kept

    calls.clear()  # a large request stops after its first round, where it drew up to 20 rounds of 10 x n rows
    with pytest.raises(ValueError, match=r"kept 0 of 22000 generated rows in 1 round,.*stopped early"):
        draw_filtered(copies_only, 20_000, f)
    # the first round assumes every row passes, drawn in parts of FILTER_BATCH rows
    assert sum(calls) == round(generation.MARGIN * 20_000) and max(calls) == generation.FILTER_BATCH


def test_draw_filtered_keeps_going_while_the_rounds_can_make_up_the_rows(classes):
    """At a low acceptance rate that the remaining rounds can still make up, the draw completes."""
    X_pos, X_neg = classes
    f = RowFilter(criteria="copies").fit(X_pos, X_neg)
    rng = np.random.default_rng(0)

    def mostly_copies(m):  # about 1 row in 12 new
        rows = X_pos[rng.integers(0, len(X_pos), m)].copy()
        fresh = rng.random(m) < 1 / 12
        rows[fresh] = rng.normal(size=(fresh.sum(), X_pos.shape[1])) * 5
        return rows

    rows, report = draw_filtered(mostly_copies, 500, f)
    assert len(rows) == 500 and report["rounds"] > 1 and report["dropped_copies"] > 10 * len(rows) / 2


def test_draw_filtered_is_deterministic(classes):
    X_pos, X_neg = classes
    f1, f2 = RowFilter().fit(X_pos, X_neg), clone(RowFilter()).fit(X_pos, X_neg)
    assert f1.knn_threshold_ == f2.knn_threshold_ and f1.copy_threshold_ == f2.copy_threshold_
    rows1, report1 = draw_filtered(_recording_draw(X_pos, seed=5)[0], 300, f1)
    rows2, report2 = draw_filtered(_recording_draw(X_pos, seed=5)[0], 300, f2)
    np.testing.assert_array_equal(rows1, rows2)
    assert report1 == report2


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"criteria": "copies,foo"}, ValueError, r"'copies', 'knn'.*got 'copies,foo' \(unknown: 'foo'\)"),
        ({"criteria": " , "}, ValueError, "one or more of"),
        ({"criteria": ["copies"]}, TypeError, "comma-separated str"),
        ({"copy_tol": -0.1}, ValueError, "copy_tol must be a finite float >= 0; got -0.1"),
        ({"copy_tol": float("nan")}, ValueError, "copy_tol must be"),
        ({"copy_tol": float("inf")}, ValueError, "copy_tol must be"),
        ({"k": 0}, ValueError, "k must be an int >= 1; got 0"),
        ({"k": 2.5}, ValueError, "k must be an int >= 1; got 2.5"),
        ({"quantile": 1.0}, ValueError, r"quantile must be a float in \[0, 1\); got 1.0"),
        ({"quantile": -0.01}, ValueError, "quantile must be"),
    ],
)
def test_parameter_errors(classes, params, error, match):
    with pytest.raises(error, match=match):
        RowFilter(**params).fit(*classes)


def test_input_errors(classes):
    X_pos, X_neg = classes
    with pytest.raises(ValueError, match="X_pos must have at least 2 rows; got 1"):
        RowFilter().fit(X_pos[:1], X_neg)
    with pytest.raises(ValueError, match="X_pos must be 2-D"):
        RowFilter().fit(X_pos[:, 0], X_neg)
    with pytest.raises(ValueError, match="X_pos contains NaN or inf"):
        RowFilter().fit(np.vstack([X_pos, [np.nan, 0.0]]), X_neg)
    f = RowFilter().fit(X_pos, X_neg)
    with pytest.raises(ValueError, match="X_candidates contains NaN or inf; got 1 such rows"):
        f.keep([[0.0, np.inf], [0.0, 0.0]])
    with pytest.raises(ValueError, match="n must be an int >= 0; got -1"):
        draw_filtered(lambda m: np.zeros((m, 2)), -1, f)
    with pytest.raises(ValueError, match="max_rounds must be an int >= 1; got 0"):
        draw_filtered(lambda m: np.zeros((m, 2)), 5, f, max_rounds=0)
    with pytest.raises(ValueError, match=r"draw\(m\) must return .* gave \(3, 2\)"):
        draw_filtered(lambda m: np.zeros((3, 2)), 5, f)


def test_feature_count_mismatch(classes):
    X_pos, X_neg = classes
    with pytest.raises(ValueError, match="X_neg must have 2 features, as in fit; got 3"):
        RowFilter().fit(X_pos, np.zeros((5, 3)))
    f = RowFilter().fit(X_pos, X_neg)
    for method in (f.keep, f.reasons):
        with pytest.raises(ValueError, match="X_candidates must have 2 features, as in fit; got 3"):
            method(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="must have 2 features"):
        draw_filtered(lambda m: np.zeros((m, 3)), 5, f)


# --------------------------------------------------------------------------
# "border": the real rows' logistic regression
# --------------------------------------------------------------------------
def test_border_rejects_what_the_real_rows_logistic_regression_puts_in_another_class(classes):
    from sklearn.linear_model import LogisticRegression

    X_pos, X_neg = classes
    f = RowFilter(criteria="border").fit(X_pos, X_neg)
    lr = LogisticRegression(class_weight="balanced", max_iter=3000).fit(
        np.vstack([X_pos, X_neg]), np.r_[np.ones(len(X_pos)), np.zeros(len(X_neg))])
    grid = np.random.default_rng(1).uniform(-2, 5, (500, 2))
    np.testing.assert_allclose(f.margins(grid), lr.decision_function(grid), rtol=1e-10, atol=1e-10)
    rejected = f.reasons(grid)["border"]
    np.testing.assert_array_equal(rejected, lr.predict(grid) == 0)
    assert 50 < rejected.sum() < 450  # both sides of the border are in the grid
    assert f.reasons([[0.0, 0.0], [3.0, 3.0]])["border"].tolist() == [False, True]


def test_border_rows_drawn_through_the_filter_all_lie_on_the_class_side(classes):
    X_pos, X_neg = classes
    f = RowFilter(criteria="copies,border").fit(X_pos, X_neg)
    rng = np.random.default_rng(2)
    rows, report = draw_filtered(lambda m: rng.normal(1.0, 1.5, (m, 2)), 300, f)
    assert len(rows) == 300 and (f.margins(rows) >= 0).all()
    assert report["dropped_border"] > 30  # the draw straddles the border
    assert report["drawn"] == (report["kept"] + report["dropped_copies"] + report["dropped_knn"]
                               + report["dropped_border"] + report["dropped_range"] + report["surplus"])
    assert report["dropped_reach"] == 0


def test_border_is_skipped_without_negatives_and_kept_by_the_state(classes):
    X_pos, X_neg = classes
    assert RowFilter(criteria="copies,border").fit(X_pos).criteria_ == ("copies",)
    f = RowFilter(criteria="knn,border", k=3).fit(X_pos, X_neg)
    back = RowFilter.from_state(f.to_state())
    grid = np.random.default_rng(3).uniform(-2, 5, (50, 2))
    np.testing.assert_array_equal(back.margins(grid), f.margins(grid))
    np.testing.assert_array_equal(back.keep(grid), f.keep(grid))
    for bad in ({"border_coef_": np.ones(3)}, {"border_coef_": np.array([np.nan, 1.0])},
                {"border_intercept_": float("inf")}, {"border_intercept_": "0"}):
        state = f.to_state()
        state["fitted"] = {**state["fitted"], **bad}
        with pytest.raises(ValueError, match="border weights"):
            RowFilter.from_state(state)


# --------------------------------------------------------------------------
# "reach": no farther across the border than the class's real rows
# --------------------------------------------------------------------------
def ring(seed=0):
    """4 positive modes on a circle among 4 negative ones: no line separates the classes."""
    rng = np.random.default_rng(seed)
    angles = np.arange(8) * np.pi / 4
    modes = 4 * np.c_[np.cos(angles), np.sin(angles)]
    X_pos = np.repeat(modes[0::2], 25, axis=0) + rng.normal(0, 0.2, (100, 2))
    X_neg = np.repeat(modes[1::2], 100, axis=0) + rng.normal(0, 0.2, (400, 2))
    return X_pos, X_neg, modes[0::2]


def test_reach_floor_is_the_quantile_of_the_real_rows_margins_or_the_border(classes):
    X_pos, X_neg, _ = ring()
    f = RowFilter(criteria="reach").fit(X_pos, X_neg)
    margins = f.margins(X_pos)
    assert (margins < 0).mean() > 0.2  # the ring: a line puts real positive rows across
    assert f.border_floor_ == np.quantile(margins, 0.05, method="lower") < 0
    assert (f.reasons(X_pos)["reach"]).mean() <= 0.05
    grid = np.random.default_rng(1).uniform(-6, 6, (2000, 2))
    np.testing.assert_array_equal(f.reasons(grid)["reach"], f.margins(grid) < f.border_floor_)
    strict = RowFilter(criteria="border").fit(X_pos, X_neg)
    np.testing.assert_array_equal(strict.margins(grid), f.margins(grid))  # one regression, two thresholds
    assert f.reasons(grid)["reach"].sum() < strict.reasons(grid)["border"].sum()
    X_pos, X_neg = classes  # a line separates them: the floor is the border itself
    sep = RowFilter(criteria="reach", quantile=0.0).fit(X_pos + 10, X_neg)
    assert sep.border_floor_ == 0.0


def test_reach_keeps_the_modes_a_line_cannot_separate_where_border_loses_them():
    X_pos, X_neg, pos_modes = ring()
    rng = np.random.default_rng(4)
    draw = lambda m: pos_modes[rng.integers(0, 4, m)] + rng.normal(0, 0.3, (m, 2))  # noqa: E731
    shares = {}
    for criteria in ("border", "reach"):
        f = RowFilter(criteria=criteria).fit(X_pos, X_neg)
        rows, _ = draw_filtered(draw, 800, f)
        nearest = np.argmin(((rows[:, None] - pos_modes[None]) ** 2).sum(-1), axis=1)
        shares[criteria] = np.bincount(nearest, minlength=4) / len(rows)
    assert (shares["reach"] > 0.15).all()
    assert (shares["border"] < 0.05).sum() >= 1


def test_reach_state_round_trip_and_hostile_floors(classes):
    X_pos, X_neg, _ = ring()
    f = RowFilter(criteria="copies,reach").fit(X_pos, X_neg)
    back = RowFilter.from_state(f.to_state())
    grid = np.random.default_rng(3).uniform(-6, 6, (200, 2))
    np.testing.assert_array_equal(back.keep(grid), f.keep(grid))
    assert back.border_floor_ == f.border_floor_
    for bad in ({"border_floor_": 0.5}, {"border_floor_": float("nan")}, {"border_floor_": "-1"}):
        state = f.to_state()
        state["fitted"] = {**state["fitted"], **bad}
        with pytest.raises(ValueError, match="border floor"):
            RowFilter.from_state(state)
    state = f.to_state()
    del state["fitted"]["border_floor_"]
    with pytest.raises(ValueError, match="border floor"):
        RowFilter.from_state(state)
    with pytest.raises(ValueError, match="name one"):
        RowFilter(criteria="border,reach").fit(X_pos, X_neg)
    assert RowFilter(criteria="reach").fit(X_pos).criteria_ == ()


def test_estimator_with_the_border_filter_returns_no_row_across_the_border():
    from sklearn.linear_model import LogisticRegression

    from minority_gen import GANOversampler

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (150, 2)), rng.normal(1.2, 1, (30, 2))]  # overlapping: SMOTE's rows cross
    y = np.r_[np.zeros(150, int), np.ones(30, int)]
    lr = LogisticRegression(class_weight="balanced", max_iter=3000).fit(X, y)
    tiny = dict(n_iter=20, batch_size=32, hidden_dims=(8,), device="cpu", random_state=0)
    crossing = {}
    for name in (None, "border"):
        sampler = GANOversampler(filter=name, **tiny)
        X_res, _ = sampler.fit_resample(X, y)
        crossing[name] = float(np.mean(lr.predict(X_res[len(X):]) == 0))
    assert crossing["border"] == 0.0 and crossing[None] > 0.05
    assert sampler.filter_report_[1]["dropped_border"] > 0


def test_auto_filter_is_reach_for_anchored_tables_only():
    from minority_gen import GANOversampler

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (60, 3)), rng.normal(1, 1, (20, 3))]
    y = np.r_[np.zeros(60, int), np.ones(20, int)]
    tiny = dict(n_iter=3, batch_size=16, hidden_dims=(8,), device="cpu", random_state=0)
    anchored = GANOversampler(**tiny).fit(X, y)
    assert anchored.filters_[1].criteria_ == ("reach",)
    anchored.fit_resample(X, y)
    assert anchored.filter_report_[1]["drawn"] >= 40 and "dropped_reach" in anchored.filter_report_[1]
    assert GANOversampler(anchor=None, **tiny).fit(X, y).filters_ == {}
    assert GANOversampler(filter=None, **tiny).fit(X, y).filters_ == {}
    images = np.random.default_rng(1).integers(0, 256, (20, 16, 16)).astype(np.uint8)
    labels = np.r_[np.zeros(14, int), np.ones(6, int)]
    assert GANOversampler(**{**tiny, "hidden_dims": (4,)}).fit(images, labels).filters_ == {}
    with pytest.raises(ValueError, match="filter works on tables only"):
        GANOversampler(filter="copies", **{**tiny, "hidden_dims": (4,)}).fit(images, labels)


def test_estimator_with_reach_keeps_every_ring_mode_the_border_filter_drops():
    from minority_gen import GANOversampler

    X_pos, X_neg, pos_modes = ring()
    X, y = np.r_[X_neg, X_pos], np.r_[np.zeros(len(X_neg), int), np.ones(len(X_pos), int)]
    tiny = dict(n_iter=20, batch_size=32, hidden_dims=(8,), device="cpu", random_state=0)
    covered = {}
    for name in ("border", "reach"):
        rows = GANOversampler(filter=name, **tiny).fit(X, y).sample(400, y=1, random_state=0)
        nearest = np.argmin(((rows[:, None] - pos_modes[None]) ** 2).sum(-1), axis=1)
        covered[name] = int((np.bincount(nearest, minlength=4) > 40).sum())
    assert covered == {"border": 2, "reach": 4}


def test_copies_are_judged_on_the_rows_the_user_gets():
    """A generated row whose discrete columns snap onto a real row when decoded is a copy: filter="copies"
    rejects it (it judged the rows before decoding, and 87 of 140 new rows were exact copies)."""
    from minority_gen import GANOversampler

    X = np.random.default_rng(0).integers(0, 2, size=(200, 8)).astype(float)  # 8 binary columns
    y = np.r_[np.zeros(170, int), np.ones(30, int)]
    sampler = GANOversampler(filter="copies", n_iter=30, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    real = {tuple(row) for row in X[y == 1]}
    assert not any(tuple(row) in real for row in X_res[len(X):])
    assert sampler.filter_report_[1]["dropped_copies"] > 0


def test_a_large_round_is_drawn_and_judged_in_parts_with_the_rows_and_report_of_one_draw(classes, monkeypatch):
    X_pos, X_neg = classes
    f = RowFilter().fit(X_pos, X_neg)
    pool = np.random.default_rng(5).normal(0, 1.5, (20_000, 2))
    pool[::3] = X_pos[np.arange(len(pool[::3])) % len(X_pos)]  # every third row a copy: some rows dropped

    def run(batch):
        monkeypatch.setattr(generation, "FILTER_BATCH", batch)
        sizes = []

        def draw(m):  # the next m rows of one stream, as a seeded generator gives them
            start = sum(sizes)
            sizes.append(m)
            return pool[start:start + m]

        return (*draw_filtered(draw, 3000, f), sizes)

    whole, report, sizes = run(10 ** 9)
    assert len(sizes) == report["rounds"] and max(sizes) > 256  # one draw a round
    parts, report_parts, part_sizes = run(256)
    assert max(part_sizes) == 256 and sum(part_sizes) == sum(sizes)  # the same rows drawn, 256 at most at once
    np.testing.assert_array_equal(parts, whole)
    assert report_parts == report


def test_generated_rows_do_not_depend_on_the_filter_batch(monkeypatch):
    from minority_gen import GANOversampler

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (80, 3)), rng.normal(2, 1, (20, 3))])
    y = np.r_[np.zeros(80, int), np.ones(20, int)]
    sampler = GANOversampler(n_iter=3, hidden_dims=(8,), batch_size=16, random_state=0).fit(X, y)
    assert 1 in sampler.model_.filters  # the default filter runs: its first round draws 1.1 x 20,000 rows
    from minority_gen.filtering import CHUNK_ROWS

    # a multiple of generate_rows' chunks (4096 rows, 256 images) and of the filter's: otherwise rows would change
    assert generation.FILTER_BATCH % 4096 == generation.FILTER_BATCH % CHUNK_ROWS == 0
    rows = sampler.sample(20_000, random_state=1)
    monkeypatch.setattr(generation, "FILTER_BATCH", 10 ** 9)  # the whole round in one draw, as before
    np.testing.assert_array_equal(sampler.sample(20_000, random_state=1), rows)
