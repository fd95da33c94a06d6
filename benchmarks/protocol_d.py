"""Protocol D: the Rumi paper's minority-digit experiment on the MNIST test set, scaled.

Data, judge and references: :mod:`minority_gen.evaluation.minority_digits`; design: docs/images.md, "Protocol D".
Every method trains with the same iterations, batch, width and ``n_critic=1``. The files in ``--out`` (default
``benchmarks/results/protocol_d``): benchmarks/README.md, "Protocol D".

Usage::

    python benchmarks/protocol_d.py --quick            # smoke run, seconds (temporary folder)
    python benchmarks/protocol_d.py --configs digit5 even --n-iter 500 --width 16 --batch 64
    python benchmarks/protocol_d.py ... --report      # the same options: the report of what is stored so far
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from minority_gen.evaluation.datasets import DatasetNotFound, load_mnist_test
from minority_gen.evaluation.judges import judge_scores
from minority_gen.evaluation.minority_digits import (
    CONFIGS,
    PAPER_FID,
    gan_training_set,
    mnist_halves,
    positives_of,
    smote_images,
)
from minority_gen.evaluation.report import command_line, mean_std, run_info, run_stamp, table_lines, write_results
from minority_gen.evaluation.store import append_records, read_store, short_key

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "protocol_d"
DEFAULT_METHODS = ("rumi", "lsgan", "acgan", "tacgan", "projection")
REFERENCES = ("real", "smote")
DEFAULTS = dict(n_iter=500, width=16, batch=64, n_generate=1000, judge_epochs=5, fraction=1.0, n_positive=200)
QUICK = dict(n_iter=2, width=8, batch=16, n_generate=64, judge_epochs=1, fraction=0.05, n_positive=20)


def generate(name: str, X, yb, args, seed: int) -> tuple[np.ndarray, float, dict[int, np.ndarray]]:
    """``args.n_generate`` positive images from one method (or reference), its fit time, and with
    ``--checkpoints`` the images of the generator as it was every so many iterations (iteration → images)."""
    start = time.perf_counter()
    if name == "real":
        return X[yb == 1], 0.0, {}
    if name == "smote":
        return smote_images(X, yb, args.n_generate, random_state=seed), time.perf_counter() - start, {}
    from minority_gen import GANOversampler
    from minority_gen.callbacks import GeneratorSnapshots

    snapshots = [GeneratorSnapshots(args.checkpoints)] if args.checkpoints else []
    sampler = GANOversampler(method=name, **gan_params(args, name), sampling_strategy={1: int(yb.sum()) + 1},
                             random_state=seed).fit(X, yb, callbacks=snapshots)
    seconds = time.perf_counter() - start
    images = sampler.sample(args.n_generate, y=1, random_state=seed)
    earlier = {}
    for states in (s for snap in snapshots for s in snap.states.values()):  # one GAN: the positives'
        for iteration, state in sorted(states.items()):
            sampler.generators_[1].load_state_dict(state)
            earlier[iteration] = sampler.sample(args.n_generate, y=1, random_state=seed)
    return images, seconds, earlier


def gan_params(args, name: str | None = None) -> dict:
    """The settings of method ``name`` (``None``: those every method shares), defaults written out (``ema``;
    ``method_params``: the method's options with ``--method-param`` on top, ``"auto"`` resolved for images) so
    that cells made under another default are not reused (NOTES.md: ``ema: null`` is from before 2026-12-03)."""
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
                                                  anchored=args.anchor == "smote")
    return params


def settings(args, name: str | None = None) -> dict:
    """The settings the figures of method (or reference) ``name`` depend on, as they read back from runs.jsonl."""
    out = dict(gan=gan_params(args, name), n_generate=args.n_generate, judge_epochs=args.judge_epochs,
               fraction=args.fraction, n_positive=args.n_positive)
    if args.checkpoints is not None and name not in REFERENCES:  # only when set: cells without keep their keys
        out["checkpoints"] = args.checkpoints
    if args.threads != 1 and name not in REFERENCES:  # a GAN's last bits follow the thread count: its own cells
        out["threads"] = args.threads
    return json.loads(json.dumps(out))


# --------------------------------------------------------------------------- report


def label(record: dict) -> str:
    """A cell's row name: its method and the options it changes from the image defaults, e.g. ``rumi (c=2)``."""
    from minority_gen.methods import changed_params

    name, gan = record["name"], record["settings"]["gan"]
    if name in REFERENCES or gan.get("method_params") is None:
        return name
    changed = changed_params(name, gan["method_params"], images=True, anchored=gan.get("anchor") == "smote")
    return name + (f" ({', '.join(f'{k}={json.dumps(v)}' for k, v in sorted(changed.items()))})" if changed else "")


def reported(args, records) -> list[dict]:
    """The cells of the run's settings, other ``--method-param`` options included as their own rows (``label``)."""
    def shared(settings: dict) -> dict:
        return {**settings, "gan": {k: v for k, v in settings["gan"].items() if k != "method_params"}}

    return [{**r, "label": label(r)} for r in records if shared(r["settings"]) == shared(settings(args, r["name"]))]


def grouped(records) -> dict[str, dict[str, list[dict]]]:
    """``{config: {row label: its cells by seed}}``."""
    out: dict[str, dict[str, dict[int, dict]]] = {}
    for r in records:
        out.setdefault(r["config"], {}).setdefault(r.get("label", r["name"]), {})[r["seed"]] = r
    return {c: {n: [s[k] for k in sorted(s)] for n, s in by.items()} for c, by in out.items()}


def mean(records, metric: str) -> float:
    return float(np.mean([r["metrics"][metric] for r in records]))


def by_fd(by_name: dict) -> list[str]:
    return sorted(by_name, key=lambda n: mean(by_name[n], "fd"))


def verdict(by_name: dict[str, list[dict]]) -> str:
    """The target on the methods at their defaults (rows without options in parentheses)."""
    gans = {n: mean(rs, "fd") for n, rs in by_name.items() if n not in REFERENCES and "(" not in n}
    if "rumi" not in gans or len(gans) < 2:
        return "rumi and another method are needed for the target."
    best = min(gans, key=gans.get)
    fid = mean(by_name["rumi"], "fidelity")
    met = best == "rumi" and fid >= 0.95
    return (f"lowest FD among GANs: `{best}` ({gans[best]:.1f}); rumi FD {gans['rumi']:.1f}, class fidelity "
            f"{fid:.1%}. Target (rumi lowest FD with ≥ 95 % fidelity): **{'met' if met else 'missed'}**.")


def ordering(by_name) -> str:
    ours = [n for n in by_fd(by_name) if n in PAPER_FID]
    paper = " < ".join(n for n in sorted(PAPER_FID, key=PAPER_FID.get) if n in ours)
    return f"ordering by FD here: {' < '.join(ours)}; the paper's (same methods): {paper}."


def row_name(name: str) -> str:
    return name + (" (reference)" if name in REFERENCES else "")


def plot(groups, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5 * len(groups), 3.6), layout="tight")
    for ax, (config, by_name) in zip(fig.subplots(1, len(groups), squeeze=False)[0], groups.items()):
        names = by_fd(by_name)
        fd = [[r["metrics"]["fd"] for r in by_name[n]] for n in names]
        ax.barh(names, [np.mean(v) for v in fd], xerr=[np.std(v, ddof=1) if len(v) > 1 else 0 for v in fd],
                color=["grey" if n in REFERENCES else "C0" for n in names], capsize=2)
        for i, n in enumerate(names):
            ax.text(0, i, f" fidelity {mean(by_name[n], 'fidelity'):.0%}", va="center", fontsize=7, color="white")
        ax.invert_yaxis()
        ax.set_xlabel("Fréchet distance on the judge's features (lower is better)")
        ax.set_title(f"MNIST {config}")
    fig.savefig(path, dpi=110)


