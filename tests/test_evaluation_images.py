"""minority_gen.evaluation.images: conditions, resampling, the GAN sample cache and the resumable image-cell grid."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from minority_gen.evaluation import images

TINY_CNN = {"epochs": 1, "width": 2, "n_features": 8, "device": "cpu"}


def tiny_images(n_min=6, n_maj=14, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, (n_min + n_maj, 28, 28), dtype=np.uint8)
    y = np.array([0] * n_min + [1] * n_maj)
    X[y == 0, 10:18, 10:18] = 255  # a bright square marks the minority
    return X, y


def test_conditions_name_their_gan_and_unknown_ones_are_refused():
    assert images.gan_part("acgan+ros") == "acgan" and images.gan_part("rumi+augmentation") == "rumi"
    assert images.gan_part("rumi") == "rumi" and images.gan_part("ros") is None
    images.check_conditions(["none", "ros", "augmentation", "rumi", "tacgan+ros"])
    with pytest.raises(ValueError, match=r"unknown condition\(s\) \['nogan', 'x\+ros'\].*from: .*rumi"):
        images.check_conditions(["none", "nogan", "x+ros"])


def test_gan_plus_ros_fills_half_the_new_images_from_the_gan_and_half_with_copies_of_real_ones():
    """``rumi+ros``: the first half of the missing minority images are the GAN's, the rest copies of the real
    minority images drawn by the seed; every condition fills the minority up to the majority's count."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (30, 4, 4), dtype=np.uint8)
    y = np.array([0] * 6 + [1] * 24)  # 6 minority: 18 new images
    fake = np.full((18, 4, 4), 7, dtype=np.uint8)
    asked = []

    def gan(n_new):
        asked.append(n_new)
        return fake, 1.5

    X_res, y_res, sources, seconds = images.resample_images("rumi+ros", X, y, 3, 0, gan)
    assert asked == [18] and sources == {"gan": 9, "copies": 9} and seconds == 1.5
    assert X_res.shape == (48, 4, 4) and (y_res == 0).sum() == 24
    assert (X_res[30:39] == 7).all()
    real = {x.tobytes() for x in X[y == 0]}
    copies = X_res[39:]
    assert all(c.tobytes() in real for c in copies) and len({c.tobytes() for c in copies}) > 1
    again = images.resample_images("rumi+ros", X, y, 3, 0, gan)[0]
    assert (again == X_res).all()  # the seed draws the copies
    X_gan, y_gan, sources, _ = images.resample_images("rumi", X, y, 3, 0, gan)
    assert sources == {"gan": 18} and (X_gan[30:] == 7).all() and (y_gan == 0).sum() == 24
    X_none, _, sources, seconds = images.resample_images("none", X, y, 3, 0)
    assert X_none is X and sources == {} and seconds == 0.0
    _, y_ros, sources, _ = images.resample_images("ros", X, y, 3, 0)
    assert sources == {"copies": 18} and (y_ros == 0).sum() == 24


def test_gan_settings_resolve_the_methods_image_defaults():
    """``method_params`` is written out in full and ``"auto"`` options resolve for images (anchored or not), so a
    changed default makes a new key; an option the method lacks is refused."""
    from minority_gen.methods import resolved_params
    from minority_gen.settings import AUTO_IMAGE_EMA

    plain = images.image_gan_params("rumi", 1000, 16)
    assert plain == {"method": "rumi", "n_iter": 1000, "hidden_dims": [16], "device": "cpu", "ema": AUTO_IMAGE_EMA,
                     "method_params": resolved_params("rumi", images=True)}
    anchored = images.image_gan_params("rumi", 1000, 16, batch_size=32, extra={"anchor": "smote"})
    assert anchored["method_params"]["beta_neg"] == 0.01 and anchored["batch_size"] == 32
    joint = images.image_gan_params("rumi", 1000, 16, extra={"method_params": {"d_schedule": "joint"}})
    assert joint["method_params"] == {**plain["method_params"], "d_schedule": "joint"}
    key = lambda gan: images.cell_key("severe30", "rumi", 0, {}, gan, False, "v")  # noqa: E731
    assert len({key(plain), key(anchored), key(joint), images.cell_key("severe30", "rumi", 0, {}, plain)}) == 4
    with pytest.raises(ValueError, match="'acgan' does not take"):
        images.image_gan_params("acgan", 10, 16, extra={"method_params": {"d_schedule": "joint"}})


