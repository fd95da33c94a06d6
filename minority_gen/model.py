"""The fitted state of a :class:`~minority_gen.GANOversampler` as one object, and the fit that makes it.

:func:`fit_model` trains the GANs a fit asks for (through
:mod:`minority_gen.plan`) and returns a :class:`FittedModel`: the networks
per class, the codec that maps rows to what the networks see, the data's
shape, the divergence limits, the row filters and the seeds. The model
draws rows with :meth:`FittedModel.generate` and is saved and rebuilt part
by part through :meth:`FittedModel.to_state` / :meth:`FittedModel.from_state`
(:mod:`minority_gen.persistence`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone

from .callbacks import Callback, ProgressBar
from .data import DataSpec
from .ddp import DataParallel
from .devices import to_device, torch_generator
from .divergence import FAR_FACTOR, divergence_limits, far_share
from .filtering import RowFilter
from .generation import draw_filtered, generate_rows, rejections_collected
from .methods import GANMethod, Networks
from .methods.base import NoCandidateWarning
from .networks import Architecture, build_networks
from .plan import SEED_MAX, Plan, fit_plan
from .safeguards import class_label
from .settings import Settings


@dataclass
class FittedModel:
    """Everything a fit learned, with what it needs to draw rows.

    ``generators`` / ``discriminators``: class label → network (a
    conditional method's classes share one); ``codec``: fitted encoder of
    the rows; ``spec``: the encoded rows' shape; ``limits``: the divergence
    limits of the encoded columns; ``filters``: class label → fitted
    :class:`~minority_gen.filtering.RowFilter` (empty without ``filter``);
    ``architecture``: how the networks were built; ``draw_seed``: the seed of
    ``fit_resample``'s synthetic rows; ``far_rows``: class label → the share
    of the last draw's rows beyond :data:`~minority_gen.divergence.FAR_FACTOR`
    times the training rows' largest magnitude in some column (a warning is
    given when it is above 0); ``ranges``: class label → the class's own
    range in each discrete column where it is narrower than the data's
    (``codec.class_ranges``): generated rows that decode outside it are
    drawn again (empty for images and for model files written before it).
    """

    method: GANMethod
    classes: np.ndarray
    generators: dict
    discriminators: dict
    codec: object
    spec: DataSpec
    limits: np.ndarray
    filters: dict
    architecture: Architecture
    draw_seed: int
    far_rows: dict = field(default_factory=dict)
    ranges: dict = field(default_factory=dict)

    @property
    def latent_dim(self) -> int:
        return self.architecture.latent_dim

    def generate(self, n: int, cls, gen: torch.Generator) -> tuple[object, dict | None]:
        """``n`` decoded rows of class ``cls`` drawn with ``gen``, and the filter's report (``None``: no filter)."""
        if n == 0:
            return self.codec.decode(np.empty((0, self.spec.n_features), dtype=np.float32)), None
        G, D = self.generators[cls], self.discriminators[cls]
        nets = Networks(G=G, D=D, n_classes=len(self.classes), pac=getattr(D, "pac", 1))
        index = int(np.searchsorted(self.classes, cls)) if self.method.conditional else None
        chunk = 4096 if self.spec.image_shape is None else 256  # conv activations are large per image
        noise_dim = getattr(G, "noise_dim", self.latent_dim)  # latent, Gumbel and anchor draws

        def draw(m: int) -> np.ndarray:
            return generate_rows(self.method, nets, m, index, noise_dim, gen, chunk=chunk, limits=self.limits,
                                 label=f"class {class_label(cls)}").reshape(m, -1)

        ranges = self.ranges.get(cls)
        outside = (lambda rows: self.codec.outside(rows, ranges)) if ranges else None
        rejected: list[NoCandidateWarning] = []
        with rejections_collected(rejected):  # rejection sampling warns per chunk: said once for the draw here
            rows, report = draw_filtered(draw, n, self.filters.get(cls), outside=outside,
                                         snap=lambda rows: self.codec.encode(self.codec.decode(rows)))
        if rejected:
            warnings.warn(NoCandidateWarning(sum(w.n for w in rejected), sum(w.total for w in rejected),
                                             rejected[0].n_candidates, f" of class {class_label(cls)}"), stacklevel=3)
        if report["kept_outside"]:
            warnings.warn(f"{report['kept_outside']} of the {n} rows generated for class {class_label(cls)} hold "
                          "a discrete value outside the class's own range (the generator kept returning such rows "
                          f"in {report['rounds']} rounds of draws): look at the rows, or train longer.",
                          UserWarning, stacklevel=3)
        self.far_rows[cls] = share = far_share(rows, self.limits)
        if share > 0:
            warnings.warn(f"{share:.1%} of the {n} rows generated for class {class_label(cls)} lie beyond "
                          f"{FAR_FACTOR}x the training rows' largest |value| in some column (healthy fits stay "
                          "within about 13x): the generator may be drifting. Look at the rows, or refit with lower "
                          "learning rates (lr_g, lr_d) or spectral_norm=True.", UserWarning, stacklevel=3)
        return self.codec.decode(rows), (report if cls in self.filters else None)

    def draw_new(self, sampling_strategy: Mapping, y_dtype) -> tuple[list, list[np.ndarray], dict]:
        """``fit_resample``'s synthetic rows and labels, class by class in ``sampling_strategy`` order, and the
        filters' reports."""
        gen = torch_generator(self.draw_seed)
        rows, labels, reports = [], [], {}
        for cls, n in sampling_strategy.items():
            if n > 0:
                new, report = self.generate(n, cls, gen)
                rows.append(new)
                labels.append(np.full(n, cls, dtype=y_dtype))
                if report is not None:
                    reports[cls] = report
        return rows, labels, reports

    def holds(self) -> dict:
        """Which training data this model (and so a file saved from it) contains, in counts of rows.

        ``anchor_rows``: class label → rows stored as the anchored generators'
        anchors (standardised); ``filter_rows``: class label → rows each row
        filter stores (``class``: the class's own, ``all``: every training row);
        ``codec``: the kind of column statistics the codec keeps;
        ``class_ranges``: class label → the number of discrete columns where
        the file keeps the ends of that class's values (halfway to the next
        level another class has).
        """
        anchor_rows: dict[str, int] = {}
        seen = set()
        for G in self.generators.values():
            rows = getattr(G, "rows", None)
            if id(G) in seen or not isinstance(rows, torch.Tensor):
                continue
            seen.add(id(G))
            counts = G.counts.tolist()
            labels = self.classes if self.method.conditional else [c for c, g in self.generators.items() if g is G]
            for label, n in zip(labels, counts):
                anchor_rows[class_label(label)] = int(n)
        filter_rows = {}
        for label, f in self.filters.items():
            state = f.to_state()
            filter_rows[class_label(label)] = {"class": len(state.get("X_pos", ())), "all": len(state.get("X_all", ()))}
        return {"training_rows": bool(anchor_rows) or any(any(v.values()) for v in filter_rows.values()),
                "anchor_rows": anchor_rows, "filter_rows": filter_rows, "codec": type(self.codec).__name__,
                "class_ranges": {class_label(label): len(r) for label, r in self.ranges.items()}}

    # ------------------------------------------------------------------
    # state
    # ------------------------------------------------------------------
    def to_state(self) -> tuple[dict, dict[str, dict[str, torch.Tensor]]]:
        """``(state, tensors)``: the model's parts as plain values and objects
        :mod:`minority_gen.jsonstate` writes, and each network's weights."""
        groups: list[dict] = []
        tensors: dict[str, dict[str, torch.Tensor]] = {}
        seen: dict[int, int] = {}
        for label, G in self.generators.items():
            key = seen.setdefault(id(G), len(groups))
            if key == len(groups):
                groups.append({"classes": [], "G": f"G{key}", "D": f"D{key}",
                               "G_trainable": any(p.requires_grad for p in G.parameters())})
                for name, net in (("G", G), ("D", self.discriminators[label])):
                    tensors[f"{name}{key}"] = {k: t.detach().cpu().contiguous().clone()
                                               for k, t in net.state_dict().items()}
            groups[key]["classes"].append(label)
        state = {
            "method": self.method, "classes": self.classes, "codec": self.codec, "spec": self.spec,
            "limits": self.limits, "filters": {c: f.to_state() for c, f in self.filters.items()},
            "architecture": self.architecture.to_state(), "draw_seed": int(self.draw_seed), "groups": groups,
            "ranges": dict(self.ranges),
        }
        return state, tensors

    @classmethod
    def from_state(cls, state: Mapping, tensors: Mapping[str, Mapping[str, torch.Tensor]]) -> FittedModel:
        """The model :meth:`to_state` described, its networks rebuilt (:func:`build_networks`) and loaded strictly.

        Raises ``ValueError`` when a part is missing or the weights do not fit
        the networks the architecture builds.
        """
        method, spec = state["method"], state["spec"]
        if not isinstance(method, GANMethod) or not isinstance(spec, DataSpec):
            raise ValueError("the model's method or data spec is missing")
        arch = Architecture.from_state(state["architecture"])
        generators, discriminators = {}, {}
        for group in state["groups"]:
            missing = [key for key in (group["G"], group["D"]) if key not in tensors]
            if missing:
                raise ValueError(f"the weights have no entry {missing[0]!r}")
            nets = rebuild_networks(method, spec, arch, tensors[group["G"]], tensors[group["D"]])
            nets.G.requires_grad_(bool(group["G_trainable"]))
            for label in group["classes"]:
                generators[label], discriminators[label] = nets.G, nets.D
        filters = {c: RowFilter.from_state(f) for c, f in state["filters"].items()}
        limits = np.asarray(state["limits"], dtype=np.float64)
        if limits.shape != (spec.n_features,):
            raise ValueError(f"the divergence limits have shape {limits.shape}, not ({spec.n_features},)")
        classes = np.asarray(state["classes"])
        return cls(method=method, classes=classes, generators=generators,
                   discriminators=discriminators, codec=state["codec"], spec=spec, limits=limits, filters=filters,
                   architecture=arch, draw_seed=int(state["draw_seed"]),
                   ranges=check_ranges(state.get("ranges", {}), state["codec"], generators))


