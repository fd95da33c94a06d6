"""The real training loop's wiring: optimisers, n_critic, EMA, MINE, class indices.

Each test runs :func:`~minority_gen.training.train_gan` (or the estimator
that calls it) on tiny networks and checks something a wiring fault breaks:
a network left out of the optimisers or never stepped, gradients not reset,
``n_critic`` ignored, the EMA decay inverted, MINE's moving average or bias
correction dropped, a class index off by one. ``benchmarks/mutation.py``
breaks copies of the package on purpose to show these tests fail then.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from minority_gen import GANOversampler, generation, losses, plan, training
from minority_gen.data import DataSpec
from minority_gen.methods import Batch, Networks, available_methods, get_method
from minority_gen.nets import build_discriminator, build_generator
from minority_gen.training import ConditionalSampler, PositiveNegativeSampler, TrainConfig, train_gan

VARIANTS = [(name, None) for name in available_methods()] + [
    ("rumi", {"d_schedule": "joint"}), ("acgan", {"cls_on_fake": False}), ("projection", {"loss": "bce"}),
    ("cagan", {"mixed_batch": True}), ("amgan", {"labelling": "dynamic"}),
]
IDS = [name + ("" if params is None else "-" + "-".join(map(str, params.values()))) for name, params in VARIANTS]
K = 3


def three_blobs(n=(40, 16, 10), seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    X = np.vstack([rng.normal(c, 0.5, (k, 2)) for c, k in zip(centres, n)])
    return X, np.repeat(np.arange(len(n)), n)


def tiny_nets(method, seed=0, pac=1):
    """Tiny networks for ``method`` on 2-feature rows of K classes, built as the plan builds them."""
    spec = DataSpec(n_features=2)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        build = lambda heads, pac=1: build_discriminator(spec, heads, K, (8,), method.needs_spectral_norm(), pac)  # noqa: E731
        return Networks(G=build_generator(spec, 4, K if method.conditional else 0, (8,)),
                        D=build(method.heads(K), pac), n_classes=K, extra=method.extra_networks(build, K), pac=pac)


def tiny_sampler(method, batch_size=8):
    X, y = three_blobs()
    x, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    if method.conditional:
        return ConditionalSampler(x, y, K, batch_size, 4, balanced=True)
    return PositiveNegativeSampler(x[y == 2], x[y != 2] if method.uses_negatives else None, batch_size, 4)


def config(**kw):
    return TrainConfig(**{"n_iter": 2, "batch_size": 8, "latent_dim": 4, "n_critic": 1, "lr_g": 1e-2,
                          "lr_d": 1e-2, "betas": (0.5, 0.9), **kw})


def modules(nets):
    return {"G": nets.G, "D": nets.D, **dict(nets.extra)}


def grads(module):
    return [None if p.grad is None else p.grad.clone() for p in module.parameters()]


def same_grads(a, b):
    return len(a) == len(b) and all((x is None and y is None) or (x is not None and y is not None and torch.equal(x, y))
                                    for x, y in zip(a, b))


class OptimiserSpy:
    """Wraps ``training._adam``: records which network's optimiser zeroes and steps, in order.

    At every step it also checks that the step has a gradient for each of its
    parameters, that a discriminator-side step left the generator's gradients
    alone (fakes detached) and that a generator step left the discriminator
    side's alone (frozen), and it keeps the generator's weights after each of
    its steps.
    """

    def __init__(self, nets):
        self.nets = nets
        self.owner = {id(p): name for name, m in modules(nets).items() for p in m.parameters()}
        self.events, self.param_sets, self.g_history = [], {}, []
        self.g_grads = grads(nets.G)
        self.d_grads = {}
        self.real_adam = training._adam

    def adam(self, params, lr, betas):
        opt = self.real_adam(params, lr, betas)
        owned = opt.param_groups[0]["params"]
        names = {self.owner[id(p)] for p in owned}
        assert len(names) == 1, f"one optimiser holds parameters of {sorted(names)}"
        name = names.pop()
        assert name not in self.param_sets, f"two optimisers for {name}"
        self.param_sets[name] = {id(p) for p in owned}
        zero_grad, step = opt.zero_grad, opt.step

        def spy_zero_grad(*args, **kw):
            self.events.append((name, "zero"))
            return zero_grad(*args, **kw)

        def spy_step(*args, **kw):
            self.events.append((name, "step"))
            assert all(p.grad is not None for p in owned), f"{name} steps without a gradient"
            module = modules(self.nets)[name]
            if name == "G":
                for other, m in modules(self.nets).items():
                    if other != "G":
                        assert same_grads(self.d_grads[other], grads(m)), f"the generator step reached {other}"
            else:
                assert same_grads(self.g_grads, grads(self.nets.G)), f"the {name} step reached the generator"
            out = step(*args, **kw)
            if name == "G":
                self.g_grads = grads(module)
                self.g_history.append([p.detach().clone() for p in module.parameters()])
            else:
                self.d_grads[name] = grads(module)
            return out

        opt.zero_grad, opt.step = spy_zero_grad, spy_step
        return opt


def spy_train(monkeypatch, method, nets, sampler, cfg, seed=0):
    spy = OptimiserSpy(nets)
    monkeypatch.setattr(training, "_adam", spy.adam)
    records, ema_g = train_gan(method, nets, sampler, cfg, torch.Generator().manual_seed(seed))
    return spy, records, ema_g


# --------------------------------------------------------------------------
# Optimisers and n_critic
# --------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:.*had no candidate the discriminator")
@pytest.mark.parametrize("name,params", VARIANTS, ids=IDS)
def test_every_network_has_one_optimiser_stepped_n_critic_times_per_generator_step(monkeypatch, name, params):
    method = get_method(name, params)
    nets = tiny_nets(method)
    before = {n: [p.detach().clone() for p in m.parameters()] for n, m in modules(nets).items()}
    n_iter, n_critic = 2, 3
    cfg = config(n_iter=n_iter, n_critic=n_critic)
    spy, records, _ = spy_train(monkeypatch, method, nets, tiny_sampler(method), cfg)
    assert len(records) == n_iter
    # one optimiser per network, holding exactly that network's parameters
    assert spy.param_sets == {n: {id(p) for p in m.parameters()} for n, m in modules(nets).items()}
    d_side = ["D", *nets.extra]
    updates = 2 if name == "rumi" and params is None else 1  # the paper's Rumi schedule: two updates per step
    one_update = [(n, "zero") for n in d_side] + [(n, "step") for n in d_side]
    expected = (one_update * (updates * n_critic) + [("G", "zero"), ("G", "step")]) * n_iter
    assert spy.events == expected
    # and every parameter of every network moved
    for n, m in modules(nets).items():
        for i, (p0, p) in enumerate(zip(before[n], m.parameters())):
            assert not torch.equal(p0, p), f"{n} parameter {i} never changed"


def reference_train(method, nets, sampler, cfg, gen):
    """The loop of docs/METHODS.md written out plainly: n_critic D-side updates, one G update, EMA."""
    d_side = [nets.D, *nets.extra.values()]
    opt_g = torch.optim.Adam(nets.G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = [torch.optim.Adam(m.parameters(), lr=cfg.lr_d, betas=cfg.betas) for m in d_side]
    ema = copy.deepcopy(nets.G)
    epoch_size = max(1, math.ceil(sampler.n_rows / cfg.batch_size))
    for it in range(1, cfg.n_iter + 1):
        for _ in range(cfg.n_critic):
            batch = sampler.sample(gen)
            batch.iteration, batch.epoch = it, it / epoch_size
            with torch.no_grad():
                batch.x_fake = method.generate(nets, batch.z, batch.y_fake)
            for terms in method.d_updates(nets, batch):
                for opt in opt_d:
                    opt.zero_grad()
                sum(terms.values()).backward()
                for opt in opt_d:
                    opt.step()
        batch = sampler.sample(gen, with_real=False)
        batch.iteration, batch.epoch = it, it / epoch_size
        batch.x_fake = method.generate(nets, batch.z, batch.y_fake)
        g_params = list(nets.G.parameters())
        for p, g in zip(g_params, torch.autograd.grad(sum(method.g_loss(nets, batch).values()), g_params)):
            p.grad = g
        opt_g.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), g_params):
                pe.copy_(cfg.ema * pe + (1 - cfg.ema) * p)
    return ema


@pytest.mark.parametrize("name,params", [("rumi", None), ("uacgan", {"ma_rate": 0.3}), ("tacgan", None),
                                         ("cagan", {"mixed_batch": True})])
def test_loop_matches_the_plain_reference_loop(name, params):
    """Same networks, same noise: the loop's weights after 3 iterations equal the plainly written loop's."""
    method = get_method(name, params)
    nets, sampler = tiny_nets(method), tiny_sampler(method)
    ref_nets = copy.deepcopy(nets)
    cfg = config(n_iter=3, n_critic=2, ema=0.7)
    _, ema_g = train_gan(method, nets, sampler, cfg, torch.Generator().manual_seed(0))
    ref_ema = reference_train(get_method(name, params), ref_nets, sampler, cfg, torch.Generator().manual_seed(0))
    for n, m in {**modules(nets), "EMA": ema_g}.items():
        ref = {**modules(ref_nets), "EMA": ref_ema}[n]
        for (k, a), b in zip(m.state_dict().items(), ref.state_dict().values()):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=f"{n}.{k} differs from the reference loop")


def test_optimisers_are_fused_where_torch_has_a_fused_adam_and_foreach_elsewhere():
    cpu = training._adam([nn.Parameter(torch.zeros(3)), nn.Parameter(torch.zeros(2, 2))], 1e-3, (0.5, 0.9))
    assert cpu.defaults["fused"] and not cpu.defaults["foreach"]
    meta = training._adam([nn.Parameter(torch.zeros(3, device="meta"))], 1e-3, (0.5, 0.9))
    assert meta.defaults["foreach"] and not meta.defaults["fused"]
    mixed = training._adam([nn.Parameter(torch.zeros(3)), nn.Parameter(torch.zeros(3), requires_grad=False)],
                           1e-3, (0.5, 0.9))
    assert len(mixed.param_groups[0]["params"]) == 1  # frozen parameters are left out


# --------------------------------------------------------------------------
# EMA
# --------------------------------------------------------------------------
@pytest.mark.parametrize("decay", [0.7, 0.95])
def test_ema_equals_the_closed_form(monkeypatch, decay):
    """After k generator steps, EMA = d^k·θ_0 + Σ_j (1 - d)·d^(k-j)·θ_j (θ_j: the weights after step j)."""
    method = get_method("lsgan")
    nets = tiny_nets(method)
    theta0 = [p.detach().clone() for p in nets.G.parameters()]
    k = 4
    spy, _, ema_g = spy_train(monkeypatch, method, nets, tiny_sampler(method), config(n_iter=k, ema=decay))
    assert len(spy.g_history) == k and ema_g is not nets.G
    for i, pe in enumerate(ema_g.parameters()):
        closed = decay**k * theta0[i] + sum((1 - decay) * decay ** (k - j) * spy.g_history[j - 1][i]
                                            for j in range(1, k + 1))
        torch.testing.assert_close(pe, closed, rtol=1e-5, atol=1e-7)
        assert not torch.allclose(pe, spy.g_history[-1][i])  # not simply the last weights
    monkeypatch.undo()
    assert train_gan(method, tiny_nets(method), tiny_sampler(method), config(), torch.Generator())[1] is None


def test_ema_generator_carries_the_generators_buffers():
    """Batch-norm statistics are not averaged: the EMA generator holds the generator's current ones."""
    method = get_method("lsgan")
    nets = tiny_nets(method)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        nets.G = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.2), nn.Linear(8, 2))
    start = copy.deepcopy(nets.G.state_dict())
    _, ema_g = train_gan(method, nets, tiny_sampler(method), config(n_iter=3, ema=0.9), torch.Generator())
    for (name, b), be in zip(nets.G.named_buffers(), ema_g.buffers()):
        assert not torch.equal(b, start[name]), name  # the statistics moved during training
        assert torch.equal(be, b), name


