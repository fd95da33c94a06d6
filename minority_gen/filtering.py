"""Filtering generated rows: drop near-copies of training rows, rows the class's neighbourhood rejects and rows
a linear model of the real rows puts across the border.

:class:`RowFilter` is fitted on the real rows of one class (``X_pos``) and of the other classes (``X_neg``), in the
(standardised) training space; :func:`~minority_gen.generation.draw_filtered` draws from a generator until exactly
the requested number of rows has passed the filter. Nothing here is random: the same rows always get the same
verdict.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

CRITERIA = ("copies", "knn", "border", "reach")
"""The criteria :class:`RowFilter` knows, in the order they are checked."""
LINEAR = ("border", "reach")
"""The criteria that threshold the real rows' logistic-regression margin (at 0, at ``border_floor_``)."""

CHUNK_ROWS = 8192
"""Candidate rows per neighbour query, so memory stays bounded for any number of candidates."""

def _is(value, kind) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _rows(X, name: str, n_features: int | None = None, min_rows: int = 0) -> np.ndarray:
    arr = np.array(X, dtype=np.float64)  # a copy of its own: -0.0 turned into 0.0 in place below
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}.")
    if len(arr) < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} rows; got {len(arr)}.")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features, as in fit; got {arr.shape[1]}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf; got {int((~np.isfinite(arr)).any(1).sum())} such rows.")
    arr += 0.0  # turns -0.0 into 0.0, so equal rows have equal bytes
    return arr


def _parse_criteria(criteria) -> tuple[str, ...]:
    if not isinstance(criteria, str):
        raise TypeError(f"criteria must be a comma-separated str such as 'copies,knn'; got {criteria!r}.")
    names = [c.strip() for c in criteria.split(",") if c.strip()]
    unknown = [c for c in names if c not in CRITERIA]
    if unknown or not names:
        detail = f" (unknown: {', '.join(map(repr, unknown))})" if unknown else ""
        raise ValueError(f"criteria must name one or more of {', '.join(map(repr, CRITERIA))} separated by commas "
                         "(to filter nothing, pass GANOversampler(filter=None), or use no RowFilter); "
                         f"got {criteria!r}{detail}.")
    return tuple(c for c in CRITERIA if c in names)


