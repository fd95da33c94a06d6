"""What a GAN formulation is: the contract between a method file and the loop.

A method declares, in one small file under ``minority_gen/methods/``:

* ``name`` (the string users pass as ``GANOversampler(method=...)``),
* ``conditional`` (one generator ``G(z, y)`` for all classes) or not (one
  generator ``G(z)`` per class to oversample, trained on that class as
  *positive* and every other row as *negative*),
* ``uses_negatives`` (unconditional methods only: whether the loop samples
  negative rows at all),
* ``paper_defaults``: the paper's optimiser settings (``defaults``, the
  settings ``GANOversampler`` uses unless told ``recipe="paper"``, are
  these with :data:`TUNED_DEFAULTS` on top),
* :meth:`heads`: the outputs its discriminator needs,
* :meth:`d_loss` and :meth:`g_loss`: named loss terms, built from the pure
  functions in :mod:`minority_gen.losses`.

Optionally: :meth:`d_updates` (several discriminator updates per step),
:meth:`extra_networks` (e.g. a statistics network with its own optimiser),
:meth:`validate` (constraints between its parameters) and :meth:`generate`.

Methods are scikit-learn estimators (``BaseEstimator``), so
``GANOversampler(method=RumiLSGAN(a=-0.5))`` clones, and
``set_params(method__a=...)`` works.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sklearn.base import BaseEstimator
from torch import Tensor, nn

from ..nets import Head

Terms = dict[str, Tensor]

#: The optimiser settings the project's measurements chose for every method
#: on tables (``benchmarks/results/sample_quality.md``): the papers'
#: learning rates (1e-4 to 2e-4) leave the generator far from the class after
#: 2,000 steps, and 5 or 10 discriminator steps per generator step cost 5-10
#: times the time. The papers' recipes stay
#: available as ``GANOversampler(recipe="paper")``.
TUNED_DEFAULTS: dict[str, Any] = {"lr_g": 1e-3, "lr_d": 1e-3, "n_critic": 1}


class NoCandidateWarning(UserWarning):
    """Rows drawn by rejection (:func:`~minority_gen.methods.amgan.select_class_rows`) for which no candidate
    had the requested class: ``n`` of ``total``, among ``n_candidates`` candidates each. Drawing a class's rows
    (:meth:`~minority_gen.model.FittedModel.generate`) adds them up over all its chunks and rounds
    (:func:`~minority_gen.generation.rejections_collected`) and names the class once."""

    def __init__(self, n: int, total: int, n_candidates: int, of: str = ""):
        self.n, self.total, self.n_candidates = n, total, n_candidates
        super().__init__(
            f"{n} of {total} generated rows{of} had no candidate the discriminator assigns to their class among "
            f"n_candidates={n_candidates}; they are the closest candidates instead. Raise n_candidates, train "
            "longer, or use amgan with labelling='predefined'.")


@dataclass
class Batch:
    """What one training step sees.

    Unconditional methods get ``x_pos`` (rows of the class being generated),
    ``x_neg`` (rows of every other class, when the method uses them) and
    ``x_fake = G(z)``. Conditional methods get ``x_real`` with labels
    ``y_real`` (class indices ``0..K-1``) and ``x_fake = G(z, y_fake)``.
    In discriminator steps ``x_fake`` is detached; in generator steps it
    carries the gradient to ``G``.
    """

    z: Tensor
    x_fake: Tensor | None = None
    x_pos: Tensor | None = None
    x_neg: Tensor | None = None
    x_real: Tensor | None = None
    y_real: Tensor | None = None
    y_fake: Tensor | None = None
    iteration: int = 0
    epoch: float = 0.0


@dataclass
class Networks:
    """The networks a method works with during training.

    ``d(x, y)`` runs the discriminator after the differentiable augmentation,
    when one is configured, so that real and fake rows are always augmented
    alike; use it rather than ``D`` directly. ``pac`` is the number of rows
    ``D`` judges together (:class:`~minority_gen.nets.PackedDiscriminator`);
    a method that passes ``D`` a subset of a batch keeps whole packs.
    """

    G: nn.Module
    D: nn.Module
    n_classes: int
    extra: Mapping[str, nn.Module] = field(default_factory=dict)
    augment: Callable[[Tensor], Tensor] | None = None
    pac: int = 1

    def d(self, x: Tensor, y: Tensor | None = None) -> dict[str, Tensor]:
        if self.augment is not None:
            x = self.augment(x)
        return self.D(x, y)


class GANMethod(BaseEstimator, metaclass=ABCMeta):
    """Base class of every GAN formulation (see the module docstring)."""

    name: ClassVar[str] = ""
    conditional: ClassVar[bool] = False
    uses_negatives: ClassVar[bool] = False
    paper_defaults: ClassVar[dict[str, Any]] = {
        "lr_g": 2e-4,
        "lr_d": 2e-4,
        "betas": (0.5, 0.999),
        "batch_size": 64,
        "latent_dim": 64,
        "n_critic": 1,
    }

    @property
    def defaults(self) -> dict[str, Any]:
        """The tuned recipe: ``paper_defaults`` with :data:`TUNED_DEFAULTS` on top."""
        return {**self.paper_defaults, **TUNED_DEFAULTS}

    # -- what the method needs -------------------------------------------
    def heads(self, n_classes: int) -> dict[str, Head]:
        """The discriminator outputs, by name (default: one adversarial score)."""
        return {"adv": Head(1)}

    def extra_networks(self, build: Callable[..., nn.Module], n_classes: int) -> dict[str, nn.Module]:
        """Networks besides G and D, each trained by its own Adam optimiser.

        ``build(heads)`` makes a discriminator-shaped network for the data
        with the given heads. Their loss terms are returned by
        :meth:`d_loss` alongside the discriminator's: each optimiser only
        moves the parameters its own terms reach.
        """
        return {}

    def validate(self) -> None:
        """Raise ``ValueError`` if the parameters break the method's constraints."""

    #: Options whose value ``"auto"`` means one number on tables and another on
    #: images: ``{name: (tables, images)}``, or ``(tables, images, anchored
    #: images)`` where images whose generator refines SMOTE blends
    #: (``anchor="smote"``) need a third. :meth:`for_data` resolves them;
    #: :meth:`option` reads one for the losses.
    auto_options: ClassVar[dict[str, tuple[Any, ...]]] = {}

    #: Numeric options that take ``inf`` (every other numeric option must be finite).
    infinite_options: ClassVar[frozenset[str]] = frozenset()

    def for_data(self, images: bool, anchored: bool = False) -> GANMethod:
        """The method as it trains on tables (``images=False``) or images: its ``"auto"`` options resolved.

        ``anchored``: the generator refines SMOTE blends of real rows (it
        changes only options with an anchored-images value).
        ``GANOversampler`` calls this once the data is known and keeps the
        result as ``method_``. A method without ``"auto"`` options set is
        returned itself.
        """
        def pick(values: tuple) -> Any:
            return values[0] if not images else values[2] if anchored and len(values) > 2 else values[1]

        auto = {name: pick(values) for name, values in self.auto_options.items() if _is_auto(getattr(self, name))}
        return self.__class__(**{**self.get_params(deep=False), **auto}) if auto else self

    def option(self, name: str) -> Any:
        """Option ``name`` as the losses use it; an unresolved ``"auto"`` (the method used on its
        own, without :meth:`for_data`) is the tables value, the paper's."""
        value = getattr(self, name)
        return self.auto_options[name][False] if name in self.auto_options and _is_auto(value) else value

    def _check_auto_options(self) -> None:
        for name in self.auto_options:
            value = getattr(self, name)
            if isinstance(value, str) and value != "auto":
                raise ValueError(f"{name} must be a number or 'auto'; got {value!r}.")

    def supports_packing(self) -> bool:
        """Whether the method works with a packed discriminator (``pac > 1``).

        A method that scores single generated rows with ``D`` after training
        (e.g. rejection sampling) returns ``False``.
        """
        return True

    def needs_spectral_norm(self) -> bool:
        """Whether the formulation itself puts spectral norm on its discriminator.

        ``GANOversampler(spectral_norm=True)`` adds it to every method's
        discriminator (and extra networks); a method whose paper defines its
        discriminator with spectral norm returns ``True`` here (typically
        from one of its own parameters) to get it by default.
        """
        return False

    # -- the losses ------------------------------------------------------
    @abstractmethod
    def d_loss(self, nets: Networks, batch: Batch) -> Terms:
        """Named terms of the discriminator-side loss (``batch.x_fake`` detached)."""

    @abstractmethod
    def g_loss(self, nets: Networks, batch: Batch) -> Terms:
        """Named terms of the generator loss (``batch.x_fake`` carries gradient)."""

    def d_updates(self, nets: Networks, batch: Batch) -> Iterator[Terms]:
        """Yield the loss terms of each discriminator update of one step.

        The loop steps the discriminator-side optimisers after each yield,
        so a method that yields twice takes two sequential updates on the
        same batch. The default is one update with :meth:`d_loss`.
        """
        yield self.d_loss(nets, batch)

    # -- sampling --------------------------------------------------------
    def generate(self, nets: Networks, z: Tensor, y: Tensor | None) -> Tensor:
        """Rows from the generator (``y``: class indices, conditional only)."""
        return nets.G(z, y) if self.conditional else nets.G(z)

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:  # keep reprs short in errors
        return super().__repr__(N_CHAR_MAX)


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value == "auto"

