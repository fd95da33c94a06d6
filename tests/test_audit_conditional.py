"""Audit of the methods on multiclass data: counts and labels per class, sampling each class, the
conditional methods' options on several classes, and rejection sampling's memory (amgan / labelgan)."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from minority_gen import GANOversampler
from minority_gen.methods import Networks, available_methods
from minority_gen.methods import amgan as amgan_module
from minority_gen.methods.amgan import select_class_rows
from minority_gen.methods.base import NoCandidateWarning
from minority_gen.nets import Head, MLPDiscriminator, MLPGenerator

TINY = dict(n_iter=3, batch_size=16, latent_dim=4, hidden_dims=(8,), device="cpu", random_state=0)


def four_classes(labels=(42, 3, 7, 100), n=(120, 30, 10, 6), seed=0):
    """Four well-separated classes of 3 columns, in the order of ``labels`` (the first is the majority)."""
    rng = np.random.default_rng(seed)
    centres = 8.0 * np.eye(4, 3, k=-1)
    X = np.vstack([rng.normal(c, 0.5, (k, 3)) for c, k in zip(centres, n)])
    return X, np.asarray(labels)[np.repeat(np.arange(4), n)]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("method", available_methods())
@pytest.mark.parametrize("strategy", ["not majority", "minority", {3: 40, 100: 9}])
def test_multiclass_counts_labels_and_sample_per_class(method, strategy):
    X, y = four_classes()
    sampler = GANOversampler(method=method, sampling_strategy=strategy, **TINY)
    X_res, y_res = sampler.fit_resample(X, y)
    wanted = {c: n for c, n in sampler.sampling_strategy_.items() if n}
    assert dict(Counter(y_res[len(X):].tolist())) == wanted
    assert sorted(sampler.generators_) == sorted(wanted)
    for c in wanted:
        assert sampler.sample(3, y=c, random_state=0).shape == (3, 3)
    with pytest.raises(ValueError, match="No generator was fitted for class 42"):
        sampler.sample(3, y=42)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("method,params", [("projection", {"class_bias": True}), ("acgan", {"cls_on_fake": False}),
                                           ("uacgan", {"class_bias": True, "lambda_mi": 1.0, "ma_rate": 1.0}),
                                           ("cagan", {"mixed_batch": True, "mix_rate": float("inf")}),
                                           ("amgan", {"labelling": "dynamic", "n_candidates": 2})])
@pytest.mark.parametrize("labels", [("maj", "b", "c", "d"), (-1, -5, -3, -20), (False, True, True, True)])
def test_conditional_options_with_string_negative_and_bool_labels(method, params, labels):
    X, y = four_classes(labels=labels)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(kind=pd.Categorical(np.where(X[:, 0] > 4, "x", "y")))
    sampler = GANOversampler(method=method, method_params=params, **TINY)
    X_res, y_res = sampler.fit_resample(frame, y)
    wanted = {c: n for c, n in sampler.sampling_strategy_.items() if n}
    assert dict(Counter(y_res[len(X):].tolist())) == wanted
    assert list(X_res.dtypes) == list(frame.dtypes)
    for c in wanted:
        assert list(sampler.sample(2, y=c, random_state=0).columns) == list(frame.columns)


class _Images(nn.Module):
    """A stand-in image generator that records the rows of every forward pass."""

    def __init__(self, shape=(3, 32, 32)):
        super().__init__()
        self.shape, self.calls = shape, []
        self.linear = nn.Linear(4, 1)

    def forward(self, z, y):
        self.calls.append(len(z))
        return self.linear(z).view(-1, 1, 1, 1).expand(len(z), *self.shape) + y.view(-1, 1, 1, 1).float()


class _Judge(nn.Module):
    """Class logits K+1 = 3 from an image's mean: rows above ``cut`` belong to class 1."""

    def __init__(self, cut=0.0):
        super().__init__()
        self.cut = cut

    def forward(self, x, y=None):
        m = x.flatten(1).mean(1) - self.cut
        return {"cls": torch.stack([-m, m, torch.zeros_like(m)], 1)}


