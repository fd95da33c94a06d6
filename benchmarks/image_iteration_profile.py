"""One 28 × 28 image-GAN iteration beside its FLOP bound on this CPU (issue 10, part 3): default ``rumi`` on
BreastMNIST's training split, one torch thread, the networks in channels-last and in NCHW memory format (what is
counted and timed: benchmarks/README.md, "One image-GAN iteration beside its FLOP bound").

    python benchmarks/image_iteration_profile.py                 # writes benchmarks/results/image_iteration_profile.md
    python benchmarks/image_iteration_profile.py --quick         # seconds, nothing written
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from unittest import mock

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import flops_per_iter, head, matmul_rate, parser, timed  # noqa: E402
from benchmarks.breastmnist_speed import breastmnist_or_random  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation.report import run_info, table_lines, write_results  # noqa: E402
from minority_gen.nets import conv  # noqa: E402
from minority_gen.settings import AUTO_IMAGE_EMA  # noqa: E402

#: The memory formats timed, with their row names: the default and the NCHW layout used before.
LAYOUTS = {"channels_last": (torch.channels_last, "channels last (default)"),
           "nchw": (torch.contiguous_format, "NCHW (before 2026-12-04)")}


def fit(X, y, n_iter: int) -> float:
    """Seconds of one default ``rumi`` fit."""
    sampler = GANOversampler(method="rumi", n_iter=n_iter, device="cpu", random_state=0)
    return timed(lambda: sampler.fit(X, y), 1)[0]


def main(argv=None) -> int:
    ap = parser(__doc__, HERE / "results" / "image_iteration_profile.md", quick="an eighth of the images, 3 iterations",
                data="")
    ap.add_argument("--iters", type=int, default=21, help="iterations of the timed fit (default 21)")
    ap.add_argument("--count-iter", type=int, default=3, help="iterations under the FLOP counter (default 3)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    X, y, source = breastmnist_or_random(args.data)
    if args.quick:
        X, y = X[::8], y[::8]
    iters = 3 if args.quick else args.iters
    # the 1-iteration fit: set-up and the final draws, without training
    per_iter = flops_per_iter(lambda n_iter: fit(X, y, n_iter), 1, args.count_iter)
    timings = {name: [] for name in LAYOUTS}
    for _ in range(2):
        for name, (memory_format, _) in LAYOUTS.items():
            with mock.patch.object(conv, "CONV_MEMORY_FORMAT", memory_format):
                timings[name].append((fit(X, y, 1), fit(X, y, iters)))
    peak = matmul_rate()
    bound = per_iter / peak
    seconds = {name: (min(t[1] for t in ts) - min(t[0] for t in ts)) / (iters - 1) for name, ts in timings.items()}
    result = {
        "source": source, "images": int(len(X)), "iters": iters, "flops_per_iter": per_iter,
        "seconds_per_iter": seconds["channels_last"], "peak_flops": peak, "bound_s": bound,
        "ratio": seconds["channels_last"] / bound, "seconds_per_iter_nchw": seconds["nchw"],
        "ratio_nchw": seconds["nchw"] / bound, **run_info(),
    }
    print(json.dumps(result, indent=1))
    if args.quick:
        return 0
    lines = [
        *head("One 28 × 28 image-GAN iteration beside its FLOP bound", "image_iteration_profile.py", argv,
              "* 1 torch thread; the load average includes this run", info=result),
        f"Default `rumi` (image defaults: the paper's recipe, width {conv.DEFAULT_WIDTH}, DiffAugment, EMA of G "
        f"{AUTO_IMAGE_EMA}) on {source}, {len(X)} images; method: benchmarks/README.md.", "",
        *table_lines(["network memory format", "FLOPs per iteration", "time per iteration",
                      "peak (1,024² `torch.mm`, 1 thread)", "FLOP bound", "time / bound"],
                     [[row, f"{per_iter / 1e9:.2f} GFLOP", f"{seconds[name] * 1e3:.0f} ms", f"{peak / 1e9:.1f} GFLOP/s",
                       f"{bound * 1e3:.0f} ms", f"{seconds[name] / bound:.1f}"] for name, (_, row) in LAYOUTS.items()]),
        "", "Target (issue 10): within 2× of the FLOP bound. "
        + ("Met." if result["ratio"] <= 2 else f"**Missed**: {result['ratio']:.1f}×."), "",
    ]
    print("wrote", write_results(args.out, lines, result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
