"""Protocol I (../shared/docs/EVALUATION.md): does oversampling help a CNN on BreastMNIST?

Each (scenario, condition, seed) cell resamples the training split by the condition (none, ros, augmentation,
a GAN method, or a GAN method + augmentation or + random oversampling), trains a
``minority_gen.evaluation.CNNClassifier`` with model selection on the validation split, and scores the test
split once. Scenarios, conditions, outputs (``runs.jsonl``
cells, reports, image grids, the GAN sample cache) and the CNN presets: benchmarks/README.md, "Protocol I".

Usage::

    python benchmarks/protocol_i.py --quick                  # smoke run, seconds (temporary folder)
    python benchmarks/protocol_i.py --conditions none ros augmentation
    python benchmarks/protocol_i.py --conditions gan gan+augmentation --methods rumi \\
        --scenarios severe30 --gan-iter 300

The data is read from ``--data`` (default ``$MINORITY_GEN_DATA`` or
``../shared/data`` beside the repository); ``breastmnist.npz`` is MedMNIST
v2's file (https://medmnist.com, zenodo record 10519652).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "protocol_i"
SCENARIOS = ("full", "severe30")
BASELINES = ("none", "ros", "augmentation")
DEFAULT_METHODS = ("rumi", "lsgan", "acgan", "projection", "tacgan")
MINORITY, SEVERE_N = 0, 30
#: MedMNIST v2 (Yang et al., Scientific Data 2023), BreastMNIST test split: (AUC, ACC).
REFERENCE = {
    "ResNet-18 (28)": (0.901, 0.863), "ResNet-50 (28)": (0.857, 0.812), "auto-sklearn": (0.836, 0.803),
    "AutoKeras": (0.871, 0.831), "Google AutoML Vision": (0.919, 0.861),
}
METRICS = (("test_auc", "test ROC AUC"), ("test_average_precision", "average precision"),
           ("test_accuracy", "accuracy"), ("test_balanced_accuracy", "balanced accuracy"))
#: The paired comparisons by seed: the metrics (test ROC AUC first, the primary one) and the references.
PAIRED_METRICS = (METRICS[0], METRICS[1], METRICS[3])
REFERENCES = ("augmentation", "ros", "none")
#: Metrics every cell records; a cell stored before one of them was added is run again (same seed).
RECORDED = ("test_auc", "test_balanced_accuracy", "test_average_precision")
#: --quick: a few images, one seed, two epochs, a tiny CNN and two iterations of a tiny GAN.
QUICK = dict(seeds=[0], epochs=2, width=4, gan_iter=2, gan_width=8, gan_batch=16, train_fraction=1 / 6, severe_n=10)


def load_splits(data_dir: Path | None, train_fraction: float = 1.0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"train", "val", "test"}`` → ``(images, labels)`` (:func:`~minority_gen.evaluation.datasets.load_breastmnist`);
    ``train_fraction`` < 1 keeps a stratified part of train. A missing file stops with where to get it."""
    from minority_gen.evaluation.datasets import DatasetNotFound, load_breastmnist

    try:
        splits = load_breastmnist(data_dir)
    except DatasetNotFound as err:
        raise SystemExit(f"protocol_i: {err}") from None
    if train_fraction < 1:
        X, y = splits["train"]
        rng = np.random.default_rng(0)
        keep = np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), round(train_fraction * (y == c).sum()),
                                                  replace=False) for c in np.unique(y)]))
        splits["train"] = (X[keep], y[keep])
    return splits


def scenario_train(X: np.ndarray, y: np.ndarray, scenario: str, severe_n: int = SEVERE_N):
    """The training split of a scenario: all of it, or the malignant images cut to ``severe_n``
    (:func:`~minority_gen.evaluation.datasets.severe_cut`: drawn by ``default_rng(0)``, whatever the seed)."""
    from minority_gen.evaluation.datasets import severe_cut

    if scenario == "full":
        return X, y
    mask = severe_cut(y, MINORITY, severe_n)
    return X[mask], y[mask]


#: What fills the other half of the new malignant images of ``<method><suffix>`` conditions (the GAN the first).
MIXES = {"+augmentation": "augmented", "+ros": "copies"}


def conditions_of(names, methods) -> list[str]:
    """The conditions ``--conditions`` names, ``gan``, ``gan+augmentation`` and ``gan+ros`` standing for one per
    method."""
    expanded = {"gan": list(methods), **{f"gan{mix}": [f"{m}{mix}" for m in methods] for mix in MIXES}}
    return [condition for name in names for condition in expanded.get(name, [name])]


