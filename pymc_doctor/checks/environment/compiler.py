"""PyTensor's C++ compiler: none configured, or one that does not build."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import c_severity, env_rule, finding, key_lines
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject


def detect_no_compiler(facts: EnvFacts) -> dict[str, Any] | None:
    """An empty ``cxx``, with the compilers on PATH and the PyTensor flags set."""
    pytensor = facts.pytensor
    if pytensor.cxx:
        return None
    return {
        "cxx": "",
        "compilers_on_path": facts.compilers,
        "PYTENSOR_FLAGS": facts.env_vars.get("PYTENSOR_FLAGS", ""),
        "default_linker": pytensor.default_linker,
    }


def _why_no_compiler(facts: EnvFacts, found: dict[str, Any]) -> tuple[str, str, str]:
    """Why PyTensor has no compiler, the advice, and its commands."""
    on_path = list(found["compilers_on_path"].values())
    flags = found["PYTENSOR_FLAGS"]
    if "cxx" not in facts.pytensor_flags:
        if on_path:
            reason = f"{', '.join(on_path)} is on PATH, but PyTensor's configuration (~/.pytensorrc?) sets no cxx"
            fix = f"Set PyTensor's cxx flag to {on_path[0]}, or remove `cxx` from ~/.pytensorrc."
            return reason, fix, fixes.set_variable(facts, "PYTENSOR_FLAGS", f"cxx={on_path[0]}")
        return "no C++ compiler (g++, clang++) is on PATH", *fixes.compiler_fix(facts)
    reason = "PYTENSOR_FLAGS sets `cxx=`" + (f" ({flags})" if flags.strip() != "cxx=" else "")
    code = fixes.flags_fix_code(facts, "cxx", "")
    if on_path:
        fix = "Remove `cxx=` from PYTENSOR_FLAGS so PyTensor uses the compiler it finds."
        return f"{reason}, although {', '.join(on_path)} is on PATH", fix, code
    install_fix, install_code = fixes.compiler_fix(facts)
    reason += ", and no C++ compiler (g++, clang++) is on PATH either"
    return reason, f"{install_fix} Then remove `cxx=` from PYTENSOR_FLAGS.", f"{install_code}\n# then:\n{code}"


@env_rule("ENV301", "no-compiler", severity="error")
def no_compiler(subject: Subject) -> Iterator[Finding]:
    """PyTensor has no C++ compiler.

    What it checks: PyTensor's `cxx` flag as PyTensor resolved it; empty means PyTensor found no
    compiler ("g++ not detected!  PyTensor will be unable to compile C-implementations and will
    default to Python") or was told not to use one (`cxx=` in `PYTENSOR_FLAGS`).

    Why it matters: where the C backend is the default (PyTensor 2.x, i.e. PyMC 5) every model
    then runs in pure Python, often 10 to 100 times slower: an error. Where Numba is the default
    (PyTensor 3.x) only the C backend is lost: a note.

    Threshold: `cxx == ""`.

    Example: Windows without the m2w64 toolchain; a slim Docker image without g++.

    Fix: on Windows `conda install -c conda-forge m2w64-toolchain libpython` (or use WSL); on
    macOS `xcode-select --install`; on Linux conda-forge's `gxx` or the system's g++. If a
    compiler is on `PATH`, remove `cxx=` from your PyTensor flags.
    """
    facts: EnvFacts = subject.env
    found = detect_no_compiler(facts)
    if found is None:
        return
    pytensor = facts.pytensor
    reason, fix, code = _why_no_compiler(facts, found)
    impact = (
        "every model falls back to Python code, often 10-100x slower"
        if pytensor.c_default
        else "the C backend is unavailable; the default Numba backend is unaffected"
    )
    yield finding(
        "ENV301",
        c_severity(pytensor, "error", "info"),
        "PyTensor has no C++ compiler",
        f"PyTensor's cxx is empty: {reason}. So {impact}.",
        evidence=found,
        fix=fix,
        fix_code=code,
    )


def detect_compile_fails(facts: EnvFacts) -> dict[str, Any] | None:
    """The compiler and its error when the compile probe's C op does not build, crashes or hangs."""
    probe = facts.compile_probe
    pytensor = facts.pytensor
    if not pytensor.cxx:
        raise CannotCheck("no C++ compiler is configured (see ENV301)")
    outcome = probe.c_op
    if outcome is not None and outcome.ok:
        return None
    error = key_lines(probe.stderr_tail) if outcome is None else key_lines(outcome.error)
    return {"cxx": pytensor.cxx, "error": error, "probe": probe.summary()}


@env_rule("ENV302", "compile-fails", severity="error")
def compile_fails(subject: Subject) -> Iterator[Finding]:
    """The C++ compiler does not build a PyTensor op.

    What it checks: the compile probe really builds and runs a tiny PyTensor C op (uncached, so
    the compiler runs every time) in your compile directory, in a child process with a time limit.

    Why it matters: a compiler that is found but broken (missing Python headers, a mismatched
    toolchain, an antivirus locking files, a folder g++ cannot write) makes every model fail to
    compile or fall back to slow code.

    Threshold: the build fails, crashes or does not finish in time. Skipped by `--quick`.

    Example: `PYTENSOR_FLAGS=cxx=/usr/bin/false`.

    Fix: follow the compiler's message; reinstall the toolchain for your platform.
    """
    facts: EnvFacts = subject.env
    found = detect_compile_fails(facts)
    if found is None:
        return
    probe = facts.compile_probe
    problem = (
        "building the op fails" if probe.c_op is not None else f"the compile probe {probe.failure or 'ended early'}"
    )
    detail = found["error"]
    fix, code = fixes.compiler_fix(facts)
    if "compiledir" in detail or "lock" in detail.lower():
        fix += " If the message names the compile folder, clear PyTensor's cache."
        code += "\npytensor-cache clear"
    yield finding(
        "ENV302",
        c_severity(facts.pytensor, "error", "warning"),
        "PyTensor cannot compile C code",
        f"PyTensor's compiler {found['cxx']}: {problem}: {detail}.",
        evidence=found,
        fix=fix,
        fix_code=code,
    )
