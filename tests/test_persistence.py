"""Saving a fitted GANOversampler to one file and loading it back (minority_gen.persistence)."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import safetensors.torch
import torch
from sklearn.base import clone

from minority_gen import GANOversampler, available_methods
from minority_gen.filtering import RowFilter
from minority_gen.methods.rumi import RumiLSGAN
from minority_gen.persistence import (
    FORMAT_VERSION,
    MANIFEST,
    ModelFileError,
    load_sampler,
    read_tensors,
    save_sampler,
)

from .conftest import TINY
from .test_mixed_tables import mixed_frame

ROOT = Path(__file__).resolve().parents[1]


def _table(dtype=np.float64, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [50, 12, 9][:n_classes]
    X = np.vstack([rng.normal(3 * i, 1, (n, 4)) for i, n in enumerate(sizes)])
    y = np.concatenate([np.full(n, i) for i, n in enumerate(sizes)])
    if np.dtype(dtype).kind == "i":
        X = np.rint(X * 3).astype(dtype)
    return X.astype(dtype), y


def _round_trip(sampler, tmp_path, name="model.mgz"):
    path = tmp_path / name
    sampler.save(path)
    return GANOversampler.load(path), path


def _assert_same_draws(a, b, classes, n=25, seeds=(0, 7)):
    for c in classes:
        for s in seeds:
            x, z = a.sample(n, y=c, random_state=s), b.sample(n, y=c, random_state=s)
            if isinstance(x, pd.DataFrame):
                pd.testing.assert_frame_equal(x, z, check_exact=True)
            else:
                assert x.dtype == z.dtype and x.shape == z.shape
                if x.dtype == object:  # NaN cells are equal; None and NaN are not
                    assert pd.DataFrame(x).equals(pd.DataFrame(z))
                    assert [type(v) for v in x.ravel()] == [type(v) for v in z.ravel()]
                else:
                    np.testing.assert_array_equal(x, z)


def _rewrite(path: Path, member: str, data: bytes, fix_checksum: bool = True) -> None:
    """Replace one member of an archive (and, by default, its checksum in the manifest)."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[member] = data
    if fix_checksum:
        manifest = json.loads(members[MANIFEST])
        manifest["sha256"][member] = hashlib.sha256(data).hexdigest()
        members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


def _read_weights(path: Path) -> dict[str, dict[str, torch.Tensor]]:
    """The networks' weights of a model file (format 2), network name → state dict."""
    with zipfile.ZipFile(path) as zf:
        return read_tensors(zf.read("weights.safetensors"))


def _write_weights(path: Path, weights: dict[str, dict[str, torch.Tensor]]) -> None:
    """Replace a model file's weights (checksum updated: only the weights themselves are wrong)."""
    flat = {f"{net}/{k}": t.contiguous() for net, sd in weights.items() for k, t in sd.items()}
    _rewrite(path, "weights.safetensors", safetensors.torch.save(flat))


# --------------------------------------------------------------------------
# round trips
# --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_numeric_table_round_trip(tmp_path, dtype):
    X, y = _table(dtype)
    sampler = GANOversampler(**TINY).fit(X, y)
    loaded, _ = _round_trip(sampler, tmp_path)
    _assert_same_draws(sampler, loaded, [1])
    assert loaded.sample(5, y=1, random_state=0).dtype == dtype
    np.testing.assert_array_equal(loaded.classes_, sampler.classes_)
    assert loaded.classes_.dtype == sampler.classes_.dtype
    assert loaded.sampling_strategy_ == sampler.sampling_strategy_
    assert loaded.n_features_in_ == 4 and loaded.latent_dim_ == sampler.latent_dim_
    assert loaded.model_.spec == sampler.model_.spec and loaded.model_.draw_seed == sampler.model_.draw_seed
    pd.testing.assert_frame_equal(loaded.history_, sampler.history_, check_exact=True)


def test_weights_equal_and_global_rng_untouched(tmp_path):
    X, y = _table()
    sampler = GANOversampler(**TINY).fit(X, y)
    sampler.save(tmp_path / "m.mgz")
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    loaded = GANOversampler.load(tmp_path / "m.mgz")
    assert torch.equal(before, torch.random.get_rng_state())
    for net_a, net_b in ((sampler.generators_[1], loaded.generators_[1]),
                         (sampler.discriminators_[1], loaded.discriminators_[1])):
        a, b = net_a.state_dict(), net_b.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
        assert not net_b.training


