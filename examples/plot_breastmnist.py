"""Oversample malignant breast-ultrasound images (BreastMNIST) with a GAN and with
classic augmentation, and compare them in one picture.

BreastMNIST (MedMNIST v2, 28×28 grayscale, CC BY 4.0): in the training split,
147 malignant (label 0, the minority) and 399 benign/normal images. The script
fits Rumi-LSGAN (the benign images as negatives) on the convolutional
networks with DiffAugment, then draws as many synthetic malignant images as
it takes to balance the classes, and also runs the albumentations baseline
(:class:`minority_gen.AugmentationOversampler`). It saves
``breastmnist_gan_grid.png`` (real vs GAN), ``breastmnist_aug_grid.png``
(real vs augmented) and ``breastmnist_loss.png``.

The data is read from ``--data`` (default ``$MINORITY_GEN_DATA`` or
``../shared/data`` beside the repository); get ``breastmnist.npz`` from
https://medmnist.com (zenodo record 10519652) if it is not there.

Run from the repository root (the default 1,000 iterations take about
4 minutes on 2 CPU cores; seconds on a GPU)::

    python examples/plot_breastmnist.py --out demo_output/breastmnist
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from minority_gen import AugmentationOversampler, GANOversampler
from minority_gen.plotting import plot_loss_curves, save_image_grid, save_sampler_grid

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("MINORITY_GEN_DATA", ROOT.parent / "shared" / "data"))


def n_iter(text: str):
    """``--n-iter``: a positive integer or "auto"."""
    return text if text == "auto" else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("demo_output/breastmnist"))
    parser.add_argument("--n-iter", type=n_iter, default="auto",
                        help="GAN iterations (default 'auto': GANOversampler's image default, 1000)")
    parser.add_argument("--method", default="rumi")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    path = args.data / "breastmnist.npz"
    if not path.is_file():
        sys.exit(f"{path} not found: download breastmnist.npz from https://medmnist.com (zenodo record "
                 "10519652) and pass its folder with --data or MINORITY_GEN_DATA.")
    with np.load(path) as f:
        X, y = f["train_images"], f["train_labels"].ravel()
    print(f"BreastMNIST train: {X.shape}, {X.dtype}; malignant (0): {int((y == 0).sum())}, "
          f"benign/normal (1): {int((y == 1).sum())}")

    gan = GANOversampler(method=args.method, n_iter=args.n_iter, device=args.device, random_state=0,
                         verbose=True)
    X_gan, y_gan = gan.fit_resample(X, y)
    print(f"GAN: {len(X_gan) - len(X)} synthetic malignant images, {X_gan.dtype}, {X_gan.shape[1:]}")
    aug = AugmentationOversampler(random_state=0)
    X_aug, y_aug = aug.fit_resample(X, y)
    print(f"augmentation: {len(X_aug) - len(X)} augmented malignant images")

    iterations = int(gan.history_["iteration"].max())
    args.out.mkdir(parents=True, exist_ok=True)
    saved = [
        save_sampler_grid(args.out / "breastmnist_gan_grid.png", gan, X, y, n_per_class=10,
                          title=f"BreastMNIST malignant: {args.method}, {iterations} iterations"),
        save_image_grid(args.out / "breastmnist_aug_grid.png", X, y, X_aug[len(X):], y_aug[len(X):],
                        n_per_class=10, title="BreastMNIST malignant: albumentations default"),
        plot_loss_curves(gan.history_, args.out / "breastmnist_loss.png"),
    ]
    print("saved", *map(str, saved))


if __name__ == "__main__":
    main()
