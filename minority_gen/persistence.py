"""Saving a fitted :class:`~minority_gen.GANOversampler` to one file, and loading it without running code.

A model file (by convention ``.mgz``) is a zip archive. Format version 2
(:data:`FORMAT_VERSION`, written since 0.1.0's house refactor) has these members:

``manifest.json``
    ``format``, ``format_version``, the versions of minority_gen, torch,
    NumPy, pandas and Python that wrote it, the SHA-256 of every other
    member, and ``holds``: which training data the file contains (see below).
``config.json``
    The estimator's ``get_params(deep=False)`` (a method object as its name
    and parameters, a ``RowFilter`` as its parameters).
``state.json``
    The estimator's fitted attributes (``sampling_strategy_``,
    ``n_features_in_``, ``feature_names_in_``, ``layout_``, ``history_``) and
    the fitted model's parts (:meth:`~minority_gen.model.FittedModel.to_state`:
    the method, classes, codec, data spec, divergence limits, row filters,
    network architecture, draw seed, which classes share a network). A mixed
    table's codec holds the columns' dtypes and, where the names alone would
    rebuild another one (a ``RangeIndex``, a named Index, tuples in a flat
    Index, an ``object`` or ``category`` Index, a ``MultiIndex``'s names),
    the DataFrame's column Index, so that a loaded sampler's ``sample``
    returns the very columns of the fitted one's; a file saved before it held
    that Index loads as it did, its columns rebuilt from their names.
``arrays.safetensors``
    The numeric arrays of ``state.json`` of 1 KiB or more (the JSON holds a
    reference to each), so the JSON stays small.
``weights.safetensors``
    The networks' weights, ``G0/<name>``, ``D0/<name>`` ...: a conditional
    method's network, shared by all classes, is stored once.
``metadata.json`` (optional)
    What the command line stores beside a model.

**What a file holds of the training data** (recorded in the manifest's ``holds``):
the codec's column statistics (means, scales; for columns with few
distinct values, those values; a mixed table's categories) always. Rows of
the training data only where an option needs them: ``anchor="smote"``
(the default for tables) stores every row of each class it generates (a
conditional method: of every class, at most 4,096 of a class it does not
generate), standardised; ``filter="copies"`` stores the class's rows, and
``filter="knn"`` every training row, standardised (``filter="reach"``, the
default on anchored tables, and ``"border"`` only their regression's weights and
floor). With ``anchor=None`` and no filter, or a border filter alone, the file
holds no row. The codec needed to undo the
standardisation is always in the file.

Loading reads JSON with :mod:`minority_gen.jsonstate` (which builds only the
package's own classes and NumPy / pandas values) and tensors with
``safetensors`` (no code path at all). Before anything is read in full, every
member's declared size is checked against :data:`MAX_JSON_BYTES` and
:data:`MAX_TENSOR_BYTES` (and a ratio to the archive's size), and the
networks are first built on PyTorch's ``meta`` device, without memory, to
check that the stored tensors have exactly their shapes. Files in format
version 1 (``weights.pt``, read with ``torch.load(weights_only=True)``) still
load (:mod:`minority_gen.persistence_v1`). A damaged, truncated, edited,
oversized or newer-format file is refused with :class:`ModelFileError`
naming the file. The checksums catch a damaged or edited member; they are
not a signature.

Saving is deterministic: the members have fixed dates and the JSON a fixed
order, so the same fitted model (or its copy through ``load`` or ``pickle``,
or a refit with the same ``random_state`` on the CPU) gives the same bytes.
The manifest names the library and Python versions, so a file saved under
other versions differs there.

Examples
--------
>>> import tempfile, numpy as np
>>> from pathlib import Path
>>> from sklearn.datasets import make_classification
>>> from minority_gen import GANOversampler
>>> X, y = make_classification(n_samples=200, weights=[0.9], random_state=0)
>>> sampler = GANOversampler(n_iter=20, device="cpu", random_state=0).fit(X, y)
>>> path = Path(tempfile.mkdtemp()) / "model.mgz"
>>> sampler.save(path)
>>> loaded = GANOversampler.load(path)
>>> np.array_equal(loaded.sample(5, y=1, random_state=0), sampler.sample(5, y=1, random_state=0))
True
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import stat
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import safetensors.numpy
import safetensors.torch
import torch

from . import persistence_v1
from ._version import __version__
from .jsonstate import NESTED, StateError, arrays_in, arrays_out, from_json, loads, reason, to_json
from .model import FittedModel
from .safeguards import file_kind, write_atomically
from .settings import check_params

FORMAT = "minority_gen.GANOversampler"
#: The version of the file layout this package writes; it reads this one and older ones.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
MEMBERS = ("config.json", "state.json", "arrays.safetensors", "weights.safetensors")
#: The largest declared size of a JSON member, and of a tensor member, that a file may have.
MAX_JSON_BYTES = 32 * 2**20
MAX_TENSOR_BYTES = 2**31
#: Members may declare at most this many times the archive's own size (plus 32 MiB): no zip bombs.
MAX_RATIO = 8
#: The fitted attributes of the estimator a file holds besides the model (nothing else is ever set on load).
FITTED = ("sampling_strategy_", "n_features_in_", "feature_names_in_", "layout_", "history_")
_ZIP_MAGIC = b"PK\x03\x04"
_MISSING = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what Path.is_file() took for no file
_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member dates: the same model gives the same bytes


class ModelFileError(ValueError):
    """A model file that cannot be loaded (or a sampler that cannot be saved); the message names the file."""


# --------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------
def save_sampler(sampler, path, metadata: dict | None = None) -> None:
    """Write the fitted ``sampler`` to ``path`` (see the module docstring); atomically.

    ``metadata``: a JSON-safe dict stored beside the model (read back with
    :func:`load_sampler`). Refuses to replace anything but a regular file
    (a directory, device, FIFO or symbolic link) and names a missing folder.
    """
    path = Path(path)
    check_writable(path)
    if not hasattr(sampler, "model_"):
        raise ModelFileError(f"cannot save to {path}: this {type(sampler).__name__} is not fitted; call fit or "
                             "fit_resample first.")
    try:
        members, holds = _members(sampler, metadata)
    except (StateError, ValueError) as exc:
        raise ModelFileError(f"cannot save to {path}: {exc}.") from None
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "class": type(sampler).__name__,
        "minority_gen_version": __version__, "torch_version": torch.__version__, "numpy_version": np.__version__,
        "pandas_version": pd.__version__, "python_version": platform.python_version(),
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
        "holds": holds,
    }

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in {MANIFEST: _dumps(manifest), **members}.items():
                zf.writestr(zipfile.ZipInfo(name, _DATE), data, compress_type=zipfile.ZIP_DEFLATED)

    # check_writable again just before the rename: nothing special appeared there meanwhile
    write_atomically(path, write, ".mgz", prefix=".minority-gen-tmp-", before_replace=lambda: check_writable(path))


def check_writable(path: Path) -> None:
    """Refuse, naming ``path``, a target that is not a regular file or absent, or whose folder is missing."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ModelFileError(f"cannot save to {path}: it is {file_kind(st.st_mode)}, which a model file never "
                             "replaces; choose a regular file's path.")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise ModelFileError(f"cannot save to {path}: the folder {parent} does not exist; create it first.")


