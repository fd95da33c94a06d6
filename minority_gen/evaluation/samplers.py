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

A sampler can also be written as a *spec*, ``name`` or ``name:JSON`` with
constructor keywords (``'rumi:{"anchor": null}'``, ``'smote:{"k_neighbors":
5}'``): :func:`parse_sampler` turns it into a configured sampler and
:func:`sampler_spec` writes a sampler back as its spec. The command line,
the benchmarks and :func:`~minority_gen.evaluation.compare_on_datasets`
read samplers this way. ``"bsmote"`` (protocol T's name) is accepted for
``"borderline-smote"``.

Classifiers by name (:data:`CLASSIFIERS`): ``"logreg"`` / ``"lr"``, ``"rf"``,
``"hgb"``, and the cost-sensitive baselines that need no resampling:
``"<clf>-balanced"`` (``class_weight="balanced"``) and ``"<clf>-tuned"``
(decision threshold tuned for balanced accuracy by inner cross-validation
on the training rows, ``TunedThresholdClassifierCV``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TunedThresholdClassifierCV

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


_PLAIN: dict[str, Callable[[int | None, dict], object]] = {
    "logreg": lambda rs, kw: LogisticRegression(max_iter=3000, **kw),
    "rf": lambda rs, kw: RandomForestClassifier(n_estimators=200, random_state=rs, **kw),
    "lr": lambda rs, kw: LogisticRegression(max_iter=3000, **kw),  # protocol T's name for logreg
    # scikit-learn >= 1.2 (this package needs 1.6) takes class_weight for HGB too
    "hgb": lambda rs, kw: HistGradientBoostingClassifier(random_state=rs, **kw),
}


def _plain(name: str, **kw) -> Callable[[int | None], object]:
    return lambda rs: _PLAIN[name](rs, kw)


def _tuned(name: str) -> Callable[[int | None], object]:
    return lambda rs: TunedThresholdClassifierCV(_PLAIN[name](rs, {}), scoring="balanced_accuracy", cv=5,
                                                 random_state=rs)


CLASSIFIERS: dict[str, Callable[[int | None], object]] = {
    **{name: _plain(name) for name in _PLAIN},
    **{f"{name}-balanced": _plain(name, class_weight="balanced") for name in ("lr", "rf", "hgb")},
    **{f"{name}-tuned": _tuned(name) for name in ("lr", "rf", "hgb")},
}
"""Downstream classifiers by name. EVALUATION.md's protocol T: ``"logreg"`` (also ``"lr"``):
``LogisticRegression(max_iter=3000)``; ``"rf"``: 200-tree random forest; ``"hgb"``:
``HistGradientBoostingClassifier``. Cost-sensitive baselines, meant to be run without resampling
(:data:`COST_SENSITIVE`): ``"<clf>-balanced"`` with ``class_weight="balanced"``; ``"<clf>-tuned"``, the
unweighted classifier whose decision threshold is tuned for balanced accuracy by 5-fold stratified
cross-validation inside the training rows, then refitted on all of them (``TunedThresholdClassifierCV``).
RF and HGB are seeded with the comparison's ``random_state``."""

COST_SENSITIVE = frozenset(name for name in CLASSIFIERS if name.endswith(("-balanced", "-tuned")))
"""Classifier names that handle the imbalance themselves: the baselines run with ``"none"``."""


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


# --------------------------------------------------------------------------- sampler specs

ALIASES = {"bsmote": "borderline-smote"}
"""Other names accepted by :func:`parse_sampler` (protocol T's ``bsmote``)."""


def split_specs(text: str) -> list[str]:
    """Split ``'a,b:{"x": 1, "y": 2},c'`` on the commas outside braces, brackets and strings.

    Examples
    --------
    >>> split_specs('none, rumi:{"anchor": null, "n_iter": 5},smote')
    ['none', 'rumi:{"anchor": null, "n_iter": 5}', 'smote']
    """
    parts, depth, quote, escaped, start = [], 0, False, False, 0
    for i, ch in enumerate(text):
        if escaped or (quote and ch == "\\"):  # a backslash in a JSON string escapes the next character
            escaped = not escaped
        elif ch == '"':
            quote = not quote
        elif not quote and ch in "{[":
            depth += 1
        elif not quote and ch in "}]":
            depth -= 1
        elif not quote and depth == 0 and ch == ",":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _split_spec(spec: str) -> tuple[str, dict]:
    if not isinstance(spec, str):
        raise TypeError(f"a sampler spec must be a string 'name' or 'name:JSON'; got {spec!r}.")
    name, _, text = spec.partition(":")
    name = ALIASES.get(name.strip(), name.strip())
    params = {}
    if text.strip():
        try:
            params = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"sampler spec {spec!r}: the part after ':' must be a JSON object of keyword "
                             f"arguments, e.g. 'rumi:{{\"n_iter\": 500}}' ({err}).") from None
        if not isinstance(params, dict):
            raise ValueError(f"sampler spec {spec!r}: the part after ':' must be a JSON object; got {text!r}.")
    return name, params


def _target(sampler):
    """The object whose parameters a spec's keywords set: the wrapped sampler of a :class:`NeighbourCap`."""
    return sampler.sampler if isinstance(sampler, NeighbourCap) else sampler


def parse_sampler(spec: str, random_state: int | None = 0):
    """A configured sampler from a spec ``name`` or ``name:JSON`` (``None`` for ``"none"``).

    ``name`` is one of :func:`available_oversamplers` (or an alias in :data:`ALIASES`); the JSON object
    holds constructor keywords. For a GAN method they go to ``GANOversampler(method=name,
    random_state=random_state, **keywords)``; for a baseline they are set on the sampler the name
    stands for (the inner sampler of a :class:`NeighbourCap`). ``random_state`` may be among them.

    Examples
    --------
    >>> parse_sampler('rumi:{"anchor": null}').anchor is None
    True
    >>> parse_sampler('smote:{"k_neighbors": 7}').sampler
    SMOTE(k_neighbors=7, random_state=0)
    >>> parse_sampler("bsmote").sampler
    BorderlineSMOTE(k_neighbors=3, random_state=0)
    """
    name, params = _split_spec(spec)
    if name in available_methods():
        from ..oversampler import GANOversampler

        accepted = GANOversampler().get_params()
        unknown = sorted(set(params) - set(accepted) | ({"method"} & set(params)))
        if unknown:
            raise ValueError(f"sampler spec {spec!r}: unknown GANOversampler parameter(s) {unknown} "
                             f"(the method is the name before ':'); accepted: {sorted(set(accepted) - {'method'})}.")
        sampler = target = GANOversampler(**{"method": name, "random_state": random_state, **params})
    else:
        sampler = make_oversampler(name, random_state)  # refuses unknown names, listing the known ones
        if params and sampler is None:
            raise ValueError(f"sampler spec {spec!r}: 'none' takes no parameters.")
        target, accepted = _target(sampler), _target(sampler).get_params(deep=False) if params else {}
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise ValueError(f"sampler spec {spec!r}: unknown {type(target).__name__} parameter(s) {unknown}; "
                             f"accepted: {sorted(accepted)}.")
        target = target.set_params(**params) if params else target
    try:  # a value the sampler refuses ('rumi:{"n_iter": -1}'), before any fit rather than in every fold
        if hasattr(target, "_parameter_constraints"):  # scikit-learn's declared constraints, where there are some
            target._validate_params()
    except ValueError as exc:
        raise ValueError(f"sampler spec {spec!r}: {exc}") from None
    return sampler


def _json_diff(params: dict, defaults: dict, what: str) -> str:
    diff = {k: v for k, v in params.items() if k not in defaults or not _same(v, defaults[k])}
    if not diff:
        return ""
    try:
        return ":" + json.dumps(diff, sort_keys=True)
    except TypeError:
        raise ValueError(f"{what} has parameters that JSON cannot hold ({sorted(diff)}); pass the sampler "
                         "object itself instead of a spec.") from None


def _same(a, b) -> bool:
    """Equal values of the same kind (a list and a tuple with equal items count as the same; 1 and True not)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, z) for x, z in zip(a, b))
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and other objects without a plain ==
        return a is b


def sampler_spec(sampler, random_state: int | None = 0) -> str:
    """The spec of a sampler: its name and, as JSON, the parameters that differ from that name's defaults.

    The inverse of :func:`parse_sampler` (for the same ``random_state``): ``parse_sampler(sampler_spec(s))``
    has the parameters of ``s``. Raises ``ValueError`` for a sampler no registered name stands for.

    Examples
    --------
    >>> sampler_spec(parse_sampler('rumi:{"anchor": null}'))
    'rumi:{"anchor": null}'
    >>> from imblearn.over_sampling import RandomOverSampler
    >>> sampler_spec(RandomOverSampler(random_state=1))
    'ros:{"random_state": 1}'
    """
    if sampler is None or sampler == NONE:
        return NONE
    from ..oversampler import GANOversampler

    if isinstance(sampler, GANOversampler):
        params = sampler.get_params(deep=False)
        method = params.pop("method")
        defaults = GANOversampler(method=method, random_state=random_state).get_params(deep=False)
        return method + _json_diff(params, defaults, f"GANOversampler(method={method!r})")
    for name in _BASELINES:
        try:
            candidate = make_oversampler(name, random_state)
        except Exception:  # noqa: BLE001 - a registered factory that cannot build here stands for nothing
            continue
        if candidate is None or type(candidate) is not type(sampler):
            continue
        if isinstance(sampler, NeighbourCap) and (type(sampler.sampler) is not type(candidate.sampler)
                                                  or sampler.param != candidate.param):
            continue
        return name + _json_diff(_target(sampler).get_params(deep=False),
                                 _target(candidate).get_params(deep=False), type(_target(sampler)).__name__)
    raise ValueError(f"No sampler name stands for {type(sampler).__name__}; known names: "
                     f"{', '.join(available_oversamplers())}. Pass the object itself, or register it with "
                     "register_oversampler.")
