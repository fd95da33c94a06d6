"""``minority-gen images``: balance a folder of images, one sub-folder per class.

The input follows torchvision's ``ImageFolder`` layout (``IN/<class>/*.png``,
any format Pillow reads, sub-folders searched recursively). The synthetic
images are written as PNG files to ``OUT/<class>/synthetic_00000.png`` …
(the class folder named from the label by
:func:`~minority_gen.commands._output.class_folder_name`: ``a:b`` becomes
``a_b``); the input folder is only read. The output folder is written as a whole: it
must be new or empty, or ``--overwrite`` replaces it once the new one is
complete.

With ``--ddp`` the command runs in every process ``torchrun`` starts and
trains each GAN data-parallel over them
(:func:`minority_gen.distributed.fit_ddp`; ``--batch-size`` is per process):
``torchrun --nproc_per_node 4 -m minority_gen images IN --out OUT --ddp``.
Every process reads the folder and checks the outputs; rank 0 alone writes
them, atomically, once training is done.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from .. import distributed
from ..diffaugment import resolve_policy
from ..nets import conv_stages, supported_sizes_near
from ..oversampler import GANOversampler
from ..persistence import save_sampler
from ._common import CommandError, add_overwrite_argument, add_save_model_argument, foreign_entry, listed, positive_int
from ._data_checks import check_data_kind
from ._gan_options import OwnOption, add_gan_arguments, check_gan_params, gan_kwargs, option_of
from ._image_files import DEEP_MODES, as_16_bits, class_dirs, class_files, out_of_range, transparent
from ._output import Outputs, class_folder_name, class_folder_names, name_limit

NAME = "images"
HELP = "Balance an image folder (one sub-folder per class): write synthetic PNGs per class."

_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}
#: The longest side ``--resize`` takes: the networks grow a stage per doubling, and the images stay in memory.
MAX_SIDE = 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="input folder with one sub-folder of images per class")
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder (same class sub-folders), written as a whole; must not overlap "
                             "the input")
    parser.add_argument("--resize", default=None, metavar="SIZE",
                        help="resize every image to SIZE (e.g. 28) or WxH (e.g. 48x32) before training; "
                             "without it all images must have the same size. The networks take W and H from one "
                             "group: 16/20/24/28, 32/40/48/56, 64/80/96/112 ... (b*2^k, 4 <= b <= 7, same k)")
    parser.add_argument("--color", choices=("auto", "gray", "rgb"), default="auto",
                        help="auto: grayscale when every image is, else RGB (default auto)")
    parser.add_argument("--min-images", type=positive_int, default=2,
                        help="refuse class folders with fewer images than this (default 2)")
    parser.add_argument("--copy-originals", action="store_true",
                        help="also copy the original files into --out, giving a balanced folder (refused when an "
                             "original is named like a generated image, synthetic_00000.png ...)")
    add_save_model_argument(parser)
    add_overwrite_argument(parser, "--out folder (holding only class folders of images), --grid, --loss-plot or "
                                   "--save-model")
    parser.add_argument("--grid", type=Path, default=None, metavar="PNG",
                        help="also save a grid of real vs synthetic images per class")
    parser.add_argument("--loss-plot", type=Path, default=None, metavar="PNG",
                        help="also save the discriminator / generator loss curves")
    add_gan_arguments(parser, own=[
        OwnOption("hidden_dims", "--width", dict(
            type=positive_int, default=None, help="convolutional width, channels at full resolution (default 16)"),
            convert=lambda width: (width,)),
        OwnOption("diffaugment", "--diffaugment", dict(
            default="auto", help="DiffAugment policy, e.g. 'color,translation,cutout'; 'none' to turn off "
                                 "(default auto = color,translation,cutout)"),
            convert=lambda policy: None if policy.lower() == "none" else policy),
        OwnOption("padding", "--padding", dict(
            default="auto", choices=["auto", "zeros", "replicate", "reflect"],
            help="how the generator's convolutions pad (default auto = zeros; replicate or reflect leave no frame "
                 "at the edge for a classifier to key on)")),
    ], notes={name: "not for this command, which reads each image's size and channels from its file (see --resize "
                    "and --color)" for name in ("image_shape", "image_layout")})
    parser.add_argument("--ddp", action="store_true",
                        help="train data-parallel in the processes torchrun starts, e.g. torchrun "
                             "--nproc_per_node 2 -m minority_gen images IN --out OUT --ddp (gloo on CPUs, NCCL "
                             "on GPUs, one GPU per process); --batch-size is then per process; rank 0 writes "
                             "the outputs")


def _check_ddp(sampler) -> None:
    if not distributed.launched_by_torchrun():
        raise CommandError(
            f"--ddp runs in the processes torchrun starts, which set {', '.join(distributed.TORCHRUN_ENV)}; "
            f"this process lacks {', '.join(distributed.missing_env())}. Launch it as `torchrun "
            "--nproc_per_node 2 -m minority_gen images IN --out OUT --ddp` (or `python -m "
            "torch.distributed.run ...`), or leave out --ddp."
        )
    try:
        distributed.check_sampler(sampler)
    except ValueError as exc:
        raise CommandError(f"--ddp: {exc}") from None


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
            f"--resize must be SIZE or WxH with positive integers (e.g. 28 or 48x32); got {text!r}."
        )
    width, height = parts
    if max(parts) > MAX_SIDE:
        raise ValueError(f"--resize {text}: at most {MAX_SIDE} pixels a side (the images are kept in memory and "
                         "the networks grow a stage per doubling); e.g. --resize 64, --resize 256 or --resize 96x64.")
    try:
        conv_stages((1, height, width))
    except ValueError:
        near = " or ".join(f"{w}x{h}" for h, w in supported_sizes_near(height, width))
        raise ValueError(
            f"--resize {text}: the convolutional networks do not take {width}x{height} images (width x height): "
            "both sides must come from one group of 16/20/24/28, 32/40/48/56, 64/80/96/112, 128/160/192/224 "
            f"... (b*2^k with 4 <= b <= 7 and the same k >= 2). The nearest sizes they take: --resize {near}."
        ) from None
    return width, height


def read_image_folder(folder: Path, resize=None, color: str = "auto", min_images: int = 2):
    """``(X, y, files)``: images ``(N, H, W)`` or ``(N, H, W, 3)``, class names, paths.

    ``X`` is uint8, or uint16 when the images are grayscale and some have 16 bits (8-bit ones then scaled by
    257, with a warning naming them); 16-bit images in an RGB output are reduced to 8 bits with a warning.
    Files at the top of ``folder``, files in class folders that are not images and image files Pillow cannot
    read (broken links included) are skipped with a warning for each kind, naming them; so are images larger
    than Pillow's limit against decompression bombs (``Image.MAX_IMAGE_PIXELS``). Hidden files and folders
    are not read; symlinked folders are. Images with transparent pixels (whose alpha is dropped) or more than
    one frame (only the first is read) are named in a warning; 32-bit or float images whose values 16 bits
    cannot hold are refused. With ``resize``, each image is converted and resized as it is read, so that no
    image is kept at full size.
    """
    from PIL import Image, UnidentifiedImageError

    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    classes = class_dirs(folder)
    if len(classes) < 2:
        raise ValueError(
            f"{folder} has {len(classes)} class sub-folder(s); it needs one sub-folder per class and at "
            "least two classes (e.g. IN/benign/*.png and IN/malignant/*.png)."
        )
    stray = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    images, labels, files, not_images, unreadable = [], [], [], [], []
    alpha, frames, too_deep, deep = [], [], [], set()  # deep: the files of images with more than 8 bits
    image_suffixes = {s.lower() for s in Image.registered_extensions()}
    bombs = (Image.DecompressionBombError, Image.DecompressionBombWarning)
    for class_dir in classes:
        paths, broken = class_files(class_dir)
        unreadable += [f"{p.relative_to(folder)} (a broken link to {os.readlink(p)})" for p in broken]
        for path in paths:
            name, opened = str(path.relative_to(folder)), False
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)  # skipped, not printed raw
                    with Image.open(path) as img:
                        opened = True
                        img.load()
                        if (beyond := out_of_range(img)) is not None:
                            too_deep.append(f"{name} ({beyond})")
                            continue
                        alpha += [name] if transparent(img) else []
                        frames += [name] if getattr(img, "n_frames", 1) > 1 else []
                        if img.mode in DEEP_MODES:
                            deep.add(path)
                        images.append(img.copy() if resize is None else _prepare(img, color, resize))
            except (UnidentifiedImageError, OSError, *bombs) as exc:
                if opened or path.suffix.lower() in image_suffixes or isinstance(exc, bombs):  # damaged or too big
                    unreadable.append(f"{name} ({' '.join(str(exc).split())})")
                else:
                    not_images.append(name)
                continue
            labels.append(class_dir.name)
            files.append(path)
    for names, what in ((stray, f"at the top of {folder}, which are not read (only class sub-folders are)"),
                        (not_images, "in class folders that are not images"),
                        (unreadable, "that could not be read as images")):
        if names:
            print(f"warning: skipped {len(names)} file(s) {what}: {listed(names)}", file=sys.stderr)
    if too_deep:
        raise ValueError(
            f"{len(too_deep)} image(s) hold values that neither an 8- nor a 16-bit PNG keeps: {listed(too_deep)}. "
            "Scale them to 16 bits (0 to 65535, whole numbers) or 8 bits first, or pass the arrays to "
            "GANOversampler in Python, which keeps any dtype and range."
        )
    for names, what in ((alpha, "have transparent pixels; their transparency is dropped (the colour stored under "
                                "each transparent pixel is kept): flatten them onto a background first if that "
                                "is not what they show"),
                        (frames, "have several frames (pages); only the first is read")):
        if names:
            print(f"warning: {len(names)} image(s) {what}: {listed(names)}", file=sys.stderr)
    counts = Counter(labels)
    few = {d.name: counts.get(d.name, 0) for d in classes if counts.get(d.name, 0) < min_images}
    if few:
        raise ValueError(
            f"{len(few)} class folder(s) with too few images: {listed(f'{k!r}: {n}' for k, n in few.items())}; "
            f"each class needs at least {min_images} images "
            "(--min-images) to train on. Add images, or move the folder out of the input."
        )
    if color == "auto":
        color = "gray" if all(img.mode in _GRAY_MODES for img in images) else "rgb"
    if resize is None:
        sizes = Counter(img.size for img in images)
        if len(sizes) > 1:
            example = {s: next(str(f.relative_to(folder)) for f, i in zip(files, images) if i.size == s)
                       for s in sizes}
            common = "; ".join(f"{w}x{h}: {n} (e.g. {example[(w, h)]})" for (w, h), n in sizes.most_common(5))
            raise ValueError(
                f"the images have {len(sizes)} different sizes (width x height: {common}). Pass --resize "
                "SIZE (e.g. --resize 64) to resize them all, or make them the same size."
            )
    bits = 16 if deep and color == "gray" else 8
    names = [str(f.relative_to(folder)) for f in files if (f in deep) == (bits == 8)] if deep else []
    if names:
        what = ("16-bit image(s) reduced to 8 bits, as the output is RGB (--color rgb, or colour images beside "
                "them); --color gray keeps 16 bits" if bits == 8 else
                "8-bit image(s) scaled to 16 bits (times 257) to match the 16-bit images beside them")
        print(f"warning: {len(names)} {what}: {listed(names)}", file=sys.stderr)
    arrays = [_to_array(img, color, resize, bits) for img in images]
    return np.stack(arrays), np.array(labels), files


def _to_array(img, color: str, resize, bits: int = 8) -> np.ndarray:
    """``img`` as a uint8 array, or with ``bits=16`` a uint16 one (8-bit values scaled by 257)."""
    array = np.asarray(_prepare(img, color, resize))
    if bits == 16:
        return array.astype(np.uint16) if array.dtype == np.uint16 else array.astype(np.uint16) * 257
    return array.astype(np.uint8)


def _prepare(img, color: str, resize):
    """``img`` as an ``L``, ``I;16`` (a grayscale image deeper than 8 bits, kept so) or ``RGB`` image (``auto``:
    grayscale for a grayscale mode), resized to ``resize``."""
    from PIL import Image

    gray = color == "gray" or (color == "auto" and img.mode in _GRAY_MODES)
    if gray and img.mode in DEEP_MODES:
        img = as_16_bits(img)
    elif img.mode.startswith("I;16") or img.mode == "I":
        arr = np.asarray(img, dtype=np.float64)
        img = Image.fromarray(np.clip(np.rint(arr / 257.0), 0, 255).astype(np.uint8))
    if img.mode != "I;16":
        img = img.convert("L" if gray else "RGB")
    if resize is not None and img.size != tuple(resize):
        img = img.resize(tuple(resize), Image.Resampling.BILINEAR)
    return img


#: The names of the generated images (``synthetic_00000.png`` ...), case ignored as some file systems do.
_SYNTHETIC_NAME = re.compile(r"synthetic_\d{5,}\.png", re.IGNORECASE)


def _check_copies(folder: Path, files: list[Path], labels) -> None:
    """Refuse ``--copy-originals`` when an original would overwrite a generated image of its class folder."""
    clashes = [str(f.relative_to(folder)) for f, cls in zip(files, labels)
               if f.parent == folder / cls and _SYNTHETIC_NAME.fullmatch(f.name)]
    if clashes:
        raise CommandError(f"--copy-originals: {listed(clashes, 3)} in {folder} would be copied over the generated "
                           "images, which are named synthetic_00000.png ...; rename those originals, or leave out "
                           "--copy-originals.")


def _check_plot_path(option: str, path: Path) -> None:
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix and path.suffix[1:].lower() not in formats:
        raise ValueError(f"{option} {path}: matplotlib cannot write {path.suffix!r} files; use one of "
                         f"{', '.join('.' + f for f in sorted(formats))} (e.g. {path.with_suffix('.png')}).")


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    # Everything a user can get wrong is checked before the first training iteration.
    size = _parse_size(args.resize)
    sampler = GANOversampler(**gan_kwargs(args))
    check_gan_params(sampler, args)
    check_data_kind(sampler, args, images=True, data=f"{args.folder}")
    for name, fine in (("image_shape", None), ("image_layout", "auto")):  # the loader decides both
        if getattr(sampler, name) != fine:
            raise CommandError(f"{option_of(name, args)} is for flattened image rows (resample --image-shape); "
                               "this command reads each image's size and channels from its file: use --resize "
                               "and --color instead.")
    if args.ddp:
        _check_ddp(sampler)
    resolve_policy(sampler.diffaugment, images=True)
    if not args.folder.is_dir():
        raise FileNotFoundError(f"no such folder: {args.folder}")
    outputs = Outputs(overwrite=args.overwrite, inputs=[args.folder])
    classes = {class_folder_name(d.name) for d in class_dirs(args.folder)}
    outputs.folder("--out", args.out, foreign=lambda p: foreign_entry(p, class_folders=classes, nested=True),
                   holds="this command writes a folder of PNG files (one sub-folder per class)")
    for option, path in (("--grid", args.grid), ("--loss-plot", args.loss_plot)):
        if path is not None:
            _check_plot_path(option, path)
            outputs.file(option, path, example=f"{option[2:]}.png")
    if args.save_model is not None:
        outputs.file("--save-model", args.save_model, example="model.mgz")
    X, y, files = read_image_folder(args.folder, size, args.color, args.min_images)
    folders = class_folder_names(np.unique(y), name_max=name_limit(args.out / "class"))
    if args.copy_originals:
        _check_copies(args.folder, files, y)
    if args.ddp:  # every rank trains; rank 0 then draws the rows fit_resample would and writes everything
        import torch.distributed as dist

        ours = not dist.is_initialized()
        start = time.perf_counter()
        distributed.fit_ddp(sampler, X, y)
        seconds = time.perf_counter() - start
        n_processes = distributed.world_size()
        if ours:
            dist.destroy_process_group()
        if distributed.rank() != 0:
            return 0
    with outputs.staged() as tmp:
        if args.ddp:
            rows, labels, _ = sampler.model_.draw_new(sampler.sampling_strategy_, y.dtype)
            X_new = sampler.layout_.restore(np.concatenate(rows)) if rows else X[:0]
            y_new = np.concatenate(labels) if labels else y[:0]
        else:
            start = time.perf_counter()
            X_res, y_res = sampler.fit_resample(X, y)
            seconds = time.perf_counter() - start
            X_new, y_new = X_res[len(X):], y_res[len(X):]
        out = tmp[args.out]
        added = {}
        for cls in np.unique(y_new):
            (out / folders[cls]).mkdir()
            images = X_new[y_new == cls]
            for i, image in enumerate(images):
                Image.fromarray(image).save(out / folders[cls] / f"synthetic_{i:05d}.png")
            added[cls] = len(images)
        if args.copy_originals:
            for path, cls in zip(files, y):
                dest = out / folders[cls] / path.relative_to(args.folder / cls)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
        if args.grid is not None:
            from ..plotting import save_sampler_grid

            save_sampler_grid(tmp[args.grid], sampler, X, y, title=f"{args.folder.name}: {sampler.method_.name}")
        if args.loss_plot is not None:
            from ..plotting import plot_loss_curves

            plot_loss_curves(sampler.history_, tmp[args.loss_plot])
        if args.save_model is not None:
            save_sampler(sampler, tmp[args.save_model], metadata={"command": NAME})
    written = listed(f"{cls}: +{n}" for cls, n in added.items()) or "nothing to add"
    ddp = f" on {n_processes} processes" if args.ddp else ""
    read = listed(f"{cls}: {n}" for cls, n in zip(*np.unique(y, return_counts=True)))
    print(f"{args.folder} -> {args.out}: {len(X)} images of shape {X.shape[1:]} ({X.dtype}) in ({read}), "
          f"{len(X_new)} synthetic PNGs written ({written}); method {sampler.method_.name}, {seconds:.1f} s{ddp}")
    return 0
