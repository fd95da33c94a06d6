"""Callbacks passed to ``fit`` or ``fit_resample``: generator snapshots (protocol D scores a fit at several
training lengths).

A snapshot must be the sampling generator as it was at its iteration: loading the last one reproduces the
fitted sampler's rows, an earlier one gives other rows, and taking snapshots leaves the fit's output
unchanged. Callbacks are checked before training.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from minority_gen import GANOversampler
from minority_gen.callbacks import GeneratorSnapshots, ProgressBar, watches_generator

TINY = dict(n_iter=12, hidden_dims=(8,), batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_classification(120, 4, n_informative=3, n_redundant=0, weights=[0.8], random_state=0)


@pytest.mark.parametrize("ema", [None, 0.9])
def test_snapshots_are_the_sampling_generator_at_their_iteration(data, ema):
    X, y = data
    snaps = GeneratorSnapshots(every=4)
    sampler = GANOversampler(**TINY, ema=ema).fit(X, y, callbacks=[snaps])
    (label, states), = snaps.states.items()
    assert "1" in label and sorted(states) == [4, 8, 12]
    rows = sampler.sample(20, y=1, random_state=3)
    plain = GANOversampler(**TINY, ema=ema).fit(X, y)
    np.testing.assert_array_equal(plain.sample(20, y=1, random_state=3), rows)  # watching changes nothing
    G = sampler.generators_[1]
    G.load_state_dict(states[12])
    np.testing.assert_array_equal(sampler.sample(20, y=1, random_state=3), rows)
    G.load_state_dict(states[4])
    assert not np.allclose(sampler.sample(20, y=1, random_state=3), rows)
    assert all(v.device.type == "cpu" for s in states.values() for v in s.values())
    assert any(not torch.equal(states[4][k], states[12][k]) for k in states[4])  # copies, not the live weights


def test_each_class_gets_its_own_snapshots(data):
    X, y = data
    y = y.copy()
    y[:10] = 2  # a third class: two GANs grow
    snaps = GeneratorSnapshots(every=6)
    GANOversampler(**TINY).fit(X, y, callbacks=[snaps])
    assert len(snaps.states) == 2 and all(sorted(s) == [6, 12] for s in snaps.states.values())


def test_fit_resample_takes_callbacks_as_fit_does(data):
    X, y = data
    snaps = GeneratorSnapshots(every=6)
    X_res, _ = GANOversampler(**TINY).fit_resample(X, y, callbacks=[snaps])
    (label, states), = snaps.states.items()
    assert "1" in label and sorted(states) == [6, 12]
    X_plain, _ = GANOversampler(**TINY).fit_resample(X, y)
    np.testing.assert_array_equal(X_plain, X_res)  # watching changes nothing
    with pytest.raises(TypeError, match="list of callbacks"):
        GANOversampler(**TINY).fit_resample(X, y, callbacks=snaps)


def test_bad_callbacks_are_refused_before_training(data):
    X, y = data
    sampler = GANOversampler(**TINY)
    with pytest.raises(TypeError, match="list of callbacks"):
        sampler.fit(X, y, callbacks=GeneratorSnapshots(every=2))
    with pytest.raises(TypeError, match="lacks on_train_begin"):
        sampler.fit(X, y, callbacks=[object()])
    with pytest.raises(ValueError, match="n_jobs=1"):
        GANOversampler(**TINY, n_jobs=2).fit(X, y, callbacks=[GeneratorSnapshots(every=2)])
    assert not hasattr(sampler, "model_")
    with pytest.raises(ValueError, match="positive integer"):
        GeneratorSnapshots(every=0)


def test_a_callback_without_generator_every_does_not_watch():
    class Losses:
        def on_train_begin(self, n_iter, label): ...
        def on_iteration_end(self, iteration, record): ...
        def on_train_end(self): ...
        def on_generator(self, iteration, G): ...

    assert not watches_generator(Losses()) and watches_generator(GeneratorSnapshots(every=1))


@pytest.mark.parametrize("n_iter, trained", [(30, 30), (30, 12)])
def test_progress_bar_ends_on_the_last_losses(n_iter, trained, capsys):
    # the losses were refreshed on multiples of 25 only: a finished bar showed iteration 25's (or none)
    bar = ProgressBar()
    bar.on_train_begin(n_iter, "class 1")
    for it in range(1, trained + 1):  # trained < n_iter: stopped early
        bar.on_iteration_end(it, {"d_loss": float(it), "g_loss": -float(it)})
    bar.on_train_end()
    assert bar._bar.postfix == f"d_loss={trained:.4f}, g_loss={-trained:.4f}"
    assert f"d_loss={trained:.4f}, g_loss={-trained:.4f}" in capsys.readouterr().err.splitlines()[-1]


def test_a_fit_s_bar_ends_on_the_fit_s_last_losses(data, capsys):
    X, y = data
    sampler = GANOversampler(**{**TINY, "n_iter": 30}, verbose=True).fit(X, y)
    last = sampler.history_.iloc[-1]
    assert f"d_loss={last['d_loss']:.4f}, g_loss={last['g_loss']:.4f}" in capsys.readouterr().err


class _Recorder:
    def __init__(self, fail_begin=False, fail_iteration=False):
        self.events, self.fail_begin, self.fail_iteration = [], fail_begin, fail_iteration

    def on_train_begin(self, n_iter, label):
        self.events.append("begin")
        if self.fail_begin:
            raise RuntimeError("cannot begin")

    def on_iteration_end(self, iteration, record):
        if self.fail_iteration:
            raise RuntimeError("cannot record")

    def on_train_end(self):
        self.events.append("end")


def test_callbacks_begun_are_ended_when_a_later_one_fails_to_begin(data):
    # on_train_begin ran before the try whose finally calls on_train_end: a bar opened before the failing
    # callback was never closed
    X, y = data
    bar, before, failing, after = ProgressBar(), _Recorder(), _Recorder(fail_begin=True), _Recorder()
    with pytest.raises(RuntimeError, match="cannot begin"):
        GANOversampler(**TINY).fit(X, y, callbacks=[bar, before, failing, after])
    assert bar._bar.disable and before.events == ["begin", "end"]  # the bar is closed
    assert failing.events == ["begin"] and after.events == []  # never begun: not ended
    # the replay of a parallel fit's records to the callbacks ends them as training does
    import minority_gen.plan as plan_module

    before, failing = _Recorder(), _Recorder(fail_begin=True)
    with pytest.raises(RuntimeError, match="cannot begin"):
        plan_module._replay([before, failing], 3, "class 1", [])
    assert before.events == ["begin", "end"] and failing.events == ["begin"]
    broken = _Recorder(fail_iteration=True)
    with pytest.raises(RuntimeError, match="cannot record"):
        plan_module._replay([broken], 3, "class 1", [{"iteration": 1, "d_loss": 0.0, "g_loss": 0.0}])
    assert broken.events == ["begin", "end"]
