"""Smoke runs of the sample-quality and default-fit-time benchmarks (their --quick modes)."""

import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("script", ["sample_quality.py", "default_fit_times.py"])
def test_quick_mode_runs(script, tmp_path, capsys):
    main = runpy.run_path(str(BENCH / script), run_name="benchmark")["main"]
    assert main(["--quick", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert ("breast cancer" in out and "toy" in out) if script == "sample_quality.py" else " s" in out
    assert not (tmp_path / "out").exists()  # quick runs write no results


def test_image_iteration_profile_quick_counts_flops_and_times(tmp_path, capsys):
    import json

    main = runpy.run_path(str(BENCH / "image_iteration_profile.py"), run_name="benchmark")["main"]
    assert main(["--quick", "--data", str(tmp_path), "--out", str(tmp_path / "p.md")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["source"].startswith("random") and result["images"] == 69
    assert result["flops_per_iter"] > 1e9 and result["seconds_per_iter"] > 0 and result["peak_flops"] > 1e8
    assert result["ratio"] == pytest.approx(result["seconds_per_iter"] / result["bound_s"])
    assert not (tmp_path / "p.md").exists()
