"""The evaluation engine as a demanding user meets it: stores cut short or tampered with, bad arguments."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from minority_gen.evaluation import compare_on_datasets, read_store
from minority_gen.evaluation.store import prune_store


def _table(n_major=60, n_minor=15, seed=0):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(0, 1, (n_major, 3)), rng.normal(1.5, 1, (n_minor, 3))]
    return X, np.r_[[0] * n_major, [1] * n_minor]


def _run(store=None, **kw):
    kw = {"cv": 3, "progress": False, **kw}
    return compare_on_datasets({"toy": _table()}, ["none", "ros"], ["lr"], scoring=["gmean"], store=store, **kw)


def test_a_store_whose_first_write_was_cut_short_is_resumed(tmp_path):
    store = tmp_path / "runs.jsonl"
    first = _run(store)
    store.write_bytes(store.read_bytes()[:60])  # killed in the middle of the very first write
    with pytest.warns(RuntimeWarning, match=r"runs.jsonl:1 is not JSON \(a write cut short\?\); skipped"):
        again = _run(store)
    assert again.drop(columns="value").equals(first.drop(columns="value"))
    assert len(read_store(store)) == 6


@pytest.mark.parametrize("line", [
    "[" * 100_000 + "]" * 100_000,  # nested deeper than Python parses
    '{"key": ' + "[" * 100_000 + "]" * 100_000 + "}",
    b'{"key": "\xff\xfe"}'.decode("latin-1"),  # not UTF-8
    '{"key": ["a list"], "status": "ok"}',  # a key that is no key
], ids=["deep", "deep-key", "not-utf8", "list-key"])
def test_a_line_that_is_not_a_record_is_skipped_with_a_warning(tmp_path, line):
    store = tmp_path / "runs.jsonl"
    first = _run(store)
    lines = store.read_bytes().splitlines()
    store.write_bytes(b"\n".join([lines[0], line.encode("latin-1"), *lines[1:]]) + b"\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = _run(store, compute=False)
    assert again.drop(columns="value").equals(first.drop(columns="value"))
    assert len(caught) <= 1 and all("runs.jsonl:2 is not JSON" in str(w.message) for w in caught)
    assert prune_store(store) == (len(lines) + 1, 0)  # kept as it is, not a cell of another version


@pytest.mark.parametrize("change", [
    lambda rec: rec.pop("status"),
    lambda rec: rec.update(metrics="not an object"),
    lambda rec: rec.update(metrics={"gmean": "0.9"}),
    lambda rec: rec.update(status="error", metrics=None),  # a failure without its message
], ids=["no-status", "metrics-text", "metric-text", "error-without-message"])
def test_a_cell_record_without_status_metrics_or_error_is_recomputed_with_a_warning(tmp_path, change):
    store = tmp_path / "runs.jsonl"
    first = _run(store)
    lines = store.read_text().splitlines()
    rec = json.loads(lines[0])
    change(rec)
    store.write_text("\n".join([json.dumps(rec), *lines[1:]]) + "\n")  # the first cell tampered with
    with pytest.warns(RuntimeWarning, match="1 record.* name an engine cell but lack its status, metrics"):
        again = _run(store)
    assert again.drop(columns="value").equals(first.drop(columns="value"))
    np.testing.assert_allclose(again.value[again.metric == "gmean"], first.value[first.metric == "gmean"])
    assert len(store.read_text().splitlines()) == len(lines) + 1  # the cell computed again, and stored


@pytest.mark.parametrize(("kw", "error", "match"), [
    ({"cv": 0}, ValueError, r"cv must be at least 2 folds .*; got 0\."),  # was a ZeroDivisionError
    ({"cv": 1}, ValueError, r"cv must be at least 2 folds .*; got 1\."),
    ({"cv": True}, TypeError, r"cv must be a number of folds .*; got True\."),  # was taken for cv=1
    ({"cv": 3.0}, TypeError, r"cv must be a number of folds .*; got 3\.0\."),  # was an AttributeError
    ({"folds": [5]}, ValueError, r"folds \[5\] are not fold indices of cv, whose 5 folds are numbered 0 to 4"),
    ({"scoring": []}, ValueError, "scoring is empty"),  # was a table of fit times only
], ids=["cv0", "cv1", "cv-bool", "cv-float", "fold-out-of-range", "no-metric"])
def test_bad_folds_and_metrics_are_refused_before_any_work(tmp_path, kw, error, match):
    store = tmp_path / "runs.jsonl"
    kw = {"scoring": ["gmean"], **kw}
    with pytest.raises(error, match=match):
        compare_on_datasets({"toy": _table()}, ["none"], ["lr"], store=store, progress=False, **kw)
    assert not store.exists()


def test_a_numpy_int_is_a_number_of_folds():
    assert _run(cv=np.int64(2)).fold.nunique() == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--random-state", "-1"], "error: --random-state must be a seed from 0 to 2**32 - 1; got -1."),  # was numpy's
    (["--cv", "40"], "error: --cv 40 needs at least 40 rows of every class (one in each fold); the class 1 of "
                     "dataset breast_cancer_30 has 30. Lower --cv to 30 or less"),  # was 'cv=40 ... Lower cv to 30'
])
def test_the_datasets_mode_names_its_options_in_its_errors(tmp_path, capsys, args, message):
    from minority_gen.cli import main

    out = tmp_path / "report"
    assert main(["evaluate", "--datasets", "breast_cancer_30", "--samplers", "none", "--classifiers", "lr",
                 "--out", str(out), "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert not out.exists()


def test_finished_cells_are_synced_to_disk_as_the_store_module_says(tmp_path, monkeypatch):
    import os

    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    _run(tmp_path / "runs.jsonl")
    assert len(synced) == 2 * 3  # one per (sampler, fold) task, after its records are written


def test_a_name_that_stood_for_another_metric_is_recomputed_not_read_back(tmp_path):
    from sklearn.metrics import get_scorer

    store, table = tmp_path / "runs.jsonl", {"toy": _table()}

    def run(scoring):
        res = compare_on_datasets(table, ["none"], ["lr"], cv=3, scoring=scoring, store=store, progress=False)
        return res[res.metric == "score"].value.to_numpy()

    def fresh(scoring):
        res = compare_on_datasets(table, ["none"], ["lr"], cv=3, scoring=scoring, progress=False)
        return res[res.metric == "score"].value.to_numpy()

    for scoring in [{"score": "balanced_accuracy"}, {"score": "roc_auc"}, {"score": get_scorer("f1")},
                    {"score": get_scorer("recall")}, {"score": "roc_auc"}]:
        np.testing.assert_array_equal(run(scoring), fresh(scoring))  # was balanced accuracy, read back each time
    assert len(store.read_text().splitlines()) == 5 * 3  # each request computed (a cell keeps its last metrics)
    lines = store.read_text().splitlines()
    old = [json.loads(line) for line in lines]
    for rec in old:
        rec.pop("scoring")  # cells stored before cells said what their metrics are
    store.write_text("".join(json.dumps(rec) + "\n" for rec in old))
    np.testing.assert_array_equal(run({"score": "roc_auc"}), fresh({"score": "roc_auc"}))
    assert len(store.read_text().splitlines()) == 6 * 3  # under another name than its own: computed again
    run(["gmean"])
    n = len(store.read_text().splitlines())
    run(["gmean"])  # under its own name an older cell's metric is what it says
    assert len(store.read_text().splitlines()) == n


def test_a_table_without_a_name_is_refused_with_the_fix():
    X, y = _table()
    for datasets in [(X, y), [(X, y)]]:  # was TypeError: unhashable type: 'numpy.ndarray'
        with pytest.raises(TypeError, match=r"datasets must be a dict name → \(X, y\) or loader names .*"
                                            r"Name each table: \{'mydata': \(X, y\)\}"):
            compare_on_datasets(datasets, ["none"], ["lr"], progress=False)


def test_the_progress_bar_says_which_dataset_sampler_and_fold_finished(capsys):
    _run(progress=True)
    err = capsys.readouterr().err
    assert "dataset × oversampler × fold" in err and "6/6" in err
    assert "toy, ros, fold 3/3 done" in err  # was a bare count, whatever ran for hours


def test_a_store_under_a_file_is_refused_as_bad_input(tmp_path, capsys):
    from minority_gen.cli import main

    (tmp_path / "notes.txt").write_text("a file\n")
    store = tmp_path / "notes.txt" / "runs.jsonl"
    with pytest.raises(ValueError, match="runs.jsonl cannot be a store: a part of its folder path is a file"):
        _run(store)  # was NotADirectoryError
    assert main(["evaluate", "--datasets", "breast_cancer_30", "--samplers", "none", "--store", str(store),
                 "--out", str(tmp_path / "r"), "--quiet"]) == 2  # a usage error (was 1, a failure while running)
    assert "a part of its folder path is a file" in capsys.readouterr().err


@pytest.mark.parametrize(("spec", "match"), [
    ('rumi:{"n_iter": -1}', r"The 'n_iter' parameter of GANOversampler must be an int in the range \[1, inf\)"),
    ('smote:{"k_neighbors": 0}', r"The 'k_neighbors' parameter of SMOTE must be an int in the range \[1, inf\)"),
    ('ros:{"sampling_strategy": "bogus"}', "The 'sampling_strategy' parameter of RandomOverSampler must be"),
])
def test_a_value_a_sampler_refuses_is_refused_with_its_spec_before_any_fit(tmp_path, spec, match):
    from minority_gen.evaluation import parse_sampler

    with pytest.raises(ValueError, match="sampler spec .*: " + match):
        parse_sampler(spec)
    store = tmp_path / "runs.jsonl"
    with pytest.raises(ValueError, match=match):  # was a failure stored for every fold of every dataset
        compare_on_datasets({"toy": _table()}, ["none", spec], ["lr"], scoring=["gmean"], store=store, progress=False)
    assert not store.exists()


def test_split_specs_ends_a_json_string_after_an_escaped_backslash():
    from minority_gen.evaluation import parse_sampler, split_specs

    text = r'rumi:{"device": "a\\", "n_iter": 2}, smote, ros:{"sampling_strategy": "a\"b,c"}'
    assert split_specs(text) == [r'rumi:{"device": "a\\", "n_iter": 2}', "smote",
                                 r'ros:{"sampling_strategy": "a\"b,c"}']  # was one spec up to the end
    assert parse_sampler(split_specs(text)[0]).device == "a\\"


class _Failing:
    """A sampler that always fails."""

    def fit_resample(self, X, y):
        raise RuntimeError("boom")

    def get_params(self, deep=True):
        return {}


def test_errors_raise_raises_again_for_a_failure_read_back_from_the_store(tmp_path):
    store = tmp_path / "runs.jsonl"
    table = {"toy": _table()}

    def run(**kw):
        return compare_on_datasets(table, {"bad": _Failing()}, ["lr"], cv=3, scoring=["gmean"], store=store,
                                   progress=False, **kw)

    for _ in range(3):  # each run computes one more fold, stores its failure and raises
        with pytest.raises(ValueError, match=r"oversampler 'bad' failed on fold \d: RuntimeError: boom"):
            run(errors="raise")
    with pytest.raises(ValueError, match=r"failed on fold \d: RuntimeError: boom \(stored in .*runs.jsonl; "
                                         "retry_failed=True computes it again\\)"):
        run(errors="raise")  # was a table of error rows and a warning: the same call, another outcome
    with pytest.warns(RuntimeWarning, match="3 cell"):
        assert (run().metric == "error").sum() == 3  # errors="record" shows them


def test_a_line_longer_than_any_record_is_skipped_unparsed(tmp_path, monkeypatch):
    from minority_gen.evaluation import store as store_module

    store = tmp_path / "runs.jsonl"
    first = _run(store)
    monkeypatch.setattr(store_module, "MAX_LINE_BYTES", 4096, raising=False)
    parsed = []
    real = json.loads
    monkeypatch.setattr(store_module.json, "loads", lambda text, **kw: (parsed.append(len(text)), real(text))[1])
    with open(store, "a") as fh:
        fh.write("[" + "0," * 10_000 + "0]\n")  # valid JSON, of a size that would fill the memory if larger
    with pytest.warns(RuntimeWarning, match=r"runs.jsonl:7 holds 20003 bytes, more than a record \(4096\); skipped"):
        again = _run(store, compute=False)
    assert again.drop(columns="value").equals(first.drop(columns="value")) and max(parsed) < 4096


@pytest.mark.parametrize(("args", "message"), [
    (["--samplers", ""], "error: --samplers is empty; give sampler specs, e.g. none ros smote rumi."),  # IndexError
    (["--samplers", ","], "error: --samplers is empty"),
    (["--samplers", "none", "--classifiers", ""], "error: --classifiers is empty; give comma-separated names"),
    (["--samplers", "none", "--classifiers", "lr,lr"], "error: --classifiers names one of them twice: 'lr,lr'."),
])
def test_empty_sampler_and_classifier_lists_are_refused(tmp_path, capsys, args, message):
    from minority_gen.cli import main

    out = tmp_path / "report"
    assert main(["evaluate", "--datasets", "breast_cancer_30", "--out", str(out), "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert not out.exists()  # --classifiers '' ran the default classifiers


def test_the_csv_mode_refuses_an_empty_classifier_list(tmp_path, capsys):
    from minority_gen.cli import main

    from .cli_helpers import write_table_csv

    csv = write_table_csv(tmp_path)
    assert main(["evaluate", str(csv), "--target", "label", "--methods", "none", "--classifiers", "",
                 "--out", str(tmp_path / "r"), "--quiet", "--no-quality"]) == 2
    assert "--classifiers is empty" in capsys.readouterr().err


@pytest.mark.parametrize("alpha", [0, 1, 1.5, -0.1, float("nan"), "0.05"])
def test_a_significance_level_outside_0_1_is_refused(alpha):
    from minority_gen.evaluation import holm_test, nemenyi_cd

    with pytest.raises(ValueError, match="alpha must be a significance level between 0 and 1"):
        nemenyi_cd(4, 10, alpha)  # was inf, 0.0 or NaN, drawn as such in a CD diagram
    with pytest.raises(ValueError, match="alpha must be a significance level between 0 and 1"):
        holm_test([[1, 2, 3], [2, 1, 3]], 0, alpha=alpha)  # was no rejection (or all), without a word
