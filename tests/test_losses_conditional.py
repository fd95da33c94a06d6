"""Conditional-GAN losses against their formulas on hand-computed tensors.

Expected values are written out with :mod:`math` from the formulas in
docs/METHODS.md, never by calling torch's loss functions.
"""

from __future__ import annotations

import math

import pytest
import torch

from minority_gen import losses

t = torch.tensor
approx = lambda x: pytest.approx(x, abs=1e-5)  # noqa: E731


def bce1(v):  # -log sigmoid(v)
    return math.log(1 + math.exp(-v))


def bce0(v):  # -log(1 - sigmoid(v))
    return math.log(1 + math.exp(v))


def ce(logits, k):  # -log softmax(logits)_k
    return -logits[k] + math.log(sum(math.exp(v) for v in logits))


def test_ac_d_with_and_without_classifier_on_fakes():
    terms = losses.ac_d(t([0.0, 2.0]), t([1.0]), t([[1.0, 0, 0], [0, 2.0, 0]]), t([0, 1]),
                        t([[0.0, 0, 0]]), t([2]))
    assert terms["real"].item() == approx((bce1(0) + bce1(2)) / 2)
    assert terms["fake"].item() == approx(bce0(1))
    assert terms["cls_real"].item() == approx((ce([1, 0, 0], 0) + ce([0, 2, 0], 1)) / 2)
    assert terms["cls_fake"].item() == approx(math.log(3))
    no_fake = losses.ac_d(t([0.0]), t([1.0]), t([[1.0, 0, 0]]), t([0]))
    assert set(no_fake) == {"real", "fake", "cls_real"}


def test_ac_g_weights_the_classifier_term():
    terms = losses.ac_g(t([-1.0]), t([[0.0, 1.0]]), t([0]), lambda_cls=0.5)
    assert terms["adv"].item() == approx(bce1(-1))
    assert terms["cls"].item() == approx(0.5 * ce([0, 1], 0))


def test_tac_twin_terms_have_opposite_signs():
    c, y = t([[2.0, 0.0, 1.0]]), t([2])
    assert losses.tac_twin_d(c, y)["twin"].item() == approx(ce([2, 0, 1], 2))
    assert losses.tac_twin_g(c, y, lambda_tac=2.0)["twin"].item() == approx(-2 * ce([2, 0, 1], 2))


def test_mine_dv_value_and_bias_corrected_gradient():
    t_joint = t([1.0, 2.0, 3.0])
    # exp(t_marg) = [1, 2]: E[exp T] = 1.5, V = mean(t_joint) - log 1.5
    t_marg = t([0.0, math.log(2.0)], requires_grad=True)
    v = losses.mine_dv(t_joint, t_marg)
    assert v.item() == approx(2 - math.log(1.5))
    v.backward()  # d/dt_j (-log mean exp) = -exp(t_j) / (n · 1.5)
    assert t_marg.grad.tolist() == [approx(-1 / 3), approx(-2 / 3)]
    t_marg.grad = None
    v_ma = losses.mine_dv(t_joint, t_marg, log_ma=t(math.log(3.0)))
    assert v_ma.item() == approx(2 - math.log(1.5))  # same value
    v_ma.backward()  # gradient ∇E[exp T] / ma = -exp(t_j) / (n · 3)
    assert t_marg.grad.tolist() == [approx(-1 / 6), approx(-2 / 6)]
    assert losses.mine_t(t_joint, t_marg)["mine"].item() == approx(-(2 - math.log(1.5)))
    assert losses.mine_g(t_joint, t_marg, lambda_mi=0.1)["mi"].item() == approx(0.1 * (2 - math.log(1.5)))


