"""The examples' command lines say what they do: their --help texts and where they read their data.

Fast: only ``--help`` and a missing data file are run here, no training (the examples' full runs are what
the README and docs/ show).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from minority_gen.settings import AUTO_TABLE_N_ITER, AUTO_TABLE_N_ITER_FROM_NOISE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    """The example ``examples/NAME.py`` as a module (its ``main`` not run)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def help_text(name: str, monkeypatch, capsys) -> str:
    """What ``python examples/NAME.py --help`` prints, whitespace collapsed."""
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--help"])
    module = load(name)
    with pytest.raises(SystemExit) as done:
        module.main()
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.py")))
def test_example_help_opens_with_a_whole_sentence(name, monkeypatch, capsys):
    """The description under the usage line starts with the docstring's first sentence in full, not cut at the
    end of the docstring's first line."""
    text = help_text(name, monkeypatch, capsys)
    doc = " ".join(load(name).__doc__.split())
    first = re.match(r".*?[.?](?=\s|$)", doc).group(0)
    description = re.search(r"\] ([A-Z].*?) options: ", text)
    assert description, text
    assert description.group(1).startswith(first), (description.group(1), first)


def test_demo_help_states_the_estimators_auto_budgets(monkeypatch, capsys):
    """--n-iter's default is the estimator's n_iter="auto": the anchored and the from-noise table budgets."""
    text = help_text("demo_breast_cancer", monkeypatch, capsys)
    assert f"{AUTO_TABLE_N_ITER} for the anchored default GAN" in text
    assert f"{AUTO_TABLE_N_ITER_FROM_NOISE} for the quality-selected one" in text


def test_stroke_example_reads_the_data_folder_of_minority_gen_data(monkeypatch, tmp_path):
    """Without --data the stroke example looks in $MINORITY_GEN_DATA, as the other examples and the benchmarks do,
    and a missing file is one line naming it (before any training)."""
    monkeypatch.setenv("MINORITY_GEN_DATA", str(tmp_path))
    with pytest.raises(SystemExit) as done:
        load("stroke_mixed").main([])
    assert str(tmp_path / "stroke.csv") in str(done.value.code)
