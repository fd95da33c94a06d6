"""Summaries, ranks, markdown tables and plots of evaluation results.

Plots are drawn on matplotlib's Agg canvas directly (no ``pyplot``), so they
work headless and never change the user's backend.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import report_names as names
from .quality import QUALITY_METRICS
from .scoring import LOWER_IS_BETTER
from .stats import cd_diagram, friedman_test, holm_test, mean_ranks, nemenyi_cd, score_table

_KEYS = ["oversampler", "classifier", "metric"]


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation (ddof=1) and number of folds per oversampler, classifier and metric; per dataset
    too when ``results`` has a ``dataset`` column (:func:`~minority_gen.evaluation.compare_on_datasets`), so that
    datasets are not pooled into one mean and one spread (:func:`~minority_gen.evaluation.stats.score_table`
    gives the datasets × oversamplers table of one classifier).

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"oversampler": ["a", "a"], "classifier": ["lr", "lr"], "fold": [0, 1],
    ...                     "metric": ["gmean", "gmean"], "value": [0.5, 0.7]})
    >>> summarise(res)[["mean", "n_folds"]].values.round(3).tolist()
    [[0.6, 2.0]]
    """
    keys = (["dataset"] if "dataset" in results.columns else []) + list(_KEYS)
    grouped = results.groupby(keys, sort=False)["value"]
    out = grouped.agg(mean="mean", std="std", n_folds="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def rank_oversamplers(results: Mapping[str, pd.DataFrame] | pd.DataFrame, metric: str = "gmean"
                      ) -> pd.DataFrame:
    """Mean rank of each oversampler across datasets (1 = best), per classifier.

    ``results`` is a dict dataset name → :func:`compare_oversamplers`
    output, or one table with a ``dataset`` column. Within each dataset and
    classifier the oversamplers are ranked by their mean ``metric`` over
    folds (ties share the average rank; smaller is better for
    ``fit_time_s``).

    Examples
    --------
    >>> import pandas as pd
    >>> def res(a, b):
    ...     return pd.DataFrame({"oversampler": ["x", "y"], "classifier": "lr", "fold": 0,
    ...                          "metric": "gmean", "value": [a, b]})
    >>> rank_oversamplers({"d1": res(0.9, 0.5), "d2": res(0.4, 0.6)})["lr"].tolist()
    [1.5, 1.5]
    """
    if isinstance(results, Mapping):
        results = pd.concat([r.assign(dataset=name) for name, r in results.items()], ignore_index=True)
    if "dataset" not in results.columns:
        raise ValueError("results needs a 'dataset' column, or pass a dict dataset name → results.")
    sub = results[results["metric"] == metric]
    if sub.empty:
        known = sorted(results["metric"].unique())
        raise ValueError(f"No values of metric {metric!r}; recorded metrics: {known}.")
    means = sub.groupby(["dataset", "classifier", "oversampler"], sort=False)["value"].mean().reset_index()
    means["rank"] = means.groupby(["dataset", "classifier"])["value"].rank(
        ascending=metric in LOWER_IS_BETTER, method="average")
    order = list(dict.fromkeys(sub["oversampler"]))
    table = means.pivot_table(index="oversampler", columns="classifier", values="rank", aggfunc="mean")
    return table.reindex(order)


def mean_std(values, digits: int = 3) -> str:
    """``"mean ± std"`` (sample std, ddof=1) of a few runs' figures; the mean alone for one run.

    >>> mean_std([0.5, 0.7]), mean_std([93.31], digits=1)
    ('0.600 ± 0.141', '93.3')
    """
    v = np.asarray(values, float)
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}" if len(v) > 1 else f"{v.mean():.{digits}f}"


