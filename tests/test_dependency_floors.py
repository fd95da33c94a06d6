"""The lower bounds pyproject.toml declares are the versions `make test-lowest` installs (integrity item 14)."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for spec in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+?)(\[[^\]]*\])?>=([0-9.]+)", spec.replace(" ", ""))
        assert match, f"{spec!r}: every core and dev dependency declares a lower bound (name>=version)"
        floors[match.group(1).lower()] = match.group(3)
    return floors


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            package, version = line.split("==")
            pins[package.lower()] = version
    return pins


def test_every_declared_lower_bound_is_a_tested_pin():
    floors, lowest = _floors(), _pins("constraints-lowest.txt")
    tested = {k: v for k, v in floors.items() if k != "ruff"}  # the linter is not part of the tested code
    assert tested == {k: lowest[k] for k in tested}, "pyproject.toml's >= bounds must equal constraints-lowest.txt"
    assert set(lowest) == set(tested), "constraints-lowest.txt pins exactly the declared dependencies"


def test_the_lowest_torch_pair_is_the_working_pair():
    lowest, working = _pins("constraints-lowest.txt"), _pins("constraints.txt")
    assert (lowest["torch"], lowest["torchvision"]) == (working["torch"], working["torchvision"])
