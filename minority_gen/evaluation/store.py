"""The evaluation engine's cells: what a cell's key is made of, and the append-only store that holds them.

A key is a SHA-256 over what determines a cell's numbers (see
:mod:`minority_gen.evaluation.engine`): :func:`canonical` descriptions of
the estimators, :func:`code_versions` of the code they run, digests of the
data. :func:`read_store` reads a store back (a line cut by a kill is
skipped with a warning); ``append_records`` writes finished cells, one JSON line
each, flushed and synced.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import math
import os
import platform
import stat
import subprocess
import warnings
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import OUTPUT_VERSION
from ..safeguards import file_kind
from .files import write_atomically

_PACKAGE = Path(__file__).resolve().parents[1]
def code_fingerprint() -> str:
    """What the package's samplers return: :data:`minority_gen._version.OUTPUT_VERSION`, the digest of their
    pinned, bit-exact outputs over every method and option. It changes exactly when a commit changes what a
    sampler returns (a test keeps it equal to the pinned outputs), so a refactor or a docstring leaves the
    cells valid and a changed default or training code recomputes them."""
    return OUTPUT_VERSION


def _qualname(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def canonical(obj):
    """A JSON-able, order-stable description of a value: estimators by class and ``get_params(deep=False)``."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else repr(obj)
    if isinstance(obj, np.generic):
        return canonical(obj.item())
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, np.ndarray):
        return {"array": _digest(obj), "shape": list(obj.shape)}
    if hasattr(obj, "get_params"):
        return {"class": _qualname(type(obj)), "params": canonical(obj.get_params(deep=False))}
    if callable(obj):  # a class, function or callable object
        name = getattr(obj, "__qualname__", type(obj).__qualname__)
        return {"callable": f"{getattr(obj, '__module__', type(obj).__module__)}.{name}"}
    return {"repr": repr(obj)}


def _classes(obj, out: set) -> set:
    """Every estimator class in ``obj``'s parameter tree."""
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        out.add(type(obj))
        for value in obj.get_params(deep=False).values():
            _classes(value, out)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _classes(value, out)
    return out


def _version(package: str) -> str | None:
    try:
        return getattr(importlib.import_module(package), "__version__", None)
    except ImportError:
        return None


