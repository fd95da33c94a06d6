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
  The quality monitor's seed is the same on every rank. With
  ``random_state=None`` rank 0 draws one seed and gives it to every rank for
  the fit (``random_state`` is ``None`` again afterwards).
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

* **Checks.** Before training, the ranks compare digests of ``X``, ``y``
  and every sampler setting (:func:`check_same_everywhere`), and rank 0
  checks the model path: a difference or a bad path raises on every rank.
* **Callbacks** (``fit_ddp(..., callbacks=...)``) and the progress bar run
  on rank 0 only. So does the display of warnings raised during the fit;
  the other ranks still apply the warning filters (an ``"error"`` filter
  raises on every rank).
* **Divergence.** The ranks combine their divergence checks at every flush
  of the training loop (one all-reduce): a
  :class:`~minority_gen.DivergenceError` found on any rank is raised, with
  the same message, on every rank.

A rank that fails otherwise (a callback's error ...) raises.
When its process exits, the others' next collective fails at once (gloo;
they raise a ``RuntimeError`` naming the likely cause) and ``torchrun``
stops them; when it lives on, they wait until the process group's timeout
(``fit_ddp(timeout=...)``; torch's default is 30 minutes for gloo).

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

import contextlib
import datetime
import hashlib
import os
import warnings
from numbers import Real
from pathlib import Path

import joblib
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
from .persistence import ModelFileError, check_writable, save_sampler

__all__ = ["AllReduceOptimizer", "DataParallel", "active", "check_same_everywhere", "check_sampler", "data_parallel",
           "fit_ddp", "launched_by_torchrun", "rank", "rank_seed", "same_on_every_rank", "world_size"]

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
            backend: str | None = None, timeout: float | datetime.timedelta | None = None, callbacks=()):
    """Fit ``sampler`` data-parallel on the processes ``torchrun`` started; rank 0 saves it to ``path``.

    Call it on every rank with the same ``sampler`` settings and the same
    data (see the module docstring for batches, seeds, devices and what
    rank 0 writes). Before any training, the ranks compare digests of
    ``X``, ``y`` and every setting of ``sampler``, and rank 0 checks that
    ``path`` can be written; a difference or a bad path is raised on every
    rank at once.

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
    timeout : float or datetime.timedelta, default=None
        Seconds (or a ``timedelta``) that a rank waits in a collective for
        the others, when this call initialises the process group; ``None``
        keeps torch's default (30 minutes for gloo, 10 for NCCL). It bounds
        the wait when another rank's fit failed but its process lives on
        (a caller that catches the error); a rank whose process exits is
        noticed at once (gloo) and ``torchrun`` stops the others. Set it
        well above the time of one iteration and of the final save.
    callbacks : sequence, default=()
        Training events, as for :meth:`~minority_gen.GANOversampler.fit`;
        they run on rank 0 only (as the progress bar of ``verbose`` does).

    Returns
    -------
    sampler : GANOversampler
        Fitted on every rank (identical networks).

    Raises
    ------
    ValueError
        No process group is initialised and the environment lacks the
        variables ``torchrun`` sets; a setting data-parallel training
        cannot honour (``patience``, ``n_jobs``, ``device="cuda:N"``);
        ``device="cuda"`` with no GPU; or data or settings that differ
        between ranks.
    ModelFileError
        ``path`` cannot be written (on rank 0), before any training.
    RuntimeError
        Another rank failed, stopped or timed out during training.
    """
    check_sampler(sampler)
    cuda = resolve_device(str(sampler.device)).type == "cuda"  # device='cuda' with no GPU: its clear error, now
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        if isinstance(timeout, bool) or not isinstance(timeout, Real) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds or a datetime.timedelta; got {timeout!r}.")
        timeout = datetime.timedelta(seconds=float(timeout))
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
        dist.init_process_group(backend or ("nccl" if cuda else "gloo"), timeout=timeout)
    elif cuda and "LOCAL_RANK" in os.environ:
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    with data_parallel() as ddp:
        check_same_everywhere(sampler, X, y, None if path is None else Path(path))  # every rank raises alike
        given = sampler.random_state
        try:
            if given is None:  # one seed for every rank, so that they draw the same seeds (restored after)
                sampler.set_params(random_state=ddp.shared_seed())
            with _shown_on_rank_0(ddp.rank):
                sampler.fit(X, y, callbacks=callbacks)
            if path is not None and ddp.rank == 0:
                save_sampler(sampler, Path(path), metadata=metadata)
            dist.barrier()  # the file exists when fit_ddp returns, on every rank
        except Exception as exc:
            if _collective_failed(exc):
                raise RuntimeError(
                    f"fit_ddp on rank {ddp.rank} of {ddp.world_size}: a collective with the other processes "
                    "failed or timed out, most likely because another rank failed or stopped; its own error says why "
                    "(torchrun reports it as the root cause)."
                ) from exc
            raise
        finally:
            sampler.set_params(random_state=given)
    return sampler