def test_moving_average_update_in_log_space():
    t_marg = t([0.0, math.log(2.0)])
    assert losses.update_log_moving_average(None, t_marg, 0.1).item() == approx(math.log(1.5))
    new = losses.update_log_moving_average(t(math.log(2.0)), t_marg, 0.1)
    assert new.item() == approx(math.log(0.9 * 2 + 0.1 * 1.5))
    # rate 1 (allowed by UAC-GAN's ma_rate in (0, 1]): the average is the latest value, not log(0)
    assert losses.update_log_moving_average(t(math.log(2.0)), t_marg, 1.0).item() == approx(math.log(1.5))


def test_hinge_and_bce():
    terms = losses.hinge_d(t([0.5, 2.0]), t([-2.0, 0.5]))
    assert terms["real"].item() == approx((0.5 + 0) / 2)
    assert terms["fake"].item() == approx((0 + 1.5) / 2)
    assert losses.hinge_g(t([-2.0, 0.5]))["adv"].item() == approx(0.75)
    terms = losses.bce_d(t([1.0]), t([-1.0]))
    assert terms["real"].item() == approx(bce1(1))
    assert terms["fake"].item() == approx(bce0(-1))


def test_cagan_losses_use_only_active_outputs():
    d_real = t([[0.5, 2.0], [1.0, 3.0]], requires_grad=True)
    d_fake = t([[0.5, 2.0]], requires_grad=True)
    terms = losses.cagan_d(d_real, t([[1.0, 0], [0, 1.0]]), d_fake, t([[0.0, 1.0]]))
    assert terms["real"].item() == approx(((0.5 - 1) ** 2 + (3 - 1) ** 2) / 2)
    assert terms["fake"].item() == approx(2.0**2)
    losses.total(terms).backward()
    # inactive outputs get exactly zero gradient, active ones do not
    assert d_real.grad[0, 1] == 0 and d_real.grad[1, 0] == 0 and d_fake.grad[0, 0] == 0
    assert d_real.grad[0, 0] != 0 and d_real.grad[1, 1] != 0 and d_fake.grad[0, 1] != 0
    multi = losses.cagan_d(d_real, t([[1.0, 1.0], [0, 0]]), d_fake, t([[1.0, 1.0]]))
    assert multi["real"].item() == approx(((0.5 - 1) ** 2 + (2 - 1) ** 2 + 0) / 2)
    assert multi["fake"].item() == approx(0.5**2 + 2.0**2)
    assert losses.cagan_g(t([[0.5, 2.0]]), t([[1.0, 1.0]]))["adv"].item() == approx(0.25 + 1.0)


def test_k_plus_one_losses():
    terms = losses.k_plus_one_d(t([[2.0, 0, 0]]), t([0]), t([[0.0, 0, 1.0]]))
    assert terms["real"].item() == approx(ce([2, 0, 0], 0))
    assert terms["fake"].item() == approx(ce([0, 0, 1], 2))  # class K+1 is the last column
    assert losses.amgan_g(t([[0.0, 3.0, 5.0]]), t([1]))["adv"].item() == approx(ce([0, 3, 5], 1))
    # -log((e^0 + e^0) / (e^0 + e^0 + e^1))
    assert losses.labelgan_g(t([[0.0, 0.0, 1.0]]))["adv"].item() == approx(math.log((2 + math.e) / 2))


def test_dynamic_labels_are_real_class_argmax_without_gradient():
    logits = t([[0.0, 3.0, 5.0], [2.0, 1.0, 9.0]], requires_grad=True)
    labels = losses.dynamic_labels(logits)
    assert labels.tolist() == [1, 0]  # the "generated" column (largest here) is excluded
    assert not labels.requires_grad
    loss = losses.amgan_g(logits, labels)["adv"]
    loss.backward()
    # gradient of CE with a constant target: (softmax - onehot) / n, nothing through the labels
    sm = [math.exp(v) / sum(math.exp(u) for u in row) for row, v in
          zip([[0, 3, 5]] * 3, [0, 3, 5])]
    assert logits.grad[0].tolist() == [approx(sm[0] / 2), approx((sm[1] - 1) / 2), approx(sm[2] / 2)]
