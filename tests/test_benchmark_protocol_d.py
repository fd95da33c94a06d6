"""benchmarks/protocol_d.py (protocol D, the minority-digit experiment) in its --quick mode (its data split and
scores: tests/test_evaluation_minority_digits.py)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from .benchmark_scripts import loaded

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "protocol_d.py"
DATA = Path(os.environ.get("MINORITY_GEN_DATA") or REPO.parent / "shared" / "data") / "mnist_test.npz"


@pytest.fixture(scope="module")
def protocol_d():
    yield from loaded("protocol_d")


def test_verdict_needs_rumi_lowest_and_95_percent_fidelity(protocol_d):
    rec = lambda fd, fid: [{"metrics": {"fd": fd, "fidelity": fid}}]  # noqa: E731
    assert "**met**" in protocol_d.verdict({"rumi": rec(1.0, 0.96), "lsgan": rec(2.0, 1.0), "real": rec(0.1, 1)})
    assert "**missed**" in protocol_d.verdict({"rumi": rec(1.0, 0.90), "lsgan": rec(2.0, 1.0)})
    assert "**missed**" in protocol_d.verdict({"rumi": rec(3.0, 1.0), "lsgan": rec(2.0, 1.0)})


@pytest.mark.skipif(not DATA.is_file(), reason=f"shared data not present: {DATA}")
def test_quick_run_scores_every_method_and_writes_report_grid_and_cache(protocol_d, tmp_path, capsys):
    out = tmp_path / "quick"
    args = ["--quick", "--out", str(out), "--configs", "digit5", "--methods", "rumi", "acgan"]
    assert protocol_d.main(args) == 0
    recs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert sorted(r["name"] for r in recs) == ["acgan", "real", "rumi", "smote"]
    for r in recs:
        m = r["metrics"]
        assert math.isfinite(m["fd"]) and m["fd"] >= 0 and 0 <= m["fidelity"] <= 1
        assert m["n"] == (20 if r["name"] == "real" else 64)
    assert recs[0]["settings"]["gan"] == {"n_iter": 2, "hidden_dims": [8], "batch_size": 16, "n_critic": 1,
                                          "device": "cpu", "ema": 0.99}
    text = (out / "results.md").read_text()
    assert "## digit5 (positive digits 5)" in text and "| rumi | 0 |" in text and "| 118.93 |" in text
    assert "Target (rumi lowest FD with ≥ 95 % fidelity)" in text and "protocol_d.py --quick" in text
    from minority_gen._version import OUTPUT_VERSION

    assert f"output version {OUTPUT_VERSION}" in text and "* Machine: " in text  # the shared results stamp
    assert all(r["command"].endswith("--methods rumi acgan") and "commit" in r for r in recs)
    assert (out / "grid_digit5.png").stat().st_size > 0 and (out / "results.png").is_file()
    kept = {r["key"] for r in recs if r["name"] != "real"}
    assert {p.stem for p in (out / "images").glob("*.npy")} == kept
    assert all(np.load(out / "images" / f"{k}.npy").shape == (10, 28, 28) for k in kept)
    (out / "grid_digit5.png").unlink()
    capsys.readouterr()
    assert protocol_d.main(args) == 0  # every cell cached: nothing re-run, the grid drawn from the kept images
    assert (out / "grid_digit5.png").stat().st_size > 0
    assert len((out / "runs.jsonl").read_text().splitlines()) == 4 and "rumi seed" not in capsys.readouterr().out
    with (out / "runs.jsonl").open("a") as f:  # a write cut short by a kill: skipped with a warning, and the
        f.write('{"key": "cut sh')  # finished cells are still read back, not run again
    with pytest.warns(RuntimeWarning, match="not JSON"):
        assert protocol_d.main(args) == 0
        assert len(protocol_d.read_store(out / "runs.jsonl")) == 4
    assert "rumi seed" not in capsys.readouterr().out


def test_the_judge_trains_on_one_thread_and_other_thread_counts_are_cells_of_their_own(protocol_d, monkeypatch,
                                                                                        tmp_path):
    """The judge's features are the yardstick of every FD: it trains on one thread whatever ``--threads`` (so a
    ``--report`` or a run at 2 threads scores with the same network); GAN cells at other thread counts get keys of
    their own, and cells at 1 thread keep the keys made before the option entered the settings."""
    import torch

    from minority_gen.evaluation import SmallCNNFeatures

    seen = []

    def fit(self, X, y):
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop after the judge")

    monkeypatch.setattr(SmallCNNFeatures, "fit", fit)
    before = torch.get_num_threads()
    try:
        if DATA.is_file():
            with pytest.raises(RuntimeError, match="stop after the judge"):
                protocol_d.main(["--quick", "--threads", "2", "--out", str(tmp_path)])
            assert seen == [1]
    finally:
        torch.set_num_threads(before)
    one, two = protocol_d.parse(["--quick"]), protocol_d.parse(["--quick", "--threads", "2"])
    assert "threads" not in protocol_d.settings(one, "rumi")
    assert protocol_d.settings(two, "rumi")["threads"] == 2 and "threads" not in protocol_d.settings(two, "real")


def test_pac_enters_the_settings_only_when_given(protocol_d):
    """--pac reaches every GAN's settings (so its cells are cached apart); without it earlier cells keep their keys."""
    assert "pac" not in protocol_d.gan_params(protocol_d.parse(["--quick"]))
    assert protocol_d.gan_params(protocol_d.parse(["--quick", "--pac", "4"]))["pac"] == 4


