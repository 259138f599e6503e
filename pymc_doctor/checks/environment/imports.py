"""Importing PyTensor and PyMC: imports that fail, flags PyTensor does not know, and files that hide
a library."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import env_rule, finding, key_lines, numpy_abi_line
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject


def detect_import_fails(facts: EnvFacts) -> list[dict[str, str]]:
    """The imports of PyTensor or PyMC that failed, crashed or hung, each with its error (NumPy binary
    mismatches are ENV106's)."""
    base = facts.base
    failures = []
    for module, outcome in (("pytensor", base.pytensor_import), ("pymc", base.pymc_import)):
        if outcome and not outcome.ok and not numpy_abi_line(outcome):
            failures.append({"module": module, "error": outcome.error})
            break  # PyMC imports PyTensor: its failure is the same one
    crashed = base.crashed_import
    if crashed:
        failures.append({"module": crashed, "error": f"the import {base.failure}: {key_lines(base.stderr_tail)}"})
    elif base.failure and base.threadpools is None:
        failures.append({"module": "pytensor", "error": f"the probe {base.failure}: {key_lines(base.stderr_tail)}"})
    return failures


def _import_fix(facts: EnvFacts, error: str) -> tuple[str, str]:
    shadowing = [name for name in facts.shadowing if name in ("pymc", "pytensor", "numpy", "scipy")]
    if re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", error):
        missing = re.search(r"No module named '([\w]+)", error).group(1)
        fix = f"Install the missing module `{missing}` (a dependency removed or never installed)."
        return fix, fixes.install(facts, missing)
    if shadowing:
        fix = f"Rename the file {shadowing[0]}.py in this folder: it hides the real `{shadowing[0]}` (see ENV110)."
        return fix, fixes.rename_modules(shadowing[:1])
    fix = "Read the error: it names the missing or broken piece. If it is not clear, start from a fresh environment."
    return fix, fixes.conda_forge_env()


@env_rule("ENV107", "import-fails", severity="error")
def import_fails(subject: Subject) -> Iterator[Finding]:
    """PyTensor or PyMC cannot be imported.

    What it checks: `import pytensor` and `import pymc` in a fresh Python with your environment
    variables and working folder, with a time limit; a crash, a hang or an exception is reported
    with its message.

    Why it matters: nothing else works until these imports do.

    Threshold: any failure (NumPy binary mismatches are reported by ENV106 instead).

    Example: a `PYTENSOR_FLAGS` value PyTensor cannot parse, or a missing dependency after a
    partial uninstall.

    Fix: the message names the cause; when in doubt, a fresh conda-forge environment.
    """
    facts: EnvFacts = subject.env
    failures = detect_import_fails(facts)
    if not failures:
        return
    first = failures[0]
    fix, code = _import_fix(facts, first["error"])
    yield finding(
        "ENV107",
        "error",
        f"`import {first['module']}` fails",
        "; ".join(f"`import {f['module']}` fails with {key_lines(f['error'], 2)}" for f in failures) + ".",
        evidence={"failures": failures, "stderr": facts.base.stderr_tail[-1500:]},
        fix=fix,
        fix_code=code,
    )


def detect_unknown_flag(facts: EnvFacts) -> dict[str, Any] | None:
    """The flags PyTensor warned it does not recognise, each with the closest flag it knows."""
    base = facts.base
    unknown = []
    for note in base.notes:
        match = re.search(r"does not recognise this flag: (\S+)", note.message)
        if match and match.group(1) not in unknown:
            unknown.append(match.group(1))
    if not unknown:
        return None
    known = base.pytensor.known_flags if base.pytensor else []
    suggestions = {flag: difflib.get_close_matches(flag, known, n=1, cutoff=0.6) for flag in unknown}
    return {"unknown": unknown, "suggestions": suggestions, "PYTENSOR_FLAGS": facts.env_vars.get("PYTENSOR_FLAGS", "")}


@env_rule("ENV108", "unknown-flag", severity="warning")
def unknown_flag(subject: Subject) -> Iterator[Finding]:
    """A PyTensor flag that PyTensor does not know, and so ignores.

    What it checks: PyTensor's own warning "PyTensor does not recognise this flag" when it reads
    `PYTENSOR_FLAGS` and `~/.pytensorrc`, with the closest flag it does know.

    Why it matters: a misspelt flag (`blas_ldflags` for `blas__ldflags`, or a Theano-era name) is
    ignored after one easily missed warning, so the setting you think you made is not in effect.

    Threshold: any unrecognised flag.

    Example: `PYTENSOR_FLAGS=blas_ldflags=-lopenblas`.

    Fix: spell the flag as PyTensor names it (`python -c "import pytensor; print(pytensor.config)"`).
    """
    facts: EnvFacts = subject.env
    found = detect_unknown_flag(facts)
    if found is None:
        return
    unknown, suggestions = found["unknown"], found["suggestions"]
    parts = [
        f"`{flag}`" + (f" (did you mean `{suggestions[flag][0]}`?)" if suggestions[flag] else "") for flag in unknown
    ]
    yield finding(
        "ENV108",
        "warning",
        "PyTensor ignores flags it does not recognise",
        f"PyTensor does not recognise {', '.join(parts)}, and ignores {'it' if len(unknown) == 1 else 'them'}.",
        evidence=found,
        fix="Spell the flags as PyTensor names them (double underscores for sections: `blas__ldflags`).",
        fix_code=fixes.respell_flags(facts, suggestions),
    )


def detect_shadowed_module(facts: EnvFacts) -> list[str]:
    """The modules that files or folders in the working folder hide."""
    return facts.shadowing


@env_rule("ENV110", "shadowed-module", severity="warning")
def shadowed_module(subject: Subject) -> Iterator[Finding]:
    """A file in the current folder that hides a library.

    What it checks: files or folders in the current folder named like PyMC, PyTensor, ArviZ,
    NumPy, SciPy, pandas, xarray, or a standard module they import (`math.py`, `random.py`,
    `statistics.py`, `typing.py`, ...).

    Why it matters: notebooks and `python -c` import from the current folder first, so
    `import pymc` picks up your `pymc.py`, and NumPy picks up your `random.py`: errors that make
    no sense ("partially initialized module", "has no attribute").

    Threshold: any such name.

    Example: a script saved as `pymc.py` while learning PyMC.

    Fix: rename the file (and delete its `__pycache__`).
    """
    facts: EnvFacts = subject.env
    names = detect_shadowed_module(facts)
    if not names:
        return
    files = [f"{name}.py" for name in names]
    yield finding(
        "ENV110",
        "warning",
        f"{', '.join(files)} in this folder hide{'s' if len(files) == 1 else ''} the real module",
        (
            f"{', '.join(files)} in {facts.cwd} come before the installed libraries on the import path "
            "of a notebook or `python -c` started here."
        ),
        evidence={"names": names, "folder": facts.cwd},
        fix="Rename these files, and remove the `__pycache__` folder beside them.",
        fix_code=fixes.rename_modules(names),
    )
