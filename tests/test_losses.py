"""Each loss against the formula in METHODS.md, on hand-computed tensors."""

import math

import pytest
import torch

from minority_gen import losses
from minority_gen.methods import Batch, Networks, get_method
from minority_gen.nets import Head, MLPDiscriminator


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


def test_rumi_lsgan_d_paper_defaults():
    # pos: ((1-2)^2 + (3-2)^2)/2 = 1 ; neg: ((-1+1)^2 + (0+1)^2)/2 = 0.5 ; fake: (0.25+0.25)/2 = 0.25
    terms = losses.rumi_lsgan_d(t(1.0, 3.0), t(-1.0, 0.0), t(0.5, -0.5))
    assert set(terms) == {"pos", "neg", "fake"}
    assert terms["pos"].item() == pytest.approx(1.0)
    assert terms["neg"].item() == pytest.approx(0.5)
    assert terms["fake"].item() == pytest.approx(0.25)
    assert losses.total(terms).item() == pytest.approx(1.75)


def test_rumi_lsgan_d_weights_and_targets():
    # authors' code: (b-, a, b+) = (-2, -0.5, 2), beta+ = 2.5, beta- = 0.5
    # pos: 2.5 * ((1-2)^2 + (3-2)^2)/2 = 2.5 ; neg: 0.5 * ((-1+2)^2 + (0+2)^2)/2 = 1.25
    # fake: ((0.5+0.5)^2 + (-0.5+0.5)^2)/2 = 0.5
    terms = losses.rumi_lsgan_d(
        t(1.0, 3.0), t(-1.0, 0.0), t(0.5, -0.5), b_pos=2, b_neg=-2, a=-0.5, beta_pos=2.5, beta_neg=0.5
    )
    assert losses.total(terms).item() == pytest.approx(2.5 + 1.25 + 0.5)


def test_rumi_lsgan_d_partial_terms_for_split_updates():
    terms = losses.rumi_lsgan_d(t(1.0, 3.0), None, t(0.5, -0.5), fake_weight=0.5)
    assert set(terms) == {"pos", "fake"}
    assert terms["fake"].item() == pytest.approx(0.125)


def test_rumi_lsgan_g():
    # ((0.5-1.5)^2 + (-0.5-1.5)^2)/2 = (1 + 4)/2
    assert losses.total(losses.rumi_lsgan_g(t(0.5, -0.5), c=1.5)).item() == pytest.approx(2.5)


def test_rumi_sgan_d():
    # D = sigmoid(logit): D(x+) = 0.75, D(x-) = 0.2, D(G(z)) = 0.5
    l_pos, l_neg, l_fake = t(math.log(3.0)), t(math.log(0.25)), t(0.0)
    terms = losses.rumi_sgan_d(l_pos, l_neg, l_fake, alpha_pos=0.5, alpha_neg=2.0)
    expected = -(0.5 * math.log(0.75) + math.log(1 - 0.5) + 2.0 * math.log(1 - 0.2))
    assert losses.total(terms).item() == pytest.approx(expected)


def test_nonsaturating_g():
    # -(log sigmoid(0) + log sigmoid(log 3)) / 2 = -(log 0.5 + log 0.75) / 2
    value = losses.total(losses.nonsaturating_g(t(0.0, math.log(3.0)))).item()
    assert value == pytest.approx(-(math.log(0.5) + math.log(0.75)) / 2)


def test_lsgan():
    d = losses.lsgan_d(t(1.0, 0.0), t(0.0, 1.0))  # real: (0 + 1)/2 ; fake: (0 + 1)/2
    assert d["real"].item() == pytest.approx(0.5) and d["fake"].item() == pytest.approx(0.5)
    assert losses.total(losses.lsgan_g(t(0.0, 3.0))).item() == pytest.approx((1 + 4) / 2)


def test_rumi_lsgan_pointwise_optimum_matches_lemma_3_2():
    """Minimising the library's loss at one point x gives D*(x) of Lemma 3.2.

    At a single point the expectations weight each term by its density, so
    p+(x), p-(x), p_g(x) enter as the weights beta+·p+, beta-·p- and fake_weight.
    """
    p_pos, p_neg, p_g = 0.5, 0.3, 0.2
    b_pos, b_neg, a, beta_pos, beta_neg = 2.0, -1.0, 0.0, 1.5, 0.7
    d = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([d], lr=0.2)
    for _ in range(500):
        loss = losses.total(
            losses.rumi_lsgan_d(d, d, d, b_pos=b_pos, b_neg=b_neg, a=a, beta_pos=beta_pos * p_pos,
                                beta_neg=beta_neg * p_neg, fake_weight=p_g)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    lemma = (b_pos * beta_pos * p_pos + b_neg * beta_neg * p_neg + a * p_g) / (
        beta_pos * p_pos + beta_neg * p_neg + p_g
    )
    assert d.item() == pytest.approx(lemma, abs=1e-6)


def test_rumi_split_updates_add_up_to_joint_loss():
    torch.manual_seed(0)
    D = MLPDiscriminator(3, {"adv": Head(1)}, hidden_dims=(8,))
    nets = Networks(G=torch.nn.Identity(), D=D, n_classes=2)
    batch = Batch(z=torch.zeros(4, 2), x_pos=torch.randn(4, 3), x_neg=torch.randn(4, 3), x_fake=torch.randn(4, 3))
    joint = losses.total(get_method("rumi", {"d_schedule": "joint"}).d_loss(nets, batch))
    parts = list(get_method("rumi", {"d_schedule": "split"}).d_updates(nets, batch))
    assert len(parts) == 2
    assert [set(p) for p in parts] == [{"pos", "fake"}, {"neg", "fake"}]
    assert sum(losses.total(p) for p in parts).item() == pytest.approx(joint.item(), rel=1e-6)
