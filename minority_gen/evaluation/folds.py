"""The up-front check of stratified folds against the classes, shared by the Python API and ``minority-gen evaluate``.

``StratifiedKFold(k)`` puts ``ceil(n / k)`` or ``floor(n / k)`` rows of a
class of ``n`` rows in each test fold, so some training fold holds only
``n - ceil(n / k)`` of them. A GAN learns a class from at least
:data:`~minority_gen.plan.MIN_CLASS_ROWS` rows (the oversampler refuses
fewer) and the k-neighbour samplers interpolate between two rows, so with
one of those in the comparison every training fold must hold that many rows
of every class: :func:`fold_problem` refuses the folds before any work
instead of letting every fold fail. ``"none"`` and ``"ros"`` (copies) need
one row per training fold; a sampler object of another kind is not held to
more.

>>> from minority_gen import GANOversampler
>>> fold_problem([0] * 30 + [1] * 2, 2, {"rumi": GANOversampler(), "none": None})[:76]
'cv=2: class 1 has 2 rows, so every training fold would hold only 1 row of it'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..plan import MIN_CLASS_ROWS
from ..safeguards import class_label


def rows_needed(sampler) -> int:
    """The fewest rows of every class ``sampler`` (an object, or ``None`` for no resampling) needs in a
    training fold: :data:`~minority_gen.plan.MIN_CLASS_ROWS` for a GAN and a k-neighbour sampler, else 1."""
    from ..oversampler import GANOversampler

    if isinstance(sampler, GANOversampler):
        return MIN_CLASS_ROWS
    params = sampler.get_params(deep=False) if hasattr(sampler, "get_params") else {}
    if {"k_neighbors", "n_neighbors"} & set(params):
        return MIN_CLASS_ROWS
    inner = params.get("sampler")  # NeighbourCap: the k-neighbour sampler it wraps
    return 1 if inner is None else rows_needed(inner)


def fold_problem(y, cv: int, samplers: Mapping, *, option: str = "cv=", data: str = "y") -> str | None:
    """Why ``cv`` stratified folds would leave a training fold too few rows of a class of ``y``, or ``None``.

    ``samplers``: label → sampler object (``None``: no resampling), the ones
    compared; every training fold must hold the most :func:`rows_needed` of
    them of each class. ``option``: how the number of folds is written in
    the message (``"--cv "`` on the command line); ``data``: what ``y`` is
    called there. A class of one row, or of fewer rows than ``cv`` (no row
    of it in some test fold), is refused whatever the samplers.
    """
    needs = {label: rows_needed(s) for label, s in samplers.items()}
    need = max(needs.values(), default=1)
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    smallest = int(np.argmin(counts))  # the fewest rows also leave the fewest in a training fold
    label, n = class_label(classes[smallest]), int(counts[smallest])
    of = "" if data == "y" else f" of {data}"
    if n < 2:
        return (f"the class {label}{of} has 1 row; cross-validation needs at least 2 rows of every class (rows to "
                "train on and to test on). Add rows of that class, or drop the class.")
    if n < cv:
        return (f"{option}{cv} needs at least {cv} rows of every class (one in each fold); the class {label}{of} "
                f"has {n}. Lower {option.rstrip('= ')} to {n} or less, or add rows of that class.")
    train = n - math.ceil(n / cv)
    if train >= need:
        return None
    who = [repr(label) for label, k in needs.items() if k == need]
    low = max(2, math.ceil(n / (n - need))) if n > need else None
    if low is None:
        fix = (f"no number of folds leaves {need} rows of a class of {n} in every training fold: drop the class "
               f"or merge it into another, gather more rows of it, or compare only 'none' and 'ros'")
    else:
        span = "" if low == n else f"; any of {low} to {n} folds works"
        fix = (f"use {option}{low} (more folds leave more rows to train on{span}), or drop the class or merge it "
               "into another")
    every = n - n // cv < need  # even the folds that test the fewest rows of it leave too few to train on
    folds = "every training fold" if every else "some training folds"
    return (f"{option}{cv}: class {label}{of} has {n} rows, so {folds} would hold only {train} row"
            f"{'s' * (train != 1)} of it, and {', '.join(who)} need{'s' * (len(who) == 1)} at least {need} rows of "
            f"every class to train (a GAN learns a class from {MIN_CLASS_ROWS} rows or more; SMOTE-like samplers "
            f"interpolate between two): {'every fold' if every else 'those folds'} would fail. To go on, "
            f"{fix}.")
