"""benchmarks/protocol_i.py (protocol I, BreastMNIST) end to end in its --quick mode; its cache and its errors."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from minority_gen.evaluation import images

from .benchmark_scripts import loaded

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "protocol_i.py"
DATA = Path(os.environ.get("MINORITY_GEN_DATA") or REPO.parent / "shared" / "data") / "breastmnist.npz"
CONDITIONS = ["none", "ros", "augmentation", "rumi", "projection", "rumi+augmentation", "projection+augmentation"]


@pytest.fixture(scope="module")
def protocol_i():
    yield from loaded("protocol_i")


RUMI_DEFAULTS = {"a": 0.0, "b_neg": -1.0, "b_pos": 2.0, "beta_neg": 0.1, "beta_pos": 1.0, "c": 1.5,
                 "d_schedule": "split"}


@pytest.mark.skipif(not DATA.is_file(), reason=f"shared data not present: {DATA}")
def test_quick_run_writes_every_cell_report_plot_and_grids(protocol_i, tmp_path, capsys, monkeypatch):
    out = tmp_path / "quick"
    assert protocol_i.main(["--quick", "--out", str(out), "--methods", "rumi", "projection"]) == 0
    recs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert sorted((r["scenario"], r["condition"]) for r in recs) == sorted(
        (s, c) for s in ("full", "severe30") for c in CONDITIONS)
    for r in recs:
        m = r["metrics"]
        assert all(0 <= m[k] <= 1 and math.isfinite(m[k]) for k in ("test_auc", "test_accuracy",
                                                                       "test_balanced_accuracy", "val_auc"))
        assert 1 <= m["best_epoch"] <= 2 and len(m["val_curve"]) == 2
        assert m["val_auc"] == pytest.approx(max(m["val_curve"]), abs=1e-4)
        n_benign, n_malignant = m["n_train"]["1"], m["n_train"]["0"]
        assert n_malignant == (m["n_real_minority"] if r["condition"] == "none" else n_benign)
        assert sum(m["new_minority"].values()) == n_malignant - m["n_real_minority"]
        assert m["n_real_minority"] == (10 if r["scenario"] == "severe30" else 24)
        assert (r["gan_params"] is None) == (r["condition"] in ("none", "ros", "augmentation"))
    both = next(r for r in recs if r["condition"] == "rumi+augmentation" and r["scenario"] == "severe30")
    assert both["metrics"]["new_minority"] == {"gan": 28, "augmented": 28}  # 66 benign − 10 malignant, halved
    assert both["gan_params"] == {"method": "rumi", "n_iter": 2, "hidden_dims": [8], "device": "cpu",
                                  "batch_size": 16, "ema": 0.99, "method_params": RUMI_DEFAULTS}
    text = (out / "results.md").read_text()
    assert ("| scenario | condition | GAN iterations | seeds | test ROC AUC | average precision | accuracy | "
            "balanced accuracy |") in text
    assert "| severe30 | projection+augmentation | 2 | 0 | " in text
    assert "| ResNet-18 (28) | 0.901 | 0.863 |" in text and "| Google AutoML Vision | 0.919 | 0.861 |" in text
    assert "protocol_i.py --quick" in text and "torch 2" in text and "CPU cores" in text
    assert "(three blocks of two 3×3 convolutions with batch norm" in text  # the default CNN
    shown = json.loads((out / "results.json").read_text())
    assert len(shown) == 14 and not any("test_proba_minority" in r["metrics"] for r in shown)
    assert all("test_proba_minority" in r["metrics"] for r in recs)  # kept in the store
    for name in ("results.png", "grid_rumi_full_2it.png", "grid_projection_severe30_2it.png"):
        assert (out / name).stat().st_size > 0
    printed = capsys.readouterr().out
    assert "14 cell(s) to run" in printed and "[14/14] severe30 projection+augmentation seed 0" in printed

    assert protocol_i.main(["--quick", "--out", str(out), "--methods", "rumi", "--conditions", "none", "gan"]) == 0
    assert "0 cell(s) to run, 4 cached" in capsys.readouterr().out

    # GAN cells are keyed by the package's output version: at another one they run again, the baselines do not
    assert {r["output_version"] for r in recs if r["gan_params"]} == {images.output_version("rumi")}
    assert not any("output_version" in r for r in recs if not r["gan_params"])
    monkeypatch.setattr("minority_gen._version.OUTPUT_VERSION", "0123456789abcdef")
    assert protocol_i.main(["--quick", "--out", str(out), "--methods", "rumi", "--conditions", "none", "gan"]) == 0
    assert "2 cell(s) to run, 2 cached" in capsys.readouterr().out
    text = (out / "results.md").read_text()
    assert "read back only at its own): 0123456789abcdef: 2 cell(s); " in text  # the latest cells are shown


@pytest.mark.parametrize("store", sorted((REPO / "benchmarks" / "results").glob("protocol_i*/runs.jsonl")),
                         ids=lambda p: p.parent.name)
def test_committed_cells_keep_their_keys(protocol_i, store):
    """Every committed cell's key is what ``cell_key`` makes of its record (with its output version where it has
    one), so a re-run reads back exactly the cells of its settings and version."""
    for line in store.read_text().splitlines():
        r = json.loads(line)
        assert images.cell_key(r["scenario"], r["condition"], r["seed"], r["cnn_params"], r["gan_params"],
                                   r["quick"], r.get("output_version")) == r["key"], line[:120]


def test_missing_data_and_unknown_conditions_are_refused_before_work(protocol_i, tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="(?s)nowhere.*breastmnist.npz not found.*medmnist.com.*MINORITY_GEN_DATA"):
        protocol_i.main(["--quick", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    monkeypatch.setenv("MINORITY_GEN_DATA", str(tmp_path / "elsewhere"))
    with pytest.raises(SystemExit, match="elsewhere"):
        protocol_i.main(["--quick", "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()
    if DATA.is_file():
        monkeypatch.setenv("MINORITY_GEN_DATA", str(DATA.parent))
        with pytest.raises(SystemExit, match=r"unknown condition\(s\) \['nogan'\]"):
            protocol_i.main(["--quick", "--conditions", "nogan", "--out", str(tmp_path / "o")])


def test_gan_param_reads_json_values_and_names_them_in_the_table(protocol_i):
    args = protocol_i.parse(["--gan-param", "ema=0.9", "--gan-param", "diffaugment=null",
                             "--gan-param", "spectral_norm=true"])
    assert args.gan_param == {"ema": 0.9, "diffaugment": None, "spectral_norm": True}
    gan = protocol_i.gan_params(args, "rumi")
    assert gan["ema"] == 0.9 and gan["diffaugment"] is None and gan["method"] == "rumi"
    assert protocol_i.settings_label({**gan, "hidden_dims": [32]}) == \
        ' (width 32, diffaugment=null, ema=0.9, spectral_norm=true)'
    assert protocol_i.settings_label({"method": "rumi", "n_iter": 3, "hidden_dims": [16], "device": "cpu"}) == ""
    with pytest.raises(SystemExit, match="not a GANOversampler parameter"):
        protocol_i.check_gan_params({"n_epochs": 3})
    with pytest.raises(SystemExit):
        protocol_i.parse(["--gan-param", "ema"])


def test_cells_record_the_resolved_image_defaults(protocol_i):
    """A cell's settings (its cache key) hold the image default of ``ema``; the label shows only departures."""
    from minority_gen.settings import AUTO_IMAGE_EMA

    gan = protocol_i.gan_params(protocol_i.parse([]), "rumi")
    assert gan["ema"] == AUTO_IMAGE_EMA
    assert protocol_i.settings_label(gan) == ""
    assert protocol_i.settings_label({**gan, "ema": None}) == " (ema=null)"


