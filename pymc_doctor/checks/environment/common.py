"""What the environment rules share: their finding builder, and how they quote errors and imports."""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

from pymc_doctor.finding import Severity, finding_builder
from pymc_doctor.probes.facts import Outcome, PyTensorConfig
from pymc_doctor.registry import rule_family

ENV = "env"
finding = finding_builder(ENV)
env_rule = rule_family(ENV, needs=("env",))

# Messages of an extension built against another NumPy than the one installed.
NUMPY_ABI_PATTERNS = (
    r"compiled using NumPy \d",
    r"compiled against ABI version",
    r"numpy\.dtype size changed",
    r"numpy\.(_core|core)\.multiarray failed to import",
    r"_ARRAY_API not found",
    r"needs NumPy [\d.]+ or (less|greater)",
)
_NUMPY_ABI = re.compile("|".join(NUMPY_ABI_PATTERNS))


def numpy_abi_line(outcome: Outcome) -> str | None:
    """The line of a failed import that says NumPy's binary interface does not match, or None.

    NumPy prints it first, to stderr: it names the ABI versions; the exception only says the import failed.
    """
    if outcome.ok:
        return None
    text = f"{outcome.stderr or ''}\n{outcome.error or ''}"
    return next((line.strip()[:300] for line in text.splitlines() if _NUMPY_ABI.search(line)), None)


def key_lines(text: str, limit: int = 3) -> str:
    """The lines of a compiler or import error that say what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [
        line
        for line in lines
        if re.search(r"error|cannot find|not found|undefined reference|No such file|denied", line, re.IGNORECASE)
        and len(line) < 400  # not the compiler's command line
    ]
    chosen = (wanted or lines)[-limit:]
    return " | ".join(chosen)[:600]


def first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def major(version: str | None) -> int | None:
    try:
        return Version(version).major if version else None
    except InvalidVersion:
        return None


def c_severity(pytensor: PyTensorConfig, when_c: Severity, otherwise: Severity) -> Severity:
    """The severity of a C-backend problem: ``when_c`` where C is PyTensor's default backend."""
    return when_c if pytensor.c_default else otherwise
