"""The command line's lists of options for one kind of data agree with what the estimator refuses.

``commands/_data_checks.IMAGES_ONLY`` / ``TABLES_ONLY`` name, in command-line terms, the options that work on
images or on tables only; the estimator refuses the same combinations in its own checks (adapters, image
layout, settings). Every enumerable value of every estimator parameter is tried on a small table and on small
images through the estimator's checks, with no training, so an option the estimator starts refusing on one
kind of data (or stops refusing) fails here until the command line's lists say the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import StrOptions

from minority_gen import GANOversampler
from minority_gen.commands._common import CommandError
from minority_gen.commands._data_checks import IMAGES_ONLY, TABLES_ONLY, check_data_kind
from minority_gen.settings import check_params, resolve_settings

_RNG = np.random.default_rng(0)
TABLE = pd.DataFrame(_RNG.normal(size=(30, 3)), columns=list("abc"))  # the command line reads a CSV so
IMAGES = _RNG.uniform(0, 1, size=(30, 28, 28)).astype(np.float32)
Y = np.r_[np.zeros(20, int), np.ones(10, int)]

#: Values of parameters whose constraints do not enumerate them (free text, lists, numbers).
EXTRA = {"filter": ["reach", "border"], "diffaugment": ["color", "translation,cutout"],
         "categorical_features": [["a"], [0]], "boundary": [0.5], "pac": [1, 2], "ema": [0.9],
         "method_params": [{"b_pos": 1.0}]}


def candidates():
    for name, constraints in GANOversampler._parameter_constraints.items():
        values = list(EXTRA.get(name, []))
        for c in constraints:
            if isinstance(c, StrOptions):
                values += sorted(c.options)
            elif isinstance(c, str) and c == "boolean":
                values += [True, False]
            elif c is None:
                values.append(None)
        for value in values:
            yield name, value


def estimator_refuses(params: dict, X) -> bool:
    est = GANOversampler(**params)
    try:
        adapter, data = est._check(X, Y)
        _, spec, _ = adapter.encoder(data.X)
        full = est.get_params(deep=False)
        resolve_settings(full, spec, check_params(full))
    except (ValueError, TypeError):
        return True
    return False


def cli_refuses(params: dict, images: bool) -> bool:
    try:
        check_data_kind(GANOversampler(**params), None, images=images, data="the data")
    except CommandError:
        return True
    return False


CASES = list(candidates())


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v!r}" for n, v in CASES])
def test_cli_kind_rules_follow_the_estimator(name, value):
    params = {name: value}
    on_table, on_images = estimator_refuses(params, TABLE), estimator_refuses(params, IMAGES)
    if on_table and on_images:
        return  # refused everywhere: not a question of the data's kind
    assert cli_refuses(params, images=False) == on_table, (
        f"the estimator {'refuses' if on_table else 'accepts'} {name}={value!r} on a table; "
        "commands/_data_checks.IMAGES_ONLY must say the same")
    assert cli_refuses(params, images=True) == on_images, (
        f"the estimator {'refuses' if on_images else 'accepts'} {name}={value!r} on images; "
        "commands/_data_checks.TABLES_ONLY must say the same")


def test_every_listed_option_is_tried():
    """Each option the command line restricts is among the cases, with a value it refuses."""
    tried = {name for name, _ in CASES}
    assert set(IMAGES_ONLY) | set(TABLES_ONLY) <= tried
    for only, images in ((IMAGES_ONLY, False), (TABLES_ONLY, True)):
        for name in only:
            assert any(cli_refuses({name: v}, images) for n, v in CASES if n == name), name


def test_a_table_refuses_an_image_layout():
    with pytest.raises(ValueError, match=r"image_layout='channels_last' says where an image's channel axis is, "
                                         r"but X is a table .*leave image_layout='auto'"):
        GANOversampler(image_layout="channels_last", n_iter=1).fit(TABLE.to_numpy(), Y)
