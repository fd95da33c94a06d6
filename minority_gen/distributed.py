"""Data-parallel training of one GAN on several processes (``torch.distributed``, launched by ``torchrun``).

Every process (*rank*) runs the same fit on the same data: it builds the
same networks, draws its own batches and noise, and before every optimiser
step the gradients of every network in that optimiser (the generator, the
discriminator and a method's extra networks, such as UAC-GAN's statistics
network) are averaged over the ranks with one all-reduce. The networks thus
stay identical on every rank, and each step learns from ``world_size``
batches at once. Rank 0 alone writes the model.

* **Batch.** ``batch_size`` is per process: one iteration sees
  ``world_size × batch_size`` rows (or images) of each kind. To keep a
  single-process fit's batch, divide ``batch_size`` by the number of
  processes.
* **Seeds.** Every rank draws the same seeds from ``random_state``. The
  initial weights come from the same seed and are in addition broadcast from
  rank 0, so they are identical even with ``random_state=None``. The batch
  and noise seed (and the DiffAugment seed) of rank ``r > 0`` is derived from
  the drawn seed and ``r`` (``numpy.random.SeedSequence([seed, r])``); rank 0
  keeps the drawn seed, so it draws exactly what a single-process fit draws.
  The quality monitor's seed is the same on every rank.
* **Devices and backends.** With ``device="auto"`` or ``"cuda"`` and a GPU,
  rank ``r`` uses ``cuda:LOCAL_RANK`` and the NCCL backend; on the CPU, the
  gloo backend. A process group initialised beforehand is used as it is;
  one :func:`fit_ddp` initialises stays initialised for later calls.
* **Output.** Rank 0 writes the model file (atomically, as
  :meth:`~minority_gen.GANOversampler.save` does), and every rank returns
  once it is written. ``history_`` holds each rank's own losses (the saved
  one is rank 0's). Normalisation buffers (batch-norm running statistics)
  are copied from rank 0 at the end of training, as PyTorch's
  ``DistributedDataParallel`` copies them before every forward pass.
* **Not supported**: early stopping (``patience``: every rank must run the
  same number of iterations) and ``n_jobs`` above 1 (one GAN at a time; an
  unconditional method's per-class GANs train one after the other, each
  data-parallel).

A rank that fails (a :class:`~minority_gen.DivergenceError` ...) raises;
``torchrun`` then stops the other ranks and reports the failure.

Examples
--------
A script ``train.py``, run with ``torchrun --nproc_per_node 2 train.py``::

    from minority_gen import GANOversampler
    from minority_gen.distributed import fit_ddp

    X, y = ...                                   # the same on every rank
    sampler = GANOversampler(method="rumi", n_iter=2000, random_state=0)
    fit_ddp(sampler, X, y, "model.mgz")          # rank 0 writes model.mgz
    # later, anywhere: GANOversampler.load("model.mgz").sample(100, y=1)

The ``images`` command does the same with ``--ddp``:
``torchrun --nproc_per_node 4 -m minority_gen images IN --out OUT --ddp``.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.distributed as dist

from .ddp import (
    AllReduceOptimizer,
    DataParallel,
    active,
    data_parallel,
    rank,
    rank_seed,
    same_on_every_rank,
    world_size,
)
from .devices import resolve_device
from .persistence import save_sampler

__all__ = ["AllReduceOptimizer", "DataParallel", "active", "check_sampler", "data_parallel", "fit_ddp",
           "launched_by_torchrun", "rank", "rank_seed", "same_on_every_rank", "world_size"]

#: What ``torchrun`` sets in every process it starts, and ``init_process_group("env://")`` reads.
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")

_LAUNCH = "torchrun --nproc_per_node 2 train.py"


def launched_by_torchrun() -> bool:
    """Whether this process has the environment ``torchrun`` gives its workers."""
    return all(name in os.environ for name in TORCHRUN_ENV)


def missing_env() -> list[str]:
    """The variables of :data:`TORCHRUN_ENV` absent from the environment."""
    return [name for name in TORCHRUN_ENV if name not in os.environ]


def check_sampler(sampler) -> None:
    """Refuse the settings data-parallel training cannot honour (``patience``, ``n_jobs``, ``device="cuda:N"``)."""
    if sampler.patience is not None:
        raise ValueError(
            f"fit_ddp does not support early stopping (patience={sampler.patience!r}): every process must run "
            "the same number of iterations. Pass patience=None (selection='quality' alone works)."
        )
    if sampler.n_jobs not in (None, 1):
        raise ValueError(
            f"fit_ddp trains one GAN at a time on all processes; n_jobs={sampler.n_jobs!r} would train several "
            "at once. Pass n_jobs=None."
        )
    device = str(sampler.device)
    if device.startswith("cuda:"):
        raise ValueError(
            f"device={device!r}: with fit_ddp each process uses the GPU of its LOCAL_RANK; pass device='auto' "
            "or 'cuda' (or 'cpu' for the gloo backend)."
        )


def fit_ddp(sampler, X, y, path: str | os.PathLike | None = None, *, metadata: dict | None = None,
            backend: str | None = None):
    """Fit ``sampler`` data-parallel on the processes ``torchrun`` started; rank 0 saves it to ``path``.

    Call it on every rank with the same ``sampler`` settings and the same
    data (see the module docstring for batches, seeds, devices and what
    rank 0 writes).

    Parameters
    ----------
    sampler : GANOversampler
        Not fitted yet, or to refit; its ``batch_size`` is per process.
    X, y
        The training data, as for :meth:`~minority_gen.GANOversampler.fit`.
    path : str or path-like, default=None
        Where rank 0 writes the fitted model (:meth:`~minority_gen.GANOversampler.save`);
        ``None``: nothing is written.
    metadata : dict, default=None
        Stored with the model (:func:`~minority_gen.persistence.save_sampler`).
    backend : str, default=None
        The ``torch.distributed`` backend when this call initialises the
        process group: ``None`` picks NCCL for GPUs and gloo for the CPU.
        A group this call initialises stays initialised, so that later
        calls (another sampler, the same script) reuse it: a default group
        cannot be initialised again under ``torchrun`` once destroyed. End
        the script with ``torch.distributed.destroy_process_group()``.

    Returns
    -------
    sampler : GANOversampler
        Fitted on every rank (identical networks).

    Raises
    ------
    ValueError
        No process group is initialised and the environment lacks the
        variables ``torchrun`` sets; a setting data-parallel training
        cannot honour (``patience``, ``n_jobs``, ``device="cuda:N"``); or
        ``device="cuda"`` with no GPU.
    """
    check_sampler(sampler)
    cuda = resolve_device(str(sampler.device)).type == "cuda"  # device='cuda' with no GPU: its clear error, now
    if not dist.is_initialized():
        missing = missing_env()
        if missing:
            raise ValueError(
                f"fit_ddp runs in processes started by torchrun, which sets {', '.join(TORCHRUN_ENV)}; this "
                f"process lacks {', '.join(missing)}. Launch it with e.g. `{_LAUNCH}` (or "
                "`python -m torch.distributed.run --nproc_per_node 2 train.py`), or initialise "
                "torch.distributed yourself before calling fit_ddp."
            )
        if cuda:
            torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
        dist.init_process_group(backend or ("nccl" if cuda else "gloo"))
    elif cuda and "LOCAL_RANK" in os.environ:
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    with data_parallel() as ddp:
        sampler.fit(X, y)
        if path is not None and ddp.rank == 0:
            save_sampler(sampler, Path(path), metadata=metadata)
        dist.barrier()  # the file exists when fit_ddp returns, on every rank
    return sampler