#: The GANOversampler parameters the script sets from its own options (not through --gan-param).
OWN_GAN_PARAMS = ("method", "n_iter", "hidden_dims", "device", "batch_size", "random_state")


def parse_param(text: str) -> tuple[str, object]:
    """``"ema=0.99"`` → ``("ema", 0.99)``: the value read as JSON (``null``, ``true``, numbers), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"takes name=value (e.g. ema=0.99); got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def resolved_image_defaults() -> dict:
    """The values ``GANOversampler``'s ``"auto"`` parameters take for images, written into every cell's settings.

    A cell's cache key is made from its settings, so a later change of these
    defaults makes new cells rather than reusing ones trained under the old
    values (cells from before a parameter was listed here say ``ema: null``).
    """
    from minority_gen.settings import AUTO_IMAGE_EMA

    return {"ema": AUTO_IMAGE_EMA}


def settings_label(gan: dict | None, quick: bool = False) -> str:
    """What a cell's GAN settings change from the script's defaults, e.g. ``" (width 16, ema=null)"``."""
    if not gan:
        return ""
    from minority_gen.methods import resolved_params
    from minority_gen.nets.conv import DEFAULT_WIDTH

    default_width = QUICK["gan_width"] if quick else DEFAULT_WIDTH
    defaults = resolved_image_defaults()
    extra = {k: v for k, v in gan.items()
             if k not in (*OWN_GAN_PARAMS, "method_params") and (k not in defaults or v != defaults[k])}
    own = resolved_params(gan["method"], images=True, anchored=gan.get("anchor") == "smote")
    changed = {k: v for k, v in gan.get("method_params", {}).items() if own.get(k) != v}
    parts = ([f"width {gan['hidden_dims'][0]}"] if gan["hidden_dims"][0] != default_width else []) + [
        f"{k}={json.dumps(v)}" for k, v in sorted({**extra, **changed}.items())]
    return f" ({', '.join(parts)})" if parts else ""


def mix_of(condition: str) -> str | None:
    """The :data:`MIXES` suffix of a ``<method><suffix>`` condition, or None."""
    return next((mix for mix in MIXES if condition.endswith(mix)), None)


def gan_part(condition: str) -> str | None:
    """The GAN method a condition uses, or None."""
    if condition in BASELINES:
        return None
    return condition.removesuffix(mix_of(condition) or "")


def augment(X, y, n_new: int, seed: int) -> np.ndarray:
    """``n_new`` albumentations-augmented copies of real malignant images."""
    from minority_gen import AugmentationOversampler

    n_min = int((y == MINORITY).sum())
    sampler = AugmentationOversampler(sampling_strategy={MINORITY: n_min + n_new}, random_state=seed)
    X_res, _ = sampler.fit_resample(X, y)
    return X_res[len(X):]


class GANCache:
    """One GAN fit per (scenario, method, seed), shared by ``<method>``, ``<method>+augmentation`` and
    ``<method>+ros``."""

    def __init__(self, args):
        self.args, self.fits = args, {}

    def params(self, method: str) -> dict:
        """``method``'s GANOversampler settings, its own options written out as ``method_params`` (the defaults
        with any ``--gan-param method_params=...`` on top, ``"auto"`` ones resolved for images), so a change of
        a method's defaults makes new cells."""
        from minority_gen.methods import resolved_params

        a = self.args
        params = dict(method=method, n_iter=a.gan_iter, hidden_dims=[a.gan_width], device=a.device)
        if a.gan_batch:
            params["batch_size"] = a.gan_batch
        extra, defaults = dict(a.gan_param), resolved_image_defaults()
        anchored = {**defaults, **extra}.get("anchor") == "smote"
        own = resolved_params(method, extra.pop("method_params", None), images=True, anchored=anchored)
        return {**params, **defaults, **extra, "method_params": own}

    def sample_file(self, scenario, method, seed, X, y, n_new: int) -> Path:
        """Where the GAN's drawn images are kept on disk, named by everything they depend on."""
        from minority_gen._version import OUTPUT_VERSION

        a = self.args
        text = json.dumps([scenario, method, seed, self.params(method), a.quick, n_new, OUTPUT_VERSION, hashlib.sha1(
            np.ascontiguousarray(X).tobytes() + np.ascontiguousarray(y).tobytes()).hexdigest()], sort_keys=True)
        return a.gan_cache / f"{scenario}_{method}_seed{seed}_{hashlib.sha1(text.encode()).hexdigest()[:16]}.npz"

    def draw(self, scenario, method, seed, X, y, n_new: int, grid: Path | None):
        """``(images, fit seconds)`` of the GAN of ``(scenario, method, seed)``: from memory, from the sample
        cache on disk (the same settings and training images drawn before, e.g. for another CNN), or a new fit."""
        key = (scenario, method, seed)
        if key not in self.fits:
            from minority_gen.plotting import save_image_grid

            path = self.sample_file(scenario, method, seed, X, y, n_new)
            if path.is_file():
                with np.load(path) as f:
                    images, seconds = f["images"], float(f["seconds"])
            else:
                images, seconds = self.fit_and_draw(method, seed, X, y, n_new)
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(".partial.npz")
                np.savez_compressed(partial, images=images, seconds=seconds)
                partial.replace(path)  # whole files only: an interrupted write leaves no half cache entry
            if grid is not None:
                save_image_grid(grid, X[y == MINORITY], y[y == MINORITY], images, np.full(len(images), MINORITY),
                                n_per_class=10, title=f"BreastMNIST {scenario}, malignant: real (top) vs "
                                f"{method}, {self.args.gan_iter} iterations (bottom), seed {seed}")
            self.fits[key] = (images, seconds)
        return self.fits[key]

    def fit_and_draw(self, method, seed, X, y, n_new: int) -> tuple[np.ndarray, float]:
        from minority_gen import GANOversampler

        p = self.params(method)
        sampler = GANOversampler(**{**p, "hidden_dims": tuple(p["hidden_dims"])}, random_state=seed)
        start = time.perf_counter()
        sampler.fit(X, y)
        seconds = time.perf_counter() - start
        return sampler.sample(n_new, y=MINORITY, random_state=seed), seconds


