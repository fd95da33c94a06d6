"""The Rumi-GAN paper's minority-digit experiment on the MNIST test set (protocol D): its data and references.

The MNIST test set (:func:`~.datasets.load_mnist_test`) is split in two stratified halves
(:func:`mnist_halves`). GANs learn from the first (:func:`gan_training_set`): ``digit<d>`` is 200 images of
digit d against every other digit, ``even`` the even digits against the odd ones. A judge
(:class:`~.features.SmallCNNFeatures`) trained on the second half scores what they generate
(:func:`~.judges.judge_scores`), beside two references: the real training positives and SMOTE on the pixels
(:func:`smote_images`). ``benchmarks/protocol_d.py`` runs it; the design: docs/images.md, "Protocol D".
"""

from __future__ import annotations

import numpy as np

from .datasets import severe_cut

#: The configurations: ``even`` and ``digit0`` … ``digit9``.
CONFIGS = ("even", *(f"digit{d}" for d in range(10)))

#: Rumi-GAN paper (Asokan & Seelamantula, NeurIPS 2020), Table 1: Inception FID averaged over digits.
PAPER_FID = {"rumi": 118.93, "tacgan": 121.3, "acgan": 127.91, "lsgan": 128.55, "projection": 151.4}


def positives_of(config: str) -> tuple[int, ...]:
    """The positive digits of a configuration.

    >>> positives_of("digit5"), positives_of("even")
    ((5,), (0, 2, 4, 6, 8))
    """
    if config not in CONFIGS:
        raise ValueError(f"configuration {config!r}: use digit0 … digit9 or even")
    return (0, 2, 4, 6, 8) if config == "even" else (int(config[5:]),)


def mnist_halves(X, y, fraction: float = 1.0):
    """``(X_gan, y_gan), (X_judge, y_judge)``: two stratified halves of ``X, y`` (``train_test_split`` with
    ``random_state=0``); ``fraction`` < 1 first keeps that stratified share of the rows.

    >>> y = np.repeat(np.arange(10), 20)
    >>> (_, y_gan), (_, y_judge) = mnist_halves(np.zeros((200, 2, 2)), y)
    >>> np.bincount(y_gan).tolist() == np.bincount(y_judge).tolist() == [10] * 10
    True
    """
    from sklearn.model_selection import train_test_split

    if fraction < 1:
        _, keep = train_test_split(np.arange(len(y)), test_size=fraction, stratify=y, random_state=0)
        X, y = X[keep], y[keep]
    a, b = train_test_split(np.arange(len(y)), test_size=0.5, stratify=y, random_state=0)
    return (X[a], y[a]), (X[b], y[b])


def gan_training_set(X, y, config: str, n_positive: int = 200):
    """Images and binary labels (1 = positive) of a configuration's GAN training set: for ``digit<d>``, every
    other digit and ``n_positive`` images of d (drawn by :func:`~.datasets.severe_cut`); for ``even``, all.

    >>> X, yb = gan_training_set(np.zeros((300, 2, 2)), np.repeat(np.arange(10), 30), "digit5", 20)
    >>> X.shape, int(yb.sum())
    ((290, 2, 2), 20)
    """
    pos = np.isin(y, positives_of(config)).astype(np.int64)
    keep = slice(None) if config == "even" else severe_cut(pos, minority=1, n=n_positive)
    return X[keep], pos[keep]


def smote_images(X, y, n: int, random_state=None) -> np.ndarray:
    """``n`` new images of class 1 by SMOTE on the pixels (``imblearn``'s defaults, 5 neighbours), rounded and
    clipped to 0–255 as ``uint8`` images of ``X``'s shape.

    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.integers(0, 256, (40, 4, 4), dtype=np.uint8), np.r_[[0] * 30, [1] * 10]
    >>> new = smote_images(X, y, 7, random_state=0)
    >>> new.shape, new.dtype.name
    ((7, 4, 4), 'uint8')
    """
    from imblearn.over_sampling import SMOTE

    y = np.asarray(y)
    smote = SMOTE(sampling_strategy={1: int(y.sum()) + n}, random_state=random_state)
    X_res, _ = smote.fit_resample(X.reshape(len(X), -1).astype(np.float32), y)
    new = np.clip(np.rint(X_res[len(X):]), 0, 255).astype(np.uint8)
    return new.reshape(-1, *X.shape[1:])
