"""Smoke runs of the timing and memory benchmarks at tiny sizes (their full runs take hours).

Their fresh worker processes run in this process here (``subprocess.run`` calls the script's ``main``), and the
parallel benchmarks time stand-in workloads, so that each test takes seconds; one test starts a real worker.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import types

import numpy as np
import pandas as pd
import pytest
import torch

from .benchmark_scripts import imported


@pytest.fixture
def in_process(monkeypatch):
    """Run a script's worker processes (``python script.py --child/--worker ...``) in this process."""
    threads = torch.get_num_threads()

    def patch(module):
        real_run = subprocess.run

        def run(cmd, *args, **kwargs):
            if not any(flag in cmd for flag in ("--child", "--worker")):
                return real_run(cmd, *args, **kwargs)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert module.main([str(c) for c in cmd[2:]]) in (0, None)
            return types.SimpleNamespace(stdout=out.getvalue(), returncode=0, stderr="")

        monkeypatch.setattr(subprocess, "run", run)  # the module's own or _timing's in_fresh_process
        return module

    yield patch
    torch.set_num_threads(threads)


def test_memory_loop_and_large_fit_reported_and_written(in_process, tmp_path, capsys):
    memory = in_process(imported("memory", "bench_timing_"))
    out = tmp_path / "memory.md"
    assert memory.main(["--loop-fits", "2", "--loop-iter", "2", "--large-n", "2000", "--large-iter", "2",
                        "--out", str(out)]) == 0
    text = out.read_text()
    assert "## 2 fits in a loop" in text and "| 2 | " in text and "Growth from fit 1 to fit 2" in text
    assert "## One fit of a 2,000 × 20 float32 table" in text and "(1,600 new rows)" in text
    assert "* Command: `python benchmarks/memory.py --loop-fits 2" in text
    data = json.loads(out.with_suffix(".json").read_text())
    assert len(data["loop"]["rss_mb"]) == 2 and data["large"]["peak_mb"] > 0
    assert text.strip() in capsys.readouterr().out


def test_speed_tabular_quick_prints_the_grid_and_writes_nothing(monkeypatch, tmp_path, capsys):
    speed = imported("speed_tabular", "bench_timing_")
    monkeypatch.setattr(speed, "run", lambda kind, n, d, n_iter, device, path=None: speed.worker(kind, n, d, 2, device))
    speed.main(["--quick", "--out", str(tmp_path / "s.md")])
    out = capsys.readouterr().out
    assert "| demo (breast cancer, 30 malignant) | 387 × 30 | " in out and "| synthetic | 5,000 × 30 | " in out
    assert "(2 iterations)" in out and "* device cpu" in out and "not measured (ctgan not importable" in out
    assert not (tmp_path / "s.md").exists()


def test_speed_tabular_carries_the_ctgan_column_of_an_earlier_results_file(monkeypatch, tmp_path, capsys):
    speed = imported("speed_tabular", "bench_timing_")
    earlier = tmp_path / "earlier.md"
    earlier.write_text("# Tabular speed\n\n* Date: 2026-01-01 00:00 UTC; commit abc\n\n"
                       "| data | rows × features | CTGAN (s) |\n|---|---|---|\n"
                       "| demo (breast cancer, 30 malignant) | 387 × 30 | 14.8 |\n| synthetic | 1,000 × 10 | 10.0 |\n")
    assert speed.carried_ctgan(earlier) == {"387 × 30": 14.8, "1,000 × 10": 10.0,
                                            "_stamp": "Date: 2026-01-01 00:00 UTC; commit abc"}
    monkeypatch.setattr(speed, "run", lambda kind, n, d, n_iter, device, path=None: speed.worker(kind, n, d, 2, device))
    speed.main(["--quick", "--ctgan-from", str(earlier), "--out", str(tmp_path / "s.md")])
    out = capsys.readouterr().out
    assert "| 387 × 30 | " in out and " | 14.8 | " in out and "(2026-01-01 00:00 UTC; commit abc)" not in out
    assert "not re-run: the column is" in out and "Date: 2026-01-01 00:00 UTC; commit abc" in out
    assert "| 5,000 × 30 | " in out and "| – |" in out  # a shape the earlier file lacks: no figure
    earlier.write_text("| data | rows × features | CTGAN (s) |\n|---|---|---|\n| synthetic | 1,000 × 10 | – |\n")
    with pytest.raises(SystemExit, match="no CTGAN column"):
        speed.carried_ctgan(earlier)


