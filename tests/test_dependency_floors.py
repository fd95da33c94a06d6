"""The lower bounds pyproject.toml declares are the versions `make test-lowest` installs (integrity item 14)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
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


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = [*project["dependencies"], *(s for extra in project["optional-dependencies"].values() for s in extra)]
    return {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in specs}


def test_every_module_level_import_is_a_declared_dependency():
    # `import minority_gen` must work on a fresh install: a module imported at load time that only comes with
    # another package (sklearn_compat came with imbalanced-learn 0.13 and 0.14) breaks when that package drops it
    distributions = importlib.metadata.packages_distributions()
    declared, undeclared = _declared(), {}
    for path in (ROOT / "minority_gen").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:  # module level only: a function's import is optional
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for top in {name.partition(".")[0] for name in names}:
                if top in sys.stdlib_module_names or top in ("__future__", "minority_gen"):
                    continue
                dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
                if not dists & declared:
                    undeclared.setdefault(top, []).append(str(path.relative_to(ROOT)))
    assert not undeclared, f"imported at module level but not declared in pyproject.toml: {undeclared}"
