"""The outputs of a sub-command: checked before any training, written atomically.

Every sub-command that writes follows one policy, so that a long training run
never ends in an error about its output and never leaves half a result:

* :meth:`Outputs.file` and :meth:`Outputs.folder` check a path when they are
  called, before the command reads data or trains. They refuse an output that
  already exists unless ``--overwrite`` is given; an output that is an input,
  lies inside an input folder or contains an input; a file output that is an
  existing folder and a folder output that is an existing file; a parent
  folder that cannot be created or written. They never replace anything but
  a regular file or a folder: a symbolic link, a FIFO, a device or a socket
  at an output path is refused, ``--overwrite`` or not.
* :meth:`Outputs.staged` creates each output under a temporary name beside
  its final path (``.minority-gen-tmp-…``, with the permissions of the
  output it replaces), lets the command write there and
  renames everything into place only once the command has succeeded. A folder
  replaced by ``--overwrite`` is deleted only after the new one is in place.
  On any failure, Ctrl-C and SIGTERM included, the temporary outputs and the parent
  folders created for them are removed, and existing outputs stay untouched.
* :func:`class_folder_names` names the class folders of image outputs from
  the class labels: one safe name per label, so that no label (``"../x"``,
  an absolute path) leads a write outside the output folder.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> root = Path(tempfile.mkdtemp())
>>> outputs = Outputs(overwrite=False, inputs=[])
>>> out = outputs.file("--out", root / "new" / "table.csv")
>>> with outputs.staged() as tmp:
...     _ = tmp[out].write_text("a,b\\n")
>>> [p.name for p in (root / "new").iterdir()]
['table.csv']
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..safeguards import default_mode, file_kind
from ._common import CommandError

TMP_PREFIX = ".minority-gen-tmp-"
#: Suffixes of files, refused in the name of a new folder output: whoever asks for ``rows.csv`` wants a file.
FILE_SUFFIXES = frozenset(
    ".csv .tsv .txt .md .html .json .jsonl .npy .npz .pkl .pickle .parquet .xlsx .h5 .pt .mgz .gz .zip .tar .pdf .svg "
    ".png .jpg .jpeg .gif .bmp .tif .tiff .webp".split())


@dataclass(frozen=True)
class _Output:
    option: str
    path: Path
    folder: bool


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _inside(child: Path, folder: Path) -> bool:
    return folder.resolve() in child.resolve().parents


class Outputs:
    """The files and folders one command writes: checked when added, committed together."""

    def __init__(self, overwrite: bool, inputs: Sequence[Path]):
        self.overwrite = overwrite
        self.inputs = [Path(p) for p in inputs]
        self._outputs: list[_Output] = []

    def file(self, option: str, path: Path, example: str = "") -> Path:
        """Check and register a file output; ``example`` is a file name suggested when ``path`` is a folder."""
        path = Path(path)
        _check_name(option, path, example or "out")
        for src in self.inputs:
            if _same(path, src):
                raise CommandError(f"{option} {path} is the input file; choose another path so the "
                                   "original is kept.")
            if src.is_dir() and _inside(path, src):
                raise CommandError(f"{option} {path} is inside the input folder {src}; choose a path "
                                   "outside it so the originals are never touched.")
        self._check_other_outputs(option, path, folder=False)
        _refuse_special(option, path)
        if path.is_dir():
            hint = f", such as {path / example}" if example else ""
            raise CommandError(f"{option} {path} is an existing folder; give the path of a file{hint}.")
        if os.path.lexists(path) and not self.overwrite:
            raise CommandError(f"{option} {path} already exists; pass --overwrite to replace it, or "
                               "choose another path.")
        self._check_parent(option, path)
        self._outputs.append(_Output(option, path, folder=False))
        return path

    def folder(self, option: str, path: Path, foreign: Callable[[Path], Path | None], holds: str = "") -> Path:
        """Check and register a folder output.

        ``foreign(path)`` returns an entry of an existing folder that the
        command does not write (or ``None``): ``--overwrite`` refuses to
        delete such a folder, so that a mistyped ``--out`` cannot wipe
        unrelated files. ``holds``: what the folder is written with (e.g. "a
        folder of PNG files"): a new folder named like a file (``rows.csv``,
        :data:`FILE_SUFFIXES`) is then refused, saying so.
        """
        path = Path(path)
        _check_name(option, path, "out")
        if holds and path.suffix.lower() in FILE_SUFFIXES and not path.is_dir():
            raise CommandError(f"{option} {path}: {holds}, not a {path.suffix} file; give a folder name, e.g. "
                               f"{option} {path.with_suffix('')}.")
        for src in self.inputs:
            if _same(path, src) or _inside(src, path) or _inside(path, src):
                raise CommandError(f"{option} {path} overlaps the input {src}; choose a separate folder so "
                                   "the originals are never touched.")
        self._check_other_outputs(option, path, folder=True)
        _refuse_special(option, path)
        if os.path.lexists(path) and not path.is_dir():
            raise CommandError(f"{option} {path} is an existing file; give the path of a folder.")
        if path.is_dir() and any(path.iterdir()):
            if not self.overwrite:
                raise CommandError(f"{option} {path} already exists and is not empty; pass --overwrite to "
                                   "replace it, or choose a new folder.")
            stray = foreign(path)
            if stray is not None:
                raise CommandError(f"{option} {path} holds {stray}, which this command does not write; "
                                   "--overwrite replaces the whole folder, so it refuses. Move that away or "
                                   f"choose another {option}.")
        self._check_parent(option, path)
        self._outputs.append(_Output(option, path, folder=True))
        return path

    def _check_other_outputs(self, option: str, path: Path, folder: bool) -> None:
        for other in self._outputs:
            if _same(path, other.path):
                raise CommandError(f"{option} and {other.option} are the same path {path}; give each its own.")
            if other.folder and _inside(path, other.path):
                raise CommandError(f"{option} {path} is inside {other.option} {other.path}, which is written "
                                   "as a whole; put it outside.")
            if folder and _inside(other.path, path):
                raise CommandError(f"{other.option} {other.path} is inside {option} {path}, which is written "
                                   "as a whole; put it outside.")

    @staticmethod
    def _check_parent(option: str, path: Path) -> None:
        existing, _ = _existing_parent(path)
        if not existing.is_dir():
            raise CommandError(f"{option} {path}: {existing} is a file, not a folder; choose another path.")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise CommandError(f"{option} {path}: the folder {existing} is not writable; choose a folder you "
                               "can write to.")

    @contextmanager
    def staged(self) -> Iterator[dict[Path, Path]]:
        """Temporary paths, keyed by the registered paths, renamed into place when the block succeeds."""
        created: list[Path] = []
        temps: dict[Path, Path] = {}
        done = False
        try:
            for out in self._outputs:
                try:
                    _make_parents(out.path, created)
                    temps[out.path] = _make_temp(out.path, out.folder)
                except OSError as exc:
                    where = exc.filename or out.path.parent
                    raise CommandError(f"{out.option} {out.path}: cannot create {where} "
                                       f"({exc.strerror or exc}); choose a folder you can write to.") from None
            yield dict(temps)
            for out in self._outputs:
                _refuse_special(out.option, out.path)  # again: it may have appeared while the command ran
                _commit(temps[out.path], out.path)
                del temps[out.path]
            done = True
        finally:
            for tmp in temps.values():
                _remove(tmp)
            if not done:
                for folder in reversed(created):
                    try:
                        folder.rmdir()
                    except OSError:
                        pass


#: Bytes the temporary name (``.minority-gen-tmp-XXXXXXXX-NAME``, or ``.minority-gen-old-…``) adds to a name.
TMP_EXTRA = len(TMP_PREFIX) + 8 + 1


def _existing_parent(path: Path) -> tuple[Path, list[Path]]:
    """``(existing, missing)``: the nearest entry above ``path`` (made absolute) that exists, and the folders
    between them that do not (nearest first), which writing ``path`` creates."""
    missing = []
    parent = Path(path).absolute().parent
    while not os.path.lexists(parent):
        missing.append(parent)
        parent = parent.parent
    return parent, missing


def _name_max(existing: Path) -> int:
    try:
        return int(os.pathconf(existing, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def name_limit(path: Path) -> int:
    """The most bytes of one file name in the file system that will hold ``path`` (255 when it does not say)."""
    return _name_max(_existing_parent(path)[0])


def _check_name(option: str, path: Path, example: str) -> None:
    """Refuse a path that names no entry of its own (``.``, ``..``) or a name the file system cannot hold."""
    if path.name in ("", ".", ".."):
        raise CommandError(f"{option} {path} names no file or folder of its own; give a new name, e.g. "
                           f"{option} {path / example}.")
    existing, missing = _existing_parent(path)
    limit = _name_max(existing)
    for parent in missing:  # a missing parent folder is created: its name must fit too
        if len(os.fsencode(parent.name)) > limit:
            raise CommandError(f"{option} {path}: the folder name {parent.name[:40]}... is "
                               f"{len(os.fsencode(parent.name))} bytes, more than this file system's limit of "
                               f"{limit} bytes per name; choose a shorter one.")
    size = len(os.fsencode(path.name))
    if size + TMP_EXTRA > limit:
        raise CommandError(f"{option} {path}: the name is {size} bytes; an output is first written under a "
                           f"temporary name {TMP_EXTRA} bytes longer, and this file system allows at most {limit} "
                           f"bytes per name, so choose a name of at most {limit - TMP_EXTRA} bytes.")


def _refuse_special(option: str, path: Path) -> None:
    """Refuse an output path that exists as anything but a regular file or a folder.

    Outputs are renamed into place, which would swap a symbolic link for a
    file (rather than write through it) and a FIFO or a device for a regular
    file: neither is ever done, ``--overwrite`` or not.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError:  # missing, or a parent that is no folder: the other checks name that
        return
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    kind = file_kind(mode)
    if stat.S_ISLNK(mode):
        raise CommandError(f"{option} {path} is a symbolic link (to {os.readlink(path)}); an output is "
                           "written in full and then renamed into place, which would replace the link rather "
                           f"than write through it, so it is refused. Give the real path ({path.resolve()}) "
                           "or another one.")
    raise CommandError(f"{option} {path} is {kind}, not a regular file or folder; it is never replaced, "
                       "--overwrite or not. Choose another path.")


