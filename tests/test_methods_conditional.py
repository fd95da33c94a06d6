"""Behaviour of the conditional GAN methods (acgan … labelgan)."""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pytest
import torch
from torch import nn

from minority_gen import GANOversampler, losses
from minority_gen.methods import Batch, Networks, get_method
from minority_gen.methods.amgan import select_class_rows
from minority_gen.methods.base import NoCandidateWarning
from minority_gen.methods.cagan import mixed_batch_indices
from minority_gen.nets import MLPDiscriminator, MLPGenerator

CONDITIONAL = [
    ("acgan", None), ("acgan", {"cls_on_fake": False}), ("tacgan", None), ("uacgan", None),
    ("projection", None), ("projection", {"loss": "bce"}), ("cagan", None), ("cagan", {"mixed_batch": True}),
    ("amgan", None), ("amgan", {"labelling": "dynamic"}), ("labelgan", None),
]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny networks run fastest on one thread; with 2 shared cores, 2 threads are 3-10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_nets(method, n_features=2, n_classes=3, hidden=(16,), seed=0):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        build = lambda heads: MLPDiscriminator(n_features, heads, hidden, n_classes)  # noqa: E731
        return Networks(G=MLPGenerator(4, n_features, hidden, n_classes), D=build(method.heads(n_classes)),
                        n_classes=n_classes, extra=method.extra_networks(build, n_classes))


