"""Integers that float64, in which the codecs and networks compute, rounds out of their fixed-width type."""

from __future__ import annotations

import numpy as np


def over_integer_range(values: np.ndarray) -> np.ndarray | None:
    """Where float64 rounds an integer of ``values``' dtype to a value its dtype cannot hold (``None``: nowhere)."""
    dtype = np.dtype(values.dtype)
    bound = 2.0 ** (8 * dtype.itemsize - (1 if dtype.kind == "i" else 0))  # the dtype's max + 1
    if float(np.iinfo(dtype).max) < bound:  # float64 holds every value of the type: nothing to round up
        return None
    over = values.astype(np.float64) >= bound
    return over if over.any() else None


def largest_exact_integer(dtype) -> int:
    """The largest value of integer ``dtype`` that float64 does not round up to the type's max + 1.

    >>> largest_exact_integer(np.int64), largest_exact_integer(np.uint64)
    (9223372036854775295, 18446744073709550591)
    """
    dtype = np.dtype(dtype)
    bound = 2.0 ** (8 * dtype.itemsize - (1 if dtype.kind == "i" else 0))
    if float(np.iinfo(dtype).max) < bound:
        return int(np.iinfo(dtype).max)
    ulp = int(bound) - int(np.nextafter(bound, 0.0))
    return min(int(bound) - ulp // 2 - 1, int(np.iinfo(dtype).max))


def check_integer_range(values, where: str) -> None:
    """Refuse integers of a fixed-width type (``int64``, ``uint64``; pandas ``Int64`` ...) that float64 rounds
    out of that type.

    The networks and the codecs compute in float64, which rounds int64
    values from ``2**63 - 512`` up to ``2**63``: decoded and cast back they
    would wrap around to ``-2**63``. ``where`` names the column in the message.
    """
    values = np.asarray(values)
    if values.dtype.kind not in "iu" or values.size == 0:
        return
    over = over_integer_range(values)
    if over is None:
        return
    limit = largest_exact_integer(values.dtype)
    raise ValueError(
        f"{where} holds {values[over].max()}, above {limit}: float64, in which GANOversampler computes, rounds "
        f"{values.dtype} values above that out of {values.dtype}'s range, and generated values would wrap around "
        f"to {np.iinfo(values.dtype).min}. Subtract an offset first (e.g. the column's minimum), or convert the "
        "column to float64."
    )
