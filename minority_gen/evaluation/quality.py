"""All generative-quality metrics for one set of synthetic rows, per generated class.

:func:`generative_quality` scores given synthetic rows;
:func:`oversampler_quality` fits oversamplers by name and scores the rows
each adds.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from .columns import (
    align_columns,
    column_fidelity,
    correlation_difference,
    encode_for_metrics,
    is_mixed_table,
    refuse_numeric_only,
)
from .features import SmallCNNFeatures, to_nchw
from .image_checks import check_pixel_scales
from .judges import am_score, c2st_accuracy, fake_labels
from .metrics import MAX_SAMPLES, frechet_distance, memorisation, mmd2, prdc
from .samplers import NONE, NUMERIC_ONLY, make_oversampler

QUALITY_METRICS = {
    # name: (range, better)
    "mmd2": ("≈[0, 2]", "lower"),
    "frechet": ("[0, ∞)", "lower"),
    "precision": ("[0, 1]", "higher"),
    "recall": ("[0, 1]", "higher"),
    "density": ("[0, ∞)", "≈1"),
    "coverage": ("[0, 1]", "higher"),
    "c2st_accuracy": ("[0, 1]", "0.5"),
    "class_fidelity": ("[0, 1]", "higher"),
    "am_score": ("[0, ∞)", "lower"),
    "dcr_ratio": ("[0, ∞)", "≥1"),
    "near_copies": ("{0, 1, …}", "0"),
    "numeric_ks": ("[0, 1]", "lower"),
    "category_tvd": ("[0, 1]", "lower"),
    "missing_rate_diff": ("[0, 1]", "lower"),
    "corr_diff": ("[0, 2]", "lower"),
}
"""Columns of :func:`generative_quality` with their range and better direction."""


def _is_image(X) -> bool:
    return np.asarray(X).ndim >= 3


def _flat(X) -> np.ndarray:
    arr = np.asarray(X, dtype=np.float64)
    return arr.reshape(len(arr), -1)


def _rows(X, mask):
    return X.iloc[np.flatnonzero(mask)] if isinstance(X, pd.DataFrame) else np.asarray(X)[mask]


def _column_scores(real, fake, reference) -> dict[str, float]:
    cols = column_fidelity(real, fake, reference=reference)
    # values on one side only (the other table never observes the column): as far apart as the statistic goes
    one_sided = (cols.missing_real == 1) != (cols.missing_fake == 1)
    cols["value"] = cols["value"].mask(one_sided, 1.0)
    numeric, categorical = cols[cols.metric == "ks"], cols[cols.metric == "tvd"]
    # a column missing in every real row of the class varies in no pair: leaving it out changes no correlation
    observed = np.flatnonzero(cols.missing_real.to_numpy() < 1)
    real, fake = (t.iloc[:, observed] if isinstance(t, pd.DataFrame) else np.asarray(t)[:, observed]
                  for t in (real, align_columns(real, fake)))
    return {
        "numeric_ks": float(numeric.value.mean()) if len(numeric) else float("nan"),
        "category_tvd": float(categorical.value.mean()) if len(categorical) else float("nan"),
        "missing_rate_diff": float((cols.missing_real - cols.missing_fake).abs().mean()),
        "corr_diff": correlation_difference(real, fake) if len(observed) else float("nan"),
    }


def _check_inputs(X_real, y_real, X_fake, y_fake, X_holdout, y_holdout):
    """``y_real``, ``y_fake`` (broadcast) and ``X_fake``, ``X_holdout`` matched to ``X_real``'s columns."""
    for name, X in (("X_real", X_real), ("X_fake", X_fake), ("X_holdout", X_holdout)):
        if X is not None and np.ndim(X) < 2:
            raise ValueError(f"{name} must be a 2-D table or images (3-D/4-D); got shape {np.shape(X)}.")
        if X is not None and len(X) == 0:
            raise ValueError(f"{name} has no rows.")
    y_real = np.asarray(y_real)
    if y_real.ndim != 1 or len(y_real) != len(X_real):
        raise ValueError(f"y_real has {y_real.size} labels for {len(X_real)} rows; pass one label per row.")
    if len(np.unique(y_real)) < 2:
        raise ValueError(f"y_real holds the one class {y_real[0]!r}; the judge needs real rows of at least 2 "
                         "classes (pass all real rows and their labels, not just the class generated).")
    y_fake = fake_labels(y_fake, len(X_fake))
    if X_holdout is not None and (y_holdout is None or len(y_holdout) != len(X_holdout)):
        raise ValueError("X_holdout needs y_holdout with one label per row.")
    image = _is_image(X_real)
    if image != _is_image(X_fake) or (X_holdout is not None and image != _is_image(X_holdout)):
        raise ValueError("X_real, X_fake (and X_holdout) must all be tables (2-D) or all be images (3-D/4-D).")
    if image:
        _check_images(X_real, X_fake, "X_fake")
        if X_holdout is not None:
            _check_images(X_real, X_holdout, "X_holdout")
    else:
        X_fake = align_columns(X_real, X_fake, "X_fake")
        X_holdout = None if X_holdout is None else align_columns(X_real, X_holdout, "X_holdout")
    return y_real, X_fake, y_fake, X_holdout, image


