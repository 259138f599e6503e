"""The probe runner: time limits, crashes and partial results; the bounded scan for legacy imports."""

from __future__ import annotations

import json
from pathlib import Path

from pymc_doctor.probes import MARK, describe_returncode, legacy_imports, run_command, run_probes


def _mark(**facts) -> str:
    return f"print({MARK + json.dumps(facts)!r}, flush=True)"


def test_a_probe_that_hangs_is_stopped_and_keeps_what_it_reported():
    code = f"import time; {_mark(early=1)}; time.sleep(60)"
    results, not_run = run_probes(["base"], timeouts={"base": 2}, argv=["-c", code])
    result = results["base"]
    assert result.timed_out and result.seconds < 30
    assert result.data == {"early": 1}
    assert result.failure == "did not finish within 2 s"
    assert not_run == {}


def test_a_probe_that_crashes_is_described():
    results, _ = run_probes(["base"], argv=["-c", "import os; os.abort()"])
    assert results["base"].failure == "crashed (killed by SIGABRT)"


def test_a_probe_that_ends_without_reporting():
    results, _ = run_probes(["base"], argv=["-c", "print('library noise')"])
    assert results["base"].failure == "ended without reporting" and results["base"].data == {}


def test_probes_in_one_child_each_get_their_own_facts_and_time_limit():
    # base finishes, compile reports a fact and then hangs past its own limit: smoke never starts.
    code = "; ".join(
        [
            _mark(probe="base"),
            _mark(pymc_import={"ok": True}),
            _mark(done=True),
            _mark(probe="compile"),
            _mark(cxx="g++"),
            "import time",
            "time.sleep(60)",
        ]
    )
    results, not_run = run_probes(["base", "compile", "smoke"], timeouts={"compile": 2}, argv=["-c", code])
    assert set(results) == {"base", "compile"}
    assert results["base"].failure is None and results["base"].data == {"pymc_import": {"ok": True}, "done": True}
    assert results["compile"].data == {"cxx": "g++"} and results["compile"].failure == "did not finish within 2 s"
    assert not_run == {"smoke": "the probe process did not finish within 2 s during the compile probe"}


def test_a_crash_in_one_probe_is_charged_to_it_and_skips_the_rest():
    code = "; ".join([_mark(probe="base"), _mark(done=True), _mark(probe="compile"), "import os", "os.abort()"])
    results, not_run = run_probes(["base", "compile", "smoke"], argv=["-c", code])
    assert results["base"].failure is None
    assert results["compile"].failure == "crashed (killed by SIGABRT)"
    assert not_run == {"smoke": "the probe process crashed (killed by SIGABRT) during the compile probe"}


def test_a_probe_can_stop_the_ones_after_it():
    code = "; ".join([_mark(probe="base"), _mark(done=True), _mark(stop="the lock is stuck")])
    results, not_run = run_probes(["base", "compile", "smoke"], argv=["-c", code])
    assert results["base"].failure is None and "stop" not in results["base"].data
    assert not_run == {"compile": "the lock is stuck", "smoke": "the lock is stuck"}


def test_a_probe_process_that_cannot_start(monkeypatch):
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    results, not_run = run_probes(["base", "smoke"])
    assert "FileNotFoundError" in results["base"].failure
    assert not_run["smoke"].startswith("the probe process could not start")


def test_a_command_that_cannot_start():
    returncode, _, _, timed_out, start_error = run_command(["/nonexistent/python"], timeout=5)
    assert returncode is None and not timed_out and "FileNotFoundError" in start_error


def test_describe_returncode():
    assert describe_returncode(-11) == "killed by SIGSEGV"
    assert describe_returncode(3) == "exit status 3"


def test_legacy_import_scan_skips_hidden_folders_and_virtual_environments(tmp_path):
    (tmp_path / "analysis.py").write_text("import numpy as np\nimport theano.tensor as tt\n")
    (tmp_path / "deep" / "a" / "b" / "c" / "d").mkdir(parents=True)
    (tmp_path / "deep" / "a" / "b" / "c" / "d" / "too_deep.py").write_text("import pymc3\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.py").write_text("import pymc3\n")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "venv" / "site.py").write_text("import aesara\n")
    (tmp_path / "quoted.py").write_text('text = "import pymc3 as pm"\n')
    notebook = {
        "cells": [{"cell_type": "markdown", "source": "import pymc3"}, {"cell_type": "code", "source": "import aesara"}]
    }
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook))
    hits = {hit["file"]: hit["modules"] for hit in legacy_imports(tmp_path)}
    assert hits == {"analysis.py": ["theano"], "nb.ipynb": ["aesara"]}


def test_the_scan_never_walks_a_filesystem_root():
    assert legacy_imports(Path("/")) == []


def test_a_fact_that_could_not_be_read_skips_the_checks_that_need_it():
    import pytest

    from pymc_doctor.probes import StaticFacts
    from pymc_doctor.registry import CannotCheck

    facts = StaticFacts({"cwd": "/work"}, {"hardware": "PermissionError: /proc/meminfo"})
    assert facts["cwd"] == "/work"
    with pytest.raises(CannotCheck, match="the hardware could not be read: PermissionError"):
        facts["hardware"]
