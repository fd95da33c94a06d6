"""check_room's estimate of a generated row's memory (safeguards.row_bytes): its parts on hand-computed values, and
requests the old estimate (4 bytes per encoded value + 16 per column) let through although their peak would not fit.

The estimate's constants come from peaks measured per generated row (ru_maxrss, 200k-500k rows, fit_resample and
sample): 26-28 bytes per encoded value unfiltered; a DataFrame and object columns add per cell. A row filter draws
and judges at most generation.FILTER_BATCH rows at once, so it adds one batch's draws, whatever share it keeps
(measured: a filter keeping 12 % of the drawn rows, 582 bytes a row against 534 unfiltered, 100,000 rows of 20
columns; before the batches, 4,208).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from minority_gen import GANOversampler


def test_a_row_costs_its_draw_per_encoded_value_and_its_cells_per_column():
    from minority_gen.safeguards import row_bytes

    assert row_bytes(20, 20) == 30 * 20 + 8 * 20 == 760  # numeric rows in a NumPy array
    assert row_bytes(204, 8, frame=True) == 30 * 204 + (8 + 16) * 8 == 6312  # one-hot blocks, a DataFrame
    assert row_bytes(204, 8, frame=True, objects=True) == 30 * 204 + (8 + 16 + 64) * 8 == 6824
    assert row_bytes(20, 20, objects=True) == 30 * 20 + (8 + 64) * 20 == 2040  # an object array


def test_a_filter_adds_one_batch_of_draws_whatever_the_count():
    from minority_gen.generation import FILTER_BATCH
    from minority_gen.safeguards import FILTER_BATCH_ROWS, check_room, filter_bytes

    assert FILTER_BATCH_ROWS == FILTER_BATCH  # the rows a filter draws at once, kept in step
    assert filter_bytes(20, True) == 16384 * 30 * 20 and filter_bytes(20, False) == 0
    check_room(0, 10 ** 9, "n_samples", fixed_bytes=10 ** 30)  # nothing drawn, nothing held


def test_object_columns_are_read_from_the_table_or_its_codec():
    from minority_gen.safeguards import holds_objects
    from minority_gen.tabular import MixedTableCodec

    frame = pd.DataFrame({"x": [0.5, 1.5, 2.5], "k": ["a", "b", "a"]})
    assert holds_objects(frame) and holds_objects(frame.to_numpy()) and not holds_objects(frame[["x"]])
    assert not holds_objects(np.zeros((3, 2))) and not holds_objects(np.zeros((3, 2), dtype=np.float32))
    assert holds_objects(MixedTableCodec("auto").fit(frame))
    assert holds_objects(MixedTableCodec([1]).fit(frame.to_numpy()))


@pytest.fixture
def memory(monkeypatch):
    """Set this machine's memory, in bytes, as check_room sees it."""
    def set_to(n_bytes):
        monkeypatch.setattr("minority_gen.safeguards.memory_bytes", lambda: n_bytes)
    return set_to


def test_sample_refuses_what_only_the_old_estimate_let_through(tiny, imbalanced_table, memory):
    sampler = GANOversampler(**{**tiny, "filter": None}).fit(*imbalanced_table)
    memory(1000 * (4 * 3 + 16 * 3))  # the old estimate of 1000 rows of 3 columns, all the memory there is
    with pytest.raises(ValueError, match=r"n_samples asks for 1,000 new rows, about 114 KB of memory"):
        sampler.sample(1000)  # 30 * 3 + 8 * 3 = 114 bytes a row: the draw's float64 copies
    assert len(sampler.sample(500)) == 500


def test_fit_resample_refuses_a_filtered_frame_the_old_estimate_let_through(tiny, imbalanced_table, memory):
    X, y = imbalanced_table
    X = pd.DataFrame(X, columns=["a", "b", "c"])
    memory(300_000)  # 5,000 rows by the old estimate (4 * 3 + 16 * 3 bytes a row)
    # the default row filter holds a batch of 16,384 draws: 16,384 * 30 * 3 bytes, beside (30 * 3 + (8 + 16) * 3) * n
    with pytest.raises(ValueError, match=r"sampling_strategy asks for 1,000 new rows, about 1.64 MB of memory"):
        GANOversampler(**{**tiny, "sampling_strategy": {1: 1012}}).fit_resample(X, y)
    # without the filter the same rows cost 162 KB
    X_res, _ = GANOversampler(**{**tiny, "sampling_strategy": {1: 1012}, "filter": None}).fit_resample(X, y)
    assert len(X_res) == 72 + 1000
