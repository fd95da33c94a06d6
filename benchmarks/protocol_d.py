"""Protocol D (../shared/docs/EVALUATION.md): the Rumi paper's minority-digit experiment, scaled.

``mnist_test.npz`` (the official MNIST test set) is split into two
stratified halves (``train_test_split(..., stratify=y, random_state=0)``).

* First half: the GANs' training set. Configuration ``digit<d>``: 200 images
  of digit ``d`` (drawn with ``numpy.random.default_rng(0)``) are the
  positive class, every other digit of the half the negative class.
  Configuration ``even``: the even digits of the half are positive, the odd
  ones negative (the paper's disjoint configuration).
* Second half: a judge, :class:`minority_gen.evaluation.SmallCNNFeatures`
  trained on its ten digits, gives the feature space of the Fréchet
  distance (FD, between its positives and the generated images) and class
  fidelity (share of generated images the judge calls a positive digit).

Every method trains with the same iterations, batch size, width and one
discriminator step per generator step (``n_critic=1``; TAC-GAN's paper
recipe of 10 is not used, so all methods get the same updates), through
``GANOversampler(method=M, sampling_strategy={1: ...})`` and the image
defaults otherwise (DiffAugment, EMA of the generator): unconditional
methods fit one GAN for the positives (``rumi`` and ``rumi_sgan`` also see
the negatives), conditional ones one GAN for both classes, sampled for the
positive one. Two references without a GAN: the real positives of the
first half themselves (the FD a perfect copy of the training positives
gets) and SMOTE on the pixels.

Results go to ``--out`` (default ``benchmarks/results/protocol_d``):
``runs.jsonl`` (cells already there with the same settings are skipped),
``results.md`` (tables, ordering against the paper's, the average over the
single digits run), ``results.png``, ``images/<cell key>.npy`` (ten images
per cell, kept locally and not committed: generated pictures, not results)
and ``grid_<config>.png`` (real positives above each reported row's images
that this checkout kept). ``--method-param rumi:beta_neg=1`` trains one method with
other options; its cells are reported beside the defaults, as
``rumi (beta_neg=1.0)``.

Usage::

    python benchmarks/protocol_d.py --quick            # smoke run, seconds (temporary folder)
    python benchmarks/protocol_d.py --configs digit5 even --n-iter 500 --width 16 --batch 64
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from minority_gen.evaluation.datasets import default_data_dir
from minority_gen.evaluation.report import command_line, mean_std, run_info, run_stamp, write_results
from minority_gen.evaluation.store import append_records, read_store

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "protocol_d"
DEFAULT_METHODS = ("rumi", "lsgan", "acgan", "tacgan", "projection")
REFERENCES = ("real", "smote")
N_POSITIVE = 200
#: Rumi-GAN paper (Asokan & Seelamantula, NeurIPS 2020), Table 1: Inception FID averaged over digits.
PAPER_FID = {"rumi": 118.93, "tacgan": 121.3, "acgan": 127.91, "lsgan": 128.55, "projection": 151.4}
QUICK = dict(n_iter=2, width=8, batch=16, n_generate=64, judge_epochs=1, fraction=0.05, n_positive=20)


def data_file(data_dir: Path | None) -> Path:
    path = Path(data_dir or default_data_dir()) / "mnist_test.npz"
    if not path.is_file():
        raise SystemExit(f"protocol_d: {path} not found. It is the official MNIST test set (keys x, y); pass the "
                         "folder holding it with --data or MINORITY_GEN_DATA.")
    return path


def halves(path: Path, fraction: float = 1.0):
    """``(X_gan, y_gan), (X_judge, y_judge)``: the two stratified halves (``fraction`` < 1 keeps part of each)."""
    from sklearn.model_selection import train_test_split

    with np.load(path) as f:
        X, y = f["x"], f["y"].astype(np.int64)
    if fraction < 1:
        _, keep = train_test_split(np.arange(len(y)), test_size=fraction, stratify=y, random_state=0)
        X, y = X[keep], y[keep]
    a, b = train_test_split(np.arange(len(y)), test_size=0.5, stratify=y, random_state=0)
    return (X[a], y[a]), (X[b], y[b])


def positives_of(config: str) -> tuple[int, ...]:
    if config == "even":
        return (0, 2, 4, 6, 8)
    if config.startswith("digit") and config[5:].isdigit() and 0 <= int(config[5:]) <= 9:
        return (int(config[5:]),)
    raise argparse.ArgumentTypeError(f"configuration {config!r}: use digit0 … digit9 or even")


def gan_training_set(X, y, config: str, n_positive: int):
    """Images and binary labels (1 = positive) of a configuration's GAN training set."""
    pos = np.isin(y, positives_of(config))
    if config != "even":
        keep = np.random.default_rng(0).choice(np.flatnonzero(pos), n_positive, replace=False)
        mask = ~pos | np.isin(np.arange(len(y)), keep)
        X, pos = X[mask], pos[mask]
    return X, pos.astype(np.int64)


