"""The training loop does not wait for the device every iteration, and loses nothing by it.

:func:`~minority_gen.training.train_gan` keeps each iteration's figures on the
device and copies them to the host every ``flush_every`` iterations. These
tests count the host synchronisations of a fit (every way a tensor's value
reaches Python), and check that the deferred checks still name the first
iteration that diverged, that callbacks get every record, and that the
records are those of a flush every iteration.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from torch import nn

from minority_gen import DivergenceError, GANOversampler, training
from minority_gen.methods import get_method
from minority_gen.training import divergence_limits, train_gan

from .test_wiring import IDS, VARIANTS, config, three_blobs, tiny_nets, tiny_sampler

#: Every Tensor method through which a value reaches Python (on a GPU each one waits for the device).
SYNCS = ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__", "__index__")


@pytest.fixture
def count_syncs(monkeypatch):
    """A dict whose ``"n"`` counts the calls of :data:`SYNCS` while ``"on"`` is set.

    Calls from torch's own code are left out: Adam reads its step counters,
    which stay on the CPU when training on a GPU (``capturable=False``).
    """
    counter = {"n": 0, "on": False}
    for name in SYNCS:
        real = getattr(torch.Tensor, name)

        def counted(self, *args, _real=real, **kwargs):
            if counter["on"] and not sys._getframe(1).f_globals.get("__name__", "").startswith("torch"):
                counter["n"] += 1
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return counter


def _train(method, counter, n_iter, flush_every, **kw):
    X, _ = three_blobs()
    counter["on"] = True
    try:
        return train_gan(method, tiny_nets(method), tiny_sampler(method), config(n_iter=n_iter, **kw),
                         torch.Generator().manual_seed(0), limits=divergence_limits(X), flush_every=flush_every)
    finally:
        counter["on"] = False


@pytest.mark.parametrize("name, params", VARIANTS, ids=IDS)
def test_the_loop_synchronises_once_per_flush_for_every_method(name, params, count_syncs):
    method = get_method(name, params)
    records, _ = _train(method, count_syncs, n_iter=40, flush_every=20, n_critic=2)
    assert [r["iteration"] for r in records] == list(range(1, 41))
    assert count_syncs["n"] <= 40 // 20 + 1, f"{count_syncs['n']} host synchronisations in 40 iterations"


def test_a_200_iteration_fit_synchronises_about_n_iter_over_flush_times(count_syncs, monkeypatch):
    """The estimator's whole training: one transfer per FLUSH_EVERY iterations, not one per iteration."""
    real = training.train_gan

    def counted(*args, **kwargs):
        count_syncs["on"] = True
        try:
            return real(*args, **kwargs)
        finally:
            count_syncs["on"] = False

    monkeypatch.setattr("minority_gen.plan.train_gan", counted)
    X, y = three_blobs(n=(40, 16))
    sampler = GANOversampler(n_iter=200, batch_size=8, latent_dim=4, hidden_dims=(8,), device="cpu",
                             random_state=0).fit(X, y)
    assert len(sampler.history_) == 200
    assert count_syncs["n"] <= 200 // training.FLUSH_EVERY + 2


def test_records_are_those_of_a_flush_every_iteration():
    method = get_method("rumi")
    runs = [train_gan(method, tiny_nets(method), tiny_sampler(method), config(n_iter=30),
                      torch.Generator().manual_seed(0), limits=divergence_limits(three_blobs()[0]),
                      flush_every=every)[0] for every in (1, 7, 50)]
    assert runs[0] == runs[1] == runs[2]


class _Recorder:
    def __init__(self):
        self.iterations = []

    def on_train_begin(self, n_iter, label):
        pass

    def on_iteration_end(self, iteration, record):
        assert record["iteration"] == iteration
        self.iterations.append(iteration)

    def on_train_end(self):
        pass


class _ExplodesAt(nn.Module):
    """Wraps a generator: from its ``at``-th training-mode call on, its rows are multiplied by ``factor``."""

    def __init__(self, G, at, factor):
        super().__init__()
        self.G, self.at, self.factor, self.calls = G, at, factor, 0

    def forward(self, z, y=None):
        self.calls += self.training
        out = self.G(z, y) if y is not None else self.G(z)
        return out * self.factor if self.training and self.calls >= self.at else out


