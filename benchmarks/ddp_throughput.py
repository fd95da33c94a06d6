"""Data-parallel throughput: one image GAN on 1 vs 2 gloo CPU processes, and the loop's host synchronisations
(what each mode runs: benchmarks/README.md, "Data-parallel throughput").

    python benchmarks/ddp_throughput.py --quick          # 10 iterations, seconds
    python benchmarks/ddp_throughput.py                  # 100 iterations, 1 and 2 processes
    python benchmarks/ddp_throughput.py --sync-count

Results: ``--out``/results.json (benchmarks/results/ddp/, whose results.md is written by hand from it).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# after the PYTHONPATH entries, so that --sync-count with PYTHONPATH at an older checkout counts that package's loop
sys.path.insert(1 + len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]), str(ROOT))

from benchmarks._timing import in_fresh_process, parser, timed  # noqa: E402
from benchmarks.breastmnist_speed import breastmnist_or_random  # noqa: E402
from minority_gen.evaluation.report import command_line, run_info  # noqa: E402


def worker(args: argparse.Namespace) -> None:
    import torch
    import torch.distributed as dist

    from minority_gen import GANOversampler
    from minority_gen.distributed import fit_ddp

    torch.set_num_threads(args.threads)
    X, y, _ = breastmnist_or_random(args.data, args.random)
    sampler = GANOversampler(method="rumi", n_iter=args.n_iter, batch_size=args.batch_size,
                             hidden_dims=(args.width,), device="cpu", random_state=0)
    dist.init_process_group("gloo")
    dist.barrier()
    seconds = timed(lambda: fit_ddp(sampler, X, y), 1)[0]
    if dist.get_rank() == 0:
        print(json.dumps({"seconds": seconds, "iterations": len(sampler.history_)}))
    dist.destroy_process_group()


def run_world(args: argparse.Namespace, n: int) -> dict:
    """One launcher run on ``n`` processes (the same options, in worker mode; rank 0 prints its result): its row."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(n),
               str(Path(__file__).resolve()), *sys.argv[1:], "--worker"]
    wall, out = timed(lambda: in_fresh_process(command, f"ddp_throughput on {n} process(es)", ROOT), 1)
    images = out["iterations"] * args.batch_size * n
    return {"processes": n, "fit_s": round(out["seconds"], 2), "command_s": round(wall, 2),
            "iterations_per_s": round(out["iterations"] / out["seconds"], 2),
            "images_per_s": round(images / out["seconds"], 1), "batch_per_process": args.batch_size,
            "iterations": out["iterations"]}


def count_syncs(n_iter: int = 200) -> dict:
    """Host reads during ``n_iter``-iteration fits of rumi and acgan: flushed every iteration, and at the default
    interval (an older loop without ``flush_every``: as it is)."""
    import torch

    from minority_gen import GANOversampler, plan, training

    torch.set_num_threads(1)
    counter = {"n": 0, "on": False}
    for name in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__", "__index__"):
        real = getattr(torch.Tensor, name)

        def counted(self, *a, _real=real, **k):
            if counter["on"] and not sys._getframe(1).f_globals.get("__name__", "").startswith("torch"):
                counter["n"] += 1
            return _real(self, *a, **k)

        setattr(torch.Tensor, name, counted)
    rng = np.random.default_rng(0)
    X, y = np.vstack([rng.normal(0, 1, (60, 3)), rng.normal(3, 1, (12, 3))]), np.repeat([0, 1], [60, 12])
    real_train = training.train_gan
    batched = "flush_every" in inspect.signature(real_train).parameters
    runs = ({"every iteration": functools.partial(real_train, flush_every=1), "default": real_train} if batched
            else {"loop without batching": real_train})
    results = {}
    for label, train in runs.items():
        def spy(*a, _train=train, **k):
            counter["on"] = True
            try:
                return _train(*a, **k)
            finally:
                counter["on"] = False

        plan.train_gan, counter["n"] = spy, 0
        for method in ("rumi", "acgan"):
            GANOversampler(method=method, n_iter=n_iter, batch_size=16, latent_dim=4, hidden_dims=(8,),
                           device="cpu", random_state=0).fit(X, y)
        results[label] = counter["n"]
    plan.train_gan = real_train
    return {"package": str(Path(training.__file__).parent), "n_iter": n_iter, "fits": ["rumi", "acgan"],
            "flush_every": getattr(training, "FLUSH_EVERY", None), "host_reads": results}


def main() -> None:
    ap = parser(__doc__, quick="10 iterations", data="")
    ap.add_argument("--n-iter", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=32, help="per process")
    ap.add_argument("--width", type=int, default=16, help="convolutional width")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process")
    ap.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--random", action="store_true", help="random images instead of BreastMNIST")
    ap.add_argument("--sync-count", action="store_true", help="count host synchronisations only")
    ap.add_argument("--out", type=Path, default=None, help="write results.json here (default: print only)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.n_iter = 10 if args.quick else args.n_iter
    if args.worker:
        return worker(args)
    if args.sync_count:
        print(json.dumps(count_syncs(), indent=1))
        return
    rows = [run_world(args, n) for _ in range(args.repeats) for n in args.processes]
    report = {"machine": run_info(), "data": breastmnist_or_random(args.data, args.random)[2],
              "command": command_line("benchmarks/ddp_throughput.py"),
              "settings": {"method": "rumi", "n_iter": args.n_iter, "batch_per_process": args.batch_size,
                           "width": args.width, "threads_per_process": args.threads}, "runs": rows}
    print(json.dumps(report, indent=1))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
