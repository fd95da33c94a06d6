"""Mixed precision (``amp``): when it is on, that it runs, and that it is a proper parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone

from minority_gen import GANOversampler, model, plan, settings
from minority_gen.devices import resolve_amp

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


@pytest.mark.parametrize("amp, device, images, expected", [
    ("auto", CPU, True, False), ("auto", CUDA, True, True), ("auto", CUDA, False, False),
    (True, CPU, False, True), (False, CUDA, True, False),
])
def test_resolve_amp(amp, device, images, expected):
    assert resolve_amp(amp, device, images) is expected


def _images(n=(16, 6), side=16, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, (sum(n), side, side), dtype=np.uint8)
    return X, np.repeat(np.arange(len(n)), n)


TINY_IMAGES = dict(n_iter=3, batch_size=8, latent_dim=4, hidden_dims=(4,), random_state=0)


def test_auto_turns_amp_on_for_images_on_a_cuda_device(monkeypatch):
    """No GPU here: the device is mocked, and training stops before it would start."""
    seen = {}

    class Stop(Exception):
        pass

    def fit_plan(p, *args):
        seen["amp"] = p.config.amp
        raise Stop

    monkeypatch.setattr(settings, "resolve_device", lambda device: CUDA)
    monkeypatch.setattr(model, "to_device", lambda x, device: x)
    monkeypatch.setattr(model, "fit_plan", fit_plan)
    for amp, expected in (("auto", True), (False, False)):
        with pytest.raises(Stop):
            GANOversampler(**TINY_IMAGES, amp=amp).fit(*_images())
        assert seen["amp"] is expected


def test_auto_keeps_amp_off_on_the_cpu(monkeypatch):
    configs = []
    real = plan.train_gan
    monkeypatch.setattr(plan, "train_gan", lambda *a, **k: configs.append(a[3]) or real(*a, **k))
    GANOversampler(**TINY_IMAGES, device="cpu").fit(*_images())
    assert [c.amp for c in configs] == [False]


@pytest.mark.parametrize("method", ["rumi", "acgan", "uacgan", "projection"])
def test_amp_on_the_cpu_trains_in_bfloat16_and_samples_in_float32(method):
    """bfloat16 autocast on the CPU runs the same code path as on a GPU."""
    dtypes = set()
    sampler = GANOversampler(**{**TINY_IMAGES, "n_iter": 4}, method=method, device="cpu", amp=True)
    real_fit = plan.train_gan

    def spy(method_, nets, *args, **kwargs):
        conv = next(m for m in nets.D.modules() if isinstance(m, torch.nn.Conv2d))
        handle = conv.register_forward_hook(lambda m, i, out: dtypes.add(out.dtype) if m.training else None)
        try:
            return real_fit(method_, nets, *args, **kwargs)
        finally:
            handle.remove()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plan, "train_gan", spy)
        X, y = _images()
        X_res, y_res = sampler.fit_resample(X, y)
    assert torch.bfloat16 in dtypes
    assert X_res.dtype == np.uint8 and len(X_res) == 32
    assert np.isfinite(sampler.history_.drop(columns="gan").to_numpy(dtype=float)).all()
    assert next(sampler.generators_[1].parameters()).dtype == torch.float32


def test_amp_is_an_estimator_parameter(tmp_path):
    sampler = GANOversampler(amp=True)
    assert sampler.get_params()["amp"] is True and clone(sampler).amp is True
    assert GANOversampler().amp == "auto"
    fitted = GANOversampler(**TINY_IMAGES, device="cpu", amp=False).fit(*_images())
    fitted.save(tmp_path / "m.mgz")
    loaded = GANOversampler.load(tmp_path / "m.mgz")
    assert loaded.amp is False
    assert np.array_equal(loaded.sample(2, random_state=0), fitted.sample(2, random_state=0))


@pytest.mark.parametrize("bad", ["yes", 2.5, None])
def test_bad_amp_is_refused_naming_the_parameter(bad):
    X, y = _images()
    with pytest.raises(ValueError, match=r"'amp' parameter of GANOversampler must be .*Got"):
        GANOversampler(**TINY_IMAGES, device="cpu", amp=bad).fit(X, y)
