"""benchmarks/protocol_t.py (protocol T) end to end in its --quick mode, its cache and its failure reporting."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from .benchmark_scripts import loaded

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "protocol_t.py"
QUICK_CELLS = {("breast_cancer_30", fold, s) for fold in (0, 1) for s in ("none", "ros", "smote", "rumi")}


@pytest.fixture(scope="module")
def protocol_t():
    yield from loaded("protocol_t")


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]


def test_quick_run_writes_cells_report_and_skips_cached_cells(protocol_t, tmp_path, capsys):
    out = tmp_path / "quick"
    assert protocol_t.main(["--quick", "--out", str(out)]) == 0
    recs = records(out)
    assert {(r["dataset"], r["fold"], r["sampler"]) for r in recs} == QUICK_CELLS and len(recs) == 8
    assert all(r["status"] == "ok" and set(r["metrics"]) == {"lr"} and r["n_folds"] == 2 for r in recs)
    assert all(set(r["metrics"]["lr"]) == {"gmean", "balanced_accuracy", "average_precision"} for r in recs)
    for r in recs:  # every sampler but none balances the training fold
        n_major = r["n_train"] - r["n_train_minority"]
        assert r["n_resampled_minority"] == (r["n_train_minority"] if r["sampler"] == "none" else n_major)
    rumi = next(r for r in recs if r["sampler"] == "rumi")
    assert rumi["params"] == {"method": "rumi", "random_state": 0, "device": "cpu", "n_iter": 20,
                              "hidden_dims": [16], "batch_size": 32}
    text = (out / "results.md").read_text()
    assert "| dataset | none | ros | smote | rumi |" in text and "| breast_cancer_30 | " in text
    for metric in ("G-mean", "balanced accuracy", "average precision"):
        assert f"**mean rank ({metric})**" in text
    assert "protocol_t.py --quick" in text and "CPUs" in text and "torch" in text
    assert (out / "ranks.png").stat().st_size > 0 and (out / "results.csv").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "8 to run" in printed and "[8/8]" in printed

    assert protocol_t.main(["--quick", "--out", str(out)]) == 0  # second run: everything cached
    printed = capsys.readouterr().out
    assert "8 cell(s) cached" in printed and "0 to run" in printed and "[1/" not in printed
    assert len(records(out)) == 8

    assert protocol_t.main(["--quick", "--report", "--out", str(out)]) == 0
    assert "**mean rank (G-mean)**" in (out / "results.md").read_text()


@pytest.mark.parametrize("bad", ["nan", "raise"])
def test_a_failing_metric_is_reported_not_hidden(protocol_t, tmp_path, monkeypatch, capsys, bad):
    def broken(y_true, y_pred, proba):
        if bad == "raise":
            raise ValueError("broken metric")
        return float("nan")

    monkeypatch.setitem(protocol_t.METRICS, "average_precision", broken)
    out = tmp_path / "fail"
    argv = ["--quick", "--samplers", "none,ros", "--out", str(out)]
    assert protocol_t.main(argv) == 1
    recs = records(out)
    assert len(recs) == 4 and all(r["status"] == "error" for r in recs)
    assert all(("broken metric" if bad == "raise" else "average_precision is not finite") in r["error"] for r in recs)
    text = (out / "results.md").read_text()
    assert "## Failures" in text and "| breast_cancer_30 | **error** (2 folds) | **error** (2 folds) |" in text
    assert "failed" in capsys.readouterr().err

    monkeypatch.undo()  # failed cells are not cached: the next run retries them
    assert protocol_t.main(argv) == 0
    assert [r["status"] for r in records(out)] == ["error"] * 4 + ["ok"] * 4
    assert "## Failures" not in (out / "results.md").read_text()


def test_sampler_specs_are_checked_and_labelled(protocol_t):
    assert protocol_t.split_specs('none, rumi:{"n_iter": 5, "hidden_dims": [8, 8]},smote') == [
        "none", 'rumi:{"n_iter": 5, "hidden_dims": [8, 8]}', "smote"]
    specs = protocol_t.parse_samplers('smote,rumi:{"n_iter": 5}', {"n_iter": 7, "batch_size": 16})
    assert [s.label for s in specs] == ["smote", 'rumi:{"n_iter": 5}']
    assert specs[0].params == {"k_neighbors": 3, "random_state": 0}  # --gan-params only reach GAN samplers
    assert specs[1].params == {"method": "rumi", "random_state": 0, "device": "cpu", "n_iter": 5, "batch_size": 16}
    with pytest.raises(SystemExit, match="unknown parameter"):
        protocol_t.parse_samplers('rumi:{"no_such_option": 1}', {})
    with pytest.raises(SystemExit, match="unknown sampler"):
        protocol_t.parse_samplers("gaussian-copula", {})


def test_missing_zenodo_data_is_explained(protocol_t, tmp_path, capsys):
    out = tmp_path / "nodata"
    argv = ["--data", str(tmp_path / "empty"), "--datasets", "ecoli,breast_cancer_30", "--samplers", "none",
            "--classifiers", "lr", "--folds", "2", "--out", str(out)]
    assert protocol_t.main(argv) == 0
    err = capsys.readouterr().err
    assert "missing dataset(s) ecoli" in err and "fetch_datasets" in err and "breast cancer sets only" in err
    assert {r["dataset"] for r in records(out)} == {"breast_cancer_30"}
    assert "not run: ecoli" in (out / "results.md").read_text()


def test_ctgan_is_skipped_cleanly_when_absent(protocol_t, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ctgan", None)  # makes `import ctgan` fail as if not installed
    out = tmp_path / "no_ctgan"
    assert protocol_t.main(["--quick", "--samplers", "none,ctgan", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "ctgan skipped" in err and "pip install ctgan" in err
    assert {r["sampler"] for r in records(out)} == {"none"}
    assert "ctgan skipped" in (out / "results.md").read_text()


def test_ctgan_sampler_balances_a_tiny_table(protocol_t):
    pytest.importorskip("ctgan")
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(2, 1, (8, 3))])
    y = np.array([0] * 40 + [1] * 8)
    sampler = protocol_t.CTGANSampler(random_state=0, epochs=2, batch_size=20, pac=5, verbose=False,
                                      **protocol_t.ctgan_cpu_param())
    X_res, y_res = sampler.fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [40, 40] and X_res.shape == (80, 3)
    assert np.isfinite(X_res).all() and np.array_equal(X_res[:48], X)
