"""Pictures: real vs synthetic image grids per class, and loss curves.

Matplotlib draws on its off-screen Agg canvas without ``pyplot``, so these work on servers and leave a
notebook's backend and open figures as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state
from torchvision.utils import make_grid

from .images import ImageCodec, ImageLayout


def figure(nrows: int, ncols: int, figsize: tuple[float, float]):
    """A figure on matplotlib's Agg canvas (no ``pyplot``, so the user's backend and open figures are left as
    they are) and its ``(nrows, ncols)`` array of axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _save(fig, path) -> Path:
    """Lay out ``fig`` and write it to ``path`` (making its folder); return ``path``.

    The format follows the suffix (``.png``, ``.pdf``, ``.svg``, ...); a path
    without one gets a PNG under exactly that name (matplotlib would append
    ``.png``, and the returned path would name no file).
    """
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, format=None if path.suffix.strip(".") else "png")
    return path


PANELS_PER_ROW = 4  # curve panels per row: many GANs wrap onto more rows, not one ever wider figure


def _panels(n: int):
    """A figure with ``n`` curve panels (at most :data:`PANELS_PER_ROW` a row; unused axes hidden) and them."""
    ncols = min(n, PANELS_PER_ROW)
    nrows = -(-n // ncols)
    fig, axes = figure(nrows, ncols, (4.5 * ncols, 3.2 * nrows))
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]

def _to_unit_images(X, codec: ImageCodec, layout: ImageLayout) -> torch.Tensor:
    """``(N, C, H, W)`` floats in ``[0, 1]``."""
    rows = layout.flatten(np.asarray(X)) if len(X) else np.empty((0, int(np.prod(layout.image_shape))))
    return (torch.from_numpy(codec.encode(rows)).clamp(-1, 1) + 1) / 2


def _pick(images: torch.Tensor, n: int, rng: np.random.RandomState) -> torch.Tensor:
    """``n`` images (a random subset), padded with white ones when fewer exist."""
    if len(images) > n:
        images = images[np.sort(rng.choice(len(images), n, replace=False))]
    if len(images) < n:
        pad = torch.ones(n - len(images), *images.shape[1:])
        images = torch.cat([images, pad])
    return images


def save_image_grid(
    path: str | Path,
    X_real,
    y_real,
    X_synthetic,
    y_synthetic,
    *,
    n_per_class: int = 8,
    classes: Sequence | None = None,
    image_shape: Sequence[int] | None = None,
    image_layout: str = "auto",
    title: str | None = None,
    random_state=0,
) -> Path:
    """Save a PNG with, per class, a row of real images above a row of synthetic ones.

    Parameters
    ----------
    path : str or Path
        Where to write the PNG (parent folders are created; as in
        :func:`plot_loss_curves`, a suffix such as ``.pdf`` picks another format).
    X_real, X_synthetic : array-like
        Images in any layout :class:`~minority_gen.images.ImageLayout` accepts
        (``(N, H, W)``, ``(N, H, W, C)``, ``(N, C, H, W)``, or flat rows with
        ``image_shape``); the value range is taken from ``X_real``.
    y_real, y_synthetic : array-like
        Their class labels.
    n_per_class : int, default=8
        Images per row (a random subset when a class has more).
    classes : sequence, default=None
        Classes to show, in order; default: those present in ``y_synthetic``.
    image_shape, image_layout
        As in :class:`~minority_gen.GANOversampler`.
    title : str, default=None
        Figure title.
    random_state : int, RandomState instance or None, default=0
        Which images are picked.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> X = np.random.default_rng(0).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> out = save_image_grid(os.path.join(tempfile.mkdtemp(), "g.png"), X, y, X[3:], y[3:])
    >>> out.is_file()
    True
    """
    layout = ImageLayout.detect(np.asarray(X_real), image_shape, image_layout)
    if layout is None:
        raise ValueError("X_real is a 2-D table: pass image_shape=(H, W[, C]) to draw its rows as images.")
    codec = ImageCodec(layout).fit(layout.flatten(np.asarray(X_real)))
    real = _to_unit_images(np.asarray(X_real), codec, layout)
    fake = _to_unit_images(np.asarray(X_synthetic), codec, layout)
    y_real, y_synthetic = np.asarray(y_real), np.asarray(y_synthetic)
    classes = list(pd.unique(y_synthetic)) if classes is None else list(classes)
    if not classes:
        raise ValueError("No class to draw: y_synthetic is empty and classes was not given.")
    rng = check_random_state(random_state)
    _, h, w = layout.image_shape
    scale = max(0.6, 1.2 * 28 / max(h, w))
    fig, axes = figure(len(classes), 1, (max(4.0, n_per_class * w * scale / 28),
                                         2.6 * h * scale / 28 * len(classes) + 0.4))
    for ax, cls in zip(axes[:, 0], classes):
        rows = torch.cat([_pick(real[y_real == cls], n_per_class, rng),
                          _pick(fake[y_synthetic == cls], n_per_class, rng)])
        grid = make_grid(rows, nrow=n_per_class, padding=2, pad_value=1.0)
        ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
        ax.set_title(f"class {cls}: real (top) vs synthetic (bottom)", fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def save_sampler_grid(
    path: str | Path, sampler, X, y, *, n_per_class: int = 8, random_state=0, **kwargs
) -> Path:
    """:func:`save_image_grid` of a fitted ``GANOversampler``: real images of every
    class it fitted vs ``n_per_class`` fresh samples of each (same layout as ``X``); returns ``path``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from minority_gen import GANOversampler
    >>> X = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    >>> y = np.array([0] * 15 + [1] * 5)
    >>> s = GANOversampler(n_iter=2, batch_size=8, latent_dim=4, hidden_dims=(4,), random_state=0)
    >>> s = s.fit(X, y)
    >>> save_sampler_grid(os.path.join(tempfile.mkdtemp(), "g.png"), s, X, y).is_file()
    True
    """
    classes = list(sampler.generators_)
    fakes = [np.asarray(sampler.sample(n_per_class, y=c, random_state=random_state)) for c in classes]
    y_fake = np.asarray([c for c in classes for _ in range(n_per_class)])
    grid_kwargs = dict(image_shape=sampler.image_shape, image_layout=sampler.image_layout)
    grid_kwargs.update(kwargs)
    path = save_image_grid(path, X, np.asarray(y), np.concatenate(fakes), y_fake, n_per_class=n_per_class,
                           classes=classes, random_state=random_state, **grid_kwargs)
    return path


def plot_loss_curves(history: pd.DataFrame, path: str | Path, smooth: int = 25) -> Path:
    """Save a PNG of ``d_loss`` and ``g_loss`` against iteration, one panel per GAN.

    Panels wrap at four a row, so a fit of many classes gives a taller
    figure, not an ever wider one.

    Parameters
    ----------
    history : DataFrame
        ``GANOversampler.history_`` (a loaded sampler's too: ``save`` keeps it).
    path : str or Path
        Where to write the figure (parent folders are created): a PNG, or
        the format its suffix names (``.pdf``, ``.svg``); a path without a
        suffix gets a PNG under exactly that name.
    smooth : int, default=25
        Width of the rolling mean drawn over the raw (faint) curves.

    Returns
    -------
    Path
        ``path``, the file written.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> h = pd.DataFrame({"gan": 1, "iteration": [1, 2, 3], "d_loss": [1.0, 0.8, 0.7],
    ...                   "g_loss": [0.5, 0.6, 0.7]})
    >>> plot_loss_curves(h, os.path.join(tempfile.mkdtemp(), "loss.png")).is_file()
    True
    """
    missing = {"gan", "iteration", "d_loss", "g_loss"} - set(history.columns)
    if missing:
        raise ValueError(f"history lacks columns {sorted(missing)}; pass a fitted sampler's history_.")
    gans = list(pd.unique(history["gan"]))
    if not gans:
        raise ValueError("history is empty: nothing was trained.")
    fig, axes = _panels(len(gans))
    for ax, gan in zip(axes, gans):
        part = history[history["gan"] == gan]
        for col, colour in (("d_loss", "tab:blue"), ("g_loss", "tab:orange")):
            ax.plot(part["iteration"], part[col], color=colour, alpha=0.25, linewidth=0.8)
            ax.plot(part["iteration"], part[col].rolling(smooth, min_periods=1).mean(),
                    color=colour, label=col)
        ax.set_title(f"GAN for class {gan}" if gan != "all" else "conditional GAN (all classes)", fontsize=9)
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)
    return _save(fig, path)


