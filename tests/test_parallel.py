"""Parallel evaluation and per-class training through joblib: same results as serial, really parallel."""

from __future__ import annotations

import importlib
import os
import threading

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_info

import minority_gen.model as model_module
import minority_gen.plan as plan_module
from minority_gen import GANOversampler
from minority_gen.evaluation import compare_oversamplers
from minority_gen.parallel import capped_threads, run_unordered

from .conftest import TINY
from .test_evaluation_downstream import FailingSampler, _table

GAN = {k: v for k, v in TINY.items() if k != "random_state"}
TREE = {"tree": DecisionTreeClassifier(random_state=0)}


def _pid(estimator, X, y) -> float:
    return float(os.getpid())


def _threads(estimator, X, y) -> float:
    return float(torch.get_num_threads())


def _three_classes(seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (60, 3)), rng.normal(3, 1, (14, 3)), rng.normal(-3, 1, (10, 3))])
    return X, np.array([0] * 60 + [1] * 14 + [2] * 10)


def _scores(frame):
    return frame[~frame.metric.isin(["fit_time_s", "pid", "threads"])].reset_index(drop=True)


def test_parallel_comparison_equals_serial_and_runs_in_other_processes(capsys):
    X, y = _table()
    kwargs = dict(oversamplers=["none", "ros", "smote", "rumi"], classifiers={"logreg": "logreg", **TREE}, cv=3,
                  scoring={"bacc": "balanced_accuracy", "ap": "average_precision", "pid": _pid,
                           "threads": _threads}, gan_params=GAN)
    serial = compare_oversamplers(X, y, progress=False, **kwargs)
    with joblib.parallel_config(backend="loky"):
        parallel = compare_oversamplers(X, y, progress=True, n_jobs=2, **kwargs)
    assert len(serial) == len(parallel) == 4 * 3 * 2 * 6
    assert _scores(parallel).equals(_scores(serial))  # same rows, same order, same values
    pids = set(parallel.loc[parallel.metric == "pid", "value"])
    assert os.getpid() not in pids and set(serial.loc[serial.metric == "pid", "value"]) == {os.getpid()}
    # loky workers: threads capped to cpu_count // 2
    assert set(parallel.loc[parallel.metric == "threads", "value"]) == {max(1, joblib.cpu_count() // 2)}
    err = capsys.readouterr().err
    assert "oversampler × fold" in err and "12/12" in err


@pytest.mark.parametrize("bad", [0, 1.5, "2", True])  # True: compare_oversamplers took it as 1
def test_bad_n_jobs_is_refused_before_any_work(bad, monkeypatch):
    X, y = _three_classes()
    monkeypatch.setattr(model_module, "fit_plan", lambda *a, **k: pytest.fail("trained with a bad n_jobs"))
    with pytest.raises(InvalidParameterError, match="'n_jobs' parameter"):
        GANOversampler(n_jobs=bad, **TINY).fit_resample(X, y)
    with pytest.raises(ValueError, match="n_jobs must be None or a non-zero integer"):
        compare_oversamplers(X, y, ["ros"], TREE, n_jobs=bad, progress=False)


def _spy(monkeypatch) -> list:
    calls = []
    original = plan_module.run_unordered

    def spy(fn, tasks, n_jobs):
        calls.append(n_jobs)
        return original(fn, tasks, n_jobs)

    monkeypatch.setattr(plan_module, "run_unordered", spy)
    return calls


@pytest.mark.parametrize("method, params", [("rumi", {}), ("lsgan", {"ema": 0.9, "selection": "quality"})])
def test_parallel_per_class_training_equals_serial(method, params, monkeypatch):
    X, y = _three_classes()
    serial = GANOversampler(method=method, **params, **TINY)
    X_s, y_s = serial.fit_resample(X, y)
    calls = _spy(monkeypatch)
    parallel = clone(GANOversampler(method=method, n_jobs=2, **params, **TINY))
    assert parallel.get_params()["n_jobs"] == 2
    X_p, y_p = parallel.fit_resample(X, y)
    assert calls == [2]  # both classes went through joblib with two workers
    np.testing.assert_array_equal(X_p, X_s)
    np.testing.assert_array_equal(y_p, y_s)
    assert parallel.history_.equals(serial.history_)
    for c in (1, 2):
        for p_par, p_ser in zip(parallel.generators_[c].parameters(), serial.generators_[c].parameters()):
            assert p_par.device.type == "cpu"
            torch.testing.assert_close(p_par, p_ser, rtol=0, atol=0)
    np.testing.assert_array_equal(parallel.sample(5, y=2, random_state=1), serial.sample(5, y=2, random_state=1))


def test_parallel_progress_bars_and_conditional_methods(monkeypatch, capsys):
    X, y = _three_classes()
    calls = _spy(monkeypatch)
    GANOversampler(n_jobs=2, verbose=True, **TINY).fit(X, y)
    err = capsys.readouterr().err
    assert calls == [2] and "rumi (class 1)" in err and "rumi (class 2)" in err and "3/3" in err
    serial = GANOversampler(method="acgan", **TINY).fit_resample(X, y)[0]
    conditional = GANOversampler(method="acgan", n_jobs=2, **TINY).fit_resample(X, y)[0]
    assert calls == [2]  # one GAN for all classes: n_jobs ignored, nothing dispatched
    np.testing.assert_array_equal(conditional, serial)


def test_capped_threads_caps_and_restores_even_from_threads():
    cap = max(1, joblib.cpu_count() // 2)
    torch_before = torch.get_num_threads()
    torch.set_num_threads(max(2, joblib.cpu_count()))
    try:
        blas_before = [i["num_threads"] for i in threadpool_info()]
        seen = []
        with capped_threads(2):
            seen.append((torch.get_num_threads(), {i["num_threads"] for i in threadpool_info()}))
        assert seen == [(cap, {cap} if blas_before else set())]
        assert torch.get_num_threads() == max(2, joblib.cpu_count())
        with capped_threads(1):  # one worker: the caller's settings stand
            assert torch.get_num_threads() == max(2, joblib.cpu_count())
        # two threads of one process entering and leaving out of order restore the settings once
        entered, leave_first = threading.Barrier(2), threading.Event()

        def worker(first):
            with capped_threads(2):
                entered.wait()
                if not first:
                    leave_first.wait()
                    seen.append(torch.get_num_threads())  # still capped after the other left
            if first:
                leave_first.set()

        threads = [threading.Thread(target=worker, args=(f,)) for f in (True, False)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert seen[-1] == cap and torch.get_num_threads() == max(2, joblib.cpu_count())
        assert [i["num_threads"] for i in threadpool_info()] == blas_before
        # every task run_unordered hands to joblib runs under the cap, also two at once in two threads
        together = threading.Barrier(2, timeout=30)

        def task():
            together.wait()
            return torch.get_num_threads()

        with joblib.parallel_config(backend="threading"):
            inside = [n for _, n in run_unordered(task, [(), ()], n_jobs=2)]
        assert inside == [cap] * 2 and torch.get_num_threads() == max(2, joblib.cpu_count())
    finally:
        torch.set_num_threads(torch_before)


class _BrokenClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("cannot fit")


def test_parallel_errors_name_the_task():
    # last of the loky tests: a task that raises makes joblib shut its workers down
    X, y = _table()
    with pytest.warns(RuntimeWarning, match=r"oversampler 'bad' failed on fold \d.*fold left out"):
        res = compare_oversamplers(X, y, {"bad": FailingSampler(), "ros": "ros"}, TREE, cv=3, errors="warn",
                                   progress=False, n_jobs=2)
    assert set(res.oversampler) == {"ros"} and res.fold.nunique() == 3
    with pytest.raises(ValueError, match=r"classifier 'broken' failed on fold 0 resampled by oversampler 'ros': "
                                         "RuntimeError: cannot fit"):
        compare_oversamplers(X, y, ["ros"], {"broken": _BrokenClassifier()}, cv=3, scoring=["gmean"],
                             progress=False)
    with pytest.raises(ValueError, match=r"oversampler 'bad' failed on fold \d: RuntimeError: boom"):
        compare_oversamplers(X, y, {"bad": FailingSampler()}, TREE, cv=3, progress=False, n_jobs=2)


def _scale_extra(module: str):
    """A module of the ``scale`` extra. ``make test`` installs it, so in CI (``CI`` set) a missing one fails."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason="needs the scale extra: pip install -e '.[dev,scale]'")


def test_dask_cluster_runs_the_comparison_and_the_per_class_training():
    distributed = _scale_extra("distributed")
    X, y = _three_classes()
    kwargs = dict(oversamplers=["ros", "rumi"], classifiers=TREE, cv=3, gan_params=GAN, progress=False)
    serial = compare_oversamplers(X, y, **kwargs)
    serial_rows = GANOversampler(**TINY).fit_resample(X, y)[0]
    # worker processes, as a deployment has them (one thread each): thread workers do not give the serial networks
    # yet, see test_thread_workers_build_the_serial_networks
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
            on_dask = compare_oversamplers(X, y, n_jobs=2, **kwargs)
            rows = GANOversampler(n_jobs=2, **TINY).fit_resample(X, y)[0]
        assert len(stream.data) >= 2 * 3  # the tasks ran on the cluster's workers
    assert _scores(on_dask).equals(_scores(serial))
    np.testing.assert_array_equal(rows, serial_rows)


def test_dask_comparison_runs_each_sampler_in_its_task():
    distributed = _scale_extra("distributed")
    X, y = _three_classes()
    # the workers a GANOversampler(n_jobs=None) inside a fold task would spread its classes over: 1 with loky
    inner = {"inner_jobs": lambda estimator, X, y: float(joblib.effective_n_jobs(None))}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) \
            as cluster, distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        res = compare_oversamplers(X, y, ["ros"], TREE, cv=3, scoring=inner, progress=False, n_jobs=2)
    assert set(res.loc[res.metric == "inner_jobs", "value"]) == {1.0}  # one level of parallelism only


def test_thread_workers_build_the_serial_networks(monkeypatch):
    # thread workers (joblib's threading backend, a Dask worker with several threads) may build two classes'
    # networks at the same moment; force that overlap: each thread waits after its first weight for the other
    X, y = _three_classes()
    serial = GANOversampler(**TINY).fit_resample(X, y)[0]
    kaiming, both, seen = torch.nn.init.kaiming_uniform_, threading.Barrier(2, timeout=3), threading.local()

    def overlapping(*args, **kwargs):
        out = kaiming(*args, **kwargs)
        if not getattr(seen, "first", False):
            seen.first = True
            try:
                both.wait()
            except threading.BrokenBarrierError:  # building is serialised (a lock): no overlap to force
                pass
        return out

    monkeypatch.setattr(torch.nn.init, "kaiming_uniform_", overlapping)
    with joblib.parallel_config(backend="threading"):
        threaded = GANOversampler(n_jobs=2, **TINY).fit_resample(X, y)[0]
    np.testing.assert_array_equal(threaded, serial)


def test_ray_cluster_runs_the_comparison_and_the_per_class_training(monkeypatch):
    # a local cluster that reaches nothing outside this machine (its processes inherit the environment): no usage
    # report, the loopback address rather than the one routed to a public DNS server, and its plain-HTTP probes
    # (cloud-provider metadata, even with usage stats off) sent to a closed loopback port
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    ray = _scale_extra("ray")
    from joblib.pool import PicklingPool
    from ray.util.joblib import register_ray

    X, y = _three_classes()
    kwargs = dict(oversamplers=["ros", "rumi"], classifiers=TREE, cv=3, gan_params=GAN, progress=False,
                  scoring={"bacc": "balanced_accuracy", "pid": lambda estimator, X, y: float(os.getpid())})
    serial = compare_oversamplers(X, y, **kwargs)
    serial_rows = GANOversampler(**TINY).fit_resample(X, y)[0]
    bases = PicklingPool.__bases__  # Ray's backend rebases joblib's pool class on Ray's: put it back afterwards
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        register_ray()
        with joblib.parallel_config(backend="ray"):
            on_ray = compare_oversamplers(X, y, n_jobs=2, **kwargs)
            rows = GANOversampler(n_jobs=2, **TINY).fit_resample(X, y)[0]
    finally:
        ray.shutdown()
        PicklingPool.__bases__ = bases
    assert os.getpid() not in set(on_ray.loc[on_ray.metric == "pid", "value"])  # ran in Ray's worker processes
    assert _scores(on_ray).equals(_scores(serial))
    np.testing.assert_array_equal(rows, serial_rows)


def test_joblib_gets_n_jobs_capped_at_the_number_of_tasks(monkeypatch):
    # n_jobs=32 with two classes to grow used to start 32 workers for two tasks (n_jobs went to joblib unchanged)
    import minority_gen.parallel as parallel_module

    given = []

    class Spied(joblib.Parallel):
        def __init__(self, *args, **kwargs):
            given.append(kwargs.get("n_jobs", args[0] if args else None))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(parallel_module, "Parallel", Spied)
    with joblib.parallel_config(backend="threading"):
        assert sorted(run_unordered(int, [("1",), ("2",)], n_jobs=32)) == [(0, 1), (1, 2)]
        assert given == [2]
        X, y = _three_classes()
        serial = GANOversampler(**TINY).fit_resample(X, y)[0]
        assert len(given) == 1  # serial: no joblib call
        np.testing.assert_array_equal(GANOversampler(n_jobs=32, **TINY).fit_resample(X, y)[0], serial)
        assert given == [2, 2]
        assert sorted(run_unordered(int, [("3",)], n_jobs=-1)) == [(0, 3)] and given[-1] == 1


def test_calling_thread_gets_its_limits_back_whichever_thread_worker_leaves_last(monkeypatch):
    # thread workers: the first task in used to cap the process-wide BLAS pools and the last one out to restore
    # them; when those were two threads OpenBLAS kept the cap, so the caller's BLAS stayed at 1 thread. Force that
    # order (task 0 leaves first, task 1 last) and check every limit is restored by the thread that set it.
    import minority_gen.parallel as parallel_module

    made, restored = {}, []
    original_limits = parallel_module.threadpool_limits

    class Recorded:
        def __init__(self, **kwargs):
            self.inner = original_limits(**kwargs)
            made[id(self)] = threading.get_ident()

        def restore_original_limits(self):
            self.inner.restore_original_limits()
            restored.append(made[id(self)] == threading.get_ident())

    original_run = parallel_module._run_capped
    both_in, first_out = threading.Barrier(2, timeout=30), threading.Event()

    def run_capped(fn, index, args, workers, **kwargs):
        try:
            return original_run(fn, index, args, workers, **kwargs)
        finally:
            if index == 0:
                first_out.set()

    def task(index):
        both_in.wait()
        if index == 1:
            assert first_out.wait(timeout=30)
        return index

    monkeypatch.setattr(parallel_module, "threadpool_limits", Recorded)
    monkeypatch.setattr(parallel_module, "_run_capped", run_capped)
    high = max(2, joblib.cpu_count())
    torch_before = torch.get_num_threads()
    torch.set_num_threads(high)
    try:
        with original_limits(limits=high):
            before = threadpool_info()
            for _ in range(3):
                with joblib.parallel_config(backend="threading"):
                    assert sorted(run_unordered(task, [(0,), (1,)], n_jobs=2)) == [(0, 0), (1, 1)]
                first_out.clear()
                assert threadpool_info() == before and torch.get_num_threads() == high
    finally:
        torch.set_num_threads(torch_before)
    assert restored and all(restored)
    assert parallel_module._active == 0 and parallel_module._saved is None


class _FoldFailing(BaseEstimator):
    """Raises DivergenceError on the folds in ``failures`` (test fold's first row → (seconds to wait, text))."""

    def __init__(self, failures=None):
        self.failures = failures

    def fit_resample(self, X, y):
        import time

        from minority_gen.divergence import DivergenceError

        ids = set(X[:, 0].astype(int).tolist())
        first_left_out = min(set(range(len(ids) + 200)) - ids)
        if first_left_out in self.failures:
            wait, text = self.failures[first_left_out]
            time.sleep(wait)
            raise DivergenceError(text)
        return X, y


def test_a_parallel_comparison_raises_the_serial_run_s_error():
    # loky workers: the error named whichever fold failed first in time, and its __cause__ was joblib's traceback
    # text; now the first failing fold in fold order, from (a copy of) the sampler's own exception
    from minority_gen.divergence import DivergenceError
    from minority_gen.evaluation.downstream import make_splits
    from minority_gen.parallel import WorkerTraceback

    X, y = _table()
    X = np.c_[np.arange(len(y)), X]  # row ids: the sampler sees which fold it trains on
    firsts = [int(test.min()) for _, test in make_splits(3, X, y, 0)]
    failing = _FoldFailing({firsts[1]: (3.0, "slow fold 1"), firsts[2]: (0.0, "fast fold 2")})
    kwargs = dict(oversamplers={"bad": failing}, classifiers=TREE, cv=3, preprocessor=None, progress=False)
    message = r"oversampler 'bad' failed on fold 1: DivergenceError: slow fold 1"
    with pytest.raises(ValueError, match=message) as serial:
        compare_oversamplers(X, y, **kwargs)
    assert type(serial.value.__cause__) is DivergenceError and serial.value.__cause__.__traceback__ is not None
    with joblib.parallel_config(backend="loky"), pytest.raises(ValueError, match=message) as parallel:
        compare_oversamplers(X, y, n_jobs=2, **kwargs)
    cause = parallel.value.__cause__
    assert type(cause) is DivergenceError and str(cause) == "slow fold 1"
    assert isinstance(cause.__cause__, WorkerTraceback) and "slow fold 1" in str(cause.__cause__)


class _TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")
        self.lock = threading.Lock()  # does not pickle


def test_a_task_error_that_cannot_be_copied_comes_back_as_its_type_and_text():
    import pickle

    from minority_gen.parallel import TaskError, WorkerTraceback

    try:
        raise _TwoArgError("x", "y")
    except _TwoArgError as exc:
        failure = TaskError("task 3 failed", exc)
    assert failure.error.__traceback__ is not None
    copy = pickle.loads(pickle.dumps(failure))
    assert type(copy.error) is RuntimeError and str(copy.error) == "_TwoArgError: x and y"
    with pytest.raises(ValueError, match="task 3 failed") as raised:
        copy.raise_from(ValueError)
    assert raised.value.__cause__ is copy.error
    assert isinstance(copy.error.__cause__, WorkerTraceback) and "_TwoArgError: x and y" in str(copy.error.__cause__)
    with pytest.raises(ValueError, match="task 3 failed") as raised:  # in this process: the exception itself
        failure.raise_from(ValueError)
    assert raised.value.__cause__ is failure.error and failure.error.__cause__ is None
