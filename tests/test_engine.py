"""The evaluation engine: a resumable store, recorded failures, keys that follow the code, serial = parallel."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.tree import DecisionTreeClassifier

from minority_gen._version import OUTPUT_VERSION
from minority_gen.evaluation import compare_on_datasets, compare_oversamplers, read_store
from minority_gen.evaluation import store as store_module

TREE = DecisionTreeClassifier(max_depth=3, random_state=0)
CLASSIFIERS = {"tree": TREE, "lr": "lr"}
SCORING = ["gmean", "balanced_accuracy", "average_precision"]


def _table(n_major=60, n_minor=15, seed=0):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(0, 1, (n_major, 3)), rng.normal(1.5, 1, (n_minor, 3))]
    return X, np.r_[[0] * n_major, [1] * n_minor]


class CountingSampler(BaseEstimator):
    """Duplicates the minority rows; counts its fits (class-wide, so clones share the count) and raises
    ``KeyboardInterrupt`` on fit number ``interrupt_at``, as a user pressing Ctrl-C would."""

    fits = 0
    interrupt_at: int | None = None

    def __init__(self, copies=1):
        self.copies = copies

    def fit_resample(self, X, y):
        CountingSampler.fits += 1
        if CountingSampler.fits == CountingSampler.interrupt_at:
            raise KeyboardInterrupt
        minority = np.flatnonzero(y == np.bincount(y).argmin())
        extra = np.tile(minority, self.copies)
        return np.r_[X, X[extra]], np.r_[y, y[extra]]


class FailingSampler(BaseEstimator):
    calls = 0

    def fit_resample(self, X, y):
        FailingSampler.calls += 1
        raise RuntimeError("boom")


class BrokenClassifier(BaseEstimator):
    def fit(self, X, y):
        raise ValueError("cannot fit")

    def predict_proba(self, X):  # pragma: no cover - never reached
        return np.zeros((len(X), 2))


@pytest.fixture(autouse=True)
def _reset_counters():
    CountingSampler.fits, CountingSampler.interrupt_at, FailingSampler.calls = 0, None, 0
    yield
    CountingSampler.interrupt_at = None


def _run(store, samplers=None, classifiers=CLASSIFIERS, **kw):
    samplers = samplers if samplers is not None else {"one": CountingSampler(1), "two": CountingSampler(2)}
    kw.setdefault("cv", 3)
    return compare_on_datasets({"toy": _table()}, samplers, classifiers, scoring=SCORING, store=store,
                               progress=False, **kw)


def test_an_interrupted_run_resumes_with_only_the_missing_cells(tmp_path):
    store = tmp_path / "runs.jsonl"
    CountingSampler.interrupt_at = 4  # 2 samplers × 3 folds = 6 fits; the 4th is interrupted
    with pytest.raises(KeyboardInterrupt):
        _run(store)
    assert len(read_store(store)) == 3 * 2  # three finished folds × two classifiers
    CountingSampler.fits, CountingSampler.interrupt_at = 0, None
    first = _run(store)
    assert CountingSampler.fits == 3  # only the folds not stored
    assert len(read_store(store)) == 12 and len(store.read_text().splitlines()) == 12
    CountingSampler.fits = 0
    again = _run(store)
    assert CountingSampler.fits == 0  # nothing computed
    pd.testing.assert_frame_equal(first, again)
    assert set(first.oversampler) == {"one", "two"} and first.fold.nunique() == 3
    assert list(first.columns) == ["dataset", "oversampler", "classifier", "fold", "metric", "value", "error", "cell"]


def test_a_file_that_is_not_a_store_is_refused_before_any_fit_and_left_as_it_was(tmp_path):
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="data.csv is not a JSON-lines store .*nothing was written"):
        _run(csv)
    with pytest.raises(ValueError, match="is a folder; give the store's file"):
        _run(tmp_path)
    assert CountingSampler.fits == 0 and csv.read_text() == "a,b\n1,2\n"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert len(_run(empty)) and len(read_store(empty)) == 12  # an empty file is a new store


def test_a_rerun_without_a_store_computes_again_and_gives_the_same_numbers(tmp_path):
    a = _run(None)
    b = _run(tmp_path / "s.jsonl")
    keep = a.metric != "fit_time_s"
    pd.testing.assert_frame_equal(a[keep].reset_index(drop=True), b[b.metric != "fit_time_s"].reset_index(drop=True))


def test_failures_are_recorded_with_their_message_and_not_recomputed(tmp_path):
    store = tmp_path / "runs.jsonl"
    with pytest.warns(RuntimeWarning, match="6 cell"):
        res = _run(store, {"bad": FailingSampler(), "ok": CountingSampler()})
    errors = res[res.metric == "error"]
    assert len(errors) == 6 and set(errors.oversampler) == {"bad"} and errors.value.isna().all()
    assert errors.error.str.contains("oversampler 'bad' failed on fold").all()
    assert errors.error.str.contains("RuntimeError: boom").all()
    stored = [r for r in read_store(store) if r["status"] == "error"]
    assert len(stored) == 6 and all("boom" in r["error"] for r in stored)
    assert (res[res.oversampler == "ok"].error == "").all()
    FailingSampler.calls = 0
    with pytest.warns(RuntimeWarning):
        again = _run(store, {"bad": FailingSampler(), "ok": CountingSampler()})
    assert FailingSampler.calls == 0
    pd.testing.assert_frame_equal(res, again)
    with pytest.warns(RuntimeWarning):
        _run(store, {"bad": FailingSampler(), "ok": CountingSampler()}, retry_failed=True)
    assert FailingSampler.calls == 3


def test_errors_raise_stores_the_failure_first(tmp_path):
    store = tmp_path / "runs.jsonl"
    with pytest.raises(ValueError, match="oversampler 'bad' failed on fold 0: RuntimeError: boom"):
        _run(store, {"bad": FailingSampler()}, errors="raise")
    assert {r["status"] for r in read_store(store)} == {"error"}


def test_a_failing_classifier_fails_only_its_own_cells(tmp_path):
    with pytest.warns(RuntimeWarning, match="3 cell"):
        res = _run(None, {"ros": "ros"}, {"broken": BrokenClassifier(), "tree": TREE})
    assert set(res[res.metric == "error"].classifier) == {"broken"}
    assert res[res.metric == "error"].error.str.contains("classifier 'broken' failed on fold").all()
    assert res[(res.classifier == "tree") & (res.metric == "gmean")].shape[0] == 3


def test_parallel_equals_serial(tmp_path):
    samplers = ["none", "ros", "smote"]
    serial = _run(tmp_path / "serial.jsonl", samplers, n_jobs=1)
    parallel = _run(tmp_path / "parallel.jsonl", samplers, n_jobs=2)
    keep = serial.metric != "fit_time_s"
    pd.testing.assert_frame_equal(serial[keep].reset_index(drop=True),
                                  parallel[parallel.metric != "fit_time_s"].reset_index(drop=True))


def test_the_engine_gives_compare_oversamplers_numbers():
    X, y = _table()
    ours = compare_on_datasets({"toy": (X, y)}, ["none", "smote"], CLASSIFIERS, cv=3, scoring=SCORING,
                               progress=False)
    theirs = compare_oversamplers(X, y, ["none", "smote"], {"tree": TREE, "lr": "logreg"}, cv=3, scoring=SCORING,
                                  progress=False)
    key = ["oversampler", "classifier", "fold", "metric"]
    merged = ours.merge(theirs, on=key, suffixes=("", "_ref"))
    merged = merged[merged.metric != "fit_time_s"]
    assert len(merged) == len(theirs[theirs.metric != "fit_time_s"])
    np.testing.assert_allclose(merged.value, merged.value_ref)


def test_every_cell_is_stamped(tmp_path):
    store = tmp_path / "runs.jsonl"
    _run(store, ["ros"])
    import minority_gen

    for rec in read_store(store):
        assert rec["minority_gen"] == minority_gen.__version__
        assert rec["machine"] and "commit" in rec and isinstance(rec["loadavg"], float)
        assert rec["identity"]["oversampler"]["code"]["imblearn"]  # a classic sampler: library versions
        assert rec["identity"]["dataset"]["name"] == "toy"


def test_changed_parameters_are_recomputed_and_labels_do_not_matter(tmp_path):
    store = tmp_path / "runs.jsonl"
    _run(store, {"a": CountingSampler(1)})
    CountingSampler.fits = 0
    _run(store, {"renamed": CountingSampler(1)})
    assert CountingSampler.fits == 0  # same computation under another label: read back
    _run(store, {"a": CountingSampler(3)})
    assert CountingSampler.fits == 3  # another parameter value: computed
    CountingSampler.fits = 0
    _run(store, {"a": CountingSampler(1)}, cv=4)
    assert CountingSampler.fits == 4  # other folds: computed


def test_an_added_classifier_computes_only_its_own_cells(tmp_path):
    store = tmp_path / "runs.jsonl"
    _run(store, {"a": CountingSampler()}, {"tree": TREE})
    CountingSampler.fits = 0
    res = _run(store, {"a": CountingSampler()}, {"tree": TREE, "lr": "lr"})
    assert CountingSampler.fits == 3  # the sampler is fitted again for the new classifier's folds ...
    lines = [json.loads(line) for line in store.read_text().splitlines()]
    assert [r["classifier"] for r in lines] == ["tree"] * 3 + ["lr"] * 3  # ... but the old cells are kept
    assert set(res.classifier) == {"tree", "lr"}


def test_a_changed_package_code_recomputes_gan_cells_only(tmp_path, tiny, monkeypatch):
    store = tmp_path / "runs.jsonl"
    gan = "lsgan:" + json.dumps({k: v for k, v in tiny.items() if k != "random_state"})
    samplers = {"gan": gan, "ros": "ros"}
    _run(store, samplers, {"tree": TREE})
    gan_cell = next(r for r in read_store(store) if r["oversampler"] == "gan")
    code = gan_cell["identity"]["oversampler"]["code"]
    assert code["minority_gen_code"] == OUTPUT_VERSION == store_module.code_fingerprint()
    assert gan_cell["identity"]["oversampler"]["params"]["n_iter"] == 3
    monkeypatch.setattr(store_module, "code_fingerprint", lambda: "0" * 16)
    _run(store, samplers, {"tree": TREE})
    lines = [json.loads(line) for line in store.read_text().splitlines()]
    assert [r["oversampler"] for r in lines].count("gan") == 6 and [r["oversampler"] for r in lines].count("ros") == 3


def test_a_parameter_added_at_a_default_that_keeps_the_rows_keeps_the_gan_cells(tmp_path, tiny):
    """A cell stored before a parameter existed (its identity lacks it, under the key of that day) is read back
    while the new parameter is at its default; an explicit value of it is a new computation."""
    store = tmp_path / "runs.jsonl"
    gan = "lsgan:" + json.dumps({k: v for k, v in tiny.items() if k != "random_state"})
    _run(store, {"gan": gan}, {"tree": TREE})
    older = []
    for line in store.read_text().splitlines():
        rec = json.loads(line)
        del rec["identity"]["oversampler"]["params"]["diffaugment"]  # as if stored before the parameter existed
        rec["key"] = "key of that day"
        older.append(json.dumps(rec))
    store.write_text("".join(f"{line}\n" for line in older))
    res = _run(store, {"gan": gan}, {"tree": TREE})
    assert len(store.read_text().splitlines()) == 3 and res.value.notna().all()  # read back, nothing computed
    _run(store, {"gan": gan[:-1] + ', "diffaugment": null}'}, {"tree": TREE})
    assert len(store.read_text().splitlines()) == 6  # not the default: computed


def test_only_the_package_estimators_defaults_leave_the_key():
    from minority_gen import GANOversampler

    gan, tree = store_module.canonical(GANOversampler(n_iter=5)), store_module.canonical(TREE)
    assert store_module._keyed(gan)["params"] == {"n_iter": 5}
    assert store_module._keyed(tree) == tree  # other libraries' estimators keep every parameter
    wrapped = {"class": "minority_gen.evaluation.samplers.X", "params": {"sampler": gan, "k": 1}}
    assert store_module._keyed(wrapped)["params"] == {"sampler": {"class": gan["class"], "params": {"n_iter": 5}},
                                                      "k": 1}  # nested at any depth; the wrapper keeps its own
    assert store_module._defaults("os.path.join") is None  # nothing outside the package is imported


def test_a_new_metric_recomputes_and_a_cut_line_is_skipped(tmp_path):
    store = tmp_path / "runs.jsonl"
    _run(store, {"a": CountingSampler()}, {"tree": TREE})
    with open(store, "a") as fh:
        fh.write('{"key": "cut sh')  # a kill in the middle of a write
    CountingSampler.fits = 0
    with pytest.warns(RuntimeWarning, match="not JSON"):
        res = compare_on_datasets({"toy": _table()}, {"a": CountingSampler()}, {"tree": TREE}, cv=3,
                                  scoring=[*SCORING, "roc_auc"], store=store, progress=False)
    assert CountingSampler.fits == 3 and "roc_auc" in set(res.metric)
    assert all(json.loads(line) for line in store.read_text().splitlines()[4:])


def test_datasets_by_loader_name_and_cost_sensitive_classifiers(tmp_path):
    res = compare_on_datasets(["breast_cancer_30"], ["none"], ["lr-balanced", "lr-tuned"], cv=2,
                              scoring=["gmean"], progress=False)
    assert set(res.classifier) == {"lr-balanced", "lr-tuned"} and set(res.dataset) == {"breast_cancer_30"}
    assert res[res.metric == "gmean"].value.between(0, 1).all()


def test_bad_arguments_are_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="errors must be"):
        _run(None, errors="warn")
    with pytest.raises(ValueError, match="Unknown oversampler 'smoot'"):
        _run(None, ["smoot"])
    with pytest.raises(TypeError, match="dataset 'x' must be"):
        compare_on_datasets({"x": 3}, ["none"], ["lr"], progress=False)
    X, y = _table()
    store = tmp_path / "runs.jsonl"
    with pytest.raises(ValueError, match=r"dataset 'one' has a single class \(0\)"):  # before the good one runs
        compare_on_datasets({"ok": (X, y), "one": (X, np.zeros_like(y))}, {"c": CountingSampler(1)}, ["lr"],
                            store=store, progress=False)
    assert CountingSampler.fits == 0 and not store.exists()


def test_prune_store_drops_only_the_package_cells_of_other_output_versions(tmp_path):
    from minority_gen.evaluation.store import prune_store, read_store

    def cell(key, code):
        return {"key": key, "status": "ok", "identity": {"oversampler": {"code": code}}}

    store = tmp_path / "runs.jsonl"
    records = [cell("a", {"minority_gen_code": OUTPUT_VERSION}), cell("b", {"minority_gen_code": "old"}),
               cell("c", {"imblearn": "0.13"}), {"note": "not a cell"}]
    store.write_text("".join(json.dumps(r) + "\n" for r in records) + "{cut short\n")
    assert prune_store(store) == (4, 1)
    assert sorted(r["key"] for r in read_store(store)) == ["a", "c"]
    assert '{"note": "not a cell"}' in store.read_text() and not list(tmp_path.glob("*.tmp"))
    assert prune_store(store, "old") == (3, 1)  # an explicit version keeps that one's cells only
    assert sorted(r["key"] for r in read_store(store)) == ["c"]


def test_prune_store_keeps_the_versions_asked_for(tmp_path):
    from minority_gen.evaluation.store import prune_store, read_store

    def cell(key, code):
        return {"key": key, "status": "ok", "identity": {"oversampler": {"code": {"minority_gen_code": code}}}}

    store = tmp_path / "runs.jsonl"
    records = [cell("a", OUTPUT_VERSION), cell("b", "cited"), cell("c", "superseded")]
    store.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert prune_store(store, keep=("cited",)) == (2, 1)
    assert sorted(r["key"] for r in read_store(store)) == ["a", "b"]


def test_cell_stamps_name_the_processor_model(tmp_path, monkeypatch):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: X\nmodel name\t: Example CPU 9000 @ 2.0GHz\nflags\t: a b\n")
    assert store_module.cpu_model(str(info)) == "Example CPU 9000 @ 2.0GHz"
    info.write_text("processor\t: 0\n")  # no model line (e.g. some ARM kernels): the platform's answer
    fallback = store_module.cpu_model(str(info))
    assert fallback and fallback == store_module.cpu_model(str(tmp_path / "absent"))
    monkeypatch.setattr(store_module, "cpu_model", lambda: "Example CPU 9000")
    assert ", Example CPU 9000, " in store_module.machine()
