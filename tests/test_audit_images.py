"""Audit of the image flows as a user with medical images meets them: 16-bit files, transparency, hidden and
symlinked folders, broken links, multi-frame files, values beyond 16 bits, the summary line."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from minority_gen.cli import main
from minority_gen.commands import images as command

FAST = ["--n-iter", "2", "--batch-size", "8", "--width", "4", "--quiet"]


def _save(path, array, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kw)
    return path


def _folder(root, counts=(("benign", 6), ("malignant", 3)), dtype=np.uint8, top=256, shape=(16, 16)):
    rng = np.random.default_rng(0)
    for cls, n in counts:
        for i in range(n):
            _save(root / cls / f"{i}.png", rng.integers(0, top, shape).astype(dtype))
    return root


def _warnings(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]


def test_16_bit_images_keep_their_16_bits(tmp_path, capsys):
    """12-bit values in 16-bit PNGs (CT, X-ray) were divided by 257 into 17 grey levels; now read as uint16 and
    the synthetic PNGs are 16-bit."""
    src = _folder(tmp_path / "in", dtype=np.uint16, top=4096)
    X, y, files = command.read_image_folder(src)
    assert X.dtype == np.uint16
    assert (X[0] == np.asarray(Image.open(files[0]))).all() and X.max() > 4000
    assert (command.read_image_folder(src, resize=(20, 16))[0].dtype) == np.uint16
    assert not _warnings(capsys)
    assert main(["images", str(src), "--out", str(tmp_path / "out"), *FAST]) == 0
    out = tmp_path / "out" / "malignant" / "synthetic_00000.png"
    with Image.open(out) as img:
        assert img.mode == "I;16" and np.asarray(img).max() > 255


def test_mixed_bit_depths_say_what_happens_to_them(tmp_path, capsys):
    src = _folder(tmp_path / "in")
    _save(src / "malignant" / "deep.png", np.full((16, 16), 1000, np.uint16))
    X = command.read_image_folder(src)[0]  # grayscale: 16 bits kept, the 8-bit images scaled
    assert X.dtype == np.uint16 and X.max() > 255 and 1000 in X
    (warning,) = _warnings(capsys)
    assert warning.startswith("warning: 9 8-bit image(s) scaled to 16 bits (times 257)")
    X = command.read_image_folder(src, color="rgb")[0]
    assert X.dtype == np.uint8
    (warning,) = _warnings(capsys)
    assert warning.startswith("warning: 1 16-bit image(s) reduced to 8 bits, as the output is RGB")
    assert warning.endswith(": malignant/deep.png") and "--color gray keeps 16 bits" in warning


def test_transparent_pixels_are_named_when_dropped(tmp_path, capsys):
    src = _folder(tmp_path / "in")
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 3] = 255
    _save(src / "malignant" / "opaque.png", rgba)
    rgba[:8, :, 3] = 0
    _save(src / "malignant" / "cutout.png", rgba)
    X = command.read_image_folder(src)[0]
    assert X.shape == (11, 16, 16, 3)
    (warning,) = _warnings(capsys)
    assert warning.startswith("warning: 1 image(s) have transparent pixels; their transparency is dropped")
    assert warning.endswith(": malignant/cutout.png")


def test_hidden_folders_in_a_class_are_not_read(tmp_path):
    """A notebook's .ipynb_checkpoints (or .git, .thumbnails) under a class folder held training images."""
    src = _folder(tmp_path / "in")
    _save(src / "malignant" / ".ipynb_checkpoints" / "0-checkpoint.png", np.zeros((16, 16), np.uint8))
    _save(src / "malignant" / "sub" / "visible.png", np.zeros((16, 16), np.uint8))
    X, y, files = command.read_image_folder(src)
    assert sorted(f.name for f in files if "malignant" in str(f)) == ["0.png", "1.png", "2.png", "visible.png"]


