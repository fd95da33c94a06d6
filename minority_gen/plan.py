"""The training plan: which GAN learns which rows, and how each one is built and trained.

Unconditional methods train one GAN per class to grow (that class is the
*positive* set, every other row the *negative* set); conditional methods
train one GAN for all classes. For every GAN, :func:`fit_plan` builds the
networks (weights seeded locally, so torch's global RNG is untouched), the
batch sampler and the quality monitor, trains them with
:func:`~minority_gen.training.train_gan`, and returns the networks on the CPU
with the run's history. :class:`~minority_gen.GANOversampler` validates the
parameters and data, then calls this module.

With ``Plan.n_jobs`` asking for more than one worker, an unconditional
method's per-class GANs train in parallel through :mod:`minority_gen.parallel`
(joblib). Every GAN's seeds are drawn from the estimator's random state in
class order before any training starts, so the rows, networks and history
are the same as a serial run's.

A fit that would train more than :data:`MANY_GANS` separate GANs (an
unconditional method, one per class to grow) is warned about before any
training (:func:`many_gans_warning`), and each GAN's progress label says
which of them it is: ``rumi (class 18) (3 of 299)``.

Inside :func:`minority_gen.distributed.fit_ddp`, each GAN trains
data-parallel over the processes instead: rank-specific batch and noise
seeds, weights broadcast from rank 0, gradients averaged before each step.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from .boundary import SHIFT, BoundaryTerm
from .callbacks import Callback, begin_all, end_all, iteration_end_all
from .data import DataSpec
from .ddp import DataParallel
from .devices import to_device, torch_generator
from .diffaugment import DiffAugment
from .methods import GANMethod, Networks, available_methods, get_method
from .monitor import QualityMonitor, QualityScorer
from .nets.anchored import ANCHOR_NOISE
from .networks import Architecture, build_classifier, build_networks
from .parallel import n_workers, run_unordered
from .safeguards import class_label
from .settings import Settings
from .training import ConditionalSampler, PositiveNegativeSampler, TrainConfig, train_gan

SEED_MAX = 2**31 - 1
#: A fit that trains more separate GANs than this (an unconditional method: one per class to grow) is warned
#: about before training starts, with how many will train and how to train fewer (:func:`many_gans_warning`).
#: At a few seconds to minutes per GAN, 20 is where a fit's time is dominated by the number of classes.
MANY_GANS = 20
#: The fewest rows of a class a GAN learns from: a class to grow with fewer is refused before training, and the
#: evaluation's fold check asks every training fold for this many rows of each class
#: (:func:`minority_gen.evaluation.downstream.check_folds`).
MIN_CLASS_ROWS = 2


@dataclass
class Plan:
    """Everything a fit decided about how to train: the resolved settings and what the data gave.

    ``settings``: every parameter with its ``"auto"`` resolved
    (:class:`~minority_gen.settings.Settings`); ``spec``: the shape of the
    encoded rows; ``limits``: the divergence limits of the encoded columns
    (:func:`~minority_gen.divergence.divergence_limits`), checked on every
    iteration's generator batch (``None`` checks only the losses);
    ``callbacks``: training events (a progress bar); ``ddp``: the
    data-parallel setting this process trains under
    (:func:`minority_gen.ddp.active` inside ``fit_ddp``), or ``None``.
    """

    settings: Settings
    spec: DataSpec
    limits: np.ndarray | None = None
    callbacks: Sequence[Callback] = field(default_factory=tuple)
    ddp: DataParallel | None = None

    @property
    def method(self) -> GANMethod:
        return self.settings.method

    @property
    def config(self) -> TrainConfig:
        return self.settings.config

    @property
    def noise_dim(self) -> int:
        """Width of the generator's noise input: the latent vector, Gumbel draws, anchor draws."""
        return self.config.latent_dim + self.spec.extra_noise + (ANCHOR_NOISE if self.settings.anchor else 0)

    def architecture(self, n_classes: int) -> Architecture:
        """How this plan's networks are built for ``n_classes`` classes."""
        method, settings = self.method, self.settings
        return Architecture(latent_dim=self.config.latent_dim, hidden=settings.hidden, n_classes=n_classes,
                            conditional=bool(method.conditional),
                            spectral_norm=bool(settings.spectral_norm or method.needs_spectral_norm()),
                            pac=self.config.pac, anchor=settings.anchor,
                            anchor_shift=SHIFT if settings.anchor and settings.boundary else None,
                            anchor_shape=settings.anchor and settings.correction == "covariance",
                            padding=settings.padding)


