"""BLAS: PyTensor's fallback without one, flags that do not link, and the BLAS that actually runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import c_severity, env_rule, finding, first_line, key_lines
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.facts import Distribution, evidence
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject


def detect_blas_fallback(facts: EnvFacts) -> dict[str, Any] | None:
    """An empty ``blas__ldflags`` where PyTensor has a compiler: its NumPy C-API fallback."""
    pytensor = facts.pytensor
    if not pytensor.cxx:
        raise CannotCheck("no C++ compiler is configured, so PyTensor compiles nothing to link BLAS to (see ENV301)")
    if pytensor.blas_ldflags:
        return None
    said = next((note.message for note in facts.base.notes if "BLAS" in note.message), "")
    return {
        "blas__ldflags": "",
        "pytensor_warning": first_line(said),
        "channel": facts.channel.kind,
        "pytensor_installer": (facts.distributions.get("pytensor") or [Distribution()])[0].installer,
        "default_linker": pytensor.default_linker,
    }


@env_rule("ENV201", "blas-fallback", severity="warning")
def blas_fallback(subject: Subject) -> Iterator[Finding]:
    """PyTensor links no BLAS library and falls back to NumPy's C API.

    What it checks: PyTensor's `blas__ldflags` flag as PyTensor itself resolved it; empty means
    the fallback PyTensor warns about: "PyTensor could not link to a BLAS installation ... This
    usually happens when PyTensor is installed via pip" (older: "Using NumPy C-API based
    implementation for BLAS functions").

    Why it matters: matrix products and solves in compiled models run without an optimized BLAS,
    several times slower for models with matrix algebra (regressions with many predictors,
    Gaussian processes). It is a warning where the C backend is PyTensor's default (PyTensor 2.x)
    and a note where it is Numba (PyTensor 3.x), which does not use the flag.

    Threshold: `blas__ldflags == ""` while a C++ compiler is configured.

    Example: `pip install pymc` in a virtual environment on Linux or macOS.

    Fix: install PyMC from conda-forge (or with pixi), which ships a BLAS PyTensor links;
    MKL on an Intel Mac, Accelerate or OpenBLAS on Apple silicon.
    """
    facts: EnvFacts = subject.env
    found = detect_blas_fallback(facts)
    if found is None:
        return
    pytensor = facts.pytensor
    fix, code = fixes.blas_fix(facts, found["pytensor_installer"])
    # PYTENSOR_FLAGS is the cause only where it sets the flag, as PyTensor reads it.
    told = "blas__ldflags" in facts.pytensor_flags
    if told:
        fix = f"PYTENSOR_FLAGS empties blas__ldflags: remove it so PyTensor looks for a BLAS. {fix}"
        code = f"{fixes.flags_fix_code(facts, 'blas__ldflags', '')}\n# if PyTensor still finds no BLAS:\n{code}"
    if pytensor.c_default:
        consequence = "matrix products and linear algebra in compiled models run without an optimized BLAS."
        fix += ' Meanwhile, `nuts_sampler="nutpie"` or `pytensor.config.mode = "NUMBA"` avoid the C backend.'
    else:
        consequence = "this only slows PyTensor's C backend, as the default Numba backend here does not use the flag."
    cause = "PYTENSOR_FLAGS sets it so" if told else "it found no BLAS to link"
    said = found["pytensor_warning"]
    yield finding(
        "ENV201",
        c_severity(pytensor, "warning", "info"),
        "PyTensor links no BLAS library (NumPy C-API fallback)",
        (
            f"PyTensor's blas__ldflags is empty: {cause}, "
            f"and its compiled code calls BLAS through NumPy's C API instead; {consequence}"
            + (f' PyTensor says: "{said}"' if said else "")
        ),
        evidence=found,
        fix=fix,
        fix_code=code,
    )


def detect_blas_link(facts: EnvFacts) -> dict[str, Any] | None:
    """The BLAS flags, and the error, when the compile probe's BLAS product does not build."""
    probe = facts.compile_probe
    pytensor = facts.pytensor
    if not pytensor.blas_ldflags:
        raise CannotCheck("PyTensor has no BLAS flags to link (see ENV201)")
    if not (probe.c_op and probe.c_op.ok):
        raise CannotCheck("the C compiler itself does not work (see ENV302)")
    outcome = probe.blas_op
    if outcome is None:
        raise CannotCheck(f"the compile probe {probe.failure or 'did not reach the BLAS step'}")
    if outcome.ok:
        return None
    return {"blas__ldflags": pytensor.blas_ldflags, "error": key_lines(outcome.error, 6)}


