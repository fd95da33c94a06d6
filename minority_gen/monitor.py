"""Select the generator by the quality of its rows, not by its last iteration.

A GAN's last iteration is rarely its best: the generator wanders between
modes and its rows drift in and out of the class. :class:`QualityMonitor`
scores the generator at intervals during training against the real rows of
each class it generates (:class:`QualityScorer`, k-NN precision and coverage
with a memorisation guard, computed with torch on the training device), keeps
a copy of the best generator and tells the loop to stop once the score has
not improved for ``patience`` evaluations. The loop then restores the best
copy, so the fitted sampler draws from it.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Mapping

import torch
from torch import Tensor, nn


def _kth_radius(x: Tensor, k: int) -> Tensor:
    """Distance of each row of ``x`` to its ``k``-th nearest other row."""
    d = torch.cdist(x, x)
    return d.kthvalue(min(k, len(x) - 1) + 1, dim=1).values  # the smallest, 0, is the row itself


class QualityScorer:
    """Score generated rows against the real rows of one class.

    * ``precision``: share of generated rows inside the ball of some real row
      (each real row's ball reaches its ``k``-th nearest real neighbour):
      fidelity.
    * ``coverage``: share of real rows whose ball holds a generated row:
      diversity (Naeem et al. 2020).
    * ``copies``: share of generated rows closer to a real row than
      ``copy_tol`` × the median nearest-neighbour distance between real rows:
      memorisation. Coverage and precision alone would reward a generator
      that reproduces its training rows.
    * ``score = (precision + coverage) / 2 − copies``, higher is better.

    Parameters
    ----------
    x_real : Tensor of shape (n, d)
        The class's real rows, in the training space (at least 2).
    k : int, default=1
        Neighbours defining the balls (clipped to ``n − 1``). With the few
        rows of a minority class, balls reaching the 5th neighbour (the
        usual PRDC choice) hold nearly every generated row after a few
        hundred iterations, and the score stops telling generators apart;
        with ``k = 1`` it keeps tracking the quality measured on held-back
        rows (docs/sample_quality.md).
    copy_tol : float, default=0.1
        Near-copy radius, as a fraction of the median nearest-neighbour
        distance of the real rows.
    max_rows : int, default=2048
        A class with more real rows is scored against this many of them,
        drawn with ``gen`` (so memory stays bounded: the distances are
        ``max_rows`` × generated rows).
    gen : torch.Generator, default=None
        Source of that subsample (``None``: torch's default generator).

    Examples
    --------
    >>> import torch
    >>> real = torch.randn(100, 3, generator=torch.Generator().manual_seed(0))
    >>> scorer = QualityScorer(real)
    >>> scorer(real + 100)["precision"], scorer(real)["copies"]
    (0.0, 1.0)
    """

    def __init__(self, x_real: Tensor, k: int = 1, copy_tol: float = 0.1, max_rows: int = 2048,
                 gen: torch.Generator | None = None):
        if len(x_real) < 2:
            raise ValueError(f"QualityScorer needs at least 2 real rows; got {len(x_real)}.")
        if len(x_real) > max_rows:
            x_real = x_real[torch.randperm(len(x_real), generator=gen, device=x_real.device)[:max_rows]]
        self.x_real = x_real.reshape(len(x_real), -1).float()
        self.radius = _kth_radius(self.x_real, k)
        self.copy_radius = copy_tol * _kth_radius(self.x_real, 1).median()

    @torch.no_grad()
    def __call__(self, x_fake: Tensor) -> dict[str, float]:
        d = torch.cdist(self.x_real, x_fake.reshape(len(x_fake), -1).float())  # real × fake
        inside = d <= self.radius[:, None]
        precision = inside.any(0).float().mean()
        coverage = inside.any(1).float().mean()
        copies = (d.min(0).values <= self.copy_radius).float().mean()
        values = torch.stack([precision, coverage, copies]).tolist()
        out = dict(zip(("precision", "coverage", "copies"), values))
        out["score"] = (out["precision"] + out["coverage"]) / 2 - out["copies"]
        return out


class QualityMonitor:
    """Score the generator every ``every`` iterations and keep the best one.

    Parameters
    ----------
    scorers : mapping
        Class index (``None`` for an unconditional generator) → the
        :class:`QualityScorer` of that class. The monitored score is the
        mean over classes.
    generate : callable
        ``generate(G, z, class_index) -> rows``: how the method draws rows
        from a generator.
    latent_dim, n_samples : int
        The same ``n_samples`` latent vectors per class (drawn once from
        ``gen``) are used at every evaluation, so that scores differ only
        by the generator.
    every : int
        Iterations between evaluations.
    patience : int or None
        Stop after this many evaluations without improvement; ``None``
        never stops early.
    gen : torch.Generator
        Source of the fixed latent vectors.

    Attributes
    ----------
    best_iteration : int
        The iteration of the kept generator (0: none evaluated yet).
    best_score : float
    """

    def __init__(
        self,
        scorers: Mapping[int | None, QualityScorer],
        generate: Callable[[nn.Module, Tensor, int | None], Tensor],
        latent_dim: int,
        n_samples: int,
        every: int,
        patience: int | None,
        gen: torch.Generator,
    ):
        if every < 1:
            raise ValueError(f"every must be >= 1; got {every!r}.")
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be >= 1 or None; got {patience!r}.")
        self.scorers = dict(scorers)
        self.generate = generate
        self.every, self.patience = every, patience
        device = gen.device
        self.z = {c: torch.randn(n_samples, latent_dim, generator=gen, device=device) for c in self.scorers}
        self.best_score = -math.inf
        self.best_iteration = 0
        self.best_state: dict[str, Tensor] | None = None
        self._since_best = 0

    def due(self, iteration: int, last: int) -> bool:
        """Whether to evaluate after ``iteration`` (always after the last one)."""
        return iteration % self.every == 0 or iteration == last

    @torch.no_grad()
    def evaluate(self, G: nn.Module, iteration: int) -> dict[str, float]:
        """Score ``G`` (in eval mode), remember it if it is the best; return ``q_*`` figures."""
        was_training = G.training
        G.eval()
        try:
            with warnings.catch_warnings():  # e.g. rejection-sampling shortfalls of a half-trained generator
                warnings.simplefilter("ignore")
                per_class = [self.scorers[c](self.generate(G, self.z[c], c)) for c in self.scorers]
        finally:
            G.train(was_training)
        out = {f"q_{name}": sum(m[name] for m in per_class) / len(per_class) for name in per_class[0]}
        if not math.isfinite(out["q_score"]):
            out["q_score"] = -math.inf
        if out["q_score"] > self.best_score:
            self.best_score, self.best_iteration, self._since_best = out["q_score"], iteration, 0
            self.best_state = copy.deepcopy(G.state_dict())
        else:
            self._since_best += 1
        return out

    @property
    def should_stop(self) -> bool:
        """Whether ``patience`` evaluations in a row brought no improvement."""
        return self.patience is not None and self._since_best >= self.patience

    def restore(self, G: nn.Module) -> None:
        """Load the best generator seen into ``G`` (no-op before any evaluation)."""
        if self.best_state is not None:
            G.load_state_dict(self.best_state)
