"""Keeping a fit from doing harm: targets checked before training, nothing lost when it fails.

:func:`check_oversampling_targets` turns ``sampling_strategy`` into the
number of rows to generate per class, as imbalanced-learn's
``check_sampling_strategy`` does, after checking every count itself (an
int, at least the class's size) so that a bad value fails before the first
training iteration with a message naming the class and the value.
:func:`unchanged_on_failure` runs a fit so that an exception (a
:class:`~minority_gen.DivergenceError`, a ``KeyboardInterrupt``, anything)
leaves the estimator exactly as it was before the fit.
:func:`check_room` refuses, before training, a request for more new rows
than the machine's memory could hold, at :func:`row_bytes` a row. :func:`file_kind` and
:func:`default_mode` serve every check of a path a file is read from or
written to; :func:`write_atomically` replaces a whole file or none of it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from imblearn.utils import check_sampling_strategy

#: The most rows ``sampling_strategy`` may ask for in one class (int64's range, which NumPy counts in).
MAX_ROWS = int(np.iinfo(np.int64).max)


def class_label(c) -> str:
    """A class label as users wrote it (``1``, ``'sick'``), not ``np.int64(1)``."""
    return repr(c.item() if isinstance(c, np.generic) else c)


def check_oversampling_targets(sampling_strategy, y) -> OrderedDict:
    """Class label → number of rows to generate, every count checked first.

    ``sampling_strategy`` is what imbalanced-learn's over-samplers take. A
    dict (or what a callable returns for ``y``, which must be a dict) maps
    classes of ``y`` to the number of rows each should have *after*
    resampling: an ``int`` no smaller than the class's current size. A key
    may also be a class written as text (``"1"`` for the class ``1``), as
    JSON (a sampler spec, the command line) writes its keys.

    >>> y = np.array([0] * 6 + [1] * 2)
    >>> dict(check_oversampling_targets({1: 5}, y))
    {1: 3}
    >>> check_oversampling_targets({1: 5.0}, y)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: sampling_strategy[1] must be an int, ... got 5.0 (float). Write 5.
    """
    targets, source = sampling_strategy, "sampling_strategy"
    if callable(targets):
        name = getattr(targets, "__name__", type(targets).__name__)
        targets = targets(y)
        if not isinstance(targets, Mapping):
            raise TypeError(
                f"sampling_strategy is a callable ({name}), so it must return a dict of class label -> number "
                f"of rows after resampling; it returned {targets!r} ({type(targets).__name__})."
            )
        targets, source = dict(targets), f"sampling_strategy(y) (from {name})"
    if isinstance(targets, Mapping):
        targets = as_written(targets, y)
        _check_counts(targets, y, source)
    elif isinstance(targets, Real) and not isinstance(targets, bool):
        check_ratio(float(targets), y)
    return OrderedDict((c, int(n)) for c, n in check_sampling_strategy(targets, y, "over-sampling").items())


def check_ratio(ratio: float, y, source: str = "the classes already have") -> None:
    """Refuse a ratio (minority rows per majority row after resampling) below the one ``y`` already has, in words
    rather than imbalanced-learn's (``source`` says whose ratio it is); other ratios are left to it."""
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    if len(labels) != 2:
        return
    (minority, n_min), (majority, n_maj) = sorted(zip(labels, counts), key=lambda pair: pair[1])
    have = n_min / n_maj
    if ratio < have:
        raise ValueError(
            f"a ratio of {ratio:g} asks for {ratio:g} minority row(s) per majority row after resampling, but "
            f"{source} {have:.3g} ({class_label(minority)}: {n_min}, {class_label(majority)}: {n_maj}) "
            f"and oversampling only adds rows; give a ratio between {have:.3g} and 1 (1 balances the classes), "
            "or 'auto'."
        )


def as_written(targets: Mapping, y) -> dict:
    """``targets`` with each text key that is no class of ``y`` but is how exactly one class is written (``"1"``
    for the class ``1``: JSON, as in a sampler spec, writes its keys as text) replaced by that class.

    >>> as_written({"1": 5}, np.array([0, 0, 1])), as_written({"b": 5}, np.array(["a", "b"]))
    ({1: 5}, {'b': 5})
    """
    classes = pd.unique(np.asarray(y)).tolist()
    written: dict[str, list] = {}
    for c in classes:
        written.setdefault(str(c), []).append(c)
    return {written[c][0] if isinstance(c, str) and c not in classes and len(written.get(c, ())) == 1 else c: n
            for c, n in targets.items()}


