"""Per-column fidelity and the mixed-table encoding of the quality metrics (issue 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minority_gen.evaluation import column_fidelity, correlation_difference, encode_for_metrics, generative_quality


def frame(n, p_a, mu, miss, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "grp": rng.choice(["a", "b"], n, p=[p_a, 1 - p_a]),
        "flag": rng.random(n) < p_a,
        "val": np.where(rng.random(n) < miss, np.nan, rng.normal(mu, 1, n)),
    })


def test_tvd_ks_and_missing_rates_by_hand():
    real = pd.DataFrame({"c": ["a", "a", "b", "c"], "x": [1.0, 2.0, 3.0, np.nan]})
    fake = pd.DataFrame({"c": ["a", "b", "b", "b"], "x": [1.5, 2.5, np.nan, np.nan]})
    out = column_fidelity(real, fake).set_index("column")
    # level frequencies (.5, .25, .25) vs (.25, .75, 0): TVD = (.25 + .5 + .25) / 2
    assert out.loc["c", "metric"] == "tvd" and out.loc["c", "value"] == pytest.approx(0.5)
    # observed x: {1, 2, 3} vs {1.5, 2.5}: the CDFs differ by at most 1/2 (at 1.5: 1/3 vs 1/2 ... at 2.5: 2/3 vs 1)
    assert out.loc["x", "metric"] == "ks" and out.loc["x", "value"] == pytest.approx(1 / 3)
    assert out.loc["x", ["missing_real", "missing_fake"]].tolist() == [0.25, 0.5]


def test_correlation_difference_sees_broken_relations():
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    real = pd.DataFrame({"x": x, "sign": np.where(x > 0, "pos", "neg")})
    kept = pd.DataFrame({"x": -x[::-1], "sign": np.where(-x[::-1] > 0, "pos", "neg")})
    broken = pd.DataFrame({"x": x, "sign": rng.permutation(real["sign"].to_numpy())})
    assert correlation_difference(real, kept) < 0.05
    assert correlation_difference(real, broken) > 0.5


def test_encoding_is_fitted_on_the_real_rows():
    real, fake = frame(50, 0.5, 0.0, 0.2, 0), frame(30, 0.9, 3.0, 0.0, 1)
    E_real, E_fake = encode_for_metrics(real, fake)
    assert E_real.shape[1] == E_fake.shape[1] == 1 + 2 + 2 + 2  # val, grp, flag, val's missing pair
    assert abs(E_real[:, 0][real["val"].notna().to_numpy()].mean()) < 1e-6  # standardised by the real rows
    assert E_fake[:, 0].mean() > 2


def test_generative_quality_on_mixed_tables_ranks_a_worse_sampler_worse():
    real = frame(200, 0.3, 0.0, 0.25, 0)
    y = np.r_[[0] * 100, [1] * 100]
    good, bad = frame(100, 0.3, 0.0, 0.25, 1), frame(100, 0.9, 2.0, 0.0, 2)
    q_good = generative_quality(real, y, good, 1).iloc[0]
    q_bad = generative_quality(real, y, bad, 1).iloc[0]
    for col in ["numeric_ks", "category_tvd", "missing_rate_diff", "mmd2", "frechet"]:
        assert q_bad[col] > q_good[col], col
    assert q_good["category_tvd"] < 0.1 and q_good["missing_rate_diff"] < 0.1
