"""The README's quickstart runs as it stands and prints exactly the output the README shows.

The code is the ``python`` block between ``<!-- quickstart:code -->`` and
``<!-- /quickstart:code -->`` in README.md, the output the block between
``<!-- quickstart:output -->`` and ``<!-- /quickstart:output -->``. The code runs
in a fresh process on the CPU with one torch thread (as the README says), so the
floats are reproducible on the machine that pinned the outputs (on a processor that
computes other last bits the test is skipped). After a change that moves them on purpose,
``python tests/test_readme_quickstart.py --write`` puts the new output into the
README.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def region(text: str, name: str) -> re.Match:
    """The one fenced block between ``<!-- quickstart:NAME -->`` and ``<!-- /quickstart:NAME -->``."""
    found = list(re.finditer(rf"<!-- quickstart:{name} -->\n+```[a-z]*\n(?P<block>.*?)```\n+"
                             rf"<!-- /quickstart:{name} -->", text, re.DOTALL))
    if len(found) != 1:
        raise ValueError(f"README.md needs exactly one fenced block marked quickstart:{name}; found {len(found)}.")
    return found[0]


def run_quickstart(code: str) -> str:
    """Stdout of ``code`` run as a script: fresh process, CPU only, one torch thread, one BLAS thread."""
    prelude = "import torch\ntorch.set_num_threads(1)\n"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, env=env,
                          cwd=README.parent, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"the README's quickstart failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


@pytest.mark.slow
def test_readme_quickstart_prints_what_the_readme_shows():
    from .pinned_outputs import on_pinning_machine

    if not on_pinning_machine():
        pytest.skip("the README shows what the machine that pinned the outputs prints; this processor computes "
                    "other last bits (tests/pinned_outputs.py), so its floats differ")
    text = README.read_text(encoding="utf-8")
    shown = region(text, "output").group("block")
    printed = run_quickstart(region(text, "code").group("block"))
    if printed != shown:
        diff = "".join(difflib.unified_diff(shown.splitlines(True), printed.splitlines(True),
                                            "README.md (shown)", "quickstart (printed today)"))
        pytest.fail("The README's quickstart output is not what its code prints today "
                    "(python tests/test_readme_quickstart.py --write updates it):\n" + diff, pytrace=False)


def test_quickstart_regions_hold_code_and_output():
    """Fast: the markers the slow test reads are there, around a python block and its printed lines."""
    text = README.read_text(encoding="utf-8")
    assert text.index("<!-- quickstart:code -->") < text.index("<!-- quickstart:output -->")
    assert "GANOversampler" in region(text, "code").group("block")
    assert region(text, "output").group("block").startswith("before:")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/test_readme_quickstart.py --write")
    text = README.read_text(encoding="utf-8")
    out = region(text, "output")
    printed = run_quickstart(region(text, "code").group("block"))
    start, end = out.span("block")
    README.write_text(text[:start] + printed + text[end:], encoding="utf-8")
    print(printed, end="")
