"""Output-safety cases of the command line found by an audit: each was a defect before its fix.

``--overwrite`` deletes only what the command can have written; outputs that
cannot be written are refused before training; a SIGTERM cleans up as Ctrl-C
does; messages have a bounded size.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from minority_gen import GANOversampler
from minority_gen.cli import main
from minority_gen.commands import images
from minority_gen.commands._output import name_limit

from .cli_helpers import error_line
from .conftest import TINY
from .test_cli_reliability import Command, _tree, no_training  # noqa: F401  (no_training: a fixture)


def _png(path, size=16):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((size, size), dtype=np.uint8)).save(path)


@pytest.mark.parametrize("name", ["images", "evaluate"])
@pytest.mark.parametrize("stray", [".env", "malignant/.notes", "malignant/.cache/x.png", "other/x.png",
                                   "malignant/doc.pdf", "malignant/fake.png", "notes.md", "data.csv"])
@pytest.mark.usefixtures("no_training")
def test_overwrite_refuses_what_the_command_cannot_have_written(name, stray, tmp_path, capsys):
    command = Command(name, tmp_path)
    out = tmp_path / "out"
    command.make_existing(out)
    if name == "evaluate" and stray.startswith("malignant/"):
        stray = stray.replace("malignant/", "downstream/")
    target = out / stray
    target.parent.mkdir(parents=True, exist_ok=True)
    if stray.endswith("x.png"):
        _png(target)
    else:
        target.write_text("mine")
    before = _tree(tmp_path)
    assert main(command.argv(out, "--overwrite")) == 2
    line = error_line(capsys, name)
    assert "which this command does not write" in line
    assert str(out / stray.split("/")[0]) in line
    assert _tree(tmp_path) == before


def test_overwrite_replaces_the_commands_own_outputs(tmp_path):
    command = Command("images", tmp_path)
    out = tmp_path / "out"
    command.make_existing(out)
    _png(out / "benign" / "sub" / "copied.png")
    assert main(command.argv(out, "--overwrite")) == 0
    assert not (out / "malignant" / "stale.png").exists()
    command = Command("evaluate", tmp_path)
    report = tmp_path / "report"
    report.mkdir()
    for name in ("report.md", "downstream.png", "results.csv", "scores_lr.csv", "cd_rf.png"):
        (report / name).write_text("old")
    assert main(command.argv(report, "--overwrite")) == 0
    assert (report / "report.md").read_text() != "old" and not (report / "results.csv").exists()


@pytest.mark.usefixtures("no_training")
def test_copy_originals_refuses_an_original_named_like_a_generated_image(tmp_path, capsys):
    command = Command("images", tmp_path)
    _png(command.input / "malignant" / "Synthetic_00001.png")
    out = tmp_path / "out"
    assert main(command.argv(out, "--copy-originals")) == 2
    line = error_line(capsys, "images")
    assert "--copy-originals: malignant/Synthetic_00001.png" in line and "rename those originals" in line
    assert not out.exists()


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_sigterm_removes_the_temporary_output_and_created_parents(tmp_path):
    command = Command("images", tmp_path)
    parent = tmp_path / "new" / "deep"
    argv = command.argv(parent / "out")
    argv[argv.index("--n-iter") + 1] = "1000000"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "minority_gen", *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (parent.is_dir() and any(p.name.startswith(".minority-gen-tmp-") for p in parent.iterdir())):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        time.sleep(1.0)  # training under way
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == ("minority-gen images: error: terminated (SIGTERM); no output was written "
                                            "or changed.")
    assert not (tmp_path / "new").exists()


@pytest.mark.usefixtures("no_training")
@pytest.mark.parametrize("name", ["resample", "images", "evaluate"])
@pytest.mark.parametrize("out", [".", ".."])
def test_an_output_named_dot_is_refused(name, out, tmp_path, capsys, monkeypatch):
    command = Command(name, tmp_path)
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    before = _tree(tmp_path)
    assert main(command.argv(Path(out))) == 2
    assert f"--out {out} names no file or folder of its own; give a new name" in error_line(capsys, name)
    assert _tree(tmp_path) == before


@pytest.mark.usefixtures("no_training")
@pytest.mark.parametrize("name", ["resample", "images", "evaluate"])
def test_a_name_too_long_for_the_temporary_name_is_refused(name, tmp_path, capsys):
    command = Command(name, tmp_path)
    limit = name_limit(tmp_path / "out")  # 255 on most file systems
    out = tmp_path / ("x" * (limit - 15))
    before = _tree(tmp_path)
    assert main(command.argv(out)) == 2
    line = error_line(capsys, name)
    assert f"the name is {limit - 15} bytes" in line
    assert f"at most {limit} bytes per name, so choose a name of at most {limit - 27}" in line
    assert main(command.argv(tmp_path / ("y" * (limit + 1)) / "out")) == 2
    assert f"is {limit + 1} bytes, more than this file system's limit of {limit} bytes" in error_line(capsys, name)
    assert _tree(tmp_path) == before


def test_sample_refuses_a_class_whose_folder_name_is_too_long(tmp_path, capsys):
    label = "c" * 300
    X = np.random.default_rng(0).integers(0, 256, (17, 16, 16)).astype(np.uint8)
    y = np.array(["normal"] * 14 + [label] * 3, dtype=object)
    GANOversampler(**{**TINY, "hidden_dims": (4,)}).fit(X, y).save(tmp_path / "m.mgz")
    out = tmp_path / "out"
    assert main(["sample", str(tmp_path / "m.mgz"), "--n", "2", "--class", label, "--out", str(out)]) == 2
    line = error_line(capsys, "sample")
    assert "(300 characters) would be written to a folder whose name is 300 bytes" in line and len(line) < 400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.mgz"]


@pytest.mark.usefixtures("no_training")
def test_evaluate_refuses_a_report_folder_named_like_a_file(tmp_path, capsys):
    command = Command("evaluate", tmp_path)
    before = _tree(tmp_path)
    assert main(command.argv(tmp_path / "report.md")) == 2
    line = error_line(capsys, "evaluate")
    assert "this command writes a report folder (report.md with PNG and CSV files), not a .md file" in line
    assert f"--out {tmp_path / 'report'}" in line
    assert _tree(tmp_path) == before


def _png_header(path, width, height):
    """A PNG file that declares ``width x height`` pixels (signature, IHDR and IEND only)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def test_decompression_bombs_are_skipped_with_a_warning_naming_them(tmp_path, capsys, recwarn):
    command = Command("images", tmp_path)
    _png_header(command.input / "malignant" / "bomb.png", 60000, 60000)  # over twice Pillow's limit: an error
    _png_header(command.input / "malignant" / "big.png", 10000, 10000)  # over the limit: a warning
    X, y, files = images.read_image_folder(command.input)
    assert len(X) == 9 and {f.name for f in files}.isdisjoint({"bomb.png", "big.png"})
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: skipped 2 file(s) that could not be read as images: ")
    assert "malignant/big.png (Image size (100000000 pixels) exceeds limit" in err[0]
    assert "malignant/bomb.png (Image size (3600000000 pixels) exceeds limit" in err[0]
    assert not [w for w in recwarn if "decompression" in str(w.message).lower()]


