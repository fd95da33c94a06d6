"""The parameter and attribute text of :class:`~minority_gen.GANOversampler`'s docstring.

Kept here so that the estimator's module holds code; the estimator's
docstring takes them through imbalanced-learn's ``Substitution``.
"""

PARAMETERS = """Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        Which classes to grow and to what size, as in imbalanced-learn
        (``"auto"``: every class but the majority, up to the majority's size).
        A dict's counts are ints, each at least the class's size now; counts
        beyond the machine's memory are refused before training. Its keys are
        classes, or classes written as text (``"1"`` for the class ``1``, as a
        JSON sampler spec must write them).
    method : str or GANMethod, default="rumi"
        The GAN formulation: a name from
        :func:`minority_gen.available_methods` or a method object such as
        ``RumiLSGAN(a=-0.5)``.
    method_params : dict, default=None
        Options of the method named by ``method``, e.g.
        ``{"b_pos": 2, "b_neg": -2}`` for ``"rumi"``. A value of the wrong
        type (a string for a number ...) is refused, naming the option.
    n_iter : int or "auto", default="auto"
        Generator updates per GAN (each preceded by ``n_critic``
        discriminator steps). With ``patience`` set, training may stop
        earlier. ``"auto"``: 500 for anchored tables (on protocol V, with
        the default boundary term, 500 was lower than 2000 on no more tables
        than chance gives for logistic regression, random forest and
        gradient boosting, and protocol T confirmed it; benchmarks/README.md),
        1000 for tables without anchors (``anchor=None``,
        ``selection="quality"``; chosen on V by the same rule against 2000,
        where 500 was lower with logistic regression on 9 of 11 tables), 1000
        for images (on BreastMNIST's validation split more did not help;
        docs/images.md).
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
        that support packing; 1 (no packing) for images, where ``pac=4``
        gained nothing (BreastMNIST severe30's validation split, and
        ``rumi``'s collapse in protocol D unchanged; docs/images.md), and
        for methods that score single rows after training (``amgan`` with
        dynamic labelling, ``labelgan``).
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
        ``selection="quality"``. Chosen for tables on the development
        collection (protocol V, benchmarks/README.md): anchored ``rumi``
        ranks ahead of ``rumi`` from noise with logistic regression and
        gradient boosting and is level with a random forest
        (benchmarks/results/dev_collection/choice_38b0aec.md); measured in
        docs/sample_quality.md and, for images, docs/images.md. Quality
        selection scores rows against the training rows of their class, and
        anchored rows start among those rows, at the top score, so it would
        keep an early, SMOTE-like generator: ``anchor="smote"`` with
        ``selection="quality"`` warns.
    correction : {"auto", "free", "covariance"}, default="auto"
        How an anchored table generator (``anchor="smote"``) may move its
        rows from their anchors. ``"covariance"``: its correction is mapped
        through the square root of its class's covariance (scaled to a mean
        eigenvalue of 1), so a row moves only along directions in which the
        class's real rows vary, in proportion to their spread; a linear
        relation that every real row of the class obeys (a total and its
        parts, a constant column, columns that are exact functions of each
        other) then holds in every generated row, as it does in SMOTE's,
        and a linear model cannot key on its violation. ``"free"``: in any
        direction (the generators before 2026-12-06). ``"auto"``:
        ``"covariance"`` for tables, ``"free"`` for images (images do not
        take ``"covariance"``). Chosen with ``boundary="auto"`` as a pair on
        the development collection (protocol V, benchmarks/README.md): with
        ``rumi``, the pair raised logistic regression's G-mean on 9 of 14
        tables and lowered it on 1 (mean +0.025, one-sided Wilcoxon p =
        0.003) and left the tree models level (random forest 6 up, 5 down,
        mean -0.003; gradient boosting 7 up, 5 down, +0.003); its mean
        ranks were ahead of the previous default (``"free"``, boundary off)
        with all three classifiers. ``"covariance"`` alone was not (logistic
        regression 6 up, 3 down, gradient boosting 6 up, 6 down). No effect
        without anchors.
    boundary : float, dict, "auto" or None, default="auto"
        Boundary-aware generation (after GAMO, :mod:`minority_gen.boundary`):
        a classifier of the real rows trains beside the discriminator, and
        the generator pays ``boundary`` times the mean excess of its rows'
        logit margin under that classifier over the real rows' median
        margin, so rows deeper in their class than the data are pulled
        towards the border; no row is rewarded for crossing it. With
        anchors, each row's correction is then at most one local neighbour
        distance. ``{"weight": w, "target": "margins"}`` instead matches the
        generated rows' margin distribution to the real rows' (their sorted
        margins against the real margins' quantiles), so the rows are as
        deep in the class as the data, neither deeper nor nearer the
        border; ``"target": "inside"`` is that match with the real margins
        below 0 raised to 0, so the real rows the classifier puts across the
        border ask for rows on it, not across it. Works for every method,
        tables and images; for a conditional method each row's margin is
        towards its own class, and the median or the margin distribution is
        that of the batch's real rows of every class together, not one per
        class (the classifier learns all classes of the batch). ``None``:
        off (the rows are exactly those without it). ``"auto"``:
        ``{"weight": 0.5, "target": "margins"}`` for anchored tables (with
        ``correction="auto"``, see there), off for images and for tables
        without anchors (not measured there). Chosen on protocol V: alone,
        each setting tried (weights 1 and 3, the margin match) raised
        logistic regression's rank but lowered the tree models'; with
        ``correction="covariance"`` the margin match at weight 1 was ahead
        with all three classifiers, and weight 0.5 then raised the random
        forest's G-mean on 7 of 14 tables and lowered it on 3, its logistic
        regression and gradient boosting ranks not behind (the target
        ``"inside"`` was behind with logistic regression). It costs a third
        network, which the shorter table budget chosen with it pays for (the
        fit times of every method at the defaults and at the defaults before:
        benchmarks/results/default_fit_times.md and
        default_fit_times_previous.md). It was chosen with
        ``method="rumi"``; the other methods follow the same rule.
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
    filter : "auto", None, str or RowFilter, default="auto"
        Drop generated rows before they are returned (more are drawn in their
        place, so the counts stay exact): ``"copies"`` drops near-copies of
        the class's training rows, ``"knn"`` drops rows whose nearest real
        rows are less often of the class than those of almost every real row
        of the class, ``"border"`` drops rows that a logistic regression of
        the real rows (``class_weight="balanced"``) assigns to another class,
        ``"reach"`` only those farther across that border than the class's
        own real rows reach (the 5 % quantile of their margins, or the border
        itself where they all lie on their side),
        ``"copies,knn"`` both of the first two (any comma-separated subset); or a
        :class:`minority_gen.filtering.RowFilter` with its own thresholds.
        ``filter_report_`` counts what was dropped. Tables only. ``"auto"``:
        ``"reach"`` for anchored tables, so that no returned row lies
        farther on the other classes' side of the real rows' linear border
        than the class's own real rows do (SMOTE's rows can; modes that no
        line separates keep their rows, which ``"border"`` drops); none for
        images and for tables without anchors (not measured there). Chosen
        on protocol V: the random forest's, logistic regression's and
        gradient boosting's G-mean were lower with ``"border"`` than without
        a filter on no more tables than chance allows (6 of 9, 10 and 10
        changed tables), then lower with ``"reach"`` than with ``"border"``
        on 2, 3 and 5 of 6 changed tables. ``None``: no filter.
    categorical_features : "auto", None, or array-like, default="auto"
        Columns to treat as categorical (one-hot encoded, a Gumbel-softmax
        block in the generator, decoded to observed levels only) besides
        those whose dtype already says so (``category``, strings, objects;
        booleans are their own kind): column indices, DataFrame column
        names, or a boolean mask, as in imbalanced-learn's ``SMOTENC``. Use
        it for category codes stored as numbers. ``"auto"`` / ``None``: by
        dtype only. Dense tables only: refused for images and sparse input,
        where it would do nothing. Categories must be strings, numbers or
        booleans (a model file keeps them): interval, period or timestamp
        categories are refused before training; convert them with
        ``.astype(str)``. A float column with missing cells and whole numbers
        otherwise (what ``pandas.read_csv`` makes of an integer column with
        gaps) is generated as integers within its observed range.
    continuous : {"standard", "modes"}, default="standard"
        Mixed tables (DataFrames, and arrays with categorical or missing
        values) only: how continuous columns are encoded.
        ``"standard"``: standardised. ``"modes"``: CTGAN's mode-specific
        normalisation (a Gaussian mixture per column; each value as its
        mode, one-hot, and its position within that mode), for multi-modal
        columns. Measured in docs/mixed_tables.md. ``"modes"`` is refused for
        numeric arrays, sparse input and images, which are standardised
        column by column (pass ``pd.DataFrame(X)`` to model a numeric
        array's modes).
    image_shape : tuple of int, default=None
        Treat each row of a 2-D ``X`` as one image flattened (C order) from
        this shape: ``(H, W)``, ``(H, W, C)`` or ``(C, H, W)``. Not needed for
        3-D / 4-D image arrays, whose shape is read from ``X``.
    image_layout : {"auto", "channels_last", "channels_first"}, default="auto"
        Where the channel axis of each image is: ``"channels_last"`` (H, W, C)
        or ``"channels_first"`` (C, H, W); ``"auto"`` takes the last axis when
        it has 1, 3 or 4 entries, else the first when it has. Images only: a
        table (2-D ``X`` without ``image_shape``) refuses any other value.
    diffaugment : str or None, default="auto"
        DiffAugment policy applied to every image the discriminator sees,
        real and generated alike: a comma-separated list of ``"color"``,
        ``"translation"``, ``"cutout"``. ``"auto"``: ``"color,translation,
        cutout"`` for images (the DiffAugment authors' choice for a few
        hundred images or fewer) and none for tables; ``None``: off.
    padding : {"auto", "zeros", "replicate", "reflect"}, default="auto"
        Images only: how the generator's convolutions pad their input.
        Zero padding lets a generator draw a frame at the image's edge, which
        a classifier can key on (on BreastMNIST a random forest told ``rumi``'s
        images from real ones by the outer 2 pixels alone; docs/images.md);
        ``"replicate"`` and ``"reflect"`` give the edge nothing of its own.
        ``"auto"``: ``"zeros"``. Protocol I measured ``"replicate"`` against
        it over 10 seeds (BreastMNIST severe30) with no consistent effect, so
        the default stays ``"zeros"`` (docs/images.md). Tables refuse any
        value but ``"auto"`` and ``"zeros"``.
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
        value gives identical output on the CPU with the same number of torch
        threads.
    verbose : bool or int, default=False
        Show a progress bar with the current losses while training.
"""

