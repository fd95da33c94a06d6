"""Saving a fitted :class:`~minority_gen.GANOversampler` to one file, and loading it without running code.

A model file (by convention ``.mgz``) is a zip archive of five members:

``manifest.json``
    ``format`` (``"minority_gen.GANOversampler"``), ``format_version``
    (:data:`FORMAT_VERSION`), the versions of minority_gen, torch, NumPy,
    pandas and Python that wrote it, and the SHA-256 of every other member.
``config.json``
    The estimator's ``get_params(deep=False)``: a ``method`` given as a
    method object is stored as its name and parameters, a ``filter`` as a
    ``RowFilter``'s parameters.
``state.json``
    Every fitted attribute (``classes_`` with its dtype, ``sampling_strategy_``,
    ``feature_names_in_``, ``layout_``, ``history_``, the fitted row filters,
    the data spec, the resampling seed ...) and how the networks were built
    (hidden widths, packing, spectral norm, which classes share a network).
``codec.json``
    The fitted codec: a :class:`~minority_gen.data.TableCodec`'s arrays, an
    :class:`~minority_gen.images.ImageCodec`'s layout and range, or a
    :class:`~minority_gen.tabular.MixedTableCodec`'s columns with their
    exact dtypes (``category`` with its categories and order, ``Int64``,
    ``boolean``, ``Float64``, ``string`` / ``str``, ``object`` with ``None``
    or NaN as the missing value ...).
``weights.pt``
    The networks' state dicts (``torch.save`` of plain dicts of tensors),
    one entry per network: a conditional method's network, shared by all
    classes, is stored once. Networks a method uses in training only (UAC-GAN's
    extra classifier) are not kept by the fitted estimator, so not stored.

The JSON members are read by :mod:`minority_gen.jsonstate`, which builds
only the package's own classes and NumPy / pandas values, and ``weights.pt``
by ``torch.load(weights_only=True)``, which refuses any pickled object that
is not a tensor or a plain container. The networks are rebuilt with
:func:`~minority_gen.nets.build_generator` and
:func:`~minority_gen.nets.build_discriminator` and their weights loaded
strictly. So loading a file, even one from an untrusted source, runs no code
from the file. The checksums catch a damaged or edited member (they are not
a signature: whoever can edit the file can recompute them).

A file that is not such an archive, was cut short, fails its checksums,
comes from a newer format version, or whose networks do not match their
weights is refused with :class:`ModelFileError` (a ``ValueError``) naming
the file.

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

import hashlib
import io
import json
import os
import pickle
import platform
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from ._version import __version__
from .jsonstate import StateError, from_json, to_json
from .methods import get_method
from .nets import build_discriminator, build_generator
from .nets.anchored import AnchorDraws

FORMAT = "minority_gen.GANOversampler"
#: The version of the file layout this package writes; it reads this one and older ones.
FORMAT_VERSION = 1
MEMBERS = ("config.json", "state.json", "codec.json", "weights.pt")
MANIFEST = "manifest.json"
_ZIP_MAGIC = b"PK\x03\x04"
_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member dates: the same model gives the same bytes

#: Fitted attributes saved elsewhere in the archive (networks, codec) or rebuilt from others.
_NOT_IN_STATE = {"generators_", "discriminators_", "codec_", "_codec_in"}


class ModelFileError(ValueError):
    """A model file that cannot be loaded (or a sampler that cannot be saved); the message names the file."""


# --------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------
def save_sampler(sampler, path, metadata: dict | None = None) -> None:
    """Write the fitted ``sampler`` to ``path`` (see the module docstring); atomically.

    ``metadata``: a JSON-safe dict stored beside the model (read back with
    :func:`load_sampler`), e.g. what the command line needs to write rows
    like its input.
    """
    path = Path(path)
    if not hasattr(sampler, "generators_"):
        raise ModelFileError(f"cannot save to {path}: this {type(sampler).__name__} is not fitted; call fit or "
                             "fit_resample first.")
    try:
        members = _members(sampler, metadata)
    except StateError as exc:
        raise ModelFileError(f"cannot save to {path}: {exc}.") from None
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": type(sampler).__name__,
        "minority_gen_version": __version__,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "pandas_version": pd.__version__,
        "python_version": platform.python_version(),
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    }
    fd, tmp = tempfile.mkstemp(prefix=".minority-gen-tmp-", suffix=f"-{path.name}", dir=path.absolute().parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in {MANIFEST: _dumps(manifest), **members}.items():
                zf.writestr(zipfile.ZipInfo(name, _DATE), data, compress_type=zipfile.ZIP_DEFLATED)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _dumps(value) -> bytes:
    return json.dumps(value, allow_nan=False, indent=1, sort_keys=False).encode()


def _members(sampler, metadata: dict | None) -> dict[str, bytes]:
    params = sampler.get_params(deep=False)
    if callable(params.get("sampling_strategy")):
        raise StateError("sampling_strategy is a callable, which a model file cannot hold (it would have to run "
                         "code on load); refit with the dict it returns, e.g. sampling_strategy="
                         "dict(sampler.sampling_strategy_)")
    groups, weights, spec = _networks(sampler)
    # every fitted attribute, private ones included: one the file cannot hold stops the save, never drops silently
    state = {k: v for k, v in vars(sampler).items() if k not in params and k not in _NOT_IN_STATE}
    out = {
        "config.json": _dumps(to_json(params)),
        "state.json": _dumps({"attributes": to_json(state), "networks": spec, "groups": groups,
                              "mixed": sampler._codec_in is not None}),
        "codec.json": _dumps(to_json(sampler.codec_)),
        "weights.pt": weights,
    }
    if metadata is not None:
        out["metadata.json"] = _dumps(to_json(metadata))
    return out


def _network_spec(sampler) -> dict:
    """How the networks were built: what :func:`_build` needs to make them again."""
    method = sampler.method_
    some_d = next(iter(sampler.discriminators_.values()))
    return {
        "hidden": to_json(sampler._check_hidden_dims()),
        "latent_dim": int(sampler.latent_dim_),
        "n_classes": len(sampler.classes_),
        "conditional": bool(method.conditional),
        "spectral_norm": bool(sampler.spectral_norm or method.needs_spectral_norm()),
        "pac": int(getattr(some_d, "pac", 1)),
        "anchor": isinstance(next(iter(sampler.generators_.values())), AnchorDraws),
    }


def _networks(sampler) -> tuple[list[dict], bytes, dict]:
    """The network groups (classes sharing a G and D), the weights file, and the build spec."""
    spec = _network_spec(sampler)
    seen: dict[int, int] = {}
    groups: list[dict] = []
    tensors: dict[str, dict[str, torch.Tensor]] = {}
    for label, G in sampler.generators_.items():
        D = sampler.discriminators_[label]
        key = seen.setdefault(id(G), len(groups))
        if key == len(groups):
            groups.append({"classes": [], "G": f"G{key}", "D": f"D{key}",
                           "G_trainable": any(p.requires_grad for p in G.parameters())})
            for name, net in (("G", G), ("D", D)):
                tensors[f"{name}{key}"] = {k: t.detach().cpu().clone() for k, t in net.state_dict().items()}
            # a file that would not load is never written
            G2, D2 = _build(sampler.method_, sampler._spec, spec, tensors[f"G{key}"])
            _load_strict(G2, tensors[f"G{key}"], "generator")
            _load_strict(D2, tensors[f"D{key}"], "discriminator")
        groups[key]["classes"].append(to_json(label))
    buf = io.BytesIO()
    torch.save(tensors, buf)
    return groups, buf.getvalue(), spec


def _build(method, data_spec, spec: dict, g_state: dict) -> tuple[nn.Module, nn.Module]:
    """The generator and discriminator as the training plan builds them (global RNG left untouched).

    An anchored generator's buffers (its real rows and their neighbours) are
    sized from ``g_state``, the generator's saved weights, which then fill them.
    """
    n_classes = int(spec["n_classes"])
    hidden = from_json(spec["hidden"])
    anchors = None
    if spec.get("anchor"):
        rows, nbrs = g_state.get("rows"), g_state.get("neighbours")
        if not (isinstance(rows, torch.Tensor) and rows.ndim == 2 and len(rows)
                and isinstance(nbrs, torch.Tensor) and nbrs.ndim == 2 and len(nbrs) == len(rows)):
            raise StateError("the anchored generator's rows and neighbours are missing from its weights, or their "
                             "shapes do not match")
        anchors = {"rows": torch.zeros(rows.shape), "neighbours": torch.zeros(nbrs.shape, dtype=torch.long)}
    with torch.random.fork_rng(devices=[]):
        G = build_generator(data_spec, int(spec["latent_dim"]), n_classes if spec["conditional"] else 0, hidden,
                            anchors=anchors)
        D = build_discriminator(data_spec, method.heads(n_classes), n_classes, hidden, bool(spec["spectral_norm"]),
                                pac=int(spec["pac"]))
    return G, D


def _load_strict(net: nn.Module, state: dict, what: str) -> None:
    try:
        net.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, TypeError) as exc:
        raise StateError(f"the {what}'s weights do not fit the network its settings build "
                         f"({' '.join(str(exc).split())[:300]})") from None


# --------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------
def load_sampler(path, cls, with_metadata: bool = False):
    """The sampler saved at ``path``, an instance of ``cls``; with ``with_metadata``, ``(sampler, metadata)``.

    Raises :class:`ModelFileError` naming ``path`` for a file that is not a
    minority_gen model, is truncated or damaged, was edited (checksum
    mismatch), has a newer format version, or holds anything but tensors in
    its weights; ``FileNotFoundError`` for a missing file.
    """
    path = Path(path)
    members = _read_archive(path)
    fail = lambda why: ModelFileError(f"{path}: {why}")  # noqa: E731
    try:
        params = from_json(json.loads(members["config.json"]))
        state = json.loads(members["state.json"])
        codec = from_json(json.loads(members["codec.json"]))
        attrs = from_json(state["attributes"])
        metadata = from_json(json.loads(members["metadata.json"])) if "metadata.json" in members else None
    except (StateError, json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise fail(f"the model cannot be read ({type(exc).__name__}: {exc}); it was written by an incompatible "
                   "version or damaged.") from None
    weights = _read_weights(path, members["weights.pt"])
    try:
        sampler = cls(**params)
        sampler._validate_params()
        get_method(sampler.method, sampler.method_params)
    except (TypeError, ValueError) as exc:
        raise fail(f"its settings are not valid for this version of {cls.__name__} ({exc}).") from None
    try:
        for k, v in attrs.items():
            setattr(sampler, k, v)
        sampler.codec_ = codec
        sampler._codec_in = codec if state["mixed"] else None
        _attach_networks(sampler, state, weights)
    except (StateError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise fail(f"the model cannot be rebuilt ({exc}).") from None
    return (sampler, metadata) if with_metadata else sampler


def _read_archive(path: Path) -> dict[str, bytes]:
    if not path.is_file():
        raise FileNotFoundError(f"no such model file: {path}")
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
        names = zf.namelist()
        if MANIFEST not in names:
            raise ModelFileError(not_model)
        try:
            data = {name: zf.read(name) for name in names}
        except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
            raise ModelFileError(f"{path} is truncated or damaged ({exc}); save the model again.") from None
    try:
        manifest = json.loads(data.pop(MANIFEST))
        fmt, version = manifest.get("format"), manifest.get("format_version")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        raise ModelFileError(f"{path}: its manifest is not valid JSON; the file is damaged.") from None
    if fmt != FORMAT:
        raise ModelFileError(not_model)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path}: unknown format version {version!r}; the file is damaged.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was written by minority_gen {manifest.get('minority_gen_version', '?')} in format version "
            f"{version}; this minority_gen ({__version__}) reads format versions up to {FORMAT_VERSION}. "
            "Upgrade minority_gen to load it.")
    sums = manifest.get("sha256")
    if not isinstance(sums, dict):
        raise ModelFileError(f"{path}: its manifest lists no checksums; the file is damaged.")
    missing = [m for m in MEMBERS if m not in data]
    if missing:
        raise ModelFileError(f"{path} lacks {', '.join(missing)}; the file is damaged or incomplete.")
    for name in sorted(set(data) | set(sums)):
        if name not in sums or name not in data:
            raise ModelFileError(f"{path}: {name} is {'not listed in' if name not in sums else 'missing from'} "
                                 "the manifest's checksums; the file was altered.")
        if hashlib.sha256(data[name]).hexdigest() != sums[name]:
            raise ModelFileError(f"{path}: the SHA-256 of {name} does not match the manifest; the file was "
                                 "tampered with or damaged. Refusing to load it.")
    return data


def _read_weights(path: Path, data: bytes) -> dict:
    try:
        weights = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelFileError(f"{path}: weights.pt holds objects other than tensors, refused unopened "
                             f"(torch.load weights_only: {first[:200]}). Only load models you saved.") from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: weights.pt cannot be read ({' '.join(str(exc).split())[:200]}).") from None
    ok = isinstance(weights, dict) and all(
        isinstance(k, str) and isinstance(sd, dict) and all(isinstance(t, torch.Tensor) for t in sd.values())
        for k, sd in weights.items())
    if not ok:
        raise ModelFileError(f"{path}: weights.pt is not a dict of state dicts.")
    return weights


def _attach_networks(sampler, state: dict, weights: dict) -> None:
    spec = state["networks"]
    generators, discriminators = {}, {}
    for group in state["groups"]:
        missing = [key for key in (group["G"], group["D"]) if key not in weights]
        if missing:
            raise StateError(f"weights.pt has no entry {missing[0]!r}")
        G, D = _build(sampler.method_, sampler._spec, spec, weights[group["G"]])
        for net, key, what in ((G, group["G"], "generator"), (D, group["D"], "discriminator")):
            _load_strict(net, weights[key], what)
            net.eval()
        G.requires_grad_(bool(group["G_trainable"]))
        for label in group["classes"]:
            label = from_json(label)
            generators[label], discriminators[label] = G, D
    sampler.generators_, sampler.discriminators_ = generators, discriminators
