"""The registry of GAN formulations.

Each module in this package defines one :class:`GANMethod` subclass and
decorates it with :func:`register`; importing the package imports every
module, so a new method needs no edit outside its own file. The classes are
importable from here by name, e.g. ``from minority_gen.methods import RumiLSGAN``.
"""

from __future__ import annotations

import difflib
import importlib
import json
import pkgutil
from collections.abc import Iterable

from .base import Batch, GANMethod, Networks

__all__ = ["Batch", "GANMethod", "Networks", "available_methods", "changed_params", "get_method", "method_params_from",
           "register", "resolved_params"]

_REGISTRY: dict[str, type[GANMethod]] = {}


def register(cls: type[GANMethod]) -> type[GANMethod]:
    """Class decorator adding a method to the registry under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name.")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"Two methods are named {cls.name!r}.")
    _REGISTRY[cls.name] = cls
    return cls


def available_methods() -> list[str]:
    """Names accepted by ``GANOversampler(method=...)``, sorted."""
    return sorted(_REGISTRY)


def get_method(method: str | GANMethod, params: dict | None = None) -> GANMethod:
    """A fresh method object from a registered name or an instance.

    Raises ``ValueError`` for an unknown name (suggesting the closest) or an
    option the method does not have.
    """
    if isinstance(method, GANMethod):
        obj = method.__class__(**method.get_params(deep=False))
    elif isinstance(method, str):
        if method not in _REGISTRY:
            close = difflib.get_close_matches(method, _REGISTRY, n=1, cutoff=0.4)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown GAN method {method!r}.{hint} Available: {', '.join(available_methods())}."
            )
        obj = _REGISTRY[method]()
    else:
        raise TypeError(f"method must be a method name or a GANMethod, got {type(method).__name__}.")
    if params:
        valid = obj.get_params(deep=False)
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise ValueError(
                f"method_params has options {unknown} that method {obj.name!r} does not take; "
                f"its options are {sorted(valid)}."
            )
        obj.set_params(**params)
    obj.validate()
    return obj


def resolved_params(method: str | GANMethod, params: dict | None = None, *, images: bool,
                    anchored: bool = False) -> dict:
    """The options ``method`` trains with on images or tables (``anchored``: with SMOTE anchors):
    ``params`` on top of its defaults, its ``"auto"`` ones resolved (what a fitted
    ``GANOversampler``'s ``method_`` holds)."""
    return get_method(method, params).for_data(images=images, anchored=anchored).get_params()


def changed_params(method: str, params: dict, *, images: bool, anchored: bool = False) -> dict:
    """The options in ``params`` whose values differ from those ``method`` trains with by default
    (:func:`resolved_params` without options), e.g. to name a variant ``rumi (c=2)``.

    >>> changed_params("rumi", resolved_params("rumi", {"c": 2}, images=True), images=True)
    {'c': 2}
    """
    default = resolved_params(method, images=images, anchored=anchored)
    return {k: v for k, v in params.items() if default.get(k) != v}


def method_params_from(entries: Iterable[str], *, images: bool, anchored: bool = False) -> dict[str, dict]:
    """``"method:name=value"`` entries (e.g. a command line's repeated ``--method-param``) → ``{method: {name:
    value}}``, each value read as JSON, else as text; an integer given for a float option becomes a float (so
    ``beta_neg=1`` and ``beta_neg=1.0`` are one setting). Every method's options are checked as it trains with
    them on images or tables (:func:`resolved_params`); ``ValueError`` says what is wrong.

    >>> method_params_from(["rumi:d_schedule=joint", "rumi:beta_neg=1"], images=True)
    {'rumi': {'d_schedule': 'joint', 'beta_neg': 1.0}}
    """
    out: dict[str, dict] = {}
    for entry in entries:
        method, sep, rest = entry.partition(":")
        key, sep2, text = rest.partition("=")
        if not (sep and sep2 and method and key.isidentifier()):
            raise ValueError(f"expected method:name=value (e.g. rumi:d_schedule=joint); got {entry!r}")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        default = resolved_params(method, images=images, anchored=anchored).get(key)
        if isinstance(default, float) and type(value) is int:
            value = float(value)
        out.setdefault(method, {})[key] = value
        resolved_params(method, out[method], images=images, anchored=anchored)  # checks them
    return out


for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

# Every registered method class by its class name, so ``from minority_gen.methods import RumiLSGAN`` works.
globals().update({cls.__name__: cls for cls in _REGISTRY.values()})
__all__ += sorted(cls.__name__ for cls in _REGISTRY.values())
