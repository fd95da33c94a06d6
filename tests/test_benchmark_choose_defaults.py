"""benchmarks/choose_defaults.py in its --quick mode: inner cross-validation on a training fold, cache, choice."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "choose_defaults.py"


def _load():
    spec = importlib.util.spec_from_file_location("choose_defaults", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["choose_defaults"] = module
    spec.loader.exec_module(module)
    return module


def test_quick_run_chooses_from_inner_folds_and_resumes(tmp_path, capsys):
    cd = _load()
    assert cd.main(["--quick", "--out", str(tmp_path)]) == 0
    cells = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert len(cells) == 6 and all(c["status"] == "ok" for c in cells)
    assert {(c["inner_fold"], c["sampler"]) for c in cells} == {
        (i, s) for i in (0, 1) for s in ('rumi:{"n_iter":40}', 'rumi:{"n_iter":40,"anchor":"smote"}', "smote")}
    report = (tmp_path / "results.md").read_text()
    assert "**Chosen: `rumi:{\"n_iter\":40" in report and "| breast_cancer_30 |" in report
    # the inner validation rows come from the training fold only: 2 folds of its 4/5 of the table
    assert "StratifiedKFold(2, shuffle=True, random_state=1)" in report
    capsys.readouterr()
    assert cd.main(["--quick", "--out", str(tmp_path)]) == 0  # everything cached: nothing refitted
    assert "0 cell(s) to run" in capsys.readouterr().err
    assert len((tmp_path / "runs.jsonl").read_text().splitlines()) == 6


def test_mean_ranks_rank_higher_gmean_first():
    cd = _load()
    rows = {"a": {"x": 0.9, "y": 0.8}, "b": {"x": 0.5, "y": 0.7}, "c": {"x": None, "y": 0.1}}
    assert cd.mean_ranks(rows, ["x", "y"]) == {"x": 1.5, "y": 1.5}
    assert cd.mean_ranks({"a": {"x": 0.9, "y": 0.8}}, ["x", "y"]) == {"x": 1.0, "y": 2.0}
