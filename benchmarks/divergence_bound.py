"""How far healthy generators stray from the training rows: the margin of the divergence rule.

What it measures (the *excursion*) and how: benchmarks/README.md, "Divergence rule margin".

    python benchmarks/divergence_bound.py                 # toys x every method, real tables x rumi
    python benchmarks/divergence_bound.py --n-iter 300    # shorter runs (all but one default-length fit)
    python benchmarks/divergence_bound.py --quick         # smoke run: 2 fits, 50 iterations
"""

from __future__ import annotations

import itertools
import sys
import time
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pandas as pd
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._timing import head, parser  # noqa: E402
from minority_gen import DivergenceError, GANOversampler, available_methods, divergence  # noqa: E402
from minority_gen.evaluation.datasets import DatasetNotFound, load_datasets, load_stroke  # noqa: E402
from minority_gen.evaluation.report import table_lines, write_results  # noqa: E402
from minority_gen.methods import amgan, base  # noqa: E402

ZENODO = ("ecoli", "optical_digits", "abalone", "spectrometer", "us_crime", "libras_move", "arrhythmia", "oil",
          "wine_quality", "yeast_me2", "mammography")
DIVERGED = {"lr 10": dict(lr_g=10.0, lr_d=10.0, n_iter=100), "lr 1": dict(lr_g=1.0, lr_d=1.0, n_iter=300)}


@contextmanager
def recorded_batches():
    """A list that receives the per-column largest |value| of every batch a method generates."""
    batches = []

    def recording(original):
        def generate(method, nets, z, y):
            out = original(method, nets, z, y)
            batches.append(out.detach().reshape(len(out), -1).abs().amax(0).float().cpu().numpy())
            return out
        return generate

    with ExitStack() as stack:
        for cls in (base.GANMethod, amgan.AMGAN):
            stack.enter_context(patch.object(cls, "generate", recording(cls.__dict__["generate"])))
        yield batches


def toy_tables() -> dict:
    from sklearn.datasets import make_blobs, make_classification

    rng = np.random.default_rng(0)
    small = (np.vstack([rng.normal(0, 1, (60, 3)), rng.normal(3, 1, (12, 3))]), np.array([0] * 60 + [1] * 12))
    X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    Xb, yb = make_blobs(n_samples=[200, 40, 15], n_features=5, random_state=0)
    heavy = rng.standard_t(2, size=(400, 6))  # heavy tails: a few rows far out
    return {"toy 72x3": small, "make_classification 300x20": (X, y), "blobs 3 classes": (Xb, yb),
            "student-t(2) 400x6": (heavy, (rng.random(400) < 0.1).astype(int))}


def real_tables(data: Path) -> dict:
    """breast_cancer, the ZENODO tables present in ``<data>/imblearn_zenodo`` and ``<data>/stroke.csv``."""
    out = {f"{name} {X.shape[0]}x{X.shape[1]}": (X, y)
           for name, (X, y) in load_datasets(("breast_cancer", *ZENODO), data, missing="skip").items()}
    with suppress(DatasetNotFound):
        out["stroke (mixed) 5110x10"] = load_stroke(data)
    return out


def excursion(X, y, **params) -> tuple[float, float, float]:
    """(excursion in training, excursion of the returned rows, seconds) of one fit and its samples."""
    est = GANOversampler(device="cpu", random_state=0, **params)
    t0 = time.perf_counter()

    def largest(batches) -> float:
        x_enc = est.codec_.encode(X if isinstance(X, pd.DataFrame) else np.asarray(X))
        real = np.maximum(1.0, np.abs(x_enc.reshape(len(x_enc), -1)).max(axis=0))
        return float(max((b / real).max() for b in batches)) if batches else float("nan")

    with recorded_batches() as batches:
        est.fit(X, y)
        during = largest(batches)
        batches.clear()
        for cls, n in est.sampling_strategy_.items():
            if n:
                est.sample(max(n, 1000), y=cls, random_state=1)
        after = largest(batches)
    return during, after, time.perf_counter() - t0


def main(argv=None) -> None:
    ap = parser(__doc__, HERE / "results" / "divergence_bound.md", quick="2 fits of 50 iterations", data="")
    ap.add_argument("--n-iter", type=int, default=None,
                    help="iterations of the toy x method and real-table fits (default: the estimator's)")
    ap.add_argument("--methods", default=None, help="comma-separated methods for the toy tables (default: all)")
    args = ap.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    tables = toy_tables()
    if args.quick:
        runs, extra = [("toy 72x3", m, {}) for m in ("rumi", "projection")], dict(n_iter=50)
    else:
        real = real_tables(args.data)
        tables.update(real)
        methods = args.methods.split(",") if args.methods else available_methods()
        runs = [(t, m, {}) for t in ("toy 72x3", "student-t(2) 400x6") for m in methods]
        runs += [(t, "rumi", {}) for t in ("make_classification 300x20", "blobs 3 classes", *real)]
        runs += [("toy 72x3", "rumi", {"n_iter": 2000}), ("toy 72x3", "rumi", {"recipe": "paper"})]
        runs += [("toy 72x3", m, d) for d in DIVERGED.values() for m in ("rumi", "projection")]
        extra = {} if args.n_iter is None else dict(n_iter=args.n_iter)
    rows = []
    with patch.object(divergence, "DIVERGENCE_FACTOR", np.inf):  # measuring: nothing may stop early
        for table, method, params in runs:
            settings = {**extra, **params}
            during, after, secs = excursion(*tables[table], method=method, **settings)
            label = ", ".join(f"{k}={v}" for k, v in settings.items()) or "defaults"
            rows.append(dict(table=table, method=method, settings=label, during=during, returned=after, s=secs))
            print(rows[-1], flush=True)
    stops = []
    for (name, params), method in itertools.product([] if args.quick else DIVERGED.items(), ("rumi", "projection")):
        try:
            GANOversampler(method=method, device="cpu", random_state=0, **params).fit_resample(*tables["toy 72x3"])
            stops.append((name, method, "not stopped"))
        except DivergenceError as exc:
            stops.append((name, method, str(exc).split(":")[0].split(") ")[-1]))
    healthy = [r for r in rows if "lr_g" not in r["settings"]]
    lines = [
        *head("Divergence rule: how far generators stray from the training rows", "divergence_bound.py", argv,
              f"* torch threads {torch.get_num_threads()}"),
        "Excursion: the largest |generated value| / max(1, max |training value|) over the encoded columns, in "
        "every batch generated during training (`during`) and in up to 1,000 rows per class drawn after it "
        "(`returned`). The rule (`minority_gen.divergence.divergence_limits`) fires above "
        f"{divergence.DIVERGENCE_FACTOR:g}. `GANOversampler(method=m, device='cpu', random_state=0)` at its "
        "defaults unless the settings say otherwise.", "",
        f"Largest excursion of a healthy fit: **{max(max(r['during'], r['returned']) for r in healthy):.3g}** "
        f"({len(healthy)} fits).", "",
        *table_lines(["table", "method", "settings", "during", "returned", "s"],
                     [[r["table"], r["method"], r["settings"], f"{r['during']:.3g}", f"{r['returned']:.3g}",
                       f"{r['s']:.1f}"] for r in rows]),
    ]
    if stops:
        lines += ["", "With the rule on, the diverged settings stop:", "",
                  *table_lines(["settings", "method", "stops"], stops)]
    write_results(args.out, lines, echo=True)


if __name__ == "__main__":
    main()