def test_speed_tabular_worker_in_a_fresh_process():
    speed = imported("speed_tabular", "bench_timing_")
    out = speed.run("smote", 300, 4, 2, "cpu")
    assert out["rows"] == 300 and out["features"] == 4 and out["fit_s"] > 0 and out["maxrss_mb"] > 100
    rumi = speed.worker("rumi", 300, 4, 3, "cpu")
    assert rumi["iterations"] == 3 and rumi["warm_s"] > 0 and rumi["cold_s"] > 0


def test_speed_tabular_counts_one_iteration_of_matrix_products():
    """Per-iteration FLOPs: proportional to the batch (no setup cost counted), and at least the forward and
    backward products of one batch through both networks, counted by hand."""
    speed = imported("speed_tabular", "bench_timing_")
    X, y = speed.make_table(400, 10)
    params = dict(method="rumi", random_state=0, device="cpu", hidden_dims=(8,), latent_dim=4, pac=1)
    f16, f32 = (speed.step_flops(X, y, {**params, "batch_size": b})["flops_per_iter"] for b in (16, 32))
    assert f32 == 2 * f16
    g = 2 * (4 + 10) * 8 + 2 * 8 * 10  # generator f: (latent + anchor) -> 8 -> 10, one row forward
    d = 2 * 10 * 8 + 2 * 8 * 1  # discriminator: 10 -> 8 -> 1
    assert f16 >= 16 * 2 * (g + d)  # the generator's step alone: a forward and a backward of 16 rows


