"""Drawing rows holds one copy of them at a time: the divergence checks go chunk by chunk (``generate_rows``,
``beyond``, ``far_share``) and the codecs decode into one float64 array of their own, in place.

The memory is read with ``tracemalloc``, which sees NumPy's allocations exactly (not torch's), so each bound is a
count of arrays, not a timing; the numbers per case are ``benchmarks/results/draw_memory.md``'s."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
import torch

from minority_gen.data import TableCodec
from minority_gen.divergence import DIVERGENCE_FACTOR, FAR_FACTOR, PART_ROWS, DivergenceError, beyond, far_share
from minority_gen.generation import generate_rows
from minority_gen.images import ImageCodec, ImageLayout
from minority_gen.methods.base import Networks
from minority_gen.tabular import MixedTableCodec


def peak_bytes(fn):
    """What ``fn()`` returns and the most bytes NumPy held at once during it, above what it held before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        out = fn()
        return out, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def reference_beyond(rows, limits):
    """The check as it was: the whole draw in float64, at once."""
    flat = np.abs(np.asarray(rows, dtype=np.float64).reshape(len(rows), -1))
    ratio = np.where(np.isfinite(flat), flat, np.inf).max(axis=0) / limits
    j = int(np.argmax(ratio))
    return None if not ratio[j] > 1.0 else (j, flat[:, j].max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_checks_in_parts_say_what_the_whole_draw_in_float64_says(dtype):
    rng = np.random.default_rng(0)
    rows = (rng.standard_normal((2 * PART_ROWS + 5, 4)) * 3).astype(dtype)
    limits = np.array([1000.0, 12.0, 1000.0, 1000.0])
    assert reference_beyond(rows, limits) is not None  # column 1 breaks its limit of 12 somewhere
    j, value = reference_beyond(rows, limits)
    assert beyond(rows, limits) == (f"|value| {value:.3g} in column {j} of the encoded rows, beyond the limit "
                                    f"{limits[j]:.3g} ({DIVERGENCE_FACTOR:g} x the training rows' largest |value| "
                                    "there, floored at 1)")
    assert beyond(rows, np.full(4, 1e6)) is None
    rows[2 * PART_ROWS + 3, 2] = -np.inf  # in the last part only
    assert beyond(rows, np.full(4, 1e6)) == "non-finite values in column 2 of the encoded rows"
    rows[2 * PART_ROWS + 3, 2] = np.nan
    assert beyond(rows, np.full(4, 1e6)) == "non-finite values in column 2 of the encoded rows"
    rows[2 * PART_ROWS + 3, 2] = 0.0
    far = limits * FAR_FACTOR / DIVERGENCE_FACTOR
    assert far_share(rows, limits) == float((np.abs(rows.astype(np.float64)) > far).any(axis=1).mean())
    assert 0 < far_share(rows, limits) < 1


class Doubler(torch.nn.Module):
    """A 'generator' whose rows are its noise, times 2; ``bad_after`` rows on, every value is ``bad``."""

    def __init__(self, bad_after=None, bad=np.inf):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))
        self.bad_after, self.bad, self.seen = bad_after, bad, 0

    def forward(self, z):
        out = z * 2
        if self.bad_after is not None and self.seen + len(z) > self.bad_after:
            out[max(0, self.bad_after - self.seen):] = self.bad
        self.seen += len(z)
        return out


class Plain:
    name = "plain"

    def generate(self, nets, z, y):
        return nets.G(z)


def draw(G, n, **kw):
    nets = Networks(G=G, D=torch.nn.Identity(), n_classes=2)
    return generate_rows(Plain(), nets, n, None, 8, torch.Generator().manual_seed(0), chunk=1000, **kw)


def test_the_draw_is_checked_chunk_by_chunk_into_one_array():
    rows, peak = peak_bytes(lambda: draw(Doubler(), 20_000, limits=np.full(8, 1e3)))
    expected = 2 * torch.randn(20_000, 8, generator=torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_array_equal(rows, expected)
    assert rows.dtype == np.float32 and rows.shape == (20_000, 8)
    # the returned rows and one chunk's checks; the whole draw checked at once held 17 bytes a value more
    assert peak < rows.nbytes * 1.25, peak / rows.nbytes


@pytest.mark.parametrize("bad, words", [(np.inf, "non-finite values"), (5e3, "has diverged: it produced |value|")])
def test_a_bad_value_in_a_later_chunk_stops_the_draw(bad, words):
    with pytest.raises(DivergenceError, match=words.replace("|", r"\|")):
        draw(Doubler(bad_after=3_500, bad=bad), 5_000, limits=np.full(8, 1e3), label="class 1")
    assert draw(Doubler(), 0).shape == (0, 0)


def test_the_table_codec_decodes_one_float64_copy_and_leaves_its_input_alone():
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((50_000, 10)) * 5 + 3).astype(np.float32)
    codec = TableCodec().fit(X)
    Z = codec.encode(X).astype(np.float32)
    before = Z.copy()
    out, peak = peak_bytes(lambda: codec.decode(Z))
    np.testing.assert_array_equal(Z, before)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, X, rtol=1e-5, atol=1e-5)
    assert peak <= 3.1 * Z.nbytes, peak / Z.nbytes  # its float64 copy and the float32 result (8 + 4 a value)
    Z64 = Z.astype(np.float64)
    codec.decode(Z64)
    np.testing.assert_array_equal(Z64, before)  # a float64 input is copied too, never scaled in place