def _check_counts(targets: Mapping, y, source: str) -> None:
    sizes = Counter(np.asarray(y).tolist())
    for c, n in targets.items():
        if c not in sizes:
            raise ValueError(
                f"{source} names class {class_label(c)}, which is not present in y; its classes are "
                f"{', '.join(map(class_label, sorted(sizes, key=str)))}."
            )
        have = sizes[c]
        if isinstance(n, bool) or not isinstance(n, Integral):
            fix = f" Write {int(n)}." if isinstance(n, float) and n.is_integer() else ""
            raise TypeError(
                f"{source}[{class_label(c)}] must be an int, the number of rows class {class_label(c)} should "
                f"have after resampling (at least {have}, its size now); got {n!r} ({type(n).__name__}).{fix}"
            )
        if n > MAX_ROWS:
            raise ValueError(
                f"{source}[{class_label(c)}] asks for {n:,} rows of class {class_label(c)}, more than any machine "
                f"could hold (at most {MAX_ROWS:,} can be counted); ask for fewer rows (it has {have} now)."
            )
        if n < have:
            raise ValueError(
                f"{source}[{class_label(c)}] asks for {n} rows of class {class_label(c)}, which has {have} "
                f"already; an over-sampler only adds rows: ask for at least {have} ({have} adds none)."
            )


def check_labels(y) -> None:
    """Refuse missing labels and labels of mixed types, naming the rows and the fix.

    scikit-learn's own checks end, for these, in ``'<' not supported between
    instances of 'float' and 'str'``, ``Unknown label type: unknown`` or
    ``boolean value of NA is ambiguous``.

    >>> check_labels(np.array(["a", None, "b"], dtype=object))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y has 1 missing label (NaN, None or pd.NA) at row 1; ...
    """
    if np.ndim(y) != 1:
        return  # one-hot labels: scikit-learn's checks name their problems
    values = y.to_numpy(dtype=object) if hasattr(y, "to_numpy") else np.asarray(y)
    if values.dtype.kind not in "fO":  # integers, strings, booleans: neither missing nor mixed
        return
    _refuse_label_rows(np.flatnonzero(pd.isna(values)), "missing label", " (NaN, None or pd.NA)",
                       "every row needs its class. Drop those rows (e.g. keep = pd.notna(y); X, y = X[keep], "
                       "y[keep]) or fill in their class first.")
    _refuse_label_rows(np.flatnonzero(np.isinf(values) if values.dtype.kind == "f" else
                                      [isinstance(v, Real) and not isinstance(v, bool) and np.isinf(v)
                                       for v in values]),
                       "infinite label", "", "a class label must be a finite number or a string. Drop those rows "
                       "or give them their class first.")
    if values.dtype.kind != "O":
        return
    first: dict[str, object] = {}
    for v in values.tolist():
        first.setdefault(_label_kind(v), v)
    if len(first) > 1:
        kinds = ", ".join(f"{type(first[k]).__name__} ({first[k]!r})" for k in sorted(first))
        raise TypeError(
            f"y mixes label types: {kinds}; the labels of a target must all be numbers or all strings. Convert "
            "them first, e.g. y = np.asarray(y).astype(str)."
        )


def _refuse_label_rows(rows: np.ndarray, what: str, detail: str, fix: str) -> None:
    """Refuse the labels at ``rows`` (none: nothing to refuse), naming the first five rows and ``fix``."""
    if len(rows):
        many = len(rows) > 1
        listed = ", ".join(map(str, rows[:5])) + (" ..." if len(rows) > 5 else "")
        raise ValueError(f"y has {len(rows)} {what}{'s' if many else ''}{detail} at row{'s' if many else ''} "
                         f"{listed}; {fix}")


def _label_kind(v) -> str:
    """``"bool"``, ``"number"`` (ints and floats mix freely), ``"str"`` or the type's name."""
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, Real):
        return "number"
    return "str" if isinstance(v, str) else type(v).__name__


