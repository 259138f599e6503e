"""Reusing probe results: what the fingerprint sees, which results are kept, and a cache that is
old, damaged or cannot be written. The real command reusing them is tested in
``tests/checks/environment/test_env_command.py``."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

from pymc_doctor.probes import cache
from pymc_doctor.probes.compiledir import compiledir_state
from pymc_doctor.probes.protocol import ProbeResult
from tests.blocking import finishes_within, make_fifo


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PYMC_DOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def base_facts(compiledir: Path) -> dict:
    """What a base probe reports on this installation, with ``compiledir`` as PyTensor's compile folder."""
    ok = {"ok": True, "seconds": 0.1, "error": None, "stderr": ""}
    return {
        "interpreter": sys.executable,
        "pytensor_import": ok,
        "pytensor": {"version": metadata.version("pytensor")},
        "pymc_import": ok,
        "pymc_version": metadata.version("pymc"),
        "compiledir": {"base": str(compiledir.parent), "path": str(compiledir)},
        "done": True,
    }


def healthy_results() -> dict[str, ProbeResult]:
    ok = {"ok": True, "seconds": 0.1, "error": None, "stderr": ""}
    return {
        "base": ProbeResult("base", data=base_facts(Path(sys.prefix))),
        "samplers": ProbeResult("samplers", data={"imports": {"numba": ok}, "done": True}),
        "compile": ProbeResult("compile", data={"cxx": "g++", "c_op": {"ok": True}, "done": True}),
        "smoke": ProbeResult("smoke", data={"sample": {"seconds": 1.0}, "done": True}),
    }


def test_the_fingerprint_changes_with_what_the_probes_depend_on(tmp_path, monkeypatch):
    base = cache.fingerprint()
    assert cache.fingerprint() == base
    monkeypatch.setenv("PYTENSOR_FLAGS", "floatX=float32")
    flagged = cache.fingerprint()
    assert flagged != base
    monkeypatch.delenv("PYTENSOR_FLAGS")
    assert cache.fingerprint() == base
    # A folder on sys.path that gains an entry, as site-packages does on every install.
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    with_folder = cache.fingerprint()
    (tmp_path / "installed_package.py").write_text("")
    os.utime(tmp_path, ns=(0, 10**18))  # a modification time no clock tick can leave unchanged
    assert cache.fingerprint() != with_folder


def test_a_pytensorrc_file_changes_the_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    before = cache.fingerprint()
    (tmp_path / ".pytensorrc").write_text("[global]\nfloatX = float32\n")
    assert cache.fingerprint() != before


def test_only_probes_that_found_nothing_wrong_are_kept():
    results = healthy_results()
    assert all(cache.healthy(result) for result in results.values())
    failing = {"ok": False, "seconds": 0.1, "error": "ImportError: x", "stderr": ""}
    unhealthy = [
        ProbeResult("base", data={**results["base"].data, "pymc_import": failing}),
        ProbeResult("base", data={**results["base"].data, "compiledir": {"base": "/c", "error": "not a folder"}}),
        ProbeResult("samplers", data={"imports": {"jax": failing}, "done": True}),
        ProbeResult("compile", data={"cxx": "g++", "c_op": {"ok": False, "error": "x"}, "done": True}),
        ProbeResult("compile", data={"cxx": "g++", "c_op": {"ok": True}, "blas_op": {"ok": False}, "done": True}),
        ProbeResult("smoke", data={"error": {"stage": "sample"}, "done": True}),
        ProbeResult("smoke", data={"sample": {"seconds": 1.0}}, timed_out=True, timeout=300),
    ]
    assert not any(cache.healthy(result) for result in unhealthy)


def test_stored_results_come_back_under_their_key_only(cache_dir):
    results = healthy_results()
    results["compile"].data["c_op"] = {"ok": False, "error": "the compiler failed"}
    cache.store("key", results)
    loaded = cache.load("key", {"base", "samplers", "compile", "smoke"})
    assert set(loaded) == {"base", "samplers", "smoke"}  # the failed compile is examined again
    result, examined_at = loaded["base"]
    assert result == results["base"] and abs(examined_at - time.time()) < 60
    assert cache.load("another key", {"base"}) == {}
    assert set(cache.load("key", {"base"})) == {"base"}


def test_old_results_are_not_reused(cache_dir, monkeypatch):
    cache.store("key", healthy_results())
    later = time.time() + cache.MAX_AGE_S + 60
    monkeypatch.setattr(cache.time, "time", lambda: later)
    assert cache.load("key", {"base", "smoke"}) == {}


def test_a_damaged_or_foreign_cache_is_ignored(cache_dir):
    cache_dir.mkdir()
    path = cache_dir / cache.CACHE_FILE
    for content in ("{not json", json.dumps([1, 2]), json.dumps({"version": 999, "entries": {}})):
        path.write_text(content)
        assert cache.load("key", {"base"}) == {}
    entry = {"probes": {"base": {"examined_at": "yesterday", "result": {"name": "base", "nonsense": 1}}}}
    path.write_text(json.dumps({"version": cache.CACHE_VERSION, "entries": {"key": entry}}))
    assert cache.load("key", {"base"}) == {}
    cache.store("key", healthy_results())  # a damaged file is replaced
    assert set(cache.load("key", {"base"})) == {"base"}