def test_anchor_enters_the_settings_and_resolves_the_methods_options_for_anchored_images(protocol_d):
    """--anchor smote reaches every GAN's settings (its cells cached apart; without it earlier cells keep their
    keys) and the methods' "auto" options resolve as anchored images train them (rumi's beta_neg 0.01), so the
    anchored rumi is reported as plain ``rumi``, not as a variant."""
    plain, anchored = protocol_d.parse(["--quick"]), protocol_d.parse(["--quick", "--anchor", "smote"])
    assert "anchor" not in protocol_d.gan_params(plain)
    assert protocol_d.gan_params(anchored)["anchor"] == "smote"
    assert protocol_d.gan_params(anchored, "rumi")["method_params"]["beta_neg"] == 0.01
    assert protocol_d.gan_params(plain, "rumi")["method_params"]["beta_neg"] == 0.1
    record = dict(name="rumi", settings=protocol_d.settings(anchored, "rumi"))
    assert protocol_d.label(record) == "rumi"
    tuned = protocol_d.parse(["--quick", "--anchor", "smote", "--method-param", "rumi:beta_neg=0.1"])
    assert protocol_d.label(dict(name="rumi", settings=protocol_d.settings(tuned, "rumi"))) == "rumi (beta_neg=0.1)"


def test_method_params_are_written_out_and_method_param_changes_one_method(protocol_d, capsys):
    """Each GAN cell's settings hold its method's options in full (so a changed default makes new cells);
    ``--method-param`` changes one method's, and a bad one is refused when the options are parsed."""
    from minority_gen.evaluation.store import short_key
    from minority_gen.methods import resolved_params

    rumi = resolved_params("rumi", images=True)  # "auto" options as they train on images
    assert rumi["beta_neg"] == 0.1
    plain = protocol_d.parse(["--quick"])
    assert protocol_d.gan_params(plain, "rumi")["method_params"] == rumi
    assert "method_params" not in protocol_d.gan_params(plain, "real")
    args = protocol_d.parse(["--quick", "--method-param", "rumi:d_schedule=joint", "--method-param", "rumi:c=2"])
    assert protocol_d.gan_params(args, "rumi")["method_params"] == {**rumi, "d_schedule": "joint", "c": 2}
    explicit = protocol_d.parse(["--quick", "--method-param", "rumi:beta_neg=0.1"])
    key = lambda a: short_key("digit5", "rumi", 0, protocol_d.settings(a, "rumi"))  # the cell's key, as main's
    assert key(explicit) == key(plain)  # the default written out is the same cell
    assert protocol_d.gan_params(args, "lsgan") == protocol_d.gan_params(plain, "lsgan")
    assert key(args) != key(plain)
    assert protocol_d.parse(["--quick", "--method-param", "rumi:beta_neg=1"]).method_params == {"rumi": {
        "beta_neg": 1.0}}  # an integer for a float option is the same cell as the float
    for bad, message in ((["--method-param", "rumi:d_schedule=bad"], "d_schedule must be"),
                         (["--methods", "rumi", "--method-param", "acgan:lambda_cls=2"], "not among --methods"),
                         (["--method-param", "rumi:lambda_cls=2"], "does not take"),
                         (["--method-param", "rumi"], "method:name=value")):
        with pytest.raises(SystemExit):
            protocol_d.parse(["--quick", *bad])
        assert message in capsys.readouterr().err


