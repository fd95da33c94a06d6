"""Evaluation: does synthetic data help a classifier, and is it any good?

* :func:`compare_oversamplers` — cross-validated downstream comparison of
  oversamplers (resampling inside training folds only), with
  :func:`summarise`, :func:`rank_oversamplers`, :func:`markdown_table`,
  :func:`plot_comparison`.
* Generative-quality metrics (:mod:`.metrics`): :func:`mmd2`,
  :func:`frechet_distance`, :func:`prdc`, :func:`c2st_accuracy`,
  :func:`class_fidelity`, :func:`memorisation`, :func:`am_score`, all at once
  per class with :func:`generative_quality`, of each oversampler's added
  rows with :func:`oversampler_quality`; per-column fidelity of mixed
  tables (:mod:`.columns`): :func:`column_fidelity`,
  :func:`correlation_difference`.
* Image features (:mod:`.features`): :class:`SmallCNNFeatures`,
  :class:`InceptionFeatures`, :class:`TorchFeatures`.
* :class:`CNNClassifier` (:mod:`.cnn`) — a small CNN image classifier with a
  fixed epoch budget and model selection on a validation split (protocol I).
* :func:`compare_on_images` (:mod:`.images`) — does oversampling help a CNN on
  these images? (training set × seed × condition) cells in a resumable store;
  their tables, paired by seed, in :mod:`.image_report`.
* :func:`write_report` — markdown report with PNG plots.
* :func:`compare_on_datasets` (:mod:`.engine`) — the datasets × oversamplers ×
  classifiers × folds grid with a resumable JSON-lines store; samplers as
  specs (:func:`parse_sampler`, :func:`sampler_spec`); named benchmark tables
  (:mod:`.datasets`, :func:`load_dataset`); rank statistics over datasets
  (:mod:`.stats`: :func:`mean_ranks`, :func:`friedman_test`,
  :func:`nemenyi_cd`, :func:`holm_test`, :func:`cd_diagram`; paired runs:
  :func:`paired_test`); the tables of such a grid (:mod:`.grid_report`).
* :class:`CTGANSampler` (:mod:`.ctgan_sampler`) — CTGAN as a baseline
  oversampler; needs the optional ``ctgan`` package (``pip install ctgan``).
* Protocol D's data, SMOTE reference and judge scores (:mod:`.minority_digits`,
  :func:`~.judges.judge_scores`); toy data with known modes and
  :func:`~.toys.mode_coverage` (:mod:`.toys`).
"""

from .cnn import CNNClassifier
from .columns import column_fidelity, correlation_difference, encode_for_metrics
from .ctgan_sampler import CTGANSampler
from .datasets import DatasetNotFound, available_datasets, load_dataset
from .downstream import compare_oversamplers
from .engine import compare_on_datasets, read_store
from .features import InceptionFeatures, SmallCNNFeatures, TorchFeatures, to_nchw
from .images import compare_on_images
from .judges import am_score, c2st_accuracy, class_fidelity
from .metrics import frechet_distance, memorisation, mmd2, prdc
from .quality import QUALITY_METRICS, generative_quality, oversampler_quality
from .report import (
    markdown_table,
    plot_comparison,
    plot_quality,
    quality_markdown,
    rank_oversamplers,
    summarise,
    write_report,
)
from .samplers import (
    CLASSIFIERS,
    COST_SENSITIVE,
    NeighbourCap,
    available_oversamplers,
    make_classifier,
    make_oversampler,
    parse_sampler,
    register_oversampler,
    sampler_spec,
    split_specs,
)
from .scoring import DEFAULT_SCORING
from .stats import cd_diagram, friedman_test, holm_test, mean_ranks, nemenyi_cd, paired_test, score_table

__all__ = [
    "COST_SENSITIVE", "DatasetNotFound", "available_datasets", "cd_diagram", "compare_on_datasets",
    "friedman_test", "holm_test", "load_dataset", "mean_ranks", "nemenyi_cd", "paired_test", "parse_sampler",
    "read_store", "sampler_spec", "score_table", "split_specs", "CTGANSampler",
    "CLASSIFIERS", "CNNClassifier", "compare_on_images", "DEFAULT_SCORING", "QUALITY_METRICS", "InceptionFeatures",
    "NeighbourCap",
    "SmallCNNFeatures", "TorchFeatures", "am_score", "available_oversamplers", "c2st_accuracy",
    "class_fidelity", "column_fidelity", "compare_oversamplers", "correlation_difference",
    "encode_for_metrics", "frechet_distance", "generative_quality", "make_classifier",
    "make_oversampler", "markdown_table", "memorisation", "mmd2", "oversampler_quality", "plot_comparison",
    "plot_quality", "prdc",
    "quality_markdown", "rank_oversamplers", "register_oversampler", "summarise", "to_nchw", "write_report",
]
