"""Every setting of a fit decided in one place: the estimator's parameters, each ``"auto"`` resolved for the data.

:func:`resolve_settings` turns :meth:`GANOversampler.get_params
<minority_gen.GANOversampler.get_params>` and the shape of the data
(:class:`~minority_gen.data.DataSpec`) into one immutable
:class:`Settings`, which the rest of a fit reads. What each ``"auto"`` means:

* ``n_iter``: :data:`AUTO_TABLE_N_ITER` for anchored tables, :data:`AUTO_TABLE_N_ITER_FROM_NOISE` for other tables,
  :data:`AUTO_IMAGE_N_ITER` for images;
* ``ema``: none for tables, :data:`AUTO_IMAGE_EMA` for images;
* ``pac``: :data:`AUTO_PAC` for tables with a method that supports packing, else 1;
* ``anchor``: SMOTE anchors for tables (unless ``selection="quality"``), none for images;
* ``correction``: :data:`AUTO_CORRECTION` for anchored tables (it does nothing without anchors), ``"free"``
  for images;
* ``boundary``: :data:`AUTO_BOUNDARY` for anchored tables, off for images and for tables without anchors;
* ``filter``: :data:`AUTO_FILTER` for anchored tables, none for images and for tables without anchors;
* ``diffaugment``: the DiffAugment authors' policy for images, none for tables;
* ``padding``: :data:`AUTO_PADDING` for images (tables have no convolutions);
* ``device``: CUDA when there is one; ``amp``: on for images on CUDA;
* the method's own ``"auto"`` options (:meth:`~minority_gen.methods.GANMethod.for_data`);
* the optimiser settings left at ``None``: the recipe's
  (:attr:`~minority_gen.methods.GANMethod.defaults`, or ``paper_defaults``
  with ``recipe="paper"`` and for images).

Adding an estimator parameter touches this module and the estimator only.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from .boundary import parse_boundary
from .data import DataSpec
from .devices import resolve_amp, resolve_device
from .diffaugment import resolve_policy
from .filtering import RowFilter
from .methods import GANMethod, get_method
from .training import TrainConfig

#: ``pac="auto"``: rows per discriminator pack for methods that support packing.
AUTO_PAC = 4

#: ``ema="auto"``: decay of the generator's weight average for images (tables: no average).
AUTO_IMAGE_EMA = 0.99

#: ``n_iter="auto"``: generator updates for tables and for images. The table budget was chosen on the development
#: collection (protocol V) with the boundary term below, by the rule in benchmarks/README.md (500 against 1000 and
#: 2000), and protocol T's check of it passed.
AUTO_TABLE_N_ITER = 500
#: ``n_iter="auto"`` for tables without anchors (``anchor=None``, ``selection="quality"``), chosen on protocol V by
#: the same rule (``choice_b95a243.md``): against 2000, 500 was lower with logistic regression on 9 of 11 changed
#: tables (sign test p = 0.033) and failed; 1000 was lower on 8 / 8 / 5 of 11 / 11 / 12 (p = 0.11 / 0.11 / 0.81)
#: and passed; protocol T's check of it: benchmarks/README.md.
AUTO_TABLE_N_ITER_FROM_NOISE = 1000
AUTO_IMAGE_N_ITER = 1000

#: ``filter="auto"``: the row filter of anchored tables. ``"border"`` (no returned row on the other classes' side
#: of a logistic regression of the real rows) was chosen on protocol V by the rule in benchmarks/README.md: G-mean
#: lower than without it on 6 / 6 / 6 of 9 / 10 / 10 changed tables (LR / RF / HGB; one-sided sign test p = 0.25,
#: 0.38, 0.38): no classifier pays for it (benchmarks/results/dev_collection/choice_b95a243.md).
#: Then ``"reach"`` against ``"border"`` on V (the rule in benchmarks/README.md, both rows on one machine): lower
#: on 2 / 3 / 5 of 6 / 6 / 6 changed tables (p = 0.89 / 0.66 / 0.11; the 8 other tables, which a line separates,
#: identical), crossing share within SMOTE's plus one point on all 14: it passes, and keeps the modes a line
#: cannot separate, which the border filter drops (benchmarks/results/dev_collection/choice_c1d2760.md).
AUTO_FILTER = "reach"

#: ``padding="auto"``: how image generators' convolutions pad. Zeros, the images of every result so far; the
#: alternatives (:data:`~minority_gen.nets.conv.PADDINGS`) are for protocol I's validation split to decide.
AUTO_PADDING = "zeros"

#: ``correction="auto"``: how an anchored table generator's correction may move its rows.
AUTO_CORRECTION = "covariance"

#: ``boundary="auto"``: the boundary term of anchored tables (off for images and tables without anchors).
#: Chosen with :data:`AUTO_CORRECTION` as a pair on the development collection (protocol V, at weight 1), then
#: its weight 0.5 against 1 there (benchmarks/README.md's table of choices).
AUTO_BOUNDARY = {"weight": 0.5, "target": "margins"}

#: What ``"auto"`` means for these parameters: ``(for tables, for images)``; ``n_iter``'s also depends on anchors
#: (:func:`auto_n_iter`).
AUTO_BY_KIND = {"ema": (None, AUTO_IMAGE_EMA)}


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one fit (every ``"auto"`` decided); read-only.

    ``method``: the method object with its ``"auto"`` options resolved for
    the data (the estimator's ``method_``); ``config``: the optimiser and
    loop settings; ``hidden``: hidden widths (``None``: sized from the data);
    ``spectral_norm``: as asked (methods that need it add it when building);
    ``policy``: the DiffAugment policy (empty: none); ``anchor``: generators
    start from SMOTE anchors; ``row_filter``: the unfitted filter template
    (``None``: no filter); ``boundary``: the weight of the boundary penalty
    (:mod:`minority_gen.boundary`; ``None``: off) and ``boundary_target`` what it asks of the margins;
    ``correction``: ``"free"`` or ``"covariance"`` (an anchored table generator's correction shaped by its
    class's covariance).
    """

    method: GANMethod
    config: TrainConfig
    hidden: tuple[int, ...] | None
    spectral_norm: bool
    policy: str
    anchor: bool
    balanced_labels: bool
    select: bool
    eval_every: int | None
    patience: int | None
    device: torch.device
    n_jobs: int | None
    row_filter: RowFilter | None
    verbose: bool
    boundary: float | None = None
    boundary_target: str = "median"
    correction: str = "free"
    padding: str = "zeros"