def test_report_keeps_other_method_options_as_labelled_rows_and_averages_the_digits(protocol_d):
    """Cells of another ``--method-param`` are reported beside the defaults as ``rumi (beta_neg=1.0)``; cells of
    other shared settings are not; the target and the paper's ordering read the default rows only; the
    digit average covers the rows present in every digit."""
    args = protocol_d.parse(["--quick"])
    paper = protocol_d.parse(["--quick", "--method-param", "rumi:beta_neg=1"])
    longer = protocol_d.parse(["--quick", "--n-iter", "5"])

    def cell(config, name, a, fd, fidelity=1.0):
        return dict(config=config, name=name, seed=0, settings=protocol_d.settings(a, name),
                    metrics=dict(fd=fd, fidelity=fidelity, recall=0.5))

    records = [cell(c, "rumi", args, 10.0 + i) for i, c in enumerate(("digit1", "digit2"))] + [
        cell(c, "rumi", paper, 1.0) for c in ("digit1", "digit2")] + [
        cell(c, "lsgan", args, 20.0) for c in ("digit1", "digit2")] + [
        cell("digit1", "acgan", args, 5.0), cell("digit1", "lsgan", longer, 0.1)]
    rows = protocol_d.reported(args, records)
    assert sorted(r["label"] for r in rows if r["config"] == "digit1") == ["acgan", "lsgan", "rumi",
                                                                          "rumi (beta_neg=1.0)"]
    groups = protocol_d.grouped(rows)
    assert groups["digit1"]["lsgan"][0]["metrics"]["fd"] == 20.0  # the 5-iteration cell is not this run's
    verdict = protocol_d.verdict(groups["digit1"])
    assert "`acgan` (5.0)" in verdict and "rumi FD 10.0" in verdict  # the beta_neg=1 row (FD 1) is not rumi
    text = "\n".join(protocol_d.digit_average(groups))
    assert "Averaged over 2 digits (digit1, digit2)" in text and "acgan" not in text
    assert "| rumi | 10.5 |" in text and "| rumi (beta_neg=1.0) | 1.0 |" in text
    assert "lowest FD among GANs: `rumi` (10.5)" in text and "**met**" in text
    assert protocol_d.digit_average({"digit1": groups["digit1"]}) == []


def test_missing_mnist_file_exits_saying_where_to_get_it(protocol_d, tmp_path):
    with pytest.raises(SystemExit, match="mnist_test.npz not found. It is the official MNIST test set"):
        protocol_d.main(["--quick", "--data", str(tmp_path), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not DATA.is_file(), reason=f"shared data not present: {DATA}")
def test_checkpoints_score_the_fit_as_it_was_and_the_last_one_is_the_fit(protocol_d, tmp_path):
    out = tmp_path / "ckpt"
    args = ["--quick", "--n-iter", "4", "--checkpoints", "2", "--out", str(out), "--configs", "digit5",
            "--methods", "rumi"]
    assert protocol_d.main(args) == 0
    recs = {r["name"]: r for r in protocol_d.read_store(out / "runs.jsonl")}
    rumi = recs["rumi"]
    assert rumi["settings"]["checkpoints"] == 2 and "checkpoints" not in recs["smote"]["settings"]
    steps = rumi["metrics"]["by_iteration"]
    assert sorted(steps) == ["2", "4"]
    assert steps["4"] == {k: rumi["metrics"][k] for k in steps["4"]}  # the last snapshot is the fitted generator
    assert steps["2"]["fd"] != steps["4"]["fd"]
    text = (out / "results.md").read_text()
    assert "FD by training length" in text and "| 2 it. | 4 it. |" in text
    assert "lowest FD at each checkpoint: 2: `rumi`, 4: `rumi`" in text
    (out / "results.md").unlink()
    assert protocol_d.main([*args, "--methods", "rumi", "acgan", "--report"]) == 0  # acgan's cell not computed
    assert len(protocol_d.read_store(out / "runs.jsonl")) == 3 and "FD by training length" in (
        out / "results.md").read_text()
