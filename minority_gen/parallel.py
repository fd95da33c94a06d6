"""Independent tasks through joblib, with each worker's threads capped.

Both the per-class GAN training of :class:`~minority_gen.GANOversampler`
(``n_jobs``) and :func:`~minority_gen.evaluation.compare_oversamplers`
(``n_jobs``) hand their tasks to ``joblib.Parallel`` with joblib's default
backend, so whatever ``joblib.parallel_config`` selects (loky processes on
one machine, a Dask cluster, Ray) runs them with no other change.

``n_jobs`` follows joblib and scikit-learn: ``None`` means 1 unless a
``joblib.parallel_config`` context says otherwise, ``-1`` all CPUs (or all
workers of the configured backend), ``-2`` all but one, and so on.

Inside a worker, when several run at once, torch's intra-op threads and the
OpenMP / BLAS thread pools are held to ``cpu_count // n_workers`` (at least
1) for the duration of the task, so that ``n_workers`` tasks do not
oversubscribe the cores; the previous settings are restored afterwards.
``n_workers`` is ``n_jobs`` capped at the number of tasks, and that capped
count is what joblib is given: ``n_jobs=32`` with two tasks starts two
workers, not 32. Workers that are threads of the calling process (joblib's
threading backend, an in-process Dask cluster) share its BLAS pools: the
calling thread takes their cap for the whole run and restores it itself, so
its own settings come back whichever worker finishes last. When a run ends
early (a task's error, ``KeyboardInterrupt``, the caller closing the results),
such thread workers are stopped (joblib cannot stop a running thread: they
would train on behind the caller's back) and waited for before that restore.

As in a serial run, the error raised is the first failing task's in task
order, and warnings raised in worker processes are shown in the calling
process, through its warning filters, once each per call.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import pickle
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Generator, Iterable
from contextlib import contextmanager
from numbers import Integral
from typing import Any

import torch
from joblib import Parallel, cpu_count, delayed, effective_n_jobs, parallel_config
from threadpoolctl import threadpool_limits

from .constraints import NumberIn

#: ``_parameter_constraints`` entry for an ``n_jobs`` parameter: a non-zero int or None.
N_JOBS_CONSTRAINT = [
    NumberIn(Integral, None, -1, closed="right"),
    NumberIn(Integral, 1, None, closed="left"),
    None,
]


def check_n_jobs(n_jobs, name: str = "n_jobs") -> None:
    """Refuse anything but ``None`` or a non-zero int (not a bool, as ``GANOversampler``), naming the parameter."""
    if n_jobs is None:
        return
    if not isinstance(n_jobs, Integral) or isinstance(n_jobs, bool) or n_jobs == 0:  # True is no count of workers
        raise ValueError(
            f"{name} must be None or a non-zero integer (1: serial, 2: two workers, -1: all CPUs); "
            f"got {n_jobs!r}."
        )


def n_workers(n_jobs: int | None) -> int:
    """How many tasks joblib would run at once for ``n_jobs`` under the current ``parallel_config``."""
    return int(effective_n_jobs(n_jobs))


# Workers may be threads of one process (joblib's threading backend, an in-process Dask cluster). BLAS
# pools are process-wide: the first task to enter caps them and the last one to leave restores them, and
# run_unordered enters first and leaves last in the calling thread, so that the cap is taken and restored
# by one thread (OpenBLAS 0.3.30 was seen to keep the cap when a thread other than the one that lowered
# it raised it back while that one still lived, which left the caller's BLAS at the cap). OpenMP's count
# and torch's (on OpenMP builds, the usual ones) are per thread: every task caps them in its own thread
# and restores its own values on leaving; the last task to leave also puts back the torch count the first
# one found, which repairs an out-of-order restore of torch's process-wide setting on other builds.
_lock = threading.Lock()
_active = 0
_saved: tuple[int, Any] | None = None


@contextmanager
def capped_threads(workers: int):
    """Hold torch, OpenMP and BLAS to ``max(1, cpu_count() // workers)`` threads inside; restore after.

    Does nothing for ``workers <= 1`` (a serial run keeps the caller's settings).
    """
    global _active, _saved
    if workers <= 1:
        yield
        return
    cap = max(1, cpu_count() // workers)
    with _lock:
        before = torch.get_num_threads()
        if _active == 0:
            _saved = (before, threadpool_limits(limits=cap, user_api="blas"))
        _active += 1
        torch.set_num_threads(min(before, cap))
    openmp = threadpool_limits(limits=cap, user_api="openmp")  # this thread's own
    try:
        yield
    finally:
        openmp.restore_original_limits()
        with _lock:
            torch.set_num_threads(before)
            _active -= 1
            if _active == 0 and _saved is not None:
                first_before, limits = _saved
                torch.set_num_threads(first_before)
                limits.restore_original_limits()
                _saved = None


class _Cancelled(BaseException):
    """Raised inside a task running in a thread of the calling process once its run has ended early."""


class _Run:
    """One ``run_unordered`` call, as the tasks that run in threads of the calling process see it.

    Such tasks (joblib's threading backend, an in-process Dask cluster) outlive an error, a
    ``KeyboardInterrupt`` or an early close in the caller: joblib cannot stop a running thread. They
    register here (``present``: from before their thread limits are capped to after they are restored;
    ``inside``: while the task's function runs), so that the caller can raise :class:`_Cancelled` in
    those inside and wait for every one present to leave before it restores its own thread limits (see
    :func:`capped_threads`) and warning filters.
    """

    def __init__(self):
        self.caller, self.present, self.inside = threading.get_ident(), set(), set()
        self.cancelled = self.ran_here = False
        self.changed = threading.Condition()

    def enter(self, into: set) -> bool:
        """Add this thread to ``into`` unless the run was cancelled; whether it was added."""
        with self.changed:
            if not self.cancelled:
                into.add(threading.get_ident())
                self.ran_here |= threading.get_ident() != self.caller
            return not self.cancelled

    def leave(self, out_of: set) -> None:
        ident = threading.get_ident()
        while True:  # a _Cancelled landing in here is dropped: it only asks the task to stop, which it has
            try:
                with self.changed:
                    out_of.discard(ident)
                    if out_of is self.inside:
                        _raise_in(ident, None)  # clears one raised as the task ended; none can come after this
                    self.changed.notify_all()
                return
            except _Cancelled:
                continue

    def cancel(self, patience: float = 30.0) -> None:
        """Stop this run's tasks in this process's threads and wait (``patience`` seconds at most) for them."""
        deadline = time.monotonic() + patience
        with self.changed:
            self.cancelled = True
            while self.present and time.monotonic() < deadline:
                for ident in self.inside:  # again at each round: one inside a long C call sees it on return
                    _raise_in(ident, _Cancelled)
                self.changed.wait(0.05)


def _raise_in(ident: int, error: type[BaseException] | None) -> None:
    """Raise ``error`` in the thread ``ident`` at its next Python instruction (``None``: clear a pending one)."""
    exc = None if error is None else ctypes.py_object(error)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), exc)


_runs: dict[int, _Run] = {}
_run_ids = itertools.count()


def _run_capped(fn: Callable, index: int, args: tuple, workers: int, run: tuple[int, int] | None = None) -> tuple:
    # one level of parallelism: a task's own joblib calls (a sampler's n_jobs, scikit-learn's neighbour searches)
    # run inside it, never as more tasks of a cluster backend such as Dask's, which would share its worker
    here = _runs.get(run[1]) if run is not None and run[0] == os.getpid() else None
    if here is None:  # another process: its warnings go back to the caller with the result
        with _warnings_caught() as caught:
            with capped_threads(workers), parallel_config(backend="sequential"):
                try:
                    result = fn(*args)
                except Exception as exc:  # noqa: BLE001 - raised by the caller, in task order
                    result = _Raised("", exc)
            return index, result, _unique(caught)
    if not here.enter(here.present):
        return index, None, []  # the run ended before this task started
    try:
        with capped_threads(workers), parallel_config(backend="sequential"):
            if not here.enter(here.inside):
                return index, None, []
            try:  # warnings of a thread go through this process's filters as they come
                return index, fn(*args), []
            except Exception as exc:  # noqa: BLE001 - raised by the caller, in task order
                return index, _Raised("", exc), []
            finally:
                here.leave(here.inside)  # from here on no _Cancelled is raised in this thread
    except _Cancelled:
        return index, None, []
    finally:
        here.leave(here.present)  # its limits restored: the caller may restore its own


@contextmanager
def _warnings_caught(most: int = 100):
    """The first ``most`` distinct warnings raised inside, recorded, not shown: the caller's filters decide."""
    caught: dict[tuple, None] = {}

    def record(message, category, filename, lineno, file=None, line=None):
        if len(caught) < most:
            caught.setdefault((str(message), category, filename, lineno), None)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record
        yield caught


def _unique(caught: dict) -> list[tuple]:
    """The warnings of ``caught`` as (text, category, file, line, module) tuples, in the order they came."""
    if not caught:
        return []
    modules = {getattr(m, "__file__", None): name for name, m in list(sys.modules.items())}
    return [(*key, modules.get(key[2])) for key in caught]


def _show(found: list[tuple], shown: set) -> None:
    """Warn here, through the caller's filters, each warning a worker process recorded, once per run."""
    for text, category, filename, lineno, module in found:
        if (text, category, filename, lineno) not in shown:
            shown.add((text, category, filename, lineno))
            where = {} if module is None else {"module": module}  # module=None would hide it
            warnings.warn_explicit(text, category, filename, lineno, **where)


def run_unordered(fn: Callable, tasks: Iterable[tuple], n_jobs: int | None) -> Generator[tuple[int, Any], None, None]:
    """``(index, fn(*task))`` for every task, as each one completes, through ``joblib.Parallel``.

    With one worker joblib runs the tasks in this process, in order. An
    error raised by a task is raised here, the first failing task's in task
    order, as a serial run would (from a worker process: a copy, whose
    ``__cause__`` holds the worker's traceback), once every task before it
    has finished; the results of those tasks come first, those of later
    tasks that come back after it are dropped, and the tasks not done are
    cancelled. A task may
    instead return a :class:`TaskError` for the caller to raise.
    A backend that cannot return results as they complete (Ray's) gives them
    in task order instead, once all are done; the results are the same.
    joblib is given ``n_jobs`` capped at the number of tasks (``n_jobs=32``
    with two tasks starts two workers). The tasks start when the first result
    is asked for.

    Warnings raised in worker processes are shown here, through this
    process's filters, once each per call (the first 100 distinct ones of a
    task), as the task's result (or error) comes back. When the run ends
    early (an error, ``KeyboardInterrupt``, the generator closed), tasks
    still running in threads of this process (joblib's threading backend)
    are stopped and waited for, so that no training goes on behind the
    caller's back and its thread limits and warning filters come back as
    they were.
    """
    tasks = list(tasks)
    workers = min(n_workers(n_jobs), max(1, len(tasks)))
    run_id = next(_run_ids)
    jobs = [delayed(_run_capped)(fn, i, task, workers, run=(os.getpid(), run_id)) for i, task in enumerate(tasks)]
    return _results(jobs, workers, run_id)


def _results(jobs: list, workers: int, run_id: int) -> Generator[tuple[int, Any], None, None]:
    # the calling thread holds the cap until the last result (or an error): see capped_threads
    run = _Run()
    filters, showwarning = list(warnings.filters), warnings.showwarning
    _runs[run_id] = run
    try:
        with capped_threads(workers):
            try:
                yield from _collect(jobs, workers)
            except BaseException:
                run.cancel()
                raise
    finally:
        del _runs[run_id]
        if run.ran_here:  # threads entering and leaving catch_warnings out of order leave any filters behind
            warnings.filters[:], warnings.showwarning = filters, showwarning
            warnings._filters_mutated()


def _collect(jobs: list, workers: int) -> Generator[tuple[int, Any], None, None]:
    try:
        results = Parallel(n_jobs=workers, return_as="generator_unordered")(jobs)
    except ValueError as exc:
        if "return_as" not in str(exc) and "generator" not in str(exc):
            raise
        results = iter(Parallel(n_jobs=workers, return_as="list")(jobs))
    shown: set = set()
    pending, first = set(range(len(jobs))), None  # first: (index, error) of the first failed task in task order
    try:
        for index, result, found in results:
            _show(found, shown)
            pending.discard(index)
            if isinstance(result, _Raised):
                first = (index, result) if first is None or index < first[0] else first
            elif first is None or index < first[0]:  # a serial run would have run it before the error
                yield index, result
            if first is not None and not any(i < first[0] for i in pending):
                break
    except BaseException:  # the caller stopped early (a TaskError), or a warning of a task's raised here under
        _close(results)  # an "error" filter
        raise
    if first is not None:
        _close(results)
        first[1].reraise()


def _close(results) -> None:
    """Cancel the tasks not done yet, without joblib's warning that it did."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*tasks.*(not used|cancelled)", category=UserWarning)
        getattr(results, "close", lambda: None)()


class WorkerTraceback(Exception):
    """A task's traceback in the worker process that ran it, as text: the ``__cause__`` of its error's copy."""

    def __str__(self) -> str:
        return "\n" + self.args[0]


class TaskError:
    """An error a task returns instead of raising it, so that the caller can raise the first one in task order.

    ``error`` is the task's exception. From a worker process it comes back as
    a copy (pickled, as joblib does with raised errors) without its traceback,
    whose ``__cause__`` :meth:`raise_from` sets to the worker's traceback
    (:class:`WorkerTraceback`); an exception that does not pickle comes back
    as a ``RuntimeError`` carrying its type's name and its text.
    """

    def __init__(self, message: str, error: BaseException, trace: str | None = None):
        self.message, self.error = message, error
        self.trace = "".join(traceback.format_exception(error)) if trace is None else trace

    def __reduce__(self):
        error = self.error
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:  # noqa: BLE001 - whatever stops the copy
            error = RuntimeError(f"{type(error).__name__}: {error}")
        return TaskError, (self.message, error, self.trace)

    def _remote_trace(self) -> BaseException:
        error = self.error
        if error.__traceback__ is None and error.__cause__ is None:
            error.__cause__ = WorkerTraceback(self.trace)
        return error

    def raise_from(self, kind: type[Exception] = ValueError):
        """Raise ``kind(message)`` from the task's exception (in a worker process's copy, its traceback)."""
        raise kind(self.message) from self._remote_trace()


class _Raised(TaskError):
    """An exception a task raised, handed back as its result so that the caller raises the first in task order."""

    def __reduce__(self):
        return _Raised, TaskError.__reduce__(self)[1]

    def reraise(self):
        """Raise the task's exception itself (from a worker process: a copy, its traceback as its ``__cause__``)."""
        raise self._remote_trace()
