"""Threads and parallel chains: oversubscribed BLAS threads, thread variables that do not fit, and
how parallel chains start."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import env_rule, finding
from pymc_doctor.finding import Finding, RerunStep
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.static import BLAS_THREAD_VARIABLES, THREAD_VARIABLES
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject

MKL_THREADING_LAYERS = ("INTEL", "SEQUENTIAL", "GNU", "TBB")


def start_method(facts: EnvFacts) -> str | None:
    """The multiprocessing start method PyMC uses here: on macOS PyMC picks it (fork on arm64, forkserver on Intel)."""
    if facts.platform.system == "Darwin":
        return "fork" if facts.platform.machine == "arm64" else "forkserver"
    return facts.base.start_method


def chains_at_once(facts: EnvFacts) -> int:
    """How many chains `pm.sample` runs in parallel by default here: `min(4, CPUs // 2)`, at least one."""
    return max(1, min(4, facts.hardware.logical_cores // 2))


def threads_per_chain(facts: EnvFacts) -> int:
    """The threads each parallel chain can have without more threads than usable cores."""
    return max(1, facts.hardware.cores // chains_at_once(facts))


def threads_while_sampling(blas_threads: int, chains: int, method: str | None) -> int:
    # Under fork PyMC's blas_cores limit is not applied (pymc#7354); other start methods get PyMC's
    # default blas_cores="auto": one BLAS thread per parallel chain.
    return (blas_threads if method == "fork" or chains == 1 else 1) * chains


def detect_oversubscription(facts: EnvFacts, max_oversubscription: float) -> dict[str, Any] | None:
    """The BLAS threads, parallel chains and cores when the threads sampling starts exceed the cores."""
    pools = [pool for pool in facts.base.threadpools or [] if pool.user_api == "blas"]
    if not pools:
        raise CannotCheck("no BLAS thread pool was reported")
    threads = max(int(pool.num_threads or 1) for pool in pools)
    cores = facts.hardware.cores
    chains = chains_at_once(facts)
    method = start_method(facts)
    if threads_while_sampling(threads, chains, method) <= max_oversubscription * cores:
        return None
    return {
        "blas_threads": threads,
        "chains_at_once": chains,
        "usable_cores": cores,
        "start_method": method,
        "variables": {name: value for name, value in facts.env_vars.items() if name in BLAS_THREAD_VARIABLES},
    }


@env_rule("ENV601", "oversubscription", severity="warning", params={"max_oversubscription": 1.0})
def oversubscription(subject: Subject, max_oversubscription: float) -> Iterator[Finding]:
    """More BLAS threads than cores while PyMC samples chains in parallel.

    What it checks: the BLAS thread count (threadpoolctl, after your `OMP_NUM_THREADS`,
    `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS`) times the chains PyMC runs at once by default
    (`min(4, CPUs // 2)`), against the usable cores. Under the `fork` start method (Linux, Apple
    silicon) PyMC's `blas_cores` limit is not applied (pymc#7354), so each chain keeps the full count.

    Why it matters: oversubscribed BLAS threads fight over the cores; users report sampling 6x
    slower, cured by `OPENBLAS_NUM_THREADS=1`.

    Threshold: total threads above `max_oversubscription` (default 1.0) times the usable cores.

    Example: 16 cores, 4 parallel chains, OpenBLAS with 16 threads each: 64 threads.

    Fix: limit BLAS to cores / chains threads per process, by environment variable before Python
    starts (the fix's shell commands) or with threadpoolctl around `pm.sample` (a re-run step's Python).
    """
    facts: EnvFacts = subject.env
    found = detect_oversubscription(facts, max_oversubscription)
    if found is None:
        return
    threads, chains, cores, method = (
        found[key] for key in ("blas_threads", "chains_at_once", "usable_cores", "start_method")
    )
    total = threads_while_sampling(threads, chains, method)
    suggested = threads_per_chain(facts)
    parallel = (
        f"PyMC runs {chains} chains at once here, each in a {method}ed process with {threads} BLAS threads"
        if chains > 1
        else f"PyMC samples one chain at a time here, with {threads} BLAS threads"
    )
    yield finding(
        "ENV601",
        "warning",
        f"{total} BLAS threads compete for {cores} cores while sampling",
        (
            f"{parallel}: {total} threads on {cores} usable cores. Oversubscribed BLAS threads can make "
            "sampling several times slower."
        ),
        evidence=found,
        fix=f"Limit BLAS to {suggested} thread{'s' if suggested > 1 else ''} per process before Python starts, "
        "or with threadpoolctl around pm.sample.",
        fix_code=fixes.limit_blas_threads(facts, suggested),
        # Python is a block of its own, apart from the shell's variables.
        rerun=(RerunStep("Or limit them in Python, around pm.sample:", fixes.threadpool_limits_code(suggested)),),
    )


def _usable_count(value: str) -> bool:
    """A positive whole number, or OpenMP's comma list of them."""
    return bool(re.fullmatch(r"\s*\d+(\s*,\s*\d+)*\s*", value)) and all(int(v) > 0 for v in value.split(","))


