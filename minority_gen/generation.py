"""Drawing rows from a trained generator, checked: never a non-finite row, never one beyond the divergence limits."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .divergence import ADVICE, DivergenceError, beyond
from .methods.base import GANMethod, Networks, NoCandidateWarning


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
    device = next(nets.G.parameters()).device
    out = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NoCandidateWarning)
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            z = torch.randn(m, latent_dim, generator=gen, device=device)
            y = None if class_index is None else torch.full((m,), class_index, dtype=torch.long, device=device)
            out.append(method.generate(nets, z, y).float().cpu())
    rows = torch.cat(out).numpy() if out else np.empty((0, 0), dtype=np.float32)
    of = f" ({label})" if label else ""
    rejected = [w.message for w in caught if isinstance(w.message, NoCandidateWarning)]
    for w in caught:  # every other warning as it was
        if not isinstance(w.message, NoCandidateWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    if rejected:  # one warning for the whole draw, naming the class
        warnings.warn(NoCandidateWarning(sum(w.n for w in rejected), n, rejected[0].n_candidates, f" of {label}"
                                         if label else ""), stacklevel=4)
    if rows.size and not np.isfinite(rows).all():
        raise DivergenceError(
            f"The generator of method {method.name!r}{of} produced non-finite values; "
            f"it has diverged. {ADVICE} and refit."
        )
    where = None if limits is None or not rows.size else beyond(rows, limits)
    if where is not None:
        raise DivergenceError(
            f"The generator of method {method.name!r}{of} has diverged: it produced {where}; "
            f"no rows are returned. {ADVICE} and refit."
        )
    return rows