# --------------------------------------------------------------------------
# MINE (uacgan)
# --------------------------------------------------------------------------
def test_mine_moving_average_in_the_loop_equals_the_closed_form():
    rate = 0.3
    method = get_method("uacgan", {"ma_rate": rate})
    nets = tiny_nets(method)
    T = nets.extra["mine"]
    seen = []
    real_update = T.update

    def update(t_marginal):
        seen.append(torch.exp(t_marginal.detach().double()).mean().item())
        return real_update(t_marginal)

    T.update = update
    train_gan(method, nets, tiny_sampler(method), config(n_iter=3, n_critic=2), torch.Generator().manual_seed(0))
    assert len(seen) == 6  # once per discriminator step
    ma = seen[0]
    for e in seen[1:]:
        ma = (1 - rate) * ma + rate * e
    assert T.log_ma.item() == pytest.approx(math.log(ma), rel=1e-4)


def test_mine_statistics_network_gets_the_bias_corrected_gradient_and_the_generator_the_plain_one():
    method = get_method("uacgan", {"ma_rate": 0.2, "lambda_mi": 0.5})
    nets = tiny_nets(method)
    T = nets.extra["mine"]
    T.log_ma.fill_(math.log(40.0))  # an average far from this batch's E[exp T]
    gen = torch.Generator().manual_seed(0)
    batch = tiny_sampler(method, batch_size=12).sample(gen)
    batch.x_fake = nets.G(batch.z, batch.y_fake).detach()
    method.d_loss(nets, batch)["mine"].backward()
    got = [p.grad.clone() for p in T.parameters()]
    ma = T.log_ma.exp().item()
    assert ma == pytest.approx(0.8 * 40 + 0.2 * torch.exp(T(batch.x_fake, batch.y_fake.roll(1))).mean().item(),
                               rel=1e-5)  # the average was moved before it was used
    T.zero_grad()
    t_joint, t_marg = T(batch.x_fake, batch.y_fake), T(batch.x_fake, batch.y_fake.roll(1))
    (-t_joint.mean() + torch.exp(t_marg).mean() / ma).backward()  # ∇(-V) with ∇E[exp T] / ma
    for a, p in zip(got, T.parameters()):
        torch.testing.assert_close(a, p.grad, rtol=1e-4, atol=1e-7)
    # the generator minimises the plain bound: gradient through log E[exp T], not through the average
    x = nets.G(batch.z, batch.y_fake).detach().requires_grad_(True)
    method.g_loss(nets, Batch(z=batch.z, y_fake=batch.y_fake, x_fake=x))["mi"].backward()
    x_plain = x.detach().clone().requires_grad_(True)
    (0.5 * losses.mine_dv(T(x_plain, batch.y_fake), T(x_plain, batch.y_fake.roll(1)))).backward()
    torch.testing.assert_close(x.grad, x_plain.grad, rtol=1e-4, atol=1e-7)


