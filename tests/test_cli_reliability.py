"""The command line's one output policy, its checks before training and its error lines.

Every sub-command that writes (resample, images, evaluate) is run through the
same cases: an output it must refuse before any training, a failure during
training or while writing (no partial output, an existing output untouched),
and ``--overwrite``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from minority_gen import plan, training
from minority_gen.cli import main
from minority_gen.commands import evaluate
from minority_gen.training import DivergenceError

from .cli_helpers import error_line

TABLE_FAST = ["--n-iter", "2", "--batch-size", "8", "--quiet", "--device", "cpu"]
IMAGE_FAST = [*TABLE_FAST, "--width", "4"]
EVAL_FAST = ["--methods", "none,ros", "--classifiers", "logreg", "--cv", "2", "--quiet", "--no-quality"]


def _write_table(path: Path) -> Path:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    df["label"] = ["common"] * 30 + ["rare"] * 10
    df.to_csv(path, index=False)
    return path


def _write_images(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for cls, n in (("benign", 6), ("malignant", 3)):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(root / cls / f"{i}.png")
    return root


class Command:
    """How to call one sub-command on a tiny input in ``root``."""

    def __init__(self, name: str, root: Path):
        self.name = name
        self.folder_out = name != "resample"
        if name == "images":
            self.input = _write_images(root / "in")
        else:
            self.input = _write_table(root / "data.csv")

    def argv(self, out: Path, *extra: str) -> list[str]:
        if self.name == "resample":
            return ["resample", str(self.input), "--target", "label", "--out", str(out), *TABLE_FAST, *extra]
        if self.name == "images":
            return ["images", str(self.input), "--out", str(out), *IMAGE_FAST, *extra]
        return ["evaluate", str(self.input), "--target", "label", "--out", str(out), *EVAL_FAST, *extra]

    def make_existing(self, out: Path) -> None:
        """A previous output at ``out``, of the kind the command writes (and may replace with --overwrite)."""
        if not self.folder_out:
            out.write_text("a,b,c,label\n1,2,3,old\n")
        elif self.name == "images":
            (out / "malignant").mkdir(parents=True)
            Image.fromarray(np.zeros((16, 16), dtype=np.uint8)).save(out / "malignant" / "stale.png")
        else:
            out.mkdir()
            (out / "report.md").write_text("# an old report\n")


@pytest.fixture(params=["resample", "images", "evaluate"])
def command(request, tmp_path) -> Command:
    return Command(request.param, tmp_path)


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any GAN or any cross-validation starts."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(1)
        pytest.fail("training started before the command refused its input")

    for module in (training, plan):
        monkeypatch.setattr(module, "train_gan", refuse)
    monkeypatch.setattr(evaluate, "compare_oversamplers", refuse)
    yield
    assert not calls


def _tree(root: Path) -> dict:
    """Every path under ``root`` with its file contents' digest (folders: None)."""
    return {p.relative_to(root): None if p.is_dir() else hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))}




# ---------------------------------------------------------------------------
# Refused before training, nothing written
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("overwrite", [False, True])
def test_an_output_that_is_the_input_is_refused(command, tmp_path, capsys, no_training, overwrite):
    # resample: --out is the CSV; images: --out is the image folder; evaluate: --out holds the CSV
    out = command.input if command.name != "evaluate" else command.input.parent
    before = _tree(tmp_path)
    assert main(command.argv(out, *(["--overwrite"] if overwrite else []))) == 2
    line = error_line(capsys, command.name)
    assert str(out) in line and ("original is kept" in line or "overlaps the input" in line)
    assert _tree(tmp_path) == before


def test_an_existing_output_is_refused_without_overwrite(command, tmp_path, capsys, no_training):
    out = tmp_path / ("old.csv" if not command.folder_out else "old")
    command.make_existing(out)
    before = _tree(tmp_path)
    assert main(command.argv(out)) == 2
    line = error_line(capsys, command.name)
    assert f"--out {out} already exists" in line and "--overwrite" in line
    assert _tree(tmp_path) == before


def test_a_file_for_a_folder_or_a_folder_for_a_file_is_refused(command, tmp_path, capsys, no_training):
    out = tmp_path / "existing"
    if command.folder_out:
        out.write_text("a file where a folder should go")
        expected = "is an existing file; give the path of a folder"
    else:
        out.mkdir()
        expected = f"is an existing folder; give the path of a file, such as {out / 'balanced.csv'}"
    before = _tree(tmp_path)
    assert main(command.argv(out, "--overwrite")) == 2
    assert expected in error_line(capsys, command.name)
    assert _tree(tmp_path) == before


def test_a_parent_that_cannot_be_created_is_refused(command, tmp_path, capsys, no_training):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    out = tmp_path / "notes.txt" / "sub" / "out"
    before = _tree(tmp_path)
    assert main(command.argv(out)) == 2
    assert f"{tmp_path / 'notes.txt'} is a file, not a folder" in error_line(capsys, command.name)
    assert _tree(tmp_path) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes to read-only folders")
