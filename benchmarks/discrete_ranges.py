"""Discrete values outside the generated class's own range (integrity item 10), with and without the rule.

Since output version ``e2a347237a775d63`` a generated row whose value in a discrete column (few distinct values,
:class:`minority_gen.data.TableCodec`) leaves the interval of the class's own values (widened by half the gap to
the next level) is drawn again instead of being snapped or clipped. For each table this script fits default
``rumi`` (``random_state=0``) on the training rows of fold 0 (stratified 5-fold, shuffled with seed 0), draws
the rows the fit adds **without** the rule (the model's class ranges emptied) and **with** it, from the same
seed, and reports per table:

* ``redrawn``: the share of the drawn rows that the rule rejected and drew again (a value beyond the interval,
  which decoding would snap to another class's level or clip onto the data's edge value);
* ``outside``: the share of the unruled and of the ruled rows holding a decoded value outside the class's observed
  range in some discrete column (for the ruled rows 0 unless the generator ran out of rounds, ``kept_outside``);
* ``worst column``: the largest share of one discrete column's unruled values outside its interval;
* ``edge``: the share of the unruled and ruled rows at the class's largest value of that column, beside the
  real rows' share (clipping piles rows there; redrawing does not).

Tables: the development collection (protocol V), protocol T's 13, and the stroke table (mixed types); the
synthetic count table of the issue (``counts``: an ``Int64`` count whose minority values lie in 2..13, 13 once,
the majority's mostly in 0..2; 20 of 320 rows minority).

    python benchmarks/discrete_ranges.py                 # every table (about 15 min on one core)
    python benchmarks/discrete_ranges.py --tables counts stroke
    python benchmarks/discrete_ranges.py --quick         # smoke run: 2 tables, 20 GAN iterations, temporary output
    python benchmarks/discrete_ranges.py --report-only --compare benchmarks/results/dev_collection/runs.jsonl

``--compare STORE`` adds, from an evaluation store (``minority_gen.evaluation.store``), each GAN sampler's mean
G-mean per table and classifier at the output version before the rule (``--before``, default
``f0ac320b3bcfbcb2``) against the current one, with the two-sided sign test over tables; ``--report-only``
rewrites the report from ``discrete_ranges.json`` without fitting.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def counts_table(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    n0, n1 = 300, 20
    counts = np.r_[rng.poisson(0.7, n0), rng.integers(2, 13, n1)]
    counts[-1] = 13
    X = pd.DataFrame({f"x{i}": np.r_[rng.normal(0, 1, n0), rng.normal(1, 1, n1)] for i in range(5)})
    X["count"] = pd.array(counts, dtype="Int64")
    X["kind"] = pd.Categorical(np.r_[rng.choice(list("abc"), n0), rng.choice(list("bc"), n1)])
    return X, np.r_[np.zeros(n0, int), np.ones(n1, int)]


def load(name: str):
    if name == "counts":
        return counts_table()
    if name == "stroke":
        sys.path.insert(0, str(HERE))
        from stroke_mixed import load as load_stroke

        return load_stroke()
    from minority_gen.evaluation.datasets import load_dataset

    return load_dataset(name)


def discrete_values(sampler, rows) -> dict[str, np.ndarray]:
    """Column name → the rows' values (float, NaN where missing) of each column the class ranges cover."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(np.asarray(rows))
    numeric = getattr(sampler.model_.codec, "numeric_idx_", None)  # the mixed codec: slot -> column
    out = {}
    for j, _, _ in sampler.model_.ranges.get(1, []):
        position = numeric[j] if numeric is not None else j
        out[str(frame.columns[position])] = pd.to_numeric(frame.iloc[:, position], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan)
    return out


