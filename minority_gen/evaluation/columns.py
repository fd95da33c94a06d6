"""Per-column fidelity of synthetic tables, for every column kind (:mod:`minority_gen.tabular`).

* :func:`column_fidelity` — one row per column: for categorical and boolean
  columns the total variation distance between the real and synthetic
  level frequencies (``tvd``, 0 = same frequencies, 1 = disjoint); for
  continuous and integer columns the Kolmogorov–Smirnov statistic of the
  observed values (``ks``, 0 = same distribution); either is NaN where a
  table has no observed cell in the column (its missing rate says so); for
  every column the real and synthetic missing rates.
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

from ..columns import (
    BOOLEAN,
    CATEGORICAL,
    CONTINUOUS,
    INTEGER,
    as_frame,
    describe_column,
    detect_columns,
    needs_mixed_codec,
)
from ..tabular import MixedTableCodec


def is_mixed_table(X) -> bool:
    """Whether ``X`` needs :func:`encode_for_metrics`: the tables the sampler reads with its mixed codec."""
    return np.ndim(X) == 2 and needs_mixed_codec(X, "auto")


def plain_numbers(X) -> bool:
    """Whether every column of ``X`` holds numbers of a NumPy dtype (not flags, not nullable ones: imbalanced-learn
    cannot cast interpolated values back to those) and no cell is missing: a table the numeric-only samplers take
    (``load_breast_cancer(as_frame=True)`` as much as its array)."""
    if isinstance(X, pd.DataFrame):
        return (len(X.columns) > 0 and all(isinstance(d, np.dtype) and d.kind in "iuf" for d in X.dtypes)
                and not X.isna().to_numpy().any())
    arr = np.asarray(X)
    return arr.dtype.kind in "iuf" and not (arr.dtype.kind == "f" and np.isnan(arr).any())


def refuse_numeric_only(numeric_only: list, X) -> None:
    """Refuse the samplers ``numeric_only`` (SMOTE, ADASYN, Borderline-SMOTE: names or labels) for a table that is
    not :func:`plain_numbers`, naming what to use instead."""
    if numeric_only and not plain_numbers(X):
        raise ValueError(
            f"oversamplers {numeric_only} need an all-numeric table without missing values, but X has "
            "categorical, boolean, nullable (e.g. Int64) or missing values. Use 'smotenc' (SMOTENC on the table "
            "as it is), 'ros' or a GAN method for a mixed table, or encode and impute X first."
        )


def align_columns(X_real, X_other, name: str = "X_fake"):
    """``X_other`` with ``X_real``'s columns in ``X_real``'s order.

    Two DataFrames are matched by column name (generated rows whose columns
    come in another order are reordered; a missing or unexpected name is a
    ``ValueError`` naming it); otherwise columns are matched by position and
    the widths must agree.
    """
    if np.ndim(X_other) != 2:
        raise ValueError(f"{name} must be a 2-D table (n_samples, n_features); got shape {np.shape(X_other)}.")
    if isinstance(X_real, pd.DataFrame) and isinstance(X_other, pd.DataFrame):
        if list(X_other.columns) == list(X_real.columns):
            return X_other
        real, other = set(X_real.columns), set(X_other.columns)
        missing = [c for c in X_real.columns if c not in other]
        extra = [c for c in X_other.columns if c not in real]
        if missing or extra or X_other.columns.duplicated().any():
            raise ValueError(f"{name}'s columns do not match X_real's: missing {missing[:10]}, not in X_real "
                             f"{extra[:10]}; pass {name} with the columns of X_real (e.g. {name}[X_real.columns]).")
        return X_other[list(X_real.columns)]
    if np.shape(X_other)[1] != np.shape(X_real)[1]:
        raise ValueError(f"X_real has {np.shape(X_real)[1]} columns and {name} {np.shape(X_other)[1]}; they must "
                         "match (the same columns in the same order).")
    return X_other


def _check_numeric(columns, frame: pd.DataFrame, name: str) -> None:
    """A numeric column of ``X_real`` (``columns``) must hold finite numbers or missing cells in ``frame``."""
    for j, col in enumerate(columns):
        if col.kind not in (CONTINUOUS, INTEGER):
            continue
        s = frame.iloc[:, j]
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = (np.isnan(v) & s.notna().to_numpy()) | np.isinf(v)
        if bad.any():
            raise ValueError(f"{describe_column(col.name)} is numeric in X_real but {name} holds "
                             f"{s[bad].iloc[0]!r} ({int(bad.sum())} such cells); give {name} finite numbers or "
                             "missing cells there (generated rows with X_real's columns and dtypes).")


def encode_for_metrics(X_real, *others, names=("X_fake", "X_holdout")) -> list[np.ndarray]:
    """``X_real`` and each table of ``others`` encoded with the codec fitted on ``X_real`` (module docstring).

    The columns of ``others`` are matched to ``X_real``'s by :func:`align_columns`
    (``names`` name the tables of ``others`` in its errors); a numeric column
    of ``X_real`` holding text or infinite values in another table is a
    ``ValueError``. A level that ``X_real`` does not have (e.g. in held-out
    rows), or a missing cell in a categorical or boolean column that has
    none in ``X_real``, is encoded as an all-zero block.
    """
    codec = MixedTableCodec().fit(X_real)
    out = [codec.encode(X_real, unknown="ignore").astype(np.float64)]
    for i, X in enumerate(others):
        name = names[i] if i < len(names) else f"table {i + 1} after X_real"
        X = align_columns(X_real, X, name)
        _check_numeric(codec.columns_, as_frame(X), name)
        out.append(codec.encode(X, unknown="ignore").astype(np.float64))  # a missing cell of a column without
        # missing real cells, like an unseen level, is an all-zero block
    return out


def column_fidelity(X_real, X_fake, *, reference=None) -> pd.DataFrame:
    """Per-column distances between real and synthetic rows (module docstring).

    The columns of ``X_fake`` are matched to ``X_real``'s by
    :func:`align_columns` (by name for two DataFrames). Each column's kind
    is read from ``reference`` (default ``X_real``): pass all real rows
    there when ``X_real`` is one class's rows, so that a column missing in
    every row of that class is reported (``missing_real`` 1.0, ``value``
    NaN for a numeric column) rather than refused.

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
    if len(X_real) == 0:
        raise ValueError("X_real has no rows.")
    X_fake = align_columns(X_real, X_fake)
    if reference is not None:
        X_real = align_columns(reference, X_real, "X_real")
    columns = detect_columns(X_real if reference is None else reference)
    real, fake = as_frame(X_real), as_frame(X_fake)
    _check_numeric(columns, fake, "X_fake")
    rows = []
    for j, col in enumerate(columns):
        r, f = real.iloc[:, j], fake.iloc[:, j]
        row = {"column": col.name, "kind": col.kind, "missing_real": float(r.isna().mean()),
               "missing_fake": float(f.isna().mean()) if len(f) else float("nan")}
        if col.kind in (CATEGORICAL, BOOLEAN):
            p = r.dropna().value_counts(normalize=True)
            q = f.dropna().value_counts(normalize=True)
            levels = p.index.union(q.index)
            value = (float(0.5 * np.abs(p.reindex(levels, fill_value=0) - q.reindex(levels, fill_value=0)).sum())
                     if len(p) and len(q) else float("nan"))  # no observed level on a side: no frequencies
            row.update(metric="tvd", value=value)
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
