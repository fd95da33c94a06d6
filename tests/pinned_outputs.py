"""Fingerprints of what the estimator returns for fixed seeds, for the pinned-output test.

``python -m tests.pinned_outputs`` prints the fingerprint of every case as JSON;
``tests/test_pinned_outputs.py`` compares them with ``tests/data/pinned_outputs.json``,
which was written by the commit before the house refactor (and re-pinned only by
commits that change behaviour on purpose, each saying so).

A fingerprint is the SHA-256 of the exact bytes of ``fit_resample``'s rows and
labels, of ``sample``'s rows, and of ``history_``'s losses: any change of a bit
in a returned value changes it.

Those bytes also depend on the processor: the same torch build computes other
last bits on another CPU (its matrix kernels round differently), and training
amplifies them. ``pinned_outputs.json`` holds the fingerprints of the machine
that pinned them (which :data:`minority_gen._version.OUTPUT_VERSION` names);
``pinned_outputs_machines.json`` those of other machines, each under the digest
of :data:`CANARY`'s fingerprint there, written by ``python -m tests.pinned_outputs
--machine`` from a commit whose outputs were pinned (it refuses on a machine
whose canary matches the pinned one, and records the commit). A commit that
re-pins on purpose empties that file: the other machines' figures of the old
outputs no longer apply.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

#: The anchored table generators' options as they were before the pair became their default (2026-12-06), and before
#: the border filter did (2026-12-07).
OFF = dict(correction="free", boundary=None, filter=None)
#: Before the border filter became the anchored tables' default (2026-12-07): the cases written before it keep their
#: rows.
NF = dict(filter=None)

TINY = dict(n_iter=12, batch_size=16, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, pd.DataFrame):
            h.update(repr(list(p.dtypes.astype(str))).encode())
            h.update(repr(list(p.columns)).encode())
            h.update(pd.util.hash_pandas_object(p, index=True).values.tobytes())
            for name in p.columns:
                h.update(repr(p[name].tolist()).encode())
        else:
            a = np.ascontiguousarray(np.asarray(p))
            h.update(str(a.dtype).encode() + str(a.shape).encode())
            h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()[:24]


def _table(n_classes=2, seed=0, n=90):
    rng = np.random.default_rng(seed)
    sizes = [n] + [max(8, n // (4 + 2 * k)) for k in range(n_classes - 1)]
    X = np.vstack([rng.normal(k * 1.5, 1.0, (m, 4)) for k, m in enumerate(sizes)])
    y = np.concatenate([np.full(m, k) for k, m in enumerate(sizes)])
    return X, y


def _mixed():
    rng = np.random.default_rng(1)
    n = 80
    frame = pd.DataFrame({
        "age": rng.normal(50, 10, n),
        "count": pd.array(rng.integers(0, 6, n), dtype="Int64"),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        "flag": rng.random(n) < 0.3,
        "score": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 1, n)),
    })
    y = np.r_[np.zeros(64, int), np.ones(16, int)]
    return frame, y


def _counts():
    """A count whose minority values (2..9) leave out the majority's 0 and 1 (integrity item 10)."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": np.r_[rng.normal(0, 1, 60), rng.normal(1, 1, 20)],
                          "count": pd.array(np.r_[rng.integers(0, 3, 60), rng.integers(2, 10, 20)], dtype="Int64")})
    return frame, np.r_[np.zeros(60, int), np.ones(20, int)]


def _images():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, (40, 16, 16), dtype=np.uint8)
    y = np.r_[np.zeros(30, int), np.ones(10, int)]
    return X, y