_UNSAFE_IN_NAMES = frozenset("/\\:")


def class_folder_name(label) -> str:
    """The folder name of class ``label``: one path component, never hidden, never ``.`` or ``..``.

    ``str(label)`` with ``/``, ``\\``, ``:`` (path separators, a drive on
    Windows) and control characters replaced by ``_``, and so are leading
    dots; an empty label becomes ``_``. Names such as ``benign``, ``Pleural
    Effusion`` or ``école`` stay as they are.

    Examples
    --------
    >>> class_folder_name("malignant"), class_folder_name("../evil"), class_folder_name("/etc")
    ('malignant', '___evil', '_etc')
    """
    text = str(label.item() if isinstance(label, np.generic) else label)
    name = "".join("_" if ch in _UNSAFE_IN_NAMES or unicodedata.category(ch) == "Cc" else ch for ch in text)
    bare = name.lstrip(".")
    return "_" * (len(name) - len(bare)) + bare or "_"


def class_folder_names(labels: Iterable, name_max: int | None = None) -> dict:
    """Label → :func:`class_folder_name`, refusing two labels that would share a folder, and a folder name of
    more than ``name_max`` bytes (:func:`name_limit` of the output folder)."""
    names: dict = {}
    owner: dict[str, object] = {}
    for label in labels:
        name = class_folder_name(label)
        if name_max is not None and len(os.fsencode(name)) > name_max:
            text = str(label.item() if isinstance(label, np.generic) else label)
            raise CommandError(
                f"the class {text[:40]!r}... ({len(text)} characters) would be written to a folder whose name is "
                f"{len(os.fsencode(name))} bytes, more than this file system's limit of {name_max} bytes per name; "
                "give the class a shorter label, or draw it from Python with GANOversampler.load(path).sample(n, "
                "y=label).")
        if name in owner and owner[name] != label:
            first, second = (repr(c.item() if isinstance(c, np.generic) else c) for c in (owner[name], label))
            raise CommandError(
                f"the classes {first} and {second} would both be written to the folder {name!r} (class folders "
                "are named from the labels with '/', '\\', ':', control characters and leading dots replaced "
                "by '_'); give the classes distinct names, or draw them from Python with "
                "GANOversampler.load(path).sample(n, y=label)."
            )
        owner[name] = label
        names[label] = name
    return names


