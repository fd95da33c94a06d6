"""The mixed-table benchmarks (issue 9) in their quick modes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .benchmark_scripts import imported

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_mixed_scale_table_and_one_child_fit():
    scale = imported("mixed_scale")
    X, y = scale.make_table(3000)
    assert X.shape == (3000, 10) and 0.25 < y.mean() < 0.35
    assert X[["c", "d"]].isna().mean().between(0.05, 0.15).all()
    out = scale.child("rumi", 3000, 5, 50)
    assert out["g_steps"] == 5 and out["fit_s"] > 0 and out["peak_mb"] > out["table_mb"]


def test_stroke_quick_run_records_scores_and_fidelity(tmp_path):
    stroke = imported("stroke_mixed")
    if not stroke.DATA.is_file():
        pytest.skip(f"shared data not present: {stroke.DATA}")
    out = tmp_path / "stroke"
    assert stroke.main(["--quick", "--samplers", "none,ros,rumi", "--out", str(out)]) == 0
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert {(r["sampler"], r["fold"]) for r in runs} == {(s, k) for s in ("none", "ros", "rumi") for k in (0, 1)}
    rumi = [r for r in runs if r["sampler"] == "rumi"]
    assert all(0 <= r["lr_gmean"] <= 1 and r["n_synthetic"] > 0 and np.isfinite(r["corr_diff"]) for r in rumi)
    report = (out / "results.md").read_text()
    assert "| rumi | 2 |" in report and "real (train)" in report
    assert list(pd.read_csv(out / "results.csv")["sampler"]) == ["none", "ros", "rumi"]


def test_stroke_report_from_the_committed_runs_gives_the_committed_tables(tmp_path):
    stroke = imported("stroke_mixed")
    committed = BENCH / "results" / "stroke_mixed"
    if not stroke.DATA.is_file() or not (committed / "runs.jsonl").is_file():
        pytest.skip("shared data or committed stroke runs not present")
    runs = pd.DataFrame(stroke.read_runs(committed / "runs.jsonl"))  # the rows the report stands on
    text = stroke.report(runs, tmp_path, "python benchmarks/stroke_mixed.py --report")
    body = lambda t: t[t.index("## Downstream"):]  # noqa: E731
    assert body(text) == body((committed / "results.md").read_text())
    assert (tmp_path / "results.csv").read_text() == (committed / "results.csv").read_text()
    assert "* Command: `python benchmarks/stroke_mixed.py --report`" in text and "* Machine: " in text