def check_ranges(ranges, codec, generators: Mapping) -> dict:
    """A model file's ``ranges`` (:class:`FittedModel`), checked: a class the model generates → ``[[column, low,
    high], ...]`` with each column a discrete column of the codec, ``low`` and ``high`` finite or ``None`` (not
    both) and ``low <= high``; ``ValueError`` otherwise."""
    if not isinstance(ranges, Mapping):
        raise ValueError("the class ranges are not a mapping")
    table = getattr(codec, "numeric_", codec)  # the mixed codec keeps its numeric columns in a TableCodec
    levels = getattr(table, "levels_", None)
    out = {}
    for label, entries in ranges.items():
        if label not in generators or not isinstance(entries, list) or levels is None:
            raise ValueError(f"the class ranges name a class the model does not generate: {label!r}")
        checked = []
        for entry in entries:
            if (not isinstance(entry, list) or len(entry) != 3 or not isinstance(entry[0], int)
                    or isinstance(entry[0], bool) or entry[0] not in levels
                    or not all(v is None or (isinstance(v, float) and np.isfinite(v)) for v in entry[1:])
                    or entry[1:] == [None, None] or (None not in entry[1:] and entry[1] > entry[2])):
                raise ValueError(f"the class range {entry!r} of class {label!r} is not [discrete column, low, high]")
            checked.append(list(entry))
        out[label] = checked
    return out


