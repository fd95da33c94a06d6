"""The file names of a report folder, defined once: :mod:`.report` writes them and ``minority-gen evaluate
--overwrite`` accepts a folder holding only them (:func:`report_files`)."""

from __future__ import annotations

from collections.abc import Iterable

#: The files of a report folder: :func:`~.report.write_report` writes the first six; ``minority-gen evaluate
#: --datasets`` writes :data:`RESULTS_CSV`, :data:`REPORT_MD` and, by :func:`~.report.rank_section`,
#: :func:`scores_file` and :func:`cd_file`.
REPORT_MD = "report.md"
DOWNSTREAM_PNG = "downstream.png"
DOWNSTREAM_FOLDS_CSV = "downstream_folds.csv"
DOWNSTREAM_SUMMARY_CSV = "downstream_summary.csv"
QUALITY_PNG = "quality.png"
QUALITY_CSV = "quality.csv"
RESULTS_CSV = "results.csv"


def scores_file(clf: str) -> str:
    """The per-dataset fold means of classifier ``clf`` that :func:`~.report.rank_section` writes."""
    return f"scores_{clf}.csv"


def cd_file(clf: str) -> str:
    """The critical-difference diagram of classifier ``clf`` that :func:`~.report.rank_section` draws."""
    return f"cd_{clf}.png"


def report_files(classifiers: Iterable[str]) -> frozenset[str]:
    """Every file name a report folder may hold, either mode of ``evaluate``, for these classifiers.

    >>> sorted(report_files(["rf"]))[:3]
    ['cd_rf.png', 'downstream.png', 'downstream_folds.csv']
    """
    return frozenset({REPORT_MD, DOWNSTREAM_PNG, DOWNSTREAM_FOLDS_CSV, DOWNSTREAM_SUMMARY_CSV, QUALITY_PNG,
                      QUALITY_CSV, RESULTS_CSV, *map(scores_file, classifiers), *map(cd_file, classifiers)})
