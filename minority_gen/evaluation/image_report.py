"""Tables of :func:`~minority_gen.evaluation.images.compare_on_images` records: each condition's mean ± std over
seeds, conditions paired by seed against the baselines (Wilcoxon signed-rank and paired t), the GAN condition
chosen on the validation split, and a bar plot.

Records are grouped by (training set, condition, GAN settings) with :func:`group_by_seed`; a condition's label
is its name and what its GAN settings change from the image defaults (:func:`settings_label`), e.g.
``rumi (padding="replicate")``. Functions that label take ``settings(record) -> str`` (default: that label of
the record's ``gan_params``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .images import BASELINES, gan_part
from .report import mean_std, table_lines

#: The metrics of the results table: (record key, name).
METRICS = (("test_auc", "test ROC AUC"), ("test_average_precision", "average precision"),
           ("test_accuracy", "accuracy"), ("test_balanced_accuracy", "balanced accuracy"))
#: The metrics of the paired comparisons (test ROC AUC first, the primary one).
PAIRED_METRICS = (METRICS[0], METRICS[1], METRICS[3])
#: The baselines every condition is paired with, in this order (baselines among themselves once each).
REFERENCES = ("augmentation", "ros", "none")
#: The parameters :func:`~minority_gen.evaluation.images.image_gan_params` sets from its own arguments.
OWN_GAN_PARAMS = ("method", "n_iter", "hidden_dims", "device", "batch_size", "random_state")
Groups = dict[tuple, list[dict]]


def settings_label(gan: dict | None, default_width: int | None = None) -> str:
    """What GAN settings change from the image defaults (width ``default_width``, default the image nets'), e.g.
    ``" (width 32, ema=null)"``; ``""`` for none or no GAN.

    >>> from minority_gen.evaluation.images import image_gan_params
    >>> settings_label(image_gan_params("rumi", 1000, 32, extra={"ema": None, "method_params": {"c": 2.0}}))
    ' (width 32, c=2.0, ema=null)'
    """
    if not gan:
        return ""
    from minority_gen.methods import changed_params
    from minority_gen.nets.conv import DEFAULT_WIDTH
    from minority_gen.settings import AUTO_IMAGE_EMA

    defaults = {"ema": AUTO_IMAGE_EMA}
    extra = {k: v for k, v in gan.items()
             if k not in (*OWN_GAN_PARAMS, "method_params") and (k not in defaults or v != defaults[k])}
    changed = changed_params(gan["method"], gan.get("method_params", {}), images=True,
                             anchored=gan.get("anchor") == "smote")
    width = DEFAULT_WIDTH if default_width is None else default_width
    parts = ([f"width {gan['hidden_dims'][0]}"] if gan["hidden_dims"][0] != width else []) + [
        f"{k}={json.dumps(v)}" for k, v in sorted({**extra, **changed}.items())]
    return f" ({', '.join(parts)})" if parts else ""


def _settings(record: dict) -> str:
    return settings_label(record["gan_params"])


def group_by_seed(records: Sequence[dict], scenarios: Sequence[str] = ()) -> Groups:
    """Records grouped by (scenario, condition, GAN settings as JSON), the latest record of each seed, seeds in
    order; groups ordered by ``scenarios`` (others after, by name), the baselines first, then by condition.

    Records of more than one CNN setting, or of one training set computed on different images (``data_key``, e.g.
    the store of a re-run after the images changed: :func:`~minority_gen.evaluation.images.compare_on_images`
    returns every record of its store), raise ValueError: a group would mix cells of both and pair them by seed.
    Select the records of one first."""
    cnns = sorted({json.dumps(r.get("cnn_params"), sort_keys=True) for r in records})
    if len(cnns) > 1:
        raise ValueError(f"the records hold cells of {len(cnns)} CNN settings ({'; '.join(cnns)}); tables pair the "
                         "cells of one: select them first, e.g. [r for r in records if r['cnn_params'] == cnn_params]")
    for scenario in dict.fromkeys(r["scenario"] for r in records):
        keys = list(dict.fromkeys(r["data_key"] for r in records if r["scenario"] == scenario and r.get("data_key")))
        if len(keys) > 1:
            raise ValueError(f"the cells of training set {scenario!r} were computed on {len(keys)} different image "
                             f"sets (data_key {', '.join(keys)}, oldest first); select those of one, e.g. the latest: "
                             f"[r for r in records if r.get('data_key') in (None, {keys[-1]!r})]")
    out: dict[tuple, dict[int, dict]] = {}
    for r in records:
        gan = json.dumps(r["gan_params"], sort_keys=True) if r["gan_params"] else ""
        out.setdefault((r["scenario"], r["condition"], gan), {})[r["seed"]] = r
    order = {c: i for i, c in enumerate(BASELINES)}
    place = {s: i for i, s in enumerate(scenarios)}
    keys = sorted(out, key=lambda k: (place.get(k[0], len(place)), k[0], order.get(k[1], len(order)), k[1], k[2]))
    return {k: [out[k][s] for s in sorted(out[k])] for k in keys}


def results_table(grouped: Groups, settings: Callable[[dict], str] = _settings) -> list[str]:
    """Per group: GAN iterations, seeds, each of :data:`METRICS` as mean ± std ("–" where a cell lacks it), the
    validation AUC, the epochs kept and the mean GAN and CNN fit seconds."""
    header = ["scenario", "condition", "GAN iterations", "seeds", *(m for _, m in METRICS),
              "validation AUC (selected epoch)", "epoch kept", "GAN fit (s)", "CNN fit (s)"]
    rows = []
    for (scenario, condition, _), recs in grouped.items():
        gan, metrics = recs[0]["gan_params"], [r["metrics"] for r in recs]
        cells = [mean_std([m[k] for m in metrics]) if all(k in m for m in metrics) else "–" for k, _ in METRICS]
        rows.append([scenario, condition + settings(recs[0]), gan["n_iter"] if gan else "–",
                     ",".join(str(r["seed"]) for r in recs), *cells, mean_std([m["val_auc"] for m in metrics]),
                     ", ".join(str(m["best_epoch"]) for m in metrics),
                     f"{np.mean([m['gan_s'] for m in metrics]):.0f}" if gan else "–",
                     f"{np.mean([m['cnn_s'] for m in metrics]):.0f}"])
    return table_lines(header, rows)


def chosen_on_validation(grouped: Groups, scenario: str) -> tuple | None:
    """The GAN condition (group key) of ``scenario`` with the highest mean validation AUC over its seeds, among
    the groups run with the most seeds (so a condition is not chosen for having fewer, luckier seeds)."""
    gan_keys = [k for k in grouped if k[0] == scenario and gan_part(k[1])]
    if not gan_keys:
        return None
    most = max(len(grouped[k]) for k in gan_keys)
    return max((k for k in gan_keys if len(grouped[k]) == most),
               key=lambda k: np.mean([r["metrics"]["val_auc"] for r in grouped[k]]))


def at_the_defaults(grouped: Groups, key: tuple, settings: Callable[[dict], str] = _settings) -> tuple | None:
    """For a GAN condition run with settings of its own (e.g. ``padding="replicate"``), the group of the same
    condition at the defaults (same iterations and width), else None."""
    scenario, condition, _ = key
    gan = grouped[key][0]["gan_params"]
    if not gan or not settings(grouped[key][0]):
        return None
    return next((k for k, recs in grouped.items() if k[:2] == (scenario, condition) and k != key
                 and not settings(recs[0])
                 and (recs[0]["gan_params"]["n_iter"], recs[0]["gan_params"]["hidden_dims"]) ==
                 (gan["n_iter"], gan["hidden_dims"])), None)


def paired_lines(grouped: Groups, settings: Callable[[dict], str] = _settings, alpha: float = 0.05,
                 min_seeds: int = 5) -> list[str]:
    """Every condition run with at least ``min_seeds`` seeds against each of :data:`REFERENCES` of its scenario
    (and a GAN condition with settings of its own against the same condition at the defaults), paired by seed:
    mean difference, wins/losses and one-sided p-values (Wilcoxon signed-rank; paired t) per metric of
    :data:`PAIRED_METRICS`. No rows: no lines."""
    from .stats import paired_by_seed

    rows, metrics = [], [metric for metric, _ in PAIRED_METRICS]
    for key, recs in grouped.items():
        scenario, condition, _ = key
        refs = [(ref, (scenario, ref, "")) for ref in REFERENCES if (scenario, ref, "") in grouped and not (
            condition in REFERENCES and REFERENCES.index(ref) <= REFERENCES.index(condition))]
        if default := at_the_defaults(grouped, key, settings):
            refs.append((f"{condition} at the defaults", default))
        for ref, ref_key in refs:
            results = paired_by_seed({r["seed"]: r["metrics"] for r in recs},
                                     {r["seed"]: r["metrics"] for r in grouped[ref_key]}, metrics)
            if results[metrics[0]].n < min_seeds:
                continue
            rows.append([scenario, condition + settings(recs[0]), ref, results[metrics[0]].n,
                         *(results[m].summary(alpha) for m in metrics)])
    header = ["scenario", "condition", "against", "seeds", *(name for _, name in PAIRED_METRICS)]
    return table_lines(header, rows) if rows else []


def plot_conditions(grouped: Groups, path, settings: Callable[[dict], str] = _settings,
                    reference: tuple[str, float] | None = None, title: str = "{scenario}") -> None:
    """Test ROC AUC and accuracy per group (mean ± std over seeds), one panel per scenario, saved to ``path``;
    ``reference``: (label, AUC) drawn as a dotted line; ``title``: formatted with the scenario."""
    from ..plotting import figure

    scenarios = list(dict.fromkeys(k[0] for k in grouped))
    fig, axes = figure(1, len(scenarios), (6.5 * len(scenarios), 0.5 + 0.45 * len(grouped)))
    for ax, scenario in zip(axes[0], scenarios):
        keys = [k for k in grouped if k[0] == scenario]
        labels = [k[1] + settings(grouped[k][0])
                  + (f" ({grouped[k][0]['gan_params']['n_iter']} it)" if grouped[k][0]["gan_params"] else "")
                  for k in keys]
        ypos = np.arange(len(keys))
        for j, (metric, name) in enumerate((METRICS[0], METRICS[2])):
            vals = [np.array([r["metrics"][metric] for r in grouped[k]]) for k in keys]
            ax.barh(ypos + (j - 0.5) * 0.4, [v.mean() for v in vals], 0.4,
                    xerr=[v.std(ddof=1) if len(v) > 1 else 0 for v in vals], label=name, capsize=2)
        if reference is not None:
            ax.axvline(reference[1], color="k", ls=":", lw=1, label=reference[0])
        ax.set_yticks(ypos, labels)
        ax.invert_yaxis()
        ax.set_xlim(0.4, 1.0)
        ax.set_title(title.format(scenario=scenario))
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(Path(path), dpi=110)