@pytest.mark.parametrize("shape", [(2_000, 28, 28), (2_000, 16, 16, 3)])
def test_the_image_codec_decodes_one_float64_copy_and_leaves_its_input_alone(shape):
    X = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    layout = ImageLayout.detect(X)
    codec = ImageCodec(layout).fit(layout.flatten(X))
    Z = codec.encode(layout.flatten(X))
    before = Z.copy()
    out, peak = peak_bytes(lambda: codec.decode(Z))
    np.testing.assert_array_equal(Z, before)
    np.testing.assert_array_equal(out, layout.flatten(X))  # uint8 images come back exactly
    copies = 2 if len(shape) == 4 else 1  # channels last: the transposed copy too
    assert peak <= (8 * copies + 1.5) / 4 * Z.nbytes, peak / Z.nbytes


def test_the_mixed_codec_decodes_its_numbers_in_its_own_copy():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({**{f"x{i}": rng.normal(size=40_000) for i in range(8)},
                      "c": np.array(["a", "b", "c"], dtype=object)[rng.integers(0, 3, 40_000)]})
    codec = MixedTableCodec().fit(X)
    Z = codec.encode(X).astype(np.float32)
    before = Z.copy()
    out, peak = peak_bytes(lambda: codec.decode(Z))
    np.testing.assert_array_equal(Z, before)
    pd.testing.assert_frame_equal(out[["c"]], X[["c"]])
    np.testing.assert_allclose(out.drop(columns="c").to_numpy(), X.drop(columns="c").to_numpy(), atol=1e-5)
    # beside the frame it returns: its float64 copy (8 bytes an encoded value) and a column's work at a time
    # (measured 10.9); decoding the numbers in a second float64 copy held 16.7
    held = peak - out.memory_usage(deep=True).sum()
    assert held <= 3.2 * Z.nbytes, held / Z.nbytes



@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.float64])
def test_checking_a_table_copies_it_only_where_a_value_could_be_too_large(dtype):
    from minority_gen.data import check_table_input

    X = (np.random.default_rng(0).standard_normal((100_000, 10)) * 100).astype(dtype)
    _, peak = peak_bytes(lambda: check_table_input(X))
    # float32 cannot reach 1e150: a mask of finite cells at most; float64 needs its |X|, and integers a float64
    # copy to see that float64 keeps them (8 bytes a value each); |X| in float64 held 16 for float32 and integers
    assert peak <= (0.3 if dtype == np.float32 else 1.2) * X.nbytes + 1e5, peak / X.nbytes
    X = X.astype(np.float64)
    X[5, 3] = 2e150
    with pytest.raises(ValueError, match=r"values up to 2e\+150 in columns \[3\]"):
        check_table_input(X)


def test_encoding_a_table_holds_one_float64_copy_beside_its_result():
    X = np.random.default_rng(0).standard_normal((100_000, 10)).astype(np.float32)
    codec = TableCodec().fit(X)
    Z, peak = peak_bytes(lambda: codec.encode(X))
    assert Z.dtype == np.float32 and abs(float(Z.mean())) < 1e-3
    assert peak <= 3.1 * X.nbytes, peak / X.nbytes  # 8 + 4 bytes a value; out of place held 16 at once


def test_the_divergence_limits_read_the_table_in_parts():
    from minority_gen.divergence import divergence_limits

    x = (np.random.default_rng(0).standard_normal((100_000, 10)) * 3).astype(np.float32)
    x[7, 2] = -5000.0
    limits, peak = peak_bytes(lambda: divergence_limits(x))
    expected = 1e3 * np.maximum(1.0, np.abs(x.astype(np.float64)).max(axis=0))
    np.testing.assert_array_equal(limits, expected)
    assert limits[2] == 5e6
    assert peak <= 0.1 * x.nbytes, peak / x.nbytes  # the whole table in float64 and its |x| held 4x
    np.testing.assert_array_equal(divergence_limits(x[:0]), np.full(10, 1e3))


def test_a_border_filter_fits_with_one_float64_copy_of_the_other_classes():
    from minority_gen.filtering import RowFilter

    rng = np.random.default_rng(0)
    pos, neg = rng.standard_normal((2_000, 10)) + 1, rng.standard_normal((60_000, 10))
    pos32, neg32 = pos.astype(np.float32), neg.astype(np.float32)
    f, peak = peak_bytes(lambda: RowFilter("reach").fit(pos32, neg32))
    # the rows stacked for the regression (8 bytes a value) and scikit-learn's work; a float64 copy of the
    # other classes kept beside the stack, and two while -0.0 was turned into 0.0, held 3.1x
    assert peak <= 2.6 * neg.nbytes, peak / neg.nbytes
    assert f.border_floor_ <= 0 and np.isfinite(f.border_coef_).all()