def test_compare_on_images_resumes_from_its_store_and_reuses_the_gans_images(tmp_path, monkeypatch):
    """Every (training set, seed, condition) cell is appended to the store; a re-run computes nothing; a GAN cell
    is keyed by the output version; another CNN reuses the GAN's drawn images from the cache folder."""
    X, y = tiny_images()
    val, test = tiny_images(4, 8, seed=1), tiny_images(4, 8, seed=2)
    train = {"all": (X, y), "cut": (X[2:], y[2:])}
    gan = images.image_gan_params("rumi", 2, 8, batch_size=8)
    fits, lines = [], []
    real_fit = images.GANSampleCache.fit_and_draw

    def counting(params, *a, **k):
        fits.append(params["method"])
        return real_fit(params, *a, **k)

    monkeypatch.setattr(images.GANSampleCache, "fit_and_draw", staticmethod(counting))
    store = tmp_path / "runs.jsonl"
    run = dict(train=train, val=val, test=test, conditions=["none", "rumi", "rumi+ros"], seeds=[0],
               gan_params={"rumi": gan}, store=store, minority=0, log=lines.append,
               grid=lambda s, c, seed: tmp_path / f"grid_{s}.png", record={"note": "t"})
    recs = images.compare_on_images(cnn_params=TINY_CNN, **run)
    assert lines[0] == f"6 cell(s) to run, 0 cached, store {store}" and lines[-1].startswith("[6/6] cut rumi+ros")
    assert fits == ["rumi", "rumi"]  # one fit per training set, shared by rumi and rumi+ros
    assert len(recs) == 6 and {r["note"] for r in recs} == {"t"}
    for r in recs:
        m = r["metrics"]
        assert 0 <= m["test_auc"] <= 1 and len(m["test_proba_minority"]) == 12 and m["best_epoch"] == 1
        assert m["n_train"]["0"] == (m["n_real_minority"] if r["condition"] == "none" else m["n_train"]["1"])
        assert (r.get("output_version") is None) == (r["condition"] == "none")
        assert r["key"] == images.cell_key(r["scenario"], r["condition"], 0, TINY_CNN, r["gan_params"], False,
                                           r.get("output_version"))
    assert next(r for r in recs if r["condition"] == "rumi+ros")["metrics"]["new_minority"] == {"gan": 4, "copies": 4}
    assert sorted(p.name for p in tmp_path.glob("grid_*.png")) == ["grid_all.png", "grid_cut.png"]
    assert len(list((tmp_path / "gan_samples").glob("*.npz"))) == 2

    lines.clear()
    assert images.compare_on_images(cnn_params=TINY_CNN, **run) == recs
    assert lines == [f"0 cell(s) to run, 6 cached, store {store}"] and len(store.read_text().splitlines()) == 6
    images.compare_on_images(cnn_params={**TINY_CNN, "width": 3}, **run)  # another CNN: the GAN's images reused
    assert fits == ["rumi", "rumi"] and len(store.read_text().splitlines()) == 12
    monkeypatch.setattr("minority_gen._version.OUTPUT_VERSION", "0123456789abcdef")
    lines.clear()
    images.compare_on_images(cnn_params=TINY_CNN, **run)
    assert lines[0].startswith("4 cell(s) to run, 2 cached")  # the GAN cells at the new version, not the baseline
    assert [json.loads(line)["output_version"] for line in store.read_text().splitlines()[12:]] == [
        "0123456789abcdef"] * 4


def test_a_stored_cell_lacking_a_recorded_metric_runs_again(tmp_path):
    X, y = tiny_images()
    run = dict(train={"all": (X, y)}, val=tiny_images(4, 8, 1), test=tiny_images(4, 8, 2), conditions=["none"],
               seeds=[0], cnn_params=TINY_CNN, gan_params={}, store=tmp_path / "runs.jsonl", minority=0, log=None)
    first = images.compare_on_images(**run)[0]
    del first["metrics"]["test_average_precision"]
    (tmp_path / "runs.jsonl").write_text(json.dumps(first) + "\n")
    recs = images.compare_on_images(**run)
    assert len(recs) == 2 and recs[1]["key"] == first["key"] and "test_average_precision" in recs[1]["metrics"]
    assert recs[1]["metrics"]["test_auc"] == first["metrics"]["test_auc"]  # the same seed gives the same CNN


