"""Files the evaluation writes and reads: atomic replacement under fresh names, stores that are regular files of a
bounded size (minority_gen.evaluation.files and .store)."""

from __future__ import annotations

import json
import os
import threading

import pytest

from minority_gen._version import OUTPUT_VERSION
from minority_gen.evaluation import files
from minority_gen.evaluation import store as store_module


def _cells(store, versions):
    store.write_text("".join(json.dumps({"key": k, "status": "ok", "identity": {"oversampler": {"code": {
        "minority_gen_code": v}}}}) + "\n" for k, v in versions.items()))


def test_prune_store_never_writes_through_or_replaces_a_fixed_temporary_name(tmp_path):
    """prune_store wrote ``<store>.tmp`` and renamed it: a symbolic link planted at ``runs.jsonl.tmp`` had its
    target overwritten, and someone's own ``runs.jsonl.tmp`` was replaced. It now writes under a fresh name."""
    store = tmp_path / "runs.jsonl"
    _cells(store, {"a": OUTPUT_VERSION, "b": "old"})
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    (tmp_path / "runs.jsonl.tmp").symlink_to(victim)
    assert store_module.prune_store(store) == (1, 1)
    assert victim.read_text() == "mine\n" and (tmp_path / "runs.jsonl.tmp").is_symlink()
    assert [r["key"] for r in store_module.read_store(store)] == ["a"]
    (tmp_path / "runs.jsonl.tmp").unlink()
    (tmp_path / "runs.jsonl.tmp").write_text("my notes\n")
    _cells(store, {"a": OUTPUT_VERSION, "b": "old"})
    expected = store.read_text().splitlines()[0] + "\n"
    assert store_module.prune_store(store) == (1, 1)
    assert (tmp_path / "runs.jsonl.tmp").read_text() == "my notes\n" and store.read_text() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.jsonl", "runs.jsonl.tmp", "victim.txt"]


def test_write_atomically_keeps_the_old_file_and_leaves_no_temporary_one_on_failure(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text("old\n")

    def fails(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.write_atomically(path, fails)
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["runs.jsonl"]
    files.write_atomically(path, lambda tmp: tmp.write_text("new\n"))
    assert path.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["runs.jsonl"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_store_that_is_no_regular_file_is_refused(tmp_path):
    """``--store fifo`` blocked for ever and ``/dev/zero`` was read until memory ran out: a store that exists must
    be a regular file."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # If the store were opened, a writer opened late lets the read end (so this test fails rather than hangs).
    unblock = threading.Timer(5, lambda: os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)))
    unblock.start()
    try:
        with pytest.raises(ValueError, match="fifo is a FIFO .*not a regular file"):
            store_module.check_store(fifo)
        with pytest.raises(ValueError, match="fifo is a FIFO"):
            store_module.read_records(fifo)
    finally:
        unblock.cancel()
    with pytest.raises(ValueError, match="/dev/null is a character device, not a regular file"):
        store_module.check_store("/dev/null")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match="link.jsonl is a symbolic link to a missing file"):
        store_module.check_store(tmp_path / "link.jsonl")
    assert not (tmp_path / "missing.jsonl").exists()


def test_a_store_larger_than_the_bound_is_refused_before_it_is_read(tmp_path, monkeypatch):
    store = tmp_path / "runs.jsonl"
    _cells(store, {"a": OUTPUT_VERSION})
    assert [r["key"] for r in store_module.read_store(store)] == ["a"]  # a normal store reads as ever
    monkeypatch.setattr(store_module, "MAX_STORE_BYTES", store.stat().st_size - 1)
    for read in (store_module.check_store, store_module.read_records, store_module.read_store,
                 store_module.prune_store):
        with pytest.raises(ValueError, match=r"runs.jsonl holds \d+ bytes, more than a store is read"):
            read(store)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="/dev/zero is a character device"):
        store_module.read_records("/dev/zero")  # was read until memory ran out