def rebuild_networks(method: GANMethod, spec: DataSpec, arch: Architecture, g_state: Mapping,
                     d_state: Mapping) -> Networks:
    """A generator and discriminator built as training built them, then loaded with ``g_state`` / ``d_state``.

    An anchored generator's buffers (its real rows and their neighbours) are
    sized from ``g_state``, which then fills them. Global random state untouched.
    """
    anchors = None
    if arch.anchor:
        rows, nbrs = g_state.get("rows"), g_state.get("neighbours")
        if not (isinstance(rows, torch.Tensor) and rows.ndim == 2 and len(rows)
                and isinstance(nbrs, torch.Tensor) and nbrs.ndim == 2 and len(nbrs) == len(rows)):
            raise ValueError("the anchored generator's rows and neighbours are missing from its weights, or their "
                             "shapes do not match")
        anchors = {"rows": torch.zeros(rows.shape), "neighbours": torch.zeros(nbrs.shape, dtype=torch.long),
                   "labels": torch.zeros(len(rows), dtype=torch.long)}
    with torch.device("meta"):  # shapes first, without memory: a state cannot make us allocate what it lacks
        shapes = build_networks(spec, method, arch, anchors=anchors)
    for net, state, what in ((shapes.G, g_state, "generator"), (shapes.D, d_state, "discriminator")):
        expected = {k: tuple(t.shape) for k, t in net.state_dict().items()}
        stored = {k: tuple(t.shape) for k, t in state.items() if isinstance(t, torch.Tensor)}
        if expected != stored:
            diff = sorted(set(expected.items()) ^ set(stored.items()))[:3]
            raise ValueError(f"the {what}'s weights do not fit the network its settings build (first differences: "
                             f"{diff})")
    nets = build_networks(spec, method, arch, anchors=anchors)
    for net, state, what in ((nets.G, g_state, "generator"), (nets.D, d_state, "discriminator")):
        try:
            net.load_state_dict(dict(state), strict=True)
        except (RuntimeError, KeyError, TypeError) as exc:
            raise ValueError(f"the {what}'s weights do not fit the network its settings build "
                             f"({' '.join(str(exc).split())[:300]})") from None
        net.eval()
    return nets


