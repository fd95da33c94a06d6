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
its own settings come back whichever worker finishes last.
"""

from __future__ import annotations

import pickle
import threading
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


def _run_capped(fn: Callable, index: int, args: tuple, workers: int) -> tuple[int, Any]:
    # one level of parallelism: a task's own joblib calls (a sampler's n_jobs, scikit-learn's neighbour searches)
    # run inside it, never as more tasks of a cluster backend such as Dask's, which would share its worker
    with capped_threads(workers), parallel_config(backend="sequential"):
        return index, fn(*args)


def run_unordered(fn: Callable, tasks: Iterable[tuple], n_jobs: int | None) -> Generator[tuple[int, Any], None, None]:
    """``(index, fn(*task))`` for every task, as each one completes, through ``joblib.Parallel``.

    With one worker joblib runs the tasks in this process, in order. Errors
    raised by a task propagate (joblib cancels the tasks not yet started), as
    does closing the generator early; a task may instead return a
    :class:`TaskError` for the caller to raise in task order.
    A backend that cannot return results as they complete (Ray's) gives them
    in task order instead, once all are done; the results are the same.
    joblib is given ``n_jobs`` capped at the number of tasks (``n_jobs=32``
    with two tasks starts two workers). The tasks start when the first result
    is asked for.
    """
    tasks = list(tasks)
    workers = min(n_workers(n_jobs), max(1, len(tasks)))
    jobs = [delayed(_run_capped)(fn, i, task, workers) for i, task in enumerate(tasks)]
    return _results(jobs, workers)


def _results(jobs: list, workers: int) -> Generator[tuple[int, Any], None, None]:
    # the calling thread holds the cap until the last result (or an error): see capped_threads
    with capped_threads(workers):
        try:
            results = Parallel(n_jobs=workers, return_as="generator_unordered")(jobs)
        except ValueError as exc:
            if "return_as" not in str(exc) and "generator" not in str(exc):
                raise
            results = iter(Parallel(n_jobs=workers, return_as="list")(jobs))
        for result in results:
            try:
                yield result
            except GeneratorExit:  # the caller stopped early (a TaskError): cancel the rest without joblib's warning
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=r".*tasks.*(not used|cancelled)", category=UserWarning)
                    getattr(results, "close", lambda: None)()
                raise


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

    def raise_from(self, kind: type[Exception] = ValueError):
        """Raise ``kind(message)`` from the task's exception (in a worker process's copy, its traceback)."""
        error = self.error
        if error.__traceback__ is None and error.__cause__ is None:
            error.__cause__ = WorkerTraceback(self.trace)
        raise kind(self.message) from error
