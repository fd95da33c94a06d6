"""benchmarks/discrete_ranges.py: one cell in its quick form, and the before/after comparison of a store."""

from __future__ import annotations

import json

import pytest

from .benchmark_scripts import loaded


@pytest.fixture(scope="module")
def bench():
    yield from loaded("discrete_ranges")


def test_a_cell_measures_the_rule_on_the_counts_table(bench):
    cell = bench.cell("counts", 20)
    assert cell["discrete_columns"] == 1 and cell["new"] == cell["rows"] - 2 * cell["minority"]
    assert cell["ruled_outside"] <= 0.02 or cell["kept_outside"] > 0  # the rule's rows stay in the class's range
    assert 0 <= cell["redrawn"] <= 1 and cell["worst_column"] == "count"


def _record(sampler, dataset, fold, code, gmean):
    return {"key": f"{sampler}/{dataset}/{fold}/{code}", "status": "ok", "oversampler": sampler, "classifier": "lr",
            "dataset": dataset, "fold": fold,
            "identity": {"oversampler": {"code": {"minority_gen_code": code}}}, "metrics": {"gmean": gmean}}


def test_the_comparison_pairs_tables_complete_at_both_versions(bench, tmp_path):
    store = tmp_path / "runs.jsonl"
    records = [_record("rumi", d, f, "old", g) for d, g in (("a", 0.5), ("b", 0.6), ("c", 0.7)) for f in (0, 1)]
    records += [_record("rumi", "a", f, "new", 0.6) for f in (0, 1)]  # up
    records += [_record("rumi", "b", f, "new", 0.5) for f in (0, 1)]  # down
    records += [_record("rumi", "c", 0, "new", 0.9)]  # fold 1 missing: not paired
    store.write_text("".join(json.dumps(r) + "\n" for r in records))
    lines = bench.version_comparison(store, "old", "new")
    row = next(line for line in lines if line.startswith("| `rumi` | lr |"))
    assert row.startswith("| `rumi` | lr | 2 | 1 / 1 / 0 | +0.0000 | 1.00 |")