def resample(condition, scenario, seed, X, y, gans: GANCache, out: Path):
    """The training images of a cell, how many new images came from where, and the GAN fit time."""
    n_new = int((y != MINORITY).sum() - (y == MINORITY).sum())
    if condition == "none":
        return X, y, {}, 0.0
    if condition == "ros":
        from imblearn.over_sampling import RandomOverSampler

        X_res, y_res = RandomOverSampler(random_state=seed).fit_resample(X.reshape(len(X), -1), y)
        return X_res.reshape(-1, *X.shape[1:]), y_res, {"copies": n_new}, 0.0
    if condition == "augmentation":
        new, sources = augment(X, y, n_new, seed), {"augmented": n_new}
        seconds = 0.0
    else:
        method = gan_part(condition)
        label = settings_label(gans.params(method), gans.args.quick)  # other settings get their own grid file
        slug = "".join(ch if ch.isalnum() else "_" for ch in label.strip(" ()")).strip("_")
        name = f"grid_{method}_{scenario}_{gans.args.gan_iter}it{'_' + slug if slug else ''}.png"
        grid = out / name if seed == gans.args.seeds[0] else None
        new, seconds = gans.draw(scenario, method, seed, X, y, n_new, grid)
        sources = {"gan": n_new}
        if mix := mix_of(condition):
            n_gan = n_new // 2
            if mix == "+augmentation":
                other = augment(X, y, n_new - n_gan, seed)
            else:  # copies of real malignant images drawn as random oversampling draws them: uniformly, replaced
                real = X[y == MINORITY]
                other = real[np.random.default_rng(seed).integers(0, len(real), n_new - n_gan)]
            new = np.concatenate([new[:n_gan], other])
            sources = {"gan": n_gan, MIXES[mix]: n_new - n_gan}
    return np.concatenate([X, new]), np.concatenate([y, np.full(len(new), MINORITY)]), sources, seconds


#: CNNClassifier parameters the script sets from its own options (not through --cnn-param).
OWN_CNN_PARAMS = ("epochs", "width", "device", "random_state")


def cnn_params(args) -> dict:
    """The cell's CNNClassifier settings: epochs, width, device and those of ``--cnn`` (``evaluation.cnn.PRESETS``)
    and ``--cnn-param`` that differ from the class defaults (so cells of the plain network keep their keys)."""
    from minority_gen.evaluation.cnn import PRESETS, CNNClassifier

    defaults = CNNClassifier().get_params()
    extra = {**PRESETS[args.cnn], **args.cnn_param}
    return dict(epochs=args.epochs, width=args.width, device=args.device,
                **{k: v for k, v in sorted(extra.items()) if defaults[k] != v})