@pytest.mark.parametrize(
    "entries",
    [
        {"key": []},
        {"key": {"probes": []}},
        {"key": {"probes": {"base": {"examined_at": 1, "result": []}}}},
        {"key": {"probes": {}, "used": "yesterday"}},
        {"key": {"probes": {"base": {"examined_at": time.time(), "result": {"name": "base", "data": [1]}}}}},
        {"key": {"probes": {"base": {"examined_at": time.time(), "result": {"name": "base", "data": {"x": []}}}}}},
    ],
)
def test_a_cache_damaged_inside_is_ignored_and_replaced(cache_dir, entries):
    cache_dir.mkdir()
    (cache_dir / cache.CACHE_FILE).write_text(json.dumps({"version": cache.CACHE_VERSION, "entries": entries}))
    assert cache.load("key", {"base"}) == {}
    cache.store("key", healthy_results())
    assert set(cache.load("key", {"base"})) == {"base"}


def test_a_cache_file_that_is_not_a_regular_file_is_ignored_without_blocking(cache_dir):
    cache_dir.mkdir()
    make_fifo(cache_dir / cache.CACHE_FILE)
    assert finishes_within(10, cache.load, "key", {"base"}) == {}
    finishes_within(10, cache.store, "key", healthy_results())  # replaces the FIFO with the cache
    assert set(cache.load("key", {"base"})) == {"base"}


def test_a_cache_file_of_bytes_that_are_not_text_is_ignored(cache_dir):
    cache_dir.mkdir()
    (cache_dir / cache.CACHE_FILE).write_bytes(b"\xff\xfe{" + bytes(range(256)))
    assert cache.load("key", {"base"}) == {}


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PYMC_DOCTOR_CACHE_DIR", str(blocker / "cache"))
    cache.store("key", healthy_results())
    assert cache.load("key", {"base"}) == {}


def test_the_cache_keeps_the_most_recently_used_installations(cache_dir):
    for index in range(cache.MAX_ENTRIES + 3):
        cache.store(f"key {index}", healthy_results())
    stored = json.loads((cache_dir / cache.CACHE_FILE).read_text())["entries"]
    assert len(stored) == cache.MAX_ENTRIES and "key 0" not in stored and f"key {index}" in stored


def test_a_removed_working_directory_still_has_a_fingerprint(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert cache.fingerprint() == cache.fingerprint()  # no OSError, and stable


def test_the_fingerprint_covers_the_code_of_every_probe_module(monkeypatch):
    read = Path.read_bytes
    before = cache.fingerprint()
    # An edit to the typed facts (not only to the probes' runner) examines again.
    monkeypatch.setattr(Path, "read_bytes", lambda path: read(path) + (b"#" if path.name == "facts.py" else b""))
    assert cache.fingerprint() != before


def test_a_deleted_compile_folder_is_probed_again_and_never_made_by_the_doctor(cache_dir, tmp_path):
    # Deleting PyTensor's compile folder is a common remedy: the reused facts then reported a false
    # ENV303, and reading the folder's lock made it again.
    compiledir = tmp_path / "pytensor" / "compiledir_x"
    compiledir.mkdir(parents=True)
    (compiledir / ".lock").write_text("")
    results = {"base": ProbeResult("base", data=base_facts(compiledir))}
    cache.store("key", results)
    assert set(cache.load("key", {"base"})) == {"base"}
    shutil.rmtree(compiledir)
    assert cache.load("key", {"base"}) == {}
    state = compiledir_state(results["base"].data["compiledir"])
    assert state["missing"] is True and "lock" not in state and "writable" not in state
    assert not compiledir.exists()


def test_a_cache_that_names_another_folder_makes_nothing_there(cache_dir, tmp_path):
    elsewhere = tmp_path / "not-yet" / "compiledir"
    cache.store("key", {"base": ProbeResult("base", data=base_facts(elsewhere))})
    assert cache.load("key", {"base"}) == {}
    assert compiledir_state({"base": str(elsewhere.parent), "path": str(elsewhere)})["missing"] is True
    assert not (tmp_path / "not-yet").exists()


def test_the_lock_of_an_existing_folder_is_read_without_making_a_lock_file(tmp_path):
    state = compiledir_state({"base": str(tmp_path), "path": str(tmp_path)})
    assert state["writable"] is True and state["lock"]["held_by_other"] is False
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "change",
    [
        {"interpreter": "/another/python"},
        {"pytensor": {"version": "0.0.1"}},
        {"pymc_version": "0.0.1"},
        {"compiledir": {"base": "/c"}},
        {"compiledir": "/c/x"},
    ],
)
def test_base_facts_that_no_longer_hold_are_probed_again(cache_dir, change):
    data = {**base_facts(Path(sys.prefix)), **change}
    cache.store("key", {"base": ProbeResult("base", data=data)})
    assert cache.load("key", {"base"}) == {}