QUALITY_COLUMNS = ("q_precision", "q_coverage", "q_copies", "q_score")


def plot_quality_curve(history: pd.DataFrame, path: str | Path) -> Path:
    """Save a PNG of the quality scores (``q_*`` columns) against iteration, one panel per GAN.

    The scores are those of ``GANOversampler(selection="quality")``; a dot
    marks the kept generator (the first best ``q_score``). The y axis
    reaches below 0 when a score does (``q_score`` is ``-1`` when every row
    is a near-copy). ``path`` and the layout are as in
    :func:`plot_loss_curves`; returns ``path``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> h = pd.DataFrame({"gan": 1, "iteration": [1, 2, 3], "d_loss": 1.0, "g_loss": 1.0,
    ...                   "q_precision": [0.5, np.nan, 0.9], "q_coverage": [0.2, np.nan, 0.6],
    ...                   "q_copies": [0.0, np.nan, 0.0], "q_score": [0.35, np.nan, 0.75]})
    >>> plot_quality_curve(h, os.path.join(tempfile.mkdtemp(), "quality.png")).is_file()
    True
    """
    if "q_score" not in history.columns or history["q_score"].isna().all():
        raise ValueError(
            "history has no quality scores (q_* columns): fit with selection='quality'."
        )
    scored = history.dropna(subset=["q_score"])
    gans = list(pd.unique(scored["gan"]))
    fig, axes = _panels(len(gans))
    values = scored[list(QUALITY_COLUMNS)].to_numpy(dtype=float)
    low = min(0.0, float(values[np.isfinite(values)].min(initial=0.0)))
    for ax, gan in zip(axes, gans):
        part = scored[scored["gan"] == gan]
        for col, colour in zip(QUALITY_COLUMNS, ("tab:blue", "tab:green", "tab:red", "black")):
            ax.plot(part["iteration"], part[col], color=colour, label=col[2:], linewidth=1.6 if col == "q_score" else 1)
        best = part.iloc[int(np.argmax(part["q_score"].to_numpy()))]  # the first best: the kept one on ties
        ax.plot([best["iteration"]], [best["q_score"]], "o", color="black")
        ax.set_title(f"GAN for class {gan}" if gan != "all" else "conditional GAN (all classes)", fontsize=9)
        ax.set_xlabel("iteration")
        ax.set_ylim(low - 0.05, 1.05)  # q_score reaches -1 when every row is a near-copy
        ax.legend(fontsize=8)
    return _save(fig, path)
