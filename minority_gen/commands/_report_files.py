"""The report folder of ``minority-gen evaluate``: the files it writes, and its check as an output."""

from __future__ import annotations

from pathlib import Path

from ..evaluation import CLASSIFIERS
from ..evaluation.report_names import report_files
from ._common import foreign_entry
from ._output import Outputs

#: Every file either mode of ``evaluate`` writes into the report folder: ``write_report`` (one CSV) and
#: ``run_datasets`` with ``rank_section`` (``--datasets``), as named by
#: :func:`~minority_gen.evaluation.report.report_files`. ``--overwrite`` refuses a folder holding anything else.
REPORT_FILES = report_files(CLASSIFIERS)


def report_folder(outputs: Outputs, path: Path) -> Path:
    """Check and register ``--out``, the report folder (:meth:`Outputs.folder`)."""
    return outputs.folder("--out", path, foreign=lambda p: foreign_entry(p, files=REPORT_FILES),
                          holds="this command writes a report folder (report.md with PNG and CSV files)")
