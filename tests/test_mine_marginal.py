"""UAC-GAN's MINE marginal with a packed discriminator (``pac > 1``).

The conditional sampler gives every pack of ``pac`` consecutive rows one
label, so the marginal labels ``ȳ`` must come from *other packs*: a label
taken from a neighbouring row of the same pack equals the row's own label,
``ȳ`` then depends on ``x`` and the Donsker–Varadhan bound is capped at
``-log P(ȳ = y)`` (0.13 nats at ``pac=4``, ``K=2``, far below ``log 2``).
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from minority_gen.data import DataSpec
from minority_gen.methods import Batch, Networks, get_method
from minority_gen.nets import build_discriminator
from minority_gen.nets.mine import MINEStatistics, marginal_labels
from minority_gen.training import ConditionalSampler, TrainConfig, train_gan

PAC = 4


# -- the marginal labels, by hand ------------------------------------------------
def test_marginal_labels_at_pac_4_come_from_the_previous_pack():
    y = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1])
    assert marginal_labels(y, 4).tolist() == [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]


def test_marginal_labels_never_come_from_the_rows_own_pack():
    n_packs = 6
    rows = torch.arange(n_packs * PAC)
    source = marginal_labels(rows, PAC)  # each row's ȳ is the label of row `source`
    assert torch.equal(source // PAC, (rows // PAC - 1) % n_packs)  # the previous pack, cyclically
    assert not torch.any(source // PAC == rows // PAC)


def test_marginal_labels_at_pac_1_are_the_labels_rolled_by_one_row():
    y = torch.tensor([2, 0, 1, 1, 0])
    assert marginal_labels(y, 1).tolist() == [0, 2, 0, 1, 1]
    assert torch.equal(marginal_labels(y, 1), y.roll(1))
    assert torch.equal(marginal_labels(y), y.roll(1))  # pac=1 by default


class LabelSpy(nn.Module):
    """A statistics network ``T`` that records the labels it is given and returns 0."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.seen: list[torch.Tensor] = []

    def forward(self, x, y):
        self.seen.append(y.clone())
        return {"t": self.w + 0 * x.sum(1)}


@pytest.mark.parametrize("loss", ["d_loss", "g_loss"])
def test_uacgan_passes_t_labels_of_other_packs_at_pac_4(loss):
    """Both T's update and the generator's penalty use packwise marginal labels."""
    K, n = 3, 8 * PAC
    method = get_method("uacgan")
    spy = LabelSpy()
    spec = DataSpec(n_features=2)
    D = build_discriminator(spec, method.heads(K), K, (4,), False, PAC)
    nets = Networks(G=nn.Identity(), D=D, n_classes=K, extra={"mine": MINEStatistics(spy, 0.1)}, pac=PAC)
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(K, (n // PAC,), generator=gen).repeat_interleave(PAC)
    batch = Batch(z=torch.zeros(n, 1), x_real=torch.randn(n, 2, generator=gen), y_real=y,
                  x_fake=torch.randn(n, 2, generator=gen), y_fake=y)
    getattr(method, loss)(nets, batch)
    labels = spy.seen[-1]
    assert torch.equal(labels[:n], y)  # the joint term: each row's own label
    assert torch.equal(labels[n:], y.view(-1, PAC).roll(1, 0).reshape(-1))  # the previous pack's label
    assert (labels[n:] == y).float().mean().item() < 0.75  # not the ~88 % of the row-rolled marginal


# -- the estimate on a toy with known mutual information --------------------------
class ClassGaussians(nn.Module):
    """A fixed "generator": ``G(z, y) = μ_y + z[:, :2]`` with ``μ_0 = (-4, 0)``, ``μ_1 = (4, 0)``.

    The two classes barely overlap (the Bayes error is 3e-5), so ``I(G(z, y); y) = log 2``
    to within 1e-3 nats. The one parameter exists for the optimiser and never moves.
    """

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(()))
        self.register_buffer("means", torch.tensor([[-4.0, 0.0], [4.0, 0.0]]))

    def forward(self, z, y):
        return self.means[y] + z[:, :2] + 0 * self.unused


def train_mine_on_the_toy(pac: int, n_iter: int = 1000, seed: int = 0) -> float:
    """Train UAC-GAN's ``T`` through the training loop on the toy; return its MINE estimate.

    ``T`` is built as :mod:`minority_gen.plan` builds it (an unpacked
    discriminator-shaped network with a projection head), the batches come
    from the conditional sampler at ``pac`` (one label per pack) and the
    discriminator is packed at ``pac``: everything as a fit with ``pac``
    arranges it, except the fixed generator. The estimate is the method's
    own generator term ``λ_mi · V`` (divided by ``λ_mi``) on 64 fresh
    batches of 256 rows.
    """
    K, spec = 2, DataSpec(n_features=2)
    method = get_method("uacgan", {"lambda_mi": 1.0})
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        build = lambda heads, pac=1: build_discriminator(spec, heads, K, (32, 32), False, pac)  # noqa: E731
        nets = Networks(G=ClassGaussians(), D=build(method.heads(K), pac), n_classes=K,
                        extra=method.extra_networks(build, K), pac=pac)
    gen = torch.Generator().manual_seed(seed)
    y_real = torch.arange(400) % 2
    x_real = nets.G.means[y_real] + torch.randn(400, 2, generator=gen)
    sampler = ConditionalSampler(x_real, y_real, K, 256, 2, balanced=True, pac=pac)
    config = TrainConfig(n_iter=n_iter, batch_size=256, latent_dim=2, n_critic=1, lr_g=1e-3, lr_d=3e-3,
                         betas=(0.5, 0.999), pac=pac)
    train_gan(method, nets, sampler, config, gen)
    estimates = []
    with torch.no_grad():
        for _ in range(64):
            batch = sampler.sample(gen, with_real=False)
            batch.x_fake = nets.G(batch.z, batch.y_fake)
            assert torch.equal(batch.y_fake.view(-1, pac), batch.y_fake.view(-1, pac)[:, :1].expand(-1, pac))
            estimates.append(method.g_loss(nets, batch)["mi"].item() / method.lambda_mi)
    return sum(estimates) / len(estimates)


@pytest.mark.slow
@pytest.mark.parametrize("pac", [PAC, 1])
def test_mine_estimate_is_within_10_percent_of_log_2_on_two_gaussians(pac):
    estimate = train_mine_on_the_toy(pac)
    assert abs(estimate - math.log(2)) < 0.1 * math.log(2), estimate
