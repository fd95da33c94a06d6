"""Image grids and loss curves are written as PNG files of the expected size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from minority_gen import GANOversampler
from minority_gen.plotting import plot_loss_curves, save_image_grid, save_sampler_grid


@pytest.mark.parametrize("shape", [(12, 28, 28), (12, 32, 32, 3), (12, 3, 32, 32)])
def test_image_grid_for_every_layout(tmp_path, shape):
    X = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    y = np.array([0] * 8 + [1] * 4)
    path = save_image_grid(tmp_path / "sub" / "grid.png", X, y, X[8:], y[8:], n_per_class=6, title="t")
    with Image.open(path) as img:
        assert img.size[0] > 200 and img.size[1] > 100


def test_flat_rows_need_image_shape(tmp_path):
    X, y = np.zeros((4, 784)), np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="image_shape"):
        save_image_grid(tmp_path / "g.png", X, y, X, y)
    assert save_image_grid(tmp_path / "g.png", X, y, X, y, image_shape=(28, 28)).is_file()


def test_sampler_grid_and_loss_curves(tmp_path):
    X = np.random.default_rng(0).random((20, 28, 28)).astype(np.float32)
    y = np.array(["benign"] * 14 + ["malignant"] * 6)
    sampler = GANOversampler(n_iter=3, batch_size=8, latent_dim=4, hidden_dims=(4,), device="cpu",
                             random_state=0).fit(X, y)
    assert save_sampler_grid(tmp_path / "g.png", sampler, X, y, n_per_class=4).is_file()
    assert plot_loss_curves(sampler.history_, tmp_path / "loss.png", smooth=2).is_file()


def test_loss_curves_need_a_history(tmp_path):
    with pytest.raises(ValueError, match="lacks columns"):
        plot_loss_curves(pd.DataFrame({"x": [1]}), tmp_path / "l.png")


def test_quality_curve(tmp_path, tiny, imbalanced_table):
    from minority_gen.plotting import plot_quality_curve

    X, y = imbalanced_table
    sampler = GANOversampler(**{**tiny, "n_iter": 20}, selection="quality").fit(X, y)
    assert plot_quality_curve(sampler.history_, tmp_path / "q.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="selection='quality'"):
        plot_quality_curve(GANOversampler(**tiny, selection="last").fit(X, y).history_, tmp_path / "q2.png")


def test_plots_leave_the_users_backend_and_figures(tmp_path):
    """A notebook's inline backend must survive a plot: the package draws without pyplot."""
    import matplotlib
    import matplotlib.pyplot as plt

    from minority_gen.evaluation.image_report import plot_conditions

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        X = np.random.default_rng(0).integers(0, 256, (6, 8, 8), dtype=np.uint8)
        y = np.array([0, 0, 0, 1, 1, 1])
        save_image_grid(tmp_path / "g.png", X, y, X[3:], y[3:])
        history = pd.DataFrame({"gan": 1, "iteration": [1, 2], "d_loss": [1.0, 0.9], "g_loss": [0.5, 0.6]})
        plot_loss_curves(history, tmp_path / "l.png")
        cell = {"gan_params": {}, "metrics": {"test_auc": 0.8, "test_accuracy": 0.7}}
        plot_conditions({("s", "none"): [cell, cell]}, tmp_path / "c.png", settings=lambda r: "")
        assert matplotlib.get_backend() == "svg" and plt.get_fignums() == []
        assert all((tmp_path / f).stat().st_size > 0 for f in ("g.png", "l.png", "c.png"))
    finally:
        matplotlib.use(before)