def test_anchored_cells_resolve_the_methods_options_for_anchored_images(protocol_i):
    """``--gan-param anchor="smote"``: rumi's "auto" beta_neg resolves as anchored images train it (0.01), so an
    explicit 0.01 is the same cell and the label names the anchor alone."""
    anchored = protocol_i.gan_params(protocol_i.parse(["--gan-param", 'anchor="smote"']), "rumi")
    assert anchored["method_params"]["beta_neg"] == 0.01 and anchored["anchor"] == "smote"
    explicit = protocol_i.gan_params(protocol_i.parse(["--gan-param", 'anchor="smote"', "--gan-param",
                                                     'method_params={"beta_neg": 0.01}']), "rumi")
    assert explicit == anchored
    assert protocol_i.settings_label(anchored) == ' (anchor="smote")'
    assert protocol_i.gan_params(protocol_i.parse([]), "rumi")["method_params"]["beta_neg"] == 0.1


def test_cells_record_the_methods_own_options_and_refuse_ones_a_method_lacks(protocol_i, tmp_path, monkeypatch):
    """``method_params`` is written out in full (a later change of a method's default makes new cells); the label
    names only the options changed; an option one of the methods does not take stops the run before training."""
    from minority_gen.methods import resolved_params

    plain = protocol_i.gan_params(protocol_i.parse([]), "rumi")
    assert plain["method_params"] == resolved_params("rumi", images=True)
    args = protocol_i.parse(["--gan-param", 'method_params={"d_schedule": "joint"}'])
    joint = protocol_i.gan_params(args, "rumi")
    assert joint["method_params"] == {**plain["method_params"], "d_schedule": "joint"}
    assert protocol_i.settings_label(joint) == ' (d_schedule="joint")'
    key = lambda gan: images.cell_key("severe30", "rumi", 0, {}, gan, False)  # noqa: E731
    assert key(joint) != key(plain)
    if DATA.is_file():
        monkeypatch.setenv("MINORITY_GEN_DATA", str(DATA.parent))
        with pytest.raises(SystemExit, match="method_params.*'acgan' does not take"):
            protocol_i.main(["--quick", "--conditions", "gan", "--methods", "rumi", "acgan", "--gan-param",
                             'method_params={"d_schedule": "joint"}', "--out", str(tmp_path / "o")])
        assert not (tmp_path / "o").exists()


