"""Boundary-aware generation: a third player that tells the generator where the border between the classes is.

GAMO (Mullick, Datta and Das, ICCV 2019) adds to the generator and the
discriminator a classifier trained alongside them, and rewards the generator
for rows that classifier finds hard. Here, with ``GANOversampler(boundary=w)``:

* the **classifier** ``C`` (the discriminator's architecture with one logit
  per class, its own seed and Adam optimiser) learns the real rows' classes
  at every discriminator step: the class being generated against every
  other row for an unconditional method, all the classes for a conditional
  one. It never sees generated rows, so it stays a real-data classifier;
* the **generator** pays ``w · mean(relu(m(x) - q) + relu(-m(x)))`` on its
  rows, where ``m(x) = z_y(x) - logsumexp_{j != y} z_j(x)`` is ``C``'s logit
  margin of the row's own class ``y`` and ``q`` the :data:`QUANTILE` (the
  median) of the margins of the step's real rows of the class. A generated
  row deeper in its class than the real rows' median is pulled towards the
  border, so the rows are not deeper in the class than the data; a row
  between the border and ``q`` feels nothing; a row that crossed the border
  (``m < 0``) is pushed back. The discriminator (and Rumi's negatives) keep
  rows looking like their class. The term's gradient reaches the generator
  only: ``C`` is frozen during the generator's step and trained on its own
  loss;
* **anchored rows stay near their anchors**: with anchors
  (:class:`~minority_gen.nets.anchored.AnchoredGenerator`), the correction
  a row receives is at most :data:`SHIFT` times the anchor row's mean
  distance to its ``k`` neighbours in the class (the local neighbour
  distance), so no row is moved far from the real rows it was drawn between.

``boundary={"weight": w, "target": "margins"}`` replaces the one-sided pull
by a match of the whole margin distribution: the generator pays ``w`` times
the mean absolute difference between its rows' sorted margins and the real
rows' margin quantiles at the same ranks (the 1-D Wasserstein distance of
the two margin distributions), so its rows are as deep in the class as the
real rows are, neither deeper nor nearer the border (and cross it as often).
``"target": "inside"`` is that match with the real quantiles below 0 raised
to 0: the real rows that ``C`` puts on the other side of the border (overlap,
label noise) ask for rows on the border, not across it.

``boundary=None`` builds nothing and draws no seed: the rows are exactly
those without the option.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import torch
from torch import Tensor, nn
from torch.nn import functional as F

#: The margin ``q`` when a step has no real rows of the class to measure (``sigmoid(1) = 0.73``).
MARGIN = 1.0
#: Generated rows deeper than this quantile of the real rows' margins are pulled towards the border.
QUANTILE = 0.5
#: With anchors, a row moves at most this many local neighbour distances from its anchor.
SHIFT = 1.0
#: What the penalty asks of the generated rows' margins: at most the real rows' median and not below 0
#: (``"median"``), the real rows' whole margin distribution (``"margins"``), or that distribution with its
#: part below 0 raised to 0 (``"inside"``).
TARGETS = ("median", "margins", "inside")


def parse_boundary(value) -> tuple[float, str] | None:
    """``GANOversampler(boundary=...)`` as ``(weight, target)``; ``None`` when off.

    >>> parse_boundary(2.0), parse_boundary({"weight": 1.0, "target": "margins"}), parse_boundary(None)
    ((2.0, 'median'), (1.0, 'margins'), None)
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"weight", "target"})
        if unknown or "weight" not in value:
            raise ValueError(f"boundary as a dict takes the keys 'weight' (a float > 0, required) and 'target' "
                             f"(one of {list(TARGETS)}); got {dict(value)!r}.")
        weight, target = value["weight"], value.get("target", "median")
    else:
        weight, target = value, "median"
    if isinstance(weight, bool) or not isinstance(weight, Real) or not weight > 0:
        raise ValueError(f"the boundary weight must be a float > 0; got {weight!r}.")
    if target not in TARGETS:
        raise ValueError(f"the boundary target must be one of {list(TARGETS)}; got {target!r}.")
    return float(weight), target


