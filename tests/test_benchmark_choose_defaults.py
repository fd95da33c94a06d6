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
    assert len(cells) == 12 and all(c["status"] == "ok" for c in cells)  # the engine's cells, one per classifier
    assert {(c["fold"], c["oversampler"], c["classifier"]) for c in cells} == {
        (i, s, clf) for i in (0, 1) for clf in ("lr", "rf")
        for s in ('rumi:{"n_iter":40}', 'rumi:{"n_iter":40,"anchor":"smote"}', "smote")}
    # the inner folds split the outer training fold only: 4/5 of breast_cancer_30's 387 rows, 2 inner folds
    assert all(c["identity"]["fold"]["n_splits"] == 2 for c in cells)
    assert {c["identity"]["dataset"]["data"] for c in cells} == {_digest_of_outer_training_fold(cd)}
    report = (tmp_path / "results.md").read_text()
    assert "**Chosen: `rumi:{\"n_iter\":40" in report and "| breast_cancer_30 |" in report
    # the inner validation rows come from the training fold only: 2 folds of its 4/5 of the table
    assert "StratifiedKFold(2, shuffle=True, random_state=1)" in report
    capsys.readouterr()
    assert cd.main(["--quick", "--out", str(tmp_path)]) == 0  # everything cached: nothing refitted
    assert "0 cell(s) to run" in capsys.readouterr().err
    assert len((tmp_path / "runs.jsonl").read_text().splitlines()) == 12
    assert cd.main(["--quick", "--report", "--out", str(tmp_path)]) == 0
    assert "**Chosen: `rumi:{\"n_iter\":40" in (tmp_path / "results.md").read_text()


def _digest_of_outer_training_fold(cd):
    from sklearn.model_selection import StratifiedKFold

    from minority_gen.evaluation.store import _digest

    X, y = cd.pt.load_dataset("breast_cancer_30")
    train = next(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))[0]
    return _digest(X[train], y[train])


def test_report_reads_the_records_written_before_the_engine(tmp_path, capsys):
    cd = _load()
    old = [{"dataset": "breast_cancer_30", "outer_fold": 0, "inner_fold": i, "inner_folds": 2, "sampler": s,
            "status": "ok", "metrics": {c: {"gmean": g + 0.01 * i} for c in ("lr", "rf")}}
           for i in (0, 1) for s, g in (('rumi:{"n_iter":40}', 0.8), ('rumi:{"n_iter":40,"anchor":"smote"}', 0.9),
                                        ("smote", 0.85))]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old))
    assert cd.main(["--quick", "--report", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "results.md").read_text()
    assert "| breast_cancer_30 | 0.805 | 0.905 | 0.855 |" in report
    assert '**Chosen: `rumi:{"n_iter":40,"anchor":"smote"}`.**' in report


def test_mean_ranks_rank_higher_gmean_first():
    import numpy as np
    import pandas as pd

    cd = _load()
    table = pd.DataFrame({"x": [0.9, 0.5, np.nan], "y": [0.8, 0.7, 0.1]}, index=["a", "b", "c"])
    assert cd.mean_ranks(table).to_dict() == {"x": 1.5, "y": 1.5}  # only the rows complete for every column
    assert cd.mean_ranks(table.iloc[:1]).to_dict() == {"x": 1.0, "y": 2.0}
    assert cd.mean_ranks(table.iloc[2:]).isna().all()  # no complete row: no ranks
