"""Files the evaluation writes: names made from data checked first, whole files replaced atomically.

* :func:`check_name_part` refuses a name (a training set's, a method's) that is to become part of a file name
  unless it is a plain one: ASCII letters, digits and ``_ . + -``, starting with a letter or digit, at most
  :data:`MAX_NAME` characters. ``"../x"``, ``"/etc/x"`` or ``"a/b"`` never lead a write elsewhere.
* :func:`write_atomically` (:func:`minority_gen.safeguards.write_atomically`, kept here for the evaluation's
  modules) writes a file under a fresh, unpredictable name beside it (``mkstemp``: created exclusively, never
  through a symbolic link someone planted) and renames it into place; on any failure the temporary file is
  removed and the old file, if any, is kept.

>>> import tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "notes.txt"
>>> write_atomically(path, lambda tmp: tmp.write_text("hello"))
>>> [p.name for p in path.parent.iterdir()], path.read_text()
(['notes.txt'], 'hello')
>>> check_name_part("rumi+augmentation", "a condition")
'rumi+augmentation'
"""

from __future__ import annotations

import re

from ..safeguards import write_atomically

__all__ = ["MAX_NAME", "RULE", "check_name_part", "write_atomically"]

#: The longest name :func:`check_name_part` accepts.
MAX_NAME = 100
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
RULE = (f"a name that becomes part of a file name must be 1 to {MAX_NAME} ASCII letters, digits or the "
        "characters '_', '.', '+', '-', starting with a letter or digit")


def check_name_part(name, what: str) -> str:
    """``name`` if it can be part of a file name (see the module's rule), else ``ValueError`` naming it."""
    if not isinstance(name, str) or len(name) > MAX_NAME or not _PLAIN.fullmatch(name):
        shown = repr(name) if not isinstance(name, str) or len(name) <= MAX_NAME else repr(name[:MAX_NAME]) + "…"
        raise ValueError(f"{what} {shown} cannot name a file: {RULE} (no path separators); rename it.")
    return name