def fit_model(settings: Settings, codec, spec: DataSpec, X, y: np.ndarray, grow: list,
              rng: np.random.RandomState, ddp: DataParallel | None = None,
              callbacks: Sequence[Callback] = ()) -> tuple[FittedModel, pd.DataFrame]:
    """Train a GAN for every class label in ``grow``; return the fitted model and the training history.

    ``codec`` is fitted on ``X`` already; ``y`` holds the labels; ``rng`` the
    estimator's random state (seeds of every GAN, then the draw seed);
    ``callbacks`` training events beside the progress bar (``verbose``).
    """
    classes, y_idx = np.unique(y, return_inverse=True)
    x_enc = codec.encode(X)
    limits = divergence_limits(x_enc)  # rows beyond these are refused, in training and after it
    filters = {}
    if settings.row_filter is not None:
        for c in grow:
            mask = y_idx == np.searchsorted(classes, c)
            filters[c] = clone(settings.row_filter).fit(x_enc[mask], x_enc[~mask])
    x_all = to_device(torch.from_numpy(x_enc), settings.device)
    y_all = to_device(torch.from_numpy(y_idx.astype(np.int64)), settings.device)
    progress = [ProgressBar()] if settings.verbose else []
    plan = Plan(settings=settings, spec=spec, limits=limits, callbacks=[*progress, *callbacks], ddp=ddp)
    index = {int(np.searchsorted(classes, c)): c for c in grow}
    fitted, history = fit_plan(plan, x_all, y_all, len(classes), index, rng)
    ranges = {}
    if hasattr(codec, "class_ranges"):  # tables: each class's own range in its discrete columns
        for c in grow:
            mask = y_idx == np.searchsorted(classes, c)
            ranges[c] = codec.class_ranges(X.iloc[mask] if isinstance(X, pd.DataFrame) else np.asarray(X)[mask])
    model = FittedModel(
        method=settings.method, classes=classes, generators={c: fitted[i].G for i, c in index.items()},
        discriminators={c: fitted[i].D for i, c in index.items()}, codec=codec, spec=spec, limits=limits,
        filters=filters, architecture=plan.architecture(len(classes)), draw_seed=int(rng.randint(SEED_MAX)),
        ranges={c: r for c, r in ranges.items() if r},
    )
    return model, history