def _silent(*args, **kwargs) -> None:
    """A ``warnings.showwarning`` that shows nothing."""


@contextlib.contextmanager
def _shown_on_rank_0(rank_: int):
    """Warnings inside are shown on rank 0 alone.

    On the other ranks they still go through the warning filters, so a
    filter that turns one into an error (``-W error``) raises it on every
    rank alike, as an ``"ignore"`` filter would not; only their display
    (``warnings.showwarning``) is silenced. Filters and ``showwarning`` are
    restored on the way out.
    """
    if rank_ == 0:
        yield
        return
    with warnings.catch_warnings():
        warnings.showwarning = _silent
        yield


def _collective_failed(exc: BaseException) -> bool:
    dist_error = getattr(dist, "DistError", ())
    return isinstance(exc, dist_error) or (isinstance(exc, RuntimeError) and "gloo" in str(exc).lower())


def _digest(value) -> str:
    try:
        return joblib.hash(value)
    except Exception:  # noqa: BLE001 - what does not pickle: its text
        return hashlib.sha256(repr(value).encode()).hexdigest()


def check_same_everywhere(sampler, X, y, path: Path | None = None) -> None:
    """Raise on every rank if ``X``, ``y`` or ``sampler``'s settings differ by rank, or rank 0 cannot write ``path``.

    One ``all_gather_object`` of digests (``joblib.hash``) and of rank 0's
    verdict on ``path``: ranks with different data would otherwise train
    on a silent mix of it, crash in the backend (other shapes) or wait for
    each other forever (other classes or ``n_iter``).
    """
    mine = {"X": _digest(X), "y": _digest(y),
            **{name: _digest(value) for name, value in sampler.get_params(deep=False).items()}}
    path_error = None
    if path is not None and dist.get_rank() == 0:
        try:
            check_writable(path)
        except ModelFileError as exc:
            path_error = str(exc)
    gathered: list = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, (mine, path_error))
    if gathered[0][1] is not None:
        raise ModelFileError(f"{gathered[0][1]} (checked on rank 0 before training)")
    differ = [name for name in mine if len({digests[name] for digests, _ in gathered}) > 1]
    if differ:
        what = ", ".join(differ)
        groups: dict[tuple, list[int]] = {}
        for r, (digests, _) in enumerate(gathered):
            groups.setdefault(tuple(digests[name] for name in differ), []).append(r)
        ranks = " / ".join(("rank " if len(rs) == 1 else "ranks ") + ", ".join(map(str, rs)) for rs in groups.values())
        raise ValueError(
            f"fit_ddp needs the same data and settings on every rank; they differ in {what} (groups that agree: "
            f"{ranks}). Give every rank the same X, y and sampler parameters (for example, read the data "
            "in the same order, and seed any random split alike)."
        )
