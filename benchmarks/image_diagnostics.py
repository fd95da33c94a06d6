"""Why do GAN images alone not help the CNN on BreastMNIST severe30? (issue 35, item 2)

Protocol I's ``severe30`` training split keeps 30 of the 147 malignant training images. The other 117, with
the validation split's malignant images, are *held back*: no GAN, oversampler or CNN of a severe30 cell
trains on them, and the test split is not read here. For each source of new malignant images —

* ``real``: the 30 training images themselves (what random oversampling copies);
* ``augmentation``: ``AugmentationOversampler`` copies of them (protocol I's condition);
* ``rumi <n> it``: ``GANOversampler(method="rumi", n_iter=n)`` fitted on the severe30 split with protocol I's
  settings (the image defaults), at several training lengths —

the images (as many as protocol I draws: 399 − 30 = 369) are compared with the held-back malignant images
in the feature space of a judge CNN (:class:`SmallCNNFeatures`) trained on the full training split:

* class fidelity: the share the judge calls malignant (its recall on the validation malignant images is given
  as the ceiling);
* Fréchet distance, precision / recall / density / coverage (k = 5) against the held-back images;
* C2ST accuracy (random forest, 5 folds) at telling them from held-back images, on the judge's features and on
  raw pixels: near 0.5 means indistinguishable; near 1.0 means the images carry marks a CNN can key on.

A second table, *texture*, reads the images protocol I's severe30 `rumi` cells trained on (its GAN sample
cache, ``benchmarks/results/protocol_i/gan_samples``, default settings, one file per seed) and measures their
high-frequency energy (mean absolute Laplacian, relative to the held-back images) and the pixel C2ST accuracy,
as drawn and after a small Gaussian blur (σ in pixels): does removing fine texture make them indistinguishable?

Usage::

    python benchmarks/image_diagnostics.py                       # lengths 250 500 1000 2000, seeds 0 1
    python benchmarks/image_diagnostics.py --seeds 1 --iters 500  # one more cell (resumable store)
    python benchmarks/image_diagnostics.py --quick                # smoke run, temporary folder

Results: ``benchmarks/results/image_diagnostics/`` (``runs.jsonl``: one line per cell, a re-run skips the
cells there; ``results.md``; ``grid_<n>it.png``: held-back vs GAN images, first seed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import protocol_i  # noqa: E402  (its scenarios and GAN settings)
from minority_gen.evaluation.images import GANSampleCache, augment
from minority_gen.evaluation.report import command_line, mean_std, run_info, run_stamp, table_lines, write_results
from minority_gen.evaluation.store import append_records, read_store, short_key
from minority_gen.nets.conv import PADDINGS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "image_diagnostics"
MALIGNANT = protocol_i.MINORITY  # label 0 = malignant
METRICS = (("fidelity", "class fidelity"), ("frechet", "Fréchet (judge features)"), ("precision", "precision"),
           ("recall", "recall"), ("density", "density"), ("coverage", "coverage"),
           ("c2st_features", "C2ST, features"), ("c2st_pixels", "C2ST, pixels"))
JUDGE = dict(epochs=10, width=16, n_features=128)
QUICK = dict(iters=[2], seeds=[0], fraction=0.25, judge_epochs=1, gan_width=8)


def parse(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None, help="folder holding breastmnist.npz (default: the data folder)")
    p.add_argument("--out", type=Path, default=None, help=f"results folder (default {DEFAULT_OUT.relative_to(REPO)})")
    p.add_argument("--iters", type=int, nargs="+", default=[250, 500, 1000, 2000], help="GAN training lengths")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--padding", nargs="+", choices=PADDINGS, default=["zeros"],
                   help="padding of the generator's convolutions, each a source of its own: 'zeros' (the package's), "
                        "or 'replicate' / 'reflect' (GANOversampler's padding option)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--quick", action="store_true", help="tiny sizes, one seed, a temporary folder: a smoke run")
    args = p.parse_args(argv)
    if min(args.iters) < 1 or min(args.seeds) < 0:
        p.error("--iters must be positive and --seeds non-negative")
    if args.quick:
        args.iters, args.seeds = QUICK["iters"], QUICK["seeds"]
    return args


def load(args):
    """``(X, y)`` of the severe30 split, the held-back malignant images, the full training split and the
    validation split (``--quick``: a quarter of each class of the training split, the cut made on that)."""
    from minority_gen.evaluation.datasets import DatasetNotFound, load_breastmnist, severe_cut

    try:
        splits = load_breastmnist(args.data)
    except DatasetNotFound as err:
        raise SystemExit(f"image_diagnostics: {err}") from None
    X, y = splits["train"]
    if args.quick:
        keep = np.flatnonzero(np.arange(len(y)) % 4 == 0)
        X, y = X[keep], y[keep]
    mask = severe_cut(y, MALIGNANT, 30 if not args.quick else 10)
    X_val, y_val = splits["val"]
    held_back = np.concatenate([X[~mask], X_val[y_val == MALIGNANT]])
    return (X[mask], y[mask]), held_back, (X, y), (X_val, y_val)


def gan_params(args, n_iter: int) -> dict:
    params = dict(method="rumi", n_iter=n_iter)
    if args.quick:
        params.update(hidden_dims=(QUICK["gan_width"],), batch_size=16)
    return params


def new_images(source: str, n_iter: int | None, seed: int, X, y, n_new: int, args) -> tuple[np.ndarray, float]:
    """``n_new`` malignant images from ``source`` and the seconds the fit took."""
    if source == "real":
        return X[y == MALIGNANT], 0.0
    if source == "augmentation":  # protocol I's augmentation condition, the same images
        return augment(X, y, n_new, seed, MALIGNANT), 0.0
    from minority_gen import GANOversampler

    start = time.perf_counter()
    padding = source.partition(" padding=")[2] or "zeros"
    sampler = GANOversampler(**gan_params(args, n_iter), padding=padding, random_state=seed).fit(X, y)
    seconds = time.perf_counter() - start
    return sampler.sample(n_new, y=MALIGNANT, random_state=seed), seconds


BLURS = (0.5, 0.8)
RING = np.pad(np.zeros((24, 24), bool), 2, constant_values=True)  # the outer 2 pixels of a 28 × 28 image


def laplacian_energy(images) -> float:
    """Mean absolute 4-neighbour Laplacian of the images (pixels 0–255): their high-frequency energy."""
    a = np.asarray(images, float)
    lap = 4 * a[:, 1:-1, 1:-1] - a[:, :-2, 1:-1] - a[:, 2:, 1:-1] - a[:, 1:-1, :-2] - a[:, 1:-1, 2:]
    return float(np.abs(lap).mean())


def blurred(images, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(np.asarray(images, float), sigma=(0, sigma, sigma)).round().clip(0, 255).astype(np.uint8)


def protocol_i_images(X, y, seeds) -> dict[int, np.ndarray]:
    """The severe30 `rumi` images protocol I's cells trained on (its sample cache at the default settings)."""
    cache = GANSampleCache(REPO / "benchmarks" / "results" / "protocol_i" / "gan_samples")
    params = protocol_i.gan_params(protocol_i.parse([]), "rumi")
    n_new = int((y != MALIGNANT).sum() - (y == MALIGNANT).sum())
    files = {seed: cache.sample_file("severe30", params, seed, X, y, n_new) for seed in seeds}
    out = {}
    for seed, path in files.items():
        if path.is_file():
            with np.load(path) as f:
                out[seed] = f["images"]
    return out