def generate(name: str, X, yb, args, seed: int) -> tuple[np.ndarray, float]:
    """``args.n_generate`` positive images from one method (or reference) and its fit time."""
    start = time.perf_counter()
    if name == "real":
        return X[yb == 1], 0.0
    if name == "smote":
        from imblearn.over_sampling import SMOTE

        n_pos = int(yb.sum())
        flat = X.reshape(len(X), -1).astype(np.float32)
        X_res, _ = SMOTE(sampling_strategy={1: n_pos + args.n_generate}, random_state=seed).fit_resample(flat, yb)
        new = np.clip(np.rint(X_res[len(X):]), 0, 255).astype(np.uint8)
        return new.reshape(-1, *X.shape[1:]), time.perf_counter() - start
    from minority_gen import GANOversampler

    sampler = GANOversampler(method=name, **gan_params(args, name), sampling_strategy={1: int(yb.sum()) + 1},
                             random_state=seed)
    sampler.fit(X, yb)
    seconds = time.perf_counter() - start
    return sampler.sample(args.n_generate, y=1, random_state=seed), seconds


def gan_params(args, name: str | None = None) -> dict:
    """The settings of method ``name`` (``None``: those every method shares).

    Defaults are written out (``ema``, the image default; ``method_params``,
    the method's own options with any ``--method-param`` on top, its
    ``"auto"`` ones resolved for images), so cells
    made under another default are not reused: ``ema: null`` in runs.jsonl
    is from before 2026-12-03; cells from before 2026-12-04 had no
    ``method_params`` and were rewritten with the defaults of then, which
    are the ones they were trained with (NOTES.md).
    """
    from minority_gen.methods import resolved_params
    from minority_gen.settings import AUTO_IMAGE_EMA

    params = dict(n_iter=args.n_iter, hidden_dims=(args.width,), batch_size=args.batch, n_critic=1,
                  device=args.device, ema=AUTO_IMAGE_EMA)
    if args.pac is not None:  # only when set, so cells without it keep their keys
        params["pac"] = args.pac
    if args.anchor is not None:  # the same: cells from before --anchor keep theirs
        params["anchor"] = args.anchor
    if name is not None and name not in REFERENCES:
        params["method_params"] = resolved_params(name, args.method_params.get(name), images=True,
                                                  anchored=anchored(args.anchor))
    return params


def anchored(anchor: str | None) -> bool:
    """Whether a GAN with this ``anchor`` setting (``None``: the image default, no anchors) starts from SMOTE blends."""
    return anchor == "smote"


def parse_method_param(text: str) -> tuple[str, str, object]:
    """``"rumi:d_schedule=joint"`` → ``("rumi", "d_schedule", "joint")``: the value read as JSON, else a string."""
    method, sep, rest = text.partition(":")
    key, sep2, value = rest.partition("=")
    if not (sep and sep2 and method and key.isidentifier()):
        raise argparse.ArgumentTypeError(f"--method-param takes method:name=value (e.g. rumi:d_schedule=joint); "
                                         f"got {text!r}")
    try:
        return method, key, json.loads(value)
    except json.JSONDecodeError:
        return method, key, value


def score(judge, ref_features, positives, images) -> dict:
    from minority_gen.evaluation.metrics import frechet_distance, prdc

    feats = judge.transform(images)
    pred = judge.classes_[judge.predict_proba(images).argmax(1)]
    quality = prdc(ref_features, feats)
    return dict(fd=float(frechet_distance(ref_features, feats)), fidelity=float(np.isin(pred, positives).mean()),
                precision=quality["precision"], recall=quality["recall"], n=int(len(images)))


