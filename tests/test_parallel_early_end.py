"""run_unordered when a run ends early or its tasks warn: thread workers stopped, the caller's state given back."""

from __future__ import annotations

import threading
import time
import warnings

import joblib
import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

import minority_gen.parallel as parallel_module
from minority_gen.parallel import run_unordered


class _Slow:
    """Task 0 fails (or returns) once task 1 runs; task 1 works in Python for up to 20 s unless stopped."""

    def __init__(self, fail: bool):
        self.fail, self.started, self.ticks, self.release = fail, threading.Event(), 0, threading.Event()

    def __call__(self, index):
        if index == 0:
            assert self.started.wait(timeout=30)
            if self.fail:
                raise ValueError("task 0 failed")
            return 0
        self.started.set()
        deadline = time.monotonic() + 20
        while not self.release.is_set() and time.monotonic() < deadline:
            self.ticks += 1
            time.sleep(0.005)
        return 1


def _limits():
    return torch.get_num_threads(), [(i["filepath"], i["num_threads"]) for i in threadpool_info()]


@pytest.mark.parametrize("end", ["error", "close"])
def test_thread_workers_stop_when_the_run_ends_early_and_the_caller_gets_its_limits_back(end):
    # joblib cannot stop a running thread: after an error in one task (or the caller closing the results early,
    # as a KeyboardInterrupt or a failing callback does), the other task trained on behind the caller's back, held
    # the thread cap, and the last one out restored the caller's BLAS pools from its own thread (OpenBLAS kept 1)
    task = _Slow(fail=end == "error")
    high = max(2, joblib.cpu_count())
    torch_before = torch.get_num_threads()
    torch.set_num_threads(high)
    try:
        with threadpool_limits(limits=high):
            before = _limits()
            with joblib.parallel_config(backend="threading"):
                results = run_unordered(task, [(0,), (1,)], n_jobs=2)
                if end == "error":
                    with pytest.raises(ValueError, match="task 0 failed"):
                        list(results)
                else:
                    assert next(results) == (0, 0)
                    results.close()
            ticks = task.ticks
            time.sleep(0.2)
            still_running = task.ticks != ticks
            task.release.set()  # the old code's task: let it end
            assert not still_running, "a task went on in a thread after the run ended"
            assert parallel_module._active == 0 and parallel_module._saved is None
            assert _limits() == before
    finally:
        task.release.set()
        torch.set_num_threads(torch_before)


def test_thread_workers_that_catch_warnings_out_of_order_leave_the_caller_s_filters_alone():
    # two thread tasks in warnings.catch_warnings() (the quality monitor's) leaving in the other order than they
    # entered left the inner one's "ignore" filter in the caller for good: every later warning was hidden
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def task(index):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if index == 0:
                first_in.set()
                assert second_in.wait(timeout=30)
            else:
                assert first_in.wait(timeout=30)
                second_in.set()
                assert first_out.wait(timeout=30)
        if index == 0:
            first_out.set()
        return index

    before = list(warnings.filters)
    with joblib.parallel_config(backend="threading"):
        assert sorted(run_unordered(task, [(0,), (1,)], n_jobs=2)) == [(0, 0), (1, 1)]
    assert warnings.filters == before
    with pytest.warns(UserWarning, match="still shown"):
        warnings.warn("still shown", UserWarning, stacklevel=1)


def _warns(index):
    for _ in range(3):
        warnings.warn(f"from a worker, kind {index % 2}", UserWarning, stacklevel=1)
    if index == 2:
        warnings.warn("said before failing", RuntimeWarning, stacklevel=1)
        raise ValueError("task 2 failed")
    return index


def test_warnings_of_worker_processes_are_shown_once_in_the_caller_through_its_filters():
    # loky workers printed their warnings on their own stderr, past the caller's filters and warnings.catch_warnings
    with joblib.parallel_config(backend="loky"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert sorted(run_unordered(_warns, [(0,), (1,), (3,)], n_jobs=2)) == [(0, 0), (1, 1), (2, 3)]
        assert sorted(str(w.message) for w in caught) == ["from a worker, kind 0", "from a worker, kind 1"]
        assert all(w.category is UserWarning and w.filename == __file__ for w in caught)
        with warnings.catch_warnings(record=True) as caught, pytest.raises(ValueError, match="task 2 failed"):
            warnings.simplefilter("always")
            list(run_unordered(_warns, [(2,)] * 2, n_jobs=2))
        assert "said before failing" in {str(w.message) for w in caught}
        with warnings.catch_warnings(), pytest.raises(UserWarning, match="from a worker"):
            warnings.simplefilter("error", UserWarning)  # the caller's filters decide, as in a serial run
            list(run_unordered(_warns, [(0,), (1,)], n_jobs=2))


def _fails(index, wait):
    time.sleep(wait)
    if index < 2:
        raise ValueError(f"task {index} failed")
    return index


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_the_error_raised_is_the_first_failing_task_s_in_task_order_as_in_a_serial_run(backend):
    # joblib raised whichever task failed first in time: a parallel GANOversampler fit named another class (and
    # raised another error) than the serial fit of the same data; now task 0's, once it has failed
    tasks = [(0, 1.0), (1, 0.0), (2, 0.0)]
    with pytest.raises(ValueError, match="task 0 failed"):
        list(run_unordered(_fails, tasks, n_jobs=1))
    with joblib.parallel_config(backend=backend), pytest.raises(ValueError, match="task 0 failed") as raised:
        list(run_unordered(_fails, tasks, n_jobs=2))
    if backend == "loky":  # a copy of the worker's exception, its traceback as text
        assert isinstance(raised.value.__cause__, parallel_module.WorkerTraceback)
        assert "task 0 failed" in str(raised.value.__cause__) and "_fails" in str(raised.value.__cause__)
    else:  # the exception itself, with its traceback
        assert raised.value.__traceback__ is not None and raised.value.__cause__ is None
    with joblib.parallel_config(backend=backend):  # results before the first error come first
        got = []
        with pytest.raises(ValueError, match="task 1 failed"):
            for result in run_unordered(_fails, [(2, 0.0), (1, 0.5), (3, 0.0)], n_jobs=2):
                got.append(result)
        assert (0, 2) in got
