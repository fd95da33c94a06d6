"""The generated regions of README.md and docs/*.md are what benchmarks/results/ gives (benchmarks/docs_figures.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.benchmark_scripts import loaded

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def figures():
    yield from loaded("docs_figures")


@pytest.fixture
def copy(figures, tmp_path):
    """A copy of the documents and of every result file the generators read, as a repository root."""
    for path in figures.documents(ROOT):
        if path.exists():
            (tmp_path / path.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, tmp_path / path.relative_to(ROOT))
    for figure in figures.FIGURES.values():
        for source in figure.sources:
            (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / source, tmp_path / source)
    figures.main(["--root", str(tmp_path), "--write"])  # current, whatever the checkout's state
    return tmp_path


def test_generated_regions_match_the_committed_results(figures):
    diffs = figures.differences(ROOT)
    if diffs:
        pytest.fail("Regions differ from benchmarks/results/ (python benchmarks/docs_figures.py --write rewrites "
                    "them from the results):\n" + "\n".join(diffs), pytrace=False)


def test_there_are_regions_in_readme_and_docs(figures):
    docs = {path.relative_to(ROOT).as_posix() for path in figures.rendered(ROOT)}
    assert "README.md" in docs and any(d.startswith("docs/") for d in docs)
    assert len(figures.FIGURES) >= 3
    for figure in figures.FIGURES.values():
        assert figure.sources and all((ROOT / s).is_file() for s in figure.sources)


def _edit_a_number(path: Path, name: str) -> tuple[str, str]:
    """Change the last digit of the first decimal number inside region ``name`` of ``path``; (old, new)."""
    text = path.read_text(encoding="utf-8")
    region = re.search(rf"<!-- figures:{name} -->.*?<!-- /figures:{name} -->", text, re.DOTALL)
    number = re.search(r"\d+\.\d+", region.group(0))
    old = number.group(0)
    new = old[:-1] + str((int(old[-1]) + 1) % 10)
    at = region.start() + number.start()
    path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
    return old, new


@pytest.mark.parametrize(("document", "name"), [("README.md", "protocol-t-ranks"),
                                                ("docs/sample_quality.md", "sample-quality-rumi")])
def test_a_hand_edited_number_fails_the_check_and_write_restores_it(figures, copy, document, name, capsys):
    original = (copy / document).read_text(encoding="utf-8")
    old, new = _edit_a_number(copy / document, name)
    diffs = figures.differences(copy)
    assert len(diffs) == 1
    assert any(line.startswith("-") and new in line for line in diffs[0].splitlines()[2:])
    assert any(line.startswith("+") and old in line for line in diffs[0].splitlines()[2:])
    assert figures.main(["--root", str(copy)]) == 1
    assert figures.main(["--root", str(copy), "--write"]) == 0
    assert (copy / document).read_text(encoding="utf-8") == original
    assert figures.main(["--root", str(copy)]) == 0
    capsys.readouterr()


def test_a_changed_result_file_changes_the_region(figures, copy):
    csv = copy / "benchmarks/results/stroke_mixed/results.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("0.7704662280464528", "0.7814662280464528"),
                   encoding="utf-8")
    (diff,) = figures.differences(copy)
    assert "+| random oversampling | **0.781** |" in diff


def test_markers_without_a_partner_or_a_generator_are_errors(figures, copy):
    readme = copy / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("<!-- /figures:protocol-i -->", ""), encoding="utf-8")
    with pytest.raises(ValueError, match="unpaired figure markers"):
        figures.differences(copy)
    readme.write_text(text + "\n<!-- figures:nothing -->\n<!-- /figures:nothing -->\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'nothing' has no generator"):
        figures.differences(copy)
    start, end = text.index("<!-- figures:protocol-i -->"), text.index("<!-- /figures:protocol-i -->")
    readme.write_text(text[:start] + text[end + len("<!-- /figures:protocol-i -->"):], encoding="utf-8")
    with pytest.raises(ValueError, match="exactly one region.*protocol-i"):
        figures.differences(copy)
