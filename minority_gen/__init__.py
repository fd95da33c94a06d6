"""minority_gen: GAN oversampling for imbalanced tables and images.

>>> from minority_gen import GANOversampler, available_methods
>>> "rumi" in available_methods()
True
"""

from .augmentation import AugmentationOversampler
from .methods import GANMethod, available_methods, get_method
from .oversampler import GANOversampler
from .training import DivergenceError

__version__ = "0.1.0"

__all__ = [
    "AugmentationOversampler",
    "DivergenceError",
    "GANMethod",
    "GANOversampler",
    "__version__",
    "available_methods",
    "get_method",
]