def texture_lines(X, y, held_back, seeds) -> list[str]:
    """The texture table (module docstring) over the seeds whose protocol I images are cached."""
    from minority_gen.evaluation.judges import c2st_accuracy

    gan = protocol_i_images(X, y, seeds)
    if not gan:
        return ["No protocol I severe30 `rumi` images in its sample cache: run protocol I first for the texture "
                "table.", ""]
    ref = laplacian_energy(held_back)
    views = {"pixels": lambda a: a.reshape(len(a), -1) / 255.0,
             "intensity quantiles": lambda a: np.quantile(a.reshape(len(a), -1), np.linspace(0, 1, 11), axis=1).T,
             "7 × 7 block means": lambda a: a.reshape(len(a), 7, 4, 7, 4).mean(axis=(2, 4)).reshape(len(a), -1),
             "2-pixel border": lambda a: a[:, RING] / 255.0, "interior": lambda a: a[:, ~RING] / 255.0}
    sources = {"real (30 training images)": lambda seed: X[y == MALIGNANT],
               "augmentation": lambda seed: new_images("augmentation", None, seed, X, y, len(gan[seed]), None)[0],
               "rumi (protocol I's images)": lambda seed: gan[seed],
               **{f"rumi, blurred σ = {s}": (lambda seed, s=s: blurred(gan[seed], s)) for s in BLURS}}
    rows = []
    for name, draw in sources.items():
        images = {seed: draw(seed).astype(float) for seed in gan}
        energy = [laplacian_energy(a) / ref for a in images.values()]
        c2st = [[c2st_accuracy(view(held_back.astype(float)), view(a), random_state=seed) for seed, a in images.items()]
                for view in views.values()]
        rows.append([name, mean_std(energy, 2), *(mean_std(c) for c in c2st)])
    return [f"## Texture of the images protocol I trained on (seeds {', '.join(map(str, gan))})", "",
            f"High-frequency energy: mean absolute Laplacian relative to the held-back images' ({ref:.1f} grey "
            "levels). C2ST: a random forest's accuracy at telling the images from the held-back ones (0.5: "
            "indistinguishable) on their pixels, on their intensity distribution alone (11 quantiles, no position) "
            "on their coarse layout (means of 4 × 4 blocks), on the outer 2 pixels alone and on the 24 × 24 interior "
            "alone. The 30 real images enter the C2ST with 30 of each "
            "set, the others with all held-back images.", "",
            *table_lines(["images", "high-frequency energy (held back = 1)", *(f"C2ST, {v}" for v in views)], rows),
            ""]