def markdown_table(results: pd.DataFrame, metrics: Sequence[str] | None = None, digits: int = 3) -> str:
    """Markdown tables (one per classifier) of mean ± std over folds; the best mean in bold.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"oversampler": ["a", "b"], "classifier": "lr", "fold": 0,
    ...                     "metric": "gmean", "value": [0.5, 0.7]})
    >>> print(markdown_table(res))
    **lr**
    <BLANKLINE>
    | oversampler | gmean |
    |---|---|
    | a | 0.500 ± 0.000 |
    | b | **0.700** ± 0.000 |
    """
    summary = summarise(results)
    if metrics is None:
        metrics = list(dict.fromkeys(summary["metric"]))
    blocks = []
    for clf, part in summary.groupby("classifier", sort=False):
        mean = part.pivot(index="oversampler", columns="metric", values="mean")
        std = part.pivot(index="oversampler", columns="metric", values="std")
        order = list(dict.fromkeys(part["oversampler"]))
        cols = [m for m in metrics if m in mean.columns]
        lines = [f"**{clf}**", "", "| oversampler | " + " | ".join(cols) + " |",
                 "|---" * (len(cols) + 1) + "|"]
        best = {m: (mean[m].min() if m in LOWER_IS_BETTER else mean[m].max()) for m in cols}
        for ov in order:
            cells = []
            for m in cols:
                text = fmt(mean.loc[ov, m], digits)
                if m not in ("n_synthetic",) and np.isclose(mean.loc[ov, m], best[m]) and len(order) > 1:
                    text = f"**{text}**"
                cells.append(f"{text} ± {fmt(std.loc[ov, m], digits)}")
            lines.append(f"| {ov} | " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def quality_markdown(quality: pd.DataFrame, digits: int = 3) -> str:
    """A markdown table of :func:`generative_quality` rows, with range and better direction.

    Expects columns ``oversampler`` and ``class`` besides the metrics.
    """
    cols = [c for c in QUALITY_METRICS if c in quality.columns]
    head = ["oversampler", "class", "n_fake", *cols]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|",
             "| *range* | | | " + " | ".join(QUALITY_METRICS[c][0] for c in cols) + " |",
             "| *better* | | | " + " | ".join(QUALITY_METRICS[c][1] for c in cols) + " |"]
    for _, row in quality.iterrows():
        cells = [str(row["oversampler"]), str(row["class"]), str(int(row["n_fake"]))]
        cells += [str(int(row[c])) if c == "near_copies" else fmt(float(row[c]), digits) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _save(fig: Figure, path) -> Figure:
    FigureCanvasAgg(fig)
    if path is not None:
        fig.savefig(os.fspath(path), dpi=120, bbox_inches="tight")
    return fig


def plot_comparison(results: pd.DataFrame, metrics: Sequence[str] | None = None, path=None) -> Figure:
    """Bar chart per metric: mean over folds with ±1 std error bars, one bar group per oversampler.

    Returns the matplotlib ``Figure``; saved as PNG to ``path`` when given.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"oversampler": ["a", "b"], "classifier": "lr", "fold": 0,
    ...                     "metric": "gmean", "value": [0.5, 0.7]})
    >>> len(plot_comparison(res).axes)
    1
    """
    summary = summarise(results)
    if metrics is None:
        metrics = [m for m in dict.fromkeys(summary["metric"]) if m != "n_synthetic"]
    if not len(metrics) or summary.empty:
        raise ValueError("no results to plot: every oversampler failed on every fold (or no metric was asked for)")
    oversamplers = list(dict.fromkeys(summary["oversampler"]))
    classifiers = list(dict.fromkeys(summary["classifier"]))
    ncols = min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained")
    width = 0.8 / len(classifiers)
    x = np.arange(len(oversamplers))
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        part = summary[summary["metric"] == metric]
        for j, clf in enumerate(classifiers):
            sub = part[part["classifier"] == clf].set_index("oversampler").reindex(oversamplers)
            ax.bar(x + (j - (len(classifiers) - 1) / 2) * width, sub["mean"], width, yerr=sub["std"],
                   capsize=2, label=clf)
        ax.set_title(metric + (" (lower is better)" if metric in LOWER_IS_BETTER else ""), fontsize=10)
        ax.set_xticks(x, oversamplers, rotation=30, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        if i == 0:
            ax.legend(fontsize=8)
    return _save(fig, path)


def plot_quality(quality: pd.DataFrame, path=None) -> Figure:
    """One panel per quality metric, one bar per oversampler (and class).

    Examples
    --------
    >>> import pandas as pd
    >>> q = pd.DataFrame({"oversampler": ["a"], "class": [1], "n_fake": [5], "mmd2": [0.1]})
    >>> len(plot_quality(q).axes)
    1
    """
    cols = [c for c in QUALITY_METRICS if c in quality.columns]
    labels = [f"{r.oversampler} [{r['class']}]" if quality["class"].nunique() > 1 else str(r.oversampler)
              for _, r in quality.iterrows()]
    ncols = min(4, len(cols))
    nrows = -(-len(cols) // ncols)
    fig = Figure(figsize=(3.4 * ncols, 2.8 * nrows), layout="constrained")
    x = np.arange(len(labels))
    for i, col in enumerate(cols):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        values = quality[col].astype(float).replace([np.inf, -np.inf], np.nan)
        ax.bar(x, values, color=[f"C{k}" for k in range(len(labels))])
        if col == "c2st_accuracy":
            ax.axhline(0.5, color="k", lw=0.8, ls="--")
        better = QUALITY_METRICS[col][1]
        ax.set_title(f"{col} ({better})", fontsize=9)
        ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def write_report(out_dir, downstream: pd.DataFrame, quality: pd.DataFrame | None = None,
                 title: str = "minority-gen evaluation", notes: Sequence[str] = ()) -> os.PathLike:
    """Write ``report.md`` with tables and PNG plots, plus the raw results as CSV, into ``out_dir``.

    Files: ``report.md``, ``downstream.png``, ``downstream_folds.csv`` (tidy, one row per fold and metric),
    ``downstream_summary.csv`` and, with ``quality``, ``quality.png`` and ``quality.csv``. ``notes`` are markdown
    lines placed under the title (command, machine, timing …). The folds :func:`compare_oversamplers` left out
    (``errors="warn"``: its result's ``attrs["failures"]``) are listed; without scores, no plot. Returns the path
    of ``report.md``.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> res = pd.DataFrame({"oversampler": ["a", "b"], "classifier": "lr", "fold": 0,
    ...                     "metric": "gmean", "value": [0.5, 0.7]})
    >>> write_report(tempfile.mkdtemp(), res).name
    'report.md'
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    downstream.to_csv(out / names.DOWNSTREAM_FOLDS_CSV, index=False)
    summarise(downstream).to_csv(out / names.DOWNSTREAM_SUMMARY_CSV, index=False)
    lines = [f"# {title}", "", *notes, "", "## Downstream classifiers", ""]
    if len(downstream):
        plot_comparison(downstream, path=out / names.DOWNSTREAM_PNG)
        lines += [f"Mean ± std over {downstream['fold'].nunique()} stratified folds; resampling inside the "
                  "training folds only (`make_pipeline(StandardScaler(), sampler, classifier)`). Best mean in bold. "
                  "`fit_time_s`: seconds the oversampler took per fold; `n_synthetic`: rows it added; "
                  "ROC AUC and average precision take the minority class as positive.", "",
                  markdown_table(downstream), "", f"![downstream metrics]({names.DOWNSTREAM_PNG})", ""]
    else:
        lines += ["No scores (no plot): every oversampler failed on every fold (listed below).", ""]
    failures = downstream.attrs.get("failures", ())
    if failures:
        lines += ["Folds left out (the oversampler failed on them):", "", *(f"* {m}" for m in failures), ""]
    if quality is not None and len(quality):
        quality.to_csv(out / names.QUALITY_CSV, index=False)
        plot_quality(quality, path=out / names.QUALITY_PNG)
        lines += ["## Generative quality", "",
                  "Synthetic rows generated on the full data, compared with the real rows of the class "
                  "they were generated for, on standardised features. Exact copies (e.g. random "
                  "oversampling) show as `near_copies` and a `dcr_ratio` of 0.", "",
                  quality_markdown(quality), "", f"![generative quality]({names.QUALITY_PNG})", ""]
    path = out / names.REPORT_MD
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def command_line(script: str, argv: Sequence[str] | None = None) -> str:
    """How a benchmark was started: ``python <script>`` and its arguments (``argv``, else ``sys.argv[1:]``),
    shell-quoted.

    >>> command_line("benchmarks/memory.py", ["--quick", "--out", "a b.md"])
    "python benchmarks/memory.py --quick --out 'a b.md'"
    """
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join(["python", script, *([shlex.join(args)] if args else [])])


def run_info() -> dict:
    """What a result was made with: the date (UTC), the package's version and :data:`~minority_gen._version.
    OUTPUT_VERSION`, the checkout's commit (``+dirty`` when ``minority_gen/`` differs from it), the machine
    (:func:`machine_description`) and the load average (1, 5, 15 min) now.

    >>> sorted(run_info())
    ['commit', 'date', 'load', 'machine', 'minority_gen', 'output_version']
    """
    from .._version import OUTPUT_VERSION, __version__
    from .store import git_commit, machine_description

    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "minority_gen": __version__,
            "output_version": OUTPUT_VERSION, "commit": git_commit(), "machine": machine_description(),
            "load": [round(v, 2) for v in os.getloadavg()]}


def run_stamp(command: str, load_start: Sequence[float] | None = None, info: dict | None = None) -> list[str]:
    """The markdown lines that head a benchmark's results: the command, then :func:`run_info` (``info``, else
    taken now): date, versions and commit, machine, load average (also at the start, with ``load_start``).

    >>> lines = run_stamp("python benchmarks/memory.py --quick", load_start=(1, 2, 3))
    >>> lines[0], lines[1].startswith("* Date: "), "output version" in lines[1], lines[3][33:61]
    ('* Command: `python benchmarks/memory.py --quick`', True, True, '1.0 / 2.0 / 3.0 at the start')
    """
    info = run_info() if info is None else info
    load = lambda values: " / ".join(f"{v:.1f}" for v in values)  # noqa: E731
    return [f"* Command: `{command}`",
            f"* Date: {info['date']}; minority_gen {info['minority_gen']}, output version "
            f"{info['output_version']}, commit {info['commit'] or 'unknown'}",
            f"* Machine: {info['machine']}",
            "* Load average (1 / 5 / 15 min): " + (f"{load(load_start)} at the start, " if load_start else "")
            + f"{load(info['load'])} at the end"]


def table_lines(header: Sequence[str], rows: Iterable[Sequence]) -> list[str]:
    r"""A markdown table as lines: the header, its rule and one line per row (cells written with ``str``).

    >>> print("\n".join(table_lines(["method", "s"], [["rumi", 1.5]])))
    | method | s |
    |---|---|
    | rumi | 1.5 |
    """
    return ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(map(str, row)) + " |" for row in rows)]


def write_results(path, lines: Sequence[str] | str, data=None, echo: bool = False) -> Path:
    r"""Write a results file: the markdown ``lines`` to ``path`` (its folder made) and, with ``data``, that as
    JSON beside it (``path`` with suffix ``.json``); with ``echo``, print the markdown too. Returns ``path``.

    >>> import json, tempfile
    >>> md = write_results(Path(tempfile.mkdtemp()) / "new" / "r.md", ["# r", "", "text"], {"a": 1}, echo=True)
    # r
    <BLANKLINE>
    text
    >>> md.read_text(), json.loads(md.with_suffix(".json").read_text())
    ('# r\n\ntext\n', {'a': 1})
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = lines if isinstance(lines, str) else "\n".join(lines)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    if data is not None:
        path.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if echo:
        print(text)
    return path


def fmt(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` decimals for a table cell; ``–`` for ``None``, NaN or infinity.

    >>> fmt(0.12345), fmt(2.5, 2), fmt(None), fmt(float("nan"))
    ('0.123', '2.50', '–', '–')
    """
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def rank_section(results: pd.DataFrame, clf: str, metric: str, specs: list[str], control: str, folder: Path
                  ) -> list[str]:
    """Markdown lines for one classifier of a multi-dataset comparison (:func:`compare_on_datasets` rows):
    per-dataset fold means (also written to ``folder/scores_<clf>.csv``), mean ranks, Friedman's test,
    Nemenyi's critical difference, Holm's test against ``control`` and the critical-difference diagram
    ``folder/cd_<clf>.png``."""
    rows = results[(results.classifier == clf) & (results.metric == metric)]
    lines = [f"## {clf}", ""]
    if rows.empty:
        return [*lines, f"No {metric} values (every cell failed; see Failures).", ""]
    means = score_table(rows, metric, by="oversampler", complete=False).reindex(columns=specs)
    means.to_csv(folder / names.scores_file(clf))
    lines += [f"{metric}, mean of the folds:", "", "| dataset | " + " | ".join(f"`{s}`" for s in specs) + " |",
              "|---|" + "---|" * len(specs)]
    lines += [f"| {name} | " + " | ".join(fmt(v) for v in row) + " |" for name, row in means.iterrows()]
    table = score_table(rows, metric, by="oversampler").reindex(columns=specs).dropna()  # same folds for all
    lines.append("")
    if len(table) < 2 or len(specs) < 2:
        return [*lines, f"Ranks and tests need at least 2 datasets with a score for every sampler (here "
                        f"{len(table)}) and 2 samplers.", ""]
    ranks, fr = mean_ranks(table), friedman_test(table)
    cd = nemenyi_cd(len(specs), len(table))
    holm = holm_test(table, control)
    lines += [f"Mean ranks over {len(table)} datasets (1 = best, ties averaged):", "",
              "| " + " | ".join(f"`{s}`" for s in specs) + " |", "|" + "---|" * len(specs),
              "| " + " | ".join(fmt(ranks[s], 2) for s in specs) + " |", "",
              f"Friedman: chi2 = {fr.chi2:.3f} (p = {fr.p_chi2:.3g}); Iman–Davenport F = {fmt(fr.f_f)} "
              f"(df {fr.df1}, {fr.df2}; p = {fr.p_f:.3g}); Nemenyi critical difference (alpha 0.05) = {cd:.2f}.",
              "", f"Holm against `{control}` (z > 0: ranks better than the control):", "",
              "| sampler | mean rank | z | p | Holm alpha | Holm p | different |", "|---|---|---|---|---|---|---|"]
    lines += [f"| `{m}` | {r.mean_rank:.2f} | {r.z:.2f} | {r.p:.3g} | {r.alpha_holm:.3g} | {r.p_holm:.3g} | "
              f"{'yes' if r.reject else 'no'} |" for m, r in holm.iterrows()]
    cd_diagram(ranks, cd, folder / names.cd_file(clf), title=f"{clf}: mean {metric} rank over {len(table)} datasets")
    return [*lines, "", f"![critical-difference diagram]({names.cd_file(clf)})", ""]
