"""One 28 × 28 image-GAN iteration beside its FLOP bound on this CPU (issue 10, part 3).

For default ``rumi`` on 28 × 28 grayscale images (BreastMNIST's malignant
training images when ``../shared/data/breastmnist.npz`` is there, else random
images of the same shape), one torch thread:

* **FLOPs per iteration**: ``torch.utils.flop_counter.FlopCounterMode`` around
  a fit of ``--count-iter`` iterations (forward and backward of every network,
  all discriminator and generator steps), divided by the iterations. It counts
  matrix products and convolutions, which is where the arithmetic is.
* **Time per iteration**: the wall time of a fit of ``--iters`` iterations minus
  that of a 1-iteration fit (set-up and the final sampling cancel), divided by
  ``--iters - 1``.
* **Peak**: the best of several float32 ``torch.mm`` products of 1,024 × 1,024
  matrices on the same thread, in FLOP/s: what this CPU's BLAS reaches on large,
  regular products. The **bound** is FLOPs per iteration / peak; the ratio
  time / bound says how far from compute-bound the loop is (1 = at the peak).

Two rows: the networks in channels-last memory format (the default,
``minority_gen.nets.conv.CONV_MEMORY_FORMAT``) and in the NCHW format they
used before (the same arithmetic; oneDNN then reorders activations to and
from its native layout around every convolution). The timed fits of the two
alternate, so a busy shared CPU slows both alike.

    python benchmarks/image_iteration_profile.py                 # writes benchmarks/results/image_iteration_profile.md
    python benchmarks/image_iteration_profile.py --quick         # seconds, nothing written
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.breastmnist_speed import breastmnist_or_random  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation.datasets import default_data_dir  # noqa: E402
from minority_gen.evaluation.report import command_line, run_info, run_stamp, table_lines, write_results  # noqa: E402
from minority_gen.nets import conv  # noqa: E402
from minority_gen.nets.conv import DEFAULT_WIDTH  # noqa: E402
from minority_gen.settings import AUTO_IMAGE_EMA  # noqa: E402

#: The memory formats timed: the default and the NCHW layout used before.
LAYOUTS = {"channels_last": torch.channels_last, "nchw": torch.contiguous_format}


@contextlib.contextmanager
def conv_memory_format(memory_format):
    """Build the conv networks in ``memory_format`` inside the block."""
    saved = conv.CONV_MEMORY_FORMAT
    conv.CONV_MEMORY_FORMAT = memory_format
    try:
        yield
    finally:
        conv.CONV_MEMORY_FORMAT = saved


def fit(X, y, n_iter: int, **kw) -> float:
    start = time.perf_counter()
    GANOversampler(method="rumi", n_iter=n_iter, device="cpu", random_state=0, **kw).fit(X, y)
    return time.perf_counter() - start


def peak_flops(n: int = 1024, repeats: int = 5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=default_data_dir())
    ap.add_argument("--iters", type=int, default=21, help="iterations of the timed fit (default 21)")
    ap.add_argument("--count-iter", type=int, default=3, help="iterations under the FLOP counter (default 3)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "image_iteration_profile.md")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    X, y, source = breastmnist_or_random(args.data)
    if args.quick:
        X, y = X[::8], y[::8]
    iters = 3 if args.quick else args.iters

    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        fit(X, y, args.count_iter)
    flops_total = counter.get_total_flops()
    with FlopCounterMode(display=False) as zero:  # the set-up and the final draws, without training
        fit(X, y, 1)
    per_iter = (flops_total - zero.get_total_flops()) / (args.count_iter - 1)
    timings = {name: {"t1": [], "tn": []} for name in LAYOUTS}
    for _ in range(2):
        for name, memory_format in LAYOUTS.items():
            with conv_memory_format(memory_format):
                timings[name]["t1"].append(fit(X, y, 1))
                timings[name]["tn"].append(fit(X, y, iters))
    peak = peak_flops()
    bound = per_iter / peak
    seconds_by = {name: (min(t["tn"]) - min(t["t1"])) / (iters - 1) for name, t in timings.items()}
    seconds = seconds_by["channels_last"]
    result = {
        "source": source, "images": int(len(X)), "iters": iters, "flops_per_iter": per_iter,
        "seconds_per_iter": seconds, "peak_flops": peak, "bound_s": bound, "ratio": seconds / bound,
        "seconds_per_iter_nchw": seconds_by["nchw"], "ratio_nchw": seconds_by["nchw"] / bound, **run_info(),
    }
    print(json.dumps(result, indent=1))
    if args.quick:
        return 0
    lines = [
        "# One 28 × 28 image-GAN iteration beside its FLOP bound",
        "",
        *run_stamp(command_line("benchmarks/image_iteration_profile.py", argv), info=result),
        "* 1 torch thread; the load average includes this run",
        "",
        f"Default `rumi` (image defaults: the paper's recipe, width {DEFAULT_WIDTH}, DiffAugment, EMA of G "
        f"{AUTO_IMAGE_EMA}) on {source}, "
        f"{len(X)} images; method in the script's docstring.",
        "",
        *table_lines(["network memory format", "FLOPs per iteration", "time per iteration",
                      "peak (1,024² `torch.mm`, 1 thread)", "FLOP bound", "time / bound"],
                     [[label, f"{per_iter / 1e9:.2f} GFLOP", f"{seconds_by[name] * 1e3:.0f} ms",
                       f"{peak / 1e9:.1f} GFLOP/s", f"{bound * 1e3:.0f} ms", f"{seconds_by[name] / bound:.1f}"]
                      for name, label in (("channels_last", "channels last (default)"),
                                          ("nchw", "NCHW (before 2026-12-04)"))]),
        "",
        "Target (issue 10): within 2× of the FLOP bound. "
        + ("Met." if seconds / bound <= 2 else f"**Missed**: {seconds / bound:.1f}×."),
        "",
    ]
    print("wrote", write_results(args.out, lines, result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
