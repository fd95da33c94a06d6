"""The estimator's outputs for fixed seeds, pinned bit for bit (see ``tests/pinned_outputs.py``).

The fingerprints in ``tests/data/pinned_outputs.json`` were written by commit
63ace38, the commit before the house refactor; the refactor keeps every one.
A commit that changes outputs on purpose re-pins the cases it changes, with
``python -m tests.pinned_outputs NAME ...``, sets ``minority_gen._version.OUTPUT_VERSION``
to the new file's digest and ``OUTPUT_VERSION_CASES`` to its number of cases, and says so
in its message. A new option gets a case, appended at the end of the file: it leaves the
version as it is (no earlier row used the option), until the next re-pin counts it.

The ``v1_*.mgz`` files were saved by that commit in model-file format 1;
they must keep loading and drawing the same rows.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from minority_gen import GANOversampler
from minority_gen._version import OUTPUT_VERSION, OUTPUT_VERSION_CASES

from .pinned_outputs import _digest, cases, fingerprint

DATA = Path(__file__).parent / "data"
PINNED = json.loads((DATA / "pinned_outputs.json").read_text())
V1_SAMPLES = json.loads((DATA / "v1_samples.json").read_text())


def test_every_case_is_pinned():
    assert set(PINNED) == set(cases())


def _written(pinned: dict) -> bytes:
    return (json.dumps(pinned, indent=1) + "\n").encode()


def test_the_output_version_names_the_pinned_outputs():
    assert _written(PINNED) == (DATA / "pinned_outputs.json").read_bytes()  # the file is written this way
    assert 0 < OUTPUT_VERSION_CASES <= len(PINNED)
    versioned = dict(list(PINNED.items())[:OUTPUT_VERSION_CASES])
    digest = hashlib.sha256(_written(versioned)).hexdigest()[:16]
    assert OUTPUT_VERSION == digest, ("outputs were re-pinned: set minority_gen._version.OUTPUT_VERSION to the "
                                      "digest of the whole file and OUTPUT_VERSION_CASES to its number of cases")


@pytest.mark.parametrize("name", sorted(cases()))
def test_outputs_match_the_pinned_fingerprints(name):
    assert fingerprint(name) == PINNED[name]


@pytest.mark.parametrize("name", sorted(V1_SAMPLES))
def test_format_1_model_files_load_and_draw_the_same_rows(name):
    sampler = GANOversampler.load(DATA / f"v1_{name}.mgz")
    rows = sampler.sample(9, y=sampler.classes_[-1], random_state=5)
    assert _digest(rows) == V1_SAMPLES[name]
