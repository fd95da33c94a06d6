"""``padding``: how the image generators' convolutions pad, from the estimator to every convolution and back
from a model file; refused on tables before training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from minority_gen import GANOversampler
from minority_gen.nets import AnchoredConvGenerator, ConvGenerator
from minority_gen.nets.conv import PADDINGS
from minority_gen.networks import Architecture

TINY = dict(n_iter=3, batch_size=8, latent_dim=4, hidden_dims=(4,), device="cpu", random_state=0)


def _images(n=20, minority=6):
    X = np.random.default_rng(0).integers(0, 256, (n, 16, 16)).astype(np.uint8)
    return X, np.r_[np.zeros(n - minority, int), np.ones(minority, int)]


def _modes(module: nn.Module) -> set[str]:
    return {m.padding_mode for m in module.modules() if isinstance(m, nn.Conv2d)}


def _flat_generator(padding: str) -> ConvGenerator:
    """A generator whose first map is the same at every position (per channel), in eval mode."""
    torch.manual_seed(0)
    g = ConvGenerator(4, (1, 16, 16), width=4, padding=padding).eval()
    with torch.no_grad():
        g.project.weight.zero_()
        c, h, w = g.base
        g.project.bias.copy_(torch.randn(c)[:, None].expand(c, h * w).reshape(-1))
    return g


@pytest.mark.parametrize("padding", PADDINGS)
def test_every_generator_convolution_pads_as_asked(padding):
    rows = torch.rand(6, 256) * 2 - 1
    assert _modes(ConvGenerator(4, (1, 16, 16), width=4, padding=padding)) == {padding}
    assert _modes(AnchoredConvGenerator(4, (1, 16, 16), width=4, rows=rows, padding=padding)) == {padding}


def test_edge_copying_padding_draws_no_frame_where_zeros_do():
    """A map that is the same everywhere stays the same everywhere through convolutions that copy the edge;
    zero padding makes the border differ from the interior: the frame a classifier can key on."""
    z = torch.zeros(2, 4)
    torch.set_grad_enabled(False)
    for padding in ("replicate", "reflect"):
        image = _flat_generator(padding)(z)
        assert float(image.std()) < 1e-6, padding
    image = _flat_generator("zeros")(z)[0, 0]
    border = torch.cat([image[0], image[-1], image[:, 0], image[:, -1]])
    torch.set_grad_enabled(True)
    assert float((border.mean() - image[2:-2, 2:-2].mean()).abs()) > 1e-3


def test_unknown_padding_is_named_before_anything_is_built():
    with pytest.raises(ValueError, match="padding must be one of 'zeros', 'replicate', 'reflect'; got 'circle'"):
        ConvGenerator(4, (1, 16, 16), width=4, padding="circle")
    with pytest.raises(ValueError, match="padding"):
        GANOversampler(padding="circle", **TINY).fit(*_images())


def test_a_fitted_image_generator_pads_as_asked_and_its_file_keeps_it(tmp_path):
    X, y = _images()
    sampler = GANOversampler(padding="replicate", **TINY).fit(X, y)
    assert _modes(sampler.generators_[1]) == {"replicate"}
    path = tmp_path / "model.mgz"
    sampler.save(path)
    loaded = GANOversampler.load(path)
    assert _modes(loaded.generators_[1]) == {"replicate"}
    np.testing.assert_array_equal(loaded.sample(4, y=1, random_state=2), sampler.sample(4, y=1, random_state=2))
    default = GANOversampler(**TINY).fit(X, y)
    assert _modes(default.generators_[1]) == {"zeros"}  # "auto" keeps the zero padding of every earlier result


def test_architecture_state_names_padding_only_when_not_zeros_and_checks_it():
    base = Architecture(latent_dim=4, hidden=(4,), n_classes=2, conditional=False, spectral_norm=False)
    assert "padding" not in base.to_state()  # files written before the option read as they did
    assert Architecture.from_state(base.to_state()).padding == "zeros"
    state = Architecture(**{**base.__dict__, "padding": "reflect"}).to_state()
    assert state["padding"] == "reflect" and Architecture.from_state(state).padding == "reflect"
    for bad in ("circular", 1, None):
        with pytest.raises(ValueError, match="architecture field 'padding'"):
            Architecture.from_state({**state, "padding": bad})


def test_tables_refuse_a_padding_before_training():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.r_[np.zeros(45, int), np.ones(15, int)]
    with pytest.raises(ValueError, match="a table's networks have no convolutions"):
        GANOversampler(padding="replicate", **TINY).fit(X, y)
    for ok in ("auto", "zeros"):
        GANOversampler(padding=ok, **TINY).fit(X, y)