def check_no_fit_params(params: Mapping) -> None:
    """Refuse keyword arguments of ``fit_resample`` (``sample_weight`` ...): the GANs weigh every row alike, so
    they would be ignored."""
    if params:
        names = ", ".join(sorted(params))
        raise TypeError(
            f"fit_resample got {names}, which GANOversampler does not use: its GANs weigh every row of a class "
            "alike. Drop the argument; to weigh rows, repeat or subsample them before the sampler."
        )


def check_callbacks(callbacks, n_jobs) -> list:
    """``fit``'s ``callbacks`` as a list, each checked to have the :class:`~minority_gen.callbacks.Callback`
    methods; one that watches the generator needs the training in this process (``n_jobs`` 1 or ``None``)."""
    from .callbacks import watches_generator
    from .parallel import n_workers

    if callbacks is None or hasattr(callbacks, "on_train_begin") or not hasattr(callbacks, "__iter__"):
        raise TypeError(f"callbacks must be a list of callbacks (minority_gen.callbacks); got {callbacks!r}.")
    callbacks = list(callbacks)
    for cb in callbacks:
        methods = ("on_train_begin", "on_iteration_end", "on_train_end")
        missing = [m for m in methods if not callable(getattr(cb, m, None))]
        if missing:
            raise TypeError(f"callback {cb!r} lacks {', '.join(missing)}: give it the methods of "
                            "minority_gen.callbacks.Callback.")
    watching = [type(cb).__name__ for cb in callbacks if watches_generator(cb)]
    if watching and n_workers(n_jobs) > 1:
        raise ValueError(f"callback {watching[0]} watches the generator, which it can only do in the training "
                         f"process, but n_jobs={n_jobs!r} trains in worker processes: fit with n_jobs=1.")
    return callbacks


@contextmanager
def unchanged_on_failure(estimator) -> Iterator[None]:
    """Run a fit so that, if it raises, ``estimator`` is left as it was before.

    The fit sets its attributes as it goes; the attributes it started from
    are kept aside and put back when anything (``KeyboardInterrupt``
    included) is raised, then the exception goes on. A refit that fails thus
    keeps the previous fitted model working, and a first fit that fails
    leaves the estimator unfitted. This holds because a fit rebinds
    attributes to new objects and never changes the previous fitted objects
    in place.
    """
    before = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(before)
        raise


