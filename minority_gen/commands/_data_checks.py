"""Checks of the GAN options against the command's data, before training, in command-line terms.

Which options apply to tables or to images only (:func:`check_data_kind`) and ``sampling_strategy`` against the
classes of the data (:func:`check_sampling_targets`); the estimator refuses the same later in its own (Python)
terms. ``tests/test_kind_rules.py`` tries every enumerable parameter value on both kinds of data through the
estimator's checks and fails when these lists say otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping

import numpy as np

from ._common import CommandError
from ._common import listed as join_listed
from ._constraints import cli_value
from ._gan_options import option_of

#: Parameters that work on one kind of data only → their values that are fine on the other kind too.
IMAGES_ONLY = {"image_layout": ("auto",), "diffaugment": ("auto", None), "padding": ("auto", "zeros")}
TABLES_ONLY = {"filter": ("auto", None), "continuous": ("standard",), "correction": ("auto", "free"),
               "categorical_features": ("auto", None)}


def check_data_kind(sampler, args: argparse.Namespace | None, *, images: bool, data: str, fix: str = "") -> None:
    """Refuse, before any data is read, an option that cannot apply to the command's kind of data.

    ``images``: whether the command trains on images; ``data`` names the
    command's data in the message (``"the CSV"``); ``fix``: what makes the
    option apply, when something on this command does (``resample``: each
    row a flattened image, with ``--image-shape``). The estimator refuses
    the same combinations once it sees the data, in its own terms
    (``pass diffaugment=None``); here they are named with the options.
    """
    params = sampler.get_params(deep=False)
    only, kind, other = (TABLES_ONLY, "tables", "holds images") if images else (IMAGES_ONLY, "images", "is a table")
    for name, fine in only.items():
        value = params[name]
        if any(value is f or (isinstance(value, str) and value == f) for f in fine):
            continue
        option = option_of(name, args)
        given = f"{option}={json.dumps(value)}" if option.startswith("--param") else f"{option} {cli_value(value)}"
        raise CommandError(f"{given} works on {kind} only, and {data} {other}; leave {option} out{fix}.")


def check_sampling_targets(sampler, y, args: argparse.Namespace | None, path) -> None:
    """Check ``sampling_strategy`` against the classes of ``y`` before training, in command-line terms.

    A JSON object's keys are text: each is matched to the class written the
    same way (``"1"`` is the class ``1``, :func:`~minority_gen.safeguards.as_written`, as the estimator does) and
    ``sampler`` gets the labels themselves. Refused with the option's name
    (``--sampling-strategy``, or ``--param sampling_strategy``): a class that
    is not in ``y``, a float ratio below the data's own or with more than two
    classes, any count the estimator would refuse, and a class to grow with
    fewer than 2 rows (saying how to leave it out on the command line).
    """
    from ..plan import MIN_CLASS_ROWS
    from ..safeguards import as_written, check_oversampling_targets, check_ratio, class_label

    option = option_of("sampling_strategy", args)
    labels, sizes = np.unique(np.asarray(y), return_counts=True)
    counts = dict(zip(labels.tolist(), sizes.tolist()))
    listed = join_listed(f"{class_label(c)} ({n} rows)" for c, n in counts.items())
    strategy = sampler.sampling_strategy
    if isinstance(strategy, Mapping):
        mapped = as_written(strategy, y)
        unknown = [key for key in mapped if key not in counts]
        if unknown:
            raise CommandError(f"{option}: {path} has no class {unknown[0]!r}; its classes: {listed}.")
        sampler.set_params(sampling_strategy=mapped)  # the labels themselves, as the Python API takes them
    elif isinstance(strategy, float):
        if len(counts) != 2:
            raise CommandError(f"{option} {strategy:g}: a ratio works for two classes only; {path} has "
                               f"{len(counts)} ({listed}). Give 'auto', 'not majority' ... or a JSON object of "
                               "class -> rows after resampling, e.g. '{\"rare\": 100}'.")
        try:
            check_ratio(strategy, y, f"{path} already has")
        except ValueError as exc:
            raise CommandError(f"{option}: {exc}") from None
    try:
        targets = check_oversampling_targets(sampler.sampling_strategy, y)
    except (ValueError, TypeError) as exc:
        message = re.sub(r"^sampling_strategy\[(.+?)\]", r"the entry \1", " ".join(str(exc).split()))
        raise CommandError(f"{option}: {message}") from None
    grow = {c: n for c, n in targets.items() if n > 0}
    small = [c for c in grow if counts[c] < MIN_CLASS_ROWS]
    if small:
        c = small[0]
        others = {str(o): counts[o] + n for o, n in grow.items() if counts[o] >= MIN_CLASS_ROWS}
        if others:
            spelt = (f"--param 'sampling_strategy={json.dumps(others)}'" if option.startswith("--param")
                     else f"{option} '{json.dumps(others)}'")
            fix = f", or grow only the other classes with {spelt}"
        elif len(counts) > 2:
            fix = ", or drop its row from the CSV"
        else:
            fix = ""
        raise CommandError(f"the class {class_label(c)} of {path} has {counts[c]} row; a GAN needs at least "
                           f"{MIN_CLASS_ROWS} rows of a class to learn it. Add rows of that class{fix}.")