# --------------------------------------------------------------------------
# Class indices and label sampling
# --------------------------------------------------------------------------
class OneHotG(nn.Module):
    """A conditional "generator" whose rows are the one-hot labels it is given."""

    def forward(self, z, y=None):
        return nn.functional.one_hot(y, K).float() + 0 * z[:, :1]


def test_generate_rows_uses_the_class_index_it_is_given():
    method = get_method("acgan")
    nets = Networks(G=OneHotG(), D=nn.Identity(), n_classes=K)
    nets.G.register_parameter("w", nn.Parameter(torch.zeros(1)))
    for c in range(K):
        rows = generation.generate_rows(method, nets, 10, c, 4, torch.Generator().manual_seed(0), chunk=4)
        assert rows.shape == (10, K) and (rows.argmax(1) == c).all() and (rows.sum(1) == 1).all()


@pytest.mark.parametrize("balanced", [True, False])
@pytest.mark.parametrize("pac", [1, 2])
def test_conditional_sampler_labels_match_rows_and_follow_the_label_distribution(balanced, pac):
    counts = (30, 8, 2)
    y = torch.tensor(np.repeat([2, 0, 1], counts))  # classes 2, 0, 1 with 30, 8, 2 rows, unsorted
    x = y.float()[:, None] + 0.01 * torch.arange(len(y)).float()[:, None] / len(y)
    sampler = ConditionalSampler(x, y, K, batch_size=40, latent_dim=2, balanced=balanced, pac=pac)
    gen = torch.Generator().manual_seed(0)
    labels = {"real": [], "fake": []}
    for _ in range(150):
        b = sampler.sample(gen)
        assert torch.equal(b.x_real[:, 0].floor().long(), b.y_real)  # every row carries its own label
        for key, lab in (("real", b.y_real), ("fake", b.y_fake)):
            assert (lab.view(-1, pac) == lab.view(-1, pac)[:, :1]).all()  # one class per pack
            labels[key].append(lab)
    per_class = dict(zip([2, 0, 1], counts))
    expected = np.array([1 / 3] * 3) if balanced else np.array([per_class[c] for c in range(K)]) / sum(counts)
    for key in labels:
        share = torch.bincount(torch.cat(labels[key]), minlength=K).numpy() / len(torch.cat(labels[key]))
        np.testing.assert_allclose(share, expected, atol=0.03, err_msg=key)


