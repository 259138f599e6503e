"""Versions: an old PyMC, dependencies outside PyMC's ranges, builds for another NumPy, and
packages installed twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import env_rule, finding, major, numpy_abi_line
from pymc_doctor.finding import Finding, Severity
from pymc_doctor.probes.envfacts import EnvFacts, ProbeView
from pymc_doctor.probes.facts import evidence
from pymc_doctor.probes.static import LEGACY
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject

# The newest PyMC major line as of this release, and the oldest Python it installs on.
CURRENT_PYMC_MAJOR = 6
CURRENT_PYMC_MIN_PYTHON = (3, 12)


def detect_old_pymc(facts: EnvFacts) -> dict[str, Any] | None:
    """PyMC's version when a newer line would install here, or when it is older than 5 anyway."""
    version = facts.version("pymc")
    installed = major(version)
    if installed is None:
        raise CannotCheck("PyMC's version is unknown")
    can_upgrade = facts.platform.python_version >= CURRENT_PYMC_MIN_PYTHON
    if installed >= CURRENT_PYMC_MAJOR or (installed >= 5 and not can_upgrade):
        return None
    return {"installed": version, "current_major": CURRENT_PYMC_MAJOR, "python": facts.platform.python}


@env_rule("ENV104", "old-pymc", severity="warning")
def old_pymc(subject: Subject) -> Iterator[Finding]:
    """A PyMC older than the current major line.

    What it checks: the installed PyMC's major version against the newest line this release of
    the doctor knows (PyMC 6, which needs Python 3.12 or newer).

    Why it matters: fixes, speed-ups and the documentation follow the current line; PyMC before
    5 is no longer supported at all.

    Threshold: a major version below 5 is an error; PyMC 5 on a Python that could install PyMC 6
    is a warning; PyMC 5 on Python 3.11 is the newest possible there and passes.

    Example: `pymc 5.28` on Python 3.12.

    Fix: upgrade PyMC with the installer that installed it.
    """
    facts: EnvFacts = subject.env
    found = detect_old_pymc(facts)
    if found is None:
        return
    version, python = found["installed"], found["python"]
    if facts.platform.python_version >= CURRENT_PYMC_MIN_PYTHON:
        target = CURRENT_PYMC_MAJOR
        newest = f"PyMC {CURRENT_PYMC_MAJOR} is the current line and installs on this Python {python}"
    else:
        target = 5
        newest = f"PyMC 5 is the newest line for Python {python} (PyMC {CURRENT_PYMC_MAJOR} needs 3.12)"
    supported = (major(version) or 0) >= 5
    unsupported = (
        "" if supported else " PyMC before 5 is unsupported: current documentation and answers will not match it."
    )
    severity: Severity = "warning" if supported else "error"
    yield finding(
        "ENV104",
        severity,
        f"PyMC {version} is older than the current PyMC {target} line",
        f"PyMC {version} is installed; {newest}.{unsupported}",
        evidence=found,
        fix=f"Upgrade to PyMC {target}.",
        fix_code=fixes.install(facts, f"pymc>={target}", upgrade=True),
    )


def detect_version_conflict(facts: EnvFacts) -> list[dict[str, Any]]:
    """PyMC's declared requirements that the installed versions do not meet."""
    return evidence(requirement for requirement in facts.pymc_requirements if not requirement.satisfied)


@env_rule("ENV105", "version-conflict", severity="error")
def version_conflict(subject: Subject) -> Iterator[Finding]:
    """A dependency outside the range the installed PyMC declares.

    What it checks: every requirement in PyMC's own metadata (PyTensor, ArviZ, NumPy, SciPy,
    ...; and optional ones such as nutpie when they are installed) against the installed version,
    read with `packaging` without importing anything.

    Why it matters: PyMC is tested against the PyTensor and ArviZ ranges it declares; outside
    them it fails on import or, worse, mid-way through a model (ArviZ 1.x under PyMC 5, a
    PyTensor from another minor line). A forced install (`pip install --no-deps`, or two
    installers) leaves such combinations behind.

    Threshold: any required package missing or out of range is an error; an installed optional
    one out of range is a warning (PyMC falls back or refuses that feature).

    Example: `pytensor 2.37` under `pymc 5.28`, which requires `pytensor>=2.38.2,<2.39`.

    Fix: install the versions PyMC asks for.
    """
    facts: EnvFacts = subject.env
    broken = detect_version_conflict(facts)
    if not broken:
        return
    parts = []
    for req in broken:
        have = f"{req['installed']} is installed" if req["installed"] else "it is not installed"
        optional = f" (optional, for `{req['extra']}`)" if req["extra"] else ""
        parts.append(f"{req['name']}{req['specifier']}{optional}, but {have}")
    pymc = facts.version("pymc")
    yield finding(
        "ENV105",
        "error" if any(req["extra"] is None for req in broken) else "warning",
        f"PyMC {pymc} requires other versions of {', '.join(req['name'] for req in broken)}",
        f"PyMC {pymc} declares {'; '.join(parts)}.",
        evidence={"requirements": broken},
        fix="Install the versions PyMC declares, with the installer that installed PyMC.",
        fix_code=fixes.install(facts, *[f"{req['name']}{req['specifier']}" for req in broken]),
    )