def cell_key(scenario, condition, seed, cnn: dict, gan: dict | None, quick: bool, version: str | None = None) -> str:
    """A cell's store key. A GAN cell's holds the package's output version (``minority_gen._version.OUTPUT_VERSION``,
    the fingerprint of what the GANs draw), so a change of a default or of the training code makes new cells rather
    than reading old ones back; cells stored before 2026-12-07 carry no version and keep the keys made without it."""
    text = json.dumps([scenario, condition, seed, cnn, gan, quick, *([version] if version else [])], sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def output_version(condition: str) -> str | None:
    """The output version a cell of ``condition`` is keyed by: the package's for GAN cells; None for the baselines,
    whose images (copies, albumentations) no GAN draws."""
    from minority_gen._version import OUTPUT_VERSION

    return OUTPUT_VERSION if gan_part(condition) else None


def run_cell(scenario, condition, seed, splits, args, gans: GANCache) -> dict:
    from sklearn.metrics import accuracy_score, average_precision_score, balanced_accuracy_score, roc_auc_score

    from minority_gen.evaluation import CNNClassifier

    X, y = scenario_train(*splits["train"], scenario, args.severe_n)
    X_tr, y_tr, sources, gan_s = resample(condition, scenario, seed, X, y, gans, args.out)
    start = time.perf_counter()
    clf = CNNClassifier(**cnn_params(args), random_state=seed).fit(X_tr, y_tr, *splits["val"])
    cnn_s = time.perf_counter() - start
    X_test, y_test = splits["test"]
    proba = clf.predict_proba(X_test)
    pred = clf.classes_[proba.argmax(1)]
    p_minority = proba[:, list(clf.classes_).index(MINORITY)]
    return dict(
        test_auc=float(roc_auc_score(y_test, proba[:, 1])), test_accuracy=float(accuracy_score(y_test, pred)),
        test_balanced_accuracy=float(balanced_accuracy_score(y_test, pred)),
        # the minority's (malignant, label 0) average precision, ranked by its own probability
        test_average_precision=float(average_precision_score(y_test == MINORITY, p_minority)),
        test_proba_minority=[round(float(v), 5) for v in p_minority],
        val_auc=float(clf.best_score_), best_epoch=int(clf.best_epoch_),
        val_curve=[round(v, 4) for v in clf.history_["val_roc_auc"]],
        n_train={str(c): int((y_tr == c).sum()) for c in np.unique(y_tr)},
        n_real_malignant=int((y == MINORITY).sum()), new_malignant=sources,
        gan_s=round(gan_s, 1), cnn_s=round(cnn_s, 1),
    )


# --------------------------------------------------------------------------- report


def groups(records: list[dict]) -> dict[tuple, list[dict]]:
    """Records grouped by (scenario, condition, GAN settings); the latest record of each seed."""
    out: dict[tuple, dict[int, dict]] = {}
    for r in records:
        gan = json.dumps(r["gan_params"], sort_keys=True) if r["gan_params"] else ""
        out.setdefault((r["scenario"], r["condition"], gan), {})[r["seed"]] = r
    order = {c: i for i, c in enumerate(BASELINES)}
    keys = sorted(out, key=lambda k: (SCENARIOS.index(k[0]), order.get(k[1], len(order)), k[1], k[2]))
    return {k: [out[k][s] for s in sorted(out[k])] for k in keys}


def table(grouped: dict[tuple, list[dict]]) -> list[str]:
    from minority_gen.evaluation.report import mean_std, table_lines

    header = ["scenario", "condition", "GAN iterations", "seeds", *(m for _, m in METRICS),
              "validation AUC (selected epoch)", "epoch kept", "GAN fit (s)", "CNN fit (s)"]
    rows = []
    for (scenario, condition, _), recs in grouped.items():
        gan, metrics = recs[0]["gan_params"], [r["metrics"] for r in recs]
        cells = [mean_std([m[k] for m in metrics]) if all(k in m for m in metrics) else "–" for k, _ in METRICS]
        rows.append([scenario, condition + settings_label(gan, recs[0]["quick"]), gan["n_iter"] if gan else "–",
                     ",".join(str(r["seed"]) for r in recs), *cells, mean_std([m["val_auc"] for m in metrics]),
                     ", ".join(str(m["best_epoch"]) for m in metrics),
                     f"{np.mean([m['gan_s'] for m in metrics]):.0f}" if gan else "–",
                     f"{np.mean([m['cnn_s'] for m in metrics]):.0f}"])
    return table_lines(header, rows)


def chosen_on_validation(grouped: dict[tuple, list[dict]], scenario: str) -> tuple | None:
    """The GAN condition (group key) of ``scenario`` with the highest mean validation AUC over its seeds, among
    the groups run with the most seeds (so a condition is not chosen for having fewer, luckier seeds)."""
    gan_keys = [k for k in grouped if k[0] == scenario and gan_part(k[1])]
    if not gan_keys:
        return None
    most = max(len(grouped[k]) for k in gan_keys)
    return max((k for k in gan_keys if len(grouped[k]) == most),
               key=lambda k: np.mean([r["metrics"]["val_auc"] for r in grouped[k]]))


def at_the_defaults(grouped: dict[tuple, list[dict]], key: tuple) -> tuple | None:
    """For a GAN condition run with settings of its own (e.g. ``padding="replicate"``), the group of the same
    condition at the script's defaults (same iterations and width), else None."""
    scenario, condition, _ = key
    gan = grouped[key][0]["gan_params"]
    if not gan or not settings_label(gan, grouped[key][0]["quick"]):
        return None
    return next((k for k, recs in grouped.items() if k[:2] == (scenario, condition) and k != key
                 and not settings_label(recs[0]["gan_params"], recs[0]["quick"])
                 and (recs[0]["gan_params"]["n_iter"], recs[0]["gan_params"]["hidden_dims"]) ==
                 (gan["n_iter"], gan["hidden_dims"])), None)


def paired_lines(grouped: dict[tuple, list[dict]], alpha: float = 0.05) -> list[str]:
    """Every condition run with at least 5 seeds against each reference baseline of its scenario (and a GAN
    condition with settings of its own against the same condition at the defaults), paired by seed: mean
    difference, wins/losses and one-sided p-values (Wilcoxon signed-rank; paired t) per metric."""
    from minority_gen.evaluation.report import table_lines
    from minority_gen.evaluation.stats import paired_by_seed

    rows, metrics = [], [metric for metric, _ in PAIRED_METRICS]
    for key, recs in grouped.items():
        scenario, condition, _ = key
        refs = [(ref, (scenario, ref, "")) for ref in REFERENCES if (scenario, ref, "") in grouped and not (
            condition in REFERENCES and REFERENCES.index(ref) <= REFERENCES.index(condition))]
        # (baselines among themselves once each: augmentation vs ros and none, ros vs none)
        if default := at_the_defaults(grouped, key):
            refs.append((f"{condition} at the defaults", default))
        for ref, ref_key in refs:
            results = paired_by_seed({r["seed"]: r["metrics"] for r in recs},
                                     {r["seed"]: r["metrics"] for r in grouped[ref_key]}, metrics)
            if results[metrics[0]].n < 5:
                continue
            label = condition + settings_label(recs[0]["gan_params"], recs[0]["quick"])
            rows.append([scenario, label, ref, results[metrics[0]].n, *(results[m].summary(alpha) for m in metrics)])
    header = ["scenario", "condition", "against", "seeds", *(name for _, name in PAIRED_METRICS)]
    return table_lines(header, rows) if rows else []


def plot(grouped: dict[tuple, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = [s for s in SCENARIOS if any(k[0] == s for k in grouped)]
    fig, axes = plt.subplots(1, len(scenarios), figsize=(6.5 * len(scenarios), 0.5 + 0.45 * len(grouped)),
                             squeeze=False)
    for ax, scenario in zip(axes[0], scenarios):
        keys = [k for k in grouped if k[0] == scenario]
        labels = [k[1] + settings_label(grouped[k][0]["gan_params"], grouped[k][0]["quick"])
                  + (f" ({grouped[k][0]['gan_params']['n_iter']} it)" if grouped[k][0]["gan_params"] else "")
                  for k in keys]
        ypos = np.arange(len(keys))
        for j, (metric, name) in enumerate((METRICS[0], METRICS[2])):
            vals = [np.array([r["metrics"][metric] for r in grouped[k]]) for k in keys]
            ax.barh(ypos + (j - 0.5) * 0.4, [v.mean() for v in vals], 0.4,
                    xerr=[v.std(ddof=1) if len(v) > 1 else 0 for v in vals], label=name, capsize=2)
        ax.axvline(REFERENCE["ResNet-18 (28)"][0], color="k", ls=":", lw=1, label="ResNet-18 (28) AUC, MedMNIST v2")
        ax.set_yticks(ypos, labels)
        ax.invert_yaxis()
        ax.set_xlim(0.4, 1.0)
        ax.set_title(f"BreastMNIST test, {scenario} (mean ± std over seeds)")
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def paired_section(grouped: dict[tuple, list[dict]]) -> list[str]:
    """The report's section on paired comparisons by seed and on the GAN condition chosen on validation."""
    lines = paired_lines(grouped)
    if not lines:
        return []
    chosen = [(s, k) for s in SCENARIOS if (k := chosen_on_validation(grouped, s))]
    return [
        "## Paired by seed (test split)",
        "",
        "Each condition against the baselines on the seeds both have (the seed seeds the GAN, the resampling and "
        "the CNN): mean difference (condition − reference), seeds won/lost, and one-sided p-values for \"the "
        "condition is higher\": Wilcoxon signed-rank (exact) and the paired t-test on the seed differences. "
        "*Significant* means the Wilcoxon p is below 0.05; with 10 seeds the smallest reachable p is 0.001. "
        "Only conditions with at least 5 seeds are listed.",
        "",
        *[f"* {s}: GAN condition chosen on the validation split (highest mean validation AUC of the GAN "
          f"conditions with the most seeds): **{k[1]}{settings_label(grouped[k][0]['gan_params'])}** "
          f"({np.mean([r['metrics']['val_auc'] for r in grouped[k]]):.3f})" for s, k in chosen],
        "",
        *lines,
        "",
    ]


def version_line(grouped: dict[tuple, list[dict]]) -> list[str]:
    """Which output versions the GAN cells in the tables were computed at (cells before 2026-12-07 recorded none)."""
    from collections import Counter

    counts = Counter(r.get("output_version") or "not recorded (cells from before 2026-12-07)"
                     for (_, _, gan), cells in grouped.items() if gan for r in cells)
    if not counts:
        return []
    return ["* Output version of the GAN cells in the tables (the fingerprint of what the GANs draw; a GAN cell is "
            "read back only at its own): " + "; ".join(f"{v}: {n} cell(s)" for v, n in sorted(counts.items()))]


def write_report(args, records: list[dict], path_md: Path) -> None:
    import torch

    from minority_gen.evaluation import CNNClassifier

    cnn = cnn_params(args)
    current = [r for r in records if r["cnn_params"] == cnn and r["quick"] == bool(args.quick)]
    grouped = groups(current)
    shown = [{**r, "metrics": {k: v for k, v in r["metrics"].items() if k != "test_proba_minority"}}
             for cells in grouped.values() for r in cells]  # the tables' cells; each test probability is in runs.jsonl
    (args.out / f"{args.report_name}.json").write_text(json.dumps(shown, indent=1) + "\n")
    if grouped:
        plot(grouped, args.out / f"{args.report_name}.png")
    runs = sorted({(r["date"][:16], r["command"]) for r in current})
    grids = sorted(p.name for p in args.out.glob("grid_*.png"))
    gan_settings = sorted({(r["gan_params"]["method"], r["gan_params"]["n_iter"], r["gan_params"]["hidden_dims"][0],
                            r["gan_params"].get("batch_size", "the method's")) for r in current if r["gan_params"]})
    lines = [
        "# Protocol I: BreastMNIST, oversampling for a small CNN",
        "",
        "Protocol I of `../shared/docs/EVALUATION.md`, run by `benchmarks/protocol_i.py` (its docstring",
        "describes the conditions). Official MedMNIST v2 splits; label 0 = malignant = minority. Every",
        f"cell trains `CNNClassifier({', '.join(f'{k}={v!r}' for k, v in cnn.items())}, random_state=seed)`",
        f"({CNNClassifier(**cnn).describe()}) for the fixed number of epochs and keeps the",
        "epoch with the best validation ROC AUC; the test split is scored once with that epoch's weights",
        "(accuracy and balanced accuracy at the argmax, i.e. threshold 0.5). Mean ± sample std over seeds.",
        "",
        f"* Machine: {platform.platform()}, {os.cpu_count()} CPU cores visible, Python {platform.python_version()},",
        f"  torch {torch.__version__}, device `{args.device}`, torch threads {args.threads}",
        "* Runs (UTC start, command) whose cells are in the tables:",
        *[f"  * {d}: `{c}`" for d, c in runs],
        "* GAN settings: `GANOversampler(method=M, n_iter=<GAN iterations>, hidden_dims=(<width>,), "
        "random_state=seed)`; otherwise each method's image defaults (paper recipe, DiffAugment "
        f"`color,translation,cutout`, EMA of the generator {resolved_image_defaults()['ema']}); a condition's "
        "label in parentheses names the settings it changes (`ema=null`: no EMA, the default before 2026-12-03). "
        "Used: "
        + ("; ".join(f"{m}: {it} iterations, width {w}, batch {b}" for m, it, w, b in gan_settings)
           or "no GAN condition run"),
        *version_line(grouped),
        f"* Scenario `severe30`: malignant training images cut to {args.severe_n} (seed 0)"
        + (f"; `--quick`: {args.train_fraction:.3g} of the training split (stratified, seed 0)"
           if args.quick else ""),
        *[f"* Note: {n}" for n in dict.fromkeys([*(n for r in current for n in r.get("notes", [])), *args.note])],
        "",
        "## Results (test split)",
        "",
        *table(grouped),
        "",
        *paired_section(grouped),
        "## Reference: MedMNIST v2 benchmark on BreastMNIST (test split, no oversampling)",
        "",
        "| model | AUC | ACC |",
        "|---|---|---|",
        *[f"| {name} | {auc:.3f} | {acc:.3f} |" for name, (auc, acc) in REFERENCE.items()],
        "",
        "Yang et al., *MedMNIST v2*, Scientific Data 10, 41 (2023), Table 3; their models train on the full",
        "training split (our `full` scenario, condition `none`).",
        "",
        f"![test ROC AUC and balanced accuracy per condition]({args.report_name}.png)",
        "",
        "Real vs GAN malignant images (first seed): " + (", ".join(f"[{g}]({g})" for g in grids) or "none"),
        "",
    ]
    path_md.write_text("\n".join(lines))


# --------------------------------------------------------------------------- main


def parse(argv) -> argparse.Namespace:
    from minority_gen.evaluation.cnn import PRESETS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None,
                   help="folder holding breastmnist.npz (default $MINORITY_GEN_DATA, else ../shared/data)")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default benchmarks/results/protocol_i; --quick: a temporary folder)")
    p.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    p.add_argument("--conditions", nargs="+", default=[*BASELINES, "gan", "gan+augmentation"],
                   help="none, ros, augmentation, gan (each of --methods), gan+augmentation, gan+ros (half the new "
                        "images from the GAN, half copies of real ones), or explicit names such as rumi or "
                        "rumi+augmentation (default: all but gan+ros)")
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS),
                   help="GAN methods for 'gan', 'gan+augmentation' and 'gan+ros' "
                        f"(default {' '.join(DEFAULT_METHODS)})")
    p.add_argument("--seeds", nargs="+", type=int, default=None, help="default 0 1 2")
    p.add_argument("--epochs", type=int, default=None, help="CNN training epochs, the fixed budget (default 60)")
    p.add_argument("--width", type=int, default=None, help="CNN width (default 32)")
    p.add_argument("--cnn", choices=sorted(PRESETS), default="strong",
                   help="the CNN: strong (" + ", ".join(f"{k}={v}" for k, v in PRESETS["strong"].items())
                        + "; chosen on the validation split, 2026-12-06) or plain (CNNClassifier's defaults: two "
                          "blocks of one convolution, the protocol's CNN before); default strong")
    p.add_argument("--cnn-param", type=parse_param, action="append", default=[], metavar="NAME=VALUE",
                   help="another CNNClassifier parameter (repeatable, JSON value, e.g. batch_norm=true); "
                        "overrides --cnn")
    p.add_argument("--report-name", default="results",
                   help="stem of the report files (<stem>.md, .json, .png; default results): the tables hold the "
                        "cells of this run's CNN settings")
    p.add_argument("--gan-iter", type=int, default=None,
                   help="GAN iterations (default: GANOversampler's for images, 1000; about 0.4 s each at 28x28 "
                        "and width 16 on one CPU thread)")
    p.add_argument("--gan-width", type=int, default=None, help="conv width of the GAN (default 16, the image default)")
    p.add_argument("--gan-batch", type=int, default=None, help="GAN batch size (default: the method's)")
    p.add_argument("--gan-param", type=parse_param, action="append", default=[], metavar="NAME=VALUE",
                   help="another GANOversampler parameter for every GAN (repeatable; the value is read as JSON, "
                        "e.g. ema=0.99, spectral_norm=true, diffaugment=null)")
    p.add_argument("--gan-cache", type=Path, default=None,
                   help="folder keeping every GAN's drawn images, so that cells with another CNN reuse them "
                        "instead of refitting (default <out>/gan_samples; not committed)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: a sixth of the training images (severe: 10 malignant), 1 seed, 2 epochs, "
                        "tiny CNN, 2 iterations of a tiny GAN")
    p.add_argument("--note", action="append", default=[], help="extra line for the report header")
    args = p.parse_args(argv)
    args.gan_param, args.cnn_param = dict(args.gan_param), dict(args.cnn_param)
    from minority_gen.nets.conv import DEFAULT_WIDTH
    from minority_gen.settings import AUTO_IMAGE_N_ITER

    defaults = dict(seeds=[0, 1, 2], epochs=60, width=32, gan_iter=AUTO_IMAGE_N_ITER, gan_width=DEFAULT_WIDTH,
                    gan_batch=None, train_fraction=1.0, severe_n=SEVERE_N)
    for key, value in (QUICK if args.quick else defaults).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for name in ("epochs", "width", "gan_iter", "gan_width", "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1; got {getattr(args, name)}")
    return args