def test_positive_negative_sampler_keeps_the_two_sets_apart():
    x_pos, x_neg = torch.full((5, 2), 1.0) + torch.rand(5, 2), -torch.full((50, 2), 1.0) - torch.rand(50, 2)
    gen = torch.Generator().manual_seed(0)
    b = PositiveNegativeSampler(x_pos, x_neg, 16, 3).sample(gen)
    assert b.x_pos.shape == b.x_neg.shape == (16, 2) and b.z.shape == (16, 3)
    assert (b.x_pos > 0).all() and (b.x_neg < 0).all()
    assert PositiveNegativeSampler(x_pos, None, 16, 3).sample(gen).x_neg is None
    assert PositiveNegativeSampler(x_pos, x_neg, 16, 3).sample(gen, with_real=False).x_pos is None


TINY = dict(n_iter=2, batch_size=16, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)


class TrainSpy:
    """Wraps ``plan.train_gan``: keeps each run's sampler, networks and returned EMA generator."""

    def __init__(self, monkeypatch):
        self.runs = []
        real = plan.train_gan

        def spy(method, nets, sampler, cfg, gen, *args, **kw):
            records, ema_g = real(method, nets, sampler, cfg, gen, *args, **kw)
            self.runs.append({"sampler": sampler, "nets": nets, "ema": ema_g})
            return records, ema_g

        monkeypatch.setattr(plan, "train_gan", spy)


