"""``minority-gen images``: balance a folder of images, one sub-folder per class.

The input follows torchvision's ``ImageFolder`` layout (``IN/<class>/*.png``,
any format Pillow reads, sub-folders searched recursively). The synthetic
images are written as PNG files to ``OUT/<class>/synthetic_00000.png`` …;
the input folder is only read.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from ..oversampler import GANOversampler
from ._common import add_gan_arguments, gan_kwargs

NAME = "images"
HELP = "Balance an image folder (one sub-folder per class): write synthetic PNGs per class."

_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="input folder with one sub-folder of images per class")
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder (same class sub-folders); must not be inside the input")
    parser.add_argument("--resize", default=None, metavar="SIZE",
                        help="resize every image to SIZE (e.g. 28) or WxH (e.g. 64x48) before training; "
                             "without it all images must have the same size")
    parser.add_argument("--color", choices=("auto", "gray", "rgb"), default="auto",
                        help="auto: grayscale when every image is, else RGB (default auto)")
    parser.add_argument("--min-images", type=int, default=2,
                        help="refuse class folders with fewer images than this (default 2)")
    parser.add_argument("--copy-originals", action="store_true",
                        help="also copy the original files into --out, giving a balanced folder")
    parser.add_argument("--overwrite", action="store_true", help="replace synthetic PNGs already in --out")
    parser.add_argument("--width", type=int, default=None,
                        help="convolutional width, channels at full resolution (default 32)")
    parser.add_argument("--diffaugment", default="auto",
                        help="DiffAugment policy, e.g. 'color,translation,cutout'; 'none' to turn off "
                             "(default auto = color,translation,cutout)")
    parser.add_argument("--grid", type=Path, default=None, metavar="PNG",
                        help="also save a grid of real vs synthetic images per class")
    parser.add_argument("--loss-plot", type=Path, default=None, metavar="PNG",
                        help="also save the discriminator / generator loss curves")
    add_gan_arguments(parser)


def _parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) < 1:
        raise ValueError(
            f"--resize must be SIZE or WxH with positive integers (e.g. 28 or 64x48); got {text!r}."
        )
    return parts[0], parts[1]


def read_image_folder(folder: Path, resize=None, color: str = "auto", min_images: int = 2):
    """``(X, y, files)``: uint8 images ``(N, H, W)`` or ``(N, H, W, 3)``, class names, paths.

    Files Pillow cannot read are skipped with a warning naming them.
    """
    from PIL import Image, UnidentifiedImageError

    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    class_dirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(class_dirs) < 2:
        raise ValueError(
            f"{folder} has {len(class_dirs)} class sub-folder(s); it needs one sub-folder per class and at "
            "least two classes (e.g. IN/benign/*.png and IN/malignant/*.png)."
        )
    stray = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    images, labels, files, skipped = [], [], [], []
    for class_dir in class_dirs:
        for path in sorted(p for p in class_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            try:
                with Image.open(path) as img:
                    img.load()
                    images.append(img.copy())
            except (UnidentifiedImageError, OSError):
                skipped.append(str(path.relative_to(folder)))
                continue
            labels.append(class_dir.name)
            files.append(path)
    if stray or skipped:
        names = stray + skipped
        print(f"warning: skipped {len(names)} file(s) that are not images in a class folder: "
              f"{', '.join(names[:20])}{' ...' if len(names) > 20 else ''}", file=sys.stderr)
    counts = Counter(labels)
    few = {d.name: counts.get(d.name, 0) for d in class_dirs if counts.get(d.name, 0) < min_images}
    if few:
        raise ValueError(
            f"class folder(s) with too few images: {few}; each class needs at least {min_images} images "
            "(--min-images) to train on. Add images, or move the folder out of the input."
        )
    if color == "auto":
        color = "gray" if all(img.mode in _GRAY_MODES for img in images) else "rgb"
    if resize is None:
        sizes = Counter(img.size for img in images)
        if len(sizes) > 1:
            example = {s: next(str(f.relative_to(folder)) for f, i in zip(files, images) if i.size == s)
                       for s in sizes}
            listed = "; ".join(f"{w}x{h}: {n} (e.g. {example[(w, h)]})" for (w, h), n in sizes.most_common(5))
            raise ValueError(
                f"the images have {len(sizes)} different sizes (width x height: {listed}). Pass --resize "
                "SIZE (e.g. --resize 64) to resize them all, or make them the same size."
            )
    arrays = [_to_array(img, color, resize) for img in images]
    return np.stack(arrays), np.array(labels), files


def _to_array(img, color: str, resize) -> np.ndarray:
    from PIL import Image

    if img.mode.startswith("I;16") or img.mode == "I":
        arr = np.asarray(img, dtype=np.float64)
        img = Image.fromarray(np.clip(np.rint(arr / 257.0), 0, 255).astype(np.uint8))
    img = img.convert("L" if color == "gray" else "RGB")
    if resize is not None and img.size != tuple(resize):
        img = img.resize(tuple(resize), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.uint8)


def _check_out(folder: Path, out: Path) -> None:
    a, b = folder.resolve(), out.resolve()
    if a == b or a in b.parents or b in a.parents:
        raise ValueError(
            f"--out {out} overlaps the input folder {folder}; choose a separate folder so the originals "
            "are never touched."
        )


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    _check_out(args.folder, args.out)
    X, y, files = read_image_folder(args.folder, _parse_size(args.resize), args.color, args.min_images)
    kwargs = gan_kwargs(args)
    kwargs["diffaugment"] = None if args.diffaugment.lower() == "none" else args.diffaugment
    if args.width is not None:
        kwargs["hidden_dims"] = (args.width,)
    sampler = GANOversampler(**kwargs)
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    X_new, y_new = X_res[len(X):], y_res[len(X):]
    targets = {}
    for cls in np.unique(y_new):
        for i in range(int((y_new == cls).sum())):
            targets.setdefault(cls, []).append(args.out / cls / f"synthetic_{i:05d}.png")
    existing = [p for paths in targets.values() for p in paths if p.exists()]
    if existing and not args.overwrite:
        raise ValueError(f"{len(existing)} file(s) already exist in {args.out} (e.g. {existing[0]}); "
                         "pass --overwrite or choose an empty --out.")
    for cls, paths in targets.items():
        (args.out / cls).mkdir(parents=True, exist_ok=True)
        for path, image in zip(paths, X_new[y_new == cls]):
            Image.fromarray(image).save(path)
    if args.copy_originals:
        for path, cls in zip(files, y):
            dest = args.out / cls / path.relative_to(args.folder / cls)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    if args.grid is not None:
        from ..plotting import save_sampler_grid

        save_sampler_grid(args.grid, sampler, X, y, title=f"{args.folder.name}: {sampler.method_.name}")
    if args.loss_plot is not None:
        from ..plotting import plot_loss_curves

        plot_loss_curves(sampler.history_, args.loss_plot)
    written = ", ".join(f"{cls}: +{len(p)}" for cls, p in targets.items()) or "nothing to add"
    print(f"{args.folder} -> {args.out}: {len(X)} images of shape {X.shape[1:]} in, {len(X_new)} synthetic "
          f"PNGs written ({written}); method {sampler.method_.name}, {seconds:.1f} s")
    return 0
