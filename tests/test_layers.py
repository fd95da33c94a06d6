"""The package's layering, checked on every run: no module imports a higher layer, and no import circle.

Every ``import`` and ``from ... import`` in ``minority_gen`` counts, wherever
it stands (inside functions too). ``from . import name`` counts as an import
of the module ``name`` when there is one, else of the package. The layers,
lowest first, are :data:`LAYERS`; a module belongs to the layer of the longest
name that prefixes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "minority_gen"

#: Lowest first. A module may import its own layer and those below, never one above.
LAYERS = [
    ("foundation", ["_version", "devices", "ddp", "data", "images", "columns", "tabular", "diffaugment", "filtering",
                    "boundary", "constraints", "integers",
                    "safeguards", "parallel", "divergence", "callbacks", "losses", "monitor", "docstrings"]),
    ("networks", ["nets"]),
    ("methods", ["methods", "batches"]),
    ("training", ["training", "generation", "networks", "jsonstate"]),
    ("fit", ["settings", "plan", "adapters"]),
    ("model", ["model"]),
    ("persistence", ["persistence", "persistence_v1"]),
    ("estimator", ["oversampler", "augmentation"]),
    ("applications", ["distributed", "plotting", "evaluation", "commands", "cli", "__main__", ""]),
]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)  # "" is the package itself


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str, source: str, is_package: bool, known: set[str]) -> set[str]:
    """The package modules that module ``name`` (its ``source``) imports, named relative to the package."""
    tree = ast.parse(source)
    package = name if is_package else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module == "minority_gen" or (node.module or "").startswith("minority_gen."):
                target = node.module.removeprefix("minority_gen").removeprefix(".")
            else:
                continue
            subs = [f"{target}.{a.name}".strip(".") for a in node.names]
            targets = [s for s in subs if s in known]
            if len(targets) < len(subs):
                targets.append(target)
        else:
            continue
        for t in targets:
            t = t.removeprefix("minority_gen").removeprefix(".") if t.startswith("minority_gen") else t
            if t in known and t != name:
                out.add(t)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path.read_text(), path.name == "__init__.py", set(mods))
            for name, path in mods.items()}


def layer_of(name: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = name == prefix or (prefix and name.startswith(prefix + ".")) or prefix == ""
            if matches and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def arrows_up(g: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
                  for a, targets in g.items() for b in targets if layer_of(b) > layer_of(a))


def circles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan's algorithm)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_every_module_has_a_layer():
    assert [name for name in modules() if layer_of(name) is None] == []


def test_no_module_imports_a_higher_layer():
    assert arrows_up(graph()) == []


def test_no_import_circle():
    assert circles(graph()) == []


def test_the_checks_catch_an_arrow_up_and_a_circle():
    g = graph()
    assert "training" in g and "oversampler" in g
    bad = {**g, "training": g["training"] | {"oversampler"}}
    assert arrows_up(bad) == ["training (training) imports oversampler (estimator)"]
    assert ["oversampler", "training"] in [c for c in circles({"training": {"oversampler"},
                                                               "oversampler": {"training"}})]


@pytest.mark.parametrize("source, expected", [
    ("from . import ddp", {"ddp"}),
    ("from .plan import Plan", {"plan"}),
    ("def f():\n    from .persistence import save_sampler", {"persistence"}),
    ("from minority_gen.model import FittedModel", {"model"}),
    ("from . import __version__", {""}),
])
def test_imports_are_read_wherever_they_stand(source, expected):
    assert imports_of("oversampler", source, False, set(modules())) == expected


def test_no_module_is_over_400_lines():
    """The house issue's limit: a module over 400 lines is split, not grown."""
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}
