"""``GANOversampler``: imbalanced-learn's over-sampler API over GAN training."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from imblearn.utils._validation import ArraysTransformer
from sklearn.base import clone
from sklearn.preprocessing import label_binarize
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, check_is_fitted, column_or_1d, validate_data
from sklearn_compat.base import _fit_context

from . import ddp
from .callbacks import ProgressBar
from .columns import needs_mixed_codec
from .data import DataSpec, TableCodec, check_table_input
from .devices import resolve_amp, resolve_device, to_device, torch_generator
from .diffaugment import resolve_policy
from .divergence import divergence_limits
from .filtering import RowFilter, draw_filtered
from .generation import generate_rows
from .images import ImageArraysMixin, ImageCodec
from .methods import GANMethod, Networks, get_method
from .nets import conv_stages
from .parallel import N_JOBS_CONSTRAINT
from .persistence import load_sampler, save_sampler
from .plan import SEED_MAX, Plan, fit_plan
from .safeguards import check_oversampling_targets, check_room, unchanged_on_failure
from .safeguards import class_label as _label
from .tabular import MixedTableCodec
from .training import TrainConfig

#: ``pac="auto"``: rows per discriminator pack for methods that support packing.
AUTO_PAC = 4

#: ``ema="auto"``: decay of the generator's weight average for images (tables: no average).
AUTO_IMAGE_EMA = 0.99

#: ``n_iter="auto"``: generator updates for tables and for images.
AUTO_TABLE_N_ITER = 2000
AUTO_IMAGE_N_ITER = 1000

#: What ``"auto"`` means for these parameters: ``(for tables, for images)``.
AUTO_BY_KIND = {"ema": (None, AUTO_IMAGE_EMA), "n_iter": (AUTO_TABLE_N_ITER, AUTO_IMAGE_N_ITER)}


class GANOversampler(ImageArraysMixin, BaseOverSampler):
    """Over-sample minority classes with rows drawn from a GAN.

    For every class that ``sampling_strategy`` asks to grow, the GAN learns
    that class (the *positive* rows) — using the rest of the data as
    *negative* rows when the method does, as Rumi-GAN does — then draws
    the requested number of synthetic rows. ``fit_resample`` returns the
    original rows first, followed by the synthetic ones.

    Tables are standardised for training and mapped back on output; the
    input's dtype and container (NumPy, pandas, list, sparse) are kept.
    Mixed-type tables work as they are (:mod:`minority_gen.tabular`): a
    DataFrame's categorical, string, boolean, integer and nullable columns
    (``category``, ``str``, ``bool``, ``Int64``, ``boolean``, ``Float64``
    ...) come back with the same dtypes and valid values only, and missing
    values (NaN, ``None``, ``pd.NA``) are generated at each class's rate
    rather than refused.

    Images are passed as arrays ``(N, H, W)``, ``(N, H, W, C)`` or
    ``(N, C, H, W)``, or as flattened rows with ``image_shape`` (the form
    imbalanced-learn pipelines pass). The channel axis of a 4-D array is the
    last one when it has 1, 3 or 4 entries, else the first image axis when
    that one has; force it with ``image_layout``. Images are scaled to
    ``[-1, 1]`` for convolutional networks (see
    :mod:`minority_gen.nets.conv` for the supported sizes) and come back in
    the input's layout and dtype (``uint8`` in, ``uint8`` out).

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        Which classes to grow and to what size, as in imbalanced-learn
        (``"auto"``: every class but the majority, up to the majority's size).
    method : str or GANMethod, default="rumi"
        The GAN formulation: a name from
        :func:`minority_gen.available_methods` or a method object such as
        ``RumiLSGAN(a=-0.5)``.
    method_params : dict, default=None
        Options of the method named by ``method``, e.g.
        ``{"b_pos": 2, "b_neg": -2}`` for ``"rumi"``.
    n_iter : int or "auto", default="auto"
        Generator updates per GAN (each preceded by ``n_critic``
        discriminator steps). With ``patience`` set, training may stop
        earlier. ``"auto"``: 2000 for tables, 1000 for images (on
        BreastMNIST's validation split more did not help; docs/images.md).
    recipe : {"tuned", "paper"}, default="tuned"
        Where the optimiser settings below come from when left at ``None``:
        ``"paper"``, the method's paper recipe (its ``paper_defaults``, e.g.
        Rumi: Adam 1e-4, betas (0.5, 0.999), batch 100, latent 100, one
        discriminator step; TAC-GAN: Adam 2e-3, 10 discriminator steps,
        batch 256); ``"tuned"``, the same with Adam 1e-3 and one
        discriminator step for every method, which the project's
        benchmarks measured to learn the class better within the iteration
        budget (:data:`minority_gen.methods.base.TUNED_DEFAULTS`). Images
        always take the paper recipe (the tuning was measured on tables).
    batch_size, latent_dim, n_critic : int, default=None
        ``None`` takes the recipe's value. In data-parallel training
        (:func:`minority_gen.distributed.fit_ddp`) ``batch_size`` is per
        process.
    hidden_dims : tuple of int, default=None
        Hidden widths of both networks; ``None`` sizes them from the data
        (two layers of ``clip(4 · n_features, 64, 256)`` units for tables).
        For images, ``hidden_dims[0]`` is the convolutional width (channels
        at full resolution, doubling per stage down); default 16 (width 32
        did no better on BreastMNIST's validation split at 1.5–2.9× the
        time per iteration, docs/images.md).
    lr_g, lr_d : float, default=None
        Adam learning rates; ``None`` takes the recipe's value.
    betas : tuple of float, default=None
        Adam betas; ``None`` takes the recipe's value.
    pac : int or "auto", default="auto"
        Rows the discriminator judges together (PacGAN packing): it sees
        ``pac`` real or ``pac`` generated rows at once, so a generator that
        collapses onto one mode of a class makes packs that look unlike real
        ones and is penalised for it. ``"auto"``: 4 for tables with methods
        that support packing; 1 (no packing) for images, not yet measured
        there, and for methods that score single rows after training
        (``amgan`` with dynamic labelling, ``labelgan``).
        Batch sizes are rounded up to a multiple of ``pac``.
    spectral_norm : bool, default=False
        Spectral normalisation on the discriminator's layers.
    anchor : {"auto", "smote"} or None, default="auto"
        Where generated rows start. ``"smote"``: from a SMOTE interpolation
        between a real row of its class and one of that row's 5 nearest
        neighbours in the class (for images: a pixel-wise blend of two
        images, neighbours on the pixels); the generator learns a correction
        added to it (it starts as SMOTE, its last layer at zero; see
        :class:`minority_gen.nets.AnchoredGenerator` and, for images,
        :class:`minority_gen.nets.AnchoredConvGenerator`). The fitted
        networks, and so a saved model, then hold the real rows of the
        classes they generate. ``None``: from noise alone. ``"auto"``:
        ``"smote"`` for tables, ``None`` for images and with
        ``selection="quality"``. Chosen for tables by cross-validation on
        protocol T's training folds; measured in docs/sample_quality.md and,
        for images, docs/images.md. Quality selection scores rows against the
        training rows of their class, and anchored rows start among those
        rows, at the top score, so it would keep an early, SMOTE-like
        generator: ``anchor="smote"`` with ``selection="quality"`` warns.
    ema : float, "auto" or None, default="auto"
        If a float (e.g. 0.99), sample from an exponential moving average of
        the generator's weights with this decay; ``None``: from the generator
        of the last update. ``"auto"``: 0.99 for images (it raised the
        validation AUC of protocol I's CNN on BreastMNIST on each of 3
        seeds, docs/images.md), ``None`` for tables (on breast cancer it
        did not improve the rows, docs/sample_quality.md).
    selection : {"last", "quality"}, default="last"
        Which generator of the training run to keep. ``"last"``: the
        generator of the last iteration. ``"quality"``: every ``eval_every``
        iterations the generator's rows are scored against the real rows of
        each class it generates (k-NN precision and coverage minus the share
        of near-copies of training rows, see
        :class:`minority_gen.monitor.QualityScorer`); the best-scoring
        generator is kept, and with ``patience`` training stops once that
        many evaluations in a row bring no improvement. The scores are the
        ``q_*`` columns of ``history_``. Not the default: on the project's
        benchmarks it did not improve the rows (docs/sample_quality.md).
    eval_every : int, default=None
        ``selection="quality"`` only: iterations between quality
        evaluations; ``None``: ``n_iter // 20``.
    patience : int, default=None
        ``selection="quality"`` only: evaluations without improvement
        before training stops early; ``None`` never stops early.
    filter : None, str or RowFilter, default=None
        Drop generated rows before they are returned (more are drawn in their
        place, so the counts stay exact): ``"copies"`` drops near-copies of
        the class's training rows, ``"knn"`` drops rows whose nearest real
        rows are less often of the class than those of almost every real row
        of the class, ``"copies,knn"`` both; or a
        :class:`minority_gen.filtering.RowFilter` with its own thresholds.
        ``filter_report_`` counts what was dropped. Tables only.
    categorical_features : "auto", None, or array-like, default="auto"
        Columns to treat as categorical (one-hot encoded, a Gumbel-softmax
        block in the generator, decoded to observed levels only) besides
        those whose dtype already says so (``category``, strings, objects;
        booleans are their own kind): column indices, DataFrame column
        names, or a boolean mask, as in imbalanced-learn's ``SMOTENC``. Use
        it for category codes stored as numbers. ``"auto"`` / ``None``: by
        dtype only.
    continuous : {"standard", "modes"}, default="standard"
        Mixed tables (DataFrames) only: how continuous columns are encoded.
        ``"standard"``: standardised. ``"modes"``: CTGAN's mode-specific
        normalisation (a Gaussian mixture per column; each value as its
        mode, one-hot, and its position within that mode), for multi-modal
        columns. Measured in docs/mixed_tables.md.
    image_shape : tuple of int, default=None
        Treat each row of a 2-D ``X`` as one image flattened (C order) from
        this shape: ``(H, W)``, ``(H, W, C)`` or ``(C, H, W)``. Not needed for
        3-D / 4-D image arrays, whose shape is read from ``X``.
    image_layout : {"auto", "channels_last", "channels_first"}, default="auto"
        Where the channel axis of the images is; ``"auto"`` detects it as
        described above.
    diffaugment : str or None, default="auto"
        DiffAugment policy applied to every image the discriminator sees,
        real and generated alike: a comma-separated list of ``"color"``,
        ``"translation"``, ``"cutout"``. ``"auto"``: ``"color,translation,
        cutout"`` for images (the DiffAugment authors' choice for a few
        hundred images or fewer) and none for tables; ``None``: off.
    label_sampling : {"balanced", "empirical"}, default="balanced"
        Conditional methods only: how the class labels of real and generated
        rows are drawn during training.
    device : str, default="auto"
        ``"auto"`` (CUDA if available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        On CUDA the training rows are copied to the GPU once, through
        pinned memory, and batches are drawn there.
    amp : bool or "auto", default="auto"
        Automatic mixed precision: the networks' forward passes in training
        run under ``torch.autocast`` with bfloat16 (backward passes,
        optimiser steps, quality evaluations and sampling stay float32;
        bfloat16 keeps float32's exponent range, so no gradient scaling is
        needed). ``"auto"``: on for images on a CUDA device, off otherwise
        (on the CPU bfloat16 is mostly slower). ``True``: on for any data
        and device (on the CPU too, which the tests use); ``False``: off.
    n_jobs : int, default=None
        Unconditional methods (one GAN per class to grow): how many of those
        GANs train at once, through ``joblib.Parallel`` (so a
        ``joblib.parallel_config`` backend such as Dask or Ray spreads them
        over machines). ``None`` means 1 unless a ``joblib.parallel_config``
        context says otherwise; ``-1`` uses all CPUs. The output is the same
        as the serial run's for the same ``random_state``: every GAN's seeds
        are drawn before training starts, each worker's threads are capped
        (``cpu_count // n_jobs``) and the networks come back on the CPU.
        With ``verbose``, each GAN's progress bar is filled when that GAN
        finishes. Conditional methods train one GAN and ignore ``n_jobs``.
        See docs/scaling.md; to train one GAN on several GPUs or processes,
        see :func:`minority_gen.distributed.fit_ddp`.
    random_state : int, RandomState instance or None, default=None
        Seeds network initialisation, batches, noise and sampling. The same
        value gives identical output on the CPU.
    verbose : bool or int, default=False
        Show a progress bar with the current losses while training.

    Attributes
    ----------
    sampling_strategy_ : dict
        Class label → number of rows to generate.
    method_ : GANMethod
        The method object used for fitting, its ``"auto"`` options resolved
        for the data (e.g. ``rumi``'s ``beta_neg``: 0.1 for images, 1 for
        tables).
    generators_ : dict
        Class label → fitted generator (``torch.nn.Module``, on the CPU).
        Conditional methods share one generator across classes.
    discriminators_ : dict
        Class label → fitted discriminator, shared likewise.
    filters_ : dict
        Class label → the fitted :class:`~minority_gen.filtering.RowFilter`
        (only with ``filter`` set).
    filter_report_ : dict
        Class label → counts of the last draw of that class through the
        filter: ``requested``, ``drawn``, ``dropped_copies``,
        ``dropped_knn``, ``surplus``, ``kept``, ``rounds``.
    history_ : pandas.DataFrame
        One row per iteration and GAN: ``gan`` (the class it generates, or
        ``"all"`` for a conditional method), ``iteration``, ``d_loss``,
        ``g_loss`` and every named loss term.
    classes_ : ndarray
        The class labels seen in ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.

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

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "method": [str, GANMethod],
        "method_params": [dict, None],
        "n_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "recipe": [StrOptions({"tuned", "paper"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "latent_dim": [Interval(Integral, 1, None, closed="left"), None],
        "hidden_dims": [tuple, list, None],
        "lr_g": [Interval(Real, 0, None, closed="neither"), None],
        "lr_d": [Interval(Real, 0, None, closed="neither"), None],
        "betas": [tuple, list, None],
        "n_critic": [Interval(Integral, 1, None, closed="left"), None],
        "pac": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "spectral_norm": ["boolean"],
        "anchor": [StrOptions({"auto", "smote"}), None],
        "ema": [Interval(Real, 0, 1, closed="neither"), StrOptions({"auto"}), None],
        "selection": [StrOptions({"quality", "last"})],
        "eval_every": [Interval(Integral, 1, None, closed="left"), None],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "filter": [str, RowFilter, None],
        "categorical_features": ["array-like", StrOptions({"auto"}), None],
        "continuous": [StrOptions({"standard", "modes"})],
        "image_shape": [tuple, list, None],
        "image_layout": [StrOptions({"auto", "channels_last", "channels_first"})],
        "diffaugment": [str, None],
        "label_sampling": [StrOptions({"balanced", "empirical"})],
        "device": [str],
        "amp": ["boolean", StrOptions({"auto"})],
        "n_jobs": N_JOBS_CONSTRAINT,
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        method="rumi",
        method_params=None,
        n_iter="auto",
        recipe="tuned",
        batch_size=None,
        latent_dim=None,
        hidden_dims=None,
        lr_g=None,
        lr_d=None,
        betas=None,
        n_critic=None,
        pac="auto",
        spectral_norm=False,
        anchor="auto",
        ema="auto",
        selection="last",
        eval_every=None,
        patience=None,
        filter=None,
        categorical_features="auto",
        continuous="standard",
        image_shape=None,
        image_layout="auto",
        diffaugment="auto",
        label_sampling="balanced",
        device="auto",
        amp="auto",
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.method = method
        self.method_params = method_params
        self.n_iter = n_iter
        self.recipe = recipe
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.lr_g = lr_g
        self.lr_d = lr_d
        self.betas = betas
        self.n_critic = n_critic
        self.pac = pac
        self.spectral_norm = spectral_norm
        self.anchor = anchor
        self.ema = ema
        self.selection = selection
        self.eval_every = eval_every
        self.patience = patience
        self.filter = filter
        self.categorical_features = categorical_features
        self.continuous = continuous
        self.image_shape = image_shape
        self.image_layout = image_layout
        self.diffaugment = diffaugment
        self.label_sampling = label_sampling
        self.device = device
        self.amp = amp
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------
    # scikit-learn / imbalanced-learn plumbing
    # ------------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True  # missing values are modelled (minority_gen.tabular)
        tags.input_tags.string = False
        return tags

    def _check_X_y(self, X, y, accept_sparse=None):
        check_table_input(X)
        return super()._check_X_y(X, y, accept_sparse=accept_sparse)

    def _is_mixed(self, X) -> bool:
        """Whether ``X`` is a table for :class:`~minority_gen.tabular.MixedTableCodec` (see there)."""
        return self.image_shape is None and np.ndim(X) == 2 and needs_mixed_codec(X, self.categorical_features)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the GANs without resampling; then draw rows with :meth:`sample`.

        Parameters
        ----------
        X : {array-like, DataFrame, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : GANOversampler

        Notes
        -----
        Every parameter and the data are checked before the first training
        iteration. A fit that fails (a :class:`~minority_gen.DivergenceError`,
        a ``KeyboardInterrupt``, any error) changes nothing: a refit keeps
        the previous fitted model, so :meth:`sample` works as before, and a
        first fit leaves the estimator unfitted. The same holds for
        :meth:`fit_resample`.
        """
        with unchanged_on_failure(self):
            check_classification_targets(y)
            if self._is_mixed(X):
                X, y, _ = self._check_mixed(X, y)
            else:
                X, y, _ = self._check_X_y(self._images_to_rows(X), y)
                self._codec_in = None
            self.sampling_strategy_ = check_oversampling_targets(self.sampling_strategy, y)
            self._fit_gans(X, y)
        return self

    def fit_resample(self, X, y, **params):
        """Return the original rows (or images) followed by the new ones.

        As :meth:`ImageArraysMixin.fit_resample <minority_gen.images.ImageArraysMixin.fit_resample>`;
        a DataFrame keeps its column names, order and dtypes (categories,
        nullable dtypes and missing values included, see
        :mod:`minority_gen.tabular`).

        Notes
        -----
        As for :meth:`fit`: everything is checked before training, and a
        failure leaves the estimator as it was (a previous fit kept).
        """
        with unchanged_on_failure(self):
            if self._is_mixed(X):
                return self._fit_resample_mixed(X, y)
            return self._fit_resample_rows(X, y, **params)

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit_resample_rows(self, X, y, **params):
        """imbalanced-learn's ``fit_resample`` template for tables and images, with the targets checked here.

        ``sampling_strategy`` goes through :func:`check_oversampling_targets`
        (a callable is called once), then ``_fit_resample`` runs; pandas in,
        pandas out, as imbalanced-learn does.
        """
        check_classification_targets(y)
        self._codec_in = None
        rows = self._images_to_rows(X)
        arrays = ArraysTransformer(rows, y)
        rows, y_checked, binarize_y = self._check_X_y(rows, y)
        self.sampling_strategy_ = check_oversampling_targets(self.sampling_strategy, y_checked)
        _check_room(sum(self.sampling_strategy_.values()), rows.shape[1], rows.shape[1], "sampling_strategy")
        X_res, y_res = self._fit_resample(rows, y_checked, **params)
        if binarize_y:
            y_res = label_binarize(y_res, classes=np.unique(y_checked))
        X_res, y_res = arrays.transform(X_res, y_res)
        return self._rows_to_images(X_res), y_res

    def _check_mixed(self, X, y):
        """Validate a mixed table and fit its codec (every check before any training)."""
        if isinstance(X, list):
            X = np.asarray(X, dtype=object)
        y_checked, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        y_checked = column_or_1d(y_checked) if np.ndim(y_checked) == 1 else y_checked
        check_consistent_length(X, y_checked)
        self._codec_in = MixedTableCodec(self.categorical_features, continuous=self.continuous).fit(X)
        validate_data(self, X=X, y=y_checked, reset=True, skip_check_array=True)
        self.layout_ = None
        return X, np.asarray(y_checked), binarize_y

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit_resample_mixed(self, X, y):
        check_classification_targets(y)
        arrays = ArraysTransformer(X, y)  # the containers to give back (list, DataFrame, Series ...)
        X, y_arr, binarize_y = self._check_mixed(X, y)
        self.sampling_strategy_ = check_oversampling_targets(self.sampling_strategy, y_arr)
        _check_room(sum(self.sampling_strategy_.values()), X.shape[1], self._codec_in.n_encoded_, "sampling_strategy")
        self._fit_gans(X, y_arr)
        X_new, y_new = self._draw_new(y_arr.dtype)
        if isinstance(X, pd.DataFrame):
            X_res = pd.concat([X, *X_new], ignore_index=True)
        else:
            X_res = np.concatenate([X, *X_new]).astype(X.dtype, copy=False)
        y_res = np.concatenate([y_arr, *y_new])
        if binarize_y:
            y_res = label_binarize(y_res, classes=np.unique(y_arr))
        return arrays.transform(X_res, y_res)

    def _fit_resample(self, X, y):
        self._fit_gans(X, y)
        X_new, y_new = self._draw_new(y.dtype)
        if not X_new:
            return X, y
        if sp.issparse(X):
            X_res = sp.vstack([X, *(sp.csr_matrix(x) for x in X_new)]).asformat(X.format)
        else:
            X_res = np.concatenate([X, *X_new]).astype(X.dtype, copy=False)
        return X_res, np.concatenate([y, *y_new])

    def _draw_new(self, y_dtype) -> tuple[list, list[np.ndarray]]:
        """The synthetic rows of ``fit_resample`` and their labels, class by class in ``sampling_strategy_`` order."""
        gen = torch_generator(self._resample_seed)
        grown = [(cls, n) for cls, n in self.sampling_strategy_.items() if n > 0]
        rows = [self._generate(n, cls, gen) for cls, n in grown]
        return rows, [np.full(n, cls, dtype=y_dtype) for cls, n in grown]

    # ------------------------------------------------------------------
    # Public sampling after fit
    # ------------------------------------------------------------------
    def sample(self, n_samples: int, y=None, random_state=None):
        """Draw ``n_samples`` new synthetic rows of class ``y`` without refitting.

        Parameters
        ----------
        n_samples : int
            Number of rows.
        y : label, default=None
            The class to generate. May be omitted when exactly one class was
            fitted (e.g. the minority class of a binary problem).
        random_state : int, RandomState instance or None, default=None
            Seed for the noise: the same value gives the same rows.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, n_features)
            In the input's dtype; a DataFrame when ``fit`` saw one; images
            in the layout ``fit`` saw.
        """
        check_is_fitted(self, "generators_")
        if not isinstance(n_samples, Integral) or n_samples < 0:
            raise ValueError(f"n_samples must be a non-negative integer; got {n_samples!r}.")
        fitted = list(self.generators_)
        if y is None:
            if len(fitted) != 1:
                names = ", ".join(map(_label, fitted))
                raise ValueError(f"Several classes were fitted ({names}); pass y= one of them.")
            y = fitted[0]
        if y not in self.generators_:
            raise ValueError(
                f"No generator was fitted for class {_label(y)}; fitted classes: "
                f"{', '.join(map(_label, fitted))}. "
                "Include the class in sampling_strategy when fitting."
            )
        _check_room(n_samples, self.n_features_in_, self._spec.n_features, "n_samples")
        seed = check_random_state(random_state).randint(SEED_MAX)
        rows = self._generate(n_samples, y, torch_generator(seed))
        if isinstance(self.codec_, MixedTableCodec):  # a DataFrame or array as fit saw it, dtypes kept
            return rows
        if getattr(self, "feature_names_in_", None) is not None:
            return pd.DataFrame(rows, columns=self.feature_names_in_)
        return self._rows_to_images(rows)

    # ------------------------------------------------------------------
    # Saving and loading (minority_gen.persistence)
    # ------------------------------------------------------------------
    def save(self, path) -> None:
        """Save the fitted sampler to one file that :meth:`load` reads back without running code from it.

        The file is a zip archive of JSON (settings, fitted state, codec)
        and the networks' weights (plain state dicts), stamped with the
        package and format versions and the SHA-256 of every member; see
        :mod:`minority_gen.persistence`. It is written atomically. Unlike
        ``pickle`` / ``joblib``, loading it is safe for a file of unknown
        origin.

        Parameters
        ----------
        path : str or path-like
            The file to write (by convention ``.mgz``); replaced if it exists.

        Raises
        ------
        ValueError
            The sampler is not fitted, or holds something a file cannot
            (a callable ``sampling_strategy``).
        """
        save_sampler(self, path)

    @classmethod
    def load(cls, path) -> GANOversampler:
        """A sampler saved with :meth:`save`; it draws the same rows as the original for the same seed.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        sampler : GANOversampler
            Fitted, with the original's parameters (``get_params`` and
            ``clone`` work) and fitted attributes; networks on the CPU.

        Raises
        ------
        ValueError
            The file is not a minority_gen model, is truncated or damaged,
            fails its checksums (tampered), was written in a newer format
            version, or its weights file holds anything but tensors (it is
            read with ``torch.load(weights_only=True)``). The message names
            the file.
        FileNotFoundError
            No such file.

        Examples
        --------
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

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------
    def _config(self, method: GANMethod, images: bool, device: torch.device | None = None) -> TrainConfig:
        """The resolved settings of a training run on ``device`` (``None``: the CPU)."""
        # the tuned recipe was measured on tables; images keep the papers' settings
        d = method.paper_defaults if self.recipe == "paper" or images else method.defaults

        def pick(name):
            value = getattr(self, name)
            return d[name] if value is None else value

        betas = tuple(pick("betas"))
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1); got {self.betas!r}.")
        if self.pac == "auto":
            pac = AUTO_PAC if method.supports_packing() and not images else 1
        else:
            pac = int(self.pac)
            if pac > 1 and not method.supports_packing():
                raise ValueError(
                    f"pac={pac}: method {method.name!r} as configured scores single generated rows with its "
                    "discriminator after training, which a packed discriminator cannot do. Use pac=1 (or "
                    "pac='auto')."
                )
        batch_size = -(-pick("batch_size") // pac) * pac  # rounded up to whole packs
        return TrainConfig(
            n_iter=self._resolve_auto("n_iter", images),
            pac=pac,
            batch_size=batch_size,
            latent_dim=pick("latent_dim"),
            n_critic=pick("n_critic"),
            lr_g=pick("lr_g"),
            lr_d=pick("lr_d"),
            betas=betas,
            ema=self._resolve_auto("ema", images),
            amp=resolve_amp(self.amp, device or torch.device("cpu"), images),
        )

    def _resolve_auto(self, name: str, images: bool):
        """Parameter ``name`` as set, or, when ``"auto"``, its value for images or tables (``AUTO_BY_KIND``)."""
        value = getattr(self, name)
        return AUTO_BY_KIND[name][images] if value == "auto" else value

    def _check_hidden_dims(self):
        if self.hidden_dims is None:
            return None
        dims = tuple(self.hidden_dims)
        if not dims or not all(isinstance(h, Integral) and h > 0 for h in dims):
            raise ValueError(f"hidden_dims must be a non-empty sequence of positive ints; got {self.hidden_dims!r}.")
        return dims

    def _fit_gans(self, X, y) -> None:
        if self.selection != "quality" and (self.patience is not None or self.eval_every is not None):
            raise ValueError(
                f"patience and eval_every apply to selection='quality' (they set its evaluations); got "
                f"selection={self.selection!r} with patience={self.patience!r}, eval_every={self.eval_every!r}. "
                "Pass selection='quality' or leave them at None."
            )
        method = get_method(self.method, self.method_params)
        hidden = self._check_hidden_dims()
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)

        self.classes_, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
        to_grow = [c for c, n in self.sampling_strategy_.items() if n > 0]
        for c in to_grow:
            n_rows = counts[np.searchsorted(self.classes_, c)]
            if n_rows < 2:
                raise ValueError(
                    f"Class {_label(c)} has {n_rows} row; a GAN needs at least 2 rows of a class to "
                    "learn it. Leave it out of sampling_strategy (e.g. a dict naming the other "
                    "classes) or gather more rows."
                )
        if self._codec_in is not None:  # a mixed table: fitted while validating it
            self.codec_ = self._codec_in
            spec = DataSpec(n_features=self.codec_.n_encoded_, blocks=tuple(self.codec_.blocks_))
            X_dense = X
        elif self.layout_ is None:
            X_dense = X.toarray() if sp.issparse(X) else np.asarray(X)
            self.codec_ = TableCodec().fit(X_dense)
            spec = DataSpec(n_features=X_dense.shape[1])
        else:
            X_dense = np.asarray(X)
            self.codec_ = ImageCodec(self.layout_).fit(X_dense)
            spec = DataSpec(n_features=X_dense.shape[1], image_shape=self.layout_.image_shape)
            conv_stages(spec.image_shape)  # unsupported sizes fail before any training
        anchored = self._anchored(spec)
        method = method.for_data(images=spec.image_shape is not None, anchored=anchored)  # its "auto" options
        config = self._config(method, images=spec.image_shape is not None, device=device)
        policy = resolve_policy(self.diffaugment, spec.image_shape is not None)
        x_enc = self.codec_.encode(X_dense)
        limits = divergence_limits(x_enc)  # rows beyond these are refused, in training and after it
        self.filters_ = self._fit_filters(x_enc, y_idx, to_grow, spec)
        self.filter_report_ = {}
        x_all = to_device(torch.from_numpy(x_enc), device)
        y_all = to_device(torch.from_numpy(y_idx.astype(np.int64)), device)
        plan = Plan(
            method=method, config=config, spec=spec, hidden=hidden, spectral_norm=self.spectral_norm,
            policy=policy, balanced_labels=self.label_sampling == "balanced",
            select=self.selection == "quality",
            eval_every=self.eval_every, patience=self.patience, device=device,
            callbacks=[ProgressBar()] if self.verbose else [], n_jobs=self.n_jobs, limits=limits,
            anchor=anchored, ddp=ddp.active(),
        )
        grow = {int(np.searchsorted(self.classes_, c)): c for c in to_grow}
        self.method_ = method
        fitted, self.history_ = fit_plan(plan, x_all, y_all, len(self.classes_), grow, rng)
        self.generators_ = {c: fitted[i].G for i, c in grow.items()}
        self.discriminators_ = {c: fitted[i].D for i, c in grow.items()}
        self.latent_dim_ = config.latent_dim
        self._spec = spec
        self._limits = limits
        self._resample_seed = int(rng.randint(SEED_MAX))

    def _anchored(self, spec: DataSpec) -> bool:
        """Whether the generators start from SMOTE anchors (``anchor``, resolved for this data)."""
        if self.anchor == "smote" and self.selection == "quality":
            warnings.warn(
                "anchor='smote' with selection='quality': the quality score compares rows with the training "
                "rows of their class, among which anchored rows start, so it is at its best from the first "
                "evaluations and the selection keeps an early, SMOTE-like generator. Use anchor=None (or "
                "'auto') with selection='quality', or selection='last'.", UserWarning, stacklevel=4)
        if self.anchor == "auto":
            return spec.image_shape is None and self.selection != "quality"
        return self.anchor == "smote"

    def _fit_filters(self, x_enc: np.ndarray, y_idx: np.ndarray, to_grow: list, spec: DataSpec) -> dict:
        """One fitted :class:`RowFilter` per class to grow (empty without ``filter``); fails before training."""
        if self.filter is None:
            return {}
        if spec.image_shape is not None:
            raise ValueError("filter works on tables only; pass filter=None for images.")
        template = self.filter if isinstance(self.filter, RowFilter) else RowFilter(criteria=self.filter)
        filters = {}
        for c in to_grow:
            mask = y_idx == np.searchsorted(self.classes_, c)
            filters[c] = clone(template).fit(x_enc[mask], x_enc[~mask])
        return filters

    def _generate(self, n: int, cls, gen: torch.Generator) -> np.ndarray:
        method = self.method_
        if n == 0:
            return self.codec_.decode(np.empty((0, self._spec.n_features), dtype=np.float32))
        G = self.generators_[cls]
        D = self.discriminators_[cls]
        nets = Networks(G=G, D=D, n_classes=len(self.classes_), pac=getattr(D, "pac", 1))
        index = int(np.searchsorted(self.classes_, cls)) if method.conditional else None
        chunk = 4096 if self.layout_ is None else 256  # conv activations are large per image
        noise_dim = getattr(G, "noise_dim", self.latent_dim_)  # latent, Gumbel and anchor draws
        draw = lambda m: generate_rows(method, nets, m, index, noise_dim, gen, chunk=chunk,  # noqa: E731
                                       limits=self._limits, label=f"class {_label(cls)}").reshape(m, -1)
        rows, report = draw_filtered(draw, n, self.filters_.get(cls))
        if cls in self.filters_:
            self.filter_report_[cls] = report
        return self.codec_.decode(rows)


def _check_room(n_rows: int, n_columns: int, n_encoded: int, source: str) -> None:
    """:func:`~minority_gen.safeguards.check_room` for rows of ``n_columns`` output and ``n_encoded`` encoded values.

    Per row: the float32 encoded row, and at least 8 bytes per output cell
    for the decoded row and the returned one.
    """
    check_room(n_rows, 4 * n_encoded + 16 * n_columns, source)