@dataclass(frozen=True)
class Seeds:
    """The seeds of one GAN's training run, drawn before it starts."""

    init: int
    train: int
    monitor: int
    augment: int | None
    boundary: int | None = None

    @classmethod
    def draw(cls, plan: Plan, rng: np.random.RandomState) -> Seeds:
        init, train, monitor = (int(s) for s in rng.randint(SEED_MAX, size=3))
        augment = int(rng.randint(SEED_MAX)) if plan.settings.policy else None
        boundary = int(rng.randint(SEED_MAX)) if plan.settings.boundary else None  # none drawn when off
        return cls(init, train, monitor, augment, boundary)


def fit_plan(plan: Plan, x: Tensor, y: Tensor, n_classes: int, grow: dict[int, object],
             rng: np.random.RandomState) -> tuple[dict[int, Networks], pd.DataFrame]:
    """Train the GANs for the classes in ``grow``; return class index → networks, and the history.

    ``x`` holds the encoded rows and ``y`` their class indices, on
    ``plan.device``; ``grow`` maps the index of each class to grow to its
    label. A conditional method's classes share one set of networks (history
    ``gan`` = ``"all"``); an unconditional one has a set per class (``gan`` =
    the class label).

    Unconditional methods train their per-class GANs in parallel when
    ``plan.n_jobs`` gives more than one joblib worker (and there are several
    classes to grow): each worker gets the table on the CPU (one copy for all,
    shared), cuts its class's rows, trains on
    ``plan.device`` and sends the networks back on the CPU. The callbacks
    then run in this process, replayed from each GAN's records as that GAN
    finishes (a progress bar fills one GAN at a time). Conditional methods
    train one GAN and ignore ``n_jobs``. No class to grow: nothing trains.
    """
    method = plan.method
    fitted: dict[int, Networks] = {}
    histories = []
    if method.conditional and grow:  # with no class to grow, nothing trains
        sampler = ConditionalSampler(x, y, n_classes, plan.config.batch_size, plan.noise_dim,
                                     balanced=plan.settings.balanced_labels, pac=plan.config.pac)
        real_rows = {i: x[y == i] for i in grow}
        anchors = anchor_rows(x, y, grow) if plan.settings.anchor else None
        nets, records = _fit_one(plan, f"{method.name} (all classes)", sampler, n_classes, real_rows,
                                 Seeds.draw(plan, rng), anchor_rows=anchors)
        fitted = dict.fromkeys(grow, nets)
        histories.append(pd.DataFrame(records).assign(gan="all"))
    else:
        # every seed first, in class order: the same draws as training one class after the other
        negatives = method.uses_negatives or bool(plan.settings.boundary)  # the boundary classifier needs them
        seeds = [Seeds.draw(plan, rng) for _ in grow]
        of = f" ({{}} of {len(grow)})" if len(grow) > 1 else ""  # which GAN of how many, on the progress bar
        labels = [f"{method.name} (class {label})" + of.format(k) for k, label in enumerate(grow.values(), 1)]
        if len(grow) > 1 and n_workers(plan.settings.n_jobs) > 1:
            results = _fit_parallel(plan, x, y, list(grow), labels, negatives, n_classes, seeds)
        else:  # one class's rows in memory at a time
            results = (_fit_class(plan, name, x[y == i], x[y != i] if negatives else None, n_classes, s)
                       for i, name, s in zip(grow, labels, seeds))
        for (i, label), (nets, records) in zip(grow.items(), results):
            fitted[i] = nets
            histories.append(pd.DataFrame(records).assign(gan=label))
    history = (
        pd.concat(histories, ignore_index=True)[["gan", *histories[0].columns.drop("gan")]]
        if histories else pd.DataFrame(columns=["gan", "iteration", "d_loss", "g_loss"])
    )
    return fitted, history


