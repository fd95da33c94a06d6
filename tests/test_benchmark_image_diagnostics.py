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
