"""Per-column fidelity of synthetic tables, for every column kind (:mod:`minority_gen.tabular`).

* :func:`column_fidelity` — one row per column: for categorical and boolean
  columns the total variation distance between the real and synthetic
  level frequencies (``tvd``, 0 = same frequencies, 1 = disjoint); for
  continuous and integer columns the Kolmogorov–Smirnov statistic of the
  observed values (``ks``, 0 = same distribution); for every column the
  real and synthetic missing rates.
* :func:`correlation_difference` — the mean absolute difference between
  the real and the synthetic correlation matrices of the tables'
  *encoding* (:func:`encode_for_metrics`): how well the relations between
  columns are kept.
* :func:`encode_for_metrics` — the documented encoding on which the
  distance-based metrics (PRDC, Fréchet, MMD, C2ST, memorisation) see a
  mixed table: :class:`~minority_gen.tabular.MixedTableCodec` fitted on the
  real rows (continuous and integer columns standardised by the real rows,
  missing cells at the mean plus an observed / missing indicator pair;
  categorical and boolean columns one-hot, missing as its own level).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from ..columns import BOOLEAN, CATEGORICAL, as_frame, needs_mixed_codec
from ..tabular import MixedTableCodec


def is_mixed_table(X) -> bool:
    """Whether ``X`` needs :func:`encode_for_metrics`: the tables the sampler reads with its mixed codec."""
    return np.ndim(X) == 2 and needs_mixed_codec(X, "auto")


def encode_for_metrics(X_real, *others) -> list[np.ndarray]:
    """``X_real`` and each table of ``others`` encoded with the codec fitted on ``X_real`` (module docstring).

    A level that ``X_real`` does not have (e.g. in held-out rows) is
    encoded as an all-zero block.
    """
    codec = MixedTableCodec().fit(X_real)
    return [codec.encode(X, unknown="ignore").astype(np.float64) for X in (X_real, *others)]


def column_fidelity(X_real, X_fake) -> pd.DataFrame:
    """Per-column distances between real and synthetic rows (module docstring).

    Returns
    -------
    pandas.DataFrame
        ``column``, ``kind``, ``metric`` (``"tvd"`` or ``"ks"``), ``value``,
        ``missing_real``, ``missing_fake``.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"sex": ["F", "F", "M", "M"], "age": [50.0, 61.0, None, 70.0]})
    >>> fake = pd.DataFrame({"sex": ["F", "F", "F", "M"], "age": [52.0, 60.0, 66.0, None]})
    >>> column_fidelity(real, fake)[["column", "metric", "value", "missing_real"]].values.tolist()
    [['sex', 'tvd', 0.25, 0.0], ['age', 'ks', 0.3333333333333333, 0.25]]
    """
    codec = MixedTableCodec().fit(X_real)
    real, fake = as_frame(X_real), as_frame(X_fake)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"X_real has {real.shape[1]} columns and X_fake {fake.shape[1]}; they must match.")
    rows = []
    for j, col in enumerate(codec.columns_):
        r, f = real.iloc[:, j], fake.iloc[:, j]
        row = {"column": col.name, "kind": col.kind, "missing_real": float(r.isna().mean()),
               "missing_fake": float(f.isna().mean()) if len(f) else float("nan")}
        if col.kind in (CATEGORICAL, BOOLEAN):
            p = r.dropna().value_counts(normalize=True)
            q = f.dropna().value_counts(normalize=True)
            levels = p.index.union(q.index)
            row.update(metric="tvd", value=float(0.5 * np.abs(p.reindex(levels, fill_value=0)
                                                               - q.reindex(levels, fill_value=0)).sum()))
        else:
            a = pd.to_numeric(r, errors="coerce").dropna().to_numpy(dtype=float)
            b = pd.to_numeric(f, errors="coerce").dropna().to_numpy(dtype=float)
            value = float(ks_2samp(a, b).statistic) if len(a) and len(b) else float("nan")
            row.update(metric="ks", value=value)
        rows.append(row)
    return pd.DataFrame(rows, columns=["column", "kind", "metric", "value", "missing_real", "missing_fake"])


def _corr(E: np.ndarray) -> np.ndarray:
    sd = E.std(axis=0)
    keep = sd > 1e-12
    C = np.full((E.shape[1], E.shape[1]), np.nan)
    if keep.sum() >= 2:
        C[np.ix_(keep, keep)] = np.corrcoef(E[:, keep], rowvar=False)
    return C


def correlation_difference(X_real, X_fake) -> float:
    """Mean |corr_real − corr_fake| over pairs of encoded columns varying in both tables (module docstring).

    0: the same linear relations between (encoded) columns; at most 2.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 1))
    >>> real = np.c_[x, x + 0.1 * rng.normal(size=(500, 1))]
    >>> noise = rng.normal(size=(500, 2))
    >>> round(correlation_difference(real, real[::-1]), 2), round(correlation_difference(real, noise), 1)
    (0.0, 1.0)
    """
    E_real, E_fake = encode_for_metrics(X_real, X_fake)
    Cr, Cf = _corr(E_real), _corr(E_fake)
    upper = np.triu(np.ones_like(Cr, dtype=bool), 1) & np.isfinite(Cr) & np.isfinite(Cf)
    return float(np.abs(Cr - Cf)[upper].mean()) if upper.any() else float("nan")
