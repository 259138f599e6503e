"""Errors and warnings of the installation: no BLAS, no compiler, PyMC3-era code, a locked compile cache."""

from __future__ import annotations

from collections.abc import Iterator

from pymc_doctor.errortext import ErrorText
from pymc_doctor.finding import Finding, finding_builder
from pymc_doctor.registry import rule_family
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject

_finding = finding_builder("env")
_rule = rule_family("env", needs=("error",))


def _matched(error: ErrorText, *patterns: str) -> str | None:
    """The text of the first of ``patterns`` the error contains, or None."""
    match = error.has(*patterns)
    return match.group(0) if match else None


def missing_blas(error: ErrorText) -> str | None:
    return _matched(error, r"could not link to a BLAS", r"NumPy C-API based implementation for BLAS")


@_rule("EXP104", "blas-warning", severity="warning")
def blas_warning(subject: Subject) -> Iterator[Finding]:
    """PyTensor without an optimized BLAS.

    What it checks: "PyTensor could not link to a BLAS installation" and the older "Using NumPy
    C-API based implementation for BLAS functions".

    Why it matters: matrix operations fall back to slow implementations; models with dot products
    run several times slower.

    Threshold: the warning text.

    Example: `pip install pymc` on a system without OpenBLAS or MKL development libraries.

    Fix: install PyMC from conda-forge (conda, mamba or pixi), which brings a linked BLAS.
    """
    if missing_blas(subject.error) is None:
        return
    yield _finding(
        "EXP104",
        "warning",
        "PyTensor has no optimized BLAS",
        "PyTensor could not link to a BLAS library, so matrix operations use slow fallbacks.",
        fix="Install PyMC from conda-forge, which links PyTensor to OpenBLAS or MKL.",
        fix_code=fixes.CONDA_FORGE_PYMC,
    )


def missing_compiler(error: ErrorText) -> str | None:
    return _matched(error, r"g\+\+ not detected", r"unable to compile C-implementations", r"Compilation failed")


@_rule("EXP105", "compiler-warning", severity="warning")
def compiler_warning(subject: Subject) -> Iterator[Finding]:
    """No working C compiler for PyTensor.

    What it checks: "g++ not detected", "PyTensor will be unable to compile C-implementations",
    and C compilation failures ("Compilation failed").

    Why it matters: without a compiler PyTensor runs its Python implementations: sampling can be
    ten to a hundred times slower.

    Threshold: the warning text.

    Example: a fresh Windows or macOS install without build tools.

    Fix: install a compiler (conda-forge's `cxx-compiler`, the fix's shell command), or sample with
    nutpie or numpyro, which do not need one (the fix's text says how).
    """
    reported = missing_compiler(subject.error)
    if reported is None:
        return
    yield _finding(
        "EXP105",
        "warning",
        "No working C compiler for PyTensor",
        f"PyTensor reports `{reported}`: it falls back to slow Python implementations.",
        fix="Install conda-forge's compilers, or sample with a backend that needs no C compiler: "
        '`pm.sample(nuts_sampler="nutpie")`.',
        fix_code=fixes.CONDA_FORGE_COMPILER,
    )


def legacy_stack(error: ErrorText) -> str | None:
    return _matched(
        error,
        r"No module named '(pymc3|theano|aesara|theano_pymc)'",
        r"^\s*(?:import|from) (pymc3|theano|aesara)\b",
        r"has no attribute 'blas_opt_info'",
    )


@_rule("EXP106", "legacy-import", severity="error")
def legacy_import(subject: Subject) -> Iterator[Finding]:
    """Code or packages from PyMC3, Theano or Aesara.

    What it checks: `No module named 'pymc3'` (or `theano`, `aesara`), tracebacks through such
    imports, and errors of old Theano builds with new NumPy (`blas_opt_info`).

    Why it matters: PyMC3 and Theano are unmaintained and do not install on current Python and
    NumPy; code written for them needs the current names (`import pymc as pm`, `pytensor`).

    Threshold: the error text.

    Example: `import pymc3 as pm` in an old tutorial.

    Fix: install `pymc` (the shell commands are in the fix's text) and use `import pymc as pm` and
    `import pytensor.tensor as pt` (the fix's code).
    """
    reported = legacy_stack(subject.error)
    if reported is None:
        return
    yield _finding(
        "EXP106",
        "error",
        "PyMC3 / Theano code",
        f"The error comes from the PyMC3-era stack (`{reported.strip()}`), which no longer installs or runs "
        "with current Python and NumPy.",
        fix=f"Use PyMC (v5+) and PyTensor (`{'; '.join(fixes.REPLACE_PYMC3.splitlines())}`): most code only "
        "needs the new imports.",
        fix_code=fixes.MODERN_IMPORTS,
    )


def unusable_compile_cache(error: ErrorText) -> str | None:
    return _matched(error, r"compiledir '[^']*' exists but you don't have", r"file lock .* could not be acquired")


@_rule("EXP111", "compile-cache", severity="error")
def compile_cache(subject: Subject) -> Iterator[Finding]:
    """PyTensor's compilation cache is locked or unwritable.

    What it checks: "compiledir ... exists but you don't have read, write or listing permissions"
    and "The file lock ... could not be acquired".

    Why it matters: PyTensor compiles every model into its cache directory; a stale lock (a
    killed process) or a read-only directory stops every model from compiling.

    Threshold: the error text.

    Example: two notebooks compiling at once after one was killed mid-compilation.

    Fix: `pytensor-cache unlock` (or `clear`), or point PyTensor at a writable directory.
    """
    reported = unusable_compile_cache(subject.error)
    if reported is None:
        return
    yield _finding(
        "EXP111",
        "error",
        "PyTensor's compile cache is locked or unwritable",
        f"PyTensor reports `{reported}`.",
        fix="Unlock or clear the cache, or give PyTensor a writable directory.",
        fix_code=fixes.UNLOCK_COMPILE_CACHE,
    )
