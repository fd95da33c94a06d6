"""``minority-gen resample`` on a CSV whose integer column has empty cells: original rows written as read,
synthetic values whole numbers in the column's range."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minority_gen.cli import main
from minority_gen.commands._common import read_csv_table

FAST = ["--n-iter", "3", "--batch-size", "8", "--quiet", "--device", "cpu", "--random-state", "0"]
N = 48


def _write(path: Path, age_text) -> list[str]:
    rng = np.random.default_rng(0)
    ages = rng.integers(18, 80, N)
    gaps = rng.random(N) < 0.2
    lines = ["age,x,label"]
    for i in range(N):
        age = "" if gaps[i] else age_text(ages[i])
        lines.append(f"{age},{round(float(rng.normal()), 6)!r},{'rare' if i % 4 == 0 else 'common'}")
    path.write_text("\n".join(lines) + "\n")
    return lines


@pytest.mark.parametrize("age_text, synthetic", [(str, r"\d+"), (lambda a: f"{a}.0", r"\d+\.0")])
def test_integer_column_with_empty_cells_round_trips(tmp_path, age_text, synthetic):
    csv, out = tmp_path / "in.csv", tmp_path / "out.csv"
    lines = _write(csv, age_text)
    assert main(["resample", str(csv), "--target", "label", "--out", str(out), *FAST]) == 0
    written = out.read_text().splitlines()
    assert written[: N + 1] == lines  # the original rows' text as read: 63 stays 63, 63.0 stays 63.0
    ages = [row.split(",")[0] for row in written[N + 1:]]
    assert len(ages) == N // 2  # 36 common, 12 rare: 24 new rows
    present = [a for a in ages if a]
    assert present and all(re.fullmatch(synthetic, a) for a in present), present
    observed = [int(float(line.split(",")[0])) for line in lines[1:] if line.split(",")[0]]
    assert all(min(observed) <= float(a) <= max(observed) for a in present), present


def test_integer_text_is_read_as_nullable_integers_exactly(tmp_path):
    csv = tmp_path / "in.csv"
    big = 2 ** 60 + 1  # not exact in float64
    csv.write_text(f"n,m,label\n{big},1.5,a\n,2.5,b\n7,,a\n-3,4.0,b\n")
    X, _ = read_csv_table(csv, "label")
    assert str(X["n"].dtype) == "Int64" and X["n"].tolist()[0] == big and X["n"].isna().tolist()[1]
    assert X["m"].dtype == np.float64  # a column with decimals keeps float64
    complete = tmp_path / "complete.csv"
    complete.write_text("n,label\n1,a\n2,b\n")
    assert read_csv_table(complete, "label")[0]["n"].dtype == np.int64  # no gaps: as pandas reads it
    pd.testing.assert_frame_equal(read_csv_table(csv, "label")[0][["m"]], pd.read_csv(csv)[["m"]])


def test_ctrl_c_while_the_commands_load_is_one_line(monkeypatch, capsys):
    import minority_gen.cli as cli

    def interrupted():
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(cli, "_command_modules", interrupted)
    assert cli.main(["resample", "in.csv"]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["minority-gen: interrupted (Ctrl-C) while starting; nothing was written."]


INTERRUPT_TORCH = """
import sys

class CtrlCOnTorch:  # Ctrl-C arriving while torch is being imported
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlCOnTorch())
from minority_gen.cli import main  # what the minority-gen console script does
assert "torch" not in sys.modules and "pandas" not in sys.modules, "the command line module imported its libraries"
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_while_torch_imports_is_one_line_from_the_console_script():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", INTERRUPT_TORCH, "resample", "in.csv"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 130, out.stderr
    assert out.stderr.strip().splitlines() == [
        "minority-gen: interrupted (Ctrl-C) while starting; nothing was written."]