def test_an_unwritable_parent_is_refused(command, tmp_path, capsys, no_training):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(command.argv(locked / "new" / "out")) == 2
        assert f"the folder {locked} is not writable" in error_line(capsys, command.name)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("name", ["images", "evaluate"])
def test_overwrite_refuses_to_delete_files_the_command_does_not_write(name, tmp_path, capsys, no_training):
    command = Command(name, tmp_path)
    out = tmp_path / "out"
    command.make_existing(out)
    (out / "thesis.docx").write_text("months of work")
    before = _tree(tmp_path)
    assert main(command.argv(out, "--overwrite")) == 2
    line = error_line(capsys, name)
    assert f"holds {out / 'thesis.docx'}, which this command does not write" in line
    assert _tree(tmp_path) == before


def test_two_outputs_that_clash_are_refused(tmp_path, capsys, no_training):
    command = Command("images", tmp_path)
    out = tmp_path / "out"
    assert main(command.argv(out, "--grid", str(out / "grid.png"))) == 2
    assert "--grid" in error_line(capsys, "images")
    assert main(command.argv(out, "--grid", str(tmp_path / "p.png"), "--loss-plot", str(tmp_path / "p.png"))) == 2
    assert "--loss-plot and --grid are the same path" in error_line(capsys, "images")
    assert main(command.argv(out, "--grid", str(command.input / "grid.png"))) == 2
    assert "inside the input folder" in error_line(capsys, "images")
    assert main(command.argv(out, "--grid", str(tmp_path / "grid.xyz"))) == 2
    assert "matplotlib cannot write '.xyz' files" in error_line(capsys, "images")
    assert not out.exists()


def test_an_existing_empty_folder_is_a_new_output(tmp_path):
    command = Command("evaluate", tmp_path)
    (tmp_path / "report").mkdir()
    assert main(command.argv(tmp_path / "report")) == 0
    assert (tmp_path / "report" / "report.md").is_file()


# ---------------------------------------------------------------------------
# Failures during training or while writing: no partial output
# ---------------------------------------------------------------------------
def _interrupt_training(monkeypatch, exc):
    def train_then_fail(*args, **kwargs):
        raise exc("simulated failure during training")

    monkeypatch.setattr(plan, "train_gan", train_then_fail)


# evaluate has no DivergenceError case: it records a diverged GAN in its table (errors='warn') and carries on
FAILURES = [(name, exc, code) for name in ("resample", "images", "evaluate")
            for exc, code in ((KeyboardInterrupt, 130), (DivergenceError, 1))
            if not (name == "evaluate" and exc is DivergenceError)]


@pytest.mark.parametrize("existing", [False, True])
@pytest.mark.parametrize("command, exc, code", FAILURES, indirect=["command"])
def test_a_failure_during_training_leaves_no_output(command, tmp_path, capsys, monkeypatch, exc, code, existing):
    if command.name == "evaluate":
        command_argv = command.argv  # a GAN in the comparison, so that training is reached

        def argv(out, *extra):
            return [*command_argv(out, *extra), "--methods", "none,rumi", "--n-iter", "2"]

        command.argv = argv
    out = tmp_path / "old" if existing else tmp_path / "new" / "nested" / ("out" if command.folder_out else "o.csv")
    if existing:
        command.make_existing(out)
    before = _tree(tmp_path)
    _interrupt_training(monkeypatch, exc)
    assert main(command.argv(out, "--overwrite")) == code
    line = error_line(capsys, command.name)
    assert ("interrupted (Ctrl-C)" in line) if exc is KeyboardInterrupt else ("training failed" in line)
    assert _tree(tmp_path) == before  # no temporary file, no created parent, the old output byte-identical


def _break_writes(monkeypatch, command: Command, after: int):
    """The command's writes fail with a full disk after ``after`` partial writes."""
    disk_full = OSError(28, "No space left on device")
    if command.name == "resample":
        original = pd.DataFrame.to_csv

        def to_csv(self, path, **kwargs):
            original(self.head(after), path, **kwargs)  # a partial table on disk
            raise disk_full

        monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    elif command.name == "images":
        original, saved = Image.Image.save, []

        def save(self, fp, *args, **kwargs):
            if len(saved) == after:
                raise disk_full
            saved.append(fp)
            return original(self, fp, *args, **kwargs)

        monkeypatch.setattr(Image.Image, "save", save)
    else:
        def write_report(out_dir, *args, **kwargs):
            (Path(out_dir) / "downstream_folds.csv").write_text("oversampler,fold\n")
            raise disk_full

        monkeypatch.setattr(evaluate, "write_report", write_report)


