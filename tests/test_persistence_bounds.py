"""Model files from strangers: what they declare is bounded before it is read or allocated; what they hold is stated."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from minority_gen import GANOversampler
from minority_gen.persistence import ModelFileError, check_writable

from .conftest import TINY
from .test_persistence import _rewrite

ROOT = Path(__file__).resolve().parents[1]


def _table(n_classes=2):
    rng = np.random.default_rng(0)
    sizes = [50, 12, 9][:n_classes]
    X = np.vstack([rng.normal(3 * i, 1, (n, 4)) for i, n in enumerate(sizes)])
    return X, np.concatenate([np.full(n, i) for i, n in enumerate(sizes)])


def _holds(sampler, tmp_path) -> dict:
    path = tmp_path / "m.mgz"
    sampler.save(path)
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("manifest.json"))["holds"]


def test_the_manifest_states_which_training_rows_a_file_holds(tmp_path):
    X, y = _table(3)
    anchored = _holds(GANOversampler(anchor="smote", **TINY).fit(X, y), tmp_path)
    assert anchored["training_rows"] and anchored["anchor_rows"] == {"1": 12, "2": 9}
    # filter="auto" on anchored tables is the border filter: its file holds weights, no rows
    assert anchored["filter_rows"] == {"1": {"class": 0, "all": 0}, "2": {"class": 0, "all": 0}}
    none = _holds(GANOversampler(anchor=None, **TINY).fit(X, y), tmp_path)
    assert not none["training_rows"] and none["anchor_rows"] == {} and none["filter_rows"] == {}
    knn = _holds(GANOversampler(anchor=None, filter="copies,knn", **TINY).fit(X, y), tmp_path)
    assert knn["training_rows"] and knn["filter_rows"] == {"1": {"class": 12, "all": 71}, "2": {"class": 9, "all": 71}}
    conditional = _holds(GANOversampler(method="acgan", anchor="smote", **TINY).fit(X, y), tmp_path)
    assert conditional["anchor_rows"] == {"0": 50, "1": 12, "2": 9}  # every class's rows: say so


def test_a_file_without_training_rows_holds_none(tmp_path):
    X, y = _table()
    path = tmp_path / "m.mgz"
    GANOversampler(anchor=None, **TINY).fit(X, y).save(path)
    with zipfile.ZipFile(path) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())
    standardised = (X - X.mean(0)) / X.std(0)
    for rows in (X, standardised, X.astype(np.float32), standardised.astype(np.float32)):
        assert rows[-1].tobytes() not in blob and rows[0].tobytes() not in blob


@pytest.mark.parametrize("kind", ["fifo", "symlink", "directory"])
def test_save_never_replaces_what_is_not_a_regular_file(tmp_path, kind):
    import os

    target = tmp_path / "target.mgz"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        (tmp_path / "real").write_text("keep me")
        target.symlink_to(tmp_path / "real")
    else:
        target.mkdir()
    X, y = _table()
    sampler = GANOversampler(**TINY).fit(X, y)
    with pytest.raises(ModelFileError, match="never replaces"):
        sampler.save(target)
    if kind == "symlink":
        assert target.is_symlink() and (tmp_path / "real").read_text() == "keep me"
    if kind == "fifo":
        import stat

        assert stat.S_ISFIFO(os.lstat(target).st_mode)


def test_save_names_a_missing_folder(tmp_path):
    with pytest.raises(ModelFileError, match=r"the folder .*nowhere does not exist"):
        check_writable(tmp_path / "nowhere" / "m.mgz")


CRAFT = textwrap.dedent('''
    import json, resource, sys, zipfile, hashlib
    from pathlib import Path
    import torch
    torch.set_num_threads(1)
    from minority_gen import GANOversampler
    from minority_gen.persistence import ModelFileError
    results = {}
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for path in sys.argv[1:]:
        try:
            GANOversampler.load(path)
            results[path] = "loaded"
        except ModelFileError as exc:
            results[path] = str(exc)
    results["peak_rise_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    print(json.dumps(results))
''')


def _edit_state(path: Path, edit) -> None:
    with zipfile.ZipFile(path) as zf:
        state = json.loads(zf.read("state.json"))
    edit(state)
    _rewrite(path, "state.json", json.dumps(state).encode())


def _architecture(state) -> list:
    items = state["model"]["items"]
    return next(v for k, v in items if k == "architecture")["items"]


def test_crafted_files_are_refused_before_anything_large_is_read_or_allocated(tmp_path):
    X, y = _table()
    good = tmp_path / "good.mgz"
    GANOversampler(**TINY).fit(X, y).save(good)
    files = []
    # 1. a member that declares 400 MB (compressed to well under 1 MB)
    bomb = tmp_path / "bomb.mgz"
    bomb.write_bytes(good.read_bytes())
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as zf, zf.open("padding.bin", "w") as fh:
        chunk = bytes(2**20)
        for _ in range(400):
            fh.write(chunk)
    files.append(bomb)
    # 2. network sizes from the JSON far beyond the stored weights: latent width 3,000,000, hidden 50,000 x 2
    for name, field, value in (("latent.mgz", "latent_dim", 3_000_000), ("hidden.mgz", "hidden", [50_000, 50_000])):
        path = tmp_path / name
        path.write_bytes(good.read_bytes())

        def edit(state, field=field, value=value):
            for entry in _architecture(state):
                if entry[0] == field:
                    entry[1] = value
        _edit_state(path, edit)
        files.append(path)
    assert all(f.stat().st_size < 10 * 2**20 for f in files)
    out = subprocess.run([sys.executable, "-c", CRAFT, *map(str, files)], capture_output=True, text=True, cwd=ROOT,
                         timeout=300, check=True)
    results = json.loads(out.stdout.strip().splitlines()[-1])
    assert "declares 419,430,400 bytes" in results[str(bomb)]
    assert "do not fit the network" in results[str(tmp_path / "latent.mgz")]
    assert "do not fit the network" in results[str(tmp_path / "hidden.mgz")]
    assert results["peak_rise_mb"] < 500


def test_a_file_from_a_newer_package_version_loads_with_a_warning(tmp_path):
    X, y = _table()
    path = tmp_path / "m.mgz"
    GANOversampler(**TINY).fit(X, y).save(path)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    manifest["minority_gen_version"] = "99.0.0"
    _rewrite(path, "manifest.json", json.dumps(manifest).encode(), fix_checksum=False)
    with pytest.warns(UserWarning, match=r"written by minority_gen 99\.0\.0, newer than this"):
        GANOversampler.load(path)


def test_a_state_cannot_set_any_other_attribute(tmp_path):
    X, y = _table()
    path = tmp_path / "m.mgz"
    GANOversampler(**TINY).fit(X, y).save(path)
    _edit_state(path, lambda state: state["fitted"]["items"].append(["fit", 1]))
    with pytest.raises(ModelFileError, match=r"unexpected or missing: \['fit'\]"):
        GANOversampler.load(path)
    assert callable(GANOversampler.fit)


def test_json_nested_too_deeply_is_refused_as_a_damaged_file(tmp_path):
    """A config.json of 200,000 nested "[" (its checksum updated) raised RecursionError, which the CLI calls an
    unexpected error, instead of the model-file error naming the file. Every JSON member and format 1 too."""
    X, y = _table()
    good = tmp_path / "good.mgz"
    GANOversampler(**TINY).fit(X, y).save(good)
    deep = b"[" * 200_000 + b"]" * 200_000
    v1 = ROOT / "tests" / "data" / "v1_rumi_default.mgz"
    for source, member in [(good, "config.json"), (good, "state.json"), (v1, "config.json"), (v1, "state.json")]:
        path = tmp_path / f"{source.stem}_{member}.mgz"
        path.write_bytes(source.read_bytes())
        _rewrite(path, member, deep)
        with pytest.raises(ModelFileError, match=rf"{path.name}: the model cannot be read \(its JSON is nested too "
                                                 r"deeply\)"):
            GANOversampler.load(path)
    path = tmp_path / "manifest.mgz"
    with zipfile.ZipFile(good) as zf, zipfile.ZipFile(path, "w") as out:
        for name in zf.namelist():
            out.writestr(name, deep if name == "manifest.json" else zf.read(name))
    with pytest.raises(ModelFileError, match=r"manifest.mgz: its manifest is not valid JSON \(or its JSON is nested"):
        GANOversampler.load(path)