def _check_images(X_real, X_other, name: str) -> None:
    """The same image shape, and pixels on the same scale (:func:`to_nchw` divides ``uint8`` by 255)."""
    real, other = to_nchw(X_real[:1]), to_nchw(X_other[:1])
    if real.shape[1:] != other.shape[1:]:
        raise ValueError(f"{name}'s images have shape {other.shape[1:]} (C, H, W) and X_real's {real.shape[1:]}; "
                         "they must match.")
    check_pixel_scales({"X_real": (np.asarray(X_real), None), name: (np.asarray(X_other), None)})


def _finite(X, name: str) -> np.ndarray:
    arr = _flat(X)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds {int((~np.isfinite(arr)).sum())} infinite values; replace or drop those "
                         "rows (a numeric table's missing cells are NaN).")
    return arr


def generative_quality(X_real, y_real, X_fake, y_fake, *, X_holdout=None, y_holdout=None, extractor=None,
                       judge=None, k: int = 5, max_samples: int | None = MAX_SAMPLES,
                       random_state=0) -> pd.DataFrame:
    """Every quality metric of synthetic rows against the real rows of their class.

    Features: for tables, the columns standardised with the real rows'
    mean and standard deviation; for images (arrays with 3 or 4
    dimensions, see :func:`~minority_gen.evaluation.features.to_nchw`),
    ``extractor.transform`` (default: a :class:`SmallCNNFeatures` fitted on
    ``X_real, y_real``). On those features, for each class ``c`` in
    ``y_fake``, the synthetic rows of ``c`` are compared with the real rows
    of ``c``: MMD², Fréchet distance, precision / recall / density /
    coverage (``k``-NN), C2ST accuracy; a *judge* classifier (default:
    logistic regression on the features) trained on all real rows gives the
    class fidelity and the AM score (``C̄_train`` = the judge's mean
    prediction on the real rows of ``c``). Memorisation compares raw rows
    (pixels for images) with the real rows of ``c`` (the generator's
    training rows) and ``X_holdout`` of ``c`` when given (otherwise
    leave-one-out distances).

    Tables also get per-column fidelity (:mod:`.columns`): ``numeric_ks``,
    the mean Kolmogorov–Smirnov statistic over continuous and integer
    columns; ``category_tvd``, the mean total variation distance of the
    level frequencies over categorical and boolean columns;
    ``missing_rate_diff``, the mean absolute difference of the missing
    rates; ``corr_diff``, :func:`~.columns.correlation_difference` (NaN
    where a table has no such column). A column observed in one table and
    missing in every row of the other counts 1 in ``numeric_ks`` or
    ``category_tvd``; one missing everywhere in both is left out. Mixed tables (DataFrames, object
    arrays, missing values) enter the distance-based metrics through
    :func:`~.columns.encode_for_metrics`: standardised numbers, one-hot
    categories and missing-value indicators, fitted on ``X_real``.

    Parameters
    ----------
    X_real, y_real : real rows the generator learnt from, and their labels
    X_fake, y_fake : synthetic rows and the class each was generated for
        (a single label is broadcast)
    X_holdout, y_holdout : real rows the generator did not see, optional
    extractor : object with ``transform`` (and optionally ``fit(X, y)``), optional
        Image feature extractor; ignored for tables.
    judge : classifier, optional
        Cloned and fitted on the real features for class fidelity and the
        AM score (the estimator passed is left as it is, as in
        :func:`~.judges.class_fidelity`).
    k : int, default=5
        Neighbours for precision / recall / density / coverage (lowered to
        ``n - 1``, ``n`` the fewer of the class's real and synthetic rows
        and ``max_samples``).
    max_samples : int or None, default=2000
        Cap on rows per set for the quadratic metrics (MMD, PRDC, C2ST);
        at least 3. Memorisation always compares every row.
    random_state : int, default=0

    Returns
    -------
    pandas.DataFrame
        One row per generated class: ``class``, ``n_real``, ``n_fake`` and
        the columns of :data:`QUALITY_METRICS` plus ``dcr_synthetic``,
        ``dcr_reference``, ``near_copy_share``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = np.r_[rng.normal(0, 1, (80, 2)), rng.normal(4, 1, (20, 2))], np.r_[[0] * 80, [1] * 20]
    >>> table = generative_quality(X, y, rng.normal(4, 1, (30, 2)), 1)
    >>> table[["class", "n_real", "n_fake"]].values.tolist()
    [[1, 20, 30]]
    """
    if max_samples is not None and (not isinstance(max_samples, (int, np.integer)) or isinstance(max_samples, bool)
                                    or max_samples < 3):
        raise ValueError(f"max_samples must be None or an int of at least 3 (the rows per set the metrics need); "
                         f"got {max_samples!r}.")
    y_real, X_fake, y_fake, X_holdout, image = _check_inputs(X_real, y_real, X_fake, y_fake, X_holdout, y_holdout)

    if image:
        fx = SmallCNNFeatures(random_state=random_state) if extractor is None else extractor
        if hasattr(fx, "fit"):
            fx.fit(X_real, y_real)
        raw_real, raw_fake = _flat(to_nchw(X_real)), _flat(to_nchw(X_fake))
        raw_hold = None if X_holdout is None else _flat(to_nchw(X_holdout))
        F_real, F_fake = fx.transform(X_real), fx.transform(X_fake)
        scaler = StandardScaler().fit(F_real)
        F_real, F_fake = scaler.transform(F_real), scaler.transform(F_fake)
    elif is_mixed_table(X_real) or is_mixed_table(X_fake):
        raw_real, raw_fake, *hold = encode_for_metrics(X_real, X_fake, *([] if X_holdout is None else [X_holdout]))
        raw_hold = hold[0] if hold else None
        scaler = StandardScaler().fit(raw_real)
        F_real, F_fake = scaler.transform(raw_real), scaler.transform(raw_fake)
    else:
        raw_real, raw_fake = _finite(X_real, "X_real"), _finite(X_fake, "X_fake")
        raw_hold = None if X_holdout is None else _finite(X_holdout, "X_holdout")
        scaler = StandardScaler().fit(raw_real)
        F_real, F_fake = scaler.transform(raw_real), scaler.transform(raw_fake)

    judge = LogisticRegression(max_iter=3000) if judge is None else clone(judge)
    judge.fit(F_real, y_real)
    classes = list(judge.classes_)
    rows = []
    for c in pd.unique(y_fake):
        if c not in classes:
            raise ValueError(f"y_fake has class {c!r}, which y_real does not contain.")
        real_c, fake_c = F_real[y_real == c], F_fake[y_fake == c]
        n_min = min(len(real_c), len(fake_c), max_samples or len(real_c))  # the rows the quadratic metrics use
        row = {"class": c, "n_real": len(real_c), "n_fake": len(fake_c)}
        if n_min < 3:
            raise ValueError(
                f"Class {c!r} has {len(real_c)} real and {len(fake_c)} synthetic rows; the quality "
                "metrics need at least 3 of each."
            )
        row["mmd2"] = mmd2(real_c, fake_c, max_samples=max_samples, random_state=random_state)
        row["frechet"] = frechet_distance(real_c, fake_c)
        row.update(prdc(real_c, fake_c, k=min(k, n_min - 1), max_samples=max_samples,
                        random_state=random_state))
        row["c2st_accuracy"] = c2st_accuracy(real_c, fake_c, cv=min(5, n_min), max_samples=max_samples,
                                             random_state=random_state)
        row["class_fidelity"] = float((judge.predict(fake_c) == c).mean())
        row["am_score"] = am_score(judge.predict_proba(fake_c), judge.predict_proba(real_c))
        hold_c = None if raw_hold is None else raw_hold[np.asarray(y_holdout) == c]
        mem = memorisation(raw_real[y_real == c], raw_fake[y_fake == c],
                           None if hold_c is None or len(hold_c) == 0 else hold_c)
        row.update({key: mem[key] for key in ("dcr_ratio", "near_copies", "dcr_synthetic", "dcr_reference",
                                              "near_copy_share")})
        if not image:
            row.update(_column_scores(_rows(X_real, y_real == c), _rows(X_fake, y_fake == c), X_real))
        rows.append(row)
    return pd.DataFrame(rows)


