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

The fingerprints are those of the machine that last re-pinned them: since
2026-12-07 (output version 52303f66844ddca3) an AVX-512 Xeon, whose last bits
differ from the earlier machine's, so every case and the ``v1_*`` draws were
re-pinned there. A machine whose processor computes other last bits is checked
against its own fingerprints in ``pinned_outputs_machines.json`` (absent when
none is listed; ``tests/pinned_outputs.py`` says how they are written), found
by the fingerprint of the canary case there.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from minority_gen._version import OUTPUT_VERSION, OUTPUT_VERSION_CASES

from .pinned_outputs import (
    CANARY,
    MACHINES_FILE,
    PINNED_FILE,
    V1_FILE,
    cases,
    fingerprint,
    machine_key,
    read_json,
    v1_digest,
)

PINNED = read_json(PINNED_FILE)
V1_SAMPLES = read_json(V1_FILE)
MACHINES = read_json(MACHINES_FILE, {})


@pytest.fixture(scope="module")
def pins() -> tuple[dict, dict]:
    """This machine's fingerprints: the pinned ones, or those of a machine listed under its canary's digest."""
    canary = fingerprint(CANARY)
    if canary == PINNED[CANARY]:
        return PINNED, V1_SAMPLES
    key = machine_key(canary)
    if key in MACHINES:
        return MACHINES[key]["cases"], MACHINES[key]["v1_samples"]
    pytest.fail(f"the canary case {CANARY!r} gives {canary}, neither the pinned fingerprint nor one of a machine "
                f"in {MACHINES_FILE.name} ({key}): the outputs changed, or this processor computes "
                "other last bits (then add it with `python -m tests.pinned_outputs --machine` from a commit whose "
                "pins pass on a listed machine)")


def test_every_case_is_pinned():
    assert set(PINNED) == set(cases())
    for machine in MACHINES.values():
        assert set(machine["cases"]) == set(PINNED) and set(machine["v1_samples"]) == set(V1_SAMPLES)


def _written(pinned: dict) -> bytes:
    return (json.dumps(pinned, indent=1) + "\n").encode()


def test_the_output_version_names_the_pinned_outputs():
    assert _written(PINNED) == PINNED_FILE.read_bytes()  # the file is written this way
    assert 0 < OUTPUT_VERSION_CASES <= len(PINNED)
    versioned = dict(list(PINNED.items())[:OUTPUT_VERSION_CASES])
    digest = hashlib.sha256(_written(versioned)).hexdigest()[:16]
    assert OUTPUT_VERSION == digest, ("outputs were re-pinned: set minority_gen._version.OUTPUT_VERSION to the "
                                      "digest of the whole file and OUTPUT_VERSION_CASES to its number of cases")


@pytest.mark.parametrize("name", sorted(cases()))
def test_outputs_match_the_pinned_fingerprints(name, pins):
    assert fingerprint(name) == pins[0][name]


@pytest.mark.parametrize("name", sorted(V1_SAMPLES))
def test_format_1_model_files_load_and_draw_the_same_rows(name, pins):
    assert v1_digest(name) == pins[1][name]
