"""minority_gen: GAN oversampling for imbalanced tables and images.

>>> from minority_gen import GANOversampler, available_methods
>>> "rumi" in available_methods()
True
"""

from ._version import __version__
from .augmentation import AugmentationOversampler
from .divergence import DivergenceError
from .methods import GANMethod, available_methods, get_method
from .oversampler import GANOversampler

__all__ = [
    "AugmentationOversampler",
    "DivergenceError",
    "GANMethod",
    "GANOversampler",
    "__version__",
    "available_methods",
    "get_method",
]
