"""A parallel fit sends the table to its workers once: every class's task gets the same array and cuts its own rows
from it (joblib sends a large array to process workers once; threads share it), instead of a copy of the whole
table per class (its rows and the others') built for every task up front. The rows are the serial fit's."""

from __future__ import annotations

import joblib
import numpy as np
import torch

import minority_gen.plan as plan_module
from minority_gen import GANOversampler


def test_every_parallel_task_gets_the_one_table_and_the_rows_are_the_serial_fit_s(monkeypatch, tiny):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 4))
    y = np.repeat([0, 1, 2, 3], [100, 25, 20, 15])
    X[y > 0] += y[y > 0, None]
    shipped = []
    real = plan_module.run_unordered

    def spy(fn, tasks, n_jobs):
        tasks = list(tasks)
        shipped.extend(tasks)
        return real(fn, tasks, n_jobs)

    monkeypatch.setattr(plan_module, "run_unordered", spy)
    with joblib.parallel_config(backend="threading"):
        parallel = GANOversampler(**{**tiny, "n_jobs": 2}).fit_resample(X, y)[0]
    tables = [a for task in shipped for a in task if isinstance(a, (np.ndarray, torch.Tensor)) and a.ndim == 2]
    assert len(shipped) == 3 and len(tables) == 3  # classes 1, 2 and 3 grow: one table in each task
    assert len({id(a) for a in tables}) == 1 and len(tables[0]) == len(X)  # the same array, the whole table
    np.testing.assert_array_equal(parallel, GANOversampler(**tiny).fit_resample(X, y)[0])
