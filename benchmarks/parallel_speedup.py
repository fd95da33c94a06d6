"""Speed-up of two workers against a serial run, through each joblib backend: loky, Dask, Ray.

Both kinds of parallel work that minority_gen hands to ``joblib.Parallel`` (docs/scaling.md) on scikit-learn's
wine table (178 × 13, 3 classes, bundled with scikit-learn):

1. ``GANOversampler(method="rumi", n_jobs=2)``: one GAN per class to grow, two GANs.
2. ``compare_oversamplers(n_jobs=2)``: ROS, SMOTE and rumi × logistic regression × 4 folds, 12 (oversampler, fold)
   tasks, four of them training rumi's two GANs.

The serial baseline runs with one thread for torch, OpenMP and BLAS, which is what each of two workers gets on two
cores (``cpu_count // 2``), so the speed-up is the workers' own. Each backend gets two workers of one thread: loky
processes (joblib's default), a Dask ``LocalCluster(n_workers=2, threads_per_worker=1)`` of processes, a local Ray
cluster with 2 CPUs. Loky and Dask keep their workers between calls, and a warm-up call starts them before the timed
runs. Ray's joblib backend starts a new pool of actors for every call, so its times include that start. Every figure
is a median of ``--repeats`` runs. The load average is recorded before each row and at the end: on a shared machine
the other jobs count in it. The tables also say whether each run returned the serial results.

    python benchmarks/parallel_speedup.py            # the committed results/parallel_speedup.md
    python benchmarks/parallel_speedup.py --quick    # smoke run: tiny budgets, prints, writes nothing
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_wine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.default_fit_times import timed  # noqa: E402
from benchmarks.parallel_eval import one_thread, scores  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation import compare_oversamplers  # noqa: E402
from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results  # noqa: E402

BACKENDS = ("loky", "dask", "ray")


@contextmanager
def dask_backend():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster), joblib.parallel_config(backend="dask"):
        yield


@contextmanager
def ray_backend():
    # a local cluster that reaches nothing outside this machine; its processes inherit the environment
    os.environ.update(RAY_USAGE_STATS_ENABLED="0", RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
                      http_proxy="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
                      no_proxy="127.0.0.1,localhost", NO_PROXY="127.0.0.1,localhost")
    import ray
    from ray.util.joblib import register_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        register_ray()
        with joblib.parallel_config(backend="ray"):
            yield
    finally:
        ray.shutdown()


def backend_context(name: str):
    return {"loky": lambda: joblib.parallel_config(backend="loky"), "dask": dask_backend,
            "ray": ray_backend}[name]()


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gan-iter", type=int, default=800, help="rumi iterations of the per-class fit (800)")
    ap.add_argument("--cmp-iter", type=int, default=250, help="rumi iterations in the comparison (250)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated subset of loky,dask,ray")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "parallel_speedup.md")
    args = ap.parse_args(argv)
    gan_iter, cmp_iter, repeats = (20, 10, 1) if args.quick else (args.gan_iter, args.cmp_iter, args.repeats)
    backends = [b for b in args.backends.split(",") if b]
    if unknown := set(backends) - set(BACKENDS):
        ap.error(f"--backends: {sorted(unknown)} unknown; choose from {', '.join(BACKENDS)}")
    started, load_start = datetime.now(timezone.utc), os.getloadavg()

    X, y = load_wine(return_X_y=True)
    fit = lambda n_jobs, n_iter=gan_iter: GANOversampler(  # noqa: E731
        method="rumi", n_iter=n_iter, random_state=0, device="cpu", n_jobs=n_jobs).fit_resample(X, y)[0]
    compare = lambda n_jobs, n_iter=cmp_iter: compare_oversamplers(  # noqa: E731
        X, y, ["ros", "smote", "rumi"], ["logreg"], cv=4, scoring=["balanced_accuracy"], random_state=0,
        gan_params={"n_iter": n_iter, "device": "cpu"}, progress=False, n_jobs=n_jobs)

    rows: dict[str, list] = {"gan": [], "cmp": []}
    with one_thread():
        fit(None, 2)  # warm-up in this process (imports, torch's first steps), not counted
        compare(None, 2)
        for key, run in (("gan", fit), ("cmp", compare)):
            before = load()
            t, serial = timed(lambda run=run: run(None), repeats)
            rows[key].append(("serial, 1 thread", before, t, serial, None))
            print(f"{key} serial: {t:.1f} s (load {before})", flush=True)
    for name in backends:
        before = load()
        try:
            with backend_context(name):
                start = time.perf_counter()
                fit(2, 2)  # starts the workers (Ray: one pool per call, started again below)
                compare(2, 2)
                print(f"{name}: warm-up {time.perf_counter() - start:.1f} s", flush=True)
                for key, run in (("gan", fit), ("cmp", compare)):
                    before = load()
                    t, out = timed(lambda run=run: run(2), repeats)
                    rows[key].append((f"{name}, 2 workers", before, t, out, None))
                    print(f"{key} {name}: {t:.1f} s (load {before})", flush=True)
        except Exception as err:  # a backend that cannot run these calls: say so in the table
            message = re.sub(r" at 0x[0-9a-f]+", "", f"{type(err).__name__}: {err}".splitlines()[0])
            for key in rows:
                if not any(r[0].startswith(name) for r in rows[key]):
                    rows[key].append((f"{name}, 2 workers", before, None, None, message))
            print(f"{name}: failed: {message}", flush=True)

    def table(key: str, same: Callable) -> list[str]:
        serial_t, serial_out = rows[key][0][2], rows[key][0][3]
        return table_lines(["run", "load before (1/5/15 min)", "wall (s)", "speed-up vs serial",
                            "same results as serial"],
                           [[label, before, "—", "—", f"failed: `{error}`"] if error is not None else
                            [label, before, f"{t:.1f}", f"{serial_t / t:.2f}",
                             "—" if out is serial_out else "yes" if same(out, serial_out) else "**no**"]
                            for label, before, t, out, error in rows[key]])

    versions = [f"joblib {joblib.__version__}"]
    for module in ("dask", "distributed", "ray"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            pass
    counts = ", ".join(str(n) for n in np.bincount(y))
    lines = [
        "# Speed-up of two workers: " + ", ".join({"loky": "loky", "dask": "Dask", "ray": "Ray"}[b] for b in backends),
        "",
        *run_stamp(command_line("benchmarks/parallel_speedup.py", argv), load_start),
        f"* started {started:%Y-%m-%d %H:%M} UTC; joblib sees {joblib.cpu_count()} CPUs; {', '.join(versions)}",
        "",
        "The machine was shared: other jobs ran during the run and are counted in these figures (the load average "
        "above), so the speed-ups are what two workers gave on a busy machine, not on idle cores.",
        "",
        f"## Per-class training: `GANOversampler(method='rumi', n_iter={gan_iter}, n_jobs=2)`",
        "",
        f"wine ({X.shape[0]} × {X.shape[1]}, classes {counts}): two GANs. Median of {repeats} run(s).",
        "",
        *table("gan", lambda a, b: np.array_equal(a, b)),
        "",
        "## `compare_oversamplers(n_jobs=2)`",
        "",
        f"ROS, SMOTE and rumi ({cmp_iter} iterations) × logistic regression × 4 folds on wine: 12 (oversampler, fold) "
        f"tasks. Median of {repeats} run(s).",
        "",
        *table("cmp", lambda a, b: scores(a).equals(scores(b))),
    ]
    if args.quick:
        print("\n".join(lines))
    else:
        print("wrote", write_results(args.out, lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
