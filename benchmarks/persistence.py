"""Save and load time, and file size, of a fitted default sampler (issue 11: persistence); what is timed:
benchmarks/README.md, "Saving and loading a fitted sampler".

    python benchmarks/persistence.py               # default rumi, 20 repeats
    python benchmarks/persistence.py --quick       # 50 iterations, 3 repeats, no results file
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import joblib
import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, make_table, parser, print_or_write, timed  # noqa: E402
from minority_gen import GANOversampler  # noqa: E402
from minority_gen.evaluation.report import table_lines  # noqa: E402


def main(argv=None) -> int:
    ap = parser(__doc__, HERE / "results" / "persistence.md", quick="50 iterations, 3 repeats, print only")
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    params = {"n_iter": 50} if args.quick else {}
    fit_s, sampler = timed(lambda: GANOversampler(random_state=0, device="cpu", **params).fit(*make_table()), 1)
    with tempfile.TemporaryDirectory() as tmp:
        model, pickled = Path(tmp) / "model.mgz", Path(tmp) / "model.joblib"
        steps = (lambda: sampler.save(model), lambda: GANOversampler.load(model),
                 lambda: joblib.dump(sampler, pickled), lambda: joblib.load(pickled))
        ms = [1e3 * timed(step, repeats)[0] for step in steps]  # save, load, dump, joblib load
        kib = [model.stat().st_size / 1024, pickled.stat().st_size / 1024]
        same = np.array_equal(GANOversampler.load(model).sample(1000, y=1, random_state=3),
                              sampler.sample(1000, y=1, random_state=3))
    if not same:
        raise SystemExit("the loaded sampler drew other rows than the original: persistence is broken")
    lines = [
        *head("Saving and loading a fitted sampler", "persistence.py", argv,
              f"* torch threads {torch.get_num_threads()}"),
        f"Default `GANOversampler(method='rumi')` ({sampler.n_iter} iterations, fitted in {fit_s:.1f} s) on a "
        f"1,000 × 10 binary table (10 % minority); median of {repeats} runs. The loaded sampler's 1,000 rows "
        "for seed 3 equal the original's: yes.", "",
        *table_lines(["format", "save (ms)", "load (ms)", "file size (KiB)", "loading runs code from the file"], [
            ["`sampler.save` / `GANOversampler.load` (.mgz)", f"{ms[0]:.1f}", f"{ms[1]:.1f}", f"{kib[0]:.1f}", "no"],
            ["`joblib.dump` / `joblib.load`", f"{ms[2]:.1f}", f"{ms[3]:.1f}", f"{kib[1]:.1f}", "yes (pickle)"]]),
    ]
    print_or_write(lines, args.out, args.quick, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
