"""minority_gen: GAN oversampling for imbalanced tables and images.

>>> from minority_gen import GANOversampler, available_methods
>>> "rumi" in available_methods()
True

The names below are imported on first use (PEP 562), so that ``import minority_gen.cli`` (the
``minority-gen`` command) starts without torch and a Ctrl-C while torch loads ends in one line.
"""

from importlib import import_module

from ._version import __version__

#: Public name → the module that defines it.
_LAZY = {
    "AugmentationOversampler": ".augmentation",
    "DivergenceError": ".divergence",
    "GANMethod": ".methods",
    "GANOversampler": ".oversampler",
    "available_methods": ".methods",
    "get_method": ".methods",
}

__all__ = [
    "AugmentationOversampler",
    "DivergenceError",
    "GANMethod",
    "GANOversampler",
    "__version__",
    "available_methods",
    "get_method",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