def check_methods(conditions) -> None:
    from minority_gen import available_methods

    known = available_methods()
    bad = [c for c in conditions if gan_part(c) is not None and gan_part(c) not in known]
    if bad:
        raise SystemExit(f"protocol_i: unknown condition(s) {bad}; use none, ros, augmentation, gan, "
                         f"gan+augmentation, gan+ros or a method name (+augmentation, +ros) from: {', '.join(known)}")


def check_free_params(estimator: type, extra: dict, own, option: str, owned: str) -> None:
    """Refuse the ``option`` parameters in ``extra`` that ``estimator`` lacks or that the script sets itself."""
    bad = sorted(set(extra) - (set(estimator().get_params()) - set(own)))
    if bad:
        raise SystemExit(f"protocol_i: {option} {', '.join(bad)} is not a {estimator.__name__} parameter this "
                         f"script leaves free ({owned})")


def check_cnn_params(extra: dict) -> None:
    from minority_gen.evaluation import CNNClassifier

    check_free_params(CNNClassifier, extra, OWN_CNN_PARAMS, "--cnn-param",
                      "epochs, width and device have their own options, random_state is the seed")
    try:
        CNNClassifier(**extra)._validate_params()
    except (TypeError, ValueError) as e:
        raise SystemExit(f"protocol_i: --cnn-param: {e}") from None