@pytest.mark.parametrize("name", ["rumi", "lsgan"])
@pytest.mark.parametrize("ema", [None, 0.9])
def test_each_class_keeps_the_generator_trained_on_its_own_rows(monkeypatch, name, ema):
    X, y = three_blobs(n=(40, 12, 10))
    labels = np.array([7, 3, 5])[y]  # classes 3, 5, 7: index 0 is label 3
    runs = TrainSpy(monkeypatch).runs
    # lsgan sees no negatives, unless the boundary classifier (on by default for anchored tables) needs them
    off = {"boundary": None} if name == "lsgan" else {}
    est = GANOversampler(method=name, ema=ema, **TINY, **off).fit(X, labels)
    assert len(runs) == 2 and sorted(est.generators_) == [3, 5]
    for c in (3, 5):
        run = next(r for r in runs if len(r["sampler"].x_pos) == (labels == c).sum())
        pos = est.codec_.encode(X[labels == c])
        np.testing.assert_allclose(np.sort(run["sampler"].x_pos.numpy(), 0), np.sort(pos, 0), rtol=1e-5)
        if name == "lsgan":
            assert run["sampler"].x_neg is None
        else:
            neg = est.codec_.encode(X[labels != c])
            np.testing.assert_allclose(np.sort(run["sampler"].x_neg.numpy(), 0), np.sort(neg, 0), rtol=1e-5)
        assert est.generators_[c] is (run["nets"].G if ema is None else run["ema"])


@pytest.mark.parametrize("label_sampling", ["balanced", "empirical"])
def test_estimator_conditions_and_samples_each_class_on_its_own_index(monkeypatch, label_sampling):
    X, y = three_blobs(n=(40, 12, 10))
    labels = np.array([7, 3, 5])[y]  # np.unique order: 3, 5, 7
    runs = TrainSpy(monkeypatch).runs
    asked = []
    real_generate = generation.generate_rows

    def generate_rows(method, nets, n, class_index, *args, **kw):
        asked.append(class_index)
        return real_generate(method, nets, n, class_index, *args, **kw)

    monkeypatch.setattr("minority_gen.model.generate_rows", generate_rows)
    est = GANOversampler(method="acgan", label_sampling=label_sampling, **TINY)
    X_res, y_res = est.fit_resample(X, labels)
    assert list(est.classes_) == [3, 5, 7] and len(runs) == 1
    sampler = runs[0]["sampler"]
    assert sampler.balanced is (label_sampling == "balanced") and sampler.n_classes == 3
    assert np.array_equal(np.sort(sampler.y.numpy()), np.sort(np.searchsorted([3, 5, 7], labels)))
    # fit_resample: classes 3 and 5 grow (to 40 rows, like 7), generated with their own indices 0 and 1
    assert sorted(asked) == [0, 1] and sorted(np.unique(y_res[len(X):]).tolist()) == [3, 5]
    asked.clear()
    est.sample(3, y=5)
    est.sample(3, y=3)
    assert asked == [1, 0]