def test_mixed_scale_writes_the_rumi_row(in_process, tmp_path):
    scale = in_process(imported("mixed_scale", "bench_timing_"))
    out = tmp_path / "mixed.md"
    assert scale.main(["--rows", "2000", "--steps", "4", "--batch", "50", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    rumi = lines[lines.index("| " + " | ".join(scale.COLUMNS) + " |") + 2]  # CTGAN's row follows where installed
    assert rumi.startswith("| rumi | torch ") and "| 2000 | 50 | 4 | " in rumi


class FakeSampler:
    """GANOversampler's stand-in: rows that depend on the seed only."""

    def __init__(self, random_state=0, **params):
        self.random_state = random_state

    def fit_resample(self, X, y):
        return np.asarray(X) + self.random_state, y


def fake_compare(X, y, *args, n_jobs=None, **kwargs):
    return pd.DataFrame({"oversampler": ["ros", "ros"], "classifier": "logreg", "fold": 0,
                         "metric": ["gmean", "fit_time_s"], "value": [0.5, np.random.rand()]})


def test_parallel_eval_tables_and_the_missing_data_message(monkeypatch, tmp_path, capsys):
    pe = imported("parallel_eval", "bench_timing_")
    with pytest.raises(SystemExit, match="parallel_eval: "):
        pe.main(["--quick", "--data", str(tmp_path)])
    monkeypatch.setattr(pe, "GANOversampler", FakeSampler)
    monkeypatch.setattr(pe, "compare_oversamplers", fake_compare)
    monkeypatch.setattr(pe, "load_zenodo", lambda name, data: (np.zeros((60, 3)), np.r_[np.ones(6, int), [0] * 54]))
    assert pe.main(["--quick", "--dataset", "toy"]) == 0
    out = capsys.readouterr().out
    assert "## `compare_oversamplers`: toy (60 × 3, 6 minority rows)" in out
    assert out.count("| yes |") == 5 and "| n_jobs=2, cold (workers started) | " in out
    runs = [("a", 2.0, np.zeros(2)), ("b", 1.0, np.zeros(2)), ("c", 0.5, np.ones(2))]
    assert pe.speedups("rows", runs)[2:] == ["| a | 2.0 | 1.00 | 0.50 | — |", "| b | 1.0 | 2.00 | 1.00 | yes |",
                                             "| c | 0.5 | 4.00 | 2.00 | **no** |"]


def test_parallel_speedup_rows_per_backend_and_a_failed_backend(monkeypatch, tmp_path, capsys):
    ps = imported("parallel_speedup", "bench_timing_")
    monkeypatch.setattr(ps, "GANOversampler", FakeSampler)
    monkeypatch.setattr(ps, "compare_oversamplers", fake_compare)

    @contextlib.contextmanager
    def broken():
        raise ValueError("Backend <X object at 0x7f00> refused\nsecond line")
        yield

    monkeypatch.setattr(ps, "dask_backend", broken)
    out = tmp_path / "ps.md"
    assert ps.main(["--backends", "loky,dask", "--repeats", "1", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Speed-up of two workers: loky, Dask\n") and text.count("| loky, 2 workers | ") == 2
    assert text.count("| — | — | failed: `ValueError: Backend <X object> refused` |") == 2
    with pytest.raises(SystemExit):
        ps.main(["--quick", "--backends", "loky,spark"])
    assert "['spark'] unknown" in capsys.readouterr().err


def test_shared_timing_helpers():
    timing = imported("_timing", "bench_timing_")
    X, y = timing.make_table(200, 3)
    assert X.shape == (200, 3) and 0 < y.mean() < 0.2
    seconds, out = timing.timed(lambda: 7, 3)
    assert out == 7 and seconds >= 0


def test_shared_command_line_and_results_head(tmp_path, capsys):
    timing = imported("_timing", "bench_timing_")
    args = timing.parser("doc", tmp_path / "r.md").parse_args(["--quick"])
    assert args.quick and args.out == tmp_path / "r.md"
    assert not hasattr(timing.parser("doc").parse_args([]), "out")
    lines = timing.head("Title", "x.py", ["--quick"], "* note", load_start=(1, 2, 3))
    assert lines[:3] == ["# Title", "", "* Command: `python benchmarks/x.py --quick`"]
    assert lines[-2:] == ["* note", ""] and "at the start" in lines[-3]
    timing.print_or_write(["# r", "a"], tmp_path / "r.md", quick=True)
    assert capsys.readouterr().out == "# r\na\n" and not (tmp_path / "r.md").exists()
    timing.print_or_write(["# r", "a"], tmp_path / "r.md", quick=False, data={"k": 1}, echo=True)
    assert (tmp_path / "r.md").read_text() == "# r\na\n" and (tmp_path / "r.json").is_file()
    assert capsys.readouterr().out == f"# r\na\nwrote {tmp_path / 'r.md'}\n"


def test_draw_memory_quick_prints_every_case_beside_its_estimate(monkeypatch, tmp_path, capsys):
    draw = imported("draw_memory", "bench_timing_")
    threads = torch.get_num_threads()
    try:  # each case measured here, on 300 rows, instead of in a fresh process
        monkeypatch.setattr(draw, "in_fresh_process", lambda cmd, what, **env: draw.measure(cmd[-2], 300))
        assert draw.main(["--quick", "--out", str(tmp_path / "d.md")]) == 0
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert not (tmp_path / "d.md").exists()
    assert "| `array`: NumPy float32, 20 columns, no row filter | 300 | 20 | 20 | " in out
    assert "| `objects`: DataFrame: 5 float columns, 5 text columns of 10 levels | 300 | 55 | 10 | " in out
    assert "| `images`: 28 × 28 uint8 images | 300 | 784 | 784 | " in out and "| 29,792 | " in out