@pytest.mark.skipif(not DATA.is_file(), reason=f"shared data not present: {DATA}")
def test_gan_samples_are_cached_on_disk_and_reused_by_cells_with_another_cnn(protocol_i, tmp_path, monkeypatch):
    """Cells with another CNN draw the GAN's images from the sample cache instead of refitting it; the cached
    images are those a fresh fit gives, and a change of GAN settings makes a new cache entry."""
    out = tmp_path / "q"
    base = ["--quick", "--out", str(out), "--scenarios", "severe30", "--methods", "rumi", "--conditions", "gan"]
    assert protocol_i.main(base) == 0
    files = sorted((out / "gan_samples").glob("*.npz"))
    assert [f.name[:len("severe30_rumi_seed0_")] for f in files] == ["severe30_rumi_seed0_"]
    with np.load(files[0]) as f:
        cached = f["images"]
    fits = []
    real_fit = images.GANSampleCache.fit_and_draw

    def counting(params, *a, **k):
        fits.append(params["method"])
        return real_fit(params, *a, **k)

    monkeypatch.setattr(images.GANSampleCache, "fit_and_draw", staticmethod(counting))
    assert protocol_i.main([*base, "--width", "3"]) == 0  # another CNN: a new cell, the same GAN images
    assert fits == []
    recs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [r["cnn_params"]["width"] for r in recs] == [4, 3]
    assert recs[0]["metrics"]["gan_s"] == recs[1]["metrics"]["gan_s"]
    args = protocol_i.parse(base)
    gans = images.GANSampleCache(tmp_path / "fresh", tag=True)
    X, y = protocol_i.scenario_train(*protocol_i.load_splits(DATA.parent, args.train_fraction)["train"], "severe30",
                                     args.severe_n)
    drawn, _ = gans.draw("severe30", protocol_i.gan_params(args, "rumi"), 0, X, y, len(cached), 0)
    np.testing.assert_array_equal(drawn, cached)  # the cache holds what a fit draws (seeded, CPU)
    assert fits == ["rumi"]
    assert protocol_i.main([*base, "--gan-param", "ema=0.5"]) == 0
    assert len(list((out / "gan_samples").glob("*.npz"))) == 2 and fits == ["rumi", "rumi"]


def test_cnn_presets_and_params_name_the_cells_network(protocol_i):
    """The plain CNN's cells keep the settings (and so the keys) they had before the presets; --cnn strong and
    --cnn-param add only what departs from CNNClassifier's defaults; the report names the network."""
    plain = protocol_i.cnn_params(protocol_i.parse(["--cnn", "plain"]))
    assert plain == {"epochs": 60, "width": 32, "device": "cpu"}
    strong = protocol_i.cnn_params(protocol_i.parse([]))  # the default since 2026-12-06
    assert strong == {**plain, "augment": True, "batch_norm": True, "blocks": 3, "convs_per_block": 2}
    no_aug = protocol_i.cnn_params(protocol_i.parse(["--cnn-param", "augment=false"]))
    assert "augment" not in no_aug and no_aug["blocks"] == 3
    key = lambda cnn: images.cell_key("full", "none", 0, cnn, None, False)  # noqa: E731
    assert len({key(plain), key(strong), key(no_aug)}) == 3
    from minority_gen.evaluation import CNNClassifier

    assert CNNClassifier(**plain).describe() == "two blocks of one 3×3 convolution, dense 128, Adam 0.001, batch 64"
    assert CNNClassifier(**strong).describe() == ("three blocks of two 3×3 convolutions with batch norm, dense 128, "
                                                  "Adam 0.001, batch 64, training batches mirrored left-right and "
                                                  "shifted by up to 2 pixels")
    with pytest.raises(SystemExit, match="--cnn-param epochs is not a CNNClassifier parameter this script leaves"):
        protocol_i.check_cnn_params({"epochs": 3})
    with pytest.raises(SystemExit, match="--cnn-param: .*'blocks' parameter"):
        protocol_i.check_cnn_params({"blocks": 0})


