"""The machine: little memory for sampling, and an Intel Python translated by Rosetta."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import env_rule, finding
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject


def detect_low_memory(facts: EnvFacts, min_available_gb: float) -> dict[str, Any] | None:
    """The memory available and in all, when less than ``min_available_gb`` is available."""
    hardware = facts.hardware
    if hardware.memory_available / 2**30 >= min_available_gb:
        return None
    return {
        "available_gb": round(hardware.memory_available / 2**30, 2),
        "total_gb": round(hardware.memory_total / 2**30, 2),
    }


@env_rule("ENV603", "low-memory", severity="warning", params={"min_available_gb": 2.0})
def low_memory(subject: Subject, min_available_gb: float) -> Iterator[Finding]:
    """Little free memory for sampling.

    What it checks: the memory available now (psutil) and the machine's total.

    Why it matters: every chain keeps its draws in memory, and each parallel chain is a process
    with its own copy of the compiled model; short of memory, sampling swaps or is killed
    ("BrokenPipeError", "Killed").

    Threshold: less than `min_available_gb` (default 2.0) GB available.

    Example: a notebook holding large data frames on an 8 GB laptop.

    Fix: close other programs or kernels, sample fewer chains at once (`cores=1`), or store fewer
    draws (`pm.sample(..., var_names=[...])`, thinning).
    """
    facts: EnvFacts = subject.env
    found = detect_low_memory(facts, min_available_gb)
    if found is None:
        return
    available = facts.hardware.memory_available / 2**30
    yield finding(
        "ENV603",
        "warning",
        f"Only {available:.1f} GB of memory available",
        f"{available:.1f} GB of {facts.hardware.memory_total / 2**30:.1f} GB memory is available for sampling.",
        evidence=found,
        fix="Free memory, or run fewer chains at once.",
        fix_code=fixes.ONE_CHAIN_AT_A_TIME,
    )


def detect_rosetta(facts: EnvFacts) -> dict[str, Any] | None:
    """This Python's executable when it is an x86_64 Python translated by Rosetta."""
    return {"executable": facts.platform.executable} if facts.platform.rosetta else None


@env_rule("ENV605", "rosetta", severity="warning")
def rosetta(subject: Subject) -> Iterator[Finding]:
    """An Intel (x86_64) Python running under Rosetta on Apple silicon.

    What it checks: on macOS, whether this x86_64 Python is translated by Rosetta
    (`sysctl.proc_translated`).

    Why it matters: translated numerical code runs much slower, cannot use Accelerate or arm64
    builds, and mixes badly with arm64 packages.

    Threshold: a translated Python.

    Example: an old Intel Anaconda installer used on an M1 Mac.

    Fix: install an arm64 Python distribution (Miniforge for arm64, or pixi) and recreate the
    environment.
    """
    found = detect_rosetta(subject.env)
    if found is None:
        return
    yield finding(
        "ENV605",
        "warning",
        "An Intel Python runs under Rosetta on Apple silicon",
        f"{found['executable']} is an x86_64 Python, translated by Rosetta on this Apple silicon Mac.",
        evidence=found,
        fix="Install an arm64 Python (Miniforge for arm64, or pixi) and recreate the environment there.",
        fix_code=fixes.arm64_python(),
    )