def test_unusable_images_are_refused_before_any_training(tmp_path):
    X, y = tiny_images()
    val, test = tiny_images(4, 8, 1), tiny_images(4, 8, 2)
    run = dict(val=val, test=test, conditions=["none"], seeds=[0], cnn_params=TINY_CNN, gan_params={},
               store=tmp_path / "runs.jsonl", minority=0, log=None)
    cases = [
        (dict(train={"a": (X, y[:-1])}), "training set 'a': 20 images but 19 labels"),
        (dict(train={"a": (X[:, :20], y)}), r"val: images of shape \(28, 28\), the first training set's are \(20, "),
        (dict(train={"a": (X, np.where(y == 1, 2, 0))}), r"val: classes \[0, 1\]; every set needs the same two"),
        (dict(train={"a": (X, y)}, minority=1), "the minority 1 has 14 images, not fewer than the other class's 6"),
        (dict(train={"a": (X, y)}, seeds=[]), "at least one seed"),
        (dict(train={"a": (X, y)}, test=(test[0], np.zeros(12, int))), r"test: classes \[0\]"),
        (dict(train={"a": (X, y)}, conditions=["nogan"]), r"unknown condition\(s\) \['nogan'\]"),
    ]
    (tmp_path / "notes.txt").write_text("my notes\n")
    cases.append((dict(train={"a": (X, y)}, store=tmp_path / "notes.txt"), "notes.txt is not a JSON-lines store"))
    for change, message in cases:
        with pytest.raises(ValueError, match=message):
            images.compare_on_images(**{**run, **change})
    assert not (tmp_path / "runs.jsonl").exists() and (tmp_path / "notes.txt").read_text() == "my notes\n"


def test_unusable_gan_settings_are_refused_before_the_first_cell(tmp_path, monkeypatch):
    """Each GAN condition's sampler is built and checked before any cell trains: the baseline cells are not run
    (and stored) first only for the GAN cells to fail."""
    X, y = tiny_images()
    val, test = tiny_images(4, 8, 1), tiny_images(4, 8, 2)
    monkeypatch.setattr(images, "image_cell", lambda *a, **k: pytest.fail("a cell ran"))
    run = dict(train={"a": (X, y)}, val=val, test=test, conditions=["none", "rumi+ros"], seeds=[0],
               cnn_params=TINY_CNN, gan_params=lambda m: images.image_gan_params(m, 2, 4),
               store=tmp_path / "runs.jsonl", minority=0, log=None)
    small = [(s[0][:, :7, :7], s[1]) for s in ((X, y), val, test)]
    cases = [
        (dict(train={"a": small[0]}, val=small[1], test=small[2]),
         r"gan_params for 'rumi': The convolutional networks do not support images of shape \(C, H, W\) = \(1, 7, 7\)"),
        (dict(gan_params=lambda m: images.image_gan_params(m, n_iter=-5, width=4)),
         r"gan_params for 'rumi': The 'n_iter' parameter of GANOversampler must be .*Got -5"),
        (dict(gan_params=lambda m: images.image_gan_params(m, 2, 4, extra={"n_itr": 3})),
         r"gan_params for 'rumi' has \['n_itr'\], which GANOversampler does not take.*n_iter"),
        (dict(gan_params={"lsgan": {}}), r"gan_params has no settings for the method\(s\) \['rumi'\].*has \['lsgan'\]"),
        (dict(gan_params={"rumi": images.image_gan_params("lsgan", 2, 4)}), r"'rumi' has method='lsgan'"),
        (dict(gan_params={"rumi": {**images.image_gan_params("rumi", 2, 4), "method_params": {"x": 1}}}),
         r"gan_params for 'rumi': .*x"),
    ]
    for change, message in cases:
        with pytest.raises(ValueError, match=message):
            images.compare_on_images(**{**run, **change})
    assert not (tmp_path / "runs.jsonl").exists()