def test_report_writes_from_the_store_without_data_or_computing(protocol_i, tmp_path, monkeypatch, capsys):
    """``--report`` needs neither the data nor a fit: the committed padding store gives its report back with the
    same tables (the committed report was written so)."""
    import shutil

    committed = REPO / "benchmarks" / "results" / "protocol_i_padding"
    out = tmp_path / "pad"
    shutil.copytree(committed, out)
    (out / "results.md").unlink()
    monkeypatch.setenv("MINORITY_GEN_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setattr(images, "image_cell", lambda *a, **k: pytest.fail("--report computed a cell"))
    assert protocol_i.main(["--report", "--out", str(out)]) == 0
    assert "nothing computed" in capsys.readouterr().out
    def tables(path):  # the header's machine line is this machine's
        return [line for line in path.read_text().splitlines() if line.startswith("|")]

    assert tables(out / "results.md") == tables(committed / "results.md") and len(tables(out / "results.md")) > 10
    with pytest.raises(SystemExit, match="--report: no store"):
        protocol_i.main(["--report", "--out", str(tmp_path / "empty")])


@pytest.mark.skipif(not DATA.is_file(), reason=f"shared data not present: {DATA}")
def test_quick_run_with_the_plain_cnn_writes_its_own_report(protocol_i, tmp_path):
    out = tmp_path / "s"
    assert protocol_i.main(["--quick", "--out", str(out), "--cnn", "plain", "--conditions", "none",
                            "--report-name", "plain"]) == 0
    text = (out / "plain.md").read_text()
    assert "(two blocks of one 3×3 convolution, dense 128" in text and "(plain.png)" in text
    assert (out / "plain.png").is_file() and len(json.loads((out / "plain.json").read_text())) == 2
    assert not (out / "results.md").exists()


def test_paired_section_names_the_gan_condition_chosen_on_validation(protocol_i):
    def rec(condition, seed, auc, val_auc):
        gan = {"method": condition.removesuffix("+augmentation"), "n_iter": 5, "hidden_dims": [16]}
        return dict(scenario="severe30", condition=condition, seed=seed, quick=False,
                    gan_params=gan if condition != "augmentation" else None,
                    metrics=dict(test_auc=auc, test_average_precision=auc, test_balanced_accuracy=auc,
                                 val_auc=val_auc))

    recs = [rec("augmentation", s, 0.8, 0.9) for s in range(5)] + [rec("rumi", s, 0.81, 0.93) for s in range(5)]
    recs += [rec("rumi+augmentation", s, 0.82, 0.95) for s in range(5)]
    section = "\n".join(protocol_i.paired_section(protocol_i.groups(recs)))
    assert "GAN condition chosen on the validation split" in section and "**rumi+augmentation** (0.950)" in section
    assert "| severe30 | rumi | augmentation | 5 |" in section
    assert protocol_i.paired_section(protocol_i.groups(recs[:5])) == []


def test_gan_conditions_expand_per_method(protocol_i):
    assert protocol_i.conditions_of(["gan+ros"], ["rumi", "acgan"]) == ["rumi+ros", "acgan+ros"]
    assert protocol_i.conditions_of(["none", "gan", "gan+augmentation"], ["rumi"]) == [
        "none", "rumi", "rumi+augmentation"]


@pytest.mark.skipif(not DATA.is_file(), reason=f"shared data not present: {DATA}")
def test_cells_recorded_before_a_metric_existed_run_again(protocol_i, tmp_path, capsys):
    """A stored cell without average precision (older code) runs again; the new record has it and the test
    probabilities, and the report keeps the latest record of each seed."""
    out = tmp_path / "m"
    base = ["--quick", "--out", str(out), "--scenarios", "severe30", "--conditions", "none", "ros"]
    assert protocol_i.main(base) == 0
    lines = (out / "runs.jsonl").read_text().splitlines()
    old = json.loads(lines[0])
    assert 0 <= old["metrics"]["test_average_precision"] <= 1 and len(old["metrics"]["test_proba_minority"]) > 0
    del old["metrics"]["test_average_precision"]
    (out / "runs.jsonl").write_text("\n".join([json.dumps(old), lines[1]]) + "\n")
    capsys.readouterr()
    assert protocol_i.main(base) == 0
    assert "1 cell(s) to run, 1 cached" in capsys.readouterr().out
    recs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert len(recs) == 3 and "test_average_precision" in recs[2]["metrics"] and recs[2]["key"] == old["key"]
    assert recs[2]["metrics"]["test_auc"] == old["metrics"]["test_auc"]  # the same seed gives the same CNN