def check_params(params: Mapping) -> GANMethod:
    """The checks between parameters that need no data, before anything else; the method object, built."""
    if params["boundary"] != "auto":
        parse_boundary(params["boundary"])  # a bad weight or target names itself before anything runs
    if params["selection"] != "quality" and (params["patience"] is not None or params["eval_every"] is not None):
        raise ValueError(
            f"patience and eval_every apply to selection='quality' (they set its evaluations); got "
            f"selection={params['selection']!r} with patience={params['patience']!r}, "
            f"eval_every={params['eval_every']!r}. Pass selection='quality' or leave them at None."
        )
    check_method_params(params["method"], params["method_params"])
    method = get_method(params["method"], params["method_params"])
    hidden_dims(params["hidden_dims"])
    return method


def check_method_params(method, method_params) -> None:
    """Refuse a method option whose type does not fit its default (a number for a number, a bool for a bool)
    or a number that is not finite, naming the option, before the method compares it with another option.

    Both routes are checked: ``method_params`` and the options of a method
    object (``method=RumiLSGAN(c=2)``, ``set_params(method__c=2)``). Options
    whose default is a string (``"auto"``, choices) are left to the method's
    own checks, but an ``"auto"`` one that stands for a number takes a
    number. NaN is never an option's value; infinity only for the options a
    method lists in ``infinite_options`` (CA-GAN's ``mix_rate``). Unknown
    options and unknown methods are left to :func:`~minority_gen.methods.get_method`.
    """

    given = {name: (value, f"method_params[{name!r}]") for name, value in (method_params or {}).items()}
    if isinstance(method, GANMethod):
        given = {name: (value, f"{type(method).__name__}({name}=...)")
                 for name, value in method.get_params(deep=False).items()} | given
    if not given:
        return
    try:
        cls = type(method) if isinstance(method, GANMethod) else type(get_method(method))
    except (TypeError, ValueError):
        return  # named by get_method itself
    defaults = {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    auto_numbers = set(getattr(cls, "auto_options", {}))
    for name, (value, where) in given.items():
        if name not in defaults:
            continue
        default = defaults[name]
        is_bool = isinstance(value, (bool, np.bool_))
        number = isinstance(value, Real) and not is_bool
        if isinstance(default, bool):
            ok, expected = is_bool, "True or False"
        elif name in auto_numbers:  # a string other than "auto" is named by the method's own check
            ok, expected = number or isinstance(value, str), "a number or 'auto'"
        elif isinstance(default, Integral):
            ok, expected = isinstance(value, Integral) and not is_bool, "an int"
        elif isinstance(default, Real):
            ok, expected = number, "a number"
        else:
            continue
        error = TypeError
        if ok and number and not (np.isfinite(value) or (np.isinf(value) and name in cls.infinite_options)):
            ok, expected, error = False, "a finite number", ValueError
        if not ok:
            raise error(
                f"{where} must be {expected} (option {name} of method {cls.name!r}, default "
                f"{default!r}); got {value!r} ({type(value).__name__})."
            )


def resolve_settings(params: Mapping, spec: DataSpec, method: GANMethod | None = None) -> Settings:
    """:class:`Settings` for estimator parameters ``params`` (``get_params()``) and data of shape ``spec``.

    ``method``: the method object :func:`check_params` built (built here when
    ``None``). Refuses settings that do not fit the data (a filter on images,
    packing with a method that cannot pack ...) with a ``ValueError``.
    """
    method = method if method is not None else check_params(params)
    images = spec.image_shape is not None
    device = resolve_device(params["device"])
    anchor = anchored(params, images)
    boundary = params["boundary"]
    if boundary == "auto":
        boundary = AUTO_BOUNDARY if anchor and not images else None
    boundary = parse_boundary(boundary)
    method = method.for_data(images=images, anchored=anchor)
    correction = params["correction"]
    if correction == "covariance" and images:
        raise ValueError("correction='covariance' shapes a table's numeric columns by the class's covariance; "
                         "images have no such option yet. Pass correction='auto' or 'free' for images.")
    if correction == "covariance" and not anchor:
        raise ValueError("correction='covariance' shapes the correction an anchored generator adds to its SMOTE "
                         "anchor, and anchor=None draws rows from noise, so it would be ignored; pass "
                         "anchor='auto' (or 'smote'), or correction='auto' (or 'free').")
    if correction == "auto":
        correction = "free" if images else AUTO_CORRECTION
    padding = params["padding"]
    if padding not in ("auto", "zeros") and not images:
        raise ValueError(f"padding={padding!r} sets how an image generator's convolutions pad; a table's networks "
                         "have no convolutions. Pass padding='auto' (or 'zeros') for tables.")
    padding = AUTO_PADDING if padding == "auto" else padding
    template = params["filter"]
    if template == "auto":
        template = AUTO_FILTER if anchor and not images else None
    elif template is not None and images:
        raise ValueError("filter works on tables only; pass filter=None (or 'auto') for images.")
    if template is not None and not isinstance(template, RowFilter):
        template = RowFilter(criteria=template)
    return Settings(
        method=method,
        config=train_config(method, params, images, device, anchored=bool(anchor)),
        hidden=hidden_dims(params["hidden_dims"]),
        spectral_norm=bool(params["spectral_norm"]),
        policy=resolve_policy(params["diffaugment"], images),
        anchor=anchor,
        balanced_labels=params["label_sampling"] == "balanced",
        select=params["selection"] == "quality",
        eval_every=params["eval_every"],
        patience=params["patience"],
        device=device,
        n_jobs=params["n_jobs"],
        row_filter=template,
        verbose=bool(params["verbose"]),
        boundary=None if boundary is None else boundary[0],
        boundary_target="median" if boundary is None else boundary[1],
        correction=correction,
        padding=padding,
    )


def train_config(method: GANMethod, params: Mapping, images: bool, device: torch.device | None = None,
                 anchored: bool = True) -> TrainConfig:
    """The optimiser and loop settings of a training run on ``device`` (``None``: the CPU); ``anchored``: whether
    a table generator starts from anchors (``n_iter="auto"`` is shorter then)."""
    # the tuned recipe was measured on tables; images keep the papers' settings
    d = method.paper_defaults if params["recipe"] == "paper" or images else method.defaults

    def pick(name):
        value = params[name]
        return d[name] if value is None else value

    betas = tuple(pick("betas"))
    if len(betas) != 2 or not all(isinstance(b, Real) and not isinstance(b, (bool, np.bool_)) and 0 <= b < 1
                                  for b in betas):
        raise ValueError(f"betas must be two numbers in [0, 1); got {params['betas']!r}.")
    betas = tuple(float(b) for b in betas)  # torch's Adam refuses a mix of Python and NumPy floats
    if params["pac"] == "auto":
        pac = AUTO_PAC if method.supports_packing() and not images else 1
    else:
        pac = int(params["pac"])
        if pac > 1 and not method.supports_packing():
            raise ValueError(
                f"pac={pac}: method {method.name!r} as configured scores single generated rows with its "
                "discriminator after training, which a packed discriminator cannot do. Use pac=1 (or "
                "pac='auto')."
            )
    batch_size = -(-int(pick("batch_size")) // pac) * pac  # rounded up to whole packs
    return TrainConfig(  # counts as Python ints (a search may give NumPy ones; the model file takes ints)
        n_iter=auto_n_iter(images, anchored) if params["n_iter"] == "auto" else int(params["n_iter"]),
        pac=pac,
        batch_size=batch_size,
        latent_dim=int(pick("latent_dim")),
        n_critic=int(pick("n_critic")),
        lr_g=pick("lr_g"),
        lr_d=pick("lr_d"),
        betas=betas,
        ema=resolve_auto(params, "ema", images),
        amp=resolve_amp(params["amp"], device or torch.device("cpu"), images),
    )


def auto_n_iter(images: bool, anchored: bool) -> int:
    """``n_iter="auto"``: :data:`AUTO_IMAGE_N_ITER` for images, :data:`AUTO_TABLE_N_ITER` for anchored tables,
    :data:`AUTO_TABLE_N_ITER_FROM_NOISE` for other tables."""
    if images:
        return AUTO_IMAGE_N_ITER
    return AUTO_TABLE_N_ITER if anchored else AUTO_TABLE_N_ITER_FROM_NOISE


def resolve_auto(params: Mapping, name: str, images: bool):
    """Parameter ``name`` as set, or, when ``"auto"``, its value for images or tables (:data:`AUTO_BY_KIND`)."""
    value = params[name]
    return AUTO_BY_KIND[name][images] if value == "auto" else value


def hidden_dims(value) -> tuple[int, ...] | None:
    """``hidden_dims`` as a tuple of positive ints (``None`` stays ``None``: sized from the data)."""
    if value is None:
        return None
    dims = tuple(value)
    if not dims or not all(isinstance(h, Integral) and h > 0 for h in dims):
        raise ValueError(f"hidden_dims must be a non-empty sequence of positive ints; got {value!r}.")
    return tuple(int(h) for h in dims)  # NumPy ints as Python ints (the model file takes ints)


def anchored(params: Mapping, images: bool) -> bool:
    """Whether the generators start from SMOTE anchors (``anchor``, resolved for this data)."""
    if params["anchor"] == "smote" and params["selection"] == "quality":
        warnings.warn(
            "anchor='smote' with selection='quality': the quality score compares rows with the training "
            "rows of their class, among which anchored rows start, so it is at its best from the first "
            "evaluations and the selection keeps an early, SMOTE-like generator. Use anchor=None (or "
            "'auto') with selection='quality', or selection='last'.", UserWarning, stacklevel=5)
    if params["anchor"] == "auto":
        return not images and params["selection"] != "quality"
    return params["anchor"] == "smote"