@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_while_writing_leaves_no_partial_output(command, tmp_path, capsys, monkeypatch, existing):
    out = tmp_path / "old" if existing else tmp_path / ("out" if command.folder_out else "o.csv")
    if existing:
        command.make_existing(out)
    before = _tree(tmp_path)
    _break_writes(monkeypatch, command, after=2)
    assert main(command.argv(out, "--overwrite")) == 1
    assert "No space left on device" in error_line(capsys, command.name)
    assert _tree(tmp_path) == before


def test_overwrite_replaces_the_output_once_complete(command, tmp_path, capsys):
    out = tmp_path / ("old" if command.folder_out else "old.csv")
    command.make_existing(out)
    assert main(command.argv(out, "--overwrite")) == 0
    umask = os.umask(0)
    os.umask(umask)
    if command.name == "resample":
        assert pd.read_csv(out)["label"].value_counts().to_dict() == {"common": 30, "rare": 30}
        assert (out.stat().st_mode & 0o777) == 0o666 & ~umask  # not the temporary file's 0600
    elif command.name == "images":
        assert sorted(p.name for p in (out / "malignant").iterdir())[-1] == "synthetic_00002.png"
        assert not (out / "malignant" / "stale.png").exists()  # the old folder is gone, not merged
        assert (out.stat().st_mode & 0o777) == 0o777 & ~umask
    else:
        assert "# Oversampler evaluation" in (out / "report.md").read_text()
        assert (out / "downstream_folds.csv").is_file()
    assert [p.name for p in tmp_path.iterdir() if "minority-gen" in p.name] == []


# ---------------------------------------------------------------------------
# Every parameter and the data are checked before training
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, extra, message",
    [
        ("resample", ["--n-iter", "0"], "--n-iter: The 'n_iter' parameter"),
        ("resample", ["--batch-size", "0"], "--batch-size: The 'batch_size' parameter"),
        ("resample", ["--pac", "0"], "--pac: The 'pac' parameter"),
        ("resample", ["--sampling-strategy", "most"], "--sampling-strategy: The 'sampling_strategy'"),
        ("resample", ["--method", "rumii"], "Did you mean 'rumi'"),
        ("resample", ["--method-params", '{"nope": 1}'], "does not take"),
        ("resample", ["--device", "tpu"], "got 'tpu'"),
        ("resample", ["--filter", "copy"], "copy"),
        ("resample", ["--filter", "bogus"], "--filter 'bogus': unknown: 'bogus'; give one or more of copies, knn, "
                                            "border, reach separated by commas (e.g. copies,knn), auto, or --filter "
                                            "none to filter nothing."),
        ("resample", ["--diffaugment", "color"], "--diffaugment color works on images only, and"),
        ("resample", ["--padding", "reflect"], "--padding reflect works on images only, and"),
        ("resample", ["--image-layout", "channels_last"], "--image-layout channels_last works on images only, and"),
        ("resample", ["--image-layout", "channels_last"], "is a table; leave --image-layout out, or give "
                                                          "--image-shape H,W (or H,W,C) if each row of the CSV is"),
        ("resample", ["--image-shape", "2,2", "--filter", "reach"], "--filter reach works on tables only"),
        ("images", ["--diffaugment", "blur"], "blur"),
        ("images", ["--resize", "0"], "--resize must be"),
        ("images", ["--filter", "reach"], "--filter reach works on tables only, and"),
        ("images", ["--filter", "reach"], "holds images; leave --filter out."),
        ("images", ["--continuous", "modes"], "--continuous modes works on tables only"),
        ("images", ["--image-layout", "channels_last"], "--image-layout is for flattened image rows"),
        ("evaluate", ["--batch-size", "0"], "--batch-size: The 'batch_size' parameter"),
        ("evaluate", ["--device", "tpu"], "got 'tpu'"),
        ("evaluate", ["--param", 'diffaugment="color"'], '--param diffaugment="color" works on images only'),
    ],
)
def test_bad_parameters_are_refused_before_training(name, extra, message, tmp_path, capsys, no_training):
    command = Command(name, tmp_path)
    before = _tree(tmp_path)
    assert main(command.argv(tmp_path / "out", *extra)) == 2
    line = error_line(capsys, name)
    assert message in line
    # in command-line terms, not the Python API's
    assert not any(api in line for api in ("=None", "RowFilter", "continuous='", "filter=", "diffaugment=N"))
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("option", ["--width", "--min-images"])
def test_positive_integer_options(option, tmp_path, capsys, no_training):
    command = Command("images", tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(command.argv(tmp_path / "out", option, "0"))
    assert exit_.value.code == 2
    assert f"{option}: must be a positive integer; got '0'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["resample", "evaluate"])
@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda df: df.assign(label=df["label"].where(df.index != 3)), "has 1 empty cell(s) (file line 5)"),
        (lambda df: df.assign(label="common"), "has only the class 'common'; oversampling needs at least two"),
        (lambda df: df.assign(label=7), "has only the class 7"),
        (lambda df: df.assign(label=df["a"]), "holds 40 distinct non-integer numbers"),
        (lambda df: df.assign(label=np.r_[np.zeros(39), 0.5]), "holds 1 distinct non-integer number (0.5)"),
        (lambda df: df.drop(columns="label"), "--target 'label' is not a column"),
        (lambda df: df[["label"]], "no feature columns besides the target"),
        (None, "cannot read"),
    ],
)
def test_target_problems_are_explained_before_training(name, edit, message, tmp_path, capsys, no_training):
    command = Command(name, tmp_path)
    if edit is None:
        command.input.write_text("")
    else:
        edit(pd.read_csv(command.input)).to_csv(command.input, index=False)
    assert main(command.argv(tmp_path / "out")) == 2
    assert message in error_line(capsys, name)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["resample", "evaluate"])
