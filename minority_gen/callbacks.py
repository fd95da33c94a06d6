"""Training events: the :class:`Callback` protocol, the progress bar that is one, and generator snapshots.

A callback may also watch the generator itself: one with an integer
``generator_every`` attribute and an ``on_generator(iteration, G)`` method is
handed the sampling generator (the EMA one when kept) after every
``generator_every``-th iteration, in the training process, before the next
iteration changes it. :class:`GeneratorSnapshots` keeps copies of its
weights, so that a benchmark can score a fit at several training lengths.
"""

from __future__ import annotations

from typing import Protocol

from torch import Tensor, nn


class Callback(Protocol):
    def on_train_begin(self, n_iter: int, label: str) -> None: ...
    def on_iteration_end(self, iteration: int, record: dict[str, float]) -> None: ...
    def on_train_end(self) -> None: ...


def _name(cb) -> str:
    return type(cb).__name__


def _blame(exc: BaseException, cb, method: str) -> None:
    """Add a note naming the callback and the method that raised ``exc`` (kept once per error)."""
    note = f"raised by callback {_name(cb)}.{method} ({cb!r})"
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)


def begin_all(callbacks, n_iter: int, label: str) -> None:
    """``on_train_begin`` for every callback, in order.

    When one raises, the callbacks whose ``on_train_begin`` already ran get
    their ``on_train_end`` (a progress bar is closed) before the error
    propagates, with a note naming the callback that raised; the others,
    never begun, are not ended.
    """
    begun = []
    try:
        for cb in callbacks:
            try:
                cb.on_train_begin(n_iter, label)
            except BaseException as exc:
                _blame(exc, cb, "on_train_begin")
                raise
            begun.append(cb)
    except BaseException:
        end_all(begun, suppress=True)
        raise


def iteration_end_all(callbacks, record: dict[str, float]) -> None:
    """``on_iteration_end(record["iteration"], record)`` for every callback, in order.

    Each callback gets its own copy of ``record``, so that one that changes
    it changes neither ``history_`` nor what the next callback sees; an
    error gets a note naming the callback that raised it.
    """
    for cb in callbacks:
        try:
            cb.on_iteration_end(record["iteration"], dict(record))
        except BaseException as exc:
            _blame(exc, cb, "on_iteration_end")
            raise


def end_all(callbacks, suppress: bool = False) -> None:
    """``on_train_end`` for every callback, even after one of them raised.

    The first error (with a note naming its callback) is raised once every
    callback has been ended; with ``suppress`` (training already failed, and
    its error is the one to see) errors are dropped.
    """
    first = None
    for cb in callbacks:
        try:
            cb.on_train_end()
        except Exception as exc:
            _blame(exc, cb, "on_train_end")
            first = first or exc
    if first is not None and not suppress:
        raise first


def watches_generator(cb) -> bool:
    """Whether ``cb`` asks for the generator (``generator_every`` and ``on_generator``)."""
    return getattr(cb, "generator_every", None) is not None and callable(getattr(cb, "on_generator", None))


class GeneratorSnapshots:
    """Copies of the sampling generator's weights every ``every`` iterations.

    Pass it to :meth:`GANOversampler.fit(X, y, callbacks=[...])
    <minority_gen.GANOversampler.fit>`; afterwards ``states[label][iteration]``
    holds the weights (on the CPU) of the GAN trained under ``label`` (the
    progress bar's label, e.g. ``"rumi (class 1)"``, or ``"rumi (class 1) (1 of 3)"``
    when a fit trains a GAN for each of 3 classes). Load one into
    ``sampler.generators_[c]`` to draw from the generator as it was then.
    Snapshots are taken in the training process only: a fit with ``n_jobs``
    other than 1 refuses them.

    Parameters
    ----------
    every : int
        Iterations between snapshots (the last iteration is kept only when it
        is a multiple).
    """

    def __init__(self, every: int):
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive integer; got {every!r}.")
        self.generator_every = every
        self.states: dict[str, dict[int, dict[str, Tensor]]] = {}
        self._label = ""

    def on_train_begin(self, n_iter: int, label: str) -> None:
        self._label = label
        self.states[label] = {}

    def on_iteration_end(self, iteration: int, record: dict[str, float]) -> None:
        """Losses are not kept: the snapshots come from :meth:`on_generator`."""

    def on_generator(self, iteration: int, G: nn.Module) -> None:
        self.states[self._label][iteration] = {k: v.detach().cpu().clone() for k, v in G.state_dict().items()}

    def on_train_end(self) -> None:
        """Nothing to close: the snapshots stay in :attr:`states`."""


class ProgressBar:
    """A tqdm bar over iterations, showing the latest D and G losses.

    The losses are refreshed every ``every`` iterations, on a quality score,
    and on the last iteration (the planned last one, or, when training stops
    early, the last one trained), so a finished bar shows the final losses.
    """

    def __init__(self, every: int = 25):
        self.every = every
        self._bar = None
        self._quality = None
        self._n_iter = None
        self._unshown = None  # the latest record, until its losses are on the bar

    def on_train_begin(self, n_iter: int, label: str) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=n_iter, desc=label, leave=True, dynamic_ncols=True)
        self._quality = None  # one bar object serves every GAN of a fit: no score carried over
        self._n_iter, self._unshown = n_iter, None

    def on_iteration_end(self, iteration: int, record: dict[str, float]) -> None:
        self._bar.update(1)
        if "q_score" in record:
            self._quality = record["q_score"]
        self._unshown = record
        if iteration % self.every == 0 or "q_score" in record or iteration == self._n_iter:
            self._show()

    def _show(self) -> None:
        record, self._unshown = self._unshown, None
        shown = dict(d_loss=f"{record['d_loss']:.4f}", g_loss=f"{record['g_loss']:.4f}")
        if self._quality is not None:
            shown["quality"] = f"{self._quality:.3f}"
        self._bar.set_postfix(shown)

    def on_train_end(self) -> None:
        if self._unshown is not None:  # stopped early: the last iteration trained
            self._show()
        self._bar.close()
