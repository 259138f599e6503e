"""ENV303-ENV306: PyTensor's compile folder, unusable, short of space, locked, or in a bad path."""

from __future__ import annotations

import pytest

from pymc_doctor.checks.environment.compiledir import (
    detect_compile_lock,
    detect_compiledir_path,
    detect_compiledir_space,
    detect_compiledir_unusable,
)
from tests.checks.environment.helpers import COMPILEDIR, DROP, check, facts, failed
from tests.checks.environment.scenarios import assert_only

MB = 2**20
UNDER_A_FILE = {
    "compiledir": {
        "base": "/home/ada/not-a-folder/pytensor",
        "path": DROP,
        "error": "OSError: Unable to create the compiledir directory",
        "existing_ancestor": "/home/ada/not-a-folder",
        "ancestor_is_dir": False,
        "writable": DROP,
        "lock": DROP,
    }
}


def test_detect_compiledir_unusable():
    assert detect_compiledir_unusable(facts()) is None
    assert detect_compiledir_unusable(facts(base=UNDER_A_FILE)) == {
        "base": "/home/ada/not-a-folder/pytensor",
        "path": None,
        "error": "OSError: Unable to create the compiledir directory",
        "existing_ancestor": "/home/ada/not-a-folder",
        "write_error": None,
    }


@pytest.mark.parametrize(
    ("compiledir", "reason"),
    [
        pytest.param(
            UNDER_A_FILE["compiledir"], "it cannot be created, because /home/ada/not-a-folder is a file, not a folder"
        ),
        pytest.param(
            {**UNDER_A_FILE["compiledir"], "ancestor_is_dir": True},
            "it cannot be created (Unable to create the compiledir directory)",
        ),
        pytest.param(
            {"writable": False, "write_error": "PermissionError: [Errno 13] Permission denied"},
            "it exists but cannot be written (PermissionError: [Errno 13] Permission denied)",
        ),
    ],
)
def test_an_unusable_compile_folder_says_why(compiledir, reason):
    finding = check("ENV303", facts(base={"compiledir": compiledir})).finding
    assert reason in finding.message and finding.message.endswith("Every compilation will fail.")


@pytest.mark.parametrize(
    ("static", "base", "fix_code"),
    [
        ({}, "/srv/shared/pytensor", 'export PYTENSOR_FLAGS="base_compiledir=$HOME/.pytensor"'),
        ({}, "/home/ada/.pytensor", 'export PYTENSOR_FLAGS="base_compiledir=/tmp/pytensor-$USER"'),
        (
            {"platform": {"system": "Windows"}},
            "C:\\cache",
            '$env:PYTENSOR_FLAGS = "base_compiledir=C:\\pytensor_cache"',
        ),
    ],
)
def test_an_unusable_compile_folder_moves_elsewhere(static, base, fix_code):
    env = facts(static, base={"compiledir": {"base": base, "writable": False}})
    assert check("ENV303", env).finding.fix_code == fix_code


def test_the_compile_folder_needs_pytensor():
    env = facts(base={"pytensor": DROP, "compiledir": DROP, "pytensor_import": failed("ImportError: x")})
    for code in ("ENV303", "ENV304", "ENV305", "ENV306"):
        assert check(code, env).skipped == "PyTensor could not be imported (see ENV107)"
    assert check("ENV303", facts(base={"compiledir": DROP})).skipped == "the probe did not reach the compile directory"


def test_detect_compiledir_space():
    assert detect_compiledir_space(facts(), min_free_mb=500) is None
    low = facts(base={"compiledir": {"free_bytes": 120 * MB}})
    assert detect_compiledir_space(low, min_free_mb=500) == {"free_mb": 120.0, "path": COMPILEDIR}
    assert detect_compiledir_space(low, min_free_mb=100) is None


def test_little_space_where_pytensor_compiles():
    finding = check("ENV304", facts(base={"compiledir": {"free_bytes": 120 * MB}})).finding
    assert finding.title == "Only 120 MB free where PyTensor compiles"
    assert (
        finding.fix_code == "pytensor-cache clear\n# or\nexport PYTENSOR_FLAGS=base_compiledir=/path/on/a/bigger/disk"
    )
    assert check("ENV304", facts(base={"compiledir": {"free_bytes": 120 * MB}}), min_free_mb=100).findings == []
    unknown = check("ENV304", facts(base={"compiledir": {"free_bytes": DROP}}))
    assert unknown.skipped == "the free space of the compile directory's disk is unknown"