def test_mixed_frame_round_trip(tmp_path):
    X = mixed_frame()
    y = np.r_[np.zeros(90, int), np.ones(30, int)]
    sampler = GANOversampler(**TINY).fit(X, y)
    loaded, _ = _round_trip(sampler, tmp_path)
    _assert_same_draws(sampler, loaded, [1], n=60)
    out = loaded.sample(60, y=1, random_state=3)
    assert out.dtypes.equals(X.dtypes)
    assert out["cat"].dtype == X["cat"].dtype and out["ordered"].cat.ordered
    assert list(out["cat"].cat.categories) == ["a", "b", "c", "unused"]
    obj_missing = [v for v in out["obj"] if not isinstance(v, str)]
    assert all(v is None for v in obj_missing)  # None stays None, not NaN
    np.testing.assert_array_equal(loaded.feature_names_in_, sampler.feature_names_in_)
    assert isinstance(loaded.codec_, type(sampler.codec_))
    # refitting a clone of the loaded sampler gives the original's resampled table
    X_a, y_a = clone(sampler).fit_resample(X, y)
    X_b, y_b = clone(loaded).fit_resample(X, y)
    pd.testing.assert_frame_equal(X_a, X_b)


def test_mode_normalised_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = np.where(rng.random(150) < 0.5, rng.normal(-5, 0.5, 150), rng.normal(5, 1, 150))
    X = pd.DataFrame({"x": x, "c": rng.choice(["a", "b"], 150)})
    sampler = GANOversampler(continuous="modes", **TINY).fit(X, np.r_[np.zeros(100, int), np.ones(50, int)])
    assert sampler.codec_.modes_
    loaded, _ = _round_trip(sampler, tmp_path)
    _assert_same_draws(sampler, loaded, [1], n=60)
    assert loaded.codec_.modes_[0].n_modes == sampler.codec_.modes_[0].n_modes


def test_mixed_object_array_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    X = np.empty((60, 3), dtype=object)
    X[:, 0] = rng.normal(size=60)
    X[:, 1] = rng.choice(["a", "b"], 60)
    X[:, 2] = np.where(rng.random(60) < 0.2, np.nan, rng.normal(size=60))
    y = np.r_[np.zeros(45, int), np.ones(15, int)]
    sampler = GANOversampler(**TINY).fit(X, y)
    loaded, _ = _round_trip(sampler, tmp_path)
    _assert_same_draws(sampler, loaded, [1])
    assert loaded.sample(4, y=1, random_state=0).dtype == object


def test_image_round_trip(tmp_path):
    X = np.random.default_rng(0).integers(0, 256, (20, 16, 16)).astype(np.uint8)
    y = np.array([0] * 14 + [1] * 6)
    sampler = GANOversampler(**{**TINY, "hidden_dims": (4,)}).fit(X, y)
    loaded, _ = _round_trip(sampler, tmp_path)
    _assert_same_draws(sampler, loaded, [1], n=5)
    assert loaded.sample(3, y=1, random_state=0).shape == (3, 16, 16)
    assert loaded.layout_ == sampler.layout_


def test_conditional_method_stores_one_network(tmp_path):
    X, y = _table(n_classes=3)
    sampler = GANOversampler(method="acgan", **TINY).fit(X, y)
    assert sampler.generators_[1] is sampler.generators_[2]
    loaded, path = _round_trip(sampler, tmp_path)
    assert loaded.generators_[1] is loaded.generators_[2]
    assert loaded.discriminators_[1] is loaded.discriminators_[2]
    assert sorted(_read_weights(path)) == ["D0", "G0"]
    _assert_same_draws(sampler, loaded, [1, 2])


def test_unconditional_two_classes_with_copies_filter_and_ema(tmp_path):
    X, y = _table(n_classes=3)
    sampler = GANOversampler(filter="copies", ema=0.9, **TINY).fit(X, y)
    assert sampler.generators_[1] is not sampler.generators_[2]
    loaded, path = _round_trip(sampler, tmp_path)
    assert sorted(_read_weights(path)) == ["D0", "D1", "G0", "G1"]
    assert set(loaded.filters_) == {1, 2}
    _assert_same_draws(sampler, loaded, [1, 2])
    assert loaded.filter_report_ == sampler.filter_report_
    assert not any(p.requires_grad for p in loaded.generators_[1].parameters())  # the EMA copy, frozen


def test_knn_filter_object_and_method_object_round_trip(tmp_path):
    X, y = _table()
    sampler = GANOversampler(method=RumiLSGAN(a=-0.5), filter=RowFilter(criteria="copies,knn", k=3),
                             spectral_norm=True, pac=2, **TINY).fit(X, y)
    loaded, _ = _round_trip(sampler, tmp_path)
    assert isinstance(loaded.method, RumiLSGAN) and loaded.method.get_params() == sampler.method.get_params()
    assert isinstance(loaded.filter, RowFilter) and loaded.filter.get_params() == sampler.filter.get_params()
    assert loaded.filters_[1].knn_threshold_ == sampler.filters_[1].knn_threshold_
    assert loaded.discriminators_[1].pac == 2
    _assert_same_draws(sampler, loaded, [1])


