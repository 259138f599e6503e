"""The diagnoses benchmark measures what it says: its `check` without diagnoses runs no diagnosis, and
the script runs end to end at a tiny size, so that it cannot rot."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pymc_doctor
from tests.support import load
from tests.test_benchmarks import BENCHMARKS, _load

pytestmark = pytest.mark.slow


def test_the_run_without_diagnoses_skips_only_the_diagnose_step():
    bench = _load("bench_diagnoses")
    with bench.without_diagnoses():
        plain = pymc_doctor.check(load("centered_eight"))
    diagnosed = pymc_doctor.check(load("centered_eight"))
    assert plain.diagnoses == [] and [d.code for d in diagnosed.diagnoses] == ["DX101"]
    assert [f.code for f in plain.findings] == [f.code for f in diagnosed.findings]


def test_the_script_prints_both_runs_side_by_side():
    process = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_diagnoses.py"), "--params", "100", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    for row in ("`check`, no diagnose step", "`check`, with the diagnoses", "`diagnose` alone"):
        assert row in process.stdout
