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


def test_sample_quality_report_from_the_committed_results_gives_the_committed_tables(tmp_path):
    """The markdown written from results.json: the committed tables (everything below the header), the data
    unchanged, and the header stamped by evaluation.report.run_stamp."""
    import json

    committed = BENCH / "results" / "sample_quality"
    if not (committed / "results.json").is_file():
        pytest.skip("the committed sample-quality results are absent")
    module = runpy.run_path(str(BENCH / "sample_quality.py"), run_name="benchmark")
    data = json.loads((committed / "results.json").read_text())
    text = module["write_report"](tmp_path, data, ["--out", "x"]).read_text()
    body = lambda t: t[t.index("## Two-mode toy"):].strip()  # noqa: E731
    assert body(text) == body((committed / "results.md").read_text())
    assert json.loads((tmp_path / "results.json").read_text()) == data
    assert "* Command: `python benchmarks/sample_quality.py --out x`" in text and "* Machine: " in text


def test_image_iteration_profile_quick_counts_flops_and_times(tmp_path, capsys):
    import json

    main = runpy.run_path(str(BENCH / "image_iteration_profile.py"), run_name="benchmark")["main"]
    assert main(["--quick", "--data", str(tmp_path), "--out", str(tmp_path / "p.md")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["source"].startswith("random") and result["images"] == 69
    assert result["flops_per_iter"] > 1e9 and result["seconds_per_iter"] > 0 and result["peak_flops"] > 1e8
    assert result["ratio"] == pytest.approx(result["seconds_per_iter"] / result["bound_s"])
    assert not (tmp_path / "p.md").exists()
    from minority_gen._version import OUTPUT_VERSION

    assert result["output_version"] == OUTPUT_VERSION and {"commit", "machine", "load", "date"} <= set(result)


def test_breastmnist_speed_quick_times_one_fit_with_the_image_defaults(tmp_path):
    """Quick mode on a stand-in breastmnist.npz: one worker process, its row and grid, the defaults it ran."""
    import subprocess
    import sys

    import numpy as np

    rng = np.random.default_rng(0)
    labels = np.array([0] * 40 + [1] * 60)
    images = rng.integers(0, 256, (100, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "breastmnist.npz", **{f"{s}_{k}": v for s in ("train", "val", "test")
                                              for k, v in (("images", images), ("labels", labels[:, None]))})
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(BENCH / "breastmnist_speed.py"), "--quick", "--methods", "rumi",
                           "--scenarios", "severe30", "--threads", "1", "--data", str(tmp_path), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    text = (out / "results.md").read_text()
    assert "conv width 16" in text and "EMA of G 0.99" in text
    assert "* Machine: " in text and "output version" in text and "at the start" in text  # the results stamp
    assert "| rumi | severe30 | 30 / 60 | 1 |" in text and (out / "grid_rumi_severe30.png").is_file()


def test_breastmnist_speed_without_the_data_exits_saying_where_to_get_it(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(BENCH / "breastmnist_speed.py"), "--quick", "--data", str(tmp_path),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "breastmnist.npz not found" in done.stderr and "medmnist.com" in done.stderr
    assert not (tmp_path / "out").exists()
