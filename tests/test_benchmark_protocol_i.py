"""benchmarks/protocol_i.py (protocol I, BreastMNIST) end to end in its --quick mode; its cache and its errors."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

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
def test_quick_run_writes_every_cell_report_plot_and_grids(protocol_i, tmp_path, capsys):
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
        assert n_malignant == (m["n_real_malignant"] if r["condition"] == "none" else n_benign)
        assert sum(m["new_malignant"].values()) == n_malignant - m["n_real_malignant"]
        assert m["n_real_malignant"] == (10 if r["scenario"] == "severe30" else 24)
        assert (r["gan_params"] is None) == (r["condition"] in ("none", "ros", "augmentation"))
    both = next(r for r in recs if r["condition"] == "rumi+augmentation" and r["scenario"] == "severe30")
    assert both["metrics"]["new_malignant"] == {"gan": 28, "augmented": 28}  # 66 benign − 10 malignant, halved
    assert both["gan_params"] == {"method": "rumi", "n_iter": 2, "hidden_dims": [8], "device": "cpu",
                                  "batch_size": 16, "ema": 0.99, "method_params": RUMI_DEFAULTS}
    text = (out / "results.md").read_text()
    assert "| scenario | condition | GAN iterations | seeds | test ROC AUC | accuracy | balanced accuracy |" in text
    assert "| severe30 | projection+augmentation | 2 | 0 | " in text
    assert "| ResNet-18 (28) | 0.901 | 0.863 |" in text and "| Google AutoML Vision | 0.919 | 0.861 |" in text
    assert "protocol_i.py --quick" in text and "torch 2" in text and "CPU cores" in text
    assert "(three blocks of two 3×3 convolutions with batch norm" in text  # the default CNN
    assert len(json.loads((out / "results.json").read_text())) == 14
    for name in ("results.png", "grid_rumi_full_2it.png", "grid_projection_severe30_2it.png"):
        assert (out / name).stat().st_size > 0
    printed = capsys.readouterr().out
    assert "14 cell(s) to run" in printed and "[14/14] severe30 projection+augmentation seed 0" in printed

    assert protocol_i.main(["--quick", "--out", str(out), "--methods", "rumi", "--conditions", "none", "gan"]) == 0
    assert "0 cell(s) to run, 4 cached" in capsys.readouterr().out


def test_missing_data_and_unknown_conditions_are_refused_before_work(protocol_i, tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="nowhere.*breastmnist.npz not found.*--data or MINORITY_GEN_DATA"):
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
    gan = protocol_i.GANCache(args).params("rumi")
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

    gan = protocol_i.GANCache(protocol_i.parse([])).params("rumi")
    assert gan["ema"] == AUTO_IMAGE_EMA
    assert protocol_i.settings_label(gan) == ""
    assert protocol_i.settings_label({**gan, "ema": None}) == " (ema=null)"


def test_anchored_cells_resolve_the_methods_options_for_anchored_images(protocol_i):
    """``--gan-param anchor="smote"``: rumi's "auto" beta_neg resolves as anchored images train it (0.01), so an
    explicit 0.01 is the same cell and the label names the anchor alone."""
    anchored = protocol_i.GANCache(protocol_i.parse(["--gan-param", 'anchor="smote"'])).params("rumi")
    assert anchored["method_params"]["beta_neg"] == 0.01 and anchored["anchor"] == "smote"
    explicit = protocol_i.GANCache(protocol_i.parse(["--gan-param", 'anchor="smote"', "--gan-param",
                                                     'method_params={"beta_neg": 0.01}'])).params("rumi")
    assert explicit == anchored
    assert protocol_i.settings_label(anchored) == ' (anchor="smote")'
    assert protocol_i.GANCache(protocol_i.parse([])).params("rumi")["method_params"]["beta_neg"] == 0.1


def test_cells_record_the_methods_own_options_and_refuse_ones_a_method_lacks(protocol_i, tmp_path, monkeypatch):
    """``method_params`` is written out in full (a later change of a method's default makes new cells); the label
    names only the options changed; an option one of the methods does not take stops the run before training."""
    from minority_gen.methods import resolved_params

    plain = protocol_i.GANCache(protocol_i.parse([])).params("rumi")
    assert plain["method_params"] == resolved_params("rumi", images=True)
    args = protocol_i.parse(["--gan-param", 'method_params={"d_schedule": "joint"}'])
    joint = protocol_i.GANCache(args).params("rumi")
    assert joint["method_params"] == {**plain["method_params"], "d_schedule": "joint"}
    assert protocol_i.settings_label(joint) == ' (d_schedule="joint")'
    key = lambda gan: protocol_i.cell_key("severe30", "rumi", 0, {}, gan, False)  # noqa: E731
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
    real_fit = protocol_i.GANCache.fit_and_draw

    def counting(self, *a, **k):
        fits.append(a[0])
        return real_fit(self, *a, **k)

    monkeypatch.setattr(protocol_i.GANCache, "fit_and_draw", counting)
    assert protocol_i.main([*base, "--width", "3"]) == 0  # another CNN: a new cell, the same GAN images
    assert fits == []
    recs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [r["cnn_params"]["width"] for r in recs] == [4, 3]
    assert recs[0]["metrics"]["gan_s"] == recs[1]["metrics"]["gan_s"]
    args = protocol_i.parse(base)
    args.gan_cache = tmp_path / "fresh"
    gans = protocol_i.GANCache(args)
    X, y = protocol_i.scenario_train(*protocol_i.load_splits(DATA, args.train_fraction)["train"], "severe30",
                                     args.severe_n)
    images, _ = gans.draw("severe30", "rumi", 0, X, y, len(cached), None)
    np.testing.assert_array_equal(images, cached)  # the cache holds what a fit draws (seeded, CPU)
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
    key = lambda cnn: protocol_i.cell_key("full", "none", 0, cnn, None, False)  # noqa: E731
    assert len({key(plain), key(strong), key(no_aug)}) == 3
    assert protocol_i.describe_cnn(plain) == "two blocks of one 3×3 convolution, dense 128, Adam 0.001, batch 64"
    assert protocol_i.describe_cnn(strong) == ("three blocks of two 3×3 convolutions with batch norm, dense 128, "
                                               "Adam 0.001, batch 64, training batches mirrored left-right and "
                                               "shifted by up to 2 pixels")
    with pytest.raises(SystemExit, match="--cnn-param epochs is not a CNNClassifier parameter this script leaves"):
        protocol_i.check_cnn_params({"epochs": 3})
    with pytest.raises(SystemExit, match="--cnn-param: .*'blocks' parameter"):
        protocol_i.check_cnn_params({"blocks": 0})


@pytest.mark.skipif(not DATA.is_file(), reason=f"shared data not present: {DATA}")
def test_quick_run_with_the_plain_cnn_writes_its_own_report(protocol_i, tmp_path):
    out = tmp_path / "s"
    assert protocol_i.main(["--quick", "--out", str(out), "--cnn", "plain", "--conditions", "none",
                            "--report-name", "plain"]) == 0
    text = (out / "plain.md").read_text()
    assert "(two blocks of one 3×3 convolution, dense 128" in text and "(plain.png)" in text
    assert (out / "plain.png").is_file() and len(json.loads((out / "plain.json").read_text())) == 2
    assert not (out / "results.md").exists()
