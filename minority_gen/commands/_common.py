"""Arguments and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
from collections import Counter
from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import pandas as pd


class CommandError(Exception):
    """A user error the command line reports as one ``error:`` line, exit code 2 (no traceback)."""


def listed(items, limit: int = 20, sep: str = ", ") -> str:
    """At most ``limit`` of ``items`` joined by ``sep``, then how many more: a message line stays short.

    >>> listed(map(str, range(25)), limit=3)
    '0, 1, 2 ... and 22 more'
    """
    items = list(items)
    more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
    return sep.join(str(item) for item in items[:limit]) + more


def positive_int(text: str) -> int:
    """``argparse`` type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


#: The first bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def foreign_entry(folder: Path, *, files: Collection[str] = (), class_folders: Collection[str] = (),
                  nested: bool = False) -> Path | None:
    """The first entry of an existing output ``folder`` that the command cannot have written, or ``None``.

    A command writes the files named in ``files`` at the top of its folder
    and PNG files (``.png``, starting with the PNG signature) in the class
    folders named in ``class_folders``; with ``nested``, in sub-folders of
    those too (``images --copy-originals`` keeps the input's sub-folders).
    Anything else is foreign: another file or folder, a hidden entry
    (``.env``, ``.DS_Store``), a link, a file of another format.
    ``--overwrite``, which replaces the whole folder, refuses to delete it
    (:meth:`~minority_gen.commands._output.Outputs.folder`).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "benign").mkdir()
    >>> _ = (root / "benign" / "synthetic_00000.png").write_bytes(PNG_SIGNATURE)
    >>> foreign_entry(root, class_folders={"benign"}) is None
    True
    >>> _ = (root / "benign" / ".notes").write_text("mine")
    >>> foreign_entry(root, class_folders={"benign"}).name
    '.notes'
    """
    def png(path: Path) -> bool:
        if path.name.startswith(".") or path.suffix.lower() != ".png" or path.is_symlink() or not path.is_file():
            return False
        with open(path, "rb") as f:
            return f.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE

    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or entry.name.startswith("."):
            return entry
        if not entry.is_dir():
            if entry.name not in files or not entry.is_file():
                return entry
            continue
        if entry.name not in class_folders:
            return entry
        for parent, dirs, names in os.walk(entry):  # does not follow links
            for name in sorted(dirs):
                path = Path(parent, name)
                if not nested or name.startswith(".") or path.is_symlink():
                    return path
            for name in sorted(names):
                if not png(Path(parent, name)):
                    return Path(parent, name)
    return None


def add_overwrite_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``--overwrite``: the one policy of every sub-command that writes."""
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace an existing {what}: the new output is written in full first, "
                             "then swapped in; the input is never replaced. Without it an existing output "
                             "is refused before any training")


def add_save_model_argument(parser: argparse.ArgumentParser) -> None:
    """``--save-model``: keep the fitted sampler for ``minority-gen sample`` (minority_gen.persistence)."""
    parser.add_argument("--save-model", type=Path, default=None, metavar="FILE",
                        help="also save the fitted model to FILE (e.g. model.mgz) to draw more rows later with "
                             "`minority-gen sample FILE`; written atomically, refused if it exists unless "
                             "--overwrite")


def read_csv_table(path: Path, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Read a CSV and split off its ``target`` column, refusing targets a sampler cannot use.

    Checked here, before any training: the file exists and parses, its
    header names each column once (:func:`repeated_names`), the target is a
    column, it has no empty cells (whose float NaN would otherwise end in
    ``'<' not supported between 'float' and 'str'``) and no fractional
    numbers (a continuous column, which would end in scikit-learn's ``Unknown
    label type: continuous``; ``0.0`` / ``1.0`` are classes), at least two classes,
    and at least one feature column. Integer columns with empty cells come
    back as nullable ``Int64`` (:func:`integers_with_gaps`).
    """
    if not path.is_file():
        raise FileNotFoundError(f"no such CSV file: {path}")
    repeated = repeated_names(header_names(path))
    if repeated:
        names = listed((f"{name!r} (columns {listed(at, 5)})" for name, at in repeated.items()), sep="; ")
        raise CommandError(f"the header of {path} repeats column names: {names}; give each column its own "
                           f"name in the header line (read as it is, a repeat would become "
                           f"{next(iter(repeated))}.1 and reach the output under that name).")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path} as a CSV file with a header row: {exc}") from None
    if target not in df.columns:
        raise CommandError(f"--target {target!r} is not a column of {path}; its {len(df.columns)} columns: "
                           f"{listed(map(repr, df.columns))}")
    y = df[target]
    empty = y.isna().to_numpy().nonzero()[0]
    if len(empty):
        rows = listed((i + 2 for i in empty), limit=5)
        raise CommandError(f"the target column {target!r} of {path} has {len(empty)} empty cell(s) (file "
                           f"line {rows}); drop those rows or fill in their class first.")
    if pd.api.types.is_float_dtype(y.dtype):  # whole numbers written 0.0 / 1.0 are classes; 0.37 is not
        values = y.to_numpy(dtype=np.float64)
        fractional = np.unique(values[~np.isfinite(values) | (values != np.round(values))])
        if len(fractional):
            examples = ", ".join(f"{v:g}" for v in fractional[:3]) + (" ..." if len(fractional) > 3 else "")
            raise CommandError(
                f"the target column {target!r} of {path} holds {len(fractional)} distinct non-integer "
                f"number{'s' if len(fractional) > 1 else ''} ({examples}); it looks continuous, not like classes. "
                f"Give the class column with --target; columns: {listed(map(repr, df.columns))}.")
    classes = y.unique()
    if len(classes) < 2:
        found = "no rows"
        if len(classes):
            label = classes[0].item() if hasattr(classes[0], "item") else classes[0]
            found = f"only the class {label!r}"
        raise CommandError(f"the target column {target!r} of {path} has {found}; oversampling needs at "
                           "least two classes. Check --target.")
    X = df.drop(columns=[target])
    if X.shape[1] == 0:
        raise CommandError(f"{path} has no feature columns besides the target {target!r}.")
    return integers_with_gaps(X, path), y