def detect_thread_variables(facts: EnvFacts) -> dict[str, Any] | None:
    """Thread variables the libraries cannot parse, and counts above the usable cores."""
    variables = facts.env_vars
    cores = facts.hardware.cores
    unusable = {
        name: value for name, value in variables.items() if name in THREAD_VARIABLES and not _usable_count(value)
    }
    too_many = {
        name: value
        for name, value in variables.items()
        if name in THREAD_VARIABLES and name not in unusable and int(value.split(",")[0]) > cores
    }
    layer = variables.get("MKL_THREADING_LAYER")
    if layer is not None and layer.strip().upper() not in MKL_THREADING_LAYERS:
        unusable["MKL_THREADING_LAYER"] = layer
    if not unusable and not too_many:
        return None
    return {"unusable": unusable, "above_cores": too_many, "usable_cores": cores}


@env_rule("ENV602", "thread-variables", severity="warning")
def thread_variables(subject: Subject) -> Iterator[Finding]:
    """Thread-count variables that the libraries cannot use, or that ask for more threads than cores.

    What it checks: `OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS`,
    `VECLIB_MAXIMUM_THREADS`, `BLIS_NUM_THREADS`, `NUMBA_NUM_THREADS` (a positive whole number,
    or OpenMP's comma list, at most the usable cores) and `MKL_THREADING_LAYER` (INTEL,
    SEQUENTIAL, GNU or TBB).

    Why it matters: BLAS libraries silently ignore a value they cannot parse (`four`, `0`, `1.5`),
    so the limit you set to stop oversubscription is not in effect. A count above the cores makes
    OpenMP code (GNU libgomp, MKL's OpenMP layer) and Numba's parallel code run more threads than
    there are cores in every process, before PyMC multiplies it by its parallel chains (OpenBLAS
    alone caps itself at the core count).

    Threshold: any unusable value, or a count above the usable cores.

    Example: `OMP_NUM_THREADS=auto`; `OMP_NUM_THREADS=64` on an 8-core laptop.

    Fix: set a whole number of threads no larger than cores / parallel chains, or unset the variable.
    """
    facts: EnvFacts = subject.env
    found = detect_thread_variables(facts)
    if found is None:
        return
    unusable, too_many, cores = found["unusable"], found["above_cores"], found["usable_cores"]
    parts = []
    if unusable:
        parts.append(
            ", ".join(f"{name}={value!r}" for name, value in unusable.items())
            + ": BLAS and OpenMP ignore values they cannot parse, so these limits are not in effect"
        )
    if too_many:
        parts.append(
            ", ".join(f"{name}={value}" for name, value in too_many.items())
            + f": more threads per process than the {cores} usable cores, before PyMC runs chains in parallel"
        )
    suggested = str(threads_per_chain(facts))
    yield finding(
        "ENV602",
        "warning",
        "Thread settings that do not fit this machine",
        "; ".join(parts) + ".",
        evidence=found,
        fix=f"Set at most {suggested} thread{'s' if suggested != '1' else ''} per process (MKL_THREADING_LAYER: "
        "INTEL, SEQUENTIAL, GNU or TBB), or unset the variables.",
        fix_code=fixes.fix_thread_variables(facts, {**unusable, **too_many}, suggested),
    )


def detect_start_method(facts: EnvFacts) -> dict[str, Any] | None:
    """The start method of parallel chains, when it is not fork (each chain re-imports the script)."""
    method = start_method(facts)
    if method in (None, "fork"):
        return None
    return {"start_method": method, "system": facts.platform.system}


@env_rule("ENV604", "start-method", severity="info")
def start_method_note(subject: Subject) -> Iterator[Finding]:
    """Parallel chains start with `spawn` or `forkserver`: scripts need a main guard.

    What it checks: the multiprocessing start method PyMC uses for parallel chains here (spawn on
    Windows, forkserver on Intel Macs, Python's default elsewhere; what `sitecustomize` or
    `multiprocessing.set_start_method` chose).

    Why it matters: each chain then starts a fresh Python that re-imports your script: a script
    that calls `pm.sample` outside `if __name__ == "__main__":` fails with "An attempt has been made
    to start a new process before the current process has finished its bootstrapping phase", and
    each chain pays seconds of start-up.

    Threshold: a start method other than `fork` (a note).

    Example: any script on Windows.

    Fix: put the sampling code of scripts under a main guard (notebooks need nothing).
    """
    facts: EnvFacts = subject.env
    found = detect_start_method(facts)
    if found is None:
        return
    method = found["start_method"]
    where = {"Windows": "on Windows", "Darwin": "on an Intel Mac"}.get(found["system"], "in this Python")
    notebook = (
        " In a notebook nothing is needed, but what the model uses must pickle (cloudpickle sends it to each chain)."
        if facts.in_notebook
        else ""
    )
    yield finding(
        "ENV604",
        "info",
        f"Parallel chains start with {method!r}: scripts need a main guard",
        (
            f"PyMC starts parallel chains with {method!r} {where}: each chain starts a fresh Python that re-imports "
            'your script, so a script must call pm.sample under `if __name__ == "__main__":`.' + notebook
        ),
        evidence=found,
        fix="Put the sampling code of scripts under a main guard.",
        fix_code=fixes.MAIN_GUARD,
    )
