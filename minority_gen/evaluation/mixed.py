"""Downstream evaluation of mixed-type tables: the classifier's preprocessing and a SMOTENC baseline.

A mixed table (text or ``category`` columns, flags, missing values; see
:mod:`minority_gen.tabular`) cannot be standardised before resampling, so
:func:`~minority_gen.evaluation.compare_oversamplers` resamples it as it is
and puts :func:`mixed_preprocessor` *after* the sampler, in front of the
classifier: numeric columns median-imputed with a missing indicator and
standardised, categorical and boolean columns one-hot encoded with
"missing" as a level of its own.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, SMOTENC
from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ..columns import BOOLEAN, CATEGORICAL, as_frame, detect_columns

MISSING_LEVEL = "<missing>"


def as_levels(X) -> pd.DataFrame:
    """Categorical columns as strings, missing cells as :data:`MISSING_LEVEL` (for the one-hot encoder)."""
    frame = as_frame(X).astype(object)
    return frame.where(frame.notna(), MISSING_LEVEL).astype(str)


def as_numbers(X) -> np.ndarray:
    """Numeric columns (nullable dtypes included) as float64, missing cells as NaN."""
    frame = as_frame(X)
    return np.column_stack([pd.to_numeric(frame.iloc[:, j], errors="coerce").to_numpy(dtype=np.float64,
                                                                                       na_value=np.nan)
                            for j in range(frame.shape[1])]) if frame.shape[1] else np.empty((len(frame), 0))


def split_columns(X) -> tuple[list[int], list[int]]:
    """Indices of the numeric and of the categorical (and boolean) columns of ``X``."""
    cols = detect_columns(X)
    categorical = [j for j, c in enumerate(cols) if c.kind in (CATEGORICAL, BOOLEAN)]
    return [j for j in range(len(cols)) if j not in categorical], categorical


def mixed_preprocessor(X) -> ColumnTransformer:
    """The classifier-side encoding of a mixed table like ``X`` (module docstring), unfitted."""
    numeric, categorical = split_columns(X)
    steps = []
    if numeric:
        steps.append(("numeric", make_pipeline(FunctionTransformer(as_numbers),
                                               SimpleImputer(strategy="median", add_indicator=True),
                                               StandardScaler()), numeric))
    if categorical:
        steps.append(("categorical", make_pipeline(FunctionTransformer(as_levels),
                                                   OneHotEncoder(handle_unknown="ignore")), categorical))
    return ColumnTransformer(steps, sparse_threshold=0.0)


class MixedSMOTENC(BaseEstimator):
    """imbalanced-learn's SMOTENC on a mixed table as it comes, a baseline for the GANs.

    The categorical and boolean columns are found as the GANs find them
    (:func:`~minority_gen.tabular.detect_columns`); without any, it is
    SMOTE. SMOTENC cannot interpolate missing values, so they are filled in
    first (numeric columns: the training rows' median; categorical: their
    most frequent level): the original rows come back unchanged, the
    synthetic ones have no missing values. ``k_neighbors`` is lowered to
    fit a small class, as :class:`~minority_gen.evaluation.NeighbourCap`
    does.
    """

    def __init__(self, k_neighbors: int = 3, random_state=None):
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def fit_resample(self, X, y):
        frame = as_frame(X)
        y = np.asarray(y)
        numeric, categorical = split_columns(frame)
        filled = frame.copy()
        for j in numeric:
            values = pd.Series(as_numbers(frame.iloc[:, [j]])[:, 0])
            filled.isetitem(j, values.fillna(values.median()).to_numpy())
        for j in categorical:
            col = frame.iloc[:, j].astype(object)
            filled.isetitem(j, col.where(col.notna(), col.mode().iloc[0]).to_numpy())
        smallest = min(Counter(y).values())
        if smallest < 2:
            raise ValueError(
                f"MixedSMOTENC needs at least 2 rows of every class to interpolate between; the smallest class "
                f"has {smallest}. Use 'ros' for such a class, fewer folds (cv), or gather more rows."
            )
        k = max(1, min(self.k_neighbors, smallest - 1))
        sampler = (SMOTENC(categorical_features=categorical, k_neighbors=k, random_state=self.random_state)
                   if categorical else SMOTE(k_neighbors=k, random_state=self.random_state))
        X_res, y_res = clone(sampler).fit_resample(filled, y)
        new = pd.DataFrame(X_res).iloc[len(frame):].set_axis(frame.columns, axis=1)
        for j, dtype in enumerate(frame.dtypes):
            values = new.iloc[:, j]
            if j in numeric and pd.api.types.is_integer_dtype(dtype):  # interpolated: round, not truncate
                values = np.rint(values.astype(float))
            new.isetitem(j, values.astype(dtype))
        out = pd.concat([frame, new], ignore_index=True)
        return (out if isinstance(X, pd.DataFrame) else out.to_numpy()), y_res