def many_gans_warning(method: GANMethod, grow: Sequence, n_jobs, n_iter: int) -> str | None:
    """The warning for a fit that would train more than :data:`MANY_GANS` separate GANs, or ``None``.

    ``grow``: the labels of the classes to grow; ``n_jobs``, ``n_iter``: the
    fit's. A conditional method trains one GAN for every class: no warning.
    """
    if method.conditional or len(grow) <= MANY_GANS:
        return None
    workers = n_workers(n_jobs)
    how = "one after the other" if workers == 1 else f"{workers} at a time"
    shared = ", ".join(repr(m) for m in available_methods() if get_method(m).conditional)
    example = ", ".join(f"{class_label(c)}: ..." for c in list(grow)[:2])
    return (f"{len(grow)} classes to grow: method {method.name!r} trains one GAN per class, so {len(grow)} GANs "
            f"of {n_iter} iteration{'s' * (n_iter != 1)} each will train, {how}. To train fewer, name only the "
            f"classes you need in sampling_strategy (--sampling-strategy), e.g. {{{example}}} (rows after "
            f"resampling); or use a conditional method, which trains one GAN for every class ({shared})"
            + ("; or n_jobs=-1 (--param n_jobs=-1) to train several at once." if workers == 1 else "."))


ANCHOR_OTHER_ROWS = 4096


def anchor_rows(x: Tensor, y: Tensor, grow) -> tuple[Tensor, Tensor]:
    """The rows a conditional generator draws its anchors from: every row of a class to grow, and of
    each other class (generated only during training) at most :data:`ANCHOR_OTHER_ROWS`, a fixed-seed
    subsample, so that a large majority class costs neither a neighbour search nor memory."""
    labels = y.cpu().numpy()
    keep = []
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        if int(c) not in grow and len(rows) > ANCHOR_OTHER_ROWS:
            rows = np.sort(np.random.RandomState(int(c)).choice(rows, ANCHOR_OTHER_ROWS, replace=False))
        keep.append(rows)
    idx = torch.from_numpy(np.concatenate(keep)).to(x.device)
    return x[idx], y[idx]


def _fit_class(plan: Plan, label: str, x_pos: Tensor, x_neg: Tensor | None, n_classes: int,
               seeds: Seeds) -> tuple[Networks, list[dict]]:
    """One unconditional GAN: ``x_pos`` is the class to learn, ``x_neg`` the other rows (or None)."""
    x_pos = to_device(x_pos, plan.settings.device)
    x_neg = None if x_neg is None else to_device(x_neg, plan.settings.device)
    sampler = PositiveNegativeSampler(x_pos, x_neg, plan.config.batch_size, plan.noise_dim)
    return _fit_one(plan, label, sampler, n_classes, {None: x_pos}, seeds,
                    anchor_rows=(x_pos, None) if plan.settings.anchor else None)


def _fit_class_rows(plan: Plan, label: str, x: np.ndarray, y: np.ndarray, i: int, negatives: bool,
                    n_classes: int, seeds: Seeds) -> tuple[Networks, list[dict]]:
    """:func:`_fit_class` on the rows of class index ``i`` of ``x`` (on the CPU), the other rows as its negatives:
    the rows a serial fit cuts, cut in the worker."""
    mine = y == i
    return _fit_class(plan, label, torch.from_numpy(x[mine]), torch.from_numpy(x[~mine]) if negatives else None,
                      n_classes, seeds)


def _fit_parallel(plan: Plan, x: Tensor, y: Tensor, classes: list[int], labels: list[str], negatives: bool,
                  n_classes: int, seeds: list[Seeds]) -> list[tuple[Networks, list[dict]]]:
    """Train the GAN of each class index in ``classes`` through joblib; replay the callbacks here as each GAN
    finishes. Every task gets the one table (joblib sends a large array to its process workers once, and threads
    share it) and cuts its class's rows itself, rather than a copy of the table per class held up front."""
    quiet = replace(plan, callbacks=())  # callbacks (a tqdm bar) stay in this process
    x_np, y_np = x.cpu().numpy(), y.cpu().numpy()
    shipped = [(quiet, label, x_np, y_np, i, negatives, n_classes, s) for i, label, s in zip(classes, labels, seeds)]
    results: list = [None] * len(shipped)
    for index, (nets, records) in run_unordered(_fit_class_rows, shipped, plan.settings.n_jobs):
        results[index] = (nets, records)
        _replay(plan.callbacks, plan.config.n_iter, labels[index], records)
    return results


