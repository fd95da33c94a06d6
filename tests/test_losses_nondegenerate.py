"""Every loss, and every method's use of it, at non-degenerate values.

At logit 0 the BCE targets 0 and 1 give the same value, and least-squares
targets symmetric about the outputs do too, so a swapped target passes a test
written there. Here every output is a value like 0.7 or -1.3, the expected
numbers are written out with :mod:`math` from the formulas in
docs/METHODS.md (never with torch's loss functions), and each term is checked
on its own, so a swapped target, a flipped sign, a dropped weight or swapped
positive / negative sets all change a checked number.

The method-level tests run each method's ``d_loss`` / ``g_loss`` against a
parameter-free discriminator whose outputs are columns of its input, so the
expected value of every term is a hand computation on known numbers.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from minority_gen import losses
from minority_gen.methods import Batch, Networks, get_method
from minority_gen.nets.mine import MINEStatistics

approx = lambda x: pytest.approx(x, rel=1e-6, abs=1e-9)  # noqa: E731


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


def mean(values):
    values = list(values)
    return sum(values) / len(values)


def bce1(v):  # -log sigmoid(v): BCE with target 1
    return math.log1p(math.exp(-v))


def bce0(v):  # -log(1 - sigmoid(v)): BCE with target 0
    return math.log1p(math.exp(v))


def ce(logits, k):  # -log softmax(logits)_k
    return -logits[k] + math.log(sum(math.exp(v) for v in logits))


def values_of(terms):
    return {k: v.item() for k, v in terms.items()}


# --------------------------------------------------------------------------
# Pure losses
# --------------------------------------------------------------------------
POS, NEG, FAKE = (0.7, 1.9), (-1.3, 0.2), (0.4, -0.6)


def test_rumi_lsgan_each_term_has_its_own_target_and_weight():
    terms = losses.rumi_lsgan_d(t(*POS), t(*NEG), t(*FAKE), b_pos=2.5, b_neg=-2.0, a=-0.5, beta_pos=2.5,
                                beta_neg=0.5, fake_weight=0.3)
    assert values_of(terms) == {
        "pos": approx(2.5 * mean((v - 2.5) ** 2 for v in POS)),
        "neg": approx(0.5 * mean((v + 2.0) ** 2 for v in NEG)),
        "fake": approx(0.3 * mean((v + 0.5) ** 2 for v in FAKE)),
    }
    defaults = losses.rumi_lsgan_d(t(*POS), t(*NEG), t(*FAKE))  # (b-, a, b+) = (-1, 0, 2), weights 1
    assert values_of(defaults) == {"pos": approx(mean((v - 2) ** 2 for v in POS)),
                                   "neg": approx(mean((v + 1) ** 2 for v in NEG)),
                                   "fake": approx(mean(v**2 for v in FAKE))}
    assert losses.rumi_lsgan_g(t(*FAKE), c=2.0)["adv"].item() == approx(mean((v - 2) ** 2 for v in FAKE))
    assert losses.rumi_lsgan_g(t(*FAKE))["adv"].item() == approx(mean((v - 1.5) ** 2 for v in FAKE))


def test_rumi_sgan_targets_and_weights_at_nonzero_logits():
    terms = losses.rumi_sgan_d(t(*POS), t(*NEG), t(*FAKE), alpha_pos=0.6, alpha_neg=1.7)
    assert values_of(terms) == {
        "pos": approx(0.6 * mean(bce1(v) for v in POS)),  # -α+ E[log D(x+)]
        "neg": approx(1.7 * mean(bce0(v) for v in NEG)),  # -α- E[log(1 - D(x-))]
        "fake": approx(mean(bce0(v) for v in FAKE)),  # -E[log(1 - D(G(z)))]
    }
    assert losses.nonsaturating_g(t(*FAKE))["adv"].item() == approx(mean(bce1(v) for v in FAKE))


def test_lsgan_targets_are_not_interchangeable():
    d = losses.lsgan_d(t(*POS), t(*FAKE))  # (a, b) = (0, 1)
    assert values_of(d) == {"real": approx(mean((v - 1) ** 2 for v in POS)), "fake": approx(mean(v**2 for v in FAKE))}
    d = losses.lsgan_d(t(*POS), t(*FAKE), a=-0.3, b=1.2)
    assert values_of(d) == {"real": approx(mean((v - 1.2) ** 2 for v in POS)),
                            "fake": approx(mean((v + 0.3) ** 2 for v in FAKE))}
    assert losses.lsgan_g(t(*FAKE))["adv"].item() == approx(mean((v - 1) ** 2 for v in FAKE))
    assert losses.lsgan_g(t(*FAKE), c=0.8)["adv"].item() == approx(mean((v - 0.8) ** 2 for v in FAKE))


def test_ac_and_twin_terms_at_nonzero_logits():
    c_real, y_real = [[0.7, -1.3, 0.2], [1.1, 0.4, -0.8]], [2, 0]
    c_fake, y_fake = [[-0.5, 0.9, 0.3], [0.6, -0.2, 1.4]], [1, 0]
    terms = losses.ac_d(t(*POS), t(*FAKE), t(*c_real), torch.tensor(y_real), t(*c_fake), torch.tensor(y_fake))
    assert values_of(terms) == {
        "real": approx(mean(bce1(v) for v in POS)),
        "fake": approx(mean(bce0(v) for v in FAKE)),
        "cls_real": approx(mean(ce(c, k) for c, k in zip(c_real, y_real))),
        "cls_fake": approx(mean(ce(c, k) for c, k in zip(c_fake, y_fake))),
    }
    g = losses.ac_g(t(*FAKE), t(*c_fake), torch.tensor(y_fake), lambda_cls=0.7)
    assert values_of(g) == {"adv": approx(mean(bce1(v) for v in FAKE)),
                            "cls": approx(0.7 * mean(ce(c, k) for c, k in zip(c_fake, y_fake)))}
    twin = mean(ce(c, k) for c, k in zip(c_fake, y_fake))
    assert losses.tac_twin_d(t(*c_fake), torch.tensor(y_fake))["twin"].item() == approx(twin)
    assert losses.tac_twin_g(t(*c_fake), torch.tensor(y_fake), lambda_tac=1.3)["twin"].item() == approx(-1.3 * twin)


def test_mine_signs_and_the_bias_corrected_gradient():
    tj, tm = (0.7, -1.3, 0.4), (0.9, -0.2, 1.6)
    lme = math.log(mean(math.exp(v) for v in tm))
    bound = mean(tj) - lme
    assert losses.log_mean_exp(t(*tm)).item() == approx(lme)
    assert losses.mine_dv(t(*tj), t(*tm)).item() == approx(bound)
    assert losses.mine_t(t(*tj), t(*tm))["mine"].item() == approx(-bound)  # T maximises V
    assert losses.mine_g(t(*tj), t(*tm), lambda_mi=0.3)["mi"].item() == approx(0.3 * bound)  # G minimises it
    ma = 2.7  # a moving average unlike this batch's E[exp T]
    for log_ma, denominator in ((None, math.exp(lme)), (t(math.log(ma)), ma)):
        marg = t(*tm).requires_grad_(True)
        value = losses.mine_t(t(*tj), marg, log_ma)["mine"]
        assert value.item() == approx(-bound)  # the value never changes
        value.backward()  # d(-V)/dt_j = exp(t_j) / (n · denominator)
        assert marg.grad.tolist() == [approx(math.exp(v) / (3 * denominator)) for v in tm]


def test_moving_average_weights_old_and_new():
    tm = (0.9, -0.2, 1.6)
    batch = mean(math.exp(v) for v in tm)
    new = losses.update_log_moving_average(t(math.log(2.7)), t(*tm), 0.2)
    assert new.item() == approx(math.log(0.8 * 2.7 + 0.2 * batch))
    assert losses.update_log_moving_average(None, t(*tm), 0.2).item() == approx(math.log(batch))


def test_hinge_bce_cagan_and_k_plus_one_at_nonzero_values():
    real, fake = (0.7, 1.9, -1.3), (0.4, -0.6, -1.5)
    assert values_of(losses.hinge_d(t(*real), t(*fake))) == {
        "real": approx(mean(max(0.0, 1 - v) for v in real)), "fake": approx(mean(max(0.0, 1 + v) for v in fake))}
    assert losses.hinge_g(t(*fake))["adv"].item() == approx(-mean(fake))
    assert values_of(losses.bce_d(t(*real), t(*fake))) == {"real": approx(mean(bce1(v) for v in real)),
                                                           "fake": approx(mean(bce0(v) for v in fake))}
    d_real, d_fake = [[0.7, -1.3, 0.2], [1.1, 0.4, -0.8]], [[-0.5, 0.9, 0.3], [0.6, -0.2, 1.4]]
    y_real, y_fake = [2, 0], [1, 2]
    onehot = lambda ys: nn.functional.one_hot(torch.tensor(ys), 3).double()  # noqa: E731
    terms = losses.cagan_d(t(*d_real), onehot(y_real), t(*d_fake), onehot(y_fake))
    assert values_of(terms) == {"real": approx(mean((r[k] - 1) ** 2 for r, k in zip(d_real, y_real))),
                                "fake": approx(mean(r[k] ** 2 for r, k in zip(d_fake, y_fake)))}
    g = losses.cagan_g(t(*d_fake), onehot(y_fake))["adv"].item()
    assert g == approx(mean((r[k] - 1) ** 2 for r, k in zip(d_fake, y_fake)))
    # K + 1 logits, the last one "generated"
    terms = losses.k_plus_one_d(t(*d_real), torch.tensor([1, 0]), t(*d_fake))
    assert values_of(terms) == {"real": approx(mean(ce(r, k) for r, k in zip(d_real, [1, 0]))),
                                "fake": approx(mean(ce(r, 2) for r in d_fake))}
    assert losses.dynamic_labels(t(*d_fake)).tolist() == [1, 0]  # argmax of the first K = 2 columns, not the last
    assert losses.dynamic_labels(t(*d_real)).tolist() == [0, 0]
    lg = mean(-math.log(sum(math.exp(v) for v in r[:2]) / sum(math.exp(v) for v in r)) for r in d_fake)
    assert losses.labelgan_g(t(*d_fake))["adv"].item() == approx(lg)


# --------------------------------------------------------------------------
# The methods: which rows get which target
# --------------------------------------------------------------------------
class ColumnD(nn.Module):
    """A discriminator whose heads are consecutive columns of ``x`` (a projection head adds ``0.5 · y``)."""

    def __init__(self, heads):
        super().__init__()
        self.spec = heads

    def forward(self, x, y=None):
        out, col = {}, 0
        for name, head in self.spec.items():
            value = x[:, col] if head.dim == 1 else x[:, col:col + head.dim]
            if head.projection:
                value = value + 0.5 * y.to(x.dtype)
            out[name], col = value, col + head.dim
        return out


class ColumnT(nn.Module):
    """A MINE statistics net ``T(x, y) = x[:, -1] · (y + 1) - 0.3 · y``."""

    def forward(self, x, y):
        y = y.to(x.dtype)
        return {"t": x[:, -1] * (y + 1) - 0.3 * y}


def rows(*columns):
    """Rows of floats from per-row lists."""
    return torch.tensor(columns, dtype=torch.float64)


def unconditional(name, params=None):
    method = get_method(name, params).for_data(images=False)
    nets = Networks(G=nn.Identity(), D=ColumnD(method.heads(0)), n_classes=0)
    batch = Batch(z=torch.zeros(2, 1), x_pos=rows([0.7], [1.9]), x_neg=rows([-1.3], [0.2]),
                  x_fake=rows([0.4], [-0.6]))
    return method, nets, batch


@pytest.mark.parametrize("params", [None, {"b_neg": -2.0, "a": -0.5, "b_pos": 2.5, "c": 1.8, "beta_pos": 2.5,
                                           "beta_neg": 0.5}])
def test_rumi_method_targets_positives_negatives_and_fakes(params):
    method, nets, batch = unconditional("rumi", {**(params or {}), "d_schedule": "joint"})
    p = {"b_neg": -1.0, "a": 0.0, "b_pos": 2.0, "c": 1.5, "beta_pos": 1.0, "beta_neg": 1.0, **(params or {})}
    pos = p["beta_pos"] * mean((v - p["b_pos"]) ** 2 for v in POS)
    neg = p["beta_neg"] * mean((v - p["b_neg"]) ** 2 for v in NEG)
    fake = mean((v - p["a"]) ** 2 for v in FAKE)
    assert values_of(method.d_loss(nets, batch)) == {"pos": approx(pos), "neg": approx(neg), "fake": approx(fake)}
    # the paper's schedule: first the positives with half the fake term, then the negatives with the other half
    split = get_method("rumi", {**(params or {}), "d_schedule": "split"}).for_data(images=False)
    updates = [values_of(u) for u in split.d_updates(nets, batch)]
    assert updates == [{"pos": approx(pos), "fake": approx(fake / 2)}, {"neg": approx(neg), "fake": approx(fake / 2)}]
    assert method.g_loss(nets, batch)["adv"].item() == approx(mean((v - p["c"]) ** 2 for v in FAKE))


@pytest.mark.parametrize("alpha_pos,alpha_neg", [(1.0, 1.0), (0.6, 1.7)])
def test_rumi_sgan_method_positives_are_real_negatives_and_fakes_are_not(alpha_pos, alpha_neg):
    method, nets, batch = unconditional("rumi-sgan", {"alpha_pos": alpha_pos, "alpha_neg": alpha_neg})
    assert values_of(method.d_loss(nets, batch)) == {
        "pos": approx(alpha_pos * mean(bce1(v) for v in POS)),
        "neg": approx(alpha_neg * mean(bce0(v) for v in NEG)),
        "fake": approx(mean(bce0(v) for v in FAKE)),
    }
    assert method.g_loss(nets, batch)["adv"].item() == approx(mean(bce1(v) for v in FAKE))


@pytest.mark.parametrize("params", [None, {"a": -0.3, "b": 1.2, "c": 0.8}])
def test_lsgan_method_uses_positives_as_real_and_ignores_negatives(params):
    method, nets, batch = unconditional("lsgan", params)
    p = {"a": 0.0, "b": 1.0, "c": 1.0, **(params or {})}
    expected = {"real": approx(mean((v - p["b"]) ** 2 for v in POS)),
                "fake": approx(mean((v - p["a"]) ** 2 for v in FAKE))}
    assert values_of(method.d_loss(nets, batch)) == expected
    batch.x_neg = None  # negatives are never needed
    assert values_of(method.d_loss(nets, batch)) == expected
    assert method.g_loss(nets, batch)["adv"].item() == approx(mean((v - p["c"]) ** 2 for v in FAKE))


K = 3
Y_REAL, Y_FAKE = [2, 0, 1], [1, 2, 0]  # differ row by row, so swapping them changes every class term
REAL = [[0.7, 0.3, -1.1, 0.8, 1.2, -0.4, 0.5, -0.9], [1.9, -0.6, 0.4, 1.3, 0.2, 0.9, -1.4, 0.6],
        [-1.3, 1.5, -0.2, 0.1, -0.7, 0.3, 1.1, 1.7]]
FAKE_ROWS = [[0.4, -0.8, 1.6, 0.2, 0.6, -1.2, 0.8, -0.5], [-0.6, 0.9, 0.1, -1.4, -0.3, 0.7, 0.4, 1.2],
             [1.1, -0.2, 0.5, 0.9, 1.4, 0.1, -0.6, 0.3]]


def conditional(name, params=None, rate=0.3):
    method = get_method(name, params)
    extra = {"mine": MINEStatistics(ColumnT(), rate)} if method.extra_networks(lambda h: None, K) else {}
    nets = Networks(G=nn.Identity(), D=ColumnD(method.heads(K)), n_classes=K, extra=extra)
    batch = Batch(z=torch.zeros(3, 1), x_real=rows(*REAL), y_real=torch.tensor(Y_REAL), x_fake=rows(*FAKE_ROWS),
                  y_fake=torch.tensor(Y_FAKE))
    return method, nets, batch


def col(table, j):
    return [r[j] for r in table]


def cls(table, lo, hi):
    return [r[lo:hi] for r in table]


def ac_expected(cls_on_fake=True):
    d = {"real": mean(bce1(v) for v in col(REAL, 0)), "fake": mean(bce0(v) for v in col(FAKE_ROWS, 0)),
         "cls_real": mean(ce(c, k) for c, k in zip(cls(REAL, 1, 4), Y_REAL))}
    if cls_on_fake:
        d["cls_fake"] = mean(ce(c, k) for c, k in zip(cls(FAKE_ROWS, 1, 4), Y_FAKE))
    return d


@pytest.mark.parametrize("cls_on_fake", [True, False])
def test_acgan_method_real_fake_and_class_terms(cls_on_fake):
    method, nets, batch = conditional("acgan", {"cls_on_fake": cls_on_fake, "lambda_cls": 0.7})
    assert values_of(method.d_loss(nets, batch)) == {k: approx(v) for k, v in ac_expected(cls_on_fake).items()}
    assert values_of(method.g_loss(nets, batch)) == {
        "adv": approx(mean(bce1(v) for v in col(FAKE_ROWS, 0))),
        "cls": approx(0.7 * mean(ce(c, k) for c, k in zip(cls(FAKE_ROWS, 1, 4), Y_FAKE))),
    }


def test_tacgan_method_twin_terms():
    method, nets, batch = conditional("tacgan", {"lambda_tac": 1.3, "lambda_cls": 0.7})
    twin = mean(ce(c, k) for c, k in zip(cls(FAKE_ROWS, 4, 7), Y_FAKE))
    assert values_of(method.d_loss(nets, batch)) == {**{k: approx(v) for k, v in ac_expected().items()},
                                                     "twin": approx(twin)}
    g = values_of(method.g_loss(nets, batch))
    assert g["twin"] == approx(-1.3 * twin)
    assert g["cls"] == approx(0.7 * mean(ce(c, k) for c, k in zip(cls(FAKE_ROWS, 1, 4), Y_FAKE)))


def test_uacgan_method_mine_terms_and_moving_average():
    method, nets, batch = conditional("uacgan", {"lambda_mi": 0.4, "ma_rate": 0.3}, rate=0.3)
    x = col(FAKE_ROWS, 7)
    T = lambda v, y: v * (y + 1) - 0.3 * y  # noqa: E731  (ColumnT)
    tj = [T(v, y) for v, y in zip(x, Y_FAKE)]
    tm = [T(v, y) for v, y in zip(x, Y_FAKE[-1:] + Y_FAKE[:-1])]  # ȳ: the labels rolled by one row
    bound = mean(tj) - math.log(mean(math.exp(v) for v in tm))
    d = values_of(method.d_loss(nets, batch))
    assert d == {**{k: approx(v) for k, v in ac_expected(cls_on_fake=False).items()}, "mine": approx(-bound)}
    ma = mean(math.exp(v) for v in tm)  # first update: the batch's E[exp T]
    assert nets.extra["mine"].log_ma.item() == approx(math.log(ma))
    method.d_loss(nets, batch)
    assert nets.extra["mine"].log_ma.item() == approx(math.log(0.7 * ma + 0.3 * ma))
    batch.x_fake = batch.x_fake * 0.5  # a different batch moves the average by the rate
    method.d_loss(nets, batch)
    tm2 = [T(0.5 * v, y) for v, y in zip(x, Y_FAKE[-1:] + Y_FAKE[:-1])]
    assert nets.extra["mine"].log_ma.item() == approx(math.log(0.7 * ma + 0.3 * mean(math.exp(v) for v in tm2)))
    batch.x_fake = rows(*FAKE_ROWS)
    assert method.g_loss(nets, batch)["mi"].item() == approx(0.4 * bound)


@pytest.mark.parametrize("loss", ["hinge", "bce"])
def test_projection_method_scores_each_row_with_its_own_label(loss):
    method, nets, batch = conditional("projection", {"loss": loss})
    d_real = [r[0] + 0.5 * y for r, y in zip(REAL, Y_REAL)]
    d_fake = [r[0] + 0.5 * y for r, y in zip(FAKE_ROWS, Y_FAKE)]
    if loss == "hinge":
        expected = {"real": mean(max(0.0, 1 - v) for v in d_real), "fake": mean(max(0.0, 1 + v) for v in d_fake)}
        g = -mean(d_fake)
    else:
        expected = {"real": mean(bce1(v) for v in d_real), "fake": mean(bce0(v) for v in d_fake)}
        g = mean(bce1(v) for v in d_fake)
    assert 1 - max(d_real) < 0 < 1 - min(d_real)  # some real rows inside the hinge margin, some outside
    assert values_of(method.d_loss(nets, batch)) == {k: approx(v) for k, v in expected.items()}
    assert method.g_loss(nets, batch)["adv"].item() == approx(g)


@pytest.mark.parametrize("mixed_batch", [False, True])
def test_cagan_method_trains_the_output_of_each_rows_class(mixed_batch):
    method, nets, batch = conditional("cagan", {"mixed_batch": mixed_batch, "mix_rate": 0.1})
    batch.epoch = 5.0  # two of the three rows swapped between the halves when mixing
    real, fake = cls(REAL, 0, 3), cls(FAKE_ROWS, 0, 3)
    assert values_of(method.d_loss(nets, batch)) == {
        "real": approx(mean((r[k] - 1) ** 2 for r, k in zip(real, Y_REAL))),
        "fake": approx(mean(r[k] ** 2 for r, k in zip(fake, Y_FAKE))),
    }
    assert method.g_loss(nets, batch)["adv"].item() == approx(mean((r[k] - 1) ** 2 for r, k in zip(fake, Y_FAKE)))


@pytest.mark.parametrize("name,params", [("amgan", None), ("amgan", {"labelling": "dynamic"}), ("labelgan", None)])
def test_k_plus_one_methods_real_classes_and_the_generated_class(name, params):
    method, nets, batch = conditional(name, params)
    real, fake = cls(REAL, 0, K + 1), cls(FAKE_ROWS, 0, K + 1)
    assert values_of(method.d_loss(nets, batch)) == {
        "real": approx(mean(ce(r, k) for r, k in zip(real, Y_REAL))),
        "fake": approx(mean(ce(r, K) for r in fake)),  # index K: the last, "generated" logit
    }
    if name == "labelgan":
        g = mean(-math.log(sum(math.exp(v) for v in r[:K]) / sum(math.exp(v) for v in r)) for r in fake)
    else:
        targets = Y_FAKE if params is None else [max(range(K), key=r.__getitem__) for r in fake]
        g = mean(ce(r, k) for r, k in zip(fake, targets))
    assert method.g_loss(nets, batch)["adv"].item() == approx(g)