def _make_parents(path: Path, created: list[Path]) -> None:
    """Create the missing folders above ``path``, outermost first, adding each to ``created``."""
    for folder in reversed(_existing_parent(path)[1]):
        folder.mkdir()
        created.append(folder)


def _make_temp(path: Path, folder: bool) -> Path:
    # The name ends with the final name, so writers that go by the suffix (.png, .csv.gz) still do.
    where = path.absolute().parent
    if folder:
        tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, suffix=f"-{path.name}", dir=where))
    else:
        fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=f"-{path.name}", dir=where)
        os.close(fd)
        tmp = Path(name)
    try:  # what it replaces keeps its permissions (a private 0600 file must not become 0644)
        old = os.lstat(path).st_mode
        mode = stat.S_IMODE(old) if stat.S_ISREG(old) or stat.S_ISDIR(old) else default_mode(folder)
    except OSError:  # a new output: mkstemp's 0600 / mkdtemp's 0700 would outlive the rename
        mode = default_mode(folder)
    os.chmod(tmp, mode)
    return tmp


def _commit(tmp: Path, final: Path) -> None:
    if not tmp.is_dir() or not os.path.lexists(final):
        os.replace(tmp, final)
        return
    old = final.with_name(f".minority-gen-old-{uuid.uuid4().hex[:8]}-{final.name}")
    os.rename(final, old)
    try:
        os.rename(tmp, final)
    except BaseException:
        os.rename(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