def cell(name: str, n_iter: int | None) -> dict:
    import warnings

    from sklearn.model_selection import StratifiedKFold

    from minority_gen import GANOversampler

    X, y = load(name)
    y = np.asarray(y)
    train, _ = next(StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    X_train = X.iloc[train] if isinstance(X, pd.DataFrame) else np.asarray(X)[train]
    y_train = y[train]
    minority = pd.Series(y_train).value_counts().idxmin()
    y_train = (y_train == minority).astype(int)
    params = {"random_state": 0, "device": "cpu", **({"n_iter": n_iter} if n_iter else {})}
    t0 = time.perf_counter()
    sampler = GANOversampler(**params).fit(X_train, y_train)
    fit_s = time.perf_counter() - t0
    n = int((y_train == 0).sum() - (y_train == 1).sum())
    ranges = sampler.model_.ranges.get(1, [])
    real = discrete_values(sampler, X_train.iloc[y_train == 1] if isinstance(X_train, pd.DataFrame)
                           else X_train[y_train == 1])
    import minority_gen.model as model_module

    reports, draw_filtered = [], model_module.draw_filtered

    def recording(*a, **k):
        rows, rep = draw_filtered(*a, **k)
        reports.append(rep)
        return rows, rep

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model_module.draw_filtered = recording
        try:
            ruled = discrete_values(sampler, sampler.sample(n, y=1, random_state=0))
        finally:
            model_module.draw_filtered = draw_filtered
        sampler.model_.ranges = {}
        unruled_rows = sampler.sample(n, y=1, random_state=0)
        sampler.model_.ranges = {1: ranges}
        unruled = discrete_values(sampler, unruled_rows)
    result = {"table": name, "rows": int(len(y_train)), "minority": int(y_train.sum()), "new": n,
              "discrete_columns": len(ranges), "fit_s": round(fit_s, 1), "outside": 0.0, "ruled_outside": 0.0,
              "redrawn": reports[0]["dropped_range"] / max(reports[0]["drawn"] - reports[0]["surplus"], 1),
              "kept_outside": reports[0]["kept_outside"]}
    if not ranges:
        return result
    out_any = np.zeros(n, dtype=bool)
    ruled_any = np.zeros(n, dtype=bool)
    worst = (None, -1.0)
    for column, values in unruled.items():
        lo, hi = np.nanmin(real[column]), np.nanmax(real[column])
        bad = (values < lo) | (values > hi)
        out_any |= bad
        ruled_any |= (ruled[column] < lo) | (ruled[column] > hi)
        if bad.mean() > worst[1]:
            worst = (column, float(bad.mean()), float(np.mean(values == hi)), float(np.mean(ruled[column] == hi)),
                     float(np.nanmean(real[column] == hi)))
    result.update(outside=float(out_any.mean()), ruled_outside=float(ruled_any.mean()), worst_column=worst[0],
                  worst_share=worst[1], edge_unruled=worst[2], edge_ruled=worst[3], edge_real=worst[4])
    return result


BEFORE = "f0ac320b3bcfbcb2"


def version_comparison(store: Path, before: str, after: str) -> list[str]:
    """Markdown lines: per GAN sampler and classifier, tables where the mean G-mean over folds rose / fell / tied
    from output version ``before`` to ``after`` (tables complete at both), with the two-sided sign test."""
    from scipy.stats import binomtest

    from minority_gen.evaluation.store import read_store

    cells: dict = {}
    for r in read_store(store):
        code = r.get("identity", {}).get("oversampler", {}).get("code", {}).get("minority_gen_code")
        if r.get("status") != "ok" or code not in (before, after):
            continue
        key = (r["oversampler"], r["classifier"], r["dataset"], code)
        cells.setdefault(key, {})[r["fold"]] = r["metrics"]["gmean"]
    lines = [f"### Protocol V, before and after the rule ({store})", "",
             f"Mean G-mean over the folds, output version {before} (before) against {after} (after), on the "
             "tables complete at both; *up / down / tied*: tables where it rose, fell or stayed equal; *p*: "
             "two-sided sign test over the tables that changed.", "",
             "| sampler | classifier | tables | up / down / tied | mean change | p |", "|---|---|---:|---|---:|---:|"]
    pairs = sorted({k[:2] for k in cells})
    for sampler, classifier in pairs:
        diffs = []
        for dataset in sorted({k[2] for k in cells if k[:2] == (sampler, classifier)}):
            old = cells.get((sampler, classifier, dataset, before))
            new = cells.get((sampler, classifier, dataset, after))
            if old and new and set(old) == set(new):
                diffs.append(float(np.mean(list(new.values())) - np.mean(list(old.values()))))
        if not diffs:
            continue
        up, down = sum(d > 1e-12 for d in diffs), sum(d < -1e-12 for d in diffs)
        p = binomtest(up, up + down).pvalue if up + down else 1.0
        lines.append(f"| `{sampler}` | {classifier} | {len(diffs)} | {up} / {down} / {len(diffs) - up - down} | "
                     f"{np.mean(diffs):+.4f} | {p:.2f} |")
    return lines + [""]


def report(run: dict, path: Path, extra: list[str] = (), argv: list[str] = ()) -> None:
    """Write the report from ``run`` (``command``, ``stamp``, ``cells``: what :func:`main` measured)."""
    cells = run["cells"]
    lines = [
        "# Discrete values outside the generated class's range (integrity item 10)", "",
        f"Command: `{shlex.join(['python', 'benchmarks/discrete_ranges.py', *run['command']])}`; {run['stamp']}.", "",
        *([f"Report rewritten by `python benchmarks/discrete_ranges.py {shlex.join(argv)}`.", ""]
          if argv != run["command"] else []),
        "Default `rumi` (`random_state=0`) fitted on fold 0's training rows (stratified 5-fold, seed 0); the "
        "rows that balance the fold drawn once without the range rule and once with it, from the same seed. "
        "*redrawn*: share of the drawn rows the rule rejected (a value beyond the class's interval, which decoding "
        "would snap to another class's level or clip onto the data's edge); "
        "*outside*: share of rows with a decoded discrete value outside the class's observed range (unruled / "
        "ruled); "
        "*worst column*: the discrete column with the largest unruled share; *at max*: share of rows at the "
        "class's largest value of that column (unruled / ruled / real minority rows).", "",
        "| table | rows | minority | new rows | discrete columns | redrawn | outside, unruled | outside, ruled | "
        "worst column (share) | at max: unruled / ruled / real | fit s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for c in cells:
        worst = f"{c['worst_column']} ({c['worst_share']:.1%})" if c.get("worst_column") is not None else "–"
        edge = (f"{c['edge_unruled']:.3f} / {c['edge_ruled']:.3f} / {c['edge_real']:.3f}"
                if c.get("worst_column") is not None else "–")
        lines.append(f"| {c['table']} | {c['rows']} | {c['minority']} | {c['new']} | {c['discrete_columns']} | "
                     f"{c['redrawn']:.1%} | {c['outside']:.1%} | {c['ruled_outside']:.1%} | {worst} | {edge} | "
                     f"{c['fit_s']} |")
    with_columns = [c for c in cells if c["discrete_columns"]]
    changed = [c["table"] for c in with_columns if c["redrawn"] > 0]
    lines += ["", f"Tables with a discrete column: {len(with_columns)} of {len(cells)}; tables where the rule "
              f"redraws rows: {len(changed)} ({', '.join(changed) or 'none'}); largest share redrawn: "
              f"{max((c['redrawn'] for c in cells), default=0):.1%}; largest unruled share outside: "
              f"{max((c['outside'] for c in cells), default=0):.1%}; largest ruled share outside: "
              f"{max((c['ruled_outside'] for c in cells), default=0):.1%} (target: at most 2 %).", "", *extra]
    path.write_text("\n".join(lines))
    path.with_suffix(".json").write_text(json.dumps(run, indent=1) + "\n")


def main(argv=None) -> int:
    from minority_gen.evaluation.datasets import COLLECTIONS

    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tables", nargs="+", default=None,
                   help="default: counts, stroke, the development collection and protocol T's tables")
    p.add_argument("--out", type=Path, default=HERE / "results" / "discrete_ranges.md")
    p.add_argument("--quick", action="store_true", help="counts and one dev table, 20 GAN iterations, temporary out")
    p.add_argument("--compare", type=Path, action="append", default=[], metavar="STORE",
                   help="evaluation store whose GAN cells before and after the rule are compared (repeatable)")
    p.add_argument("--before", default=BEFORE, help=f"the output version before the rule (default {BEFORE})")
    p.add_argument("--report-only", action="store_true", help="rewrite the report from the JSON beside it")
    args = p.parse_args(argv)
    from minority_gen._version import OUTPUT_VERSION

    extra = [line for store in args.compare for line in version_comparison(store, args.before, OUTPUT_VERSION)]
    if args.report_only:
        report(json.loads(args.out.with_suffix(".json").read_text()), args.out, extra, argv)
        print(f"report: {args.out}")
        return 0
    import torch

    torch.set_num_threads(1)
    tables = args.tables or ["counts", "stroke", *COLLECTIONS["dev"], *COLLECTIONS["protocol_t"]]
    if args.quick:
        tables, args.out = ["counts", "cleveland_0_vs_4"], Path(tempfile.mkdtemp()) / "discrete_ranges.md"
    cells = []
    for name in tables:
        try:
            cells.append(cell(name, 20 if args.quick else None))
        except Exception as exc:  # a missing data set is reported, not fatal
            print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        c = cells[-1]
        print(f"{name}: {c['discrete_columns']} discrete, redrawn {c['redrawn']:.1%}, "
              f"outside {c['outside']:.1%} unruled, "
              f"{c['ruled_outside']:.1%} ruled ({c['fit_s']} s)", flush=True)
    from minority_gen._version import __version__
    from minority_gen.evaluation.store import machine_description

    stamp = (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; minority_gen {__version__}, output version "
             f"{OUTPUT_VERSION}; {machine_description()}")
    report({"command": argv, "stamp": stamp, "cells": cells}, args.out, extra, argv)
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
