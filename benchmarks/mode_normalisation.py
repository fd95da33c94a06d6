"""Mode-specific normalisation (``continuous="modes"``) against standardisation on a bimodal column.

Toy (issue 9): :func:`minority_gen.evaluation.toys.bimodal_table`, a DataFrame with one continuous column ``x``
and a text column ``c``. The class to grow (200 rows) has ``x`` from two modes, N(-5, 0.5) and N(5, 1), in equal
shares; the other class (400 rows) has the same modes 30 % / 70 %. ``c`` is "a"/"b" at random. For each seed,
``GANOversampler(method, continuous=..., n_iter=500, random_state=seed)`` draws 2,000 rows of the class;
reported: the share of rows between the modes (|x| < 2, where the class has almost none: 0.0 %), the share
on the negative mode (the class's: 50 %), and the KS statistic against 2,000 fresh rows of the class.

    python benchmarks/mode_normalisation.py [--seeds 3] [--methods rumi,cagan]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import ks_2samp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, parser  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation.report import mean_std, table_lines, write_results  # noqa: E402
from minority_gen.evaluation.toys import bimodal_table, bimodal_values  # noqa: E402


def main(argv=None) -> int:
    ap = parser(__doc__, HERE / "results" / "mode_normalisation.md", quick=None)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--methods", default="rumi,cagan")
    ap.add_argument("--n-iter", type=int, default=500)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for method in args.methods.split(","):
        for continuous in ("standard", "modes"):
            for seed in range(args.seeds):
                X, y = bimodal_table(seed)
                s = GANOversampler(method=method, continuous=continuous, n_iter=args.n_iter, random_state=seed,
                                   device="cpu").fit(X, y)
                x = s.sample(2000, y=1, random_state=seed)["x"].to_numpy()
                fresh = bimodal_values(2000, 0.5, np.random.default_rng(100 + seed))
                rows.append({"method": method, "continuous": continuous, "seed": seed,
                             "between_modes": float((np.abs(x) < 2).mean()),
                             "on_negative_mode": float((x < -2).mean()), "ks": float(ks_2samp(x, fresh).statistic)})
                print(rows[-1], flush=True)
    groups = pd.DataFrame(rows).groupby(["method", "continuous"])
    lines = [*head("Mode-specific normalisation on a bimodal column", "mode_normalisation.py", argv, "* torch 1 thread",
                   "* set-up: the script's docstring. Target: between_modes ≈ 0, on_negative_mode ≈ 0.5, ks → 0."),
             *table_lines(["method", "continuous", "between modes", "on negative mode", "KS"],
                          [[*key, *(mean_std(part[c]) for c in ("between_modes", "on_negative_mode", "ks"))]
                           for key, part in groups])]
    write_results(args.out, lines, echo=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
