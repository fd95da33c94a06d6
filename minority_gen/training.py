"""The one training loop every GAN method runs through.

:func:`train_gan` alternates ``n_critic`` discriminator steps and one
generator step, records each iteration's named loss terms, stops with
:class:`DivergenceError` on a non-finite loss and reports progress to
callbacks (the tqdm bar is one). It also stops with :class:`DivergenceError`
when the generator's rows leave the training data's range by far (the rule
is :func:`divergence_limits`); :func:`generate_rows` applies both checks to
every row it returns. Randomness comes only from the
``torch.Generator`` it is handed; the batches come from the providers of
:mod:`minority_gen.batches` (re-exported here). The loop never waits for the device
within an iteration: the figures it records and checks are copied to the
host every :data:`FLUSH_EVERY` iterations (see :func:`train_gan`).
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import Tensor, nn

from .batches import ConditionalSampler, PositiveNegativeSampler
from .losses import total
from .methods.base import GANMethod, Networks
from .monitor import QualityMonitor


class DivergenceError(RuntimeError):
    """A GAN diverged: its training or its generated rows left the finite, plausible range.

    Raised by :func:`train_gan` when a loss is not finite, or when the
    generator's batch of an iteration holds a value beyond
    :func:`divergence_limits`, and by :func:`generate_rows` before it would
    return such rows (non-finite, or beyond the limits). The message names
    the method, the GAN (class) and what to try: lower learning rates
    (``lr_g``, ``lr_d``), ``spectral_norm=True`` or ``recipe="paper"``.
    :class:`~minority_gen.GANOversampler` keeps its previous fitted state
    when a fit raises it.
    """


#: Generated values beyond this factor times the training rows' largest
#: magnitude count as divergence (see :func:`divergence_limits`).
DIVERGENCE_FACTOR = 1e3

__all__ = ["ConditionalSampler", "DivergenceError", "PositiveNegativeSampler", "ProgressBar", "TrainConfig",
           "divergence_limits", "generate_rows", "train_gan"]

_ADVICE = "Try lower learning rates (lr_g, lr_d), spectral_norm=True, or recipe='paper'"


def divergence_limits(x: np.ndarray) -> np.ndarray:
    """Per encoded column, the largest magnitude a generated value may have: the divergence rule.

    ``x`` holds the training rows as the networks see them (standardised
    numbers, one-hot blocks, images scaled to ``[-1, 1]``; any shape with
    the rows first). A generated value ``v`` in column ``j`` is diverged when
    ``|v| > DIVERGENCE_FACTOR * max(1, max_i |x_ij|)``. Standardised columns
    have unit variance, so the training rows reach ``|z|`` of a few units
    (at most ``sqrt(n_rows)``); the floor of 1 covers constant columns and
    one-hot blocks. Healthy generators stay within a few times the training
    range: over default-setting fits of 4 toy tables (with several methods)
    and 13 real ones (the imbalanced-learn benchmark sets, breast cancer,
    the mixed stroke table), the largest multiple seen was about 13 during
    training (the untrained generator's first batches included) and 5 in
    the returned rows (``benchmarks/results/divergence_bound.md``), two
    orders of magnitude below the factor. A generator driven off by too
    large a learning rate (``lr_g=lr_d=10`` on a 72-row toy) reaches ``1e6``
    times within two iterations, where the decoded rows are meaningless.

    >>> divergence_limits(np.array([[0.5, 0.0], [-2.0, 0.0]], dtype=np.float32))
    array([2000., 1000.])
    """
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    return DIVERGENCE_FACTOR * np.maximum(1.0, np.abs(flat).max(axis=0, initial=0.0))


def _beyond(rows: np.ndarray, limits: np.ndarray) -> str | None:
    """Where ``rows`` (rows first) break the limits, in words; ``None`` when they do not."""
    flat = np.abs(np.asarray(rows, dtype=np.float64).reshape(len(rows), -1))
    if not len(flat):
        return None
    ratio = np.where(np.isfinite(flat), flat, np.inf).max(axis=0) / limits
    j = int(np.argmax(ratio))
    if not ratio[j] > 1.0:
        return None
    value = flat[:, j].max()
    if not np.isfinite(value):
        return f"non-finite values in column {j} of the encoded rows"
    return (f"|value| {value:.3g} in column {j} of the encoded rows, beyond the limit {limits[j]:.3g} "
            f"({DIVERGENCE_FACTOR:g} x the training rows' largest |value| there, floored at 1)")


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
# Callbacks
# --------------------------------------------------------------------------
class Callback(Protocol):
    def on_train_begin(self, n_iter: int, label: str) -> None: ...
    def on_iteration_end(self, iteration: int, record: dict[str, float]) -> None: ...
    def on_train_end(self) -> None: ...


class ProgressBar:
    """A tqdm bar over iterations, showing the latest D and G losses."""

    def __init__(self, every: int = 25):
        self.every = every
        self._bar = None
        self._quality = None

    def on_train_begin(self, n_iter: int, label: str) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=n_iter, desc=label, leave=True, dynamic_ncols=True)
        self._quality = None  # one bar object serves every GAN of a fit: no score carried over

    def on_iteration_end(self, iteration: int, record: dict[str, float]) -> None:
        self._bar.update(1)
        if "q_score" in record:
            self._quality = record["q_score"]
        if iteration % self.every == 0 or "q_score" in record:
            shown = dict(d_loss=f"{record['d_loss']:.4f}", g_loss=f"{record['g_loss']:.4f}")
            if self._quality is not None:
                shown["quality"] = f"{self._quality:.3f}"
            self._bar.set_postfix(shown)

    def on_train_end(self) -> None:
        self._bar.close()


# --------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------
def _adam(params: Sequence[nn.Parameter], lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    return torch.optim.Adam(params, lr=lr, betas=betas, foreach=True)


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
                    f"the {which} loss is {value}. {_ADVICE}, or a different method."
                )
        if p.colmax is not None and not rest[0] <= 1.0:
            where = _beyond(p.colmax.nan_to_num(nan=float("inf"))[None].cpu().numpy(), limits)
            raise DivergenceError(
                f"Training of method {method.name!r} ({label}) diverged at iteration {p.iteration}: the generator "
                f"produced {where}. {_ADVICE} (now lr_g={config.lr_g:g}, lr_d={config.lr_d:g})."
            )
        records.append({"iteration": p.iteration, **dict(zip(p.names, figures))})
    pending.clear()
    return records


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

    ``wrap_optimizer``: applied to every optimiser the loop makes (the
    generator's and each discriminator-side network's); the data-parallel
    training of :mod:`minority_gen.distributed` averages the gradients
    across processes there.
    """
    if flush_every < 1:
        raise ValueError(f"flush_every must be >= 1; got {flush_every!r}.")
    wrap = wrap_optimizer or (lambda opt: opt)
    opt_g = wrap(_adam(nets.G.parameters(), config.lr_g, config.betas))
    d_side = [nets.D, *nets.extra.values()]
    opt_d = [wrap(_adam(m.parameters(), config.lr_d, config.betas)) for m in d_side]
    ema_g = copy.deepcopy(nets.G).requires_grad_(False) if config.ema else None
    d_params = [p for m in d_side for p in m.parameters()]
    epoch_size = max(1, math.ceil(sampler.n_rows / config.batch_size))
    records: list[dict[str, float]] = []
    pending: list[_Pending] = []
    device = _device(nets.G)
    limits_t = None if limits is None else torch.as_tensor(limits, dtype=torch.float32, device=device)
    forward = autocast_context(device, config.amp)
    for cb in callbacks:
        cb.on_train_begin(config.n_iter, label)
    nets.G.train()
    nets.D.train()
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
            # --- generator ----------------------------------------------
            for p in d_params:
                p.requires_grad_(False)
            batch = sampler.sample(gen, with_real=False)
            batch.iteration, batch.epoch = it, epoch
            with forward():
                batch.x_fake = method.generate(nets, batch.z, batch.y_fake)
                g_terms = method.g_loss(nets, batch)
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
            # --- record (on the device until the flush) -----------------
            names = ["d_loss", "g_loss", *(f"d_{k}" for k in d_terms), *(f"g_{k}" for k in g_terms)]
            figures = [d_total.detach(), g_total.detach(), *(v.detach() for v in d_terms.values()),
                       *(v.detach() for v in g_terms.values())]
            colmax = None
            if limits_t is not None:  # the batch's largest |value| relative to the limits
                colmax = batch.x_fake.detach().reshape(len(batch.x_fake), -1).abs().amax(0).float()
                figures.append((colmax / limits_t).amax().nan_to_num(nan=float("inf")))
            pending.append(_Pending(it, names, torch.stack([*figures, *d_losses]), len(d_losses), colmax))
            due = monitor is not None and monitor.due(it, config.n_iter)
            if not (due or len(pending) >= flush_every or it == config.n_iter):
                continue
            flushed = _flush(pending, method, label, config, limits)
            if due:  # this iteration's record is the last one flushed
                flushed[-1].update(monitor.evaluate(nets.G if ema_g is None else ema_g, it))
            records.extend(flushed)
            for record in flushed:
                for cb in callbacks:
                    cb.on_iteration_end(record["iteration"], record)
            if monitor is not None and monitor.should_stop:
                break
    except Exception as exc:
        if not isinstance(exc, DivergenceError):  # a divergence before the failure is its likely cause
            _flush(pending, method, label, config, limits)
        raise
    finally:
        for p in d_params:
            p.requires_grad_(True)
        for cb in callbacks:
            cb.on_train_end()
    if monitor is not None:
        monitor.restore(nets.G if ema_g is None else ema_g)
    nets.G.eval()
    nets.D.eval()
    return records, ema_g


@torch.no_grad()
def generate_rows(
    method: GANMethod,
    nets: Networks,
    n: int,
    class_index: int | None,
    latent_dim: int,
    gen: torch.Generator,
    chunk: int = 4096,
    limits: np.ndarray | None = None,
    label: str = "",
) -> np.ndarray:
    """``n`` generated rows (in the training space) as a float32 array.

    Raises :class:`DivergenceError` rather than return a non-finite row, or
    with ``limits`` (:func:`divergence_limits`) a row beyond them; ``label``
    names the GAN in the message (e.g. ``"class 1"``).
    """
    device = _device(nets.G)
    out = []
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        z = torch.randn(m, latent_dim, generator=gen, device=device)
        y = None if class_index is None else torch.full((m,), class_index, dtype=torch.long, device=device)
        out.append(method.generate(nets, z, y).float().cpu())
    rows = torch.cat(out).numpy() if out else np.empty((0, 0), dtype=np.float32)
    of = f" ({label})" if label else ""
    if rows.size and not np.isfinite(rows).all():
        raise DivergenceError(
            f"The generator of method {method.name!r}{of} produced non-finite values; "
            f"it has diverged. {_ADVICE} and refit."
        )
    where = None if limits is None or not rows.size else _beyond(rows, limits)
    if where is not None:
        raise DivergenceError(
            f"The generator of method {method.name!r}{of} has diverged: it produced {where}; "
            f"no rows are returned. {_ADVICE} and refit."
        )
    return rows


def _device(module: nn.Module) -> torch.device:
    return next(module.parameters()).device