def cases():
    """Name → (estimator parameters, X, y)."""
    X2, y2 = _table()
    X3, y3 = _table(3)
    frame, ym = _mixed()
    Xi, yi = _images()
    out = {
        "rumi_default": (dict(), X2, y2),
        "rumi_noise": (dict(anchor=None), X2, y2),
        "rumi_paper_pac1": (dict(recipe="paper", pac=1, anchor=None), X2, y2),
        "rumi_filters": (dict(anchor=None, filter="copies"), X2, y2),
        "rumi_ema_sn": (dict(ema=0.9, spectral_norm=True, **OFF), X2, y2),
        "rumi_quality": (dict(selection="quality", eval_every=4, patience=2), X2, y2),
        "lsgan_multi": (dict(method="lsgan", **OFF), X3, y3),
        "rumi_sgan": (dict(method="rumi-sgan", **OFF), X2, y2),
        "acgan": (dict(method="acgan", **OFF), X3, y3),
        "tacgan": (dict(method="tacgan", **OFF), X3, y3),
        "uacgan_pac1": (dict(method="uacgan", pac=1, **OFF), X3, y3),
        "projection": (dict(method="projection", **OFF), X3, y3),
        "cagan": (dict(method="cagan", **OFF), X3, y3),
        "amgan": (dict(method="amgan", **OFF), X3, y3),
        "labelgan": (dict(method="labelgan", **OFF), X3, y3),
        "mixed_default": (dict(), frame, ym),
        "mixed_modes": (dict(continuous="modes", anchor=None), frame, ym),
        "images_default": (dict(n_iter=3), Xi, yi),
        "images_anchored": (dict(n_iter=3, anchor="smote"), Xi, yi),
        "images_acgan": (dict(n_iter=3, method="acgan"), Xi, yi),
        "rumi_boundary": (dict(boundary=1.0, correction="free", **NF), X2, y2),
        "acgan_boundary": (dict(method="acgan", boundary=0.5, anchor="smote", correction="free", **NF), X3, y3),
        "images_boundary": (dict(n_iter=3, boundary=1.0), Xi, yi),
        "uacgan_default": (dict(method="uacgan"), X3, y3),
        "mixed_counts": (dict(anchor=None), *_counts()),
        "rumi_covariance": (dict(correction="covariance", boundary=None, **NF), X2, y2),
        "acgan_covariance_boundary": (dict(method="acgan", correction="covariance", boundary=0.5, **NF), X3, y3),
        "mixed_covariance": (dict(correction="covariance", boundary=None, **NF), frame, ym),
        # the table defaults before correction="auto" and boundary="auto" became the pair: the same rows as
        # rumi_default and mixed_default had then
        "rumi_free_off": (dict(**OFF), X2, y2),
        "mixed_free_off": (dict(**OFF), frame, ym),
        "acgan_default": (dict(method="acgan"), X3, y3),
        "rumi_inside": (dict(boundary={"weight": 1.0, "target": "inside"}, **NF), X2, y2),
        # the table defaults before boundary="auto" went from weight 1 to 0.5: the rows rumi_default had then
        "rumi_margins_weight_1": (dict(boundary={"weight": 1.0, "target": "margins"}, **NF), X2, y2),
        # the table iteration budget of n_iter="auto" (every other case sets n_iter)
        "rumi_auto_iterations": (dict(n_iter="auto", hidden_dims=(4,), batch_size=8), X2, y2),
        "rumi_noise_auto_iterations": (dict(n_iter="auto", anchor=None, hidden_dims=(4,), batch_size=8), X2, y2),
        # image generators whose convolutions replicate the edge instead of padding with zeros
        "images_replicate": (dict(n_iter=3, padding="replicate"), Xi, yi),
        "images_anchored_reflect": (dict(n_iter=3, anchor="smote", padding="reflect"), Xi, yi),
        # rows across the real rows' logistic-regression border dropped and drawn again
        "rumi_border_filter": (dict(filter="border"), X2, y2),
        # the table defaults before filter="auto" became the border filter: the rows rumi_default had then
        "rumi_no_filter": (dict(filter=None), X2, y2),
    }
    return out


def fingerprint(name: str) -> dict:
    from minority_gen import GANOversampler

    params, X, y = cases()[name]
    sampler = GANOversampler(**{**TINY, **params})
    X_res, y_res = sampler.fit_resample(X, y)
    cls = sampler.classes_[-1]
    new = sampler.sample(7, y=cls, random_state=3)
    history = sampler.history_.drop(columns=["gan"]).to_numpy(dtype=np.float64)
    return {"resampled": _digest(X_res, y_res), "sample": _digest(new), "history": _digest(history)}


#: The case whose fingerprint tells the machines apart.
CANARY = "rumi_default"
DATA = Path(__file__).parent / "data"
PINNED_FILE, MACHINES_FILE, V1_FILE = (DATA / f for f in ("pinned_outputs.json", "pinned_outputs_machines.json",
                                                         "v1_samples.json"))


def read_json(path: Path, default=None):
    """A pin file's contents (``default`` when it is absent)."""
    return json.loads(path.read_text()) if path.exists() or default is None else default


def on_pinning_machine() -> bool:
    """Whether this processor computes :data:`CANARY` as pinned (one torch thread, as the tests run)."""
    torch.set_num_threads(1)
    return fingerprint(CANARY) == read_json(PINNED_FILE)[CANARY]


def machine_key(canary: dict) -> str:
    """The key of a machine's fingerprints: the digest of :data:`CANARY`'s fingerprint there."""
    return hashlib.sha256(json.dumps(canary, sort_keys=True).encode()).hexdigest()[:16]


def v1_digest(name: str) -> str:
    """The digest of the rows the format-1 model file ``tests/data/v1_<name>.mgz`` draws."""
    from minority_gen import GANOversampler

    sampler = GANOversampler.load(DATA / f"v1_{name}.mgz")
    return _digest(sampler.sample(9, y=sampler.classes_[-1], random_state=5))


def write_machine() -> str:
    """Add this machine's fingerprints to ``pinned_outputs_machines.json`` (see the module docstring)."""
    import platform
    import subprocess

    torch.set_num_threads(1)
    pinned = read_json(PINNED_FILE)
    canary = fingerprint(CANARY)
    if canary == pinned[CANARY]:
        raise SystemExit("this machine computes the pinned outputs: nothing to add")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    machines = read_json(MACHINES_FILE, {})
    key = machine_key(canary)
    v1_names = read_json(V1_FILE)
    machines[key] = {"written_by": commit, "cpu": cpu, "torch": torch.__version__,
                     "cases": {name: fingerprint(name) for name in pinned},
                     "v1_samples": {name: v1_digest(name) for name in v1_names}}
    MACHINES_FILE.write_text(json.dumps(machines, indent=1) + "\n")
    return key


def main(names=None) -> dict:
    torch.set_num_threads(1)
    return {name: fingerprint(name) for name in (names or cases())}


if __name__ == "__main__":
    if sys.argv[1:] == ["--machine"]:
        print("wrote the fingerprints of machine", write_machine())
    else:
        json.dump(main(sys.argv[1:] or None), sys.stdout, indent=1)
        print()
