"""Oversamplers and classifiers by name: the one table the comparison and the CLI read.

``"none"`` (no resampling), ``"ros"``, ``"smote"``, ``"adasyn"``,
``"borderline-smote"`` (imbalanced-learn) and every registered GAN method
(``minority_gen.available_methods()``). Add a baseline with
:func:`register_oversampler`; GAN methods appear by themselves.

The k-neighbour samplers use 3 neighbours, as the project's tabular
protocol (EVALUATION.md) does, so that they work on minorities of a few
dozen rows. When a training fold's smallest class has ``n <= 3`` rows the
number of neighbours is lowered to ``n - 1`` automatically
(:class:`NeighbourCap`); a class of a single row is refused with an error
suggesting ``"ros"``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from ..methods import available_methods

NONE = "none"

SamplerFactory = Callable[[int | None, dict], object]


class NeighbourCap(BaseEstimator):
    """Run a k-neighbour sampler with ``k`` lowered to fit the smallest class.

    SMOTE-like samplers need more rows in a class than neighbours; under
    cross-validation a small minority can leave a training fold with only a
    handful. This wrapper clones ``sampler`` at each ``fit_resample`` with
    ``param = min(k, n_smallest - 1)`` and records the value used in
    ``k_used_``.

    Parameters
    ----------
    sampler : imbalanced-learn sampler
    param : str, default="k_neighbors"
        The sampler's neighbour-count parameter (``"n_neighbors"`` for ADASYN).

    Examples
    --------
    >>> from imblearn.over_sampling import SMOTE
    >>> sampler = NeighbourCap(SMOTE(k_neighbors=3, random_state=0))
    >>> X, y = [[0.0], [1.0], [2.0], [3.0], [10.0], [11.0]], [0, 0, 0, 0, 1, 1]
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> sampler.k_used_, len(y_res)
    (1, 8)
    """

    def __init__(self, sampler, param: str = "k_neighbors"):
        self.sampler = sampler
        self.param = param

    def fit_resample(self, X, y):
        smallest = min(Counter(y).values())
        k = self.sampler.get_params()[self.param]
        name = type(self.sampler).__name__
        if not isinstance(k, int):  # a NearestNeighbors object: leave it as given
            self.k_used_ = k
        elif smallest < 2:
            raise ValueError(
                f"{name} needs at least 2 rows of every class to interpolate between; the smallest "
                f"class in this training fold has {smallest}. Use 'ros' for such a class, fewer folds "
                "(cv), or gather more rows."
            )
        else:
            self.k_used_ = min(k, smallest - 1)
        self.sampler_ = clone(self.sampler).set_params(**{self.param: self.k_used_})
        return self.sampler_.fit_resample(X, y)


def _gan(name: str) -> SamplerFactory:
    def make(random_state, gan_params):
        from ..oversampler import GANOversampler

        return GANOversampler(method=name, random_state=random_state, **gan_params)

    return make


def _augment(random_state, gan_params):
    from ..augmentation import AugmentationOversampler

    return AugmentationOversampler(random_state=random_state, image_shape=gan_params.get("image_shape"),
                                   image_layout=gan_params.get("image_layout", "auto"))


def _smotenc(random_state, gan_params):
    from .mixed import MixedSMOTENC

    return MixedSMOTENC(k_neighbors=3, random_state=random_state)


#: Baselines that need an all-numeric table without missing values.
NUMERIC_ONLY = frozenset({"smote", "adasyn", "borderline-smote"})

_BASELINES: dict[str, tuple[str, SamplerFactory]] = {
    NONE: ("no resampling", lambda rs, _: None),
    "ros": ("imblearn RandomOverSampler", lambda rs, _: RandomOverSampler(random_state=rs)),
    "smote": ("imblearn SMOTE(k_neighbors=3)",
              lambda rs, _: NeighbourCap(SMOTE(k_neighbors=3, random_state=rs))),
    "adasyn": ("imblearn ADASYN(n_neighbors=3)",
               lambda rs, _: NeighbourCap(ADASYN(n_neighbors=3, random_state=rs), "n_neighbors")),
    "borderline-smote": ("imblearn BorderlineSMOTE(k_neighbors=3)",
                         lambda rs, _: NeighbourCap(BorderlineSMOTE(k_neighbors=3, random_state=rs))),
    "smotenc": ("imblearn SMOTENC(k_neighbors=3) on mixed tables as they come (categorical columns found by "
                "dtype; missing values filled in first: median / most frequent level)", _smotenc),
    "augment": ("minority_gen AugmentationOversampler (albumentations; images as flat rows with "
                "gan_params['image_shape'])", _augment),
}


def register_oversampler(name: str, factory: SamplerFactory, description: str) -> None:
    """Add a baseline by name: ``factory(random_state, gan_params) -> sampler``.

    Examples
    --------
    >>> from imblearn.over_sampling import SMOTE
    >>> register_oversampler("smote-5", lambda rs, _: SMOTE(random_state=rs), "SMOTE, 5 neighbours")
    >>> "smote-5" in available_oversamplers()
    True
    """
    if name in available_methods():
        raise ValueError(f"{name!r} is a GAN method name; pick another name for the baseline.")
    _BASELINES[name] = (description, factory)


def available_oversamplers() -> list[str]:
    """Baseline names, then GAN method names.

    Examples
    --------
    >>> available_oversamplers()[:3]
    ['none', 'ros', 'smote']
    """
    return [*_BASELINES, *available_methods()]


def describe_oversampler(name: str) -> str:
    """One line saying what a name stands for."""
    if name in _BASELINES:
        return _BASELINES[name][0]
    return f"GANOversampler(method={name!r})"


def make_oversampler(name: str, random_state: int | None = 0, gan_params: dict | None = None):
    """A fresh sampler for a name (``None`` for ``"none"``).

    ``gan_params`` are extra ``GANOversampler`` options (e.g.
    ``{"n_iter": 500}``) used when ``name`` is a GAN method.

    Examples
    --------
    >>> make_oversampler("ros")
    RandomOverSampler(random_state=0)
    >>> make_oversampler("rumi", gan_params={"n_iter": 10}).n_iter
    10
    """
    if name in _BASELINES:
        return _BASELINES[name][1](random_state, dict(gan_params or {}))
    if name in available_methods():
        return _gan(name)(random_state, dict(gan_params or {}))
    raise ValueError(
        f"Unknown oversampler {name!r}. Available: {', '.join(available_oversamplers())}; "
        "or pass a sampler object with fit_resample."
    )


CLASSIFIERS: dict[str, Callable[[int | None], object]] = {
    "logreg": lambda rs: LogisticRegression(max_iter=3000),
    "rf": lambda rs: RandomForestClassifier(n_estimators=200, random_state=rs),
}
"""Downstream classifiers by name (EVALUATION.md's protocol T)."""


def make_classifier(name: str, random_state: int | None = 0):
    """A fresh classifier for a name in :data:`CLASSIFIERS`.

    Examples
    --------
    >>> make_classifier("rf").n_estimators
    200
    """
    if name not in CLASSIFIERS:
        raise ValueError(f"Unknown classifier {name!r}. Available: {', '.join(CLASSIFIERS)}; "
                         "or pass an estimator object.")
    return CLASSIFIERS[name](random_state)
