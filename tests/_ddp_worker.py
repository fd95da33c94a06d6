"""Run by tests/test_distributed.py under ``torchrun --nproc_per_node 2``: both routes of data-parallel training.

Usage: ``_ddp_worker.py IMAGE_FOLDER OUT_DIR``. Each rank writes
``OUT_DIR/rank<r>.json``: whether its networks equal every other rank's
(checked with an all-reduce), a digest of its weights, and its first losses.
Rank 0 writes ``OUT_DIR/fit.mgz`` (the function route); then the ``images``
command runs with ``--ddp`` and writes ``OUT_DIR/images/`` and
``OUT_DIR/cli.mgz``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import torch
from sklearn.base import clone

torch.set_num_threads(1)

from minority_gen import GANOversampler, cli  # noqa: E402
from minority_gen.commands.images import read_image_folder  # noqa: E402
from minority_gen.distributed import fit_ddp, rank, same_on_every_rank  # noqa: E402

TINY = ["--n-iter", "6", "--batch-size", "4", "--width", "4", "--device", "cpu", "--quiet"]


def _tensors(sampler) -> list[torch.Tensor]:
    nets = [m for cls in sampler.generators_ for m in (sampler.generators_[cls], sampler.discriminators_[cls])]
    return [t for m in nets for t in (*m.parameters(), *m.buffers()) if t.is_floating_point()]


def main(folder: Path, out: Path) -> None:
    X, y, _ = read_image_folder(folder)
    sampler = GANOversampler(method="rumi", n_iter=6, batch_size=4, latent_dim=4, hidden_dims=(4,), device="cpu",
                             diffaugment=None, random_state=0)  # batches and noise alone differ by rank
    fit_ddp(sampler, X, y, out / "fit.mgz")
    tensors = _tensors(sampler)
    digest = hashlib.sha256(b"".join(t.detach().numpy().tobytes() for t in tensors)).hexdigest()
    same = same_on_every_rank(tensors)  # over the group fit_ddp initialised, which it leaves for later calls
    d_loss = sampler.history_["d_loss"].tolist()[:3]
    # unseeded, the ranks draw different initial weights: rank 0's are broadcast
    unseeded = fit_ddp(clone(sampler).set_params(random_state=None, n_iter=2), X, y)
    (out / f"rank{rank()}.json").write_text(json.dumps({
        "same": same, "same_unseeded": same_on_every_rank(_tensors(unseeded)), "digest": digest,
        "d_loss": d_loss}))
    code = cli.main(["images", str(folder), "--out", str(out / "images"), "--ddp", "--save-model",
                     str(out / "cli.mgz"), *TINY])  # the command reuses that group too
    torch.distributed.destroy_process_group()
    sys.exit(code)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
