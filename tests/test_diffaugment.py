"""DiffAugment: differentiable, random only through its torch.Generator, and applied
to real and generated images alike."""

from __future__ import annotations

import pytest
import torch

from minority_gen import get_method
from minority_gen.diffaugment import POLICIES, DiffAugment, parse_policy
from minority_gen.methods import Batch, Networks
from minority_gen.nets import ConvDiscriminator, ConvGenerator


def _x(seed=0, n=8, c=3, size=32):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("policy", [*POLICIES, "color,translation,cutout"])
def test_differentiable(policy):
    x = _x().requires_grad_()
    out = DiffAugment(policy, torch.Generator().manual_seed(0))(x)
    assert out.shape == x.shape
    out.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("policy", POLICIES)
def test_changes_images_and_is_seeded(policy):
    x = _x()
    a = DiffAugment(policy, torch.Generator().manual_seed(1))(x)
    b = DiffAugment(policy, torch.Generator().manual_seed(1))(x)
    c = DiffAugment(policy, torch.Generator().manual_seed(2))(x)
    assert torch.equal(a, b)
    assert not torch.equal(a, x) and not torch.equal(a, c)


@pytest.mark.parametrize("policy", ["translation", "cutout", "translation,cutout"])
def test_same_transformation_whatever_the_content(policy):
    """Translation and cutout are linear in x: the transformation drawn depends on
    the generator alone, so real and fake images face the same distribution of
    transformations (aug(a + b) = aug(a) + aug(b) for the same draw)."""
    a, b = _x(1), _x(2)
    aug = lambda x: DiffAugment(policy, torch.Generator().manual_seed(5))(x)  # noqa: E731
    torch.testing.assert_close(aug(a + b), aug(a) + aug(b))


def test_translation_moves_pixels_and_cutout_zeroes_a_square():
    x = torch.ones(16, 1, 32, 32)
    cut = DiffAugment("cutout", torch.Generator().manual_seed(0))(x)
    zeros = (cut == 0).sum(dim=(1, 2, 3))
    assert (zeros > 0).all() and (zeros <= 16 * 16).all()
    moved = DiffAugment("translation", torch.Generator().manual_seed(0))(x)
    assert ((moved == 0).sum(dim=(1, 2, 3)) <= 32 * 32 - 28 * 28).all()  # at most 4 rows/cols shifted out


def test_nets_d_augments_real_and_fake_alike():
    """Every method reaches D through nets.d, so real and fake images are both augmented."""
    seen = []

    def spy(x):
        seen.append(x.detach().clone())
        return x

    method = get_method("rumi")
    nets = Networks(G=ConvGenerator(4, (1, 28, 28), 4), D=ConvDiscriminator((1, 28, 28), method.heads(1), 4),
                    n_classes=2, augment=spy)
    x_pos, x_neg = _x(1, 4, 1, 28), _x(2, 4, 1, 28)
    z = torch.randn(4, 4)
    batch = Batch(z=z, x_pos=x_pos, x_neg=x_neg, x_fake=nets.G(z).detach())
    list(method.d_updates(nets, batch))
    all_seen = torch.cat(seen)
    for group in (x_pos, x_neg, batch.x_fake):
        assert any(torch.equal(group[0], row) for row in all_seen)
    seen.clear()
    method.g_loss(nets, Batch(z=z, x_fake=nets.G(z)))
    assert len(seen) == 1


def test_parse_policy():
    assert parse_policy(["cutout", "color", "cutout"]) == ("cutout", "color")
    with pytest.raises(ValueError, match="diffaugment must be"):
        parse_policy("colour")
    with pytest.raises(ValueError, match="diffaugment must be"):
        parse_policy("")


def test_wrong_rank():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        DiffAugment()(torch.zeros(3, 784))