class RowFilter(BaseEstimator):
    """Reject generated rows that copy a real row or sit where the real rows are of another class.

    Parameters
    ----------
    criteria : str, default="copies,knn"
        Comma-separated subset of

        * ``"copies"``: reject a candidate whose distance to its nearest row of ``X_pos`` is at most
          ``copy_tol`` × the median leave-one-out nearest-neighbour distance among the ``X_pos`` rows. Exact
          copies are always rejected. When duplicated rows make that median 0, the smallest non-zero
          leave-one-out distance is used instead; when all are 0, only exact copies are rejected.
        * ``"knn"``: the *share* of a candidate is the fraction of ``X_pos`` rows among its ``k`` nearest rows
          of ``X_pos ∪ X_neg``; the reference is the same share for every real ``X_pos`` row among its ``k``
          nearest *other* rows (leave-one-out). A candidate is rejected when its share is strictly below the
          ``quantile``-quantile (lower value) of the reference shares, so at most a ``quantile`` share of the
          real positive rows would fail the test themselves (about 5% with the default); a threshold of 0
          rejects nothing. Skipped when ``X_neg`` is ``None`` or empty (see ``criteria_``).
        * ``"border"``: reject a candidate that a logistic regression trained on the real rows
          (``X_pos`` against ``X_neg``, ``class_weight="balanced"``) assigns to the other classes: its
          margin towards ``X_pos`` is below 0. So no kept row lies across the linear border of the real
          rows (SMOTE's rows can). Skipped when ``X_neg`` is ``None`` or empty.
        * ``"reach"``: the same logistic regression, but a candidate is rejected only when its margin is
          below ``border_floor_``, the lower of 0 and the ``quantile``-quantile (lower value) of the real
          ``X_pos`` rows' own margins: a kept row lies no farther across the linear border than the
          class's own real rows do (those of a mode that no line separates from the other classes keep
          their rows). On data a line separates it is ``"border"``. Not with ``"border"``; skipped when
          ``X_neg`` is ``None`` or empty.
    copy_tol : float, default=0.1
        Near-copy radius, relative to the typical distance between real rows; ``0`` rejects exact copies only.
    k : int, default=5
        Neighbours for ``"knn"``; clipped to the number of real rows minus one.
    quantile : float, default=0.05
        In ``[0, 1)``; ``0`` rejects only candidates less positive than every real positive row (``"knn"``)
        or farther across the border than every real positive row (``"reach"``).

    Attributes
    ----------
    criteria_ : tuple of str
        The criteria in force (``"knn"`` is left out without ``X_neg``); ``n_features_in_`` : int.
    copy_threshold_ : float
        With ``"copies"``: the distance at or below which a candidate counts as a copy.
    k_, reference_shares_, knn_threshold_ : int, ndarray of shape (n_pos,), float
        With ``"knn"``: neighbours used, leave-one-out share of each real positive row, rejection threshold.
    border_coef_, border_intercept_ : ndarray of shape (n_features,), float
        With ``"border"`` or ``"reach"``: the logistic regression's weights and intercept, signed so that a
        positive margin ``X @ border_coef_ + border_intercept_`` means ``X_pos``'s side.
    border_floor_ : float
        With ``"reach"``: the margin below which a candidate is rejected (at most 0).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_pos, X_neg = rng.normal(size=(100, 2)), rng.normal(6.0, 1.0, size=(100, 2))
    >>> f = RowFilter().fit(X_pos, X_neg)
    >>> candidates = np.array([X_pos[0], [0.3, -0.2], [6.0, 6.0]])  # a copy, a fresh row, a negative-looking row
    >>> f.keep(candidates).tolist()
    [False, True, False]
    >>> {name: mask.tolist() for name, mask in f.reasons(candidates).items()}
    {'copies': [True, False, False], 'knn': [False, False, True]}
    """

    def __init__(self, criteria: str = "copies,knn", copy_tol: float = 0.1, k: int = 5, quantile: float = 0.05):
        self.criteria, self.copy_tol, self.k, self.quantile = criteria, copy_tol, k, quantile

    def _check_params(self) -> tuple[str, ...]:
        criteria, tol, k, q = _parse_criteria(self.criteria), self.copy_tol, self.k, self.quantile
        if not _is(tol, Real) or not (math.isfinite(tol) and tol >= 0):
            raise ValueError(f"copy_tol must be a finite float >= 0; got {tol!r}.")
        if not _is(k, Integral) or k < 1:
            raise ValueError(f"k must be an int >= 1; got {k!r}.")
        if not _is(q, Real) or not 0 <= q < 1:
            raise ValueError(f"quantile must be a float in [0, 1); got {q!r}.")
        if set(LINEAR) <= set(criteria):
            raise ValueError("criteria 'border' and 'reach' are two thresholds on the same margin; name one "
                             f"(\"border\": no row across, \"reach\": none farther across than the real rows); got "
                             f"{self.criteria!r}.")
        return criteria

    def fit(self, X_pos, X_neg=None) -> RowFilter:
        """Learn the thresholds from the real rows of the class (``X_pos``) and of the other classes (``X_neg``)."""
        criteria = self._check_params()
        P = _rows(X_pos, "X_pos", min_rows=2)
        N = None
        if X_neg is not None and np.asarray(X_neg).size > 0:
            N = _rows(X_neg, "X_neg", n_features=P.shape[1])
        self.criteria_ = tuple(c for c in criteria if c not in ("knn", *LINEAR) or N is not None)
        self.n_features_in_ = P.shape[1]
        if "copies" in self.criteria_:
            self._X_pos, self._nn_pos = P, NearestNeighbors(n_neighbors=1).fit(P)
            self._pos_keys = {bytes(row) for row in P}
            loo = self._nearest_pos_distance(P, self._nn_pos.kneighbors(return_distance=False)[:, 0])
            scale = float(np.median(loo))
            if scale == 0:
                scale = float(loo[loo > 0].min()) if (loo > 0).any() else 0.0
            self.copy_threshold_ = float(self.copy_tol) * scale
        if "knn" in self.criteria_:
            self._n_pos = len(P)
            self.k_ = int(min(self.k, len(P) + len(N) - 1))
            self._X_all = np.vstack([P, N])
            self._nn_all = NearestNeighbors(n_neighbors=self.k_).fit(self._X_all)
            self.reference_shares_ = np.concatenate([self._loo_shares(P, s) for s in _chunks(len(P))])
            self.knn_threshold_ = float(np.quantile(self.reference_shares_, self.quantile, method="lower"))
        if set(LINEAR) & set(self.criteria_):
            X, y = np.vstack([P, N]), np.r_[np.ones(len(P), int), np.zeros(len(N), int)]
            N = None  # its rows are in X: one copy of the other classes while the regression fits
            lr = LogisticRegression(class_weight="balanced", max_iter=3000).fit(X, y)
            self.border_coef_, self.border_intercept_ = lr.coef_[0].astype(np.float64), float(lr.intercept_[0])
        if "reach" in self.criteria_:
            self.border_floor_ = min(0.0, float(np.quantile(self.margins(P), self.quantile, method="lower")))
        return self

    #: The fitted values :meth:`to_state` keeps; the neighbour searches are rebuilt from the rows.
    STATE = ("criteria_", "n_features_in_", "copy_threshold_", "k_", "reference_shares_", "knn_threshold_",
             "border_coef_", "border_intercept_", "border_floor_")

    def to_state(self) -> dict:
        """What :meth:`from_state` rebuilds this filter from: parameters, fitted values and the real rows
        its criteria search (``X_pos`` for ``"copies"``; ``X_all``, the class's rows then the others', and
        ``n_pos`` for ``"knn"``)."""
        state = {"params": self.get_params(deep=False)}
        if hasattr(self, "criteria_"):
            state["fitted"] = {k: getattr(self, k) for k in self.STATE if hasattr(self, k)}
            if "copies" in self.criteria_:
                state["X_pos"] = self._X_pos
            if "knn" in self.criteria_:
                state["n_pos"], state["X_all"] = int(self._n_pos), self._X_all
        return state

    @classmethod
    def from_state(cls, state: dict) -> RowFilter:
        """The filter :meth:`to_state` described; its neighbour searches refitted (nothing random)."""
        f = cls(**state["params"])
        criteria = f._check_params()
        if "fitted" not in state:
            return f
        unknown = set(state["fitted"]) - set(cls.STATE)
        if unknown:
            raise ValueError(f"a RowFilter state has unknown fields {sorted(unknown)}")
        for k, v in state["fitted"].items():
            setattr(f, k, v)
        if not set(f.criteria_) <= set(criteria):
            raise ValueError(f"a RowFilter state lists criteria {f.criteria_!r} beyond its parameters'")
        if "copies" in f.criteria_:
            f._X_pos = _rows(state["X_pos"], "X_pos", n_features=f.n_features_in_, min_rows=2)
            f._nn_pos = NearestNeighbors(n_neighbors=1).fit(f._X_pos)
            f._pos_keys = {bytes(row) for row in f._X_pos}
        if "knn" in f.criteria_:
            f._n_pos, f._X_all = int(state["n_pos"]), _rows(state["X_all"], "X_all", n_features=f.n_features_in_)
            if not 0 < f._n_pos < len(f._X_all) or not 1 <= f.k_ < len(f._X_all):
                raise ValueError("a RowFilter state's row counts do not fit its rows")
            f._nn_all = NearestNeighbors(n_neighbors=f.k_).fit(f._X_all)
        if set(LINEAR) & set(f.criteria_):
            f.border_coef_ = np.asarray(f.border_coef_, dtype=np.float64)
            if f.border_coef_.shape != (f.n_features_in_,) or not np.isfinite(f.border_coef_).all() \
                    or not _is(f.border_intercept_, Real) or not math.isfinite(f.border_intercept_):
                raise ValueError("a RowFilter state's border weights do not fit its features or are not finite")
            f.border_intercept_ = float(f.border_intercept_)
        if "reach" in f.criteria_:
            floor = getattr(f, "border_floor_", None)
            if not _is(floor, Real) or not (math.isfinite(floor) and floor <= 0):
                raise ValueError("a RowFilter state's border floor is missing, not finite or above 0")
            f.border_floor_ = float(floor)
        return f

    def _nearest_pos_distance(self, X: np.ndarray, idx: np.ndarray) -> np.ndarray:
        # Recomputed exactly: the neighbour search's fast distances leave exact copies a hair above 0.
        return np.sqrt(((X - self._X_pos[idx]) ** 2).sum(1))

    def _loo_shares(self, P: np.ndarray, s: slice) -> np.ndarray:
        idx = self._nn_all.kneighbors(P[s], n_neighbors=self.k_ + 1, return_distance=False)
        own = idx == np.arange(s.start, s.stop)[:, None]
        own[~own.any(1), -1] = True  # the row itself lost a tie at distance 0 to a duplicate: drop the farthest
        others = idx[~own].reshape(len(idx), self.k_)
        return (others < self._n_pos).mean(1)

    def reasons(self, X_candidates, snapped=None) -> dict[str, np.ndarray]:
        """Per criterion in ``criteria_``, a boolean mask of the candidate rows it rejects.

        ``snapped``: the same candidates as the user will get them, in this
        filter's space (a codec's encode of its decode: discrete values
        snapped to their levels); ``"copies"`` judges these, so a candidate
        that becomes a copy of a real row once decoded is rejected.
        """
        X = self._check_candidates(X_candidates)
        snapped = None if snapped is None else self._check_candidates(snapped)
        if snapped is not None and snapped.shape != X.shape:
            raise ValueError(f"snapped has shape {snapped.shape}; the candidates' is {X.shape}.")
        return self._reasons(X, snapped)

    def keep(self, X_candidates) -> np.ndarray:
        """Boolean mask of the candidate rows that pass every criterion (``True`` = keep)."""
        X = self._check_candidates(X_candidates)
        mask = np.ones(len(X), dtype=bool)
        for rejected in self._reasons(X).values():
            mask &= ~rejected
        return mask

    def _check_candidates(self, X_candidates) -> np.ndarray:
        check_is_fitted(self, "criteria_")
        return _rows(X_candidates, "X_candidates", n_features=self.n_features_in_)

    def _reasons(self, X: np.ndarray, snapped: np.ndarray | None = None) -> dict[str, np.ndarray]:
        out = {c: np.zeros(len(X), dtype=bool) for c in self.criteria_}
        C = X if snapped is None else snapped  # the rows the copies criterion judges
        for s in _chunks(len(X)):
            if "copies" in out:
                idx = self._nn_pos.kneighbors(C[s], return_distance=False)[:, 0]
                exact = np.fromiter((bytes(row) in self._pos_keys for row in C[s]), bool, len(C[s]))
                out["copies"][s] = exact | (self._nearest_pos_distance(C[s], idx) <= self.copy_threshold_)
            if "knn" in out:
                idx = self._nn_all.kneighbors(X[s], return_distance=False)
                out["knn"][s] = (idx < self._n_pos).mean(1) < self.knn_threshold_
            linear = [c for c in LINEAR if c in out]
            if linear:  # one criterion at most (they exclude each other)
                out[linear[0]][s] = self.margins(X[s]) < (self.border_floor_ if linear[0] == "reach" else 0.0)
        return out

    def margins(self, X_candidates) -> np.ndarray:
        """With ``"border"`` or ``"reach"``: each candidate's margin towards ``X_pos`` under the real rows'
        logistic regression (its logit; below 0: the other classes' side)."""
        check_is_fitted(self, "border_coef_")
        return np.asarray(X_candidates, dtype=np.float64) @ self.border_coef_ + self.border_intercept_


def _chunks(n: int):
    for start in range(0, n, CHUNK_ROWS):
        yield slice(start, min(start + CHUNK_ROWS, n))