@env_rule("ENV202", "blas-link", severity="error")
def blas_link(subject: Subject) -> Iterator[Finding]:
    """PyTensor's BLAS flags do not link.

    What it checks: the compile probe builds a matrix-vector product with PyTensor's C BLAS op,
    which links the libraries named in `blas__ldflags`.

    Why it matters: every compiled function with a matrix product then fails to compile
    ("cannot find -lblas"), or falls back to slow code.

    Threshold: the build fails (only checked when `blas__ldflags` is set and the C compiler works).

    Example: `PYTENSOR_FLAGS=blas__ldflags=-lopenblas` on a machine without OpenBLAS's
    development library.

    Fix: point `blas__ldflags` at a BLAS that exists, or remove the flag and let PyTensor detect one.
    """
    facts: EnvFacts = subject.env
    found = detect_blas_link(facts)
    if found is None:
        return
    error = key_lines(facts.compile_probe.blas_op.error)
    yield finding(
        "ENV202",
        c_severity(facts.pytensor, "error", "warning"),
        "PyTensor's BLAS flags do not link",
        f"Compiling a matrix-vector product with blas__ldflags={found['blas__ldflags']!r} fails: {error}.",
        evidence=found,
        fix="Install the BLAS these flags name, or remove `blas__ldflags` from your flags so PyTensor detects one.",
        fix_code=fixes.flags_fix_code(
            facts, "blas__ldflags", fixes.install(facts, fixes.blas_variant(facts) or "libblas")
        ),
    )


def detect_blas_runtime(facts: EnvFacts) -> tuple[str, dict[str, Any]] | None:
    """What is wrong with the BLAS that runs (``none``, ``openmp``: several OpenMP runtimes, or
    ``no-mkl`` on an Intel Mac), with the BLAS and OpenMP libraries loaded."""
    pools = facts.base.threadpools
    if pools is None:
        raise CannotCheck("the probe did not report the loaded libraries")
    blas = [pool for pool in pools if pool.user_api == "blas"]
    openmp = sorted({pool.internal_api for pool in pools if pool.user_api == "openmp"})
    loaded = {"blas": evidence(blas), "openmp": openmp}
    if not blas:
        return "none", loaded
    if len(openmp) > 1:
        return "openmp", loaded
    if facts.platform.intel_mac and not any(pool.internal_api == "mkl" for pool in blas):
        return "no-mkl", loaded
    return None


@env_rule("ENV203", "blas-runtime", severity="warning")
def blas_runtime(subject: Subject) -> Iterator[Finding]:
    """The BLAS that actually runs: missing, mixed OpenMP runtimes, or the slow choice for this Mac.

    What it checks: the BLAS and OpenMP libraries loaded after importing NumPy, SciPy, PyTensor and
    PyMC, as threadpoolctl reports them (OpenBLAS, MKL, Accelerate, BLIS; their threading layer).

    Why it matters: two OpenMP runtimes in one process (Intel's libiomp with GNU's libgomp, as
    MKL next to pip wheels loads them) can crash or deadlock; MKL itself then asks for
    `MKL_THREADING_LAYER=GNU`. An Intel Mac runs much faster on MKL than on OpenBLAS.

    Threshold: no BLAS loaded; more than one OpenMP runtime; an Intel Mac without MKL (a note).

    Example: conda's MKL NumPy with a pip-installed SciPy that brings libgomp.

    Fix: one BLAS and one OpenMP runtime from one channel (conda-forge); on an Intel Mac, MKL.
    """
    facts: EnvFacts = subject.env
    found = detect_blas_runtime(facts)
    if found is None:
        return
    problem, loaded = found
    openmp = ", ".join(loaded["openmp"])
    if problem == "none":
        yield finding(
            "ENV203",
            "warning",
            "No BLAS library is loaded",
            "After importing NumPy, SciPy, PyTensor and PyMC, threadpoolctl finds no BLAS library.",
            evidence=loaded,
            fix="NumPy without BLAS is an unusual build: reinstall NumPy and SciPy from one channel.",
            fix_code=fixes.install(facts, "numpy", "scipy"),
        )
    elif problem == "openmp":
        yield finding(
            "ENV203",
            "warning",
            f"{len(loaded['openmp'])} OpenMP runtimes are loaded at once ({openmp})",
            (
                f"The process loads {openmp}: BLAS libraries from different builds share one process. "
                "Two OpenMP runtimes can crash or deadlock; MKL then asks for MKL_THREADING_LAYER=GNU."
            ),
            evidence=loaded,
            fix="Install NumPy, SciPy and PyTensor from one channel; until then set MKL_THREADING_LAYER=GNU.",
            fix_code=fixes.one_openmp_runtime(facts),
        )
    else:
        yield finding(
            "ENV203",
            "info",
            "An Intel Mac running without MKL",
            f"This Intel Mac runs {', '.join(sorted({pool['internal_api'] for pool in loaded['blas']}))}; Intel's "
            "MKL is markedly faster on Intel CPUs.",
            evidence=loaded,
            fix="Use conda-forge's MKL builds.",
            fix_code=fixes.install_or_new_env(facts, "libblas=*=*mkl"),
        )
