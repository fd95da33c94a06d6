"""benchmarks/protocol_t.py (protocol T on the evaluation engine): --quick end to end, its store, failures,
the records of the script before the engine, and the classic samplers' cells equal to the committed ones."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

from minority_gen.evaluation import load_dataset

from .benchmark_scripts import loaded

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "benchmarks" / "results" / "protocol_t" / "runs.jsonl"
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
    assert {(r["dataset"], r["fold"], r["oversampler"]) for r in recs} == QUICK_CELLS and len(recs) == 8
    assert all(r["status"] == "ok" and r["classifier"] == "lr" and r["identity"]["fold"]["n_splits"] == 2
               for r in recs)
    assert all({"gmean", "balanced_accuracy", "average_precision"} <= set(r["metrics"]) for r in recs)
    X, y = load_dataset("breast_cancer_30")
    folds = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y))
    for r in recs:  # every sampler but none balances the training fold
        n_major, n_minor = np.bincount(y[folds[r["fold"]][0]])
        assert r["metrics"]["n_synthetic"] == (0 if r["oversampler"] == "none" else n_major - n_minor)
    rumi = next(r for r in recs if r["oversampler"] == "rumi")["identity"]["oversampler"]
    assert rumi["class"] == "minority_gen.oversampler.GANOversampler"
    assert {k: rumi["params"][k] for k in ("method", "random_state", "device", "n_iter", "hidden_dims",
                                            "batch_size")} == {"method": "rumi", "random_state": 0, "device": "cpu",
                                                               "n_iter": 20, "hidden_dims": [16], "batch_size": 32}
    text = (out / "results.md").read_text()
    assert "| dataset | none | ros | smote | rumi |" in text and "| breast_cancer_30 | " in text
    for metric in ("G-mean", "balanced accuracy", "average precision"):
        assert f"**mean rank ({metric})**" in text
    assert "protocol_t.py --quick" in text and "CPUs" in text and "torch" in text
    assert (out / "ranks.png").stat().st_size > 0 and (out / "results.csv").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "0 cell(s) cached" in printed and "8 to run" in printed

    assert protocol_t.main(["--quick", "--out", str(out)]) == 0  # second run: everything cached
    printed = capsys.readouterr().out
    assert "8 cell(s) cached" in printed and "0 to run" in printed
    assert len(records(out)) == 8

    assert protocol_t.main(["--quick", "--report", "--out", str(out)]) == 0
    assert "**mean rank (G-mean)**" in (out / "results.md").read_text()


@pytest.mark.parametrize("bad", ["nan", "raise"])
def test_a_failing_metric_is_reported_not_hidden(protocol_t, tmp_path, monkeypatch, capsys, bad):
    def broken(model, X, y):
        if bad == "raise":
            raise ValueError("broken metric")
        return float("nan")

    monkeypatch.setitem(protocol_t.METRICS, "average_precision", broken)
    out = tmp_path / "fail"
    argv = ["--quick", "--samplers", "none,ros", "--out", str(out)]
    assert protocol_t.main(argv) == 1
    recs = records(out)
    assert len(recs) == 4 and all(r["status"] == "error" for r in recs)
    assert all(("broken metric" if bad == "raise" else "['average_precision'] are not finite") in r["error"]
               for r in recs)
    text = (out / "results.md").read_text()
    assert "## Failures" in text and "| breast_cancer_30 | **error** (2 folds) | **error** (2 folds) |" in text
    assert "failed" in capsys.readouterr().err

    monkeypatch.undo()  # failed cells are not kept as finished: the next run retries them
    assert protocol_t.main(argv) == 0
    assert [r["status"] for r in records(out)] == ["error"] * 4 + ["ok"] * 4
    assert "## Failures" not in (out / "results.md").read_text()


def test_only_folds_runs_a_piece_and_the_rest_completes_it(protocol_t, tmp_path, capsys):
    out = tmp_path / "piece"
    argv = ["--quick", "--samplers", "none,smote", "--out", str(out)]
    assert protocol_t.main([*argv, "--only-folds", "1"]) == 0
    assert {(r["oversampler"], r["fold"]) for r in records(out)} == {("none", 1), ("smote", 1)}
    assert protocol_t.main(argv) == 0
    assert "2 cell(s) cached" in capsys.readouterr().out and len(records(out)) == 4


def test_sampler_specs_are_checked_and_labelled(protocol_t):
    assert protocol_t.split_specs('none, rumi:{"n_iter": 5, "hidden_dims": [8, 8]},smote') == [
        "none", 'rumi:{"n_iter": 5, "hidden_dims": [8, 8]}', "smote"]
    samplers = protocol_t.parse_samplers('smote,bsmote,rumi:{"n_iter": 5}', {"n_iter": 7, "batch_size": 16})
    assert list(samplers) == ["smote", "bsmote", 'rumi:{"n_iter": 5}']
    assert samplers["smote"].sampler.get_params()["k_neighbors"] == 3  # --gan-params only reach GAN samplers
    assert type(samplers["bsmote"].sampler).__name__ == "BorderlineSMOTE"
    rumi = samplers['rumi:{"n_iter": 5}'].get_params()
    assert (rumi["method"], rumi["random_state"], rumi["device"], rumi["n_iter"], rumi["batch_size"]) == (
        "rumi", 0, "cpu", 5, 16)
    with pytest.raises(SystemExit, match="unknown GANOversampler parameter"):
        protocol_t.parse_samplers('rumi:{"no_such_option": 1}', {})
    with pytest.raises(SystemExit, match="Unknown oversampler 'gaussian-copula'"):
        protocol_t.parse_samplers("gaussian-copula", {})
    with pytest.raises(SystemExit, match="given twice"):
        protocol_t.parse_samplers("smote,smote", {})


def test_missing_zenodo_data_is_explained(protocol_t, tmp_path, capsys):
    out = tmp_path / "nodata"
    argv = ["--data", str(tmp_path / "empty"), "--datasets", "ecoli,breast_cancer_30", "--samplers", "none",
            "--classifiers", "lr", "--folds", "2", "--out", str(out)]
    assert protocol_t.main(argv) == 0
    err = capsys.readouterr().err
    assert "missing dataset(s) ecoli" in err and "fetch_datasets" in err and "others only" in err
    assert {r["dataset"] for r in records(out)} == {"breast_cancer_30"}
    assert "not run: ecoli" in (out / "results.md").read_text()
    assert protocol_t.main([*argv[:3], "ecoli", *argv[4:]]) == 2  # nothing to run at all


def test_ctgan_is_skipped_cleanly_when_absent(protocol_t, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ctgan", None)  # makes `import ctgan` fail as if not installed
    out = tmp_path / "no_ctgan"
    assert protocol_t.main(["--quick", "--samplers", "none,ctgan", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "ctgan skipped" in err and "pip install ctgan" in err
    assert {r["oversampler"] for r in records(out)} == {"none"}
    assert "ctgan skipped" in (out / "results.md").read_text()


def test_ctgan_sampler_balances_a_tiny_table(protocol_t):
    pytest.importorskip("ctgan")
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(2, 1, (8, 3))])
    y = np.array([0] * 40 + [1] * 8)
    spec = 'ctgan:{"epochs": 2, "batch_size": 20, "pac": 5}'  # any CTGAN keyword, as in --samplers
    sampler = protocol_t.parse_samplers(spec, {})[spec]
    X_res, y_res = sampler.fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [40, 40] and X_res.shape == (80, 3)
    assert np.isfinite(X_res).all() and np.array_equal(X_res[:48], X)


def _libraries_differ() -> bool:
    """Whether scikit-learn or imbalanced-learn differ from the versions that computed the committed cells (their
    report: scikit-learn 1.9.1, imbalanced-learn 0.14.2); other versions fit other models (make test-lowest)."""
    from importlib.metadata import version

    return (version("scikit-learn"), version("imbalanced-learn")) != ("1.9.1", "0.14.2")


@pytest.mark.skipif(not COMMITTED.is_file(), reason="the committed protocol T results are absent")
@pytest.mark.skipif(_libraries_differ(), reason="the committed cells were computed with scikit-learn 1.9.1 and "
                    "imbalanced-learn 0.14.2; other versions give other models")
def test_classic_samplers_on_the_engine_give_the_committed_cells(protocol_t, tmp_path, capsys):
    """breast_cancer_30, 5 folds, the classic samplers and the three classifiers: the engine's cells equal the
    committed runs.jsonl (written by this script before it used the engine) to 1e-9; the old records are read
    by --report, and new cells go to the same file beside them."""
    classic = ["none", "ros", "smote", "adasyn", "bsmote"]
    out = tmp_path / "same"
    out.mkdir()
    legacy = [line for line in COMMITTED.read_text().splitlines()
              if (r := json.loads(line))["dataset"] == "breast_cancer_30" and r["sampler"] in classic]
    assert len(legacy) == 25
    (out / "runs.jsonl").write_text("\n".join(legacy) + "\n")
    assert protocol_t.main(["--report", "--out", str(out)]) == 0  # the old records alone
    old = pd.read_csv(out / "results.csv")
    assert len(old) == 15 and (old.folds_done == 5).all()

    argv = ["--datasets", "breast_cancer_30", "--samplers", ",".join(classic), "--out", str(out)]
    assert protocol_t.main(argv) == 0
    assert "0 cell(s) cached" in capsys.readouterr().out  # the old records are not the engine's cells
    new = {(r["oversampler"], r["fold"], r["classifier"]): r["metrics"] for r in records(out) if "key" in r}
    assert len(new) == 75
    for rec in map(json.loads, legacy):
        for clf, metrics in rec["metrics"].items():
            for metric, value in metrics.items():
                assert new[rec["sampler"], rec["fold"], clf][metric] == pytest.approx(value, abs=1e-9, rel=0)
    assert protocol_t.main(["--report", "--out", str(out)]) == 0  # both kinds of record: one cell each
    both = pd.read_csv(out / "results.csv")
    assert len(both) == 15
    pd.testing.assert_frame_equal(both.drop(columns=["fit_s_mean"]), old.drop(columns=["fit_s_mean"]),
                                  rtol=0, atol=1e-9)