class BoundaryTerm:
    """The classifier ``C`` of one GAN, its loss on real rows and the generator's boundary penalty.

    Parameters
    ----------
    classifier : nn.Module
        A discriminator-shaped network whose head ``"logits"`` has one output
        per class (2 for an unconditional GAN: the other rows, then the class).
    weight : float
        ``w``, the penalty's weight in the generator's loss.
    conditional : bool
        Whether the GAN is conditional (labels from the batch) or learns one
        class against the rest.
    target : {"median", "margins", "inside"}
        What the penalty asks of the generated rows' margins (:data:`TARGETS`).
    """

    def __init__(self, classifier: nn.Module, weight: float, conditional: bool, target: str = "median"):
        if not weight > 0:
            raise ValueError(f"the boundary weight must be > 0; got {weight!r}.")
        if target not in TARGETS:
            raise ValueError(f"the boundary target must be one of {list(TARGETS)}; got {target!r}.")
        self.classifier, self.weight, self.conditional, self.target = classifier, float(weight), conditional, target

    def logits(self, x: Tensor) -> Tensor:
        return self.classifier(x)["logits"]

    def classifier_loss(self, batch) -> Tensor:
        """Cross-entropy of ``C`` on the batch's real rows (class index 1: the class being generated)."""
        if self.conditional:
            x, y = batch.x_real, batch.y_real
        else:
            x = torch.cat([batch.x_neg, batch.x_pos])
            y = torch.cat([torch.zeros(len(batch.x_neg), dtype=torch.long, device=x.device),
                           torch.ones(len(batch.x_pos), dtype=torch.long, device=x.device)])
        return F.cross_entropy(self.logits(x).float(), y)

    def generator_loss(self, batch, real: Tensor | None = None) -> Tensor:
        """``w · mean(relu(m - q) + relu(-m))`` over the generated rows of the batch (target ``"median"``).

        ``q``: the :data:`QUANTILE` of the real rows' margins of their class
        (``real``, the margins of the discriminator step's real rows of the
        generated classes; :data:`MARGIN` when none are given). With target
        ``"margins"`` and real margins given: ``w · mean_i |m_(i) - Q((i + 0.5) / n)|``,
        ``m_(i)`` the generated rows' margins in increasing order and ``Q`` the
        real margins' quantile function; with target ``"inside"``, ``Q`` raised
        to at least 0.
        """
        logits = self.logits(batch.x_fake).float()
        if self.conditional:
            y = batch.y_fake
        else:
            y = torch.ones(len(logits), dtype=torch.long, device=logits.device)
        m = margin(logits, y)
        if self.target != "median" and real is not None and len(real):
            ranks = (torch.arange(len(m), device=m.device, dtype=torch.float32) + 0.5) / len(m)
            q = torch.quantile(real.detach().float().to(m.device), ranks)
            if self.target == "inside":
                q = q.clamp_min(0.0)
            return self.weight * (torch.sort(m).values - q).abs().mean()
        q = MARGIN if real is None or not len(real) else torch.quantile(real.detach().float(), QUANTILE)
        return self.weight * (F.relu(m - q) + F.relu(-m)).mean()

    @torch.no_grad()
    def real_margins(self, batch) -> Tensor:
        """The margins of the batch's real rows of the class(es) being generated (their depth in the class)."""
        if self.conditional:
            return margin(self.logits(batch.x_real).float(), batch.y_real)
        x = batch.x_pos
        return margin(self.logits(x).float(), torch.ones(len(x), dtype=torch.long, device=x.device))


def margin(logits: Tensor, y: Tensor) -> Tensor:
    """Per row, the logit of class ``y`` minus the log-sum-exp of the other classes' logits.

    >>> margin(torch.tensor([[0.0, 2.0], [1.0, 1.0]]), torch.tensor([1, 0])).tolist()
    [2.0, 0.0]
    """
    own = logits.gather(1, y[:, None]).squeeze(1)
    others = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf")).logsumexp(1)
    return own - others


def bounded_shift(delta: Tensor, radius: Tensor, shift: float = SHIFT) -> Tensor:
    """``delta`` (rows first) scaled down where its norm exceeds ``shift * radius`` (per row).

    >>> bounded_shift(torch.tensor([[3.0, 4.0], [0.3, 0.4]]), torch.tensor([1.0, 1.0])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.30000001192092896, 0.4000000059604645]]
    """
    flat = delta.reshape(len(delta), -1)
    norm = flat.norm(dim=1)
    limit = shift * radius.to(norm.dtype)
    scale = torch.where(norm > limit, limit / norm.clamp_min(1e-12), torch.ones_like(norm))
    return delta * scale.view(-1, *([1] * (delta.ndim - 1))).to(delta.dtype)
