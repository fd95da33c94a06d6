"""Helpers shared by the command-line tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def error_line(capsys, command: str) -> str:
    """The one ``minority-gen COMMAND: error: ...`` line a refused command printed (no traceback)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"minority-gen {command}: error: ") and "Traceback" not in err
    return lines[0]


def write_table_csv(folder: Path) -> Path:
    """A 40-row CSV with three numeric columns and a ``label`` column (30 ``common``, 10 ``rare``)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    df["label"] = ["common"] * 30 + ["rare"] * 10
    df.to_csv(folder / "data.csv", index=False)
    return folder / "data.csv"
