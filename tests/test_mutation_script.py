"""The mutation script (benchmarks/mutation.py): its mutants apply, and one is killed in a copy."""

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MUT = runpy.run_path(str(ROOT / "benchmarks" / "mutation.py"), run_name="mutation")


def test_every_mutant_applies_to_the_current_source_once():
    mutants = MUT["MUTANTS"]
    assert len({m.name for m in mutants}) == len(mutants) >= 80
    for m in mutants:
        text = m.check()  # ValueError unless the text to replace occurs exactly once
        assert m.old != m.new and text.replace(m.old, m.new) != text, m.name


def test_a_mutant_changes_only_the_copy(tmp_path):
    mutant = next(m for m in MUT["MUTANTS"] if m.name == "ema-inverted")
    before = (ROOT / mutant.path).read_text()
    root = MUT["make_copy"](tmp_path)
    mutant.apply(root)
    assert (root / mutant.path).read_text() == before.replace(mutant.old, mutant.new)
    assert (ROOT / mutant.path).read_text() == before  # the real file is untouched
    assert MUT["imported_from"](root) == (root / "minority_gen").resolve()  # tests there import the copy
    with pytest.raises(ValueError, match="occurs 0 times"):
        mutant.apply(root)  # already applied: the text is gone


def test_report_stamps_the_run_and_lists_every_mutant_and_the_survivors():
    mutants = {m.name: m for m in MUT["MUTANTS"]}
    rows = [{"mutant": "ema-inverted", "passed": False, "by": "tests/test_x.py::t", "seconds": 3.2},
            {"mutant": "packed-labels-second-row", "passed": True, "by": "", "seconds": 5.0}]
    text = "\n".join(MUT["report"](rows, mutants, ["--only", "ema-inverted"], 120.0, 2, ("tests/test_x.py",)))
    assert "* Command: `python benchmarks/mutation.py --only ema-inverted`" in text
    assert "output version" in text and "* Machine: " in text and "2.0 min in all (2 mutant(s) at a time)" in text
    assert "**1 of 2 mutants killed (50.0 %).**" in text
    assert "| ema-inverted | `training.py` | EMA decay d ↔ 1-d | yes | `tests/test_x.py::t` | 3.2 |" in text
    survivors = text.split("## Survivors")[1]
    assert "`packed-labels-second-row`" in survivors and "equivalent" in survivors and "ema-inverted" not in survivors


@pytest.mark.slow
def test_the_rumi_sgan_fake_target_mutant_is_killed_and_the_baseline_passes():
    """The issue's example: rumi-sgan's fake target 0 -> 1, invisible at logit 0, caught at non-zero logits."""
    mutant = next(m for m in MUT["MUTANTS"] if m.name == "rumi-sgan-fake-target")
    tests, args = ["tests/test_losses_nondegenerate.py"], ["-k", "rumi_sgan"]
    killed = MUT["run_mutant"](mutant, tests, args, timeout=120)
    assert not killed["passed"] and "test_rumi_sgan" in killed["by"]
    assert MUT["run_mutant"](None, tests, args, timeout=120)["passed"]


@pytest.mark.parametrize("table, error", [
    ('name = "a"\npath = "p"\nold = "x"\nbreaks = "b"', "mutant 'a' has no new"),
    ('name = "a"\npath = "p"\nold = "x"\nnew = "y"\nbreaks = "b"\nwhy = "w"', "mutant 'a' has unknown fields"),
    ('name = "a"\npath = "p"\nold = "x"\nnew = 1\nbreaks = "b"', "mutant 'a': new must be text"),
    ('name = "a"\npath = "p"\nold = "x"\nnew = "x"\nbreaks = "b"', "mutant 'a' replaces its text by the same"),
])
def test_a_malformed_mutants_file_names_the_mutant(tmp_path, table, error):
    path = tmp_path / "mutants.toml"
    path.write_text(f"[[mutant]]\n{table}\n")
    with pytest.raises(ValueError, match=error):
        MUT["read_mutants"](path)
    path.write_text('[[mutant]]\nname = "a"\npath = "p"\nold = "x"\nnew = "y"\nbreaks = "b"\n' * 2)
    with pytest.raises(ValueError, match="mutant 'a' is listed twice"):
        MUT["read_mutants"](path)
