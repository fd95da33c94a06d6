"""``GANOversampler``: the imbalanced-learn facade over settings, input adapters, training and the fitted model."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import Substitution
from sklearn.base import _fit_context
from sklearn.utils import check_random_state, metadata_routing
from sklearn.utils._param_validation import InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import ddp
from .adapters import Checked, NumericAdapter, adapter_for, output_rows
from .constraints import NumberIn
from .devices import torch_generator
from .docstrings import ATTRIBUTES, PARAMETERS
from .filtering import RowFilter
from .methods import GANMethod
from .model import fit_model
from .parallel import N_JOBS_CONSTRAINT
from .persistence import load_sampler, save_sampler
from .plan import MIN_CLASS_ROWS, SEED_MAX, many_gans_warning
from .safeguards import (
    as_written,
    check_callbacks,
    check_no_fit_params,
    check_oversampling_targets,
    check_room,
    filter_bytes,
    holds_objects,
    row_bytes,
    unchanged_on_failure,
)
from .safeguards import class_label as _label
from .settings import check_params, resolve_settings


def _fitted(attribute: str, doc: str) -> property:
    """A fitted attribute read from the fitted model: before a fit, scikit-learn's ``NotFittedError`` (an
    ``AttributeError``, so ``hasattr`` is ``False``) rather than an error about the private ``model_``."""

    def get(self):
        check_is_fitted(self, "model_")
        return getattr(self.model_, attribute)

    return property(get, doc=doc)


@Substitution(parameters=PARAMETERS, attributes=ATTRIBUTES)
class GANOversampler(BaseOverSampler):
    """Over-sample minority classes with rows drawn from a GAN.

    For every class that ``sampling_strategy`` asks to grow, the GAN learns
    that class (the *positive* rows) — using the rest of the data as
    *negative* rows when the method does, as Rumi-GAN does — then draws
    the requested number of synthetic rows. ``fit_resample`` returns the
    original rows first, followed by the synthetic ones, in the input's
    container and dtypes: numeric tables (NumPy, pandas, list, sparse),
    mixed-type tables (:mod:`minority_gen.tabular`: categories, nullable
    dtypes and missing values kept) and image arrays ``(N, H, W)``,
    ``(N, H, W, C)``, ``(N, C, H, W)`` or flattened rows with
    ``image_shape`` (:mod:`minority_gen.images`). Where each setting is
    decided: :mod:`minority_gen.settings`.

    {parameters}

    {attributes}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from minority_gen import GANOversampler
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> sampler = GANOversampler(method="rumi", n_iter=50, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y_res)
    array([269, 269])
    >>> sampler.sample(5, y=1, random_state=0).shape
    (5, 20)
    """

    # a Pipeline routes its fit's metadata to a sampler's fit_resample and fit alike: callbacks reach the sampler
    # through fit_resample (set_fit_resample_request), so one request suffices, as for imbalanced-learn's samplers
    __metadata_request__fit = {"callbacks": metadata_routing.UNUSED}

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "method": [str, GANMethod],
        "method_params": [dict, None],
        "n_iter": [NumberIn(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "recipe": [StrOptions({"tuned", "paper"})],
        "batch_size": [NumberIn(Integral, 1, None, closed="left"), None],
        "latent_dim": [NumberIn(Integral, 1, None, closed="left"), None],
        "hidden_dims": [tuple, list, None],
        "lr_g": [NumberIn(Real, 0, None, closed="neither"), None],
        "lr_d": [NumberIn(Real, 0, None, closed="neither"), None],
        "betas": [tuple, list, None],
        "n_critic": [NumberIn(Integral, 1, None, closed="left"), None],
        "pac": [NumberIn(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "spectral_norm": ["boolean"],
        "anchor": [StrOptions({"auto", "smote"}), None],
        "correction": [StrOptions({"auto", "free", "covariance"})],
        "boundary": [StrOptions({"auto"}), NumberIn(Real, 0, None, closed="neither"), dict, None],
        "ema": [NumberIn(Real, 0, 1, closed="neither"), StrOptions({"auto"}), None],
        "selection": [StrOptions({"quality", "last"})],
        "eval_every": [NumberIn(Integral, 1, None, closed="left"), None],
        "patience": [NumberIn(Integral, 1, None, closed="left"), None],
        "filter": [str, RowFilter, None],
        "categorical_features": ["array-like", StrOptions({"auto"}), None],
        "continuous": [StrOptions({"standard", "modes"})],
        "image_shape": [tuple, list, None],
        "image_layout": [StrOptions({"auto", "channels_last", "channels_first"})],
        "diffaugment": [str, None],
        "padding": [StrOptions({"auto", "zeros", "replicate", "reflect"})],
        "label_sampling": [StrOptions({"balanced", "empirical"})],
        "device": [str],
        "amp": ["boolean", StrOptions({"auto"})],
        "n_jobs": N_JOBS_CONSTRAINT,
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, *, sampling_strategy="auto", method="rumi", method_params=None, n_iter="auto", recipe="tuned",
                 batch_size=None, latent_dim=None, hidden_dims=None, lr_g=None, lr_d=None, betas=None,
                 n_critic=None, pac="auto", spectral_norm=False, anchor="auto", correction="auto", boundary="auto",
                 ema="auto",
                 selection="last",
                 eval_every=None, patience=None, filter="auto", categorical_features="auto", continuous="standard",
                 image_shape=None, image_layout="auto", diffaugment="auto", padding="auto",
                 label_sampling="balanced", device="auto", amp="auto", n_jobs=None, random_state=None, verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.method, self.method_params, self.n_iter, self.recipe = method, method_params, n_iter, recipe
        self.batch_size, self.latent_dim, self.hidden_dims = batch_size, latent_dim, hidden_dims
        self.lr_g, self.lr_d, self.betas, self.n_critic, self.pac = lr_g, lr_d, betas, n_critic, pac
        self.spectral_norm, self.anchor, self.correction, self.boundary = spectral_norm, anchor, correction, boundary
        self.ema, self.selection = ema, selection
        self.eval_every, self.patience, self.filter = eval_every, patience, filter
        self.categorical_features, self.continuous = categorical_features, continuous
        self.image_shape, self.image_layout, self.diffaugment = image_shape, image_layout, diffaugment
        self.padding = padding
        self.label_sampling, self.device, self.amp, self.n_jobs = label_sampling, device, amp, n_jobs
        self.random_state, self.verbose = random_state, verbose

    def set_params(self, **params):
        """scikit-learn's ``set_params``; ``method__<option>`` needs a method object (``method=RumiLSGAN()``): with
        a method name the options go in ``method_params``, which this says instead of failing on the name; and
        ``filter__<option>`` a :class:`~minority_gen.filtering.RowFilter` object, which this says likewise."""
        nested = sorted(k for k in params if k.startswith("method__"))
        if nested and isinstance(params.get("method", self.method), str):
            options = {k.partition("__")[2]: params[k] for k in nested}
            raise ValueError(f"{', '.join(nested)} set an option of a method object, but method is the name "
                             f"{params.get('method', self.method)!r}. Pass set_params(method_params={options!r}), "
                             "or a method object, e.g. method=RumiLSGAN() from minority_gen.methods.")
        nested = sorted(k for k in params if k.startswith("filter__"))
        if nested and not isinstance(params.get("filter", self.filter), RowFilter):
            options = ", ".join(f"{k.partition('__')[2]}={params[k]!r}" for k in nested)
            raise ValueError(f"{', '.join(nested)} set an option of a RowFilter object, but filter is "
                             f"{params.get('filter', self.filter)!r}. Pass filter=RowFilter(criteria=..., {options}) "
                             "from minority_gen.filtering.")
        return super().set_params(**params)

    def _validate_params(self):
        """scikit-learn's parameter check, with the fix for a ``np.random.Generator`` (which its estimators do not
        take) in the message."""
        if isinstance(self.random_state, np.random.Generator):
            raise InvalidParameterError(
                f"The 'random_state' parameter of {type(self).__name__} must be an int in [0, 4294967295], a "
                f"np.random.RandomState or None; got {self.random_state!r}. For a np.random.Generator g, pass "
                "random_state=int(g.integers(2**32)).")
        super()._validate_params()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True  # missing values are modelled (minority_gen.tabular)
        tags.input_tags.string = False
        return tags

    # ------------------------------------------------------------------
    # fitting
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, callbacks=()):
        """Fit the GANs without resampling; then draw rows with :meth:`sample`.

        ``callbacks``: training events (:mod:`minority_gen.callbacks`), e.g.
        :class:`~minority_gen.callbacks.GeneratorSnapshots` to keep the
        generator's weights every so many iterations; a callback that watches
        the generator needs ``n_jobs`` 1 or ``None``.

        Every parameter and the data are checked before the first training
        iteration. A fit that fails (a :class:`~minority_gen.DivergenceError`,
        a ``KeyboardInterrupt``, any error) changes nothing: a refit keeps the
        previous fitted model and a first fit leaves the estimator unfitted.
        The same holds for :meth:`fit_resample`.
        """
        callbacks = check_callbacks(callbacks, self.n_jobs)
        with unchanged_on_failure(self):
            adapter, data = self._check(X, y)
            self._train(data.X, data.y, adapter, callbacks)
        return self

    def fit_resample(self, X, y, callbacks=(), **params):
        """Return the original rows (or images) followed by the new ones, in the input's container and dtypes.

        As for :meth:`fit`: everything is checked before training, a failure
        leaves the estimator as it was (a previous fit kept), and
        ``callbacks`` watch the training. Fit parameters such as
        ``sample_weight`` are refused: the GANs weigh every row of a class
        alike. In an imbalanced-learn ``Pipeline`` (without scikit-learn's
        metadata routing) imbalanced-learn passes no step parameter to a
        sampler's ``fit_resample``, so ``sampler__callbacks=...`` there is
        dropped: fit the sampler on its own to watch its training. With
        metadata routing on (``sklearn.set_config(enable_metadata_routing=True)``),
        ``sampler.set_fit_resample_request(callbacks=True)`` lets
        ``pipeline.fit(X, y, callbacks=[...])`` reach it (the pipeline's
        ``fit`` routes to the sampler's ``fit_resample`` only: ``fit`` does
        not take ``callbacks`` from a router).
        """
        check_no_fit_params(params)
        callbacks = check_callbacks(callbacks, self.n_jobs)
        with unchanged_on_failure(self):
            return self._fit_resample_checked(X, y, callbacks)

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit_resample_checked(self, X, y, callbacks=()):
        adapter, data = self._check(X, y)
        n_encoded = adapter.n_encoded(data.X)
        check_room(sum(self.sampling_strategy_.values()), row_bytes(
            n_encoded, data.X.shape[1], frame=hasattr(self, "feature_names_in_"), objects=holds_objects(data.X)),
            "sampling_strategy", filter_bytes(n_encoded, self.filter is not None and adapter.layout is None))
        X_new, y_new = self._fit_resample(data.X, data.y, adapter, callbacks)
        return adapter.resampled(data, X_new, y_new)

    def _fit_resample(self, X, y, adapter: NumericAdapter | None = None, callbacks=()):
        """imbalanced-learn's hook on checked rows: train, then the synthetic rows and labels, class by class.

        ``adapter``: the one that checked ``X`` (default: plain numeric rows); ``callbacks``: as :meth:`fit`'s.
        """
        self._train(X, y, adapter or NumericAdapter(), callbacks)
        X_new, y_new, reports = self.model_.draw_new(self.sampling_strategy_, y.dtype)
        self.filter_report_.update(reports)
        return X_new, y_new

    def _check(self, X, y) -> tuple[NumericAdapter, Checked]:
        """Validate the data (through its adapter) and ``sampling_strategy``; nothing trains before this."""
        adapter = adapter_for(self.get_params(deep=False), X)
        data = adapter.check(self, X, y)
        self.layout_ = adapter.layout
        self.sampling_strategy_ = check_oversampling_targets(self.sampling_strategy, data.y)
        return adapter, data

    def _train(self, X, y, adapter: NumericAdapter, callbacks=()) -> None:
        params = self.get_params(deep=False)
        method = check_params(params)
        self.classes_, counts = np.unique(y, return_counts=True)
        grow = [c for c, n in self.sampling_strategy_.items() if n > 0]
        for c in grow:
            n_rows = counts[np.searchsorted(self.classes_, c)]
            if n_rows < MIN_CLASS_ROWS:
                others = [k for k in grow if k != c]
                size = {k: int(counts[np.searchsorted(self.classes_, k)]) + self.sampling_strategy_[k] for k in others}
                after = ", ".join(f"{_label(k)}: {n}" for k, n in size.items())
                fix = (f"leave it out of sampling_strategy, e.g. sampling_strategy={{{after}}} (rows after "
                       "resampling), or gather more rows of it" if others else
                       "gather more rows of it (RandomOverSampler copies a single row; a GAN cannot learn from it)")
                raise ValueError(f"Class {_label(c)} has {n_rows} row; a GAN needs at least {MIN_CLASS_ROWS} rows "
                                 f"of a class to learn it. To go on, {fix}.")
        codec, spec, X_dense = adapter.encoder(X)
        settings = resolve_settings(params, spec, method)
        many = many_gans_warning(method, grow, settings.n_jobs, settings.config.n_iter)
        if many and (ddp.active() is None or ddp.active().rank == 0):  # before any training; one rank says it
            warnings.warn(many, UserWarning, stacklevel=4)
        rng = check_random_state(self.random_state)
        self.model_, self.history_ = fit_model(settings, codec, spec, X_dense, y, grow, rng, ddp.active(), callbacks)
        self.filter_report_ = {}

    # ------------------------------------------------------------------
    # the fitted model
    # ------------------------------------------------------------------
    method_ = _fitted("method", "The method object, its options resolved for the data.")
    generators_ = _fitted("generators", "Class label → fitted generator.")
    discriminators_ = _fitted("discriminators", "Class label → fitted discriminator.")
    filters_ = _fitted("filters", "Class label → fitted RowFilter.")
    codec_ = _fitted("codec", "The fitted codec of the rows.")
    latent_dim_ = _fitted("latent_dim", "Width of the generators' latent vector.")
    far_rows_ = _fitted("far_rows", "Class label → share of far rows in its last draw.")

    def sample(self, n_samples: int, y=None, random_state=None):
        """Draw ``n_samples`` new synthetic rows of class ``y`` without refitting.

        ``y`` may be omitted when exactly one class was fitted, and may be written
        as text (``"1"`` for the class ``1``, as ``sampling_strategy`` takes it); ``random_state``
        (``None``, an int in ``[0, 2**32 - 1]`` or a ``np.random.RandomState``)
        seeds the noise (the same value gives the same rows). Returns rows in
        the input's dtype: a DataFrame when ``fit`` saw one, images in the
        layout ``fit`` saw. These are not the rows ``fit_resample`` adds:
        that draws every class from one stream seeded at fitting, in
        ``sampling_strategy`` order.
        """
        check_is_fitted(self, "model_")
        if not (random_state is None or isinstance(random_state, np.random.RandomState)
                or (isinstance(random_state, Integral) and not isinstance(random_state, (bool, np.bool_))
                    and 0 <= random_state < 2 ** 32)):
            raise ValueError(f"random_state must be None, an int in [0, 4294967295] or a np.random.RandomState; got "
                             f"{random_state!r}. For a np.random.Generator g, pass int(g.integers(2**32)).")
        if not isinstance(n_samples, Integral) or isinstance(n_samples, (bool, np.bool_)) or n_samples < 0:
            raise ValueError(f"n_samples must be a non-negative integer; got {n_samples!r}.")
        fitted = list(self.generators_)
        if not fitted:
            raise ValueError("No class was grown when fitting (sampling_strategy_ asked for no new rows), so no "
                             "generator was trained; fit with a sampling_strategy that grows the class to sample.")
        if np.ndim(y) or isinstance(y, (list, tuple, set, dict)):
            raise ValueError(f"y must be one class label, e.g. sample({n_samples}, y={_label(fitted[0])}); got {y!r}.")
        if isinstance(y, np.ndarray):  # a 0-d array: its label
            y = y.item()
        if y is None:
            if len(fitted) != 1:
                raise ValueError(f"Several classes were fitted ({', '.join(map(_label, fitted))}); pass y= one of "
                                 "them.")
            y = fitted[0]
        if isinstance(y, str) and y not in self.generators_:  # "1" for the class 1, as sampling_strategy takes it
            y = next(iter(as_written({y: 0}, np.array(fitted, dtype=object))))
        if y not in self.generators_:
            raise ValueError(f"No generator was fitted for class {_label(y)}; fitted classes: "
                             f"{', '.join(map(_label, fitted))}. Include the class in sampling_strategy when fitting.")
        n_encoded = self.model_.spec.n_features
        check_room(n_samples, row_bytes(n_encoded, self.n_features_in_, frame=hasattr(self, "feature_names_in_"),
                                        objects=holds_objects(self.codec_)),
                   "n_samples", filter_bytes(n_encoded, y in self.model_.filters))
        seed = check_random_state(random_state).randint(SEED_MAX)
        rows, report = self.model_.generate(n_samples, y, torch_generator(seed))
        if report is not None:
            self.filter_report_[y] = report
        return output_rows(rows, self.codec_, self.layout_, getattr(self, "feature_names_in_", None))

    def save(self, path) -> None:
        """Save the fitted sampler to one file that :meth:`load` reads back without running code from it.

        A zip archive of JSON (settings, fitted state) and the networks'
        weights in the safetensors format, stamped with the package and format
        versions and the SHA-256 of every member, written atomically
        (:mod:`minority_gen.persistence` says exactly what it holds).
        """
        save_sampler(self, path)

    @classmethod
    def load(cls, path) -> GANOversampler:
        """A sampler saved with :meth:`save` (any format version up to this package's); it draws the same rows
        as the original for the same seed. Raises ``ValueError`` naming the file for a file that is not a
        minority_gen model, is damaged, edited or too large for what it declares.

        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> X = np.random.default_rng(0).normal(size=(60, 3)); y = np.r_[np.zeros(50, int), np.ones(10, int)]
        >>> sampler = GANOversampler(n_iter=5, device="cpu", random_state=0).fit(X, y)
        >>> path = Path(tempfile.mkdtemp()) / "model.mgz"
        >>> sampler.save(path)
        >>> np.array_equal(GANOversampler.load(path).sample(3, random_state=1), sampler.sample(3, random_state=1))
        True
        """
        return load_sampler(path, cls)
