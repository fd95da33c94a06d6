"""minority_gen.evaluation.image_report: tables of compare_on_images records, paired by seed."""

from __future__ import annotations

import numpy as np

from minority_gen.evaluation.image_report import (
    at_the_defaults,
    chosen_on_validation,
    group_by_seed,
    paired_lines,
    results_table,
    settings_label,
)
from minority_gen.evaluation.images import gan_part, image_gan_params


def _record(scenario, condition, seed, auc, val_auc=0.9, gan=None, ap=True):
    metrics = dict(test_auc=auc, test_accuracy=0.8, test_balanced_accuracy=auc - 0.1, val_auc=val_auc,
                   best_epoch=1, gan_s=0.0, cnn_s=1.0)
    if ap:
        metrics["test_average_precision"] = auc - 0.2
    gan_params = {"method": condition.removesuffix("+augmentation"), "n_iter": 5, "hidden_dims": [16], **(gan or {})}
    return dict(key=f"{scenario}{condition}{seed}", scenario=scenario, condition=condition, seed=seed,
                cnn_params={}, gan_params=gan_params if gan_part(condition) else None, quick=False,
                metrics=metrics)


def test_paired_lines_test_each_condition_against_the_baselines_by_seed():
    """Differences are paired by seed (a seed only one side has is left out), p-values are one-sided Wilcoxon and
    t; the GAN condition chosen on validation is the one with the best mean validation AUC among the most seeds."""
    from minority_gen.evaluation import paired_test

    recs = [_record("severe30", "augmentation", s, 0.80 + 0.01 * s) for s in range(10)]
    recs += [_record("severe30", "ros", s, 0.80 + 0.01 * s + (0.02 if s % 3 else -0.01)) for s in range(10)]
    recs += [_record("severe30", "rumi+augmentation", s, 0.81 + 0.01 * s + 0.002 * s, val_auc=0.95)
             for s in range(11)]  # seed 10 has no baseline
    recs += [_record("severe30", "tacgan", s, 0.7, val_auc=0.97) for s in range(3)]  # best val, 3 seeds
    recs += [_record("severe30", "acgan", s, 0.7, val_auc=0.94) for s in range(10)]
    grouped = group_by_seed(recs)
    assert chosen_on_validation(grouped, "severe30")[1] == "rumi+augmentation"
    assert chosen_on_validation(grouped, "full") is None
    lines = paired_lines(grouped)
    row = next(line for line in lines if line.startswith("| severe30 | rumi+augmentation | augmentation |"))
    gain = [0.01 + 0.002 * s for s in range(10)]
    expected = paired_test(np.array(gain) + 0.8, np.zeros(10) + 0.8)
    assert "| 10 | +" in row and f"W p={expected.p_wilcoxon:.3f}" in row and "(10/0;" in row
    assert "**significant**" in row
    against_ros = next(line for line in lines if line.startswith("| severe30 | rumi+augmentation | ros |"))
    assert "not significant" in against_ros.split("|")[5]  # AUC: ros leads on 7 of 10 seeds
    assert any(line.startswith("| severe30 | augmentation | ros | 10 |") for line in lines)
    assert not any(line.startswith("| severe30 | ros | augmentation |") for line in lines)  # baselines once each
    assert not any("| tacgan |" in line for line in lines)  # fewer than 5 seeds
    old = [_record("severe30", c, s, 0.8, ap=False) for c in ("augmentation", "rumi") for s in range(6)]
    assert paired_lines(group_by_seed(old)) == []  # cells without average precision are not paired
    assert "| – |" in "\n".join(results_table(group_by_seed(old)))


