"""Convolutional generator / discriminator: shapes for every supported size, channel
count and registered method (heads included), and one training step on the CPU."""

from __future__ import annotations

import pytest
import torch

from minority_gen import available_methods, get_method
from minority_gen.data import DataSpec
from minority_gen.methods import Batch, Networks
from minority_gen.nets import (
    ConvDiscriminator,
    ConvGenerator,
    build_discriminator,
    build_generator,
    conv_stages,
)

SIZES = [(28, 28), (32, 32), (64, 64)]
CHANNELS = [1, 3]
K = 3  # classes


def _spec(c, h, w):
    return DataSpec(n_features=c * h * w, image_shape=(c, h, w))


@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("method_name", available_methods())
def test_conv_shapes_for_every_method(method_name, size, channels):
    method = get_method(method_name)
    spec = _spec(channels, *size)
    torch.manual_seed(0)
    cond = K if method.conditional else 0
    G = build_generator(spec, latent_dim=4, n_classes=cond, hidden_dims=(4,))
    D = build_discriminator(spec, method.heads(K), n_classes=K, hidden_dims=(4,), spectral_norm=True)
    assert isinstance(G, ConvGenerator) and isinstance(D, ConvDiscriminator)
    z, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    x = G(z, y) if cond else G(z)
    assert x.shape == (5, channels, *size)
    assert x.abs().max() <= 1  # tanh output, the codec's [-1, 1] range
    out = D(x, y)
    assert set(out) == set(method.heads(K))
    for name, head in method.heads(K).items():
        assert out[name].shape == ((5,) if head.dim == 1 else (5, head.dim))
    # flat rows are accepted too
    assert D(x.reshape(5, -1), y)[next(iter(out))].shape[0] == 5


@pytest.mark.parametrize("method_name", available_methods())
def test_one_training_step_with_diffaugment(method_name):
    """Every method's losses run on the conv nets through nets.d (DiffAugment on)."""
    from minority_gen.diffaugment import DiffAugment

    method = get_method(method_name)
    spec = _spec(1, 28, 28)
    torch.manual_seed(0)
    build = lambda heads: build_discriminator(spec, heads, K, (4,))  # noqa: E731
    cond = K if method.conditional else 0
    nets = Networks(
        G=build_generator(spec, 4, cond, (4,)), D=build(method.heads(K)), n_classes=K,
        extra=method.extra_networks(build, K),
        augment=DiffAugment(generator=torch.Generator().manual_seed(0)),
    )
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    z = torch.randn(6, 4, generator=gen)
    batch = Batch(z=z, x_pos=x, x_neg=x.flip(0), x_real=x, y_real=y, y_fake=y, iteration=1, epoch=0.1)
    batch.x_fake = method.generate(nets, z, y if cond else None)
    for terms in method.d_updates(nets, Batch(**{**batch.__dict__, "x_fake": batch.x_fake.detach()})):
        loss = sum(terms.values())
        assert torch.isfinite(loss)
        loss.backward()
    g_loss = sum(method.g_loss(nets, batch).values())
    assert torch.isfinite(g_loss)
    g_loss.backward()
    assert all(p.grad is not None for p in nets.G.parameters())


@pytest.mark.parametrize(
    "shape, stages",
    [((1, 28, 28), (2, 7, 7)), ((3, 32, 32), (3, 4, 4)), ((1, 64, 64), (4, 4, 4)),
     ((3, 48, 48), (3, 6, 6)), ((1, 32, 48), (3, 4, 6)), ((1, 16, 16), (2, 4, 4))],
)
def test_conv_stages(shape, stages):
    assert conv_stages(shape) == stages


UNSUPPORTED = [(1, 8, 8), (1, 27, 27), (1, 28, 64), (5, 28, 28), (1, 12, 12), (1, 36, 36)]


@pytest.mark.parametrize("shape", UNSUPPORTED)
def test_unsupported_sizes_are_refused_clearly(shape):
    with pytest.raises(ValueError, match="Supported: 1 to 4 channels"):
        conv_stages(shape)


def test_conditional_generator_needs_labels():
    G = ConvGenerator(4, (1, 28, 28), width=4, n_classes=2)
    with pytest.raises(ValueError, match="conditional"):
        G(torch.zeros(2, 4))


def test_generator_batch_of_one():
    G = ConvGenerator(4, (3, 32, 32), width=4)
    assert G(torch.zeros(1, 4)).shape == (1, 3, 32, 32)


@pytest.mark.parametrize("channels", CHANNELS)
def test_conv_networks_are_channels_last_and_compute_what_nchw_computes(channels, monkeypatch):
    """The weights are channels last (oneDNN's native layout, no reorders), and the
    networks' outputs equal those of the same weights in NCHW: the layout changes
    the speed, never which pixel feeds which unit (e.g. the flatten before the heads)."""
    from minority_gen.nets import Head, conv

    shape = (channels, 28, 28)
    torch.manual_seed(0)
    G = ConvGenerator(8, shape, width=4, n_classes=2)
    D = ConvDiscriminator(shape, {"adv": Head(1), "cls": Head(2)}, width=4)
    for net in (G, D):
        convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
        assert convs and all(m.weight.is_contiguous(memory_format=torch.channels_last) for m in convs)
        if channels > 1:  # with one input channel the first conv's weight is both layouts at once
            assert not all(m.weight.is_contiguous() for m in convs)
    monkeypatch.setattr(conv, "CONV_MEMORY_FORMAT", torch.contiguous_format)
    G_nchw = ConvGenerator(8, shape, width=4, n_classes=2)
    D_nchw = ConvDiscriminator(shape, {"adv": Head(1), "cls": Head(2)}, width=4)
    assert all(m.weight.is_contiguous() for m in D_nchw.modules() if isinstance(m, torch.nn.Conv2d))
    G_nchw.load_state_dict(G.state_dict())
    D_nchw.load_state_dict(D.state_dict())
    G.eval(), G_nchw.eval()
    z, y = torch.randn(6, 8), torch.tensor([0, 1, 0, 1, 1, 0])
    x = G(z, y)
    torch.testing.assert_close(x, G_nchw(z, y), rtol=1e-4, atol=1e-5)
    out, out_nchw = D(x.detach(), y), D_nchw(x.detach(), y)
    for name in out:
        torch.testing.assert_close(out[name], out_nchw[name], rtol=1e-4, atol=1e-5)