def test_params_and_clone_of_loaded_sampler(tmp_path):
    X, y = _table()
    sampler = GANOversampler(sampling_strategy={1: 40}, hidden_dims=(8,), betas=(0.4, 0.9), n_iter=3,
                             batch_size=16, latent_dim=4, device="cpu", random_state=np.random.RandomState(5))
    sampler.fit(X, y)
    loaded, _ = _round_trip(sampler, tmp_path)
    a, b = sampler.get_params(), loaded.get_params()
    assert a.keys() == b.keys()
    for k in a:
        if k == "random_state":
            assert np.array_equal(a[k].get_state()[1], b[k].get_state()[1])
        else:
            assert a[k] == b[k], k
    assert isinstance(loaded.betas, tuple) and loaded.sampling_strategy == {1: 40}
    clone(loaded)  # scikit-learn's clone checks every parameter comes back as given


def test_new_process_draws_the_same_rows(tmp_path):
    X = mixed_frame()
    y = np.r_[np.zeros(90, int), np.ones(30, int)]
    sampler = GANOversampler(**TINY).fit(X, y)
    sampler.save(tmp_path / "m.mgz")
    here = sampler.sample(40, y=1, random_state=11)
    code = ("import sys; from minority_gen import GANOversampler; "
            "s = GANOversampler.load(sys.argv[1]); "
            "s.sample(40, y=1, random_state=11).to_pickle(sys.argv[2])")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.mgz"), str(tmp_path / "rows.pkl")],
                   check=True, cwd=ROOT, timeout=120)
    there = pd.read_pickle(tmp_path / "rows.pkl")
    pd.testing.assert_frame_equal(here, there, check_exact=True)


def test_same_model_same_bytes_and_manifest(tmp_path):
    X, y = _table()
    sampler = GANOversampler(**TINY).fit(X, y)
    sampler.save(tmp_path / "a.mgz")
    sampler.save(tmp_path / "b.mgz")
    assert (tmp_path / "a.mgz").read_bytes() == (tmp_path / "b.mgz").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.mgz") as zf:
        manifest = json.loads(zf.read(MANIFEST))
        assert manifest["format_version"] == FORMAT_VERSION
        assert manifest["torch_version"] == torch.__version__
        for name, digest in manifest["sha256"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest
    assert not list(tmp_path.glob(".minority-gen-tmp-*"))


def test_metadata_round_trip(tmp_path):
    X, y = _table()
    sampler = GANOversampler(**TINY).fit(X, y)
    save_sampler(sampler, tmp_path / "m.mgz", metadata={"target": "label", "tokens": {"a": "NA"}})
    loaded, meta = load_sampler(tmp_path / "m.mgz", GANOversampler, with_metadata=True)
    assert meta == {"target": "label", "tokens": {"a": "NA"}}


# --------------------------------------------------------------------------
# refusals
# --------------------------------------------------------------------------
def test_unfitted_sampler_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"not fitted.*fit"):
        GANOversampler().save(tmp_path / "m.mgz")
    assert not (tmp_path / "m.mgz").exists()


def test_callable_sampling_strategy_is_refused(tmp_path):
    X, y = _table()
    sampler = GANOversampler(sampling_strategy=lambda y: {1: 20}, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="callable"):
        sampler.save(tmp_path / "m.mgz")
    assert not list(tmp_path.iterdir())


@pytest.fixture
def saved(tmp_path):
    X, y = _table()
    path = tmp_path / "m.mgz"
    GANOversampler(**TINY).fit(X, y).save(path)
    return path


def test_not_an_archive(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ModelFileError, match=r"rows\.csv is not a minority_gen model file"):
        GANOversampler.load(path)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="not a minority_gen model"):
        GANOversampler.load(other)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        GANOversampler.load(tmp_path / "nope.mgz")
    with pytest.raises(ModelFileError, match="is a folder, not a model file"):
        GANOversampler.load(tmp_path)


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_file(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelFileError, match=r"m\.mgz is truncated or damaged"):
        GANOversampler.load(saved)


def test_tampered_member(saved):
    with zipfile.ZipFile(saved) as zf:
        config = json.loads(zf.read("config.json"))
    config["n_iter"] = 5
    _rewrite(saved, "config.json", json.dumps(config).encode(), fix_checksum=False)
    with pytest.raises(ModelFileError, match=r"m\.mgz: the SHA-256 of config\.json does not match"):
        GANOversampler.load(saved)