def _replay(callbacks: Sequence[Callback], n_iter: int, label: str, records: list[dict]) -> None:
    begin_all(callbacks, n_iter, label)  # as train_gan: every callback begun is ended, also after an error
    try:
        for record in records:
            iteration_end_all(callbacks, record)
    finally:
        end_all(callbacks, suppress=sys.exc_info()[1] is not None)


def _fit_one(plan: Plan, label: str, sampler, n_classes: int, real_rows: dict,
             seeds: Seeds, anchor_rows: tuple[Tensor, Tensor | None] | None) -> tuple[Networks, list[dict]]:
    method, config, device = plan.method, plan.config, plan.settings.device
    ddp = plan.ddp  # inside fit_ddp: this process is one rank of a data-parallel fit
    if ddp is not None:  # each rank its own batches and noise, the same initial weights and monitor
        seeds = replace(seeds, train=ddp.seed(seeds.train),
                        augment=None if seeds.augment is None else ddp.seed(seeds.augment))
    anchors = None if anchor_rows is None else dict(zip(("rows", "labels"), anchor_rows))
    nets = build_networks(plan.spec, method, plan.architecture(n_classes), anchors=anchors, seed=seeds.init,
                          device=device, extra=True)
    boundary = None
    if plan.settings.boundary:
        n_outputs = n_classes if method.conditional else 2
        classifier = build_classifier(plan.spec, n_outputs, plan.settings.hidden, seeds.boundary, device)
        boundary = BoundaryTerm(classifier, plan.settings.boundary, bool(method.conditional),
                                plan.settings.boundary_target)
    if ddp is not None:
        ddp.broadcast([nets.G, nets.D, *nets.extra.values(), *([] if boundary is None else [boundary.classifier])])
    if plan.settings.policy:
        nets.augment = DiffAugment(plan.settings.policy, torch_generator(seeds.augment, device))
    gen = torch_generator(int(seeds.train), device)
    select = plan.settings.select and real_rows
    monitor = quality_monitor(plan, nets, real_rows, int(seeds.monitor)) if select else None
    callbacks = plan.callbacks if ddp is None or ddp.rank == 0 else ()  # one progress bar, rank 0's
    records, ema_g = train_gan(method, nets, sampler, config, gen, label, callbacks, monitor,
                               limits=plan.limits, wrap_optimizer=None if ddp is None else ddp.wrap_optimizer,
                               boundary=boundary)
    if ddp is not None:  # running statistics differ by rank's data: rank 0's, as DistributedDataParallel does
        ddp.broadcast([nets.G, nets.D, *nets.extra.values(), *([] if ema_g is None else [ema_g])], buffers_only=True)
    if ema_g is not None:
        nets.G = ema_g
    nets.G.cpu().eval()
    nets.D.cpu().eval()
    for m in nets.extra.values():
        m.cpu().eval()
    return nets, records


def quality_monitor(plan: Plan, nets: Networks, real_rows: dict, seed: int) -> QualityMonitor:
    """The quality monitor of one training run (``real_rows``: class index, or None, → rows)."""
    method = plan.method

    def generate(G, z, index):
        y = None if index is None else torch.full((len(z),), index, dtype=torch.long, device=z.device)
        return method.generate(Networks(G=G, D=nets.D, n_classes=nets.n_classes, pac=nets.pac), z, y)

    gen = torch_generator(seed, plan.settings.device)
    scorers = {c: QualityScorer(x, gen=gen) for c, x in real_rows.items()}
    n_samples = int(np.clip(max(len(x) for x in real_rows.values()), 128, 1024))
    every = plan.settings.eval_every or max(1, plan.config.n_iter // 20)
    return QualityMonitor(scorers, generate, plan.noise_dim, n_samples, every, plan.settings.patience, gen)
