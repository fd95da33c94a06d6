"""Audit of data-parallel training (``fit_ddp``): checks before training, waits that end, callbacks on rank 0.

The two-process test starts two plain Python processes with the environment
``torchrun`` gives its workers (so that ``fit_ddp`` initialises the gloo
group itself), each running this file's ``__main__`` part; the other tests
use a world of one process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist

from minority_gen import GANOversampler
from minority_gen.distributed import fit_ddp
from minority_gen.persistence import ModelFileError

REPO = Path(__file__).resolve().parents[1]
TABLE = dict(method="rumi", n_iter=4, batch_size=4, latent_dim=2, hidden_dims=(4,), device="cpu", random_state=0)

pytestmark = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="torch.distributed with gloo is unavailable")


def _data():
    X = np.random.default_rng(0).normal(size=(24, 3))
    return X, np.repeat([0, 1], [18, 6])


@pytest.fixture
def world_of_one(tmp_path):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


class Recorder:
    def __init__(self, fail_at: int | None = None):
        self.iterations: list[int] = []
        self.fail_at = fail_at

    def on_train_begin(self, n_iter, label):
        pass

    def on_iteration_end(self, iteration, record):
        self.iterations.append(iteration)
        if self.fail_at is not None and iteration >= self.fail_at:
            raise RuntimeError("callback failed on purpose")

    def on_train_end(self):
        pass


def test_a_bad_model_path_is_refused_before_any_training(world_of_one, tmp_path):
    sampler = GANOversampler(**TABLE)
    with pytest.raises(ModelFileError, match="does not exist"):
        fit_ddp(sampler, *_data(), tmp_path / "absent" / "m.mgz")
    assert not hasattr(sampler, "model_")  # it used to train first and fail at the save


def test_callbacks_reach_the_fit(world_of_one):
    recorder = Recorder()
    fit_ddp(GANOversampler(**TABLE), *_data(), callbacks=[recorder])
    assert recorder.iterations == [1, 2, 3, 4]


@pytest.mark.parametrize("timeout", [0, -1.0, "5", True])
def test_a_bad_timeout_is_refused(timeout, world_of_one):
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        fit_ddp(GANOversampler(**TABLE), *_data(), timeout=timeout)


def test_a_failed_collective_says_another_rank_likely_failed(world_of_one, monkeypatch):
    sampler = GANOversampler(**TABLE)

    def broken(*args, **kwargs):
        raise RuntimeError("[../gloo/transport/tcp/pair.cc:561] Connection closed by peer [127.0.0.1]:1234")

    monkeypatch.setattr(sampler, "fit", broken)
    with pytest.raises(RuntimeError, match="rank 0 of 1: a collective .* another rank failed") as info:
        fit_ddp(sampler, *_data())
    assert "Connection closed by peer" in str(info.value.__cause__)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_ranks(script: str, out: Path, timeout: float) -> list[dict]:
    """Run ``script``'s ``__main__`` part as ranks 0 and 1 of a gloo world (the environment ``torchrun`` gives its
    workers, ``out`` as the argument); what each wrote to ``out / "rank<r>.json"``. Fails the test when a rank
    hangs past ``timeout`` seconds or exits with an error."""
    port, procs = _free_port(), []
    for r in (0, 1):
        env = {**os.environ, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        procs.append(subprocess.Popen([sys.executable, script, str(out)], env=env, cwd=str(REPO),
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = []
    for p in procs:
        try:
            outputs.append(p.communicate(timeout=timeout)[0])
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("a rank hung")
    assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-3000:] for o in outputs)
    return [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]


def test_two_ranks_refuse_different_data_and_settings_and_a_failed_rank_does_not_hang_the_other(tmp_path):
    ranks = run_two_ranks(__file__, tmp_path, timeout=90)
    for r in ranks:
        assert "differ in X (groups that agree: rank 0 / rank 1)" in r["X"]  # not a silent mix of the data
        assert "differ in y" in r["y"]  # not a wait for ever (other classes)
        assert "differ in n_iter" in r["n_iter"]  # not a wait for ever (other iterations)
        assert "does not exist" in r["path"] and "rank 0" in r["path"]
    assert ranks[0]["same"] == ranks[1]["same"]  # identical networks: the same rows on every rank
    assert ranks[0]["callbacks"] == [1, 2, 3, 4] and ranks[1]["callbacks"] == []  # callbacks run on rank 0
    assert (tmp_path / "m.mgz").is_file()
    # random_state=None: one seed for every rank (the same draw seed), and None again after the fit
    assert ranks[0]["none"][0] is None and ranks[0]["none"][1] == ranks[1]["none"][1]
    # rank 0's callback fails mid-training while its process lives on: rank 1 stops at the timeout, not 30 min
    assert ranks[0]["failed"].startswith("RuntimeError: callback failed on purpose")
    assert ranks[1]["failed"].startswith("RuntimeError: fit_ddp on rank 1 of 2: a collective")
    assert ranks[0]["outlived_rank_1"] and ranks[1]["waited"] < 30


def _worker(out: Path) -> None:  # one rank of the two-process test
    torch.set_num_threads(1)
    rank = int(os.environ["RANK"])
    X, y = _data()
    result = {}

    def attempt(key, **kwargs):
        start = time.monotonic()
        try:
            fitted = fit_ddp(GANOversampler(**{**TABLE, **kwargs.pop("params", {})}), **kwargs)
            result[key] = fitted
        except Exception as exc:  # noqa: BLE001 - recorded for the test
            result[key] = f"{type(exc).__name__}: {exc}"
        result["waited"] = time.monotonic() - start

    attempt("X", X=X + rank, y=y, timeout=5)  # initialises the group, with a 5 s timeout
    attempt("y", X=X, y=np.repeat([0, 1, 2], [18, 3, 3]) if rank else y)
    attempt("n_iter", X=X, y=y, params={"n_iter": 4 + rank})
    attempt("path", X=X, y=y, path=out / ("absent" if rank == 0 else ".") / "m.mgz")
    recorder = Recorder()
    attempt("ok", X=X, y=y, path=out / "m.mgz", callbacks=[recorder])
    fitted = result.pop("ok")
    result["same"] = fitted.sample(3, y=1, random_state=1).tolist()
    result["callbacks"] = recorder.iterations
    attempt("none", X=X, y=y, params={"random_state": None})  # rank 0 draws the seed for every rank
    fitted = result.pop("none")
    result["none"] = [fitted.random_state, int(fitted.model_.draw_seed)]
    # n_iter 200: the callback (rank 0 only) gets its first records at iteration 50 and fails; rank 1 waits
    attempt("failed", X=X, y=y, params={"n_iter": 200}, callbacks=[Recorder(fail_at=1)])
    (out / f"rank{rank}.json").write_text(json.dumps(result))
    if rank == 0:  # alive, as a caller that catches the error would be, until rank 1 has stopped waiting
        deadline = time.monotonic() + 40
        while not (out / "rank1.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        result["outlived_rank_1"] = (out / "rank1.json").exists()
        (out / "rank0.json").write_text(json.dumps(result))
    os._exit(0)  # without destroying a broken group


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
