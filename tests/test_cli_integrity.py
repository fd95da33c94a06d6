"""What the command line writes stays where the user asked, and replaces only what it may.

* Class folders of PNG outputs are named from the class labels safely: a
  label such as ``"../evil"`` or an absolute path (legitimate labels of a
  model, or a model file from elsewhere) never makes a command write outside
  ``--out``.
* ``--overwrite`` replaces regular files (and folders the command wrote),
  never a symbolic link, a FIFO or a device.
* ``minority-gen sample`` never overwrites a feature column with the labels.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from minority_gen import GANOversampler
from minority_gen.cli import main
from minority_gen.commands._output import class_folder_names

from .cli_helpers import error_line, write_table_csv
from .conftest import TINY

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")


def _all_paths(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}




# ---------------------------------------------------------------------------
# Class folders from labels
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def risky_model(tmp_path_factory):
    """An image model whose classes are labels that read like paths; where the model file lies."""
    root = tmp_path_factory.mktemp("risky")
    labels = ["../evil", "../../X", str(root / "absolute"), "..", "."]
    X = np.random.default_rng(0).integers(0, 256, (14 + 3 * len(labels), 16, 16)).astype(np.uint8)
    y = np.array(["normal"] * 14 + [label for label in labels for _ in range(3)], dtype=object)
    GANOversampler(**{**TINY, "hidden_dims": (4,)}).fit(X, y).save(root / "m.mgz")
    return root / "m.mgz", labels


@pytest.mark.parametrize("which", range(5))
def test_sample_never_writes_outside_out(risky_model, tmp_path, which, capsys):
    model, labels = risky_model
    label = labels[which]
    work = tmp_path / "work"
    out = work / "deep" / "out"
    out.parent.mkdir(parents=True)
    watched = [tmp_path, model.parent]
    before = {root: _all_paths(root) for root in watched}
    assert main(["sample", str(model), "--n", "2", "--class", label, "--out", str(out)]) == 0
    for root in watched:
        new = _all_paths(root) - before[root]
        outside = sorted(p for p in new if p != out and out not in p.parents)
        assert outside == [], f"written outside --out: {outside}"
    folders = list(out.iterdir())
    assert len(folders) == 1 and folders[0].is_dir()
    assert folders[0].name not in (".", "..") and not folders[0].name.startswith(".")
    assert sorted(f.name for f in folders[0].iterdir()) == ["synthetic_00000.png", "synthetic_00001.png"]
    assert folders[0].name == class_folder_names([label])[label]
    assert folders[0].name in capsys.readouterr().out


@pytest.mark.parametrize("label, folder", [
    ("benign", "benign"),
    ("Pleural Effusion", "Pleural Effusion"),
    ("école", "école"),
    ("v1.2", "v1.2"),
    ("../evil", "___evil"),
    ("..", "__"),
    (".", "_"),
    ("", "_"),
    (".hidden", "_hidden"),
    ("/etc/passwd", "_etc_passwd"),
    ("C:\\Windows", "C__Windows"),
    ("a\nb", "a_b"),
    (3, "3"),
    (np.int64(7), "7"),
])
def test_class_folder_names_are_single_safe_names(label, folder):
    assert class_folder_names([label]) == {label: folder}


def test_two_labels_with_one_folder_name_are_refused():
    from minority_gen.commands._common import CommandError

    with pytest.raises(CommandError, match=r"'a/b' and 'a_b' would both be written to the folder 'a_b'"):
        class_folder_names(["a/b", "a_b"])


def test_sample_writes_one_class_of_a_model_whose_labels_share_a_folder_name(tmp_path):
    # sample writes the requested class only, so the folder name of another class cannot clash with it
    X = np.random.default_rng(0).integers(0, 256, (20, 16, 16)).astype(np.uint8)
    y = np.array(["normal"] * 14 + ["a/b"] * 3 + ["a_b"] * 3, dtype=object)
    GANOversampler(**{**TINY, "hidden_dims": (4,)}).fit(X, y).save(tmp_path / "m.mgz")
    out = tmp_path / "out"
    assert main(["sample", str(tmp_path / "m.mgz"), "--n", "2", "--class", "a/b", "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "a_b").iterdir()) == ["synthetic_00000.png", "synthetic_00001.png"]


# ---------------------------------------------------------------------------
# --overwrite replaces regular files only
# ---------------------------------------------------------------------------
@pytest.fixture
def table(tmp_path):
    return write_table_csv(tmp_path)


RESAMPLE = ["--target", "label", "--n-iter", "2", "--batch-size", "8", "--quiet", "--device", "cpu"]


def _special(kind: str, path: Path, tmp_path: Path) -> Path | None:
    """Make ``path`` a special file of ``kind``; return the file a link points to."""
    if kind == "fifo":
        os.mkfifo(path)
        return None
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    path.symlink_to(target)
    return target


@posix_only
@pytest.mark.parametrize("overwrite", [True, False])
@pytest.mark.parametrize("kind, option", [("fifo", "--out"), ("symlink", "--out"), ("fifo", "--save-model"),
                                          ("symlink", "--save-model")])
def test_overwrite_never_replaces_a_link_or_a_fifo(table, tmp_path, capsys, kind, option, overwrite):
    special = tmp_path / ("o.csv" if option == "--out" else "m.mgz")
    target = _special(kind, special, tmp_path)
    argv = ["resample", str(table), *RESAMPLE, "--out", str(tmp_path / "o.csv"), "--save-model",
            str(tmp_path / "m.mgz"), *(["--overwrite"] if overwrite else [])]
    assert main(argv) == 2
    line = error_line(capsys, "resample")
    what = "a FIFO" if kind == "fifo" else "a symbolic link"
    assert f"{option} {special} is {what}" in line
    if kind == "fifo":
        assert special.is_fifo()
    else:
        assert special.is_symlink() and target.read_text() == "keep me"
    assert not list(tmp_path.glob(".minority-gen-*"))


@posix_only
def test_overwrite_never_replaces_a_linked_folder(tmp_path, capsys):
    rng = np.random.default_rng(0)
    src = tmp_path / "in"
    for cls, n in (("benign", 6), ("malignant", 3)):
        (src / cls).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(src / cls / f"{i}.png")
    real = tmp_path / "real_out"
    (real / "malignant").mkdir(parents=True)
    Image.fromarray(np.zeros((16, 16), dtype=np.uint8)).save(real / "malignant" / "old.png")
    link = tmp_path / "out"
    link.symlink_to(real, target_is_directory=True)
    assert main(["images", str(src), "--out", str(link), "--n-iter", "2", "--batch-size", "8", "--width", "4",
                 "--quiet", "--device", "cpu", "--overwrite"]) == 2
    assert f"--out {link} is a symbolic link" in error_line(capsys, "images")
    assert link.is_symlink() and (real / "malignant" / "old.png").is_file()
    assert not list(tmp_path.glob(".minority-gen-*"))


@posix_only
def test_a_fifo_where_an_output_folder_goes_is_named(tmp_path, capsys, table):
    os.mkfifo(tmp_path / "report")
    assert main(["evaluate", str(table), "--target", "label", "--methods", "none,ros", "--classifiers", "logreg",
                 "--cv", "2", "--quiet", "--no-quality", "--out", str(tmp_path / "report"), "--overwrite"]) == 2
    assert f"--out {tmp_path / 'report'} is a FIFO" in error_line(capsys, "evaluate")
    assert (tmp_path / "report").is_fifo()


# ---------------------------------------------------------------------------
# The label column of `sample` never replaces a feature
# ---------------------------------------------------------------------------
@pytest.fixture
def class_feature_model(tmp_path):
    """A table model saved from Python whose features include a column named ``class``."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["class", "b"])
    y = np.r_[np.zeros(48, int), np.ones(12, int)]
    sampler = GANOversampler(**TINY).fit(X, y)
    sampler.save(tmp_path / "m.mgz")
    return tmp_path / "m.mgz", sampler


def test_sample_refuses_to_overwrite_a_feature_column_with_the_labels(class_feature_model, tmp_path, capsys):
    model, _ = class_feature_model
    out = tmp_path / "rows.csv"
    assert main(["sample", str(model), "--n", "5", "--out", str(out)]) == 2
    line = error_line(capsys, "sample")
    assert "'class'" in line and "feature column" in line and "--label-column" in line
    assert not out.exists()


def test_sample_label_column_option(class_feature_model, tmp_path, capsys):
    model, sampler = class_feature_model
    out = tmp_path / "rows.csv"
    assert main(["sample", str(model), "--n", "5", "--out", str(out), "--label-column", "y"]) == 0
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["class", "b", "y"] and (rows["y"] == 1).all()
    np.testing.assert_allclose(rows[["class", "b"]].to_numpy(), sampler.sample(5, random_state=0), rtol=1e-6)
    assert main(["sample", str(model), "--n", "5", "--out", str(tmp_path / "r2.csv"), "--label-column", "b"]) == 2
    assert "'b'" in error_line(capsys, "sample")