def _dumps(value) -> bytes:
    return json.dumps(value, allow_nan=False, indent=1, sort_keys=False).encode()


def _members(sampler, metadata: dict | None) -> tuple[dict[str, bytes], dict]:
    params = sampler.get_params(deep=False)
    if callable(params.get("sampling_strategy")):
        raise StateError("sampling_strategy is a callable, which a model file cannot hold (it would have to run "
                         "code on load); refit with the dict it returns, e.g. sampling_strategy="
                         "dict(sampler.sampling_strategy_)")
    model_state, tensors = sampler.model_.to_state()
    fitted = {k: getattr(sampler, k) for k in FITTED if hasattr(sampler, k)}
    with arrays_out() as arrays:
        state = _dumps({"fitted": to_json(fitted), "model": to_json(model_state)})
        config = _dumps(to_json(params))
        meta = None if metadata is None else _dumps(to_json(metadata))
    flat = {f"{net}/{name}": t for net, sd in tensors.items() for name, t in sd.items()}
    members = {"config.json": config, "state.json": state, "arrays.safetensors": safetensors.numpy.save(arrays),
               "weights.safetensors": safetensors.torch.save(flat)}
    if meta is not None:
        members["metadata.json"] = meta
    FittedModel.from_state(model_state, tensors)  # a file that would not load is never written
    return members, sampler.model_.holds()


