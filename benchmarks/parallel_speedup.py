"""Speed-up of two workers against a one-thread serial run, through each joblib backend: loky, Dask, Ray
(docs/scaling.md, "Measured speed-up"), on scikit-learn's wine table: ``GANOversampler(method="rumi", n_jobs=2)``
(two GANs) and ``compare_oversamplers(n_jobs=2)`` (ROS, SMOTE and rumi × logistic regression × 4 folds). Each backend
gets two workers of one thread (loky processes, a Dask ``LocalCluster`` of processes, a local Ray cluster of 2 CPUs),
started by a warm-up call; Ray starts an actor pool for every call, so its times include that. Medians of
``--repeats`` runs, the load average recorded before each.

    python benchmarks/parallel_speedup.py            # the committed results/parallel_speedup.md
    python benchmarks/parallel_speedup.py --quick    # smoke run: tiny budgets, prints, writes nothing
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_wine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import measure, one_thread, print_or_write, same  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation import compare_oversamplers  # noqa: E402
from minority_gen.evaluation.report import command_line, run_stamp, table_lines  # noqa: E402

BACKENDS = {"loky": "loky", "dask": "Dask", "ray": "Ray"}


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
    runs = {"gan": lambda n_jobs, n_iter=gan_iter: GANOversampler(
                method="rumi", n_iter=n_iter, random_state=0, device="cpu", n_jobs=n_jobs).fit_resample(X, y)[0],
            "cmp": lambda n_jobs, n_iter=cmp_iter: compare_oversamplers(
                X, y, ["ros", "smote", "rumi"], ["logreg"], cv=4, scoring=["balanced_accuracy"], random_state=0,
                gan_params={"n_iter": n_iter, "device": "cpu"}, progress=False, n_jobs=n_jobs)}
    rows = {key: [] for key in runs}  # (run, load before, seconds, results) or (run, load before, None, error)

    def time_both(label: str, n_jobs) -> None:
        for key, run in runs.items():
            before = load()
            _, t, out = measure(f"{key} {label} (load {before})", lambda run=run: run(n_jobs), repeats)
            rows[key].append((label, before, t, out))

    with one_thread():
        for run in runs.values():
            run(None, 2)  # warm-up in this process (imports, torch's first steps), not counted
        time_both("serial, 1 thread", None)
    for name in backends:
        label, before = f"{name}, 2 workers", load()
        try:
            with {"loky": lambda: joblib.parallel_config(backend="loky"), "dask": dask_backend,
                  "ray": ray_backend}[name]():
                # starts the workers (Ray: one pool per call, started again below)
                measure(f"{name}: warm-up", lambda: [run(2, 2) for run in runs.values()], 1)
                time_both(label, 2)
        except Exception as err:  # a backend that cannot run these calls: say so in the table
            message = re.sub(r" at 0x[0-9a-f]+", "", f"{type(err).__name__}: {err}".splitlines()[0])
            for key in rows:
                if rows[key][-1][0] != label:
                    rows[key].append((label, before, None, message))
            print(f"{name}: failed: {message}", flush=True)

    def table(key: str) -> list[str]:
        _, _, serial_t, serial_out = rows[key][0]
        return table_lines(["run", "load before (1/5/15 min)", "wall (s)", "speed-up vs serial",
                            "same results as serial"],
                           [[label, before, "—", "—", f"failed: `{out}`"] if t is None else
                            [label, before, f"{t:.1f}", f"{serial_t / t:.2f}",
                             "—" if i == 0 else "yes" if same(out, serial_out) else "**no**"]
                            for i, (label, before, t, out) in enumerate(rows[key])])

    versions = [f"joblib {joblib.__version__}"]
    for module in ("dask", "distributed", "ray"):
        with suppress(ImportError):
            versions.append(f"{module} {__import__(module).__version__}")
    lines = [
        "# Speed-up of two workers: " + ", ".join(BACKENDS[b] for b in backends), "",
        *run_stamp(command_line("benchmarks/parallel_speedup.py", argv), load_start),
        f"* started {started:%Y-%m-%d %H:%M} UTC; joblib sees {joblib.cpu_count()} CPUs; {', '.join(versions)}", "",
        "The machine was shared: other jobs ran during the run and are counted in these figures (the load average "
        "above), so the speed-ups are what two workers gave on a busy machine, not on idle cores.", "",
        f"## Per-class training: `GANOversampler(method='rumi', n_iter={gan_iter}, n_jobs=2)`", "",
        f"wine ({X.shape[0]} × {X.shape[1]}, classes {', '.join(map(str, np.bincount(y)))}): two GANs. "
        f"Median of {repeats} run(s).", "",
        *table("gan"), "",
        "## `compare_oversamplers(n_jobs=2)`", "",
        f"ROS, SMOTE and rumi ({cmp_iter} iterations) × logistic regression × 4 folds on wine: 12 (oversampler, fold) "
        f"tasks. Median of {repeats} run(s).", "",
        *table("cmp"),
    ]
    print_or_write(lines, args.out, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
