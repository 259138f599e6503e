"""``pymc-doctor --help`` and ``pymc-doctor rules`` start without importing PyMC or PyTensor."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pymc", "pytensor")


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
    # -X importtime writes one "import time: self | cumulative | module" line per imported module.
    imported = {line.rsplit("|", 1)[-1].strip() for line in process.stderr.splitlines() if "|" in line}
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
    imported = {line.rsplit("|", 1)[-1].strip() for line in process.stderr.splitlines() if "|" in line}
    heavy = sorted(name for name in imported if name.split(".")[0] in (*HEAVY, "numpy", "scipy", "xarray", "pandas"))
    assert not heavy, f"`pymc-doctor env` imported {heavy}"
    assert "pymc_doctor.checks.environment" in imported and "pymc_doctor.checks.sampling" not in imported
