"""Data-parallel training (``fit_ddp``) on two gloo ranks: a divergence on one rank, warnings, saving on every rank.

The test starts two plain Python processes with the environment ``torchrun``
gives its workers, each running this file's ``__main__`` part (as
``tests/test_audit_ddp.py`` does), and reads what each rank recorded:

* rank 1 alone sees a generator batch beyond the divergence limits (its
  flush is forced to): both ranks must raise the same ``DivergenceError``
  at once, not rank 1 alone while rank 0 waits in its next collective;
* a warning raised during the fit on every rank is shown by rank 0 alone,
  and a filter that turns it into an error still raises on every rank;
* ``sampler.save`` on every rank into one path leaves a valid model file.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from minority_gen import GANOversampler, training
from minority_gen.distributed import fit_ddp
from tests.test_audit_ddp import TABLE, _data, run_two_ranks

pytestmark = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="torch.distributed with gloo is unavailable")

#: A setting combination that warns during fit (settings.anchored), on every rank.
WARNS = dict(anchor="smote", selection="quality", n_iter=2)
#: Past the first flush (training.FLUSH_EVERY = 50), so that rank 0 has further collectives to wait in.
DIVERGES = dict(n_iter=60)


def test_one_rank_diverging_stops_every_rank_with_the_same_error_and_warnings_show_once(tmp_path):
    ranks = run_two_ranks(__file__, tmp_path, timeout=60)
    # the divergence: rank 1's check alone saw it; both ranks raise the same DivergenceError, without waiting
    for r in ranks:
        assert r["diverged"].startswith("DivergenceError: Training of method 'rumi'"), r["diverged"]
        assert "diverged at iteration 1: the generator produced |value| 1e+09" in r["diverged"]
        assert "found on rank 1 of 2 (the lowest rank that diverged); every rank stops" in r["diverged"]
        assert r["diverged_after"] < 4  # not the group's 10 s timeout
    assert ranks[0]["diverged"] == ranks[1]["diverged"]
    # the group is still usable afterwards: a later fit on both ranks works
    assert ranks[0]["after"] == ranks[1]["after"]
    # the warning of the settings: shown by rank 0 alone; as an error, raised on both ranks
    assert [w for w in ranks[0]["shown"] if "anchor='smote'" in w] and ranks[1]["shown"] == []
    for r in ranks:
        assert r["as_error"].startswith("UserWarning: anchor='smote' with selection='quality'"), r["as_error"]
    # save() on every rank into one path: each write is atomic, the file is valid (and no temporary file is left)
    loaded = GANOversampler.load(tmp_path / "both.mgz")
    assert loaded.sample(3, y=1, random_state=1).tolist() == ranks[0]["after"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["both.mgz", "rank0.json", "rank1.json"]


def _forced_beyond_limits(flush):
    """``training._flush`` that finds the first pending generator batch far beyond the limits (rank 1's noise)."""

    def forced(pending, *args):
        if pending and pending[0].colmax is not None:
            first = pending[0]
            first.row = first.row.clone()
            first.row[len(first.names)] = float("inf")  # the ratio to the limits
            first.colmax = torch.full_like(first.colmax, 1e9)
        return flush(pending, *args)

    return forced


def _worker(out: Path) -> None:  # one rank of the two-process test
    torch.set_num_threads(1)
    rank = int(os.environ["RANK"])
    X, y = _data()
    result: dict = {}

    def attempt(key, **params):
        try:
            return fit_ddp(GANOversampler(**{**TABLE, **params}), X, y, timeout=10)  # the first call sets it
        except Exception as exc:  # noqa: BLE001 - recorded for the test
            result[key] = f"{type(exc).__name__}: {exc}"

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        attempt("warned", **WARNS)
    result["shown"] = [str(w.message) for w in shown]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        attempt("as_error", **WARNS)
    flush = training._flush
    if rank == 1:
        training._flush = _forced_beyond_limits(flush)
    start = time.monotonic()
    attempt("diverged", **DIVERGES)
    result["diverged_after"] = time.monotonic() - start
    training._flush = flush
    fitted = attempt("after")
    if fitted is not None:
        result["after"] = fitted.sample(3, y=1, random_state=1).tolist()
        fitted.save(out / "both.mgz")  # on every rank, into one path
    dist.barrier()
    (out / f"rank{rank}.json").write_text(json.dumps(result))
    os._exit(0)  # without destroying a group that may be broken


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
