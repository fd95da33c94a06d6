"""Drawing rows from a trained generator, checked: never a non-finite row, never one beyond the divergence limits
(:func:`generate_rows`); drawing until exactly the requested number of rows has passed a row filter
(:func:`draw_filtered`)."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterator
from numbers import Integral

import numpy as np
import torch

from .divergence import ADVICE, DivergenceError, beyond
from .filtering import CRITERIA, RowFilter, _is
from .methods.base import GANMethod, Networks, NoCandidateWarning


@torch.no_grad()
def generate_rows(
    method: GANMethod,
    nets: Networks,
    n: int,
    class_index: int | None,
    latent_dim: int,
    gen: torch.Generator,
    chunk: int = 4096,
    limits: np.ndarray | None = None,
    label: str = "",
) -> np.ndarray:
    """``n`` generated rows (in the training space) as a float32 array.

    Raises :class:`DivergenceError` rather than return a non-finite row, or
    with ``limits`` (:func:`divergence_limits`) a row beyond them; ``label``
    names the GAN in the message (e.g. ``"class 1"``).
    """
    device = next(nets.G.parameters()).device
    of = f" ({label})" if label else ""
    rows = None
    for start in range(0, n, chunk):  # each chunk checked as it comes, into one array: no copy of the whole draw
        m = min(chunk, n - start)
        z = torch.randn(m, latent_dim, generator=gen, device=device)
        y = None if class_index is None else torch.full((m,), class_index, dtype=torch.long, device=device)
        part = method.generate(nets, z, y).float().cpu().numpy()
        if part.size and not np.isfinite(part).all():
            raise DivergenceError(
                f"The generator of method {method.name!r}{of} produced non-finite values; "
                f"it has diverged. {ADVICE} and refit."
            )
        where = None if limits is None or not part.size else beyond(part, limits)
        if where is not None:
            raise DivergenceError(
                f"The generator of method {method.name!r}{of} has diverged: it produced {where}; "
                f"no rows are returned. {ADVICE} and refit."
            )
        if rows is None:
            rows = np.empty((n, *part.shape[1:]), dtype=np.float32)
        rows[start:start + m] = part
    return rows if rows is not None else np.empty((0, 0), dtype=np.float32)


@contextlib.contextmanager
def rejections_collected(rejected: list) -> Iterator[None]:
    """Inside, the :class:`NoCandidateWarning` of each chunk drawn by rejection goes to ``rejected`` instead of
    being shown, so that the caller can say it once for the whole draw; every other warning is shown as it was."""
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", NoCandidateWarning)
            yield
    finally:
        for w in caught:
            if isinstance(w.message, NoCandidateWarning):
                rejected.append(w.message)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


MIN_ROUND, MAX_FACTOR, MARGIN = 64, 10, 1.1
""":func:`draw_filtered` rows per round: MARGIN × missing / acceptance rate, in [MIN_ROUND, MAX_FACTOR × missing]."""
FILTER_BATCH = 16384
""":func:`draw_filtered` draws and judges a larger round in parts of this many rows, so that its memory does not grow
with the round: a multiple of :func:`generate_rows`' chunks (4096 rows, 256 images) and of the filter's
(``filtering.CHUNK_ROWS``), so the rows are those of one draw of the whole round."""


def _draw(draw: Callable[[int], np.ndarray], m: int) -> np.ndarray:
    rows = np.asarray(draw(m))
    if rows.ndim != 2 or len(rows) != m:
        raise ValueError(f"draw(m) must return an array of shape (m, n_features); draw({m}) gave {rows.shape}.")
    return rows


def draw_filtered(draw: Callable[[int], np.ndarray], n: int, row_filter: RowFilter | None,
                  max_rounds: int = 20, outside: Callable[[np.ndarray], np.ndarray] | None = None,
                  snap: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[np.ndarray, dict]:
    """Call ``draw`` until exactly ``n`` rows have passed ``row_filter`` and ``outside``; return them in draw order.

    Each round asks ``draw(m)`` for about ``1.1`` × the missing count divided by the acceptance rate seen so far
    (at least ``MIN_ROUND`` rows, at most ``MAX_FACTOR`` × the missing count). ``draw(0)`` is called once when
    ``n`` is 0, and ``draw(n)`` once when ``row_filter`` and ``outside`` are ``None``. Without a filter the first
    round is ``draw(n)``, so when ``outside`` rejects nothing the rows are exactly ``draw(n)``'s. With a
    deterministic (seeded) ``draw`` the output is the same every time.

    Parameters
    ----------
    draw : callable
        ``draw(m)`` returns ``m`` generated rows as an array of shape ``(m, n_features)``.
    n : int
        Rows wanted.
    row_filter : RowFilter or None
        A fitted filter; ``None`` keeps every row.
    max_rounds : int, default=20
        Rounds of ``draw`` before giving up: with a filter, a ``ValueError`` that says what to change; with
        ``outside`` alone, the missing rows are taken from the first rows it rejected (``kept_outside``). With
        a filter the ``ValueError`` comes as soon as the rounds left could not make up the missing rows even at
        a generous upper bound of the acceptance rate seen so far (:func:`_short_for_sure`), rather than after
        up to ``max_rounds`` × :data:`MAX_FACTOR` × ``n`` draws.
    outside : callable or None
        ``outside(rows)``: a boolean mask of the rows to reject because a discrete value lies outside the
        class's own range (:meth:`~minority_gen.data.TableCodec.outside`); checked after the filter.
    snap : callable or None
        ``snap(rows)``: the rows as they will be returned, in the filter's space (a codec's encode of its
        decode); the filter's ``"copies"`` criterion judges these (:meth:`RowFilter.reasons`). Only called when
        the filter has that criterion.

    Returns
    -------
    rows : ndarray of shape (n, n_features)
    report : dict
        ``requested`` (``n``), ``drawn`` (rows generated), ``dropped_copies``, ``dropped_knn``,
        ``dropped_border``, ``dropped_reach`` and ``dropped_range`` (rows rejected; a row rejected twice counts
        under the first of these),
        ``surplus`` (rows of the last round after the ``n``-th kept one, unused), ``kept`` (``n``),
        ``kept_outside`` (rows kept although ``outside`` rejected them, counted under ``dropped_range`` too: only
        when ``max_rounds`` ran out) and ``rounds``; ``drawn = kept - kept_outside + dropped_copies +
        dropped_knn + dropped_border + dropped_reach + dropped_range + surplus``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = RowFilter(criteria="copies").fit(rng.normal(size=(100, 2)))
    >>> rows, report = draw_filtered(lambda m: rng.normal(size=(m, 2)), 50, f)
    >>> rows.shape, report["kept"], report["drawn"] == 50 + report["dropped_copies"] + report["surplus"]
    ((50, 2), 50, True)
    >>> rows, report = draw_filtered(lambda m: rng.normal(size=(m, 2)), 50, None, outside=lambda r: r[:, 0] > 1)
    >>> bool((rows[:, 0] <= 1).all()), report["kept"], report["dropped_range"] > 0
    (True, 50, True)
    """
    if not _is(n, Integral) or n < 0:
        raise ValueError(f"n must be an int >= 0; got {n!r}.")
    if not _is(max_rounds, Integral) or max_rounds < 1:
        raise ValueError(f"max_rounds must be an int >= 1; got {max_rounds!r}.")
    keys = ("requested", "drawn", *(f"dropped_{c}" for c in CRITERIA), "dropped_range", "surplus", "kept",
            "kept_outside", "rounds")
    report = dict.fromkeys(keys, 0)
    report["requested"] = int(n)
    if (row_filter is None and outside is None) or n == 0:
        rows = _draw(draw, int(n))
        report.update(drawn=int(n), kept=int(n), rounds=1)
        return rows, report
    parts, rejected_rows, kept = [], [], 0
    while kept < n and report["rounds"] < max_rounds:
        missing = n - kept
        rate = kept / report["drawn"] if report["drawn"] else 1.0
        m = max(MIN_ROUND, min(MAX_FACTOR * missing, math.ceil(MARGIN * missing / max(rate, 1e-9))))
        if row_filter is None and not report["rounds"]:
            m = n  # the rows of an unfiltered draw, unchanged where nothing lies outside
        for start in range(0, m, FILTER_BATCH):  # the round in parts, whose rows are one draw of m's
            rows = _draw(draw, min(FILTER_BATCH, m - start))
            if kept < n:
                kept += _judge(rows, n - kept, row_filter, outside, snap, parts, rejected_rows, report)
            else:  # the count is complete: the rest of the round is drawn all the same (the random stream of one
                report.update(drawn=report["drawn"] + len(rows), surplus=report["surplus"] + len(rows))  # draw)
        report["rounds"] += 1
        if row_filter is not None and _short_for_sure(kept, report["drawn"], n - kept, max_rounds - report["rounds"]):
            report["gave_up"] = True
            break
    if kept < n and row_filter is None:  # only the range rejected rows: keep the first of them rather than fail
        parts.append(np.concatenate(rejected_rows)[: n - kept])
        report["kept_outside"] = n - kept
        kept = n
    if kept < n:
        raise ValueError(
            f"the row filter kept {kept} of {report['drawn']} generated rows in {report['rounds']} "
            f"round{'s' if report['rounds'] != 1 else ''}, "
            f"short of the {n} requested (dropped as copies: {report['dropped_copies']}, by knn: "
            f"{report['dropped_knn']}, across the border: {report['dropped_border'] + report['dropped_reach']}, "
            "outside the class's range of "
            f"a discrete column: {report['dropped_range']}). "
            + ("At the acceptance rate so far the remaining rounds could not make up the rest, so it stopped "
               "early. " if report.pop("gave_up", False) else "")
            + "Loosen the filter (a smaller copy_tol or quantile), disable it with filter=None, or train the "
            "generator longer."
        )
    report["kept"] = kept
    return np.concatenate(parts), report


def _judge(rows: np.ndarray, missing: int, row_filter: RowFilter | None, outside, snap, parts: list,
           rejected_rows: list, report: dict) -> int:
    """Judge drawn ``rows`` in :func:`draw_filtered`: append those kept, up to ``missing``, to ``parts`` (without a
    filter, those ``outside`` rejects to ``rejected_rows``), add to ``report``'s counts; the number kept."""
    m = len(rows)
    if row_filter is None:
        rejected = {}
    else:
        snapped = snap(rows) if snap is not None and "copies" in row_filter.criteria_ else None
        rejected = row_filter.reasons(rows, snapped)
    dropped, by = np.zeros(m, dtype=bool), {}  # a row rejected twice counts under the first criterion
    for c in CRITERIA:
        by[c] = rejected.get(c, np.zeros(m, dtype=bool)) & ~dropped
        dropped |= by[c]
    out = np.asarray(outside(rows), dtype=bool) & ~dropped if outside is not None else np.zeros(m, bool)
    ok = ~(dropped | out)
    # Examine rows up to the one that completes the count; the rest of the round is surplus.
    stop = m if ok.sum() < missing else int(np.flatnonzero(ok)[missing - 1]) + 1
    parts.append(rows[:stop][ok[:stop]])
    if row_filter is None:
        rejected_rows.append(rows[:stop][out[:stop]])
    counts = {"drawn": m, **{f"dropped_{c}": mask[:stop].sum() for c, mask in by.items()},
              "dropped_range": out[:stop].sum(), "surplus": m - stop}
    report.update({key: report[key] + int(value) for key, value in counts.items()})
    return int(ok[:stop].sum())


def _short_for_sure(kept: int, drawn: int, missing: int, rounds_left: int) -> bool:
    """Whether ``rounds_left`` more rounds cannot bring ``missing`` rows even if the acceptance rate were its
    generous upper bound ``(kept + 3·sqrt(kept) + 3) / drawn``, each round drawing its most (at least
    :data:`MIN_ROUND`, at most :data:`MAX_FACTOR` × the missing count).

    >>> _short_for_sure(0, 2_000_000, 200_000, 19), _short_for_sure(50, 100, 50, 1)
    (True, False)
    """
    if missing <= 0 or not drawn:
        return False
    rate = min(1.0, (kept + 3 * math.sqrt(kept) + 3) / drawn)
    left = float(missing)
    for _ in range(rounds_left):
        left -= max(MIN_ROUND, MAX_FACTOR * left) * rate
        if left < 1:
            return False
    return True
