"""The files of an image folder's class and what reading them would lose (``minority-gen images``).

:func:`class_dirs` lists an image folder's class folders (its sub-folders that are not hidden);
:func:`class_files` lists a class folder's files as torchvision's ``ImageFolder`` does (sub-folders and
symlinked folders followed, each real folder once), leaving out hidden files and hidden folders such as
``.ipynb_checkpoints``; the other helpers tell which images hold what an 8-bit PNG cannot keep: transparency,
frames after the first, 16-bit values, or values beyond 16 bits.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: Pillow's modes of grayscale images deeper than 8 bits (``I``: 32-bit integers, read as 16 bits when they fit).
DEEP_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


def class_dirs(folder: Path) -> list[Path]:
    """The class folders of an image folder, sorted: its sub-folders (symlinked ones too) whose names do not start
    with ``.`` (``.ipynb_checkpoints``, ``.git`` ...)."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def class_files(class_dir: Path) -> tuple[list[Path], list[Path]]:
    """``(files, broken)``: the files under ``class_dir`` (sorted) and the symbolic links there that lead nowhere.

    Sub-folders are searched, symlinked folders too (a folder reached twice, or a link to a folder above, is
    read once); names starting with ``.`` (hidden files, ``.ipynb_checkpoints``, ``.git`` ...) are left out.
    """
    files, broken, seen = [], [], set()
    for root, dirs, names in os.walk(class_dir, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = Path(root) / name
            if name.startswith("."):
                continue
            if path.is_file():
                files.append(path)
            elif path.is_symlink() and not path.exists():
                broken.append(path)
    return sorted(files), sorted(broken)


def transparent(img) -> bool:
    """Whether ``img`` has pixels that are not fully opaque (an alpha channel or a transparent colour)."""
    if "A" not in img.getbands() and "a" not in img.getbands() and "transparency" not in img.info:
        return False
    rgba = img if img.mode in ("RGBA", "LA") else img.convert("RGBA")
    return rgba.getchannel("A").getextrema()[0] < 255


def out_of_range(img) -> str | None:
    """The value range of a 32-bit integer or float image that an 8- or 16-bit PNG cannot hold, else ``None``."""
    if img.mode not in ("I", "F"):
        return None
    lo, hi = img.getextrema()
    top = 65535 if img.mode == "I" else 255
    if lo < 0 or hi > top or (img.mode == "F" and not np.array_equal(arr := np.asarray(img), np.rint(arr))):
        return f"mode {img.mode}, values {lo:g} to {hi:g}"
    return None


def as_16_bits(img):
    """A grayscale image deeper than 8 bits as an ``I;16`` image (its values checked by :func:`out_of_range`)."""
    from PIL import Image

    return img if img.mode == "I;16" else Image.fromarray(np.asarray(img).astype(np.uint16))