def test_training_set_names_that_are_no_plain_file_name_are_refused_before_any_cell(tmp_path, monkeypatch):
    """The GAN cache files are named by the training set: "../../x" wrote outside the cache folder, an absolute
    name replaced the folder, "a/b" made a sub-folder. Such names are refused, naming them and the rule."""
    X, y = tiny_images()
    monkeypatch.setattr(images, "image_cell", lambda *a, **k: pytest.fail("a cell ran"))
    run = dict(val=tiny_images(4, 8, 1), test=tiny_images(4, 8, 2), conditions=["none", "rumi"], seeds=[0],
               cnn_params=TINY_CNN, gan_params=lambda m: images.image_gan_params(m, 2, 4),
               store=tmp_path / "run" / "runs.jsonl", minority=0, log=None)
    for name in ["../../ESCAPED", str(tmp_path / "abs"), "a/b", "a\\b", ".", "..", "", ".hidden", "-x", "x" * 101,
                 "é", "a b", "a\nb"]:
        with pytest.raises(ValueError, match="the training set .* cannot name a file: .*letters, digits"):
            images.compare_on_images(train={"ok": (X, y), name: (X, y)}, **run)
    with pytest.raises(ValueError, match="the seed '0' is not an integer"):
        images.compare_on_images(train={"ok": (X, y)}, **{**run, "seeds": ["0"]})
    assert sorted(p.name for p in tmp_path.rglob("*")) == []
    cache = images.GANSampleCache(tmp_path / "cache")
    for scenario, method, seed in [("../x", "rumi", 0), ("ok", "../rumi", 0), ("ok", "rumi", "../0")]:
        with pytest.raises(ValueError, match="cannot name a file|not an integer"):
            cache.sample_file(scenario, {"method": method}, seed, X, y, 8)


def test_cache_file_names_of_plain_names_are_unchanged(monkeypatch):
    """Protocol I's caches are found by these names: checking the names must not change them."""
    monkeypatch.setattr("minority_gen._version.OUTPUT_VERSION", "0123456789abcdef")
    X, y = np.arange(32, dtype=np.uint8).reshape(2, 4, 4), np.array([0, 1])
    cache = images.GANSampleCache("/c")
    names = [cache.sample_file(s, {"method": m, "n_iter": 3}, 7, X, y, 5).name
             for s, m in [("full", "rumi"), ("severe30", "tacgan"), ("severe30", "rumi-sgan")]]
    assert names == ["full_rumi_seed7_049b1b18894f9576.npz", "severe30_tacgan_seed7_45f09c0174be3119.npz",
                     "severe30_rumi-sgan_seed7_3705cdc7af52d74b.npz"]
    tagged = images.GANSampleCache("/c", tag=True).sample_file("full", {"method": "rumi"}, 0, X, y, 5)
    assert tagged == Path("/c/full_rumi_seed0_3d64fbb5ced08600.npz")


def test_the_cache_never_writes_through_a_planted_temporary_name(tmp_path, monkeypatch):
    """The drawn images were saved to the fixed name ``<file>.partial.npz`` and renamed: a symbolic link planted
    there made the save write into its target. They are now saved under a fresh name, then renamed."""
    X, y = tiny_images()
    monkeypatch.setattr(images.GANSampleCache, "fit_and_draw",
                        staticmethod(lambda *a: (np.full((8, 28, 28), 3, np.uint8), 1.25)))
    cache = images.GANSampleCache(tmp_path / "gs")
    params = {"method": "rumi"}
    path = cache.sample_file("sc", params, 0, X, y, 8)
    path.parent.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    path.with_suffix(".partial.npz").symlink_to(victim)
    drawn, seconds = cache.draw("sc", params, 0, X, y, 8, minority=0)
    assert victim.read_text() == "mine\n" and seconds == 1.25 and (drawn == 3).all()
    assert path.is_file() and not path.is_symlink()
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, path.stem + ".partial.npz"])
    with np.load(path) as f:
        assert sorted(f.files) == ["images", "seconds"] and float(f["seconds"]) == 1.25