def write_report(args, records, judge_accuracy: float) -> None:
    current = reported(args, records)
    groups = grouped(current)
    if groups:
        plot(groups, args.out / "results.png")
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
             *[f"* Run {d}: `{c}`" for d, c in sorted({(r["date"], r["command"]) for r in current})], ""]
    for config, by_name in groups.items():
        lines += [f"## {config} (positive digits {', '.join(map(str, positives_of(config)))})", ""]
        rows = [[row_name(n), ",".join(str(r["seed"]) for r in by_name[n]),
                 *(mean_std([r["metrics"][k] for r in by_name[n]], 1 if k == "fd" else 3)
                   for k in ("fd", "fidelity", "precision", "recall")),
                 f"{mean(by_name[n], 'fit_s'):.0f}", PAPER_FID.get(n, "–")] for n in by_fd(by_name)]
        lines += table_lines(["method", "seeds", "FD", "class fidelity", "precision", "recall", "fit (s)",
                              "paper FID (Table 1)"], rows)
        lines += ["", f"* {verdict(by_name)}", f"* {ordering(by_name)}",
                  f"* Grid: [grid_{config}.png](grid_{config}.png)", "", *by_length(by_name)]
    lines += digit_average(groups)
    write_results(args.out / "results.md", [*lines, "![FD per method](results.png)"], current)