def test_rejection_sampling_of_images_runs_its_candidates_in_rounds():
    """Before: 256 images × 16 candidates went through G and D in one pass (a 64×64 RGB labelgan draw took
    3.1 GB more than acgan's); now at most CANDIDATE_VALUES values per pass, and no round once every row
    has an accepted candidate."""
    G = _Images().eval()
    nets = Networks(G=G, D=_Judge(cut=-100.0), n_classes=2)  # every candidate is accepted
    z, y = torch.randn(256, 4, generator=torch.Generator().manual_seed(0)), torch.ones(256, dtype=torch.long)
    rows = select_class_rows(nets, z, y, 16)
    assert rows.shape == (256, 3, 32, 32)
    assert max(G.calls) * 3 * 32 * 32 <= 2**22, G.calls
    assert len(G.calls) <= 2 and sum(G.calls) < 16 * 256 / 2, G.calls  # one round (after a 1-row probe)


def test_rejection_sampling_in_rounds_picks_the_rows_of_one_pass(monkeypatch):
    """The rounds pick exactly the candidates one pass picks: the first accepted, else the best score (the
    first of equal ones), and the warning counts the rows without an accepted candidate."""
    torch.manual_seed(0)
    G = MLPGenerator(4, 2, (8,), 2).eval()
    D = MLPDiscriminator(2, {"cls": Head(3)}, (8,), 2).eval()
    nets = Networks(G=G, D=D, n_classes=2)
    z = torch.randn(50, 4, generator=torch.Generator().manual_seed(1))
    y = torch.arange(50) % 2
    with warnings.catch_warnings(record=True) as one_pass, torch.no_grad():
        warnings.simplefilter("always")
        expected = select_class_rows(nets, z, y, 5)
    monkeypatch.setattr(amgan_module, "CANDIDATE_VALUES", 1, raising=False)
    with warnings.catch_warnings(record=True) as rounds, torch.no_grad():
        warnings.simplefilter("always")
        got = select_class_rows(nets, z, y, 5)
    assert torch.equal(got, expected)
    counts = [[w.message.n for w in caught if isinstance(w.message, NoCandidateWarning)]
              for caught in (one_pass, rounds)]
    assert counts[0] == counts[1] != []


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("method", ["acgan", "projection", "amgan"])
def test_a_conditional_method_growing_one_class_learns_every_class(method):
    """Growing one class, a conditional method still trains one generator on all four classes (its
    label input and its anchors cover them); only the grown class can be sampled."""
    X, y = four_classes()
    sampler = GANOversampler(method=method, sampling_strategy={100: 20}, **TINY).fit(X, y)
    assert list(sampler.generators_) == [100]
    assert sampler.model_.architecture.n_classes == 4
    assert sampler.model_.holds()["anchor_rows"] == {"3": 30, "7": 10, "42": 120, "100": 6}
    assert set(sampler.history_["gan"]) == {"all"}
    with pytest.raises(ValueError, match="No generator was fitted for class 7; fitted classes: 100"):
        sampler.sample(2, y=7)


@pytest.mark.parametrize("y", [[1], np.array([1]), (1,), np.array([1, 2])])
def test_sample_refuses_a_y_that_is_not_one_label(y):
    from minority_gen import GANOversampler

    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(50, 2)), np.r_[np.zeros(30, int), np.ones(10, int), np.full(10, 2)]
    sampler = GANOversampler(n_iter=2, hidden_dims=(8,), random_state=0).fit(X, labels)
    with pytest.raises(ValueError, match=r"y must be one class label, e.g. sample\(3, y=1\)"):
        sampler.sample(3, y=y)
    np.testing.assert_array_equal(sampler.sample(3, y=np.array(2), random_state=0),
                                  sampler.sample(3, y=2, random_state=0))


def test_rejection_shortfall_is_one_warning_per_sample_also_through_a_filter():
    """With a row filter the draw runs in rounds and parts (FILTER_BATCH): still one warning for the class."""
    from minority_gen.filtering import RowFilter
    from tests.test_methods_conditional import three_blobs

    X, y, _ = three_blobs(n=(150, 60, 40))  # as the one-warning test without a filter there
    y = np.array(["maj", "mid", "rare"])[y]
    sampler = GANOversampler(method="labelgan", n_iter=3, latent_dim=4, hidden_dims=(8,), random_state=0,
                             filter=RowFilter("copies")).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sampler.sample(20_000, y="rare")  # a first round of 22,000 rows: two parts of at most 16,384
    rejected = [w for w in caught if issubclass(w.category, NoCandidateWarning)]
    assert len(rejected) == 1, [str(w.message) for w in caught]
    assert rejected[0].message.total == sampler.filter_report_["rare"]["drawn"]
    assert rejected[0].filename == __file__  # it points at the call of sample()