def memory_bytes() -> int | None:
    """This machine's memory in bytes (the cgroup limit when one is lower); ``None`` where unknown."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return None
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return total if total > 0 else None


def _size(n_bytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n_bytes < 1000 or unit == "PB":
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1000
    raise AssertionError("unreachable")


#: Bytes per encoded value of one drawn row at the peak of a draw: the float32 rows (``generation.generate_rows``
#: checks each chunk as it comes), a filter's kept parts joined, and the codec's float64 copy (4 + 4 + 8 = 16). Kept
#: at the 30 measured before the draw and the decoders worked in place, a margin for ``fit_resample``'s copies;
#: ``sample``'s peaks against the estimate: benchmarks/results/draw_memory.md.
DRAW_BYTES = 30
#: Bytes per returned cell in a NumPy array: the decoded float64 rows, held while the next class draws.
CELL_BYTES = 8
#: Bytes more per returned cell in a DataFrame: its blocks' copies (``fit_resample``'s consolidating copy).
FRAME_CELL_BYTES = 16
#: Bytes more per returned cell when some columns hold objects (a mixed table's frame or object array): a Python
#: number per cell of an object column, the lists it is made from, ``pd.concat``'s copies.
OBJECT_CELL_BYTES = 64
#: Rows a row filter draws and judges at once, at most: ``generation.FILTER_BATCH`` (tests/test_room.py checks the
#: two agree; the layers keep this module from importing it). A filtered draw holds one such batch beside the rows
#: it has kept, whatever share of them the filter keeps.
FILTER_BATCH_ROWS = 16384


def row_bytes(n_encoded: int, n_columns: int, *, frame: bool = False, objects: bool = False) -> int:
    """Bytes of memory one requested row may cost at the peak of drawing and returning it: an upper estimate.

    ``n_encoded``: the width of a generated (encoded) row; ``n_columns``: of a returned row; ``frame``: the rows
    come back in a DataFrame; ``objects``: some columns hold objects (:func:`holds_objects`). A row filter adds
    :func:`filter_bytes` once, not per row.

    >>> row_bytes(20, 20), row_bytes(20, 20, frame=True, objects=True)
    (760, 2360)
    """
    cell = CELL_BYTES + (FRAME_CELL_BYTES if frame else 0) + (OBJECT_CELL_BYTES if objects else 0)
    return DRAW_BYTES * int(n_encoded) + cell * int(n_columns)


def filter_bytes(n_encoded: int, filtered: bool) -> int:
    """Bytes a row filter's batch of draws may hold beside the kept rows (``0`` without a filter).

    >>> filter_bytes(20, True), filter_bytes(20, False)
    (9830400, 0)
    """
    return FILTER_BATCH_ROWS * DRAW_BYTES * int(n_encoded) if filtered else 0


def holds_objects(table) -> bool:
    """Whether rows come back with columns of objects (object, string or categorical dtypes): ``table`` is a table
    as checked (a DataFrame, an array) or a mixed codec fitted on one.

    >>> frame = pd.DataFrame({"x": [0.5], "n": [1]})
    >>> holds_objects(np.zeros((2, 2))), holds_objects(frame), holds_objects(frame.astype({"n": "category"}))
    (False, False, True)
    """
    if hasattr(table, "is_frame_"):  # a fitted MixedTableCodec
        dtypes = [c.dtype for c in table.columns_] if table.is_frame_ else [table.array_dtype_]
    else:
        dtypes = list(table.dtypes) if isinstance(table, pd.DataFrame) else [getattr(table, "dtype", None)]
    return any(getattr(d, "kind", None) == "O" for d in dtypes)


def check_room(n_rows: int, bytes_per_row: int, source: str, fixed_bytes: int = 0) -> None:
    """Refuse ``n_rows`` new rows when they could not fit in this machine's memory.

    ``bytes_per_row`` is what one generated row may cost at the peak of
    drawing and returning it (:func:`row_bytes`), ``fixed_bytes`` what the draw
    holds whatever the count (:func:`filter_bytes`); the request is refused when
    ``n_rows`` such rows and that would need more than the machine's whole memory
    (:func:`memory_bytes`). It fails with a ``ValueError`` naming ``source``
    before any training, rather than with a ``MemoryError`` (or the machine
    swapping, or the system killing the process) after it.

    >>> check_room(10, 100, "n_samples")
    >>> check_room(10 ** 15, 100, "n_samples")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: n_samples asks for 1,000,000,000,000,000 new rows, about 100 PB of memory, ...
    """
    have = memory_bytes()
    need = int(n_rows) * int(bytes_per_row) + (int(fixed_bytes) if n_rows else 0)
    if have is not None and need > have:
        raise ValueError(
            f"{source} asks for {int(n_rows):,} new rows, about {_size(need)} of memory, more than this "
            f"machine has ({_size(have)}). Ask for fewer rows, or fit once and draw them in parts with "
            "sample(n)."
        )


_KINDS = ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str:
    """What a ``stat`` mode names, in words for messages.

    >>> import os
    >>> file_kind(os.lstat("/").st_mode), file_kind(os.stat("/dev/null").st_mode)
    ('a folder', 'a character device')
    """
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def default_mode(folder: bool = False) -> int:
    """The permissions a new file (``folder``: folder) gets under this process's umask: what a file written under
    a temporary name (``mkstemp``'s 0600, ``mkdtemp``'s 0700) is given before it is renamed into place."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if folder else 0o666) & ~umask


def write_atomically(path, write: Callable[[Path], object], suffix: str = "", *, prefix: str | None = None,
                     before_replace: Callable[[], object] | None = None) -> None:
    """Create ``path`` (or replace the file there) with what ``write(tmp)`` writes to ``tmp``, or leave it as it was.

    ``tmp``: a new file beside ``path`` (``mkstemp``: a fresh name, never a planted link), ``<prefix>…tmp<suffix>``
    (``prefix`` ``.<name>.`` unless given), given :func:`default_mode`'s permissions; ``before_replace()`` (a
    last check of the target) runs before the rename. On any failure ``tmp`` is removed, the old file kept.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}." if prefix is None else prefix, suffix=f".tmp{suffix}",
                                dir=path.absolute().parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, default_mode())  # mkstemp's 0600 would outlive the rename
        write(tmp)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
