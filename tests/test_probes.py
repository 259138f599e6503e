"""The probes: the runner's time limits, crashes and partial results; the bounded scan for legacy
imports; and the typed facts the checks read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.facts import CompileDir, Hardware, Platform, PyTensorConfig, StaticFacts
from pymc_doctor.probes.protocol import MARK, ProbeResult, describe_returncode, run_command, run_probes
from pymc_doctor.probes.static import legacy_imports
from pymc_doctor.registry import CannotCheck
from tests.blocking import finishes_within, make_fifo


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


def test_the_scan_reads_regular_files_only(tmp_path):
    # A FIFO named like a script blocked the scan, and so `pymc-doctor env`, forever.
    make_fifo(tmp_path / "pipe.py")
    make_fifo(tmp_path / "pipe.ipynb")
    (tmp_path / "device.py").symlink_to("/dev/zero")
    (tmp_path / "old.py").write_text("import pymc3\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "old.py")
    hits = finishes_within(10, legacy_imports, tmp_path)
    assert sorted(hit["file"] for hit in hits) == ["link.py", "old.py"]


def test_a_file_over_the_scan_limit_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr("pymc_doctor.probes.static.SCAN_MAX_BYTES", 20)
    (tmp_path / "short.py").write_text("import pymc3\n")
    (tmp_path / "long.py").write_text("import pymc3\n" + "#" * 20)
    assert [hit["file"] for hit in legacy_imports(tmp_path)] == ["short.py"]


def test_the_scan_never_walks_a_filesystem_root():
    assert legacy_imports(Path("/")) == []


def test_a_fact_that_could_not_be_read_skips_the_checks_that_need_it():
    facts = StaticFacts({"cwd": "/work"}, {"hardware": "PermissionError: /proc/meminfo"})
    assert facts["cwd"] == "/work"
    with pytest.raises(CannotCheck, match="the hardware could not be read: PermissionError"):
        facts["hardware"]
    env = EnvFacts(static=facts, probes={})
    assert env.cwd == "/work"
    with pytest.raises(CannotCheck, match="the hardware could not be read: PermissionError"):
        env.hardware  # noqa: B018
    with pytest.raises(CannotCheck, match="the env vars could not be read: not collected"):
        env.env_vars  # noqa: B018


def test_records_keep_defaults_for_what_a_probe_did_not_report_and_ignore_the_rest():
    platform = Platform.of({"system": "Darwin", "machine": "arm64", "new_field": 1})
    assert (platform.system, platform.rosetta, platform.python_version) == ("Darwin", False, ())
    assert platform.apple_silicon and not platform.intel_mac and not platform.windows
    assert Platform.of({"python": "3.12.1"}).python_version == (3, 12)
    assert Hardware.of({"logical_cores": 8}).cores == 8
    assert Hardware.of({"logical_cores": 8, "usable_cores": 2}).cores == 2
    assert Hardware.of(None) == Hardware()
    folder = CompileDir.of({"base": "/c", "lock": {"stuck": True, "holder": {"pid": 7}}})
    assert folder.where == "/c" and folder.lock.stuck and folder.lock.holder.pid == 7


def test_a_pytensor_flag_that_could_not_be_read_skips_the_checks_that_need_it():
    config = PyTensorConfig.of({"flags": {"cxx": ""}, "errors": {"blas__ldflags": "OSError: no ldconfig"}})
    assert config.cxx == "" and config.c_default
    with pytest.raises(CannotCheck, match="could not read its `blas__ldflags` flag: OSError: no ldconfig"):
        config.blas_ldflags  # noqa: B018
    assert not PyTensorConfig.of({"default_linker": "NumbaLinker"}).c_default


@pytest.mark.parametrize(
    ("value", "flags"),
    [
        ("", {}),
        ("cxx=,floatX=float32", {"cxx": "", "floatX": "float32"}),
        (" cxx = g++ , device=cpu", {"cxx ": " g++", "device": "cpu"}),  # PyTensor strips the pair only
        ("blas__ldflags", {}),  # a flag without a value sets nothing
        ("blas__ldflags=-lblas,blas__ldflags=", {"blas__ldflags": ""}),  # the last setting wins
        ("gcc__cxxflags=-O3 -march=native", {"gcc__cxxflags": "-O3 -march=native"}),
    ],
)
def test_pytensor_flags_are_read_as_pytensor_reads_them(value, flags):
    env = EnvFacts(static=StaticFacts({"env_vars": {"PYTENSOR_FLAGS": value}}, {}), probes={})
    assert env.pytensor_flags == flags


def test_a_probe_that_did_not_run_says_why():
    env = EnvFacts(static=StaticFacts({}, {}), probes={}, not_run={"smoke": "skipped by --quick"})
    with pytest.raises(CannotCheck, match="skipped by --quick"):
        env.smoke  # noqa: B018
    with pytest.raises(CannotCheck, match="the base probe did not run"):
        env.base  # noqa: B018
    crashed = ProbeResult("base", data={"importing": "pytensor", "imports": {"numpy": {"ok": True}}}, returncode=-11)
    env.probes["base"] = crashed
    assert env.base.crashed_import == "pytensor"
    with pytest.raises(CannotCheck, match="PyTensor could not be imported"):
        env.pytensor  # noqa: B018
