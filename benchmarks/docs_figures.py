"""Tables of README.md and docs/*.md generated from the committed results, so they cannot drift.

A region of a document

    <!-- figures:NAME -->
    ...
    <!-- /figures:NAME -->

holds exactly what the generator ``NAME`` below makes from files under
``benchmarks/results/``. To change such a table, change its result file (re-run
the benchmark) or its generator here, never the region by hand: the check
(``tests/test_docs_figures.py``) fails on any difference.

    python benchmarks/docs_figures.py            # check: exit 1 and a diff per region that differs
    python benchmarks/docs_figures.py --write    # rewrite every region from the results

Each generator names its source files (``FIGURES[NAME].sources``); every
registered name must have exactly one region, and every region a generator.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the package of this checkout, for its rank statistics
from benchmarks.dev_collection import PREVIOUS  # noqa: E402 - the spec of protocol T's previous-defaults row

RESULTS = Path("benchmarks") / "results"

REGION = re.compile(r"<!-- figures:(?P<name>[\w.-]+) -->\n(?P<body>.*?)<!-- /figures:(?P=name) -->", re.DOTALL)
MARKER = re.compile(r"<!-- (?P<end>/?)figures:(?P<name>[\w.-]+) -->")


@dataclass(frozen=True)
class Figure:
    """A generated region: its name, the result files it reads (relative to the root) and how to render it."""

    name: str
    sources: tuple[str, ...]
    render: Callable[[Path], str]


FIGURES: dict[str, Figure] = {}


def figure(name: str, *sources: str):
    """Register ``render(root) -> markdown`` as the generator of region ``name``."""

    def register(render: Callable[[Path], str]) -> Callable[[Path], str]:
        FIGURES[name] = Figure(name, tuple(str(RESULTS / s) for s in sources), render)
        return render

    return register


# ---------------------------------------------------------------------------- helpers


def md_table(rows: list[list[str]], header: list[str]) -> str:
    """A markdown table, one line per row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def read_md_table(path: Path, first_header: str, after: str | None = None) -> list[dict[str, str]]:
    """The rows of the first markdown table in ``path`` (after the line ``after``) whose header starts so."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(after) if after is not None else 0
    for i in range(start, len(lines)):
        if lines[i].startswith(f"| {first_header} |"):
            header = [c.strip() for c in lines[i].strip("|").split("|")]
            rows = []
            for line in lines[i + 2:]:
                if not line.startswith("|"):
                    break
                rows.append(dict(zip(header, (c.strip() for c in line.strip("|").split("|")))))
            return rows
    raise ValueError(f"{path}: no table whose header starts with {first_header!r}"
                     + (f" after the line {after!r}" if after else "") + ".")


def bold_best(cells: list[str], among: list[bool] | None = None, lower_is_better: bool = False) -> list[str]:
    """``cells`` with the best value (at its printed precision; ties all) in bold, among the rows ``among``."""
    among = among or [True] * len(cells)
    printed = [float(c) for c in cells]
    pick = min if lower_is_better else max
    best = pick(p for p, a in zip(printed, among) if a)
    return [f"**{c}**" if a and p == best else c for c, p, a in zip(cells, printed, among)]


# ---------------------------------------------------------------------------- README.md

PROTOCOL_T_ROWS = {
    "none": "none",
    "ros": "random oversampling (ROS)",
    "smote": "**SMOTE** (k = 3)",
    'smote:{"k_neighbors":5}': "SMOTE, k = 5",
    "adasyn": "ADASYN",
    "bsmote": "Borderline-SMOTE",
    "ctgan": "CTGAN (on the minority rows)",
    'rumi:{"anchor":"smote"}': "**`rumi` (SMOTE anchors: the defaults then)**",
    'acgan:{"anchor":"smote"}': "`acgan` (the defaults then)",
    'lsgan:{"anchor":"smote"}': "`lsgan` (the defaults then)",
    'rumi:{"anchor":"smote","n_iter":1}': "`rumi`'s starting point (anchors, 1 training step)",
    'rumi:{"selection":"last"}': "`rumi` without anchors (`anchor=None`)",
    'rumi:{"recipe":"paper","pac":1,"selection":"last"}':
        "`rumi`, previous setup (`recipe=\"paper\", pac=1, anchor=None`)",
}


@figure("protocol-t-ranks", "protocol_t/results.csv")
def protocol_t_ranks(root: Path) -> str:
    """Mean G-mean rank per classifier over the datasets every sampler completed (package's ``mean_ranks``)."""
    from minority_gen.evaluation.stats import mean_ranks

    table = pd.read_csv(root / RESULTS / "protocol_t" / "results.csv")
    cells = []
    for clf in ("lr", "rf", "hgb"):
        sub = table[table["classifier"] == clf]
        complete = sub.groupby("dataset")["folds_done"].min() == sub.groupby("dataset")["folds"].max()
        scores = sub.pivot(index="dataset", columns="sampler", values="gmean_mean")
        scores = scores.loc[complete[complete].index].dropna()
        ranks = mean_ranks(scores)
        shown = [f"{ranks[s]:.2f}" for s in PROTOCOL_T_ROWS]
        best = f"{ranks.min():.2f}"  # the best of all samplers, bold only if it is shown
        cells.append([f"**{c}**" if c == best else c for c in shown])
    header = ["sampler", "logistic regression", "random forest", "gradient boosting"]
    return md_table([[label, *row] for label, row in zip(PROTOCOL_T_ROWS.values(), zip(*cells))], header)


#: The rows every engine report holds (``{clf}``: the classifier of the column).
ENGINE_BASELINES = {
    "none": "none",
    "ros": "random oversampling (ROS)",
    "smote": "SMOTE (k = 3)",
    "{clf}-balanced": "no resampling, `class_weight=\"balanced\"`",
    "{clf}-tuned": "no resampling, threshold tuned by inner CV",
}

PROTOCOL_V_ROWS = {
    **ENGINE_BASELINES,
    "rumi": "`rumi` (the defaults then: SMOTE anchors, free correction, no boundary term)",
    'rumi:{"anchor": null}': "`rumi`, `anchor=None`",
    'rumi:{"boundary": 1.0}': "`rumi`, `boundary=1`",
    'rumi:{"boundary": 3.0}': "`rumi`, `boundary=3`",
    'rumi:{"boundary": {"weight": 1.0, "target": "margins"}}':
        "`rumi`, `boundary={\"weight\": 1, \"target\": \"margins\"}`",
    'rumi:{"correction": "covariance"}': "`rumi`, `correction=\"covariance\"`",
    'rumi:{"correction": "covariance", "boundary": {"weight": 1.0, "target": "margins"}}':
        "`rumi`, `correction=\"covariance\"` and the margin match (the default since)",
    'rumi:{"n_iter": 500}': "`rumi`, `n_iter=500`",
    'rumi:{"n_iter": 1000}': "`rumi`, `n_iter=1000`",
}


def engine_ranks(path: Path, labels: dict[str, str]) -> str:
    """G-mean mean ranks per classifier from an engine report (``dev_collection.py``'s ``results.md``), one row
    per spec of ``labels`` (``{clf}`` stands for the classifier); ``–`` for a row the report does not hold; the
    best of each column in bold; the number of tables last."""
    columns = []
    for clf in ("lr", "rf", "hgb"):
        rows = read_md_table(path, "metric", after=f"## {clf}")
        gmean = next(r for r in rows if r["metric"] == "G-mean")
        shown = [gmean.get(f"`{spec.replace('{clf}', clf)}`", "–") for spec in labels]
        values = [c for c in shown if c != "–"]
        best = min(values, key=float)
        columns.append([f"**{c}**" if c == best else c for c in shown] + [gmean["tables"]])
    header = ["G-mean mean rank (1 = best)", "logistic regression", "random forest", "gradient boosting"]
    body = [[label, *row] for label, row in zip(labels.values(), zip(*[c[:-1] for c in columns]))]
    return md_table(body + [["tables", *(c[-1] for c in columns)]], header)


PROTOCOL_T_ENGINE_ROWS = {
    **ENGINE_BASELINES,
    PREVIOUS: "`rumi`, the defaults before the boundary choice (free correction, no boundary term, 2,000 iterations, "
              "no filter)",
    "rumi": "**`rumi` (defaults: anchors, `correction=\"covariance\"`, margin match at weight 0.5, reach filter, 500 "
            "iterations)**",
}

#: Protocol V at output version e506445da2b07e18: the choice of the boundary weight, then of the table budget.
PROTOCOL_V_CHOICE_ROWS = {
    **ENGINE_BASELINES,
    "rumi": "`rumi`, the defaults then (covariance correction, margin match at weight 1, 2,000 iterations)",
    'rumi:{"correction": "free", "boundary": null}': "`rumi`, free correction and no boundary term",
    'rumi:{"boundary": {"weight": 0.5, "target": "margins"}}': "`rumi`, margin match at weight 0.5",
    'rumi:{"boundary": {"weight": 1.0, "target": "inside"}}': "`rumi`, `\"target\": \"inside\"` (weight 1)",
    'rumi:{"boundary": {"weight": 0.5, "target": "margins"}, "n_iter": 500}':
        "`rumi`, weight 0.5, `n_iter=500` (the default since)",
    'rumi:{"boundary": {"weight": 0.5, "target": "margins"}, "n_iter": 1000}': "`rumi`, weight 0.5, `n_iter=1000`",
}


def engine_figure(name: str, source: str, labels: dict[str, str]) -> None:
    """Register region ``name``: :func:`engine_ranks` of the engine report ``source`` (under ``RESULTS``)."""
    figure(name, source)(lambda root: engine_ranks(root / RESULTS / source, labels))


# protocol V at the choice of the table default, and protocol T (report only) at today's output version
engine_figure("protocol-v-ranks", "dev_collection/choice_38b0aec.md", PROTOCOL_V_ROWS)
engine_figure("protocol-v-choice-ranks", "dev_collection/choice_e506445.md", PROTOCOL_V_CHOICE_ROWS)
engine_figure("protocol-t-engine-ranks", "protocol_t_engine/results.md", PROTOCOL_T_ENGINE_ROWS)


STROKE_ROWS = {
    "none": "none",
    "ros": "random oversampling",
    "smotenc": "SMOTENC (bmi imputed)",
    "ctgan": "CTGAN (bmi imputed)",
    "rumi": "`rumi`, no anchors",
    "cagan": "`cagan`, no anchors",
    "rumi-anchor": "`rumi`, SMOTE anchors (the defaults before the pair)",
    "cagan-anchor": "`cagan`, SMOTE anchors (the defaults before the pair)",
    "rumi-default": "`rumi` (defaults: anchors, `correction=\"covariance\"`, margin match at 0.5, reach filter, "
                    "500 iterations)",
    "cagan-default": "`cagan` (defaults: anchors, `correction=\"covariance\"`, margin match at 0.5, reach filter, "
                     "500 iterations)",
}
STROKE_COLUMNS = {
    "lr_gmean": "LR G-mean", "lr_balanced_accuracy": "LR bal. acc.", "lr_average_precision": "LR avg. prec.",
    "hgb_gmean": "HGB G-mean", "hgb_balanced_accuracy": "HGB bal. acc.", "hgb_average_precision": "HGB avg. prec.",
}


@figure("stroke-downstream", "stroke_mixed/results.csv")
def stroke_downstream(root: Path) -> str:
    """Fold means on the stroke table; the best oversampler of each column in bold (``none`` is not one)."""
    table = pd.read_csv(root / RESULTS / "stroke_mixed" / "results.csv").set_index("sampler")
    among = [s != "none" for s in STROKE_ROWS]
    cols = [bold_best([f"{table.loc[s, c]:.3f}" for s in STROKE_ROWS], among) for c in STROKE_COLUMNS]
    rows = [[label, *cells] for label, cells in zip(STROKE_ROWS.values(), zip(*cols))]
    return md_table(rows, ["sampler", *STROKE_COLUMNS.values()])


def _protocol_i_condition(condition: str) -> str:
    plain = {"none": "none", "ros": "random oversampling", "augmentation": "augmentation (albumentations)"}
    if condition in plain:
        return plain[condition]
    name, _, variant = condition.partition(" ")
    method, plus, mix = name.partition("+")
    label = f"`{method}`" + {"": "", "augmentation": " + augmentation", "ros": " + random oversampling"}[mix]
    suffix = {"": "", "(n_critic=1)": " (1 D step, batch 64)"}.get(variant)
    if suffix is None:  # another setting: as the results name it, "(boundary=1.0)" -> " (boundary=1.0)"
        suffix = " " + variant.replace("=", " = ") if variant.startswith("(") else f" ({variant})"
    return label + suffix


@figure("protocol-i", "protocol_i/results.md")
def protocol_i(root: Path) -> str:
    """Every cell of protocol I's test-split table (strong CNN), as ``results.md`` gives it."""
    rows = read_md_table(root / RESULTS / "protocol_i" / "results.md", "scenario", after="## Results (test split)")
    keys = ["seeds", "test ROC AUC", "average precision", "accuracy", "balanced accuracy",
            "validation AUC (selected epoch)"]
    header = ["scenario", "condition", "seeds", "test ROC AUC", "average precision", "accuracy", "balanced accuracy",
              "validation AUC"]
    return md_table([[r["scenario"], _protocol_i_condition(r["condition"]),
                      *(str(len(r[k].split(","))) if k == "seeds" else r[k] for k in keys)] for r in rows], header)


@figure("protocol-i-paired", "protocol_i/results.md")
def protocol_i_paired(root: Path) -> str:
    """Protocol I's paired comparisons by seed, and the GAN condition chosen on validation."""
    path = root / RESULTS / "protocol_i" / "results.md"
    rows = read_md_table(path, "scenario", after="## Paired by seed (test split)")
    chosen = [line for line in path.read_text(encoding="utf-8").splitlines()
              if "GAN condition chosen on the validation split" in line]
    metrics = ["test ROC AUC", "average precision", "balanced accuracy"]
    table = md_table([[r["scenario"], _protocol_i_condition(r["condition"]), _protocol_i_condition(r["against"]),
                       r["seeds"], *(r[m] for m in metrics)] for r in rows],
                     ["scenario", "condition", "against", "seeds", *metrics])
    return "\n".join(chosen) + "\n\n" + table


@figure("image-diagnostics", "image_diagnostics/results.md")
def image_diagnostics(root: Path) -> str:
    """Severe30's new malignant images against the held-back ones: the scores table, then the texture table."""
    path = root / RESULTS / "image_diagnostics" / "results.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for after in [None, *(line for line in lines if line.startswith("## Texture"))][:2]:
        rows = read_md_table(path, "images", after=after)
        header = list(rows[0])
        out.append(md_table([[r[h] for h in header] for r in rows], header))
    return "\n\n".join(out)


# ---------------------------------------------------------------------------- docs/mixed_tables.md


@figure("mode-normalisation", "mode_normalisation.md")
def mode_normalisation(root: Path) -> str:
    """The bimodal toy of ``benchmarks/mode_normalisation.py``, methods in README order."""
    rows = read_md_table(root / RESULTS / "mode_normalisation.md", "method")
    order = [(m, c) for m in ("rumi", "cagan") for c in ("standard", "modes")]
    by_key = {(r["method"], r["continuous"]): r for r in rows}
    header = ["method", "continuous", "rows between the modes", "rows on the negative mode (real 0.5)", "KS"]
    return md_table([[m, c, by_key[m, c]["between modes"], by_key[m, c]["on negative mode"], by_key[m, c]["KS"]]
                     for m, c in order], header)


@figure("draw-memory", "draw_memory.json", "draw_memory_before.json", "draw_memory.md")
def draw_memory(root: Path) -> str:
    """``sample(n)``'s peak bytes per returned row before and after the in-place draw, beside the estimate."""
    after, before = (json.loads((root / RESULTS / f"draw_memory{s}.json").read_text()) for s in ("", "_before"))
    old = {r["case"]: r["bytes_per_row"] for r in before}
    what = [row["case"] for row in read_md_table(root / RESULTS / "draw_memory.md", "case")]  # `case`: its words
    return md_table([[text, f"{r['n']:,}", f"{old[r['case']]:,.0f}", f"{r['bytes_per_row']:,.0f}",
                      f"{r['estimate']:,}", f"{r['estimate'] / r['bytes_per_row']:.1f}"]
                     for text, r in zip(what, after)],
                    ["data", "rows drawn", "peak bytes a row, before", "now", "estimate", "estimate ÷ peak"])


# ---------------------------------------------------------------------------- docs/sample_quality.md

SAMPLE_QUALITY_VARIANTS = {
    "defaults": "defaults (`pac=4`, tuned recipe, SMOTE anchors, `correction=\"covariance\"`, margin match)",
    "correction='free', boundary=None": "`correction=\"free\", boundary=None` (the defaults before the pair)",
    "previous defaults": "previous setup (`recipe=\"paper\", pac=1, anchor=None, n_iter=2000`)",
    "anchor=None": "`anchor=None`",
    "pac=1": "`pac=1`",
    "recipe='paper'": "`recipe=\"paper\"`",
    "selection='quality'": "`selection=\"quality\"`",
}


@figure("sample-quality-rumi", "sample_quality/results.json")
def sample_quality_rumi(root: Path) -> str:
    """``rumi`` at the defaults and with one change at a time: toys (3 seeds, ring seed 0) and breast cancer."""
    data = json.loads((root / RESULTS / "sample_quality" / "results.json").read_text(encoding="utf-8"))
    toy = {}
    for r in data["toy"]:
        if r["method"] == "rumi":
            toy.setdefault(r["variant"], []).append(r)
    ring = {r["variant"]: r for r in data["ring"]}
    bc = {r["sampler"]: r for r in data["breast_cancer"]}
    rows = []
    for variant, label in SAMPLE_QUALITY_VARIANTS.items():
        t = sorted(toy[variant], key=lambda r: r["seed"])
        b = bc[f"rumi, {variant}"]
        rows.append([
            label,
            ", ".join(f"{min(r['mode_shares']):.2f}" for r in t),
            ", ".join(f"{r['near_positive']:.3f}" for r in t),
            f"{ring[variant]['near_positive']:.3f}",
            ", ".join(f"{s:.2f}" for s in ring[variant]["mode_shares"]),
            f"{b['frechet']:.1f}", f"{b['recall']:.2f}", f"{b['coverage']:.2f}",
        ])
    for sampler in ("SMOTE (k=5)", "the 30 real rows"):
        b = bc[sampler]
        rows.append([sampler, "", "", "", "", f"{b['frechet']:.1f}", f"{b['recall']:.2f}", f"{b['coverage']:.2f}"])
    header = ["`rumi`", "toy: smallest mode's share (seeds 0, 1, 2)", "toy: nearer a positive mode",
              "ring: nearer a positive mode", "ring: share per positive mode", "breast cancer: Fréchet ↓",
              "recall", "coverage"]
    return md_table(rows, header)


# ---------------------------------------------------------------------------- checking and writing


def documents(root: Path) -> list[Path]:
    """The documents that may hold regions: README.md, docs/*.md and benchmarks/README.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md")), root / "benchmarks" / "README.md"]


def _regions(path: Path, text: str) -> list[re.Match]:
    """The well-formed regions of ``text``; a marker without its partner is an error."""
    regions = list(REGION.finditer(text))
    paired = {r.start() for r in regions} | {r.end("body") for r in regions}
    stray = [m.group(0) for m in MARKER.finditer(text) if m.start() not in paired]
    if stray:
        raise ValueError(f"{path}: unpaired figure markers {stray}; a region is "
                         "'<!-- figures:NAME -->' ... '<!-- /figures:NAME -->'.")
    return regions


def _body(name: str, root: Path) -> str:
    return "\n" + FIGURES[name].render(root).rstrip("\n") + "\n\n"


def rendered(root: Path = ROOT) -> dict[Path, tuple[str, str]]:
    """For each document with regions: (its text, its text with every region regenerated).

    Raises ``ValueError`` for a region no generator makes, and for a generator
    whose region is missing or appears more than once.
    """
    out, seen = {}, {}
    for path in documents(root):
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        regions = _regions(path, text)
        for r in regions:
            name = r.group("name")
            if name not in FIGURES:
                raise ValueError(f"{path}: region {name!r} has no generator; known: {sorted(FIGURES)}.")
            seen.setdefault(name, []).append(path)
        if regions:
            new = REGION.sub(lambda r: (f"<!-- figures:{r.group('name')} -->\n{_body(r.group('name'), root)}"
                                        f"<!-- /figures:{r.group('name')} -->"), text)
            out[path] = (text, new)
    wrong = {n: [str(p) for p in seen.get(n, [])] for n in FIGURES if len(seen.get(n, [])) != 1}
    if wrong:
        raise ValueError(f"every generated figure needs exactly one region; found {wrong}.")
    return out


def differences(root: Path = ROOT) -> list[str]:
    """A unified diff per document whose regions differ from what the results give (empty: all current)."""
    diffs = []
    for path, (text, new) in rendered(root).items():
        if text != new:
            rel = path.relative_to(root)
            diffs.append("".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                      f"{rel} (as committed)", f"{rel} (from the results)")))
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="rewrite the regions instead of checking them")
    ap.add_argument("--root", type=Path, default=ROOT, help="the repository root (default: this checkout)")
    args = ap.parse_args(argv)
    if args.write:
        for path, (text, new) in rendered(args.root).items():
            if text != new:
                path.write_text(new, encoding="utf-8")
                print("rewrote", path.relative_to(args.root))
        return 0
    diffs = differences(args.root)
    for d in diffs:
        print(d)
    if diffs:
        print("Generated regions differ from benchmarks/results/: run python benchmarks/docs_figures.py --write",
              file=sys.stderr)
        return 1
    print(f"{len(FIGURES)} generated regions match the results.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
