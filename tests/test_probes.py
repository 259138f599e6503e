"""The probe runner: time limits, crashes and partial results; the bounded scan for legacy imports."""

from __future__ import annotations

import json
from pathlib import Path

from pymc_doctor.probes import MARK, describe_returncode, legacy_imports, run_command, run_probe


def test_a_probe_that_hangs_is_stopped_and_keeps_what_it_reported():
    code = f"import time; print({MARK + json.dumps({'early': 1})!r}, flush=True); time.sleep(60)"
    result = run_probe("base", timeout=2, argv=["-c", code])
    assert result.timed_out and result.seconds < 30
    assert result.data == {"early": 1}
    assert result.failure == "did not finish within 2 s"


def test_a_probe_that_crashes_is_described():
    result = run_probe("base", timeout=60, argv=["-c", "import os; os.abort()"])
    assert result.failure == "crashed (killed by SIGABRT)"


def test_a_probe_that_ends_without_reporting():
    result = run_probe("base", timeout=60, argv=["-c", "print('library noise')"])
    assert result.failure == "ended without reporting" and result.data == {}


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