HOLDER = {"pid": 4242, "command": "python -m ipykernel_launcher", "compiling": False, "seconds_running": 3600}
STUCK = {
    "held_by_other": True,
    "file": f"{COMPILEDIR}/.lock",
    "error": "The file lock could not be acquired",
    "stuck": True,
}


def test_detect_compile_lock():
    assert detect_compile_lock(facts()) is None
    busy = {**STUCK, "holder": {**HOLDER, "compiling": True}, "stuck": False}
    assert detect_compile_lock(facts(base={"compiledir": {"lock": busy}})) is None
    assert detect_compile_lock(facts(base={"compiledir": {"lock": {**STUCK, "holder": HOLDER}}})) == {
        "held_by_other": True,
        "file": f"{COMPILEDIR}/.lock",
        "error": "The file lock could not be acquired",
        "holder": HOLDER,
        "stuck": True,
    }


@pytest.mark.parametrize(
    ("system", "holder", "who", "stop"),
    [
        ("Linux", HOLDER, "process 4242 (python -m ipykernel_launcher, running for 3600 s) holds it", "kill 4242"),
        ("Windows", HOLDER, "process 4242", "Stop-Process -Id 4242"),
        ("Linux", None, "another process holds it (on another machine, if this folder is shared)", None),
    ],
)
def test_a_stuck_lock_names_its_holder(system, holder, who, stop):
    env = facts({"platform": {"system": system}}, base={"compiledir": {"lock": {**STUCK, "holder": holder}}})
    finding = check("ENV305", env).finding
    assert who in finding.message and "stayed held for 5 s" in finding.message
    if stop:
        assert finding.fix_code.startswith(f"{stop}    # if stuck\npytensor-cache unlock\n")
    else:
        assert finding.fix_code.startswith("pytensor-cache unlock\n")


def test_the_lock_of_an_unusable_folder_is_not_checked():
    assert check("ENV305", facts(base=UNDER_A_FILE)).skipped == "the compile directory is unusable (see ENV303)"


@pytest.mark.parametrize(
    ("system", "path", "reasons"),
    [
        pytest.param("Linux", COMPILEDIR, None, id="plain"),
        pytest.param("Linux", "/home/ada/my folder/.pytensor", None, id="space-outside-windows"),
        pytest.param("Darwin", "/Users/ada/Library/Mobile Documents/x", ["a synced cloud folder"], id="icloud"),
        pytest.param("Linux", "//server/share/pytensor", ["a network path"], id="network"),
        pytest.param(
            "Windows",
            "C:\\Users\\José Pérez\\OneDrive\\pytensor",
            [
                "a synced cloud folder",
                "spaces, which MinGW's g++ mishandles",
                "non-ASCII characters, which MinGW's g++ mishandles",
            ],
            id="windows-onedrive",
        ),
    ],
)
def test_detect_compiledir_path(system, path, reasons):
    env = facts({"platform": {"system": system}}, base={"compiledir": {"path": path}})
    assert detect_compiledir_path(env) == (reasons and {"path": path, "reasons": reasons})


def test_a_compile_folder_in_a_synced_folder_moves_to_a_local_one():
    env = facts(base={"compiledir": {"path": "/home/ada/Dropbox/.pytensor/compiledir_x"}})
    finding = check("ENV306", env).finding
    assert (
        finding.message
        == "PyTensor's compile directory /home/ada/Dropbox/.pytensor/compiledir_x is in a synced cloud folder."
    )
    assert finding.fix_code == 'export PYTENSOR_FLAGS="base_compiledir=/tmp/pytensor-$USER"'


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["threads_and_disk"], indirect=True)
def test_compile_directory_that_cannot_be_created(scenario):
    finding = scenario.finding("ENV303")
    assert "not-a-folder is a file, not a folder" in finding["message"]
    assert finding["severity"] == "error"
    assert finding["fix_code"] == 'export PYTENSOR_FLAGS="base_compiledir=$HOME/.pytensor"'
    assert scenario.finding("ENV304")["evidence"]["free_mb"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["lock_and_spawn"], indirect=True)
def test_held_compile_lock_is_reported_and_nothing_waits_for_it(scenario):
    assert_only(scenario, {"ENV305", "ENV604"})
    lock = scenario.finding("ENV305")["evidence"]
    assert lock["stuck"] is True and lock["holder"]["compiling"] is False
    assert "compilelock" in lock["holder"]["command"]
    for code in ("ENV302", "ENV801"):
        assert "compile lock is held" in scenario.skipped(code)
    assert scenario.seconds < 120  # PyTensor itself would wait compile__timeout = 120 s per compilation