def check_gan_params(extra: dict) -> None:
    from minority_gen import GANOversampler

    check_free_params(GANOversampler, extra, OWN_GAN_PARAMS, "--gan-param",
                      "method, n_iter, hidden_dims, batch_size, device and random_state have their own options")


def main(argv=None) -> int:
    from minority_gen.evaluation.report import command_line

    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    command = command_line("benchmarks/protocol_i.py", argv)
    splits = load_splits(args.data, args.train_fraction)  # a missing file stops here, before any work
    conditions = conditions_of(args.conditions, args.methods)
    check_methods(conditions)
    check_gan_params(args.gan_param)
    check_cnn_params(args.cnn_param)
    gans = GANCache(args)
    for method in sorted({gan_part(c) for c in conditions} - {None}):
        try:  # a method_params one of the methods does not take stops here, before any training
            gans.params(method)
        except ValueError as e:
            raise SystemExit(f"protocol_i: --gan-param method_params: {e}") from None
    import torch

    torch.set_num_threads(args.threads)
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="protocol_i_quick_")) if args.quick else DEFAULT_OUT
    args.out.mkdir(parents=True, exist_ok=True)
    args.gan_cache = args.gan_cache or args.out / "gan_samples"
    runs_path = args.out / "runs.jsonl"
    records = [json.loads(line) for line in runs_path.read_text().splitlines()] if runs_path.is_file() else []
    done = {r["key"] for r in records if all(k in r["metrics"] for k in RECORDED)}  # a cell lacking one runs again
    todo, cnn = [], cnn_params(args)
    for scenario in args.scenarios:
        for seed in args.seeds:
            for condition in conditions:
                gan = gans.params(gan_part(condition)) if gan_part(condition) else None
                version = output_version(condition)
                key = cell_key(scenario, condition, seed, cnn, gan, args.quick, version)
                if key not in done:
                    todo.append((scenario, seed, condition, gan, key, version))
    n_cached = len(args.scenarios) * len(args.seeds) * len(conditions) - len(todo)
    print(f"protocol_i: {len(todo)} cell(s) to run, {n_cached} cached, results in {args.out}", flush=True)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for i, (scenario, seed, condition, gan, key, version) in enumerate(todo, 1):
        start = time.perf_counter()
        metrics = run_cell(scenario, condition, seed, splits, args, gans)
        record = dict(key=key, scenario=scenario, condition=condition, seed=seed, cnn_params=cnn,
                      gan_params=gan, quick=bool(args.quick), metrics=metrics, date=date, command=command,
                      notes=args.note, **({"output_version": version} if version else {}))
        with runs_path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        print(f"[{i}/{len(todo)}] {scenario} {condition} seed {seed}: test AUC {metrics['test_auc']:.3f}, "
              f"balanced accuracy {metrics['test_balanced_accuracy']:.3f}, val AUC {metrics['val_auc']:.3f} "
              f"(epoch {metrics['best_epoch']}) in {time.perf_counter() - start:.0f} s", flush=True)
        if gan_part(condition) and not any(t[0] == scenario and t[1] == seed and gan_part(t[2]) == gan_part(condition)
                                           for t in todo[i:]):
            gans.fits.pop((scenario, gan_part(condition), seed), None)  # no later cell needs this GAN's images
    # read back: another run may have added cells to the same folder meanwhile
    records = [json.loads(line) for line in runs_path.read_text().splitlines()]
    write_report(args, records, args.out / f"{args.report_name}.md")
    print(f"protocol_i: wrote {args.out / (args.report_name + '.md')}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