#: The most characters :func:`header_names` reads to find the header line.
HEADER_LIMIT = 1 << 20


def header_names(path: Path, limit: int = HEADER_LIMIT) -> list[str]:
    """The column names of the CSV's header line as written, read with at most ``limit`` characters.

    ``pandas.read_csv`` renames a repeated name (``f0``, ``f0.1``), so the
    names are read with the ``csv`` module instead: the first line that is
    not blank (pandas skips blank lines before the header too). A header cut
    by ``limit`` loses its last, partial name; a file the ``csv`` module
    cannot parse gives ``[]`` (pandas then says what is wrong with it).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text(chr(10).join(["", 'f0,f0,"a,b",label', "1,2,3,x", ""]))
    >>> header_names(path)
    ['f0', 'f0', 'a,b', 'label']
    """
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        text = f.read(limit)
    rows = csv.reader(io.StringIO(text))
    try:
        names = next((row for row in rows if row), [])
        cut = len(text) == limit and next(rows, None) is None
    except csv.Error:
        return []
    return names[:-1] if cut else names


def repeated_names(names: list[str]) -> dict[str, list[int]]:
    """Each column name written more than once → its column numbers (from 1); empty names are left out.

    >>> repeated_names(["f0", "f0", "f2", "", "", "f2", "label"])
    {'f0': [1, 2], 'f2': [3, 6]}
    """
    counts = Counter(n for n in names if n.strip())
    return {n: [i + 1 for i, m in enumerate(names) if m == n] for n, c in counts.items() if c > 1}


#: A CSV cell holding a whole number written without a decimal point or exponent.
_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def integers_with_gaps(X: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``X`` with each column that the CSV writes as integers with empty (missing) cells as nullable ``Int64``.

    ``pandas.read_csv`` reads such a column as float64, so that ``63`` would
    be written back as ``63.0`` (and values beyond 2**53 rounded). Read from
    the text instead, it keeps its values exactly, is generated as integers
    and written as the input wrote it. A column written with decimals
    (``63.0``) stays float64; values beyond int64 stay as pandas read them.
    """
    candidates = [c for c in X.columns if pd.api.types.is_float_dtype(X[c].dtype) and X[c].isna().any()]
    if not candidates:
        return X
    text = pd.read_csv(path, dtype=str, usecols=lambda c: c in set(candidates))
    out = X.copy()
    for col in candidates:
        cells = text[col]
        present = cells.notna().to_numpy()
        if not present.any() or not cells[present].map(lambda t: bool(_INTEGER_TEXT.fullmatch(t))).all():
            continue
        values = [int(t) for t in cells[present]]
        if not all(INT64_MIN <= v <= INT64_MAX for v in values):
            continue
        column = pd.array([pd.NA] * len(cells), dtype="Int64")
        column[present] = values
        out[col] = pd.Series(column, index=X.index, name=col)
    return out


#: The cells ``pandas.read_csv`` reads as missing by default (pandas' documented ``na_values``).
CSV_NA_TOKENS = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
    "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})


def missing_tokens(path: Path) -> dict[str, str]:
    """Column → the text its missing cells have in the CSV at ``path`` (the most common one), when not empty.

    ``pandas.read_csv`` reads ``N/A``, ``NA``, ``null`` ... as missing;
    :func:`write_csv_like` writes each column's missing cells back with
    the same text, so that a resampled file reads like its input.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    tokens = {}
    for col in raw.columns:
        cells = raw[col][raw[col].isin(CSV_NA_TOKENS)]
        if len(cells) and cells.mode().iloc[0] != "":
            tokens[col] = cells.mode().iloc[0]
    return tokens


def write_csv_like(frame: pd.DataFrame, path: Path, tokens: dict[str, str]) -> None:
    """``frame`` as CSV, missing cells of the columns in ``tokens`` written with that column's text."""
    out = frame.copy()
    for col, token in tokens.items():
        if col in out.columns and out[col].isna().any():
            out[col] = out[col].astype(object).where(out[col].notna(), token)
    out.to_csv(path, index=False)


def check_folds(y: pd.Series, cv: int, path: Path, samplers: Mapping | None = None) -> None:
    """Refuse a class too small for ``--cv`` stratified folds, saying what to do on the command line; with
    ``samplers`` (label → sampler object or ``None``, the ones compared) also one that would leave a training fold
    fewer rows than they need: :func:`~minority_gen.evaluation.folds.fold_problem`, as the Python API does."""
    from ..evaluation.folds import fold_problem

    problem = fold_problem(y, cv, samplers or {}, option="--cv ", data=str(path))
    if problem is not None:
        raise CommandError(problem)