def three_blobs(n=(60, 20, 12), seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = np.vstack([rng.normal(c, 0.5, (k, 2)) for c, k in zip(centres, n)])
    return X, np.repeat(np.arange(3), n), centres


@pytest.mark.filterwarnings("ignore:.*had no candidate the discriminator")  # 3 steps: D knows no class yet
@pytest.mark.parametrize("name,params", CONDITIONAL)
def test_fit_resample_gives_class_correct_counts(name, params, tiny):
    X, y, _ = three_blobs()
    X_res, y_res = GANOversampler(method=name, method_params=params, **tiny).fit_resample(X, y)
    assert sorted(Counter(y_res).items()) == [(0, 60), (1, 60), (2, 60)]
    np.testing.assert_array_equal(X_res[: len(X)], X)
    assert np.isfinite(X_res).all()


@pytest.mark.slow
@pytest.mark.parametrize("name,params", CONDITIONAL)
def test_generated_rows_sit_in_their_class(name, params):
    """Rows generated for class c are nearer c's centre than any other (≥ 90 %).

    LabelGAN and dynamic labelling reach the class only through rejection by
    the discriminator's class logits, whose boundary is coarser: ≥ 80 %
    there, or (dynamic labelling, which can concentrate the generator on
    one class mode) a warning that names the rows it could not place.
    """
    X, y, centres = three_blobs(n=(150, 60, 40))
    sampler = GANOversampler(method=name, method_params=params, n_iter=300, n_critic=1, batch_size=64,
                             latent_dim=4, hidden_dims=(32,), lr_g=2e-3, lr_d=2e-3, betas=(0.5, 0.999),
                             device="cpu", random_state=0)
    method = get_method(name, params)
    label_free = getattr(method, "label_free_generator", lambda: False)()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X_res, y_res = sampler.fit_resample(X, y)
    for c in (1, 2):
        new = X_res[len(X):][y_res[len(X):] == c]
        nearest = np.argmin(((new[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        share = np.mean(nearest == c)
        if label_free and share < 0.8:
            assert any(f"rows of class {c} had no candidate" in str(w.message) for w in caught), (name, params, c)
        else:
            assert share >= (0.8 if label_free else 0.9), (name, params, c, np.bincount(nearest, minlength=3))


def test_rejection_warning_names_the_class_once_per_draw():
    """Rows drawn by rejection that found no candidate of their class are counted over the whole draw, in one
    warning that names the class as the user wrote it (not its index)."""
    X, y, _ = three_blobs(n=(150, 60, 40))
    y = np.array(["maj", "mid", "rare"])[y]
    sampler = GANOversampler(method="labelgan", n_iter=3, latent_dim=4, hidden_dims=(8,), filter=None,
                             random_state=0).fit(X, y)  # no filter: one draw of exactly the rows asked for
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sampler.sample(5000, y="rare")  # two chunks of 4096
    rejected = [w for w in caught if issubclass(w.category, NoCandidateWarning)]
    assert len(rejected) == 1, [str(w.message) for w in caught]
    message = str(rejected[0].message)
    assert "of 5000 generated rows of class 'rare' had no candidate" in message, message
    assert rejected[0].message.total == 5000 and 0 < rejected[0].message.n <= 5000
    assert rejected[0].filename == __file__  # it points at the call of sample()


# -- TAC-GAN -----------------------------------------------------------------
def test_tacgan_twin_head_learns_from_generated_rows():
    method = get_method("tacgan")
    nets = make_nets(method)
    gen = torch.Generator().manual_seed(0)
    y_fake = torch.arange(3).repeat(20)
    x_fake = torch.randn(60, 2, generator=gen) * 0.3 + torch.tensor([[0.0, 0], [3, 0], [0, 3]])[y_fake]
    batch = Batch(z=torch.zeros(60, 4), x_fake=x_fake, y_fake=y_fake,
                  x_real=torch.randn(60, 2, generator=gen), y_real=y_fake.roll(1))
    twin = nets.D.heads["twin"].linear
    method.d_loss(nets, batch)["twin"].backward()  # the twin term alone
    assert twin.weight.grad is not None and twin.weight.grad.abs().sum() > 0
    opt = torch.optim.Adam(nets.D.parameters(), lr=1e-2)
    first = None
    for _ in range(100):
        opt.zero_grad()
        loss = method.d_loss(nets, batch)["twin"]
        first = loss.item() if first is None else first
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


def test_tacgan_generator_fights_the_twin():
    method = get_method("tacgan", {"lambda_tac": 2.0})
    nets = make_nets(method)
    z, y = torch.randn(8, 4), torch.arange(8) % 3
    batch = Batch(z=z, y_fake=y, x_fake=nets.G(z, y))
    terms = method.g_loss(nets, batch)
    twin_ce = nn.functional.cross_entropy(nets.D(batch.x_fake)["twin"], y)
    assert terms["twin"].item() == pytest.approx(-2.0 * twin_ce.item(), rel=1e-6)


# -- UAC-GAN -----------------------------------------------------------------
def true_mi_shifted_gaussians(shift=3.0):
    """I(X; Y) in nats for y ~ U{0, 1}, x = shift·y + N(0, 1), by numerical integration."""
    x = np.linspace(-12, 12 + shift, 200_001)
    p0 = np.exp(-x**2 / 2) / math.sqrt(2 * math.pi)
    p1 = np.exp(-(x - shift) ** 2 / 2) / math.sqrt(2 * math.pi)
    px = 0.5 * (p0 + p1)
    integrand = 0.5 * p0 * np.log(p0 / px) + 0.5 * p1 * np.log(p1 / px)
    return float(np.sum((integrand[1:] + integrand[:-1]) / 2 * np.diff(x)))


@pytest.mark.slow
def test_uacgan_mine_estimate_converges_to_true_mi():
    """MINE on a toy with known MI: within 0.05 nats of the integral (≈ 0.527 nats)."""
    truth = true_mi_shifted_gaussians()
    method = get_method("uacgan", {"ma_rate": 0.01})
    with torch.random.fork_rng():
        torch.manual_seed(0)
        T = method.extra_networks(lambda heads: MLPDiscriminator(1, heads, (32, 32), 2), 2)["mine"]
    gen = torch.Generator().manual_seed(0)

    def draw(n):
        y = torch.randint(2, (n,), generator=gen)
        return 3.0 * y[:, None] + torch.randn(n, 1, generator=gen), y

    opt = torch.optim.Adam(T.parameters(), lr=3e-3)
    assert torch.isnan(T.log_ma)
    for step in range(800):
        x, y = draw(256)
        t_joint, t_marg = T.joint_and_marginal(x, y)
        before = T.log_ma.clone()
        loss = losses.mine_t(t_joint, t_marg, T.update(t_marg))["mine"]
        if step > 0:
            assert T.log_ma != before  # the moving average moves
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert torch.isfinite(T.log_ma)
    with torch.no_grad():
        x, y = draw(50_000)
        estimate = losses.mine_dv(*T.joint_and_marginal(x, y)).item()
    assert abs(estimate - truth) < 0.05, (estimate, truth)


def test_uacgan_generator_term_is_lambda_times_the_bound():
    method = get_method("uacgan", {"lambda_mi": 0.5})
    nets = make_nets(method)
    z, y = torch.randn(9, 4), torch.arange(9) % 3
    batch = Batch(z=z, y_fake=y, x_fake=nets.G(z, y))
    terms = method.g_loss(nets, batch)
    T = nets.extra["mine"]
    tj, tm = T(batch.x_fake, y), T(batch.x_fake, y.roll(1))
    bound = tj.mean() - (torch.logsumexp(tm, 0) - math.log(9))
    assert terms["mi"].item() == pytest.approx(0.5 * bound.item(), rel=1e-5)
    terms["mi"].backward()
    assert all(p.grad is not None for p in nets.G.parameters())


# -- CA-GAN ------------------------------------------------------------------
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.3, 0.5])
def test_mixed_batch_indices_keep_a_fixed_ratio(fraction):
    a, b = mixed_batch_indices(32, 32, fraction)
    assert sorted(torch.cat([a, b]).tolist()) == list(range(64))  # every row exactly once
    k = round(fraction * 32)
    assert int((a >= 32).sum()) == k and int((b < 32).sum()) == k  # A: k fake, B: k real
    assert len(a) == len(b) == 32


class RecordingBNDiscriminator(nn.Module):
    """Batch-norm discriminator that records how many real rows (x[:, 0] > 0) each call sees."""

    def __init__(self, n_classes):
        super().__init__()
        self.bn, self.lin, self.calls = nn.BatchNorm1d(2), nn.Linear(2, n_classes), []

    def forward(self, x, y=None):
        self.calls.append((int((x[:, 0] > 0).sum()), len(x)))
        return {"adv": self.lin(self.bn(x))}


def test_cagan_mixed_batches_with_batch_norm():
    method = get_method("cagan")  # mixed_batch="auto"
    D = RecordingBNDiscriminator(3)
    nets = Networks(G=MLPGenerator(4, 2, (8,), 3), D=D, n_classes=3)
    y = torch.arange(3).repeat(8)[:20]
    batch = Batch(z=torch.zeros(20, 4), x_real=torch.ones(20, 2) + torch.rand(20, 2), y_real=y,
                  x_fake=-torch.ones(20, 2) - torch.rand(20, 2), y_fake=y.roll(1),
                  epoch=60.0)  # past the ramp
    for _ in range(3):
        method.d_loss(nets, batch)
    assert D.calls == [(10, 20)] * 6  # every discriminator batch: half real, half fake
    D.calls.clear()
    batch.epoch = 10.0  # ramp: min(0.01 · 10, 0.5) = 0.1 → 2 rows swapped
    method.d_loss(nets, batch)
    assert D.calls == [(18, 20), (2, 20)]


def test_cagan_mixing_without_batch_norm_changes_nothing():
    y = torch.arange(3).repeat(6)
    gen = torch.Generator().manual_seed(0)
    batch = Batch(z=torch.zeros(18, 4), x_real=torch.randn(18, 2, generator=gen), y_real=y,
                  x_fake=torch.randn(18, 2, generator=gen), y_fake=y.roll(1), epoch=30.0)
    plain, mixed = get_method("cagan"), get_method("cagan", {"mixed_batch": True})
    nets = make_nets(plain)
    assert not plain.uses_mixed_batches(nets.D)
    a, b = plain.d_loss(nets, batch), mixed.d_loss(nets, batch)
    for k in a:
        assert a[k].item() == pytest.approx(b[k].item(), rel=1e-6)


def test_cagan_only_active_class_outputs_get_gradient():
    method = get_method("cagan")
    nets = make_nets(method)
    out = {}

    def keep(module, inputs, output):
        output.retain_grad()
        out["o"] = output

    nets.D.heads["adv"].register_forward_hook(keep)
    y = torch.tensor([0, 2, 2, 1])
    batch = Batch(z=torch.zeros(4, 4), x_real=torch.randn(4, 2), y_real=y, x_fake=torch.randn(4, 2),
                  y_fake=torch.tensor([1, 1, 0, 2]))
    sum(method.d_loss(nets, batch).values()).backward()
    active = nn.functional.one_hot(torch.cat([batch.y_real, batch.y_fake]), 3).bool()
    grad = out["o"].grad
    assert (grad[~active] == 0).all() and (grad[active] != 0).all()


# -- AM-GAN / LabelGAN ---------------------------------------------------------
def test_amgan_dynamic_targets_are_detached_real_class_argmax():
    method = get_method("amgan", {"labelling": "dynamic"})
    nets = make_nets(method)
    z, y = torch.randn(12, 4), torch.zeros(12, dtype=torch.long)
    x = nets.G(z, y)
    logits = nets.D(x)["cls"]
    expected = nn.functional.cross_entropy(logits, logits[:, :3].argmax(1).detach())
    assert method.g_loss(nets, Batch(z=z, y_fake=y, x_fake=x))["adv"].item() == pytest.approx(expected.item())


def test_label_free_sampling_returns_rows_the_discriminator_puts_in_the_class():
    class SignD(nn.Module):  # class 0 if x0 > 0 else class 1; "generated" logit never wins
        def forward(self, x, y=None):
            return {"cls": torch.stack([x[:, 0], -x[:, 0], torch.full_like(x[:, 0], -9)], 1)}

    class NoiseG(nn.Module):  # ignores y
        def forward(self, z, y):
            return z[:, :2]

    nets = Networks(G=NoiseG(), D=SignD(), n_classes=2)
    nets.G.eval()
    z = torch.randn(500, 4, generator=torch.Generator().manual_seed(0))
    for cls in (0, 1):
        y = torch.full((500,), cls)
        rows = select_class_rows(nets, z, y, 16)
        assert ((rows[:, 0] > 0) == (cls == 0)).all()
        torch.testing.assert_close(rows, select_class_rows(nets, z, y, 16))  # a function of z
    for name, params in (("labelgan", None), ("amgan", {"labelling": "dynamic"})):
        rows = get_method(name, params).generate(nets, z, torch.ones(500, dtype=torch.long))
        assert (rows[:, 0] <= 0).all()
    assert torch.equal(get_method("amgan").generate(nets, z, torch.ones(500, dtype=torch.long)), z[:, :2])


# -- options ---------------------------------------------------------------
def test_projection_has_spectral_norm_by_default(tiny):
    X, y, _ = three_blobs()
    has_sn = lambda D: any(hasattr(m, "weight_orig") for m in D.modules())  # noqa: E731
    on = GANOversampler(method="projection", **tiny).fit(X, y)
    off = GANOversampler(method="projection", method_params={"spectral_norm": False}, **tiny).fit(X, y)
    assert has_sn(on.discriminators_[1]) and not has_sn(off.discriminators_[1])
    acgan = GANOversampler(method="acgan", **tiny).fit(X, y)
    assert not has_sn(acgan.discriminators_[1])


@pytest.mark.parametrize("name,params,match", [
    ("acgan", {"lambda_cls": -1}, "lambda_cls"),
    ("acgan", {"cls_on_fake": "yes"}, "cls_on_fake"),
    ("tacgan", {"lambda_tac": -0.5}, "lambda_tac"),
    ("uacgan", {"lambda_mi": -1}, "lambda_mi"),
    ("uacgan", {"ma_rate": 0}, "ma_rate"),
    ("projection", {"loss": "wgan"}, "loss"),
    ("cagan", {"mixed_batch": "yes"}, "mixed_batch"),
    ("cagan", {"mix_max": 0.9}, "mix_max"),
    ("amgan", {"labelling": "random"}, "labelling"),
    ("labelgan", {"n_candidates": 0}, "n_candidates"),
])
def test_bad_options_raise_clear_errors(name, params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        get_method(name, params)
