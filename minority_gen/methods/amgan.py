"""AM-GAN: a K+1-logit discriminator (seeds 001, 002); see also :mod:`.labelgan`."""

from __future__ import annotations

import hashlib
import numbers
import warnings

import torch
from torch import Tensor

from .. import losses
from ..nets import Head
from . import register
from .base import Batch, GANMethod, Networks, NoCandidateWarning, Terms

#: :func:`select_class_rows` runs all its candidates through the generator and the discriminator in one pass
#: when they hold at most this many values (candidates × rows × values per row, about 16 MB of float32 output);
#: more (images: 256 × 16 candidates of 64×64×3 hold 50M) go in rounds of at most this many, so that drawing by
#: rejection takes about the memory of a plain draw of the caller's chunk rather than ``n_candidates`` times it.
CANDIDATE_VALUES = 2**22


def select_class_rows(nets: Networks, z: Tensor, y: Tensor, n_candidates: int) -> Tensor:
    """``G(z, y)`` rows the discriminator assigns to class ``y`` (rejection sampling).

    Each requested row gets ``n_candidates`` candidates: ``G(z_i, y_i)``
    first, then ``G(z', y_i)`` for noise ``z'`` drawn from a
    ``torch.Generator`` seeded with a hash of ``z`` (so the output stays a
    deterministic function of the caller's generator). The first candidate
    whose largest real-class logit ``argmax_{k ≤ K} D_k`` is ``y_i`` is
    kept; if none is, the one with the highest ``softmax_{k ≤ K}(D)_{y_i}``,
    and a :class:`~minority_gen.methods.base.NoCandidateWarning` says how many rows that was (the generator has
    stopped producing that class: a collapse rejection cannot undo). Candidates holding more than
    :data:`CANDIDATE_VALUES` values are judged in rounds (the same rows; later rounds are skipped once every
    row has an accepted candidate).
    """
    digest = hashlib.blake2b(z.detach().cpu().numpy().tobytes(), digest_size=8).digest()
    g = torch.Generator(device=z.device).manual_seed(int.from_bytes(digest, "little") >> 1)
    extra = torch.randn((n_candidates - 1, *z.shape), generator=g, device=z.device, dtype=z.dtype)
    zs = torch.cat([z.unsqueeze(0), extra])
    per_row = nets.G(z[:1], y[:1])[0].numel() if len(z) else 1
    per_round = max(1, CANDIDATE_VALUES // max(1, len(z) * per_row))
    rows, found, best = None, torch.zeros(len(z), dtype=torch.bool, device=z.device), None
    arange = torch.arange(len(z), device=z.device)
    for start in range(0, n_candidates, per_round):  # one round, all candidates at once, unless they are many
        x, accept, score = _judge(nets, zs[start:start + per_round], y)
        first = accept.float().argmax(0)  # each row's first accepted candidate of the round
        top = score.max(0)  # the first of the highest scores, as argmax over every candidate
        take_found = ~found & accept.any(0)
        take_score = ~found & ~take_found & ((top.values > best) if best is not None else True)
        chosen = torch.where(take_found, first, top.indices)
        new = x[chosen, arange]
        take = take_found | take_score
        rows = new if rows is None else torch.where(take.view(-1, *[1] * (new.ndim - 1)), new, rows)
        best = top.values if best is None else torch.where(take_score, top.values, best)
        found = found | take_found
        if bool(found.all()):
            break
    if not found.all():
        warnings.warn(NoCandidateWarning(int((~found).sum()), len(z), n_candidates), stacklevel=3)
    return rows


def _judge(nets: Networks, zs: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Candidates ``G(zs[k], y)`` (shape ``(k, n, ...)``), whether ``D`` assigns each to its class, and the
    log-softmax score of that class among the real classes (both ``(k, n)``)."""
    k, n = zs.shape[:2]
    ys = y.repeat(k)
    x = nets.G(zs.flatten(0, 1), ys)
    logits = nets.D(x)["cls"][:, :-1]
    accept = (logits.argmax(1) == ys).view(k, n)
    score = torch.log_softmax(logits, 1).gather(1, ys[:, None]).view(k, n)
    return x.view(k, n, *x.shape[1:]), accept, score


@register
class AMGAN(GANMethod):
    """Activation Maximization GAN (Zhou et al., 2018).

    The discriminator outputs ``K + 1`` logits (the ``K`` classes and
    "generated"): ``L_D = CE(D(x), y) + CE(D(G(z)), K+1)``. The generator
    minimises ``CE(D(G(z, y)), target)``.

    Parameters
    ----------
    labelling : {"predefined", "dynamic"}, default="predefined"
        ``"predefined"``: ``target = y``, the conditioning label (needed to
        choose the class to oversample). ``"dynamic"``:
        ``target = argmax_{k ≤ K} D_k(G(z))`` under stop-gradient; the
        generator's loss then ignores ``y``, so rows of a requested class are
        drawn by rejection through the discriminator's real-class logits
        (:func:`select_class_rows`).
    n_candidates : int, default=16
        Candidates per row for that rejection sampling (only used when the
        generator loss ignores the label).

    Examples
    --------
    >>> from minority_gen import GANOversampler
    >>> sampler = GANOversampler(method="amgan", method_params={"labelling": "dynamic"}, n_iter=10)
    """

    name = "amgan"
    conditional = True
    paper_defaults = {
        "lr_g": 1e-4,
        "lr_d": 1e-4,
        "betas": (0.5, 0.999),
        "batch_size": 100,
        "latent_dim": 100,
        "n_critic": 1,
    }

    def __init__(self, labelling="predefined", n_candidates=16):
        self.labelling = labelling
        self.n_candidates = n_candidates

    def validate(self) -> None:
        if self.labelling not in ("predefined", "dynamic"):
            raise ValueError(
                f"{self.name}: labelling must be 'predefined' or 'dynamic'; got {self.labelling!r}."
            )
        self._check_candidates()

    def _check_candidates(self) -> None:
        n = self.n_candidates
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"{self.name}: n_candidates must be an int >= 1; got {self.n_candidates!r}.")

    def label_free_generator(self) -> bool:
        """Whether the generator loss ignores the conditioning label."""
        return self.labelling == "dynamic"

    def supports_packing(self) -> bool:
        # rejection sampling scores single generated rows with the discriminator
        return not self.label_free_generator() or self.n_candidates == 1

    def heads(self, n_classes: int) -> dict[str, Head]:
        return {"cls": Head(n_classes + 1)}

    def d_loss(self, nets: Networks, batch: Batch) -> Terms:
        n = len(batch.x_real)
        out = nets.d(torch.cat([batch.x_real, batch.x_fake]))["cls"]
        return losses.k_plus_one_d(out[:n], batch.y_real, out[n:])

    def g_loss(self, nets: Networks, batch: Batch) -> Terms:
        logits = nets.d(batch.x_fake)["cls"]
        target = losses.dynamic_labels(logits) if self.labelling == "dynamic" else batch.y_fake
        return losses.amgan_g(logits, target)

    def generate(self, nets: Networks, z: Tensor, y: Tensor | None) -> Tensor:
        """``G(z, y)``; after training, with rejection when the loss ignores ``y``."""
        if y is None or nets.G.training or not self.label_free_generator() or self.n_candidates == 1:
            return nets.G(z, y)
        return select_class_rows(nets, z, y, self.n_candidates)
