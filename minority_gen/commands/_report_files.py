"""The report folder of ``minority-gen evaluate``: the files it writes, and its check as an output."""

from __future__ import annotations

from pathlib import Path

from ..evaluation import CLASSIFIERS
from ._common import foreign_entry
from ._output import Outputs

#: Every file either mode of ``evaluate`` writes into the report folder: ``write_report`` (one CSV) and
#: ``run_datasets`` with ``rank_section`` (``--datasets``). ``--overwrite`` refuses a folder holding anything else.
REPORT_FILES = frozenset({
    "report.md", "downstream.png", "downstream_folds.csv", "downstream_summary.csv", "quality.png", "quality.csv",
    "results.csv", *(f"scores_{clf}.csv" for clf in CLASSIFIERS), *(f"cd_{clf}.png" for clf in CLASSIFIERS),
})


def report_folder(outputs: Outputs, path: Path) -> Path:
    """Check and register ``--out``, the report folder (:meth:`Outputs.folder`)."""
    return outputs.folder("--out", path, foreign=lambda p: foreign_entry(p, files=REPORT_FILES),
                          holds="this command writes a report folder (report.md with PNG and CSV files)")
