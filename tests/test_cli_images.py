"""``minority-gen images``: ImageFolder in, PNG folder of the same layout out."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from minority_gen.cli import main

FAST = ["--n-iter", "2", "--batch-size", "8", "--width", "4", "--quiet"]


def _make_folder(root, mode="L", size=(28, 28), counts=(("benign", 10), ("malignant", 4))):
    rng = np.random.default_rng(0)
    for cls, n in counts:
        (root / cls).mkdir(parents=True)
        for i in range(n):
            shape = (size[1], size[0]) if mode == "L" else (size[1], size[0], 3)
            image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8))
            image.save(root / cls / f"{i}.png")
    return root


def _digest(root):
    files = [p for p in root.rglob("*") if p.is_file()]
    return {p.relative_to(root): hashlib.md5(p.read_bytes()).hexdigest() for p in files}


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_folder_in_png_folder_out(tmp_path, mode, capsys):
    src = _make_folder(tmp_path / "in", mode=mode)
    (src / "malignant" / "notes.txt").write_text("not an image")
    before = _digest(src)
    out, grid = tmp_path / "out", tmp_path / "grid.png"
    code = main(["images", str(src), "--out", str(out), "--grid", str(grid),
                 "--loss-plot", str(tmp_path / "loss.png"), *FAST])
    assert code == 0
    assert _digest(src) == before  # originals untouched
    written = sorted((out / "malignant").glob("*.png"))
    assert len(written) == 6 and not (out / "benign").exists()
    for path in written:
        with Image.open(path) as img:
            assert img.size == (28, 28) and img.mode == mode
    assert grid.is_file() and (tmp_path / "loss.png").is_file()
    assert "notes.txt" in capsys.readouterr().err


def test_copy_originals_gives_a_balanced_folder(tmp_path):
    src = _make_folder(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["images", str(src), "--out", str(out), "--copy-originals", *FAST]) == 0
    assert len(list((out / "benign").glob("*.png"))) == 10
    assert len(list((out / "malignant").glob("*.png"))) == 10
    # a second run refuses to overwrite the synthetic files
    assert main(["images", str(src), "--out", str(out), *FAST]) == 2


def test_mixed_sizes_need_resize(tmp_path, capsys):
    src = _make_folder(tmp_path / "in")
    Image.fromarray(np.zeros((30, 30), dtype=np.uint8)).save(src / "benign" / "odd.png")
    assert main(["images", str(src), "--out", str(tmp_path / "out"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "different sizes" in err and "--resize" in err and "odd.png" in err
    assert main(["images", str(src), "--out", str(tmp_path / "out"), "--resize", "32", *FAST]) == 0
    with Image.open(next((tmp_path / "out" / "malignant").glob("*.png"))) as img:
        assert img.size == (32, 32)


def test_resize_to_a_size_the_networks_refuse_lists_the_nearest_they_take(tmp_path, capsys):
    """``--resize 64x48`` (the old help's example) is refused before the folder is read, with the supported sizes
    near it, not with "resize the images"; the help's example size is one the networks take, and works."""
    import re

    from minority_gen.nets import conv_stages

    src = _make_folder(tmp_path / "in")
    assert main(["images", str(src), "--out", str(tmp_path / "out"), "--resize", "64x48", *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("minority-gen images: error: --resize 64x48: the convolutional networks do not take 64x48")
    assert err.endswith("The nearest sizes they take: --resize 56x48 or 56x40 or 48x48 or 56x56.")
    assert "Resize the images" not in err and not (tmp_path / "out").exists()
    for w, h in re.findall(r"(\d+)x(\d+)", err.split("nearest")[1]):
        conv_stages((1, int(h), int(w)))
    with pytest.raises(SystemExit):
        main(["images", "--help"])
    w, h = re.search(r"WxH\s+\(e\.g\.\s+(\d+)x(\d+)\)", capsys.readouterr().out).groups()
    conv_stages((1, int(h), int(w)))
    assert main(["images", str(src), "--out", str(tmp_path / "out"), "--resize", f"{w}x{h}", *FAST]) == 0
    with Image.open(next((tmp_path / "out" / "malignant").glob("*.png"))) as img:
        assert img.size == (int(w), int(h))


def test_too_few_images_and_bad_folders(tmp_path, capsys):
    src = _make_folder(tmp_path / "in", counts=(("benign", 6), ("malignant", 1)))
    assert main(["images", str(src), "--out", str(tmp_path / "out"), *FAST]) == 2
    assert "too few images" in capsys.readouterr().err
    assert main(["images", str(src), "--out", str(src / "out"), *FAST]) == 2
    assert "overlaps the input" in capsys.readouterr().err
    assert main(["images", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), *FAST]) == 2
    one = _make_folder(tmp_path / "one", counts=(("only", 4),))
    assert main(["images", str(one), "--out", str(tmp_path / "o2"), *FAST]) == 2
    assert "at least two classes" in capsys.readouterr().err


def test_unsupported_size_is_explained(tmp_path, capsys):
    src = _make_folder(tmp_path / "in", size=(10, 10))
    assert main(["images", str(src), "--out", str(tmp_path / "out"), *FAST]) == 2
    assert "Supported" in capsys.readouterr().err


def test_anchor_smote_reaches_the_image_generator_and_its_saved_model(tmp_path):
    """``--anchor smote`` on a folder: the images start from blends of two real images of the class (the saved
    model's generator is the anchored one); ``auto`` keeps images from noise."""
    from minority_gen import GANOversampler
    from minority_gen.nets import AnchoredConvGenerator

    src = _make_folder(tmp_path / "in")
    for option, anchored in (("smote", True), ("auto", False)):
        model = tmp_path / f"{option}.mgz"
        assert main(["images", str(src), "--out", str(tmp_path / option), "--anchor", option,
                     "--save-model", str(model), *FAST]) == 0
        assert len(list((tmp_path / option / "malignant").glob("*.png"))) == 6
        G = GANOversampler.load(model).generators_["malignant"]
        assert isinstance(G, AnchoredConvGenerator) is anchored


def test_skipped_files_are_named_by_why(tmp_path, capsys):
    """A file at the top of the input is not in a class folder; a damaged image file is unreadable, not 'not an
    image'; a text file in a class folder is not an image: one warning line each."""
    src = _make_folder(tmp_path / "in")
    (src / "README.md").write_text("# my data\n")
    (src / "benign" / "notes.txt").write_text("not an image")
    good = (src / "benign" / "0.png").read_bytes()
    (src / "benign" / "corrupt.png").write_bytes(good[: len(good) // 2])  # truncated
    (src / "malignant" / "empty.jpg").write_bytes(b"")
    assert main(["images", str(src), "--out", str(tmp_path / "out"), *FAST]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == 3
    top, not_images, unreadable = warnings
    assert top.startswith("warning: skipped 1 file(s) at the top of") and top.endswith(": README.md")
    assert "not read (only class sub-folders are)" in top
    assert not_images == "warning: skipped 1 file(s) in class folders that are not images: benign/notes.txt"
    assert unreadable.startswith("warning: skipped 2 file(s) that could not be read as images: benign/corrupt.png (")
    assert "malignant/empty.jpg (" in unreadable and "README" not in unreadable + not_images