@pytest.mark.parametrize("factor, match", [
    (1e9, r"diverged at iteration 7: the generator produced \|value\| .* in column \d of the encoded rows"),
    (float("nan"), r"diverged at iteration 7: the (discriminator|generator) loss is nan"),
])
def test_a_divergence_inside_a_window_names_its_iteration_and_delivers_no_later_record(factor, match):
    method = get_method("rumi")
    nets = tiny_nets(method)
    nets.G = _ExplodesAt(nets.G, at=2 * 7 - 1, factor=factor)  # two generator calls per iteration (D step, G step)
    recorder = _Recorder()
    with pytest.raises(DivergenceError, match=match):
        train_gan(method, nets, tiny_sampler(method), config(n_iter=100), torch.Generator().manual_seed(0),
                  callbacks=[recorder], limits=divergence_limits(three_blobs()[0]), flush_every=50)
    assert all(i < 7 for i in recorder.iterations)  # no record of the diverged iteration or a later one


def test_callbacks_get_every_record_in_order():
    method = get_method("rumi")
    recorder = _Recorder()
    records, _ = train_gan(method, tiny_nets(method), tiny_sampler(method), config(n_iter=23),
                           torch.Generator().manual_seed(0), callbacks=[recorder], flush_every=5)
    assert recorder.iterations == [r["iteration"] for r in records] == list(range(1, 24))


def test_a_failure_after_an_unflushed_divergence_reports_the_divergence():
    method = get_method("rumi")
    nets = tiny_nets(method)
    nets.G = _ExplodesAt(nets.G, at=3, factor=float("nan"))
    boom = {"calls": 0}
    real_sample = tiny_sampler(method)

    class Sampler:
        n_rows = real_sample.n_rows

        def sample(self, gen, with_real=True):
            boom["calls"] += 1
            if boom["calls"] > 10:
                raise RuntimeError("probability tensor contains inf or nan")
            return real_sample.sample(gen, with_real)

    with pytest.raises(DivergenceError, match="diverged at iteration 2") as err:
        train_gan(method, nets, Sampler(), config(n_iter=50), torch.Generator().manual_seed(0), flush_every=50)
    assert isinstance(err.value.__context__, RuntimeError)


def test_flush_every_must_be_positive():
    method = get_method("rumi")
    with pytest.raises(ValueError, match="flush_every must be >= 1; got 0"):
        train_gan(method, tiny_nets(method), tiny_sampler(method), config(), torch.Generator(), flush_every=0)


def test_the_monitor_is_evaluated_at_its_iterations_within_a_window():
    X, y = three_blobs(n=(40, 16))
    sampler = GANOversampler(n_iter=30, batch_size=8, latent_dim=4, hidden_dims=(8,), device="cpu",
                             selection="quality", eval_every=7, random_state=0).fit(X, y)
    scored = sampler.history_.dropna(subset=["q_score"])["iteration"].tolist()
    assert scored == [7, 14, 21, 28, 30]
    assert np.isfinite(sampler.history_["d_loss"]).all()


def test_an_image_fit_with_diffaugment_and_amp_synchronises_once_per_flush(count_syncs, monkeypatch):
    """The convolutional networks, DiffAugment and autocast add no host read to the loop."""
    real = training.train_gan

    def counted(*args, **kwargs):
        count_syncs["on"] = True
        try:
            return real(*args, **kwargs, flush_every=25)
        finally:
            count_syncs["on"] = False

    monkeypatch.setattr("minority_gen.plan.train_gan", counted)
    X = np.random.default_rng(0).integers(0, 256, (14, 16, 16), dtype=np.uint8)
    y = np.repeat([0, 1], [10, 4])
    for method in ("rumi", "acgan"):
        count_syncs["n"] = 0
        GANOversampler(method=method, n_iter=50, batch_size=4, latent_dim=4, hidden_dims=(4,), device="cpu",
                       amp=True, random_state=0).fit(X, y)
        assert count_syncs["n"] <= 50 // 25 + 1, method