def oversampler_quality(X, y, oversamplers: Sequence[str] = ("ros", "smote"), *, random_state: int | None = 0,
                        gan_params: dict | None = None, errors: str = "raise", progress: bool = False
                        ) -> pd.DataFrame:
    """Fit each oversampler on all rows of a table and score the rows it adds, per class.

    A numeric table (an array) is standardised first, and the sampler and
    the metrics see it standardised; a mixed table (a DataFrame, or an
    object array with text or missing cells) is resampled as it is and
    scored through the metrics' mixed-table encoding. Each sampler must
    return the original rows first (as imbalanced-learn's over-samplers and
    ``GANOversampler`` do); the rows after them are its synthetic rows,
    scored with :func:`generative_quality` against the real rows of their
    class.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    oversamplers : sequence of str, default=("ros", "smote")
        Names from :func:`~minority_gen.evaluation.available_oversamplers`;
        ``"none"`` (which adds no rows) is passed over.
    random_state : int or None, default=0
        Seeds the samplers and the metrics.
    gan_params : dict, default=None
        ``GANOversampler`` options for the GAN methods, e.g. ``{"n_iter": 500}``.
    errors : {"raise", "warn"}, default="raise"
        When an oversampler adds no rows, does not keep the original rows
        first, or its rows cannot be scored (e.g. a class with fewer than 3
        rows): raise a ``ValueError``, or warn (``UserWarning``, the message
        starting with the oversampler's name) and leave it out.
    progress : bool, default=False
        A progress bar over the oversamplers.

    Returns
    -------
    pandas.DataFrame
        :func:`generative_quality`'s columns for each oversampler and class,
        after an ``oversampler`` column; ``fit_time_s`` is the seconds the
        sampler took. Empty when no oversampler could be scored.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(120, n_features=4, weights=[0.8], random_state=0)
    >>> table = oversampler_quality(X, y, ["none", "ros", "smote"])
    >>> table[["oversampler", "class", "n_fake"]].values.tolist()
    [['ros', 1, 74], ['smote', 1, 74]]
    >>> int(table.set_index("oversampler").loc["ros", "near_copies"])  # random oversampling copies rows
    74
    """
    if errors not in ("raise", "warn"):
        raise ValueError(f"errors must be 'raise' or 'warn'; got {errors!r}.")
    if isinstance(oversamplers, str):
        raise TypeError(f"oversamplers must be a sequence of names; got the string {oversamplers!r} (pass "
                        f"[{oversamplers!r}]).")
    if np.ndim(X) != 2:
        raise ValueError(f"X must be a 2-D table (n_samples, n_features); got shape {np.shape(X)}. For images, "
                         "score the rows a sampler adds with generative_quality.")
    if np.ndim(y) != 1 or len(y) != len(X):
        raise ValueError(f"y has {np.size(y)} labels for {len(X)} rows; pass one label per row.")
    mixed = is_mixed_table(X)
    numeric_only = [m for m in oversamplers if m in NUMERIC_ONLY]
    refuse_numeric_only(numeric_only, X)
    if mixed:
        Xs = X.reset_index(drop=True) if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
    else:
        Xs = StandardScaler().fit_transform(np.asarray(X, dtype=np.float64))
    y = np.asarray(y)

    def skip(message: str) -> None:
        if errors == "raise":
            raise ValueError(message)
        warnings.warn(message, UserWarning, stacklevel=3)

    frames = []
    for name in tqdm([m for m in oversamplers if m != NONE], desc="generative quality", disable=not progress):
        sampler = make_oversampler(name, random_state, gan_params)
        start = time.perf_counter()
        X_res, y_res = sampler.fit_resample(Xs, y)
        seconds = time.perf_counter() - start
        y_res = np.asarray(y_res)
        if mixed:
            kept = len(X_res) > len(Xs) and X_res.iloc[:len(Xs)].reset_index(drop=True).equals(Xs)
            new = X_res.iloc[len(Xs):]
        else:
            X_res = np.asarray(X_res)
            kept = len(X_res) > len(Xs) and np.array_equal(X_res[:len(Xs)], Xs)
            new = X_res[len(Xs):]
        if not kept:
            skip(f"{name}: no synthetic rows to score (or original rows not kept first); skipped.")
            continue
        try:
            q = generative_quality(Xs, y, new, y_res[len(Xs):], random_state=random_state)
        except ValueError as exc:  # e.g. a class too small for the metrics: report the rest
            skip(f"{name}: generative quality skipped: {exc}")
            continue
        frames.append(q.assign(oversampler=name, fit_time_s=seconds))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["oversampler", *out.columns.drop("oversampler")]]