def test_symlinked_folders_are_followed_once_and_broken_links_named(tmp_path, capsys):
    src = _folder(tmp_path / "in")
    extra = _folder(tmp_path / "extra", counts=(("more", 2),))
    os.symlink(extra / "more", src / "malignant" / "linked")
    os.symlink(src / "malignant", src / "malignant" / "loop")  # a link to a folder above: read once
    os.symlink(tmp_path / "nowhere.png", src / "malignant" / "broken.png")
    X, y, files = command.read_image_folder(src)
    assert list(y).count("malignant") == 5 and len(X) == 11
    (warning,) = _warnings(capsys)
    assert warning.startswith("warning: skipped 1 file(s) that could not be read as images: malignant/broken.png "
                              "(a broken link to ")


def test_images_with_several_frames_are_named(tmp_path, capsys):
    src = _folder(tmp_path / "in")
    frames = [Image.fromarray(np.full((16, 16), v, np.uint8)) for v in (10, 200)]
    frames[0].save(src / "malignant" / "stack.tif", save_all=True, append_images=frames[1:])
    X, y, _ = command.read_image_folder(src)
    assert len(X) == 10
    (warning,) = _warnings(capsys)
    assert warning == "warning: 1 image(s) have several frames (pages); only the first is read: malignant/stack.tif"


@pytest.mark.parametrize("array", [np.full((16, 16), 70000, np.int32), np.full((16, 16), -5, np.int32),
                                   np.linspace(0, 1, 256, dtype=np.float32).reshape(16, 16)])
def test_values_beyond_16_bits_are_refused_before_training(tmp_path, capsys, array):
    """32-bit integer or float TIFFs were clipped (or rounded: 0..1 floats became black) without a word."""
    src = _folder(tmp_path / "in")
    _save(src / "malignant" / "wide.tif", array)
    assert main(["images", str(src), "--out", str(tmp_path / "out"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "1 image(s) hold values that neither an 8- nor a 16-bit PNG keeps: malignant/wide.tif (mode " in err
    assert "GANOversampler in Python" in err and not (tmp_path / "out").exists()


def test_the_summary_counts_each_class(tmp_path, capsys):
    src = _folder(tmp_path / "in")
    assert main(["images", str(src), "--out", str(tmp_path / "out"), *FAST]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert "9 images of shape (16, 16) (uint8) in (benign: 6, malignant: 3), 3 synthetic PNGs written " \
           "(malignant: +3)" in summary


@pytest.mark.parametrize("shape, layout", [((6, 16, 16, 3), "channels_first"), ((6, 3, 16, 16), "channels_last")])
def test_a_forced_layout_that_contradicts_the_array_names_the_other(shape, layout):
    """It was refused as an unsupported image shape (16 channels), not as the wrong layout."""
    from minority_gen import GANOversampler

    X, y = np.zeros(shape, np.uint8), np.array([0] * 4 + [1] * 2)
    other = "channels_last" if layout == "channels_first" else "channels_first"
    with pytest.raises(ValueError, match=f"image_layout='{layout}' reads images shaped .* as 16 channels, but the "
                                         f"other end has 3 entries.*pass image_layout='{other}' or 'auto'"):
        GANOversampler(n_iter=2, image_layout=layout).fit_resample(X, y)


def test_a_16_bit_model_is_sampled_to_16_bit_pngs(tmp_path):
    src = _folder(tmp_path / "in", dtype=np.uint16, top=4096)
    model = tmp_path / "m.mgz"
    assert main(["images", str(src), "--out", str(tmp_path / "out"), "--save-model", str(model), *FAST]) == 0
    assert main(["sample", str(model), "--n", "2", "--out", str(tmp_path / "more")]) == 0
    files = sorted((tmp_path / "more").rglob("*.png"))
    assert len(files) == 2
    with Image.open(files[0]) as img:
        assert img.mode == "I;16" and np.asarray(img).max() > 255


def test_an_unsupported_image_size_names_the_nearest_supported_ones():
    from minority_gen import GANOversampler

    X = np.random.default_rng(0).integers(0, 255, (20, 15, 15)).astype(np.uint8)
    y = np.r_[np.zeros(15, int), np.ones(5, int)]
    with pytest.raises(ValueError, match=r"nearest to 15×15: 16×16, 16×20, 20×16, 20×20\. Resize the images"):
        GANOversampler(n_iter=1).fit_resample(X, y)
