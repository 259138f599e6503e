"""``pymc-doctor --help`` and ``pymc-doctor rules`` start without importing PyMC or PyTensor."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import trace_path

HEAVY = ("pymc", "pytensor")


def imported_modules(stderr: str) -> set[str]:
    # -X importtime writes one "import time: self | cumulative | module" line per imported module.
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if "|" in line}


@pytest.mark.parametrize("args", [["--help"], ["rules"], ["rules", "divergences"], ["check", "--help"]])
def test_cli_help_and_rules_do_not_import_pymc(args):
    process = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pymc_doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    imported = imported_modules(process.stderr)
    heavy = sorted(name for name in imported if name.split(".")[0] in HEAVY)
    assert not heavy, f"`pymc-doctor {' '.join(args)}` imported {heavy}"
    assert "pymc_doctor.cli" in imported


@pytest.mark.slow
def test_env_reads_the_installation_without_importing_the_numerical_stack_itself():
    # The probes import PyMC in child processes; the doctor's own process needs none of it.
    process = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pymc_doctor", "env", "--quick", "--select", "ENV1,ENV6"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert process.returncode in (0, 1), process.stderr[-2000:]
    imported = imported_modules(process.stderr)
    heavy = sorted(name for name in imported if name.split(".")[0] in (*HEAVY, "numpy", "scipy", "xarray", "pandas"))
    assert not heavy, f"`pymc-doctor env` imported {heavy}"
    assert "pymc_doctor.checks.environment" in imported and "pymc_doctor.checks.sampling" not in imported


def test_check_of_a_trace_does_not_import_scipy_stats():
    # scipy.stats costs a third of a second or more; the engine needs only scipy.special and scipy.fft.
    process = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pymc_doctor", "check", str(trace_path("centered_eight"))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "SMP" in process.stdout, process.stderr[-2000:]
    imported = imported_modules(process.stderr)
    assert "pymc_doctor.engine" in imported
    assert not any(name.startswith("scipy.stats") for name in imported)