def test_resize_converts_each_image_as_it_is_read(tmp_path, monkeypatch):
    command = Command("images", tmp_path)
    for i in range(3):
        _png(command.input / "malignant" / f"large{i}.png", size=200)
    expected = images.read_image_folder(command.input, resize=(16, 16))[0]
    kept = []  # the sizes of the images held until every file is read
    original = images._to_array
    monkeypatch.setattr(images, "_to_array", lambda img, *a: kept.append(img.size) or original(img, *a))
    X = images.read_image_folder(command.input, resize=(16, 16))[0]
    assert (200, 200) not in kept and X.shape == (12, 16, 16) and (X == expected).all()


@pytest.mark.usefixtures("no_training")
def test_resize_refuses_a_size_beyond_the_largest(tmp_path, capsys):
    command = Command("images", tmp_path)
    assert main(command.argv(tmp_path / "out", "--resize", "16384")) == 2
    assert "--resize 16384: at most 1024 pixels a side" in error_line(capsys, "images")
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("no_training")
def test_a_missing_target_lists_a_bounded_number_of_columns(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" for _ in range(5000)) + "\n")
    assert main(["resample", str(path), "--target", "label", "--out", str(tmp_path / "o.csv")]) == 2
    line = error_line(capsys, "resample")
    assert "its 5000 columns: 'c0', 'c1'" in line and "'c19' ... and 4980 more" in line and len(line) < 500


@pytest.mark.usefixtures("no_training")
def test_per_class_listings_are_bounded(tmp_path, capsys):
    root = tmp_path / "in"
    for i in range(60):
        _png(root / f"class{i:02d}" / "only.png")
    assert main(["images", str(root), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    line = error_line(capsys, "images")
    assert "60 class folder(s) with too few images: 'class00': 1" in line and "... and 40 more" in line
    assert len(line) < 600


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")
def test_sample_says_a_fifo_is_not_a_regular_file(tmp_path, capsys):
    os.mkfifo(tmp_path / "model.mgz")
    assert main(["sample", str(tmp_path / "model.mgz"), "--n", "2", "--out", str(tmp_path / "o.csv")]) == 2
    line = error_line(capsys, "sample")
    assert f"{tmp_path / 'model.mgz'} is a FIFO (named pipe), not a regular file" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.mgz"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_replaced_output_keeps_its_permissions(tmp_path):
    table = Command("resample", tmp_path)
    out = tmp_path / "private.csv"
    table.make_existing(out)
    out.chmod(0o600)
    assert main(table.argv(out, "--overwrite")) == 0
    assert (out.stat().st_mode & 0o777) == 0o600 and "rare" in out.read_text()
    command = Command("images", tmp_path)
    folder = tmp_path / "private"
    command.make_existing(folder)
    folder.chmod(0o700)
    assert main(command.argv(folder, "--overwrite")) == 0
    assert (folder.stat().st_mode & 0o777) == 0o700 and not (folder / "malignant" / "stale.png").exists()
    new = tmp_path / "new.csv"
    assert main(table.argv(new)) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert (new.stat().st_mode & 0o777) == 0o666 & ~umask