def test_extra_member_is_refused(saved):
    with zipfile.ZipFile(saved, "a") as zf:
        zf.writestr("extra.bin", b"x")
    with pytest.raises(ModelFileError, match="extra.bin"):
        GANOversampler.load(saved)


def test_newer_format_version(saved):
    with zipfile.ZipFile(saved) as zf:
        manifest = json.loads(zf.read(MANIFEST))
    manifest["format_version"] = FORMAT_VERSION + 1
    _rewrite(saved, MANIFEST, json.dumps(manifest).encode(), fix_checksum=False)
    with pytest.raises(ModelFileError, match=rf"format version {FORMAT_VERSION + 1}.*Upgrade minority_gen"):
        GANOversampler.load(saved)


def test_unknown_entry_type_is_refused(saved):
    with zipfile.ZipFile(saved) as zf:
        state = json.loads(zf.read("state.json"))
    state["fitted"]["items"].append(["history_", {"$": "os.system", "args": ["echo hi"]}])
    _rewrite(saved, "state.json", json.dumps(state).encode())
    with pytest.raises(ModelFileError, match="unknown entry type 'os.system'"):
        GANOversampler.load(saved)


def test_weights_of_the_wrong_shape_are_refused(saved):
    weights = _read_weights(saved)
    key = next(k for k in weights["G0"] if k.endswith("weight"))
    weights["G0"][key] = torch.zeros(3, 3)
    _write_weights(saved, weights)
    with pytest.raises(ModelFileError, match="generator's weights do not fit"):
        GANOversampler.load(saved)


class _Payload:
    """Unpickling this creates a file: what a malicious weights file would do, harmlessly."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_code_in_format_1_weights_is_never_run(tmp_path):
    # the payload is live: plain unpickling does create the marker file
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Payload(probe))).close()
    assert probe.exists()

    saved = tmp_path / "m.mgz"  # a model in format 1, whose weights went through pickle's parser
    saved.write_bytes((ROOT / "tests" / "data" / "v1_rumi_default.mgz").read_bytes())
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"G0": _Payload(marker)}, buf)
    _rewrite(saved, "weights.pt", buf.getvalue())  # checksums fixed: only weights_only stands in the way
    with pytest.raises(ModelFileError, match=r"m\.mgz: weights\.pt holds objects other than tensors"):
        GANOversampler.load(saved)
    assert not marker.exists()


def test_format_2_weights_are_safetensors_and_a_pickle_in_their_place_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved) as zf:
        names = zf.namelist()
    assert "weights.safetensors" in names and "weights.pt" not in names
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"G0": _Payload(marker)}, buf)
    _rewrite(saved, "weights.safetensors", buf.getvalue())
    with pytest.raises(ModelFileError, match=r"m\.mgz: the model cannot be rebuilt"):
        GANOversampler.load(saved)
    assert not marker.exists()


def test_pickle_and_joblib_still_work(tmp_path):
    X, y = _table()
    sampler = GANOversampler(**TINY).fit(X, y)
    joblib.dump(sampler, tmp_path / "m.joblib")
    again = joblib.load(tmp_path / "m.joblib")
    _assert_same_draws(sampler, again, [1])
    _assert_same_draws(sampler, pickle.loads(pickle.dumps(sampler)), [1])


@pytest.mark.filterwarnings("ignore:.*had no candidate")
@pytest.mark.parametrize("method", available_methods())
def test_every_method_round_trips(tmp_path, method):
    X, y = _table(n_classes=3)
    sampler = GANOversampler(method=method, **TINY).fit(X, y)
    loaded, _ = _round_trip(sampler, tmp_path)
    assert loaded.method_.get_params() == sampler.method_.get_params()
    _assert_same_draws(sampler, loaded, [1, 2], seeds=(0,))


def test_numpy_integer_settings_save(tmp_path):
    """A search hands over NumPy integers (np.arange, scipy's randint): a model fitted with them saves and loads."""
    X, y = _table()
    params = {**TINY, "latent_dim": np.int64(4), "hidden_dims": (np.int64(8), 8), "n_iter": np.int64(3),
              "batch_size": np.int32(16), "n_critic": np.int64(1)}
    sampler = GANOversampler(**params).fit(X, y)
    sampler.save(tmp_path / "m.mgz")
    np.testing.assert_array_equal(GANOversampler.load(tmp_path / "m.mgz").sample(5, random_state=1),
                                  sampler.sample(5, random_state=1))
