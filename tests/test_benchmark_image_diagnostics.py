"""benchmarks/image_diagnostics.py (issue 35, item 2) in its --quick mode: every cell scored, a resumable store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .benchmark_scripts import loaded

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MINORITY_GEN_DATA") or REPO.parent / "shared" / "data") / "breastmnist.npz"


@pytest.fixture(scope="module")
def diagnostics():
    yield from loaded("image_diagnostics")


@pytest.mark.skipif(not DATA.is_file(), reason=f"shared data not present: {DATA}")
def test_quick_run_scores_every_source_against_the_held_back_images(diagnostics, capsys):
    assert diagnostics.main(["--quick"]) == 0
    printed = capsys.readouterr().out
    out = Path(printed.split("wrote ")[-1].strip()).parent
    recs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [(r["source"], r["n_iter"]) for r in recs] == [("real", None), ("augmentation", None), ("rumi", 2)]
    assert [r["n_images"] for r in recs] == [10, 83, 83]  # the quick cut keeps 10 malignant of 93 training images
    for r in recs:
        s = r["scores"]
        assert all(0 <= s[k] <= 1 for k in ("fidelity", "precision", "recall", "coverage", "c2st_features",
                                             "c2st_pixels"))
        assert s["frechet"] >= 0 and s["density"] >= 0
    text = (out / "results.md").read_text()
    assert "| rumi 2 it | 0 | 83 |" in text and "Held-back malignant images: 55" in text
    assert (out / "grid_2it.png").stat().st_size > 0
    held_back = diagnostics.load(diagnostics.parse(["--quick"]))[1]
    assert len(held_back) == 55  # 23 malignant of the quarter split minus the 10 kept, plus the validation's 21


def test_bad_options_are_refused(diagnostics):
    with pytest.raises(SystemExit):
        diagnostics.parse(["--iters", "0"])


def test_laplacian_energy_and_blur_by_hand(diagnostics):
    """One 3 × 3 image with a bright centre (10): Laplacian 4·10 − 0 = 40; a flat image: 0; mean 20."""
    import numpy as np

    spot, flat = np.zeros((3, 3)), np.full((3, 3), 5.0)
    spot[1, 1] = 10
    assert diagnostics.laplacian_energy(np.stack([spot, flat])) == 20.0
    noisy = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype(np.uint8)
    smooth = diagnostics.blurred(noisy, 0.8)
    assert smooth.dtype == np.uint8 and smooth.shape == noisy.shape
    assert diagnostics.laplacian_energy(smooth) < 0.5 * diagnostics.laplacian_energy(noisy)


def test_texture_table_reads_protocol_i_images_and_says_when_there_are_none(diagnostics, monkeypatch):
    import numpy as np

    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(12), np.ones(40)].astype(int)
    X = rng.integers(60, 120, (52, 28, 28)).astype(np.uint8)
    held_back = rng.integers(60, 120, (30, 28, 28)).astype(np.uint8)
    monkeypatch.setattr(diagnostics, "protocol_i_images", lambda X, y, seeds: {})
    assert "run protocol I first" in diagnostics.texture_lines(X, y, held_back, [0])[0]
    noisy = {0: rng.integers(0, 256, (28, 28, 28)).astype(np.uint8)}  # far more texture than the held-back images
    monkeypatch.setattr(diagnostics, "protocol_i_images", lambda X, y, seeds: noisy)
    lines = diagnostics.texture_lines(X, y, held_back, [0])
    row = next(line for line in lines if line.startswith("| rumi (protocol I's images) |"))
    energy = float(row.split("|")[2])
    assert energy == pytest.approx(diagnostics.laplacian_energy(noisy[0]) / diagnostics.laplacian_energy(held_back),
                                   abs=0.01) and energy > 2
    assert "seeds 0)" in lines[0] and sum(line.startswith("| rumi, blurred") for line in lines) == 2