def code_versions(obj) -> dict:
    """What code an estimator runs: :func:`code_fingerprint` for ``minority_gen`` classes outside
    ``evaluation``, otherwise the versions of the packages its classes come from (and numpy)."""
    if obj is None:
        return {}
    out = {"numpy": np.__version__}
    for cls in _classes(obj, set()):
        root = cls.__module__.split(".")[0]
        if root == "minority_gen" and not cls.__module__.startswith("minority_gen.evaluation"):
            out.update(minority_gen_code=code_fingerprint(), torch=_version("torch"))
        else:
            out[root] = _version(root)
            if root in ("imblearn", "minority_gen"):
                out["sklearn"] = _version("sklearn")
    return dict(sorted(out.items()))


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if isinstance(a, pd.DataFrame):
            h.update(pd.util.hash_pandas_object(a, index=False).to_numpy().tobytes())
            h.update(json.dumps([str(c) for c in a.columns]).encode())
        else:
            a = np.asarray(a)
            h.update(str((a.dtype.str, a.shape)).encode())
            h.update(np.ascontiguousarray(a).tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()[:32]


def _key(identity: dict) -> str:
    return hashlib.sha256(json.dumps(_keyed(identity), sort_keys=True).encode()).hexdigest()


def short_key(*parts) -> str:
    """A 16-hex-digit key of JSON-able ``parts``: the SHA-1 of their JSON list with sorted keys, as the benchmark
    scripts with stores of their own (protocols D and I, image diagnostics) key their cells.

    >>> short_key("digit5", "rumi", 0, {"b": 1, "a": [2]}) == short_key("digit5", "rumi", 0, {"a": [2], "b": 1})
    True
    >>> len(short_key("x")), short_key("x") == short_key("y")
    (16, False)
    """
    return hashlib.sha1(json.dumps(list(parts), sort_keys=True).encode()).hexdigest()[:16]


def _keyed(value):
    """``value`` (a :func:`canonical` description) with the parameters of the package's own estimators that equal
    their constructor's defaults left out, at any depth. Their output version is in the key, and it changes when a
    default changes the rows, so a default's value adds nothing; leaving it out keeps a cell's key when a parameter
    is added whose default keeps the rows."""
    if isinstance(value, list):
        return [_keyed(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    out = {k: _keyed(v) for k, v in value.items()}
    defaults = _defaults(out.get("class")) if isinstance(out.get("params"), Mapping) else None
    if defaults is not None:
        out["params"] = {k: v for k, v in out["params"].items() if k not in defaults or defaults[k] != v}
    return out


@functools.cache
def _defaults(qualname) -> dict | None:
    """The canonical constructor defaults of a ``minority_gen`` estimator class (outside ``evaluation``), named
    by its qualified name; ``None`` for any other name. Only modules of this package are imported."""
    if not isinstance(qualname, str) or not qualname.startswith("minority_gen.") \
            or qualname.startswith("minority_gen.evaluation."):
        return None
    module, _, name = qualname.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
        return canonical(cls().get_params(deep=False))
    except (ImportError, AttributeError, TypeError, ValueError):
        return None


def git_commit() -> str | None:
    """The checkout's short commit (``+dirty`` when the package's files differ from it), or ``None``."""
    try:
        run = dict(cwd=_PACKAGE.parent, capture_output=True, text=True, timeout=10)
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=True, **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", _PACKAGE.name], **run).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The processor's model name (``cpuinfo``'s ``model name`` line), else :func:`platform.processor` or the
    architecture. Cells computed on two processors can differ in their last bits, so stamps name it."""
    cpu = platform.processor() or platform.machine()
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            return next((line.split(":", 1)[1].strip()[:200] for line in f if line.startswith("model name")), cpu)
    except OSError:
        return cpu


def machine() -> str:
    """Platform, processor model and CPU count (the stamp of every cell the engine stores)."""
    return f"{platform.platform()}, {cpu_model()}, {os.cpu_count()} CPUs"


def machine_description() -> str:
    """The operating system, processor, CPU count, GPU and the Python and torch versions, for reports."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{platform.system()} {platform.release()}, {cpu_model()}, {os.cpu_count()} logical CPUs, {gpu}; "
            f"Python {platform.python_version()}, torch {torch.__version__}")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- the store


#: What an engine cell's identity holds (:mod:`minority_gen.evaluation.engine`).
_CELL = {"dataset", "fold", "classifier", "oversampler"}


#: The largest store read back (bytes): a store of a million cells is far smaller; a larger file is refused
#: rather than read into memory.
MAX_STORE_BYTES = 2 << 30

#: The longest line read as a record (bytes); an engine cell takes a few KiB.
MAX_LINE_BYTES = 16 << 20

#: How many unreadable lines of a store are named one warning each (the rest are counted in one more).
WARNED_LINES = 5


def _kind(path: Path) -> bool:
    """Whether a store file exists (``False`` when absent); ``ValueError`` for a folder, anything else but a
    regular file (a FIFO would block the read, a device never end it) or a link to no file, and for a file larger
    than :data:`MAX_STORE_BYTES`."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise ValueError(f"{path} is a symbolic link to a missing file ({os.readlink(path)}); a store is "
                             "never created through a link. Give the real path or another one.") from None
        return False
    except NotADirectoryError:
        raise ValueError(f"{path} cannot be a store: a part of its folder path is a file, not a folder.") from None
    if stat.S_ISDIR(st.st_mode):
        raise ValueError(f"{path} is a folder; give the store's file, e.g. {path / 'runs.jsonl'}.")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{path} is {file_kind(st.st_mode)}, not a regular file; a store is a JSON-lines file "
                         "(e.g. runs.jsonl): give a new file or an earlier store.")
    if st.st_size > MAX_STORE_BYTES:
        raise ValueError(f"{path} holds {st.st_size} bytes, more than a store is read ({MAX_STORE_BYTES} bytes); "
                         "give a new store, or split or prune this one.")
    return True


def check_store(path) -> Path:
    """``path`` as a :class:`~pathlib.Path` if it can be a store: absent, empty, or a regular file whose first line
    is a JSON object (a record) or the start of one (a first write cut short by a kill), of at most
    :data:`MAX_STORE_BYTES`. Anything else (a folder, a CSV, someone else's
    file, a FIFO or a device) raises ``ValueError`` before any work, so that appending records never spoils a file
    that is not a store. Reads at most the first line's first MiB.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "data.csv").write_text("a,b\\n1,2\\n")
    >>> try:
    ...     check_store(folder / "data.csv")
    ... except ValueError as err:
    ...     print(str(err).split(" (")[0].endswith("data.csv is not a JSON-lines store"))
    True
    >>> check_store(folder / "runs.jsonl") == folder / "runs.jsonl"
    True
    """
    path = Path(path)
    if _kind(path):
        with open(path, "rb") as f:
            first = f.readline(1 << 20).strip()
        try:
            ok = not first or isinstance(json.loads(first), dict)
        except (ValueError, RecursionError):
            ok = first.startswith(b'{"')  # a record cut short by a kill during the first write (read_records skips it)
        if not ok:
            raise ValueError(f"{path} is not a JSON-lines store (its first line is not a JSON record); give a new "
                             "file or an earlier store: nothing was written to it.")
    return path


def read_records(path, stacklevel: int = 2) -> list:
    r"""Every record of a JSON-lines file, in file order; none when it does not exist. Blank lines are skipped,
    and so, with a warning, are lines that are not JSON (a write cut short by a kill), not UTF-8, or nested
    deeper than Python parses: the first :data:`WARNED_LINES` by line number, the others counted in one more.

    >>> import tempfile, warnings
    >>> path = Path(tempfile.mkdtemp()) / "runs.jsonl"
    >>> _ = path.write_text('{"a": 1}\n\n{"a": 2\n[3]\n')
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     read_records(path), [str(w.message).split("/")[-1] for w in caught]
    ([{'a': 1}, [3]], ['runs.jsonl:3 is not JSON (a write cut short?); skipped.'])
    """
    path = Path(path)
    if not _kind(path):
        return []
    records, bad = [], []
    with open(path, "rb") as f:  # bytes: a line that is not UTF-8 is one bad line, not a failed read
        data = f.read(MAX_STORE_BYTES + 1)
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:  # not parsed: a long enough JSON list would fill the memory
            warnings.warn(f"{path}:{n} holds {len(line)} bytes, more than a record ({MAX_LINE_BYTES}); skipped.",
                          RuntimeWarning, stacklevel=stacklevel)
            continue
        try:
            records.append(json.loads(line.decode("utf-8")))
        except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            bad.append(n)
    for n in bad[:WARNED_LINES]:
        warnings.warn(f"{path}:{n} is not JSON (a write cut short?); skipped.", RuntimeWarning, stacklevel=stacklevel)
    if len(bad) > WARNED_LINES:
        warnings.warn(f"{path}: {len(bad) - WARNED_LINES} more lines are not JSON (lines {bad[WARNED_LINES]} to "
                      f"{bad[-1]}); skipped.", RuntimeWarning, stacklevel=stacklevel)
    return records


def malformed_cell(rec: dict) -> bool:
    """Whether a record lacks what the engine reads back from a cell: a ``status``; when it is ``"ok"``, a
    ``metrics`` object of numbers, otherwise an ``error`` message."""
    status = rec.get("status")
    if status == "ok":
        metrics = rec.get("metrics")
        return not isinstance(metrics, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values())
    return not (isinstance(status, str) and isinstance(rec.get("error"), str))


def read_store(path) -> list[dict]:
    """The cells of a store, one record per key: its last successful record, else its last failure.

    Lines that are not JSON (a write cut short by a kill) are skipped with a warning; records without a
    ``key`` (written by a script before it used the engine, in the same file) are not cells and are skipped,
    and so, with a warning, are records with an engine cell's identity that lack its status, metrics or error
    (:func:`malformed_cell`; those cells are computed again).
    """
    best: dict[str, dict] = {}
    malformed = 0
    for rec in read_records(path, stacklevel=3):
        if not isinstance(rec, dict) or not isinstance(rec.get("key"), str):  # another format (an older script's)
            continue
        if isinstance(rec.get("identity"), Mapping) and _CELL <= rec["identity"].keys():
            try:
                rec["key"] = _key(rec["identity"])  # an engine cell: keyed as today, whatever it was stored under
            except RecursionError:  # an identity nested deeper than the engine ever writes
                malformed += 1
                continue
            if malformed_cell(rec):
                malformed += 1
                continue
        if rec.get("status") == "ok" or best.get(rec["key"], {}).get("status") != "ok":
            best[rec["key"]] = rec
    if malformed:
        warnings.warn(f"{path}: {malformed} record(s) name an engine cell but lack its status, metrics (numbers) "
                      "or error message (not written by the engine?); skipped, so those cells are computed "
                      "again.", RuntimeWarning, stacklevel=2)
    return list(best.values())


def prune_store(path, version: str | None = None, keep: tuple[str, ...] = ()) -> tuple[int, int]:
    """Drop from a store the cells of the package's samplers computed at an output version other than
    ``version`` (default: :func:`code_fingerprint`) and those in ``keep`` (older versions whose reports must
    still regenerate); such cells are never read back. Cells of other samplers and lines that are not cells
    are kept as they are. The file is replaced atomically (:func:`.files.write_atomically`: a new file beside it
    under a fresh name, then ``os.replace``).
    Returns ``(lines kept, lines dropped)``."""
    path, versions = Path(path), {version or code_fingerprint(), *keep}
    _kind(path)  # a regular file of a bounded size (a missing one: read_text says so)
    kept, dropped = [], 0
    for line in path.read_bytes().splitlines():
        try:
            rec = json.loads(line.decode("utf-8"))
            code = rec["identity"]["oversampler"].get("code", {}).get("minority_gen_code")
        except (ValueError, RecursionError, KeyError, TypeError, AttributeError):
            code = None  # not a cell of the package's samplers (nor JSON, nor UTF-8): kept as it is
        if isinstance(code, str) and code not in versions:
            dropped += 1
        elif line.strip():
            kept.append(line)
    data = b"".join(line + b"\n" for line in kept)
    write_atomically(path, lambda tmp: tmp.write_bytes(data))  # a fresh temporary name: never a planted link's
    return len(kept), dropped


def append_records(path: Path, records: list[dict]) -> None:
    """Append ``records`` to a JSON-lines file, one line each, in one write, flushed and synced (``os.fsync``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        if fh.tell() > 0:  # a previous write cut short leaves no newline: start on a fresh line
            with open(path, "rb") as check:
                check.seek(-1, os.SEEK_END)
                if check.read(1) != b"\n":
                    fh.write(b"\n")
        fh.write("".join(json.dumps(r, sort_keys=True) + "\n" for r in records).encode())
        fh.flush()
        os.fsync(fh.fileno())  # what the module promises: a finished cell survives a crash of the machine too


# --------------------------------------------------------------------------- inputs
