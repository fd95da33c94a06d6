"""Import a script of benchmarks/ as a module for the duration of a test module."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def loaded(name: str) -> Iterator:
    """Yield ``benchmarks/<name>.py`` imported as module ``name``; restore ``sys.modules`` afterwards.

    The module is registered under its name while it runs because dataclasses
    and pickling look their module up in ``sys.modules``.
    """
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    if previous is None:
        sys.modules.pop(name, None)
    else:
        sys.modules[name] = previous


def imported(name: str, prefix: str = "bench_"):
    """``benchmarks/<name>.py`` as a fresh module named ``<prefix><name>`` (not registered in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(f"{prefix}{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