# --------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------
def load_sampler(path, cls, with_metadata: bool = False):
    """The sampler saved at ``path``, an instance of ``cls``; with ``with_metadata``, ``(sampler, metadata)``.

    Raises :class:`ModelFileError` naming ``path`` for a file that is not a
    minority_gen model, is truncated, damaged, edited (checksum mismatch),
    oversized for what it declares, or has a newer format version;
    ``FileNotFoundError`` for a missing file.
    """
    path = Path(path)
    manifest, members = read_archive(path)
    fail = lambda why: ModelFileError(f"{path}: {why}")  # noqa: E731
    if manifest["format_version"] == 1:
        params, model, fitted, metadata = persistence_v1.load(members, fail)
        sampler = make_sampler(cls, params, fail)
        attach(sampler, model, fitted, fail)
        return (sampler, metadata) if with_metadata else sampler
    try:
        arrays = safetensors.numpy.load(members["arrays.safetensors"])
        with arrays_in(arrays):
            params = from_json(loads(members["config.json"]))
            state = loads(members["state.json"])
            fitted, model_state = from_json(state["fitted"]), from_json(state["model"])
            metadata = from_json(loads(members["metadata.json"])) if "metadata.json" in members else None
    except (StateError, json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError, safetensors.SafetensorError,
            ValueError) as exc:
        raise fail(f"the model cannot be read ({reason(exc)}); it was written by an incompatible version or "
                   "damaged.") from None
    sampler = make_sampler(cls, params, fail)
    try:
        tensors = read_tensors(members["weights.safetensors"])
        model = FittedModel.from_state(model_state, tensors)
    except (StateError, KeyError, TypeError, ValueError, AttributeError, safetensors.SafetensorError) as exc:
        raise fail(f"the model cannot be rebuilt ({exc}).") from None
    attach(sampler, model, fitted, fail)
    return (sampler, metadata) if with_metadata else sampler


def make_sampler(cls, params: dict, fail):
    """An unfitted ``cls(**params)``, its parameters validated."""
    try:
        sampler = cls(**params)
        sampler._validate_params()
        check_params(sampler.get_params(deep=False))
    except (TypeError, ValueError) as exc:
        raise fail(f"its settings are not valid for this version of {cls.__name__} ({exc}).") from None
    return sampler


def attach(sampler, model: FittedModel, fitted: dict, fail) -> None:
    """Set the fitted model and the fitted attributes of :data:`FITTED` (no other name) on ``sampler``."""
    unknown = sorted(set(fitted) - set(FITTED))
    if not isinstance(fitted, dict) or unknown or not {"sampling_strategy_", "n_features_in_"} <= set(fitted):
        raise fail(f"its fitted attributes are not those of a model file (unexpected or missing: {unknown}).")
    for k, v in fitted.items():
        setattr(sampler, k, v)
    sampler.model_, sampler.classes_, sampler.filter_report_ = model, model.classes, {}


def read_tensors(data: bytes) -> dict[str, dict[str, torch.Tensor]]:
    """``weights.safetensors`` as network name → state dict."""
    out: dict[str, dict[str, torch.Tensor]] = {}
    for key, t in safetensors.torch.load(data).items():
        net, _, name = key.partition("/")
        if not name:
            raise ValueError(f"weights.safetensors has an entry {key!r} that names no network")
        out.setdefault(net, {})[name] = t
    return out


