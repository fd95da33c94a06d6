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