ATTRIBUTES = """Attributes
    ----------
    sampling_strategy_ : dict
        Class label → number of rows to generate.
    method_ : GANMethod
        The method object used for fitting, its ``"auto"`` options resolved
        for the data (e.g. ``rumi``'s ``beta_neg``: 1 for tables, 0.1 for
        images, 0.01 for images with ``anchor="smote"``).
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
        ``dropped_knn``, ``dropped_border``, ``dropped_reach``, ``dropped_range`` (rows drawn again because a
        discrete value left the class's own range), ``surplus``, ``kept``,
        ``kept_outside``, ``rounds``.
    model_ : FittedModel
        The fitted state as one object (:class:`minority_gen.model.FittedModel`):
        networks per class, codec, data spec, divergence limits, row filters.
    far_rows_ : dict
        Class label → the share of the last draw's rows (``fit_resample`` or
        ``sample``) with a value beyond 20 times the training rows' largest
        magnitude in some column (standardised); a warning names any share
        above 0. Healthy fits stay within about 13 times.
    history_ : pandas.DataFrame
        One row per iteration and GAN: ``gan`` (the class it generates, or
        ``"all"`` for a conditional method), ``iteration``, ``d_loss``,
        ``g_loss`` and every named loss term of the method (e.g. ``d_pos``,
        ``d_fake``, ``d_neg``, ``g_adv`` for ``rumi``; ``d_cls_real``,
        ``g_cls`` for ``acgan``): each method's own losses, without units,
        so the columns depend on the method. With the boundary term,
        ``g_boundary`` (its part of ``g_loss``) and ``c_loss`` (its
        classifier's loss); with ``selection="quality"``, ``q_precision``,
        ``q_coverage``, ``q_copies`` and ``q_score`` at each evaluation
        (NaN between evaluations).
    classes_ : ndarray
        The class labels seen in ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
"""
