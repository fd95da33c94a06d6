"""Does oversampling help a CNN on my images? Cells of (training set, condition, seed), resumable.

A *condition* says where the new minority images come from: ``none`` (no new images), ``ros`` (copies of real
ones, imbalanced-learn's ``RandomOverSampler``), ``augmentation`` (:class:`~minority_gen.AugmentationOversampler`),
a GAN method name (``"rumi"``: :class:`~minority_gen.GANOversampler`), or a method with half the new images from
another source (``"rumi+augmentation"``, ``"rumi+ros"``: :data:`MIXES`). Every condition fills the minority up to
the majority's count. Each cell resamples the training images, trains a
:class:`~minority_gen.evaluation.CNNClassifier` with model selection on the validation split, and scores the
test split once (:func:`image_cell`). :func:`compare_on_images` runs the grid into an append-only JSON-lines
store; a re-run computes only the cells the store lacks. One GAN fit per (training set, method, seed) serves all
the conditions of that method, and its drawn images are kept on disk (:class:`GANSampleCache`), so cells with
another CNN reuse them. Protocol I (``benchmarks/protocol_i.py``) is this on BreastMNIST.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from .downstream import check_gan_params
from .files import check_name_part, write_atomically
from .image_checks import check_cnn_params, check_images, check_seed, data_key, label_bytes
from .store import append_records, check_store, read_records, short_key

#: Conditions without a GAN.
BASELINES = ("none", "ros", "augmentation")
#: What fills the other half of the new minority images of ``<method><suffix>`` conditions (the GAN the first).
MIXES = {"+augmentation": "augmented", "+ros": "copies"}
#: Metrics every cell records; a stored cell lacking one of them is run again (same seed).
RECORDED = ("test_auc", "test_balanced_accuracy", "test_average_precision")


def mix_of(condition: str) -> str | None:
    """The :data:`MIXES` suffix of a ``<method><suffix>`` condition, or None."""
    return next((mix for mix in MIXES if condition.endswith(mix)), None)


def gan_part(condition: str) -> str | None:
    """The GAN method a condition uses, or None."""
    if condition in BASELINES:
        return None
    return condition.removesuffix(mix_of(condition) or "")


def check_conditions(conditions: Sequence[str]) -> None:
    """Refuse conditions whose GAN part is no registered method, naming the known ones."""
    from minority_gen import available_methods

    known = available_methods()
    bad = [c for c in conditions if gan_part(c) is not None and gan_part(c) not in known]
    if bad:
        raise ValueError(f"unknown condition(s) {bad}; use {', '.join(BASELINES)} or a method name (with "
                         f"{' or '.join(MIXES)}) from: {', '.join(known)}")


def image_gan_params(method: str, n_iter: int, width: int, device: str = "cpu", batch_size: int | None = None,
                     extra: Mapping | None = None) -> dict:
    """``method``'s GANOversampler settings for images, JSON-ready: its ``"auto"`` image defaults resolved and its
    own options written out as ``method_params`` (the defaults with any ``extra["method_params"]`` on top), so a
    change of a method's defaults changes the settings a cell is keyed by. ``extra``: other GANOversampler
    parameters. A ``method_params`` entry the method does not take raises ValueError."""
    from minority_gen.methods import resolved_params
    from minority_gen.settings import AUTO_IMAGE_EMA

    params = dict(method=method, n_iter=n_iter, hidden_dims=[width], device=device)
    if batch_size:
        params["batch_size"] = batch_size
    extra, defaults = dict(extra or {}), {"ema": AUTO_IMAGE_EMA}
    anchored = {**defaults, **extra}.get("anchor") == "smote"
    own = resolved_params(method, extra.pop("method_params", None), images=True, anchored=anchored)
    return {**params, **defaults, **extra, "method_params": own}


def augment(X, y, n_new: int, seed: int, minority) -> np.ndarray:
    """``n_new`` albumentations-augmented copies of real ``minority`` images."""
    from minority_gen import AugmentationOversampler

    n_min = int((y == minority).sum())
    sampler = AugmentationOversampler(sampling_strategy={minority: n_min + n_new}, random_state=seed)
    X_res, _ = sampler.fit_resample(X, y)
    return X_res[len(X):]


class GANSampleCache:
    """The images each GAN drew, in memory and in ``folder`` (one ``.npz`` per fit, named by everything the images
    depend on: training set name and images, settings, seed, count, ``tag`` and the package's output version)."""

    def __init__(self, folder, tag=False):
        self.folder, self.tag, self.fits = Path(folder), tag, {}

    def sample_file(self, scenario: str, params: dict, seed: int, X, y, n_new: int) -> Path:
        from minority_gen._version import OUTPUT_VERSION

        check_name_part(scenario, "the training set")  # never a path: "../x", "/x" or "a/b" would lead elsewhere
        check_name_part(params["method"], "the method")
        check_seed(seed)
        data = hashlib.sha1(np.ascontiguousarray(X).tobytes() + label_bytes(y)).hexdigest()
        key = short_key(scenario, params["method"], seed, params, self.tag, n_new, OUTPUT_VERSION, data)
        return self.folder / f"{scenario}_{params['method']}_seed{seed}_{key}.npz"

    def draw(self, scenario: str, params: dict, seed: int, X, y, n_new: int, minority, grid: Path | None = None):
        """``(images, fit seconds)``: from memory, from the folder (the same settings and training images drawn
        before), or a new fit. ``grid``: where to save real (top) against drawn (bottom) images."""
        key = (scenario, params["method"], seed)
        if key not in self.fits:
            from minority_gen.plotting import save_image_grid

            path = self.sample_file(scenario, params, seed, X, y, n_new)
            if path.is_file():
                with np.load(path) as f:
                    images, seconds = f["images"], float(f["seconds"])
            else:
                images, seconds = self.fit_and_draw(params, seed, X, y, n_new, minority)
                path.parent.mkdir(parents=True, exist_ok=True)
                # whole files only, under a fresh temporary name: an interrupted write leaves no half cache entry
                write_atomically(path, partial(np.savez_compressed, images=images, seconds=seconds), ".npz")
            if grid is not None:
                save_image_grid(grid, X[y == minority], y[y == minority], images, np.full(len(images), minority),
                                n_per_class=10, title=f"{scenario}, class {minority}: real (top) vs "
                                f"{params['method']}, {params.get('n_iter', 'auto')} iterations (bottom), seed {seed}")
            self.fits[key] = (images, seconds)
        return self.fits[key]

    def forget(self, scenario: str, method: str, seed: int) -> None:
        """Drop a fit's images from memory (the folder keeps them)."""
        self.fits.pop((scenario, method, seed), None)

    @staticmethod
    def sampler(params: Mapping, seed: int):
        """The GANOversampler a fit of ``params`` uses (``hidden_dims`` stored as a JSON list)."""
        from minority_gen import GANOversampler

        widths = params.get("hidden_dims")
        return GANOversampler(**{**params, "hidden_dims": None if widths is None else tuple(widths)}, random_state=seed)

    @staticmethod
    def fit_and_draw(params: dict, seed: int, X, y, n_new: int, minority) -> tuple[np.ndarray, float]:
        sampler = GANSampleCache.sampler(params, seed)
        start = time.perf_counter()
        sampler.fit(X, y)
        seconds = time.perf_counter() - start
        return sampler.sample(n_new, y=minority, random_state=seed), seconds


def resample_images(condition: str, X, y, seed: int, minority, gan: Callable[[int], tuple] | None = None):
    """``(X, y, sources, GAN seconds)``: the training images of a cell (the minority filled up to the majority's
    count), and how many new images came from where. ``gan(n_new)`` gives ``(images, fit seconds)`` of the
    condition's GAN (e.g. :meth:`GANSampleCache.draw`)."""
    n_new = int((y != minority).sum() - (y == minority).sum())
    if condition == "none":
        return X, y, {}, 0.0
    if condition == "ros":
        from imblearn.over_sampling import RandomOverSampler

        X_res, y_res = RandomOverSampler(random_state=seed).fit_resample(X.reshape(len(X), -1), y)
        return X_res.reshape(-1, *X.shape[1:]), y_res, {"copies": n_new}, 0.0
    seconds = 0.0
    if condition == "augmentation":
        new, sources = augment(X, y, n_new, seed, minority), {"augmented": n_new}
    else:
        new, seconds = gan(n_new)
        sources = {"gan": n_new}
        if mix := mix_of(condition):
            n_gan = n_new // 2
            if mix == "+augmentation":
                other = augment(X, y, n_new - n_gan, seed, minority)
            else:  # copies of real minority images drawn as random oversampling draws them: uniformly, replaced
                real = X[y == minority]
                other = real[np.random.default_rng(seed).integers(0, len(real), n_new - n_gan)]
            new = np.concatenate([new[:n_gan], other])
            sources = {"gan": n_gan, MIXES[mix]: n_new - n_gan}
    return np.concatenate([X, new]), np.concatenate([y, np.full(len(new), minority)]), sources, seconds


def cell_key(scenario, condition, seed, cnn: dict, gan: dict | None, tag=False, version: str | None = None) -> str:
    """A cell's store key. A GAN cell's holds the package's output version (:func:`output_version`), so a change
    of a default or of the training code makes new cells rather than reading old ones back (protocol I's cells
    stored before 2026-12-07 carry no version and keep the keys made without it)."""
    return short_key(scenario, condition, seed, cnn, gan, tag, *([version] if version else []))


def output_version(condition: str) -> str | None:
    """The output version a cell of ``condition`` is keyed by: the package's for GAN cells
    (``minority_gen._version.OUTPUT_VERSION``, the fingerprint of what the GANs draw); None for the baselines,
    whose images (copies, albumentations) no GAN draws."""
    from minority_gen._version import OUTPUT_VERSION

    return OUTPUT_VERSION if gan_part(condition) else None


def image_cell(X, y, val, test, condition: str, seed: int, cnn_params: Mapping, minority,
               gan: Callable[[int], tuple] | None = None) -> dict:
    """One cell: ``(X, y)`` resampled by ``condition`` (:func:`resample_images`), a ``CNNClassifier(**cnn_params,
    random_state=seed)`` trained on them with model selection on ``val = (X_val, y_val)``, scored once on
    ``test``. Returns the metrics (test ROC AUC, accuracy and balanced accuracy at the argmax, the minority's
    average precision and its probability per test image), the validation AUC, epoch kept and curve, the
    training counts, where the new images came from, and the GAN and CNN fit seconds."""
    from sklearn.metrics import accuracy_score, average_precision_score, balanced_accuracy_score, roc_auc_score

    from .cnn import CNNClassifier

    X_tr, y_tr, sources, gan_s = resample_images(condition, X, y, seed, minority, gan)
    start = time.perf_counter()
    clf = CNNClassifier(**cnn_params, random_state=seed).fit(X_tr, y_tr, *val)
    cnn_s = time.perf_counter() - start
    X_test, y_test = test
    proba = clf.predict_proba(X_test)
    pred = clf.classes_[proba.argmax(1)]
    p_minority = proba[:, list(clf.classes_).index(minority)]
    return dict(
        test_auc=float(roc_auc_score(y_test, proba[:, 1])), test_accuracy=float(accuracy_score(y_test, pred)),
        test_balanced_accuracy=float(balanced_accuracy_score(y_test, pred)),
        # the minority's average precision, ranked by its own probability
        test_average_precision=float(average_precision_score(y_test == minority, p_minority)),
        test_proba_minority=[round(float(v), 5) for v in p_minority],
        val_auc=float(clf.best_score_), best_epoch=int(clf.best_epoch_),
        val_curve=[round(v, 4) for v in clf.history_["val_roc_auc"]],
        n_train={str(c): int((y_tr == c).sum()) for c in np.unique(y_tr)},
        n_real_minority=int((y == minority).sum()), new_minority=sources,
        gan_s=round(gan_s, 1), cnn_s=round(cnn_s, 1),
    )


def gan_settings(conditions: Sequence[str], gan_params: Callable[[str], dict] | Mapping, X) -> dict[str, dict]:
    """Method → the GANOversampler settings of its conditions, refused before any training (ValueError naming the
    method) when a ``gan_params`` mapping has no entry for it, when they name another method, hold a keyword
    GANOversampler does not take or a value it refuses, or when its networks cannot take images shaped as ``X``."""
    from minority_gen.images import ImageLayout
    from minority_gen.nets import conv_stages
    from minority_gen.settings import check_params

    methods = list(dict.fromkeys(gan_part(c) for c in conditions if gan_part(c)))
    if isinstance(gan_params, Mapping):
        missing = [m for m in methods if m not in gan_params]
        if missing:
            raise ValueError(f"gan_params has no settings for the method(s) {missing} of the conditions; it has "
                             f"{sorted(gan_params)}. Add an entry per method (e.g. {{{missing[0]!r}: "
                             f"image_gan_params({missing[0]!r}, n_iter=1000, width=16)}}) or pass a function of the "
                             "method, e.g. gan_params=lambda m: image_gan_params(m, n_iter=1000, width=16).")
    settings = {}
    for method in methods:
        check_name_part(method, "the method")  # it names the GAN cache files
        params = dict(gan_params[method] if isinstance(gan_params, Mapping) else gan_params(method))
        what = f"gan_params for {method!r}"
        if params.get("method") != method:
            raise ValueError(f"{what} has method={params.get('method')!r}; its settings name their own method "
                             f"(\"method\": {method!r}), as image_gan_params({method!r}, ...) writes them.")
        check_gan_params(params, fixed=("random_state",), name=what)  # names and values, before any cell
        sampler = GANSampleCache.sampler(params, 0)
        try:
            check_params(sampler.get_params(deep=False))
            layout = ImageLayout.detect(np.asarray(X), sampler.image_shape, sampler.image_layout)
            if layout is not None:
                conv_stages(layout.image_shape)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what}: {exc}") from None
        settings[method] = params
    return settings


