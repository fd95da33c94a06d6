"""Sampler specs and the classifier registry: one table read by Python, the command line and the benchmarks."""

from __future__ import annotations

import pytest
from imblearn.over_sampling import ADASYN, SMOTE, SVMSMOTE, BorderlineSMOTE, RandomOverSampler
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TunedThresholdClassifierCV

from minority_gen import GANOversampler, available_methods
from minority_gen.evaluation import (
    COST_SENSITIVE,
    NeighbourCap,
    make_classifier,
    parse_sampler,
    sampler_spec,
    split_specs,
)

ROUND_TRIPS = [
    ("none", "none"),
    ("ros", "ros"),
    ("smote", "smote"),
    ("adasyn", "adasyn"),
    ("borderline-smote", "borderline-smote"),
    ("bsmote", "borderline-smote"),  # protocol T's alias
    ('smote:{"k_neighbors": 5}', 'smote:{"k_neighbors": 5}'),
    ('ros:{"random_state": 3}', 'ros:{"random_state": 3}'),
    ("rumi", "rumi"),
    ('rumi:{"anchor": null}', 'rumi:{"anchor": null}'),
    ('lsgan: {"n_iter": 3, "hidden_dims": [8]}', 'lsgan:{"hidden_dims": [8], "n_iter": 3}'),
    ('rumi:{"random_state": 0}', "rumi"),  # a default is not repeated
]


@pytest.mark.parametrize(("spec", "canonical"), ROUND_TRIPS)
def test_spec_to_sampler_to_spec(spec, canonical):
    sampler = parse_sampler(spec)
    assert sampler_spec(sampler) == canonical
    again = parse_sampler(sampler_spec(sampler))
    if sampler is None:
        assert again is None
    else:
        assert type(again) is type(sampler)
        assert again.get_params(deep=True).keys() == sampler.get_params(deep=True).keys()
        assert repr(again) == repr(sampler)


@pytest.mark.parametrize("method", available_methods())
def test_every_gan_method_is_a_spec(method):
    sampler = parse_sampler(method)
    assert isinstance(sampler, GANOversampler) and sampler.method == method and sampler.random_state == 0
    assert sampler_spec(sampler) == method


def test_what_specs_stand_for():
    assert parse_sampler("none") is None
    assert parse_sampler("ros", random_state=7).get_params() == RandomOverSampler(random_state=7).get_params()
    smote = parse_sampler("smote")
    assert isinstance(smote, NeighbourCap) and isinstance(smote.sampler, SMOTE) and smote.sampler.k_neighbors == 3
    assert isinstance(parse_sampler("adasyn").sampler, ADASYN)
    assert isinstance(parse_sampler("bsmote").sampler, BorderlineSMOTE)
    rumi = parse_sampler('rumi:{"anchor": null, "n_iter": 3}')
    assert rumi.anchor is None and rumi.n_iter == 3
    assert parse_sampler("rumi").anchor == GANOversampler().anchor  # everything else at its default


@pytest.mark.parametrize(("spec", "message"), [
    ("smoot", "Unknown oversampler 'smoot'"),
    ("rumi:{bad json}", "must be a JSON object"),
    ("rumi:[1, 2]", "must be a JSON object"),
    ('rumi:{"n_iterations": 3}', r"unknown GANOversampler parameter\(s\) \['n_iterations'\]"),
    ('rumi:{"method": "lsgan"}', "the method is the name before"),
    ('smote:{"k": 3}', r"unknown SMOTE parameter\(s\) \['k'\]"),
    ('none:{"x": 1}', "'none' takes no parameters"),
])
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_sampler(spec)


def test_a_sampler_without_a_name_has_no_spec():
    with pytest.raises(ValueError, match="No sampler name stands for SVMSMOTE"):
        sampler_spec(SVMSMOTE())
    with pytest.raises(ValueError, match="No sampler name stands for NeighbourCap"):
        sampler_spec(NeighbourCap(SVMSMOTE()))  # wraps a sampler "smote" does not stand for


def test_split_specs_keeps_json_together():
    assert split_specs('none,ros, rumi:{"anchor": null, "n_iter": 5},"x"') == [
        "none", "ros", 'rumi:{"anchor": null, "n_iter": 5}', '"x"']


def test_cost_sensitive_classifiers():
    assert COST_SENSITIVE == {"lr-balanced", "rf-balanced", "hgb-balanced", "lr-tuned", "rf-tuned", "hgb-tuned"}
    for name, cls in [("lr", LogisticRegression), ("rf", RandomForestClassifier),
                      ("hgb", HistGradientBoostingClassifier)]:
        plain, balanced, tuned = (make_classifier(n) for n in (name, f"{name}-balanced", f"{name}-tuned"))
        assert type(plain) is cls and plain.class_weight is None
        assert type(balanced) is cls and balanced.class_weight == "balanced"
        assert isinstance(tuned, TunedThresholdClassifierCV) and type(tuned.estimator) is cls
        assert tuned.estimator.class_weight is None and tuned.scoring == "balanced_accuracy"
    assert make_classifier("lr").get_params() == make_classifier("logreg").get_params()
    assert make_classifier("hgb", random_state=3).random_state == 3
