"""``minority-gen sample``: draw more rows from a model saved with ``--save-model``.

A table model (``resample --save-model``, or ``GANOversampler.save`` of a
sampler fitted on a table) writes a CSV: the feature columns in the form the
training CSV used (missing cells with its own text), then the class column
(named as in training; ``class`` for a model saved from Python without one).
The class column never replaces a feature column: a model whose features
include a column of that name is refused until ``--label-column`` names
another.
An image model (``images --save-model``, or one fitted on ``uint8`` images, or
on ``uint16`` grayscale ones: 16-bit PNGs) writes PNG files to ``OUT/<class>/synthetic_00000.png`` …, as ``minority-gen
images`` does, the folder named from the label by
:func:`~minority_gen.commands._output.class_folder_name` (so that no label,
``"../x"`` or an absolute path, leads outside ``OUT``); a model of images in
another dtype (floats, 16-bit colour) is refused: draw those from Python with
``GANOversampler.load(FILE).sample``.

The model file is read with :func:`minority_gen.persistence.load_sampler`,
which runs no code from the file, so a model of unknown origin is safe to
sample from.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..oversampler import GANOversampler
from ..persistence import load_sampler
from ._common import CommandError, add_overwrite_argument, foreign_entry, listed, positive_int, write_csv_like
from ._output import Outputs, class_folder_name, class_folder_names, name_limit

NAME = "sample"
HELP = "Draw synthetic rows (CSV) or images (PNG) of one class from a model saved with --save-model."
DESCRIPTION = ("A table model's CSV has the feature columns in the training CSV's order and form, then the "
               "class column last (named as in training, or --label-column). "
               "The same --random-state gives the same rows. Loading the model runs no code from the file "
               "(JSON settings and plain weight tensors).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="model file written by --save-model or GANOversampler.save")
    parser.add_argument("--n", type=positive_int, required=True, help="number of rows (or images) to draw")
    parser.add_argument("--class", dest="label", default=None, metavar="LABEL",
                        help="the class to draw, as written in the training data; may be left out when the "
                             "model grew one class only")
    parser.add_argument("--out", type=Path, required=True,
                        help="output CSV for a table model (the class column last); output folder (PNG files per "
                             "class) for an image model")
    parser.add_argument("--label-column", default=None, metavar="NAME",
                        help="name of the class column of a table model's CSV (default: the training CSV's, "
                             "'class' for a model saved from Python); never the name of a feature column")
    parser.add_argument("--random-state", type=int, default=0, help="seed of the noise (default 0)")
    add_overwrite_argument(parser, "--out file or folder")


def _pick_class(sampler, text: str | None, path: Path):
    fitted = list(sampler.generators_)
    names = listed(str(c.item() if isinstance(c, np.generic) else c) for c in fitted)
    if text is None:
        if len(fitted) != 1:
            raise CommandError(f"{path} can draw the classes {names}; choose one with --class.")
        return fitted[0]
    matches = [c for c in fitted if str(c.item() if isinstance(c, np.generic) else c) == text]
    if not matches:
        raise CommandError(f"--class {text!r}: {path} has no generator for that class; it can draw {names}.")
    return matches[0]


def _png_images(images: np.ndarray, sampler, path: Path) -> np.ndarray:
    """The images as ``(N, H, W)`` or ``(N, H, W, C)`` uint8 for PNG files (``(N, H, W)`` uint16: 16-bit grayscale
    PNGs, as ``images`` writes them for 16-bit input), or a clear refusal."""
    layout = sampler.layout_
    if images.dtype not in (np.uint8, np.uint16):
        raise CommandError(f"{path} generates {images.dtype} images; PNG output needs uint8 (or uint16 grayscale). "
                           "Draw them from Python instead: GANOversampler.load(path).sample(n, y=label).")
    images = images.reshape(len(images), *layout.native_shape)  # flattened rows too
    if layout.axes == "CHW":
        images = images.transpose(0, 2, 3, 1)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 4 and images.shape[-1] not in (3, 4):
        raise CommandError(f"{path} generates images with {images.shape[-1]} channels; PNG holds 1, 3 or 4.")
    if images.dtype == np.uint16 and images.ndim == 4:
        raise CommandError(f"{path} generates 16-bit colour images; PNG files here hold 16 bits for grayscale only. "
                           "Draw them from Python instead: GANOversampler.load(path).sample(n, y=label).")
    return images


def _label_column(args: argparse.Namespace, meta: dict, features) -> str:
    """The class column's name for a table model's CSV, refused when it is a feature column's."""
    if args.label_column is not None:
        name, source = args.label_column, "--label-column"
    else:
        name, source = str(meta.get("target", "class")), "the class column's default name"
    if name in {str(c) for c in features}:
        raise CommandError(f"{source} {name!r} is also a feature column of {args.model}, which the class labels "
                           "would overwrite; give the class column another name with --label-column NAME.")
    return name


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    sampler, meta = load_sampler(args.model, GANOversampler, with_metadata=True)
    meta = meta if isinstance(meta, dict) else {}
    label = _pick_class(sampler, args.label, args.model)
    outputs = Outputs(overwrite=args.overwrite, inputs=[args.model])
    images = sampler.layout_ is not None
    if images:
        if args.label_column is not None:
            raise CommandError(f"--label-column names the class column of a CSV; {args.model} is an image model, "
                               "whose images are written to one folder per class.")
        folder_name = class_folder_names([label], name_max=name_limit(args.out / "class"))[label]
        classes = {class_folder_name(c) for c in sampler.generators_}  # any class a sample run writes
        outputs.folder("--out", args.out, foreign=lambda p: foreign_entry(p, class_folders=classes),
                       holds=f"{args.model} is an image model, which writes a folder of PNG files (one sub-folder "
                             "per class)")
    else:
        outputs.file("--out", args.out, example="rows.csv")
    start = time.perf_counter()
    rows = sampler.sample(args.n, y=label, random_state=args.random_state)
    name = str(label.item() if isinstance(label, np.generic) else label)
    if images:
        pngs = _png_images(np.asarray(rows), sampler, args.model)
    else:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(
            rows, columns=getattr(sampler, "feature_names_in_", None))
        target = _label_column(args, meta, frame.columns)
        frame = frame.assign(**{target: np.full(len(frame), label, dtype=np.asarray(sampler.classes_).dtype)})
    with outputs.staged() as tmp:
        if images:
            folder = tmp[args.out] / folder_name
            if folder.parent != tmp[args.out]:  # class_folder_name makes one component; never write elsewhere
                raise CommandError(f"the class {name!r} gives no safe folder name ({folder_name!r}).")
            folder.mkdir()
            for i, image in enumerate(pngs):
                Image.fromarray(image).save(folder / f"synthetic_{i:05d}.png")
        else:
            write_csv_like(frame, tmp[args.out], dict(meta.get("missing_tokens") or {}))
    what = "PNG images" if images else "rows"
    where = f" in {args.out / folder_name}" if images and folder_name != name else ""
    print(f"{args.model} -> {args.out}: {args.n} synthetic {what} of class {name}{where} "
          f"(random state {args.random_state}), {time.perf_counter() - start:.1f} s")
    return 0
