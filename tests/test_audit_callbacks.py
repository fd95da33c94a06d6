"""Audit of the training-observation API: callback errors, records, plots' files and layout."""

import struct

import numpy as np
import pandas as pd
import pytest

from minority_gen import GANOversampler, plotting
from minority_gen import callbacks as cbs


class Recorder:
    def __init__(self):
        self.begun = self.ended = 0
        self.records = []

    def on_train_begin(self, n_iter, label):
        self.begun += 1

    def on_iteration_end(self, iteration, record):
        self.records.append(record)

    def on_train_end(self):
        self.ended += 1


class Failing(Recorder):
    def __init__(self, where):
        super().__init__()
        self.where = where

    def on_train_begin(self, n_iter, label):
        if self.where == "begin":
            raise RuntimeError("boom")

    def on_iteration_end(self, iteration, record):
        if self.where == "iteration":
            raise RuntimeError("boom")
        record["d_loss"] = 999.0  # a callback that scribbles on its record

    def on_train_end(self):
        if self.where == "end":
            raise RuntimeError("boom")


def _png_size(path):
    with open(path, "rb") as f:
        return struct.unpack(">II", f.read(24)[16:24])


def test_a_failing_on_train_begin_is_named():
    before = Recorder()
    with pytest.raises(RuntimeError) as info:
        cbs.begin_all([before, Failing("begin")], 5, "rumi")
    assert any("Failing.on_train_begin" in note for note in info.value.__notes__)
    assert before.ended == 1


def test_a_failing_end_while_unwinding_keeps_the_begin_error():
    class BadEnd(Recorder):
        def on_train_end(self):
            raise ValueError("end")

    with pytest.raises(RuntimeError, match="boom"):
        cbs.begin_all([BadEnd(), Failing("begin")], 5, "rumi")


def test_every_callback_is_ended_when_one_end_raises():
    after = Recorder()
    with pytest.raises(RuntimeError) as info:
        cbs.end_all([Failing("end"), after])
    assert after.ended == 1
    assert any("Failing.on_train_end" in note for note in info.value.__notes__)
    cbs.end_all([Failing("end")], suppress=True)  # while another error unwinds: dropped


def test_callbacks_get_copies_of_the_record_and_errors_name_them():
    record = {"iteration": 1, "d_loss": 1.0}
    watcher, later = Failing("never"), Recorder()
    cbs.iteration_end_all([watcher, later], record)
    assert record["d_loss"] == 1.0 and later.records[0]["d_loss"] == 1.0
    with pytest.raises(RuntimeError) as info:
        cbs.iteration_end_all([Failing("iteration")], record)
    assert any("Failing.on_iteration_end" in note for note in info.value.__notes__)


def test_a_fit_whose_callback_fails_to_begin_names_it_and_keeps_the_previous_fit():
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.array([0] * 20 + [1] * 10)
    sampler = GANOversampler(n_iter=5, batch_size=8, latent_dim=4, hidden_dims=(8,), random_state=0).fit(X, y)
    history, model = sampler.history_.copy(), sampler.model_
    with pytest.raises(RuntimeError) as info:
        sampler.fit(X, y, callbacks=[Failing("begin")])
    assert any("Failing.on_train_begin" in note for note in info.value.__notes__)
    assert sampler.model_ is model and sampler.history_.equals(history)


def test_a_path_without_suffix_is_the_file_written(tmp_path):
    h = pd.DataFrame({"gan": 1, "iteration": [1, 2, 3], "d_loss": 1.0, "g_loss": 1.0})
    out = plotting.plot_loss_curves(h, tmp_path / "loss")
    assert out.is_file() and sorted(p.name for p in tmp_path.iterdir()) == ["loss"]
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_many_gans_wrap_onto_rows(tmp_path):
    h = pd.concat([pd.DataFrame({"gan": g, "iteration": [1, 2, 3], "d_loss": 1.0, "g_loss": 1.0,
                                 "q_precision": 0.5, "q_coverage": 0.5, "q_copies": 0.0, "q_score": 0.5})
                   for g in range(10)], ignore_index=True)
    one = _png_size(plotting.plot_loss_curves(h[h["gan"] == 0], tmp_path / "one.png"))
    ten = _png_size(plotting.plot_loss_curves(h, tmp_path / "ten.png"))
    assert ten[0] <= 4 * one[0] + 10 and ten[1] == pytest.approx(3 * one[1], rel=0.05)
    q = _png_size(plotting.plot_quality_curve(h, tmp_path / "q.png"))
    assert q[0] <= 4 * one[0] + 10


def test_quality_curve_shows_negative_scores(tmp_path, monkeypatch):
    axes = []
    real_panels = plotting._panels

    def spy(n):
        fig, ax = real_panels(n)
        axes.extend(ax)
        return fig, ax

    monkeypatch.setattr(plotting, "_panels", spy)
    h = pd.DataFrame({"gan": [1, 1], "iteration": [1, 2], "d_loss": 1.0, "g_loss": 1.0,
                      "q_precision": [1.0, 0.5], "q_coverage": [1.0, 0.5], "q_copies": [1.0, 0.0],
                      "q_score": [-1.0, 0.5]}, index=[7, 7])  # a duplicated index too
    plotting.plot_quality_curve(h, tmp_path / "q.png")
    assert axes[0].get_ylim()[0] <= -1.0


def _three_classes():
    rng = np.random.default_rng(0)
    return rng.normal(size=(60, 3)), np.r_[np.zeros(40, int), np.ones(10, int), np.full(10, 2)]


@pytest.mark.parametrize("n_jobs", [None, 2])  # trained in the loop, or replayed from a worker's records
def test_in_a_fit_a_scribbling_callback_leaves_history_alone_and_a_failing_one_is_named(n_jobs):
    X, y = _three_classes()
    params = dict(n_iter=10, hidden_dims=(8,), random_state=0, n_jobs=n_jobs)
    plain = GANOversampler(**params).fit(X, y).history_
    sampler = GANOversampler(**params).fit(X, y, callbacks=[Failing("none"), Recorder()])
    pd.testing.assert_frame_equal(sampler.history_, plain)  # not every d_loss 999
    after = Recorder()
    with pytest.raises(RuntimeError, match="boom") as err:
        sampler.fit(X, y, callbacks=[Failing("iteration"), after])
    assert any("Failing.on_iteration_end" in note for note in getattr(err.value, "__notes__", []))
    assert after.begun == after.ended >= 1  # the callback after the failing one was ended all the same
    pd.testing.assert_frame_equal(sampler.history_, plain)  # the failed refit lost nothing


def test_in_a_fit_an_end_that_raises_still_ends_the_others_and_names_itself():
    X, y = _three_classes()
    after = Recorder()
    with pytest.raises(RuntimeError, match="boom") as err:
        GANOversampler(n_iter=10, hidden_dims=(8,), random_state=0).fit(X, y, callbacks=[Failing("end"), after])
    assert any("Failing.on_train_end" in note for note in getattr(err.value, "__notes__", []))
    assert after.begun == after.ended == 1