def test_a_target_of_whole_floats_is_still_classes(name, tmp_path):
    """0.0 / 1.0 (a 0/1 column written by a float writer) are two classes, not a continuous target."""
    command = Command(name, tmp_path)
    df = pd.read_csv(command.input)
    df.assign(label=np.where(df["label"] == "rare", 1.0, 0.0)).to_csv(command.input, index=False)
    assert "1.0" in command.input.read_text()
    assert main(command.argv(tmp_path / "out")) == 0


@pytest.mark.parametrize("name", ["resample", "evaluate"])
def test_a_header_that_repeats_a_column_name_is_refused(name, tmp_path, capsys, no_training):
    """pandas would read it as a, a.1 and the renamed column would reach the output."""
    command = Command(name, tmp_path)
    lines = command.input.read_text().splitlines()
    command.input.write_text("\n".join(["a,a,b,label", *lines[1:]]) + "\n")
    assert main(command.argv(tmp_path / "out")) == 2
    line = error_line(capsys, name)
    assert f"the header of {command.input} repeats column names: 'a' (columns 1, 2)" in line
    assert not (tmp_path / "out").exists()


def test_the_header_is_read_with_a_bounded_read(tmp_path):
    from minority_gen.commands._common import header_names

    path = tmp_path / "wide.csv"
    path.write_text("\n\n" + ",".join(f"column_{i}" for i in range(1000)) + "\n1\n")
    assert header_names(path)[-1] == "column_999"
    cut = header_names(path, limit=100)  # the last name cut short is left out
    assert cut == [f"column_{i}" for i in range(len(cut))] and 0 < len(cut) < 12


# ---------------------------------------------------------------------------
# Exit codes and --debug
# ---------------------------------------------------------------------------
def test_an_unexpected_error_is_one_line_with_exit_1(tmp_path, capsys, monkeypatch):
    command = Command("resample", tmp_path)

    def crash(*args, **kwargs):
        raise RuntimeError("CUDA out of\nmemory")

    monkeypatch.setattr(plan, "train_gan", crash)
    assert main(command.argv(tmp_path / "o.csv")) == 1
    line = error_line(capsys, "resample")
    assert "unexpected RuntimeError: CUDA out of memory (run with --debug for the traceback)" in line


@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_debug_re_raises(tmp_path, monkeypatch, where):
    command = Command("resample", tmp_path)
    _interrupt_training(monkeypatch, DivergenceError)
    argv = command.argv(tmp_path / "o.csv")
    if where == "before":
        argv = ["--debug", *argv]
    elif where == "after":
        argv = [*argv, "--debug"]
    else:
        monkeypatch.setenv("MINORITY_GEN_DEBUG", "1")
    with pytest.raises(DivergenceError, match="simulated failure"):
        main(argv)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


@pytest.mark.parametrize("name", ["resample", "images"])
def test_a_folder_refusing_the_temporary_output_is_one_line(name, tmp_path, capsys, monkeypatch, no_training):
    from minority_gen.commands import _output

    def denied(path, folder):
        raise PermissionError(13, "Permission denied", str(path.parent))

    monkeypatch.setattr(_output, "_make_temp", denied)
    command = Command(name, tmp_path)
    before = _tree(tmp_path)
    out = tmp_path / "new" / "out"
    assert main(command.argv(out)) == 2
    line = error_line(capsys, name)
    assert f"--out {out}: cannot create {out.parent} (Permission denied)" in line
    assert _tree(tmp_path) == before  # the parent folder created for it is gone again


@pytest.mark.parametrize("name", ["resample", "images", "evaluate"])
def test_help_documents_the_policy_and_the_exit_codes(name, capsys):
    with pytest.raises(SystemExit):
        main([name, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--overwrite replace an existing --out" in text and "--debug" in text
    assert "2 usage error" in text and "130 interrupted (Ctrl-C)" in text