def cell_key(config, name, seed, settings: dict) -> str:
    return hashlib.sha1(json.dumps([config, name, seed, settings], sort_keys=True).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- report


def label(record: dict) -> str:
    """A cell's row name: its method, with the options it changes from the method's image defaults, e.g.
    ``rumi (beta_neg=1.0)``."""
    from minority_gen.methods import resolved_params

    name, own = record["name"], record["settings"]["gan"].get("method_params")
    if name in REFERENCES or own is None:
        return name
    default = resolved_params(name, images=True, anchored=anchored(record["settings"]["gan"].get("anchor")))
    changed = {k: v for k, v in own.items() if default.get(k) != v}
    return name + (f" ({', '.join(f'{k}={json.dumps(v)}' for k, v in sorted(changed.items()))})" if changed else "")


def reported(args, records) -> list[dict]:
    """The cells of the run's settings, other options of a method (``--method-param``) included as their own
    rows, each with its ``label``."""
    def shared(settings: dict) -> dict:
        return {**settings, "gan": {k: v for k, v in settings["gan"].items() if k != "method_params"}}

    return [{**r, "label": label(r)} for r in records if shared(r["settings"]) == shared(settings(args, r["name"]))]


def grouped(records) -> dict[str, dict[str, list[dict]]]:
    out: dict[str, dict[str, dict[int, dict]]] = {}
    for r in records:
        out.setdefault(r["config"], {}).setdefault(r.get("label", r["name"]), {})[r["seed"]] = r
    return {c: {n: [s[k] for k in sorted(s)] for n, s in by.items()} for c, by in out.items()}


def verdict(by_name: dict[str, list[dict]]) -> str:
    """The target on the methods at their defaults (rows without options in parentheses)."""
    gans = {n: np.mean([r["metrics"]["fd"] for r in rs]) for n, rs in by_name.items()
            if n not in REFERENCES and "(" not in n}
    if "rumi" not in gans or len(gans) < 2:
        return "rumi and another method are needed for the target."
    best = min(gans, key=gans.get)
    fid = np.mean([r["metrics"]["fidelity"] for r in by_name["rumi"]])
    met = best == "rumi" and fid >= 0.95
    return (f"lowest FD among GANs: `{best}` ({gans[best]:.1f}); rumi FD {gans['rumi']:.1f}, class fidelity "
            f"{fid:.1%}. Target (rumi lowest FD with ≥ 95 % fidelity): **{'met' if met else 'missed'}**.")


def ordering(by_name) -> str:
    gans = {n: np.mean([r["metrics"]["fd"] for r in rs]) for n, rs in by_name.items() if n in PAPER_FID}
    ours = " < ".join(sorted(gans, key=gans.get))
    paper = " < ".join(n for n in sorted(PAPER_FID, key=PAPER_FID.get) if n in gans)
    return f"ordering by FD here: {ours}; the paper's (same methods): {paper}."


def plot(groups, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.6), squeeze=False)
    for ax, (config, by_name) in zip(axes[0], groups.items()):
        names = sorted(by_name, key=lambda n: np.mean([r["metrics"]["fd"] for r in by_name[n]]))
        fd = [[r["metrics"]["fd"] for r in by_name[n]] for n in names]
        ax.barh(names, [np.mean(v) for v in fd], xerr=[np.std(v, ddof=1) if len(v) > 1 else 0 for v in fd],
                color=["grey" if n in REFERENCES else "C0" for n in names], capsize=2)
        for i, n in enumerate(names):
            ax.text(0, i, f" fidelity {np.mean([r['metrics']['fidelity'] for r in by_name[n]]):.0%}",
                    va="center", fontsize=7, color="white")
        ax.invert_yaxis()
        ax.set_xlabel("Fréchet distance on the judge's features (lower is better)")
        ax.set_title(f"MNIST {config}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(args, records, judge_accuracy: float) -> None:
    current = reported(args, records)
    groups = grouped(current)
    if groups:
        plot(groups, args.out / "results.png")
    runs = sorted({(r["date"], r["command"]) for r in current})
    lines = ["# Protocol D: the minority-digit experiment (MNIST test set, scaled)", "",
             "Run by `benchmarks/protocol_d.py` (its docstring gives the design). FD = Fréchet distance on the",
             "penultimate features of a small CNN judge trained on the other half; fidelity = share of generated",
             "images the judge assigns to a positive digit; precision / recall: k-NN manifolds (k = 5) in the same",
             "features. Mean ± sample std over seeds. The paper's FIDs use Inception features on full MNIST and",
             "10⁴ iterations: compare orderings, not values.", "",
             *run_stamp(args.command)[1:], f"* torch threads {args.threads}, device `{args.device}`",
             f"* GAN settings (every method): `{gan_params(args)}`; {args.n_generate} images generated per fit",
             *[f"* `{m}` options changed by `--method-param`: `{p}`" for m, p in sorted(args.method_params.items())],
             f"* Judge: `SmallCNNFeatures(epochs={args.judge_epochs})`, accuracy {judge_accuracy:.3f} on the GAN half",
             *[f"* Run {d}: `{c}`" for d, c in runs], ""]
    for config, by_name in groups.items():
        names = sorted(by_name, key=lambda n: np.mean([r["metrics"]["fd"] for r in by_name[n]]))
        lines += [f"## {config} (positive digits {', '.join(map(str, positives_of(config)))})", "",
                  "| method | seeds | FD | class fidelity | precision | recall | fit (s) | paper FID (Table 1) |",
                  "|---|---|---|---|---|---|---|---|"]
        for n in names:
            rs = by_name[n]
            def m(k, d=3, rs=rs):
                return mean_std([r["metrics"][k] for r in rs], d)

            lines.append(f"| {n}{' (reference)' if n in REFERENCES else ''} | {','.join(str(r['seed']) for r in rs)}"
                         f" | {m('fd', 1)} | {m('fidelity')} | {m('precision')} | {m('recall')} | "
                         f"{np.mean([r['metrics']['fit_s'] for r in rs]):.0f} | {PAPER_FID.get(n, '–')} |")
        lines += ["", f"* {verdict(by_name)}", f"* {ordering(by_name)}",
                  f"* Grid: [grid_{config}.png](grid_{config}.png)", ""]
    lines += digit_average(groups)
    write_results(args.out / "results.md", [*lines, "![FD per method](results.png)"], current)


def write_grid(args, config: str, real: np.ndarray, records: list[dict]) -> None:
    """``grid_<config>.png``: real positives (cycled) above ten images of each reported row (its first seed
    whose images were kept in ``images/``; cells from before 2026-12-04 kept none)."""
    from minority_gen.plotting import save_image_grid

    shown: dict[str, np.ndarray] = {}
    for r in sorted(reported(args, records), key=lambda r: r["seed"]):
        path = args.out / "images" / f"{r['key']}.npy"
        if r["config"] == config and r["name"] != "real" and r["label"] not in shown and path.is_file():
            shown[r["label"]] = np.load(path)
    if not shown:
        return
    order = sorted(shown, key=lambda n: (n not in REFERENCES, n))
    real = real[np.arange(10 * len(order)) % len(real)]
    fakes = np.concatenate([shown[n] for n in order])
    labels = np.concatenate([np.full(len(shown[n]), n) for n in order])
    save_image_grid(args.out / f"grid_{config}.png", real, np.repeat(order, 10), fakes, labels, n_per_class=10,
                    classes=order,
                    title=f"MNIST {config}, positives: real (top) vs generated (bottom), {args.n_iter} iterations")


def digit_average(groups) -> list[str]:
    """The paper's Table 1 view: FD and fidelity averaged over the single-digit configurations, for the rows
    present in every one of them (none with fewer than two digits)."""
    digits = [c for c in groups if c.startswith("digit")]
    names = set.intersection(*(set(groups[c]) for c in digits)) if len(digits) > 1 else set()
    if not names:
        return []
    mean = {n: {k: np.mean([np.mean([r["metrics"][k] for r in groups[c][n]]) for c in digits])
                for k in ("fd", "fidelity", "recall")} for n in names}
    order = sorted(names, key=lambda n: mean[n]["fd"])
    lines = [f"## Averaged over {len(digits)} digits ({', '.join(digits)}), as the paper's Table 1", "",
             "| method | mean FD | mean class fidelity | mean recall | paper FID (Table 1) |", "|---|---|---|---|---|"]
    lines += [f"| {n}{' (reference)' if n in REFERENCES else ''} | {mean[n]['fd']:.1f} | {mean[n]['fidelity']:.3f} | "
              f"{mean[n]['recall']:.3f} | {PAPER_FID.get(n, '–')} |" for n in order]
    by_name = {n: [{"metrics": mean[n]}] for n in names}
    return [*lines, "", f"* {verdict(by_name)}", f"* {ordering(by_name)}", ""]


# --------------------------------------------------------------------------- main


def settings(args, name: str | None = None) -> dict:
    """The settings the figures of method (or reference) ``name`` depend on, as they read back from runs.jsonl."""
    return json.loads(json.dumps(dict(gan=gan_params(args, name), n_generate=args.n_generate,
                                      judge_epochs=args.judge_epochs, fraction=args.fraction,
                                      n_positive=args.n_positive)))


def parse(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None, help="folder holding mnist_test.npz")
    p.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results/protocol_d)")
    p.add_argument("--configs", nargs="+", default=["digit5", "even"],
                   help="digit0 … digit9, even (default digit5 even)")
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), help="GAN methods (references always run)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--n-iter", type=int, default=None, help="GAN iterations for every method (default 500)")
    p.add_argument("--width", type=int, default=None, help="conv width of every GAN (default 16)")
    p.add_argument("--batch", type=int, default=None, help="batch size of every GAN (default 64)")
    p.add_argument("--pac", type=int, default=None,
                   help="PacGAN packing of every GAN (default: GANOversampler's, 1 for images; methods that "
                        "cannot pack refuse it)")
    p.add_argument("--anchor", choices=["smote"], default=None,
                   help="every GAN refines SMOTE blends of two real positives (GANOversampler(anchor='smote')); "
                        "default: the estimator's image default, no anchors")
    p.add_argument("--method-param", type=parse_method_param, action="append", default=[],
                   metavar="METHOD:NAME=VALUE", help="an option of one method, e.g. rumi:d_schedule=joint "
                   "(repeatable; the value is read as JSON, else as a string)")
    p.add_argument("--n-generate", type=int, default=None, help="images generated per fit (default 1000)")
    p.add_argument("--judge-epochs", type=int, default=None, help="epochs of the judge CNN (default 5)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="smoke run: 5 %% of the images, 2 iterations of tiny GANs")
    args = p.parse_args(argv)
    for c in args.configs:
        try:
            positives_of(c)
        except argparse.ArgumentTypeError as e:
            p.error(str(e))
    defaults = dict(n_iter=500, width=16, batch=64, n_generate=1000, judge_epochs=5, fraction=1.0,
                    n_positive=N_POSITIVE)
    for key, value in (QUICK if args.quick else defaults).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for name in ("n_iter", "width", "batch", "n_generate", "judge_epochs", "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1; got {getattr(args, name)}")
    from minority_gen import available_methods
    from minority_gen.methods import resolved_params

    bad = [m for m in args.methods if m not in available_methods()]
    if bad:
        p.error(f"unknown method(s) {bad}; choose from {', '.join(available_methods())}")
    args.method_params = {}
    for method, key, value in args.method_param:
        if method not in args.methods:
            p.error(f"--method-param {method}:{key}: {method!r} is not among --methods ({' '.join(args.methods)})")
        default = resolved_params(method, images=True, anchored=anchored(args.anchor)).get(key)
        if isinstance(default, float) and type(value) is int:  # beta_neg=1 and beta_neg=1.0: one cell
            value = float(value)
        args.method_params.setdefault(method, {})[key] = value
    for method, params in args.method_params.items():
        try:
            resolved_params(method, params, images=True, anchored=anchored(args.anchor))  # validates them
        except ValueError as e:
            p.error(f"--method-param: {e}")
    return args


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    args.command = command_line("benchmarks/protocol_d.py", argv)
    path = data_file(args.data)
    import torch

    from minority_gen.evaluation import SmallCNNFeatures

    torch.set_num_threads(args.threads)
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="protocol_d_quick_")) if args.quick else DEFAULT_OUT
    args.out.mkdir(parents=True, exist_ok=True)
    (X_gan, y_gan), (X_judge, y_judge) = halves(path, args.fraction)
    judge = SmallCNNFeatures(epochs=args.judge_epochs, device=args.device, random_state=0).fit(X_judge, y_judge)
    judge_accuracy = float((judge.classes_[judge.predict_proba(X_gan).argmax(1)] == y_gan).mean())
    print(f"protocol_d: judge accuracy on the GAN half {judge_accuracy:.3f}", flush=True)
    runs_path = args.out / "runs.jsonl"
    records = read_store(runs_path)
    done = {r["key"] for r in records}
    info = run_info()
    for config in args.configs:
        positives = positives_of(config)
        X, yb = gan_training_set(X_gan, y_gan, config, args.n_positive)
        ref = X_judge[np.isin(y_judge, positives)]
        ref_features = judge.transform(ref)
        for name in [*REFERENCES, *args.methods]:
            current = settings(args, name)
            for seed in args.seeds:
                key = cell_key(config, name, seed, current)
                if key in done:
                    continue
                images, seconds = generate(name, X, yb, args, seed)
                metrics = {**score(judge, ref_features, positives, images), "fit_s": round(seconds, 1)}
                record = dict(key=key, config=config, name=name, seed=seed, settings=current, metrics=metrics,
                              date=info["date"], commit=info["commit"], command=args.command)
                append_records(runs_path, [record])
                records.append(record)
                if name != "real":  # kept for the grid, which shows every reported cell, not only this run's
                    (args.out / "images").mkdir(exist_ok=True)
                    np.save(args.out / "images" / f"{key}.npy", images[:10])
                print(f"{config} {name} seed {seed}: FD {metrics['fd']:.1f}, fidelity {metrics['fidelity']:.3f} "
                      f"({seconds:.0f} s)", flush=True)
        write_grid(args, config, X[yb == 1], records)
    write_report(args, read_store(runs_path), judge_accuracy)
    print(f"protocol_d: wrote {args.out / 'results.md'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
