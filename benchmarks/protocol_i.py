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
import json
import os
import platform
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from minority_gen.evaluation import image_report
from minority_gen.evaluation.images import BASELINES, MIXES, gan_part
from minority_gen.evaluation.report import table_lines
from minority_gen.settings import AUTO_IMAGE_EMA

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "protocol_i"
SCENARIOS = ("full", "severe30")
DEFAULT_METHODS = ("rumi", "lsgan", "acgan", "projection", "tacgan")
MINORITY, SEVERE_N = 0, 30
#: MedMNIST v2 (Yang et al., Scientific Data 2023), BreastMNIST test split: (AUC, ACC).
REFERENCE = {
    "ResNet-18 (28)": (0.901, 0.863), "ResNet-50 (28)": (0.857, 0.812), "auto-sklearn": (0.836, 0.803),
    "AutoKeras": (0.871, 0.831), "Google AutoML Vision": (0.919, 0.861),
}
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


def conditions_of(names, methods) -> list[str]:
    """The conditions ``--conditions`` names, ``gan``, ``gan+augmentation`` and ``gan+ros`` standing for one per
    method."""
    expanded = {"gan": list(methods), **{f"gan{mix}": [f"{m}{mix}" for m in methods] for mix in MIXES}}
    return [condition for name in names for condition in expanded.get(name, [name])]


def parse_param(text: str) -> tuple[str, object]:
    """``"ema=0.99"`` → ``("ema", 0.99)``: the value read as JSON (``null``, ``true``, numbers), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"takes name=value (e.g. ema=0.99); got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def settings_label(gan: dict | None, quick: bool = False) -> str:
    """What a cell's GAN settings change from the script's defaults, e.g. ``" (width 32, ema=null)"``."""
    return image_report.settings_label(gan, QUICK["gan_width"] if quick else None)


def settings(record: dict) -> str:
    return settings_label(record["gan_params"], record["quick"])


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


# --------------------------------------------------------------------------- report


def groups(records: list[dict]) -> dict[tuple, list[dict]]:
    """Records grouped by (scenario, condition, GAN settings); the latest record of each seed."""
    return image_report.group_by_seed(records, SCENARIOS)


def paired_section(grouped: dict[tuple, list[dict]]) -> list[str]:
    """The report's section on paired comparisons by seed and on the GAN condition chosen on validation."""
    lines = image_report.paired_lines(grouped, settings)
    if not lines:
        return []
    chosen = [(s, k) for s in SCENARIOS if (k := image_report.chosen_on_validation(grouped, s))]
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
          f"conditions with the most seeds): **{k[1]}{settings(grouped[k][0])}** "
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
        name = "ResNet-18 (28)"
        image_report.plot_conditions(grouped, args.out / f"{args.report_name}.png", settings,
                                     (f"{name} AUC, MedMNIST v2", REFERENCE[name][0]),
                                     "BreastMNIST test, {scenario} (mean ± std over seeds)")
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
        f"`color,translation,cutout`, EMA of the generator {AUTO_IMAGE_EMA}); a condition's "
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
        *image_report.results_table(grouped, settings),
        "",
        *paired_section(grouped),
        "## Reference: MedMNIST v2 benchmark on BreastMNIST (test split, no oversampling)",
        "",
        *table_lines(["model", "AUC", "ACC"],
                     ([name, f"{auc:.3f}", f"{acc:.3f}"] for name, (auc, acc) in REFERENCE.items())),
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
    p.add_argument("--report", action="store_true",
                   help="compute nothing: write the report of the cells the store holds for these CNN options "
                        "(--cnn, --cnn-param, --epochs, --width, --quick select them)")
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

    check_free_params(GANOversampler, extra, image_report.OWN_GAN_PARAMS, "--gan-param",
                      "method, n_iter, hidden_dims, batch_size, device and random_state have their own options")


def gan_params(args, method: str) -> dict:
    """``method``'s GAN settings from the options (:func:`~minority_gen.evaluation.images.image_gan_params`)."""
    from minority_gen.evaluation.images import image_gan_params

    return image_gan_params(method, args.gan_iter, args.gan_width, args.device, args.gan_batch, args.gan_param)


def grid_path(args, scenario: str, condition: str, seed: int) -> Path | None:
    """Where the first seed's GAN images are shown beside the real ones; other settings get their own file."""
    if seed != args.seeds[0]:
        return None
    method = gan_part(condition)
    slug = "".join(ch if ch.isalnum() else "_" for ch in settings_label(gan_params(args, method), args.quick)
                   .strip(" ()")).strip("_")
    return args.out / f"grid_{method}_{scenario}_{args.gan_iter}it{'_' + slug if slug else ''}.png"


def report_only(args) -> int:
    """``--report``: the report of the cells ``--out``'s store holds for the CNN options, nothing computed."""
    from minority_gen.evaluation.store import read_records

    args.out = args.out or DEFAULT_OUT
    store = args.out / "runs.jsonl"
    if not store.is_file():
        raise SystemExit(f"protocol_i: --report: no store {store}; run the cells first")
    write_report(args, read_records(store), args.out / f"{args.report_name}.md")
    print(f"protocol_i: wrote {args.out / (args.report_name + '.md')} (from the store, nothing computed)", flush=True)
    return 0


def main(argv=None) -> int:
    from minority_gen.evaluation.images import check_conditions, compare_on_images
    from minority_gen.evaluation.report import command_line

    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    command = command_line("benchmarks/protocol_i.py", argv)
    if args.report:
        return report_only(args)
    splits = load_splits(args.data, args.train_fraction)  # a missing file stops here, before any work
    conditions = conditions_of(args.conditions, args.methods)
    try:
        check_conditions(conditions)
    except ValueError as e:
        raise SystemExit(f"protocol_i: {e} (gan, gan+augmentation and gan+ros: one per --methods)") from None
    check_gan_params(args.gan_param)
    check_cnn_params(args.cnn_param)
    for method in sorted({gan_part(c) for c in conditions} - {None}):
        try:  # a method_params one of the methods does not take stops here, before any training
            gan_params(args, method)
        except ValueError as e:
            raise SystemExit(f"protocol_i: --gan-param method_params: {e}") from None
    import torch

    torch.set_num_threads(args.threads)
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="protocol_i_quick_")) if args.quick else DEFAULT_OUT
    args.out.mkdir(parents=True, exist_ok=True)
    train = {s: scenario_train(*splits["train"], s, args.severe_n) for s in args.scenarios}
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    records = compare_on_images(
        train, splits["val"], splits["test"], conditions, args.seeds, cnn_params(args),
        lambda method: gan_params(args, method), args.out / "runs.jsonl", MINORITY,
        gan_cache=args.gan_cache or args.out / "gan_samples", tag=bool(args.quick),
        record=dict(quick=bool(args.quick), date=date, command=command, notes=args.note),
        grid=lambda *cell: grid_path(args, *cell), log=lambda line: print(f"protocol_i: {line}", flush=True))
    write_report(args, records, args.out / f"{args.report_name}.md")
    print(f"protocol_i: wrote {args.out / (args.report_name + '.md')}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
