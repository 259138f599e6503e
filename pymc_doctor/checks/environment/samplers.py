"""The sampler backends: ones that do not import, JAX and the GPU, and a faster NUTS than the default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import env_rule, finding, key_lines, major, numpy_abi_line
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts, SamplersProbe
from pymc_doctor.probes.static import JAX_GPU_PLUGINS, SAMPLER_MODULES
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.remedies import sample_call
from pymc_doctor.subject import Subject

# Why each backend is the faster choice, in the order they are preferred on a CPU.
FASTER_ON_CPU = {
    "nutpie": "nutpie is usually several times faster than PyMC's own NUTS on a CPU",
    "numpyro": "numpyro's JAX-compiled NUTS is usually faster than PyMC's own on a CPU",
    "blackjax": "blackjax's JAX-compiled NUTS is usually faster than PyMC's own on a CPU",
}


def _reported(facts: EnvFacts) -> SamplersProbe:
    probe = facts.samplers
    if not probe.reported:
        raise CannotCheck(f"the sampler probe {probe.failure}")
    return probe


def _pymc_6(facts: EnvFacts) -> bool:
    return (major(facts.version("pymc")) or 0) >= 6


def detect_sampler_broken(facts: EnvFacts) -> dict[str, str]:
    """The installed backends whose import fails, crashes or hangs, each with its error (NumPy binary
    mismatches are ENV106's)."""
    probe = facts.samplers
    failures = {
        name: outcome.error for name, outcome in probe.imports.items() if not outcome.ok and not numpy_abi_line(outcome)
    }
    crashed = probe.crashed_import
    if crashed:
        failures[crashed] = f"the import {probe.failure}: {key_lines(probe.stderr_tail)}"
    elif probe.failure and probe.jax_platforms is None:
        failures["jax devices" if probe.reported else "backends"] = f"the probe {probe.failure}"
    return failures


@env_rule("ENV501", "sampler-broken", severity="warning")
def sampler_broken(subject: Subject) -> Iterator[Finding]:
    """An installed sampler backend that cannot be imported.

    What it checks: `import` of nutpie, numpyro, blackjax, JAX and Numba where installed, in a
    child process with a time limit.

    Why it matters: `pm.sample(nuts_sampler=...)` fails with that backend; PyMC 6 picks nutpie by
    default when it is installed, so a broken nutpie breaks plain `pm.sample()` there.

    Threshold: any installed backend whose import fails, crashes or hangs (NumPy binary
    mismatches are reported by ENV106).

    Example: a nutpie wheel for another Python, or a JAX whose jaxlib has another version.

    Fix: reinstall the backend with the installer of the rest of the environment.
    """
    facts: EnvFacts = subject.env
    failures = detect_sampler_broken(facts)
    if not failures:
        return
    names = list(failures)
    pymc6_nutpie = "nutpie" in failures and _pymc_6(facts)
    yield finding(
        "ENV501",
        "error" if pymc6_nutpie else "warning",
        f"Sampler backend{'s' if len(names) > 1 else ''} installed but not importable: {', '.join(names)}",
        "; ".join(f"`import {name}` fails with {key_lines(error, 2)}" for name, error in failures.items())
        + (
            ". PyMC 6 uses nutpie by default when it is installed, so plain pm.sample() fails too."
            if pymc6_nutpie
            else "."
        ),
        evidence={"failures": failures},
        fix="Reinstall these backends with the installer that made this environment (or uninstall them).",
        fix_code=fixes.install(
            facts, *[name for name in names if name in SAMPLER_MODULES] or ["nutpie", "numpyro"], reinstall=True
        ),
    )


def detect_jax_devices(facts: EnvFacts) -> tuple[str, dict[str, Any]] | None:
    """How JAX and the GPU disagree (``idle-gpu``: JAX runs on the CPU beside a GPU; ``no-gpu``: a GPU
    build of JAX finds none), with the GPUs, JAX's devices and the JAX GPU plugins installed."""
    devices = _reported(facts).jax_platforms
    if devices is None:
        raise CannotCheck("JAX is not installed or does not import")
    gpus = facts.hardware.gpus
    plugins = [name for name in JAX_GPU_PLUGINS if name in facts.distributions]
    found = {"gpus": gpus, "jax_devices": devices, "jax_plugins": plugins}
    if any(device != "cpu" for device in devices):
        return None
    if gpus:
        return "idle-gpu", found
    return ("no-gpu", found) if plugins else None


@env_rule("ENV502", "jax-devices", severity="warning")
def jax_devices(subject: Subject) -> Iterator[Finding]:
    """JAX and the GPU disagree: a GPU that JAX does not use, or a GPU build of JAX without a GPU.

    What it checks: the devices JAX sees (`jax.devices()`) against the NVIDIA GPUs the machine has
    (`nvidia-smi`, `/proc/driver/nvidia`) and the JAX GPU plugins installed.

    Why it matters: `nuts_sampler="numpyro"` or `"blackjax"` run on JAX's default device; with a
    CPU-only JAX the GPU sits idle. A CUDA build without a usable GPU falls back to the CPU after
    a warning, and can fail when `JAX_PLATFORMS=cuda` is set.

    Threshold: a GPU present with only CPU devices in JAX (warning); a JAX GPU plugin installed
    with no GPU device (a note).

    Example: `pip install jax` (CPU build) on a machine with an NVIDIA card.

    Fix: `pip install -U "jax[cuda12]"` (or conda-forge's `jaxlib=*=*cuda*`); or remove the GPU
    plugin where no GPU is present.
    """
    facts: EnvFacts = subject.env
    detected = detect_jax_devices(facts)
    if detected is None:
        return
    problem, found = detected
    devices = ", ".join(found["jax_devices"]) or "no devices"
    if problem == "idle-gpu":
        yield finding(
            "ENV502",
            "warning",
            "This machine has a GPU, but JAX runs on the CPU only",
            f"The machine has {', '.join(found['gpus'])}; JAX sees only {devices}.",
            evidence=found,
            fix="Install JAX's CUDA build so numpyro and blackjax can sample on the GPU.",
            fix_code=fixes.jax_for_the_gpu(facts),
        )
        return
    plugins = found["jax_plugins"]
    yield finding(
        "ENV502",
        "info",
        "A GPU build of JAX is installed, but JAX finds no GPU",
        f"{', '.join(plugins)} {'is' if len(plugins) == 1 else 'are'} installed; JAX sees only "
        f"{devices} and falls back to the CPU.",
        evidence=found,
        fix="Check the GPU driver (`nvidia-smi`), or uninstall the GPU plugin on a machine without a GPU.",
        fix_code=fixes.check_or_remove_gpu_plugins(plugins),
    )


def detect_faster_sampler(facts: EnvFacts) -> dict[str, Any] | None:
    """The backends that import, the one `pm.sample()` uses by default here, and the fastest one
    (None when no faster backend is installed), when the default is not the fastest."""
    probe = _reported(facts)
    pytensor = facts.pytensor
    working = {name for name, outcome in probe.imports.items() if outcome.ok}
    gpu = [device for device in probe.jax_platforms or [] if device != "cpu"]
    fastest = "numpyro" if gpu and "numpyro" in working else next((n for n in FASTER_ON_CPU if n in working), None)
    # PyMC 6 takes nutpie when it is installed and the default backend is Numba or JAX.
    default = "nutpie" if _pymc_6(facts) and "nutpie" in working and not pytensor.c_default else "pymc"
    if fastest == default:
        return None
    return {"working": sorted(working), "default": default, "fastest": fastest, "jax_gpu": gpu}


@env_rule("ENV503", "faster-sampler", severity="info")
def faster_sampler(subject: Subject) -> Iterator[Finding]:
    """A faster `nuts_sampler=` than the default is available here.

    What it checks: which NUTS implementations import here (nutpie, numpyro, blackjax), whether
    JAX sees a GPU, and which one `pm.sample()` uses by default on the installed PyMC.

    Why it matters: nutpie (Rust, on a Numba-compiled model) is usually several times faster than
    PyMC's own NUTS on a CPU, and adapts better to hard geometry; numpyro on a GPU is fastest for
    big models. PyMC 5 uses its own NUTS unless asked.

    Threshold: a note when the fastest available choice is not the default, or when no faster
    backend is installed at all.

    Example: PyMC 5 with nutpie installed, sampling with `pm.sample()`.

    Fix: pass `nuts_sampler="nutpie"` (or `"numpyro"` on a GPU); or install nutpie (the install
    command, a shell's, stands in the fix's text; the code block is the Python that samples with it).
    """
    facts: EnvFacts = subject.env
    found = detect_faster_sampler(facts)
    if found is None:
        return
    best, default, gpu = found["fastest"], found["default"], found["jax_gpu"]
    if best is None:
        yield finding(
            "ENV503",
            "info",
            "Only PyMC's own NUTS sampler is available",
            "no faster NUTS backend (nutpie, numpyro, blackjax) is installed; nutpie is usually several times "
            "faster on a CPU.",
            evidence={"working": found["working"], "default": default},
            fix=f'Install nutpie (`{fixes.install(facts, "nutpie")}`) and sample with nuts_sampler="nutpie".',
            fix_code=sample_call("nutpie"),
        )
        return
    on_gpu = bool(gpu) and best == "numpyro"
    why = f"JAX sees a GPU ({gpu[0]}), where numpyro samples big models fastest" if on_gpu else FASTER_ON_CPU[best]
    yield finding(
        "ENV503",
        "info",
        f"The {best} sampler would sample faster here than the default",
        f"pm.sample() uses {'PyMC' if default == 'pymc' else default}'s NUTS by default here; {why}.",
        evidence=found,
        fix=f'Pass nuts_sampler="{best}" to pm.sample.',
        fix_code=sample_call(best),
    )