def scores(images, held_back, judge, seed: int) -> dict:
    from minority_gen.evaluation.judges import c2st_accuracy
    from minority_gen.evaluation.metrics import frechet_distance, prdc

    F_ref, F_new = judge.transform(held_back), judge.transform(images)
    proba = judge.predict_proba(images)[:, list(judge.classes_).index(MALIGNANT)]
    flat = lambda a: a.reshape(len(a), -1).astype(float) / 255.0  # noqa: E731
    return dict(fidelity=float((proba > 0.5).mean()), frechet=frechet_distance(F_ref, F_new),
                **prdc(F_ref, F_new, k=5, random_state=seed),
                c2st_features=c2st_accuracy(F_ref, F_new, random_state=seed),
                c2st_pixels=c2st_accuracy(flat(held_back), flat(images), random_state=seed))


def cell_key(source: str, n_iter, seed: int, args) -> str:
    return short_key(source, n_iter, seed, gan_params(args, n_iter or 0), JUDGE, args.quick)


def report(records: list[dict], judge_note: str, command: str, out: Path, texture: list[str]) -> None:
    order = lambda r: (r["source"] != "real", r["source"] != "augmentation", r["source"], r["n_iter"] or 0)  # noqa: E731
    groups: dict[tuple, list[dict]] = {}
    for r in sorted(records, key=order):
        groups.setdefault((r["source"], r["n_iter"]), []).append(r)
    rows = [[src if it is None else f"{src} {it} it", ",".join(str(r["seed"]) for r in recs), recs[0]["n_images"],
             *(mean_std([r["scores"][k] for r in recs]) for k, _ in METRICS),
             f"{np.mean([r['fit_s'] for r in recs]):.0f}" if it else "–"]
            for (src, it), recs in groups.items()]
    lines = ["# Why GAN images alone do not help: BreastMNIST severe30 against held-back malignant images", "",
             "`benchmarks/image_diagnostics.py` (its docstring says more; issue 35, item 2). New malignant images of "
             "protocol I's severe30 split — the 30 training images themselves (`real`), augmented copies, and `rumi` "
             "images after several training lengths — against the malignant images that severe30 holds back (the "
             "117 cut from the training split and the validation split's), in the feature space of a judge CNN "
             "trained on the full training split. The test split is not read.", "",
             *run_stamp(command, info=records[-1]["info"]),
             "* Commands whose cells are in the first table: "
             + "; ".join(f"`{c}`" for c in dict.fromkeys(r["command"] for r in records)),
             f"* Judge: {judge_note}", "",
             *table_lines(["images", "seeds", "n", *(name for _, name in METRICS), "GAN fit (s)"], rows), "",
             "Mean ± std over seeds. Fréchet distance and C2ST accuracy: lower is closer to the held-back images;",
             "fidelity, precision, recall, coverage: higher is better; density ≈ 1 when the sets match.", "",
             *texture]
    lines += [f"![held-back vs GAN images, {g.stem.removeprefix('grid_')}]({g.name})"
              for g in sorted(out.glob("grid_*.png"), key=lambda p: (len(p.stem), p.stem))]
    write_results(out / "results.md", lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    command = command_line("benchmarks/image_diagnostics.py", argv)
    from minority_gen.evaluation import SmallCNNFeatures
    from minority_gen.plotting import save_image_grid

    torch.set_num_threads(args.threads)
    (X, y), held_back, full, (X_val, y_val) = load(args)
    out = Path(tempfile.mkdtemp(prefix="image_diagnostics_")) if args.quick else (args.out or DEFAULT_OUT)
    store = out / "runs.jsonl"
    done = {r["key"] for r in read_store(store)}
    n_new = int((y != MALIGNANT).sum() - (y == MALIGNANT).sum())
    epochs = QUICK["judge_epochs"] if args.quick else JUDGE["epochs"]
    judge = SmallCNNFeatures(**{**JUDGE, "epochs": epochs}, random_state=0).fit(*full)
    recall = float((judge.predict_proba(X_val[y_val == MALIGNANT]).argmax(1) == list(judge.classes_).index(
        MALIGNANT)).mean())
    judge_note = (f"`SmallCNNFeatures({', '.join(f'{k}={v}' for k, v in {**JUDGE, 'epochs': epochs}.items())}, "
                  f"random_state=0)` fitted on the full training split ({len(full[1])} images); it calls "
                  f"{recall:.1%} of the validation malignant images malignant. Held-back malignant images: "
                  f"{len(held_back)}")
    cells = [(s, None, seed) for s in ("real", "augmentation") for seed in args.seeds]
    rumi = ["rumi" if p == "zeros" else f"rumi padding={p}" for p in args.padding]
    cells += [(source, it, seed) for source in rumi for it in args.iters for seed in args.seeds]
    todo = [c for c in cells if cell_key(*c, args) not in done]
    print(f"image_diagnostics: {len(todo)} cell(s) to run, {len(cells) - len(todo)} in {store}", flush=True)
    for source, n_iter, seed in todo:
        images, fit_s = new_images(source, n_iter, seed, X, y, n_new, args)
        if source.startswith("rumi") and seed == args.seeds[0]:
            padding = source.partition(" padding=")[2]
            save_image_grid(out / f"grid_{n_iter}it{'_' + padding if padding else ''}.png", held_back,
                            np.zeros(len(held_back), int), images, np.zeros(len(images), int), n_per_class=10,
                            title=f"BreastMNIST malignant: held back (top) vs {source}, {n_iter} iterations, "
                                  f"seed {seed}")
        rec = dict(key=cell_key(source, n_iter, seed, args), status="ok", source=source, n_iter=n_iter, seed=seed,
                   n_images=len(images), fit_s=round(fit_s, 1), scores=scores(images, held_back, judge, seed),
                   info=run_info(), command=command)
        append_records(store, [rec])
        print(f"{source} {n_iter or ''} seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in rec["scores"].items()),
              flush=True)
    texture = texture_lines(X, y, held_back, range(10) if not args.quick else [])
    report(read_store(store), judge_note, command, out, texture)
    print(f"image_diagnostics: wrote {out / 'results.md'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
