"""The runtime state of data-parallel training: which rank this process is, gradient averaging, broadcasts.

A torch-only module under the training plan: the estimator reads the
setting in force (:func:`active`) and hands it to the plan, which seeds,
broadcasts and wraps optimisers through it. :mod:`minority_gen.distributed`
(``fit_ddp``) starts the processes and enters :func:`data_parallel`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn

from .divergence import DivergenceError

__all__ = ["AllReduceOptimizer", "DataParallel", "active", "data_parallel", "rank", "rank_seed", "same_on_every_rank",
           "world_size"]


def rank_seed(seed: int, rank: int) -> int:
    """The seed rank ``rank`` uses for a seed all ranks drew: ``seed`` itself on rank 0, else derived from both.

    >>> rank_seed(123, 0), rank_seed(123, 1) != rank_seed(123, 2) != 123
    (123, True)
    """
    if rank == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(rank)]).generate_state(1)[0] >> 1)


class AllReduceOptimizer:
    """Wraps an optimiser: before each step, the gradients of its parameters are averaged over the ranks.

    One all-reduce per step, over the gradients flattened into one buffer.
    A parameter without a gradient (``None``: the step's loss did not reach
    it) is left out and keeps ``None``, so the wrapped optimiser skips it,
    as in a single process; which parameters have gradients depends on the
    method's code only, so it is the same on every rank.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, ddp: DataParallel):
        self.optimizer, self.ddp = optimizer, ddp

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        grads = [p.grad for group in self.optimizer.param_groups for p in group["params"] if p.grad is not None]
        if grads and self.ddp.world_size > 1:
            flat = torch.cat([g.reshape(-1) for g in grads])
            dist.all_reduce(flat, group=self.ddp.group)
            flat.div_(self.ddp.world_size)
            offset = 0
            for g in grads:
                g.copy_(flat[offset:offset + g.numel()].view_as(g))
                offset += g.numel()
        self.optimizer.step()


@dataclass(frozen=True)
class DataParallel:
    """The data-parallel setting of the fits run inside :func:`data_parallel`."""

    rank: int
    world_size: int
    group: dist.ProcessGroup | None = None

    def wrap_optimizer(self, optimizer: torch.optim.Optimizer) -> AllReduceOptimizer:
        return AllReduceOptimizer(optimizer, self)

    def seed(self, seed: int) -> int:
        """This rank's seed for a batch / noise seed every rank drew (:func:`rank_seed`)."""
        return rank_seed(seed, self.rank)

    def broadcast(self, modules: Iterable[nn.Module], buffers_only: bool = False) -> None:
        """Copy rank 0's parameters (unless ``buffers_only``) and buffers of ``modules`` to every rank."""
        if self.world_size == 1:
            return
        with torch.no_grad():
            for module in modules:
                tensors = [*([] if buffers_only else module.parameters()), *module.buffers()]
                for t in tensors:
                    dist.broadcast(t.data, src=self._global_rank(0), group=self.group)

    def agree_on_divergence(self, error: DivergenceError | None, device: torch.device | None = None) -> None:
        """Raise the same :class:`DivergenceError` on every rank when any rank's check found one (``error``).

        Called by every rank at each flush of :func:`~minority_gen.training.train_gan` (where the loop
        synchronises with the device anyway): one all-reduce of one number when no rank diverged. When some
        did, the lowest such rank's message is broadcast and every rank raises it, naming that rank, instead
        of one rank raising while the others wait in their next collective. ``device``: where the
        all-reduced number lives (the networks' device; NCCL needs a GPU tensor).
        """
        if self.world_size == 1:
            if error is not None:
                raise error
            return
        first = torch.tensor([self.world_size if error is None else self.rank], device=device)
        dist.all_reduce(first, op=dist.ReduceOp.MIN, group=self.group)
        source = int(first.item())
        if source == self.world_size:
            return
        message = [None if error is None else str(error)]
        dist.broadcast_object_list(message, src=self._global_rank(source), group=self.group)
        raise DivergenceError(f"{message[0]} [Data-parallel training: found on rank {source} of {self.world_size} "
                              "(the lowest rank that diverged); every rank stops with this error.]") from None

    def shared_seed(self) -> int:
        """A seed drawn on rank 0 (from NumPy's global generator, as ``random_state=None`` draws) and given to every
        rank."""
        seed = [int(np.random.randint(np.iinfo(np.int32).max)) if self.rank == 0 else None]
        dist.broadcast_object_list(seed, src=self._global_rank(0), group=self.group)
        return int(seed[0])

    def _global_rank(self, rank: int) -> int:
        return rank if self.group is None else dist.get_global_rank(self.group, rank)


_ACTIVE: ContextVar[DataParallel | None] = ContextVar("minority_gen_data_parallel", default=None)


def active() -> DataParallel | None:
    """The :class:`DataParallel` setting in force (inside :func:`data_parallel`), else ``None``."""
    return _ACTIVE.get()


@contextlib.contextmanager
def data_parallel(group: dist.ProcessGroup | None = None) -> Iterator[DataParallel]:
    """Fits inside this context train data-parallel over ``group`` (default: the initialised world).

    The process group must be initialised already; :func:`fit_ddp` does that
    and is the usual entry point.
    """
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeError("data_parallel needs an initialised torch.distributed process group; use fit_ddp, "
                           "or call torch.distributed.init_process_group first.")
    setting = DataParallel(dist.get_rank(group), dist.get_world_size(group), group)
    token = _ACTIVE.set(setting)
    try:
        yield setting
    finally:
        _ACTIVE.reset(token)


def rank() -> int:
    """This process's rank in the initialised process group, else from the environment (``RANK``), else 0."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    value = os.environ.get("RANK", "0")
    return int(value) if value.isdigit() else 0


def world_size() -> int:
    """The number of processes: of the initialised process group, else ``WORLD_SIZE``, else 1."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    value = os.environ.get("WORLD_SIZE", "1")
    return int(value) if value.isdigit() else 1


def same_on_every_rank(tensors: Iterable[Tensor]) -> bool:
    """Whether ``tensors`` are bitwise equal on every rank (a check for tests and debugging)."""
    flat = torch.cat([t.detach().reshape(-1).float() for t in tensors])
    lo, hi = flat.clone(), flat.clone()
    dist.all_reduce(lo, op=dist.ReduceOp.MIN)
    dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    return bool(torch.equal(lo, hi))