def test_a_gan_condition_with_settings_of_its_own_is_paired_with_the_same_condition_at_the_defaults():
    """``rumi (padding="replicate")`` is paired by seed with ``rumi`` at the defaults (same iterations and width),
    besides the baselines; a default condition, or one at another width, has no such row."""
    replicate = {"padding": "replicate"}
    recs = [_record("severe30", "none", s, 0.80) for s in range(10)]
    recs += [_record("severe30", "rumi", s, 0.80 + 0.01 * (s % 2)) for s in range(10)]
    recs += [_record("severe30", "rumi", s, 0.83 + 0.001 * s, gan=replicate) for s in range(10)]
    recs += [_record("severe30", "rumi", s, 0.70, gan={"hidden_dims": [32]}) for s in range(6)]
    grouped = group_by_seed(recs)
    lines = paired_lines(grouped)
    row = next(line for line in lines if line.startswith('| severe30 | rumi (padding="replicate") | rumi at the'))
    assert "| 10 | +0.02" in row and "(10/0;" in row and "**significant**" in row
    assert sum("at the defaults" in line for line in lines) == 1  # width 32 is the defaults' at no other width
    assert any(line.startswith('| severe30 | rumi (padding="replicate") | none | 10 |') for line in lines)




def test_groups_keep_the_latest_record_of_each_seed_in_scenario_then_baseline_order():
    recs = [_record("full", "rumi", 1, 0.7), _record("severe30", "none", 0, 0.6), _record("full", "rumi", 0, 0.8),
            _record("full", "ros", 0, 0.9), _record("other", "none", 0, 0.5), _record("full", "rumi", 1, 0.75)]
    grouped = group_by_seed(recs, scenarios=("severe30", "full"))
    assert [k[:2] for k in grouped] == [("severe30", "none"), ("full", "ros"), ("full", "rumi"), ("other", "none")]
    rumi = next(v for k, v in grouped.items() if k[1] == "rumi")
    assert [r["seed"] for r in rumi] == [0, 1] and rumi[1]["metrics"]["test_auc"] == 0.75  # the later record
    assert at_the_defaults(grouped, next(k for k in grouped if k[1] == "rumi")) is None  # at the defaults itself


def test_settings_label_names_only_what_departs_from_the_image_defaults():
    gan = image_gan_params("rumi", 1000, 16)
    assert settings_label(gan) == "" and settings_label(None) == ""
    assert settings_label(image_gan_params("rumi", 1000, 8)) == " (width 8)"
    assert settings_label(image_gan_params("rumi", 1000, 8), default_width=8) == ""
    anchored = image_gan_params("rumi", 1000, 16, extra={"anchor": "smote"})  # beta_neg resolves to 0.01 anchored
    assert settings_label(anchored) == ' (anchor="smote")'
    assert settings_label({**gan, "ema": None, "padding": "replicate"}) == ' (ema=null, padding="replicate")'
    table = "\n".join(results_table(group_by_seed([_record("s", "rumi", 0, 0.8, gan={"ema": None})])))
    assert "| s | rumi (ema=null) | 5 | 0 | 0.800 |" in table


def test_records_of_two_cnns_or_of_changed_images_are_not_mixed_into_one_table():
    """compare_on_images returns its whole store: after a run with another CNN, or on changed images of the same
    name, a group would pair cells of both by seed. They are refused with the filter that separates them."""
    import pytest

    recs = [_record("s", c, seed, 0.8) for c in ("none", "rumi") for seed in range(3)]
    assert len(group_by_seed(recs)) == 2
    other_cnn = [{**r, "cnn_params": {"width": 32}} for r in recs[:3]]
    with pytest.raises(ValueError, match=r"2 CNN settings .*r\['cnn_params'\] == cnn_params"):
        group_by_seed(recs + other_cnn)
    assert len(group_by_seed(other_cnn)) == 1
    old, new = [{**r, "data_key": "aaa"} for r in recs], [{**r, "data_key": "bbb"} for r in recs[:3]]
    with pytest.raises(ValueError, match=r"training set 's' were computed on 2 different image sets \(data_key aaa, "
                                         r"bbb, oldest first\).*in \(None, 'bbb'\)"):
        group_by_seed(old + new)
    assert len(group_by_seed(recs + new)) == 2  # records from before data_key are not told apart
    assert len(group_by_seed(old + [{**r, "scenario": "t", "data_key": "bbb"} for r in recs])) == 4
