"""``minority-gen evaluate --datasets``: several named tables on the evaluation engine, resumable."""

from __future__ import annotations

import pandas as pd
import pytest

from minority_gen.cli import main

RUMI = 'rumi:{"n_iter": 3, "hidden_dims": [8], "device": "cpu"}'


def _argv(out, store, *extra):
    return ["evaluate", "--datasets", "breast_cancer,breast_cancer_30", "--samplers", "none", "ros", RUMI,
            "--classifiers", "lr", "--cv", "2", "--store", str(store), "--out", str(out), "--quiet", *extra]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("datasets")
    out, store = tmp / "report", tmp / "runs.jsonl"
    assert main(_argv(out, store)) == 0
    return tmp, out, store


def test_writes_the_report_and_the_store(first_run):
    _, out, store = first_run
    report = (out / "report.md").read_text()
    for part in ("breast_cancer_30", "Mean ranks over 2 datasets", "Friedman: chi2", f"Holm against `{RUMI}`",
                 "cd_lr.png", "12 computed, 0 read from"):
        assert part in report, part
    assert (out / "cd_lr.png").stat().st_size > 0
    scores = pd.read_csv(out / "scores_lr.csv", index_col=0)
    assert list(scores.index) == ["breast_cancer", "breast_cancer_30"] and list(scores.columns) == ["none", "ros", RUMI]
    assert scores.notna().all().all() and ((scores >= 0) & (scores <= 1)).all().all()
    results = pd.read_csv(out / "results.csv")
    assert results.cell.nunique() == 2 * 3 * 2  # datasets × samplers × folds (one classifier)
    assert not (results.metric == "error").any()
    assert len(store.read_text().splitlines()) == 12


def test_a_second_run_computes_nothing(first_run, capsys):
    tmp, _, store = first_run
    stored = store.read_bytes()
    capsys.readouterr()
    out2 = tmp / "again"
    assert main(_argv(out2, store)) == 0
    assert store.read_bytes() == stored
    assert "cells: 12, 0 computed, 12 read from" in capsys.readouterr().out
    assert "0 computed, 12 read from" in (out2 / "report.md").read_text()
    first = pd.read_csv(tmp / "report" / "scores_lr.csv", index_col=0)
    pd.testing.assert_frame_equal(pd.read_csv(out2 / "scores_lr.csv", index_col=0), first)


def test_control_by_name(first_run):
    tmp, _, store = first_run
    out = tmp / "control"
    assert main(_argv(out, store, "--control", "rumi")) == 0  # all cells from the store
    assert f"Holm against `{RUMI}`" in (out / "report.md").read_text()
    out = tmp / "control-ros"
    assert main(_argv(out, store, "--control", "ros")) == 0
    assert "Holm against `ros`" in (out / "report.md").read_text()


def test_collections_expand():
    from minority_gen.commands.evaluate import _dataset_names
    from minority_gen.evaluation.datasets import COLLECTIONS

    assert _dataset_names("dev") == list(COLLECTIONS["dev"])
    assert _dataset_names("breast_cancer,protocol_t")[:2] == ["breast_cancer", "abalone"]
    assert len(_dataset_names("breast_cancer,protocol_t")) == len(COLLECTIONS["protocol_t"])


@pytest.mark.parametrize("args, message", [
    (["--datasets", "breast_cancr"], "--datasets: unknown dataset 'breast_cancr'. Did you mean 'breast_cancer'? "
                                     "Known: abalone,"),
    (["--datasets", "ecoli", "--data-home", "{tmp}/nowhere"], "--datasets ecoli: The imbalanced-learn benchmark set"),
    (["--datasets", "breast_cancer", "--samplers", "none", "smoot"], "--samplers: Unknown oversampler 'smoot'"),
    (["--datasets", "breast_cancer", "--samplers", 'rumi:{"n_iters": 3}'], "unknown GANOversampler parameter"),
    (["--datasets", "breast_cancer", "--control", "smote", "--samplers", "none", "ros"], "--control 'smote' is none"),
    (["--datasets", "breast_cancer", "--n-iter", "3"], "--n-iter belong to the CSV mode"),
    (["--store", "x.jsonl"], "--store need --datasets"),
    ([], "give a CSV with --target"),
])
def test_one_line_errors(tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(["evaluate", *args, "--out", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "r").exists()


def test_a_store_that_is_not_a_store_is_refused_before_anything_is_written(tmp_path, capsys):
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n1,2\n")
    assert main(["evaluate", "--datasets", "breast_cancer_30", "--samplers", "none", "--store", str(notes),
                 "--out", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--store " + str(notes) + " is not a JSON-lines store" in err and len(err.splitlines()) == 1, err
    assert notes.read_text() == "a,b\n1,2\n" and not (tmp_path / "r").exists()
    assert main(["evaluate", "--datasets", "breast_cancer_30", "--samplers", "none", "--store", str(tmp_path),
                 "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert f"--store {tmp_path} is a folder; give the store's file" in capsys.readouterr().err


def test_missing_data_says_how_to_get_it(tmp_path, capsys):
    assert main(["evaluate", "--datasets", "ecoli", "--data-home", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "fetch_datasets(data_home=" in err and "--data-home DIR" in err and str(tmp_path / "nowhere") in err
