"""Fit time and peak memory on a 100,000 × 10 mixed-type table, beside CTGAN's (issue 9).

The table (seed 0, :func:`make_table`): 4 continuous columns (two with 10 % missing values), 2 integer columns,
1 boolean, 3 categorical (5, 12 and 40 levels); binary target with 30 % minority (30,000 rows). Each fit runs in
its own subprocess with one torch thread, so its peak resident memory (``ru_maxrss``) is its own; the one-off
import that torch does when a process builds its first optimiser is done before the timing. ``rumi`` learns from
the DataFrame as it is, CTGAN from the minority rows with the same number of generator steps at the same batch
size (in detail: benchmarks/README.md, "Fit time and memory on a mixed table").

    python benchmarks/mixed_scale.py                     # rumi only when ctgan is absent
    python benchmarks/mixed_scale.py --ctgan-path /path/to/ctgan-with-pandas2   # ctgan needs pandas<3
    python benchmarks/mixed_scale.py --quick             # 5,000 rows, 60 steps
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, in_fresh_process, parser, peak_rss_mb, print_or_write, timed  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation.ctgan_sampler import ctgan_missing  # noqa: E402
from minority_gen.evaluation.report import table_lines  # noqa: E402
from minority_gen.tabular import MixedTableCodec  # noqa: E402

DISCRETE = ["flag", "site", "ward", "code"]
COLUMNS = ["kind", "versions", "rows", "batch", "g_steps", "preprocess_s", "fit_s", "sample_10k_s", "peak_mb",
           "peak_over_start_mb", "table_mb"]


def make_table(n: int = 100_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    shift = y[:, None] * 0.8
    cont = rng.normal(size=(n, 4)) + shift
    X = pd.DataFrame({
        "a": cont[:, 0], "b": np.exp(cont[:, 1]), "c": np.where(rng.random(n) < 0.1, np.nan, cont[:, 2]),
        "d": np.where(rng.random(n) < 0.1, np.nan, cont[:, 3] * 10 + 50),
        "n1": rng.poisson(3 + 2 * y), "n2": rng.integers(0, 100, n),
        "flag": rng.random(n) < 0.3 + 0.3 * y,
        "site": pd.Categorical(rng.choice([f"s{i}" for i in range(5)], n)),
        "ward": np.array([f"w{i}" for i in range(12)], dtype=object)[rng.integers(0, 12, n)],
        "code": np.array([f"c{i}" for i in range(40)], dtype=object)[(rng.integers(0, 40, n) + 7 * y) % 40],
    })
    return X, y


def child(kind: str, n: int, steps: int, batch: int) -> dict:
    """One tool's fit in this process (meant to be a fresh one): its times and memory."""
    torch.set_num_threads(1)
    if kind == "ctgan":
        if skip := ctgan_missing():
            return {"kind": kind, "skipped": skip}
        from ctgan import CTGAN
        from ctgan.data_transformer import DataTransformer
    # torch imports its compiler stack on the first optimiser of a process (seconds): not part of a fit
    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
    X, y = make_table(n)
    base = peak_rss_mb()
    out = {"kind": kind, "versions": f"torch {torch.__version__}, pandas {pd.__version__}, "
                                     f"sklearn {sklearn.__version__}", "rows": n, "steps": steps, "batch": batch,
           "table_mb": float(X.memory_usage(deep=True).sum() / 2**20)}
    if kind == "rumi":
        out["preprocess_s"] = timed(lambda: MixedTableCodec().fit(X).encode(X), 1)[0]
        model = GANOversampler(method="rumi", n_iter=steps, batch_size=batch, random_state=0, device="cpu")
        out["fit_s"] = timed(lambda: model.fit(X, y), 1)[0]
        out["g_steps"] = int(model.history_["iteration"].max())
        out["sample_10k_s"] = timed(lambda: model.sample(10_000, random_state=0), 1)[0]
    else:
        pos = X[y == 1].reset_index(drop=True)
        pos = pos.fillna({"c": pos["c"].median(), "d": pos["d"].median()}).astype({"site": str})
        out["preprocess_s"] = timed(lambda: DataTransformer().fit(pos, DISCRETE), 1)[0]
        epochs = max(1, steps // max(len(pos) // batch, 1))
        model = CTGAN(epochs=epochs, batch_size=batch, enable_gpu=False, verbose=False)
        model.set_random_state(0)
        out["fit_s"] = timed(lambda: model.fit(pos, discrete_columns=DISCRETE), 1)[0]
        out["g_steps"] = epochs * max(len(pos) // batch, 1)
        out["sample_10k_s"] = timed(lambda: model.sample(10_000), 1)[0]
    out["peak_mb"] = peak_rss_mb()
    out["peak_over_start_mb"] = out["peak_mb"] - base
    return out


def main(argv=None) -> int:
    ap = parser(__doc__, HERE / "results" / "mixed_scale.md", quick="5,000 rows, 60 steps of 100 rows; nothing written")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--ctgan-path", type=Path, default=None,
                    help="a folder with ctgan and its dependencies (pandas<3), put on PYTHONPATH for CTGAN's run only")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.steps, args.batch = 5000, 60, 100
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.steps, args.batch)))
        return 0
    rows = []
    for kind in ("rumi", "ctgan"):  # ctgan with --ctgan-path first on PYTHONPATH
        cmd = [sys.executable, __file__, "--child", kind, "--rows", str(args.rows), "--steps", str(args.steps),
               "--batch", str(args.batch)]
        row = in_fresh_process(cmd, f"mixed_scale child {kind}", args.ctgan_path if kind == "ctgan" else None)
        if "skipped" in row:
            print(row["skipped"], file=sys.stderr)
            continue
        rows.append(row)
        print(rows[-1], flush=True)
    lines = [
        *head("Fit time and peak memory on a mixed-type table", "mixed_scale.py", argv,
              "* torch 1 thread per process (versions per row)",
              "* set-up: `benchmarks/mixed_scale.py` docstring. `fit_s` includes each tool's own preprocessing, "
              "also timed alone as `preprocess_s` (rumi: `MixedTableCodec` fit and encode; CTGAN: its "
              "`DataTransformer`). rumi learns from all rows (the 30 % minority as positives, the rest as negatives), "
              "CTGAN from the minority rows; `peak_mb` is the process's peak resident memory, "
              "`peak_over_start_mb` its growth after the table was built."),
        *table_lines(COLUMNS, [[f"{r[c]:.1f}" if isinstance(r[c], float) else str(r[c]) for c in COLUMNS]
                               for r in rows])]
    print_or_write(lines, args.out, args.quick, echo=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
