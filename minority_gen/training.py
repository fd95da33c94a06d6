"""The one training loop every GAN method runs through.

:func:`train_gan` alternates ``n_critic`` discriminator steps and one
generator step, records each iteration's named loss terms, stops with
:class:`DivergenceError` on a non-finite loss and reports progress to
callbacks (the tqdm bar is one). It also stops with :class:`DivergenceError`
when the generator's rows leave the training data's range by far (the rule
is :func:`~minority_gen.divergence.divergence_limits`, and
:func:`~minority_gen.generation.generate_rows` applies both checks to every
row it returns). Randomness comes only from the
``torch.Generator`` it is handed; the batches come from the providers of
:mod:`minority_gen.batches` (re-exported here). The loop never waits for the device
within an iteration: the figures it records and checks are copied to the
host every :data:`FLUSH_EVERY` iterations (see :func:`train_gan`).
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from .batches import ConditionalSampler, PositiveNegativeSampler
from .boundary import BoundaryTerm
from .callbacks import Callback, begin_all, end_all, iteration_end_all, watches_generator
from .ddp import active as data_parallel_setting
from .divergence import ADVICE, DivergenceError, beyond, divergence_limits
from .losses import total
from .methods.base import GANMethod, Networks
from .monitor import QualityMonitor

__all__ = ["ConditionalSampler", "DivergenceError", "PositiveNegativeSampler", "TrainConfig", "divergence_limits",
           "train_gan"]


@dataclass
class TrainConfig:
    """Resolved optimiser settings for one training run."""

    n_iter: int
    batch_size: int
    latent_dim: int
    n_critic: int
    lr_g: float
    lr_d: float
    betas: tuple[float, float]
    ema: float | None = None
    pac: int = 1
    amp: bool = False  # bfloat16 autocast of the forward passes (see autocast_context)


# --------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------
#: Devices with torch's fused Adam (one kernel for every parameter's update); on others the ``foreach`` one.
FUSED_ADAM_DEVICES = frozenset({"cpu", "cuda", "mps", "xpu"})


def _adam(params: Sequence[nn.Parameter], lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    """Adam over the trainable ``params``: fused on :data:`FUSED_ADAM_DEVICES` (a table's step is mostly
    per-kernel overhead, and four optimisers step in it; protocol S: benchmarks/results/speed_tabular.md),
    ``foreach`` elsewhere."""
    params = [p for p in params if p.requires_grad]
    fused = bool(params) and all(p.device.type in FUSED_ADAM_DEVICES and p.is_floating_point() for p in params)
    return torch.optim.Adam(params, lr=lr, betas=betas, **({"fused": True} if fused else {"foreach": True}))


#: Iterations whose figures (losses, divergence checks) stay on the device before they are copied to the
#: host in one transfer: :func:`train_gan` synchronises with the device once per this many iterations.
FLUSH_EVERY = 50

_END = object()


@dataclass
class _Pending:
    """One iteration's figures, still on the device: ``row`` = the record's values, then the limits ratio
    (with ``limits``), then every discriminator update's loss; ``colmax`` the generator batch's largest
    |value| per column (with ``limits``), to say where it broke them."""

    iteration: int
    names: list[str]
    row: Tensor
    n_d: int
    colmax: Tensor | None


def _flush(pending: list[_Pending], method: GANMethod, label: str, config: TrainConfig,
           limits: np.ndarray | None) -> list[dict[str, float]]:
    """The records of ``pending`` (emptied), after the divergence checks, in one host transfer.

    The checks run in the order the loop made them (each discriminator
    update's loss, the generator's loss, the generator batch against the
    limits), iteration by iteration, so the error names the first iteration
    that diverged, as a check inside the loop would.
    """
    if not pending:
        return []
    flat = torch.cat([p.row.reshape(-1) for p in pending]).tolist()  # the window's one synchronisation
    records, pos = [], 0
    for p in pending:
        values, pos = flat[pos:pos + len(p.row)], pos + len(p.row)
        figures, rest = values[:len(p.names)], values[len(p.names):]
        for which, value in [*(("discriminator", v) for v in rest[len(rest) - p.n_d:]), ("generator", figures[1])]:
            if not math.isfinite(value):
                raise DivergenceError(
                    f"Training of method {method.name!r} ({label}) diverged at iteration {p.iteration}: "
                    f"the {which} loss is {value}. {ADVICE}, or a different method."
                )
        if p.colmax is not None and not rest[0] <= 1.0:
            where = beyond(p.colmax.nan_to_num(nan=float("inf"))[None].cpu().numpy(), limits)
            raise DivergenceError(
                f"Training of method {method.name!r} ({label}) diverged at iteration {p.iteration}: the generator "
                f"produced {where}. {ADVICE} (now lr_g={config.lr_g:g}, lr_d={config.lr_d:g})."
            )
        records.append({"iteration": p.iteration, **dict(zip(p.names, figures))})
    pending.clear()
    return records


def _flush_together(agree: Callable[[DivergenceError | None], None], pending: list[_Pending], method: GANMethod,
                    label: str, config: TrainConfig, limits: np.ndarray | None) -> list[dict[str, float]]:
    """:func:`_flush` under data-parallel training: every rank learns whether any rank diverged, and all raise.

    Whether a batch breaks the limits, or a loss is not finite, depends on
    each rank's own batches and noise; a rank raising alone would leave the
    others waiting in their next collective. ``agree`` is
    :meth:`~minority_gen.ddp.DataParallel.agree_on_divergence`: one
    all-reduce per flush, at points every rank reaches together.
    """
    try:
        flushed = _flush(pending, method, label, config, limits)
    except DivergenceError as exc:
        agree(exc)  # raises on every rank
        raise
    agree(None)  # raises when another rank diverged
    return flushed


def _forward_in(context, steps):
    """The items of the iterator ``steps``, each one computed inside a fresh ``context()``.

    For autocast: a method's discriminator updates are a generator whose
    forward passes run when the next item is asked for; the backward pass
    the loop then runs on an item is outside the context, as torch advises.
    """
    steps = iter(steps)
    while True:
        with context():
            item = next(steps, _END)
        if item is _END:
            return
        yield item


def autocast_context(device: torch.device, enabled: bool):
    """A factory of the training's autocast contexts: bfloat16 on ``device`` when ``enabled``, else no-ops.

    bfloat16 has float32's exponent range, so no gradient scaling is needed.
    """
    if not enabled:
        return contextlib.nullcontext
    return lambda: torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def train_gan(
    method: GANMethod,
    nets: Networks,
    sampler: PositiveNegativeSampler | ConditionalSampler,
    config: TrainConfig,
    gen: torch.Generator,
    label: str = "",
    callbacks: Sequence[Callback] = (),
    monitor: QualityMonitor | None = None,
    limits: np.ndarray | None = None,
    flush_every: int = FLUSH_EVERY,
    wrap_optimizer: Callable[[torch.optim.Optimizer], torch.optim.Optimizer] | None = None,
    boundary: BoundaryTerm | None = None,
) -> tuple[list[dict[str, float]], nn.Module | None]:
    """Train ``nets`` with ``method``; return per-iteration records and the EMA generator.

    Stops with :class:`DivergenceError` on a non-finite loss and, with
    ``limits`` (from :func:`divergence_limits`), when a generator batch held
    a value beyond them: every iteration's losses and generator batch are
    checked, and the error names the first iteration that diverged.

    The loop does not wait for the device: each iteration's figures (its
    losses, and the batch's largest value per column relative to the
    limits) stay on the device, and every ``flush_every`` iterations, at a
    quality evaluation and at the end they are copied to the host in one
    transfer, checked, turned into records and handed to the callbacks.
    A divergence is therefore raised up to ``flush_every - 1`` iterations
    after it happened (before any later evaluation or record is made, and
    before :func:`train_gan` returns), and callbacks receive the records in
    bursts. The records are the same as with a check every iteration.
    Under data-parallel training (inside
    :func:`~minority_gen.distributed.fit_ddp`, two or more ranks) the ranks
    combine their checks at every flush, so that a divergence on one rank
    raises the same error on every rank (see :func:`_flush_together`).

    Each record holds ``iteration``, ``d_loss``, ``g_loss`` and every named
    term prefixed ``d_`` / ``g_`` (discriminator terms of the last critic
    step). With ``config.ema`` set, an exponential moving average of the
    generator's weights is kept and returned (``None`` otherwise).

    With ``config.amp`` the forward passes run under bfloat16 autocast on
    the networks' device (the backward passes and optimiser steps outside).

    With a ``monitor``, the sampling generator (the EMA one when kept) is
    scored whenever the monitor is due; those records also hold its ``q_*``
    figures. Training stops early when the monitor says so, and the best
    generator it saw is restored at the end.

    Callbacks that watch the generator (``generator_every`` and
    ``on_generator``, see :mod:`minority_gen.callbacks`) receive the
    sampling generator after every ``generator_every``-th iteration.

    ``wrap_optimizer``: applied to every optimiser the loop makes (the
    generator's and each discriminator-side network's); the data-parallel
    training of :mod:`minority_gen.distributed` averages the gradients
    across processes there.

    With ``boundary`` (:class:`~minority_gen.boundary.BoundaryTerm`), its
    classifier takes one step on the real rows of every discriminator
    batch (recorded as ``c_loss``), and the generator's loss gains the
    boundary penalty (``g_boundary``), whose gradient reaches the generator
    only.
    """
    if flush_every < 1:
        raise ValueError(f"flush_every must be >= 1; got {flush_every!r}.")
    wrap = wrap_optimizer or (lambda opt: opt)
    opt_g = wrap(_adam(nets.G.parameters(), config.lr_g, config.betas))
    d_side = [nets.D, *nets.extra.values()]
    opt_d = [wrap(_adam(m.parameters(), config.lr_d, config.betas)) for m in d_side]
    ema_g = copy.deepcopy(nets.G).requires_grad_(False) if config.ema else None
    opt_c = None if boundary is None else wrap(_adam(boundary.classifier.parameters(), config.lr_d, config.betas))
    d_params = [p for m in d_side for p in m.parameters()]
    c_params = [] if boundary is None else list(boundary.classifier.parameters())
    epoch_size = max(1, math.ceil(sampler.n_rows / config.batch_size))
    records: list[dict[str, float]] = []
    pending: list[_Pending] = []
    device = _device(nets.G)
    # a copy of its own: ``limits`` may be read-only (sent to a Ray worker), which torch warns about
    limits_t = None if limits is None else torch.as_tensor(np.array(limits, dtype=np.float32), device=device)
    forward = autocast_context(device, config.amp)
    ddp = data_parallel_setting()  # inside fit_ddp: the ranks agree on divergence at every flush
    agree = None if ddp is None else (lambda error: ddp.agree_on_divergence(error, device))  # alone: as _flush
    watchers = [cb for cb in callbacks if watches_generator(cb)]
    begin_all(callbacks, config.n_iter, label)  # those begun are ended if a later one fails to begin
    nets.G.train()
    nets.D.train()
    if boundary is not None:
        boundary.classifier.train()
    try:
        for it in range(1, config.n_iter + 1):
            epoch = it / epoch_size
            # --- discriminator side -------------------------------------
            for p in d_params:
                p.requires_grad_(True)
            d_losses: list[Tensor] = []  # every update's loss, checked at the flush
            for _ in range(config.n_critic):
                batch = sampler.sample(gen)
                batch.iteration, batch.epoch = it, epoch
                with torch.no_grad(), forward():
                    batch.x_fake = method.generate(nets, batch.z, batch.y_fake)
                d_terms: dict[str, Tensor] = {}  # summed over the updates of this step
                for terms in _forward_in(forward, method.d_updates(nets, batch)):
                    loss = total(terms)
                    d_losses.append(loss.detach())
                    for opt in opt_d:
                        opt.zero_grad(set_to_none=True)
                    loss.backward()
                    for opt in opt_d:
                        opt.step()
                    for k, v in terms.items():
                        d_terms[k] = d_terms[k] + v.detach() if k in d_terms else v.detach()
                d_total = total(d_terms)
                if boundary is not None:  # the third player learns the real rows' classes
                    for p in c_params:
                        p.requires_grad_(True)
                    with forward():
                        c_loss = boundary.classifier_loss(batch)
                    opt_c.zero_grad(set_to_none=True)
                    c_loss.backward()
                    opt_c.step()
                    d_losses.append(c_loss.detach())
                    with forward():
                        real_margins = boundary.real_margins(batch)
            # --- generator ----------------------------------------------
            for p in (*d_params, *c_params):
                p.requires_grad_(False)
            batch = sampler.sample(gen, with_real=False)
            batch.iteration, batch.epoch = it, epoch
            with forward():
                batch.x_fake = method.generate(nets, batch.z, batch.y_fake)
                g_terms = method.g_loss(nets, batch)
                if boundary is not None:
                    g_terms = {**g_terms, "boundary": boundary.generator_loss(batch, real_margins)}
                g_total = total(g_terms)
            opt_g.zero_grad(set_to_none=True)
            g_total.backward()
            opt_g.step()
            if ema_g is not None:
                with torch.no_grad():
                    for pe, p in zip(ema_g.parameters(), nets.G.parameters()):
                        pe.lerp_(p, 1.0 - config.ema)
                    for be, b in zip(ema_g.buffers(), nets.G.buffers()):
                        be.copy_(b)
            for cb in watchers:
                if it % cb.generator_every == 0:
                    cb.on_generator(it, nets.G if ema_g is None else ema_g)
            # --- record (on the device until the flush) -----------------
            names = ["d_loss", "g_loss", *(f"d_{k}" for k in d_terms), *(f"g_{k}" for k in g_terms)]
            figures = [d_total.detach(), g_total.detach(), *(v.detach() for v in d_terms.values()),
                       *(v.detach() for v in g_terms.values())]
            if boundary is not None:
                names.append("c_loss")
                figures.append(c_loss.detach())
            colmax = None
            if limits_t is not None:  # the batch's largest |value| relative to the limits
                colmax = batch.x_fake.detach().reshape(len(batch.x_fake), -1).abs().amax(0).float()
                figures.append((colmax / limits_t).amax().nan_to_num(nan=float("inf")))
            pending.append(_Pending(it, names, torch.stack([*figures, *d_losses]), len(d_losses), colmax))
            due = monitor is not None and monitor.due(it, config.n_iter)
            if not (due or len(pending) >= flush_every or it == config.n_iter):
                continue
            flushed = (_flush(pending, method, label, config, limits) if agree is None
                       else _flush_together(agree, pending, method, label, config, limits))
            if due:  # this iteration's record is the last one flushed
                flushed[-1].update(monitor.evaluate(nets.G if ema_g is None else ema_g, it))
            records.extend(flushed)
            for record in flushed:
                iteration_end_all(callbacks, record)
            if monitor is not None and monitor.should_stop:
                break
    except Exception as exc:
        if not isinstance(exc, DivergenceError):  # a divergence before the failure is its likely cause
            _flush(pending, method, label, config, limits)
        raise
    finally:
        for p in (*d_params, *c_params):
            p.requires_grad_(True)
        end_all(callbacks, suppress=sys.exc_info()[1] is not None)  # a training error is the one to see
    if monitor is not None:
        monitor.restore(nets.G if ema_g is None else ema_g)
    nets.G.eval()
    nets.D.eval()
    return records, ema_g


def _device(module: nn.Module) -> torch.device:
    return next(module.parameters()).device
