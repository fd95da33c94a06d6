"""Data-parallel training (``minority_gen.distributed``): two gloo processes under torchrun, and the errors.

The two-process test runs ``tests/_ddp_worker.py`` with
``python -m torch.distributed.run --standalone --nproc_per_node 2`` on tiny
16 × 16 images: the function route (``fit_ddp``) and the command line
(``images --ddp``), each for a few iterations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
from PIL import Image

from minority_gen import GANOversampler, distributed
from minority_gen.cli import main
from minority_gen.distributed import AllReduceOptimizer, DataParallel, fit_ddp, rank_seed

REPO = Path(__file__).resolve().parents[1]
TINY = dict(n_iter=6, batch_size=4, latent_dim=4, hidden_dims=(4,), device="cpu", random_state=0)


def _folder(root: Path, counts=(("benign", 8), ("malignant", 3)), side=16) -> Path:
    rng = np.random.default_rng(0)
    for cls, n in counts:
        (root / cls).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (side, side), dtype=np.uint8)).save(root / cls / f"{i}.png")
    return root


@pytest.fixture
def no_torchrun(monkeypatch):
    for name in distributed.TORCHRUN_ENV:
        monkeypatch.delenv(name, raising=False)


def test_two_gloo_processes_train_one_gan_in_sync_and_rank_0_writes_a_loadable_model(tmp_path):
    folder = _folder(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(REPO / "tests" / "_ddp_worker.py"), str(folder), str(out)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    # the networks are bitwise identical on both ranks, though each rank drew its own batches
    assert ranks[0]["same"] and ranks[1]["same"] and ranks[0]["digest"] == ranks[1]["digest"]
    assert ranks[0]["same_unseeded"] and ranks[1]["same_unseeded"]
    assert ranks[0]["d_loss"] != ranks[1]["d_loss"]
    # rank 0 wrote the models (no temporary files left), and they load and sample
    for name in ("fit.mgz", "cli.mgz"):
        loaded = GANOversampler.load(out / name)
        assert loaded.sample(3, y="malignant", random_state=0).shape == (3, 16, 16)
    assert sorted(p.name for p in out.iterdir()) == ["cli.mgz", "fit.mgz", "images", "rank0.json", "rank1.json"]
    assert len(list((out / "images" / "malignant").glob("synthetic_*.png"))) == 5
    assert "on 2 processes" in done.stdout and done.stdout.count("synthetic PNGs written") == 1


def test_one_process_fit_ddp_is_a_plain_fit(tmp_path):
    """Rank 0 keeps the drawn seeds: a world of one process fits exactly what fit does."""
    X = np.random.default_rng(0).integers(0, 256, (14, 16, 16), dtype=np.uint8)
    y = np.repeat([0, 1], [10, 4])
    plain = GANOversampler(**TINY).fit(X, y)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        ddp = fit_ddp(GANOversampler(**TINY), X, y, tmp_path / "m.mgz")
        assert dist.is_initialized()  # a group it did not create is left as it was
    finally:
        dist.destroy_process_group()
    assert ddp.history_.equals(plain.history_)
    loaded = GANOversampler.load(tmp_path / "m.mgz")
    assert np.array_equal(loaded.sample(4, random_state=1), plain.sample(4, random_state=1))


def test_fit_ddp_outside_torchrun_says_how_to_launch(no_torchrun):
    with pytest.raises(ValueError, match=r"torchrun.*lacks RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, "
                                         r"MASTER_PORT.*torchrun --nproc_per_node 2 train.py"):
        fit_ddp(GANOversampler(**TINY), np.zeros((4, 16, 16)), np.array([0, 0, 1, 1]))


@pytest.mark.parametrize("params, match", [
    (dict(selection="quality", patience=2), "early stopping"),
    (dict(n_jobs=2), "n_jobs=2"),
    (dict(device="cuda:1"), "LOCAL_RANK"),
    (dict(device="tpu"), "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"),
])
def test_fit_ddp_refuses_what_it_cannot_honour(params, match):
    with pytest.raises(ValueError, match=match):
        fit_ddp(GANOversampler(**{**TINY, **params}), np.zeros((4, 16, 16)), np.array([0, 0, 1, 1]))


def test_images_ddp_outside_torchrun_is_a_usage_error_before_reading(tmp_path, capsys, no_torchrun):
    code = main(["images", str(tmp_path / "absent"), "--out", str(tmp_path / "out"), "--ddp"])
    err = capsys.readouterr().err
    assert code == 2 and "--ddp runs in the processes torchrun starts" in err and "lacks RANK" in err
    assert not (tmp_path / "out").exists()


def test_rank_seeds_differ_by_rank_and_keep_rank_0():
    seeds = [rank_seed(7, r) for r in range(4)]
    assert seeds[0] == 7 and len(set(seeds)) == 4 and all(0 <= s < 2**63 for s in seeds)


def test_the_optimiser_wrapper_averages_gradients_and_leaves_missing_ones_alone(monkeypatch):
    """The all-reduce is mocked as a sum over two ranks whose other rank has gradient 3."""
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))
    a.grad = torch.full((2,), 1.0)
    opt = AllReduceOptimizer(torch.optim.SGD([a, b], lr=1.0), DataParallel(rank=0, world_size=2))
    monkeypatch.setattr(dist, "all_reduce", lambda t, group=None: t.add_(3.0))
    opt.step()
    assert torch.equal(a.grad, torch.full((2,), 2.0)) and torch.equal(a.detach(), torch.full((2,), -1.0))
    assert b.grad is None and torch.equal(b.detach(), torch.ones(3))