def compare_on_images(train: Mapping[str, tuple], val: tuple, test: tuple, conditions: Sequence[str],
                      seeds: Sequence[int], cnn_params: Mapping, gan_params: Callable[[str], dict] | Mapping,
                      store, minority, gan_cache=None, tag=False, record: Mapping | None = None,
                      grid: Callable[[str, str, int], Path | None] | None = None,
                      log: Callable[[str], None] | None = print) -> list[dict]:
    """The (training set × seed × condition) grid, each cell :func:`image_cell`, into the JSON-lines ``store``.

    ``train``: name → ``(X, y)`` training images (e.g. ``{"full": ..., "severe30": ...}``); ``val`` and ``test``:
    ``(X, y)`` shared by all. ``gan_params``: method → GANOversampler settings (a mapping or a function, e.g. of
    :func:`image_gan_params`). A cell whose key (:func:`cell_key`, with ``tag``) is in the store with every
    :data:`RECORDED` metric, computed on the same images (:func:`.image_checks.data_key` of the training set,
    ``val``, ``test`` and ``minority``, stored as ``data_key``), is not run again; each new cell is appended as soon
    as it is done, so a killed run loses at most the cell in progress. ``gan_cache``: the folder of
    :class:`GANSampleCache` (default ``gan_samples`` beside the store). ``record``: fields written into every new
    record (e.g. date, command).
    ``grid(scenario, condition, seed)``: where to save a GAN's real-vs-drawn image grid, or None. ``log``: progress
    lines (None: quiet). Returns every record in the store, read back (another run may have added cells).
    Unknown conditions, unusable images (:func:`check_images`), CNN settings (:func:`.image_checks.check_cnn_params`)
    and GAN settings (:func:`gan_settings`) raise ValueError before any training.
    """
    check_conditions(conditions)
    train, val, test = check_images(train, val, test, minority, seeds)
    check_cnn_params(cnn_params)
    settings = gan_settings(conditions, gan_params, next(iter(train.values()))[0])
    store = check_store(store)
    gans = GANSampleCache(gan_cache if gan_cache is not None else store.parent / "gan_samples", tag)
    data = {scenario: data_key(*train[scenario], val, test, minority) for scenario in train}
    # a stored cell counts when it has every metric and was computed on these images (records before data_key: any)
    done = {r["key"]: r.get("data_key") for r in read_records(store)
            if all(k in r.get("metrics", {}) for k in RECORDED)}
    todo = []
    for scenario in train:
        for seed in seeds:
            for condition in conditions:
                gan = settings.get(gan_part(condition))
                version = output_version(condition)
                key = cell_key(scenario, condition, seed, dict(cnn_params), gan, tag, version)
                if key not in done or done[key] not in (None, data[scenario]):
                    todo.append((scenario, seed, condition, gan, key, version))
    say = log or (lambda line: None)
    say(f"{len(todo)} cell(s) to run, {len(train) * len(seeds) * len(conditions) - len(todo)} cached, store {store}")
    for i, (scenario, seed, condition, gan, key, version) in enumerate(todo, 1):
        start = time.perf_counter()
        X, y = train[scenario]
        draw = partial(gans.draw, scenario, gan, seed, X, y, minority=minority,
                       grid=grid(scenario, condition, seed) if grid else None) if gan else None
        metrics = image_cell(X, y, val, test, condition, seed, cnn_params, minority, draw)
        append_records(store, [dict(key=key, scenario=scenario, condition=condition, seed=seed,
                                    cnn_params=dict(cnn_params), gan_params=gan, metrics=metrics,
                                    data_key=data[scenario], **(record or {}),
                                    **({"output_version": version} if version else {}))])
        say(f"[{i}/{len(todo)}] {scenario} {condition} seed {seed}: test AUC {metrics['test_auc']:.3f}, "
            f"balanced accuracy {metrics['test_balanced_accuracy']:.3f}, val AUC {metrics['val_auc']:.3f} "
            f"(epoch {metrics['best_epoch']}) in {time.perf_counter() - start:.0f} s")
        if gan and not any(t[0] == scenario and t[1] == seed and gan_part(t[2]) == gan["method"] for t in todo[i:]):
            gans.forget(scenario, gan["method"], seed)  # no later cell needs this GAN's images in memory
    return read_records(store)
