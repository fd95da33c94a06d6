"""Building a method's networks for data of a given shape: the one place training and loading both use.

:class:`Architecture` is what a set of networks is built from besides the
data's shape and the method; :func:`build_networks` builds them, with the
weights seeded locally (torch's global random state is left as it was).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from .data import DataSpec
from .devices import seeded_init
from .methods import GANMethod, Networks
from .nets import Head, build_discriminator, build_generator
from .nets.conv import PADDINGS


@dataclass(frozen=True)
class Architecture:
    """How one GAN's networks are built: latent width, hidden widths, classes, packing, anchors.

    ``hidden``: ``None`` sizes them from the data
    (:func:`~minority_gen.nets.auto_hidden_dims`); ``conditional``: the
    generator takes a class index (``n_classes`` of them); ``spectral_norm``:
    on the discriminator's layers (as asked, or as the method needs);
    ``pac``: rows per discriminator pack; ``anchor``: the generator refines
    SMOTE anchors of real rows; ``anchor_shift``: the bound on its correction,
    in local neighbour distances (``None``: unbounded); ``anchor_shape``: the
    correction is shaped by its class's covariance (``correction="covariance"``;
    written to the state only when set, so files without it read as before);
    ``padding``: how an image generator's convolutions pad
    (:data:`~minority_gen.nets.conv.PADDINGS`; written only when not zeros).
    """

    latent_dim: int
    hidden: tuple[int, ...] | None
    n_classes: int
    conditional: bool
    spectral_norm: bool
    pac: int = 1
    anchor: bool = False
    anchor_shift: float | None = None
    anchor_shape: bool = False
    padding: str = "zeros"

    def to_state(self) -> dict:
        return {"latent_dim": self.latent_dim, "hidden": None if self.hidden is None else list(self.hidden),
                "n_classes": self.n_classes, "conditional": self.conditional, "spectral_norm": self.spectral_norm,
                "pac": self.pac, "anchor": self.anchor, "anchor_shift": self.anchor_shift,
                **({"anchor_shape": True} if self.anchor_shape else {}),
                **({"padding": self.padding} if self.padding != "zeros" else {})}

    @classmethod
    def from_state(cls, state: Mapping) -> Architecture:
        """The architecture :meth:`to_state` wrote; every field type-checked (the state may come from a file)."""
        def integer(name, low=1):
            v = state[name]
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                raise ValueError(f"architecture field {name!r} must be an int >= {low}; got {v!r}")
            return v

        def flag(name):
            if not isinstance(state[name], bool):
                raise ValueError(f"architecture field {name!r} must be true or false; got {state[name]!r}")
            return state[name]

        hidden = state["hidden"]
        if hidden is not None:
            if not isinstance(hidden, (list, tuple)) or not hidden or not all(
                    isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden):
                raise ValueError(f"architecture field 'hidden' must be a list of positive ints; got {hidden!r}")
            hidden = tuple(hidden)
        shape = state.get("anchor_shape", False)  # absent before shaped corrections, and when off
        if not isinstance(shape, bool) or (shape and not state["anchor"]):
            raise ValueError(f"architecture field 'anchor_shape' must be true or false, and true only with "
                             f"'anchor'; got {shape!r}")
        shift = state.get("anchor_shift")  # absent before boundary-aware generation
        if shift is not None and (not isinstance(shift, (int, float)) or isinstance(shift, bool) or not shift > 0):
            raise ValueError(f"architecture field 'anchor_shift' must be a number > 0 or null; got {shift!r}")
        padding = state.get("padding", "zeros")  # absent before the option, and when zeros
        if not isinstance(padding, str) or padding not in PADDINGS:
            raise ValueError(f"architecture field 'padding' must be one of {list(PADDINGS)}; got {padding!r}")
        return cls(latent_dim=integer("latent_dim"), hidden=hidden, n_classes=integer("n_classes"),
                   conditional=flag("conditional"), spectral_norm=flag("spectral_norm"), pac=integer("pac"),
                   anchor=flag("anchor"), anchor_shift=None if shift is None else float(shift), anchor_shape=shape,
                   padding=padding)


def build_networks(spec: DataSpec, method: GANMethod, arch: Architecture, *, anchors: Mapping | None = None,
                   seed: int | None = None, device: torch.device | None = None, extra: bool = False) -> Networks:
    """The generator and discriminator (and with ``extra`` the method's training-only networks) for ``spec``.

    ``anchors``: the anchored generator's keyword arguments (``rows`` and
    ``labels`` or ``neighbours``). ``seed``: the weights are drawn from a
    local seed (``None``: from torch's global state, which is put back
    afterwards either way). ``device``: where the networks go.
    """
    if anchors is not None and arch.anchor_shift is not None:
        anchors = {**anchors, "max_shift": arch.anchor_shift}
    if anchors is not None and arch.anchor_shape:
        anchors = {**anchors, "shaped": True}
    with seeded_init(seed):

        def build(heads, pac=1):
            return build_discriminator(spec, heads, arch.n_classes, arch.hidden, arch.spectral_norm,
                                       pac=pac).to(device)

        G = build_generator(spec, arch.latent_dim, arch.n_classes if arch.conditional else 0, arch.hidden,
                            anchors=anchors, padding=arch.padding).to(device)
        D = build(method.heads(arch.n_classes), arch.pac)
        extra_nets = method.extra_networks(build, arch.n_classes) if extra else {}
    return Networks(G=G, D=D, n_classes=arch.n_classes, extra=extra_nets, pac=arch.pac)


def build_classifier(spec: DataSpec, n_outputs: int, hidden: tuple[int, ...] | None, seed: int,
                     device: torch.device | None = None) -> nn.Module:
    """The boundary classifier of :mod:`minority_gen.boundary`: the discriminator's architecture with one
    ``"logits"`` head of ``n_outputs``, its weights from ``seed`` (global random state untouched)."""
    with seeded_init(seed):
        return build_discriminator(spec, {"logits": Head(n_outputs)}, 0, hidden, False).to(device)