def by_length(by_name: dict[str, list[dict]]) -> list[str]:
    """With ``--checkpoints``: FD (mean ± std over seeds) of each GAN row as it was at every checkpoint, and
    the lowest-FD row at each (rows whose seeds all hold that checkpoint)."""
    curves = {n: [r["metrics"]["by_iteration"] for r in by_name[n]] for n in by_fd(by_name)
              if all("by_iteration" in r["metrics"] for r in by_name[n])}
    if not curves:
        return []
    steps = sorted({int(it) for cs in curves.values() for c in cs for it in c})
    at = {n: {it: [c[str(it)]["fd"] for c in cs if str(it) in c] for it in steps} for n, cs in curves.items()}
    rows = [[n, *(mean_std(v, 1) if len(v) == len(curves[n]) else "–" for v in at[n].values())] for n in curves]
    best = [min((n for n in curves if len(at[n][it]) == len(curves[n])), key=lambda n: np.mean(at[n][it]))
            for it in steps]
    return ["FD by training length (the same fit scored as it was at each checkpoint):", "",
            *table_lines(["method", *(f"{it} it." for it in steps)], rows), "",
            f"* lowest FD at each checkpoint: {', '.join(f'{it}: `{b}`' for it, b in zip(steps, best))}", ""]


def digit_average(groups) -> list[str]:
    """The paper's Table 1 view: FD, fidelity and recall averaged over the single-digit configurations, for the
    rows present in every one of them (none with fewer than two digits)."""
    digits = [c for c in groups if c.startswith("digit")]
    names = set.intersection(*(set(groups[c]) for c in digits)) if len(digits) > 1 else set()
    if not names:
        return []
    avg = {n: {k: np.mean([mean(groups[c][n], k) for c in digits]) for k in ("fd", "fidelity", "recall")}
           for n in names}
    by_name = {n: [{"metrics": avg[n]}] for n in names}
    rows = [[row_name(n), f"{avg[n]['fd']:.1f}", f"{avg[n]['fidelity']:.3f}", f"{avg[n]['recall']:.3f}",
             PAPER_FID.get(n, "–")] for n in by_fd(by_name)]
    return [f"## Averaged over {len(digits)} digits ({', '.join(digits)}), as the paper's Table 1", "",
            *table_lines(["method", "mean FD", "mean class fidelity", "mean recall", "paper FID (Table 1)"], rows),
            "", f"* {verdict(by_name)}", f"* {ordering(by_name)}", ""]


def write_grid(args, config: str, real: np.ndarray, records: list[dict]) -> None:
    """``grid_<config>.png``: real positives (cycled) above ten images of each reported row (its first seed
    whose images were kept in ``images/``)."""
    from minority_gen.plotting import save_image_grid

    shown: dict[str, np.ndarray] = {}
    for r in sorted(reported(args, records), key=lambda r: r["seed"]):
        path = args.out / "images" / f"{r['key']}.npy"
        if r["config"] == config and r["name"] != "real" and r["label"] not in shown and path.is_file():
            shown[r["label"]] = np.load(path)
    if not shown:
        return
    order = sorted(shown, key=lambda n: (n not in REFERENCES, n))
    labels = np.concatenate([np.full(len(shown[n]), n) for n in order])
    save_image_grid(args.out / f"grid_{config}.png", real[np.arange(10 * len(order)) % len(real)],
                    np.repeat(order, 10), np.concatenate([shown[n] for n in order]), labels, n_per_class=10,
                    classes=order,
                    title=f"MNIST {config}, positives: real (top) vs generated (bottom), {args.n_iter} iterations")


# --------------------------------------------------------------------------- main