def read_archive(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and the other members of the model file at ``path``, each checked before it is read in full."""
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno not in _MISSING:
            raise
        raise FileNotFoundError(f"no such model file: {path}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ModelFileError(f"{path} is a folder, not a model file; give the file GANOversampler.save (or "
                             "`minority-gen resample --save-model`) wrote.")
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read
        raise ModelFileError(f"{path} is {file_kind(st.st_mode)}, not a regular file; give the file "
                             "GANOversampler.save (or `minority-gen resample --save-model`) wrote.")
    with open(path, "rb") as fh:
        head = fh.read(4)
    not_model = (f"{path} is not a minority_gen model file (expected a zip archive written by "
                 "GANOversampler.save or `minority-gen resample --save-model`).")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        if head == _ZIP_MAGIC:
            raise ModelFileError(f"{path} is truncated or damaged (its zip directory is missing); save the model "
                                 "again.") from None
        raise ModelFileError(not_model) from None
    with zf:
        infos = {info.filename: info for info in zf.infolist()}
        if MANIFEST not in infos:
            raise ModelFileError(not_model)
        budget = MAX_RATIO * st.st_size + 32 * 2**20
        for name, info in infos.items():
            limit = MAX_TENSOR_BYTES if name.endswith((".safetensors", ".pt")) else MAX_JSON_BYTES
            if info.file_size > min(limit, budget):
                raise ModelFileError(f"{path}: its member {name!r} declares {info.file_size:,} bytes, more than a "
                                     f"model file of {st.st_size:,} bytes may hold; refusing to read it.")
        if sum(info.file_size for info in infos.values()) > budget:
            raise ModelFileError(f"{path}: its members declare more bytes than a model file of its size may hold; "
                                 "refusing to read it.")
        try:
            data = {name: zf.read(name) for name in infos}
        except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
            raise ModelFileError(f"{path} is truncated or damaged ({exc}); save the model again.") from None
    return check_manifest(path, data, not_model), data


def check_manifest(path: Path, data: dict[str, bytes], not_model: str) -> dict:
    """The manifest, after its format, version and checksums are checked (it is removed from ``data``)."""
    try:
        manifest = loads(data.pop(MANIFEST))
        fmt, version = manifest.get("format"), manifest.get("format_version")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, StateError):
        raise ModelFileError(f"{path}: its manifest is not valid JSON (or {NESTED}); the file is damaged.") from None
    if fmt != FORMAT:
        raise ModelFileError(not_model)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path}: unknown format version {version!r}; the file is damaged.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was written by minority_gen {manifest.get('minority_gen_version', '?')} in format version "
            f"{version}; this minority_gen ({__version__}) reads format versions up to {FORMAT_VERSION}. "
            "Upgrade minority_gen to load it.")
    needed = persistence_v1.MEMBERS if version == 1 else MEMBERS
    sums = manifest.get("sha256")
    if not isinstance(sums, dict):
        raise ModelFileError(f"{path}: its manifest lists no checksums; the file is damaged.")
    missing = [m for m in needed if m not in data]
    if missing:
        raise ModelFileError(f"{path} lacks {', '.join(missing)}; the file is damaged or incomplete.")
    for name in sorted(set(data) | set(sums)):
        if name not in sums or name not in data:
            raise ModelFileError(f"{path}: {name} is {'not listed in' if name not in sums else 'missing from'} "
                                 "the manifest's checksums; the file was altered.")
        if hashlib.sha256(data[name]).hexdigest() != sums[name]:
            raise ModelFileError(f"{path}: the SHA-256 of {name} does not match the manifest; the file was "
                                 "tampered with or damaged. Refusing to load it.")
    if _newer(manifest.get("minority_gen_version")):
        warnings.warn(f"{path} was written by minority_gen {manifest['minority_gen_version']}, newer than this "
                      f"{__version__}; it loads as its format version {version} allows, but upgrade minority_gen "
                      "if it does not behave as expected.", UserWarning, stacklevel=4)
    return manifest


def _newer(version) -> bool:
    """Whether a version string names a release after this package's (unknown forms count as not newer)."""
    def parts(v):
        out = []
        for piece in str(v).split(".")[:3]:
            digits = "".join(ch for ch in piece if ch.isdigit())
            out.append(int(digits) if digits else 0)
        return tuple(out)

    return isinstance(version, str) and parts(version) > parts(__version__)