def numpy_abi_failures(facts: EnvFacts) -> list[dict[str, str]]:
    """The probes' imports that failed with NumPy's binary-incompatibility messages."""
    failures = []
    for name in ("base", "samplers"):
        if name in facts.probes:
            for module, outcome in ProbeView(facts.probes[name]).imports.items():
                if line := numpy_abi_line(outcome):
                    failures.append({"module": module, "error": line})
    return failures


def detect_numpy_abi(facts: EnvFacts) -> dict[str, Any] | None:
    """Compiled packages whose metadata excludes the installed NumPy, and imports that fail on its ABI."""
    conflicts = evidence(conflict for conflict in facts.numpy_conflicts if conflict.compiled)
    failures = numpy_abi_failures(facts)
    if not conflicts and not failures:
        return None
    return {"numpy": facts.version("numpy"), "conflicts": conflicts, "import_failures": failures}


@env_rule("ENV106", "numpy-abi", severity="error")
def numpy_abi(subject: Subject) -> Iterator[Finding]:
    """A compiled package built for another NumPy than the one installed.

    What it checks: packages with compiled extensions whose metadata excludes the installed NumPy
    (e.g. `numpy<2` with NumPy 2.x installed), and imports in the probes that fail with NumPy's
    binary-incompatibility messages ("compiled using NumPy 1.x cannot be run in NumPy 2",
    "numpy.dtype size changed", "Numba needs NumPy 2.3 or less").

    Why it matters: an extension built against another NumPy major cannot load, or loads and
    crashes; PyMC, PyTensor, SciPy, Numba and nutpie all sit on NumPy's binary interface.

    Threshold: any such package or import failure.

    Example: an old SciPy wheel kept after `pip install -U numpy` brought NumPy 2.

    Fix: upgrade the package to a release built for the installed NumPy, or install the NumPy it
    was built for.
    """
    facts: EnvFacts = subject.env
    found = detect_numpy_abi(facts)
    if found is None:
        return
    numpy, conflicts, failures = found["numpy"], found["conflicts"], found["import_failures"]
    parts = [f"{c['name']} {c['version']} declares {c['requires']}" for c in conflicts]
    parts += [f"`import {f['module']}` fails: {f['error']}" for f in failures]
    upgrade = sorted({c["name"] for c in conflicts} | {f["module"].split(".")[0] for f in failures})
    pin = next((c["requires"] for c in conflicts if "<" in c["requires"]), None)
    yield finding(
        "ENV106",
        "error",
        f"Compiled packages do not match the installed NumPy {numpy}",
        (
            f"NumPy {numpy} is installed, but {'; '.join(parts)}. An extension built for another NumPy "
            "cannot load, or crashes when it does."
        ),
        evidence=found,
        fix="Upgrade these packages to releases built for the installed NumPy, or install the NumPy they need.",
        fix_code=fixes.match_numpy(facts, upgrade, numpy, pin),
    )


def detect_duplicate_install(facts: EnvFacts) -> dict[str, list[dict[str, Any]]]:
    """The stack's distributions installed more than once, each copy in sys.path order."""
    return {
        name: [dataclasses.asdict(copy) for copy in copies]
        for name, copies in facts.distributions.items()
        if len(copies) > 1 and name not in LEGACY
    }


@env_rule("ENV109", "duplicate-install", severity="warning")
def duplicate_install(subject: Subject) -> Iterator[Finding]:
    """The same package installed twice, in two places on the import path.

    What it checks: PyMC, PyTensor, ArviZ, NumPy, SciPy, Numba, JAX and the sampler packages for
    more than one installed copy (metadata folders) on `sys.path`.

    Why it matters: Python imports the first copy on the path, installers and version reports
    may look at the other; upgrades then seem to have no effect, and versions mismatch. Typical
    sources: `pip install --user` beside a virtual environment, a folder on `PYTHONPATH`, pip
    and conda installing into the same environment.

    Threshold: two or more copies of one package.

    Example: NumPy in `~/.local/lib/python3.12/site-packages` and in the conda environment.

    Fix: uninstall the copy you did not mean to have.
    """
    duplicates = detect_duplicate_install(subject.env)
    if not duplicates:
        return
    parts = []
    for name, copies in duplicates.items():
        where = "; ".join(f"{copy['version']} in {copy['location']}" for copy in copies)
        parts.append(f"{name}: {where}")
    names = list(duplicates)
    yield finding(
        "ENV109",
        "warning",
        f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} installed more than once",
        (
            f"{'. '.join(parts)}. Python uses the first copy on its path (listed first); the others "
            "confuse upgrades and version reports."
        ),
        evidence={"duplicates": duplicates},
        fix="Remove the copies you did not mean to have (a `--user` install, a PYTHONPATH folder); reinstall once.",
        fix_code=fixes.uninstall_duplicates(names),
    )