def parse(argv) -> argparse.Namespace:
    from minority_gen import available_methods
    from minority_gen.commands._common import positive_int
    from minority_gen.methods import method_params_from

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, help="folder holding mnist_test.npz")
    p.add_argument("--out", type=Path, help="results folder (default benchmarks/results/protocol_d)")
    p.add_argument("--configs", nargs="+", default=["digit5", "even"], choices=CONFIGS, metavar="CONFIG",
                   help="digit0 … digit9, even (default digit5 even)")
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=available_methods(),
                   metavar="METHOD", help="GAN methods (references always run)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--n-iter", type=positive_int, help="GAN iterations for every method (default 500)")
    p.add_argument("--width", type=positive_int, help="conv width of every GAN (default 16)")
    p.add_argument("--batch", type=positive_int, help="batch size of every GAN (default 64)")
    p.add_argument("--pac", type=int, help="PacGAN packing of every GAN (default: the image default, none)")
    p.add_argument("--anchor", choices=["smote"], help="every GAN refines SMOTE blends (default: no anchors)")
    p.add_argument("--method-param", action="append", default=[], metavar="M:NAME=VALUE",
                   help="an option of method M, e.g. rumi:d_schedule=joint (repeatable; value read as JSON)")
    p.add_argument("--checkpoints", type=positive_int, metavar="EVERY",
                   help="also score every GAN as it was every EVERY iterations (FD by training length)")
    p.add_argument("--n-generate", type=positive_int, help="images generated per fit (default 1000)")
    p.add_argument("--judge-epochs", type=positive_int, help="epochs of the judge CNN (default 5)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=positive_int, default=1,
                   help="torch threads of the GAN fits (default 1; other counts are cells of their own); the judge "
                        "always trains on one")
    p.add_argument("--quick", action="store_true", help="smoke run: 5 %% of the images, 2 iterations of tiny GANs")
    p.add_argument("--report", action="store_true",
                   help="compute nothing: write results.md and the grids from the cells the store holds (a run "
                        "under way keeps appending to it)")
    p.set_defaults(**(QUICK if "--quick" in argv else DEFAULTS))
    args = p.parse_args(argv)
    try:  # beta_neg=1 and beta_neg=1.0: one cell
        args.method_params = method_params_from(args.method_param, images=True, anchored=args.anchor == "smote")
    except ValueError as e:
        p.error(f"--method-param: {e}")
    stray = sorted(args.method_params.keys() - set(args.methods))
    if stray:
        p.error(f"--method-param {stray[0]}: {stray[0]!r} is not among --methods ({' '.join(args.methods)})")
    return args


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    args.command = command_line("benchmarks/protocol_d.py", argv)
    try:
        (X_gan, y_gan), (X_judge, y_judge) = mnist_halves(*load_mnist_test(args.data), args.fraction)
    except DatasetNotFound as e:
        raise SystemExit(f"protocol_d: {e}") from None
    import torch

    from minority_gen.evaluation import SmallCNNFeatures

    args.out = args.out or (Path(tempfile.mkdtemp(prefix="protocol_d_quick_")) if args.quick else DEFAULT_OUT)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # the judge is every cell's yardstick: the same network whatever --threads says
    judge = SmallCNNFeatures(epochs=args.judge_epochs, device=args.device, random_state=0).fit(X_judge, y_judge)
    torch.set_num_threads(args.threads)
    judge_accuracy = float((judge.classes_[judge.predict_proba(X_gan).argmax(1)] == y_gan).mean())
    print(f"protocol_d: judge accuracy on the GAN half {judge_accuracy:.3f}", flush=True)
    runs_path = args.out / "runs.jsonl"
    records = read_store(runs_path)
    done = {r["key"] for r in records}
    info = run_info()
    for config in args.configs:
        positives = positives_of(config)
        X, yb = gan_training_set(X_gan, y_gan, config, args.n_positive)
        ref_features = judge.transform(X_judge[np.isin(y_judge, positives)])
        for name, seed in ((name, seed) for name in [*REFERENCES, *args.methods] for seed in args.seeds):
            current = settings(args, name)
            key = short_key(config, name, seed, current)  # the cell's key in runs.jsonl
            if key in done or args.report:
                continue
            images, seconds, earlier = generate(name, X, yb, args, seed)
            metrics = {**judge_scores(judge, ref_features, images, positives), "fit_s": round(seconds, 1)}
            if earlier:
                metrics["by_iteration"] = {str(it): judge_scores(judge, ref_features, im, positives)
                                           for it, im in earlier.items()}
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
