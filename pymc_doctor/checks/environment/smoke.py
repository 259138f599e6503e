"""The smoke test: PyMC samples a tiny model, and how long compiling and sampling took."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pymc_doctor.checks.environment.common import env_rule, finding, key_lines
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.facts import SmokeSample
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject

STAGES = {"import": "import pymc", "model": "building the model", "sample": "pm.sample"}


def detect_smoke_failure(facts: EnvFacts) -> dict[str, Any] | None:
    """What the smoke test reported when it did not sample: its error, how the probe ended, its stderr."""
    probe = facts.smoke
    if probe.sample is not None:
        return None
    error = probe.data.get("error")
    return {"error": error, "probe": probe.summary(), "stderr": probe.stderr_tail[-1500:]}


def _import_seconds(facts: EnvFacts) -> float:
    outcome = facts.base.pymc_import
    return outcome.seconds if outcome else 0.0


def _compile_seconds(sample: SmokeSample) -> float | None:
    """Everything before the first draw: compiling and setting up."""
    return sample.seconds - sample.sampling_seconds if sample.sampling_seconds is not None else None


def detect_smoke_timings(facts: EnvFacts) -> dict[str, Any] | None:
    """The sampler and timings of a smoke test that sampled."""
    sample = facts.smoke.sample
    if sample is None:
        return None
    import_seconds = _import_seconds(facts)
    compiling = _compile_seconds(sample)
    return {
        "sampler": sample.sampler,
        "sampler_version": sample.sampler_version,
        "import_seconds": round(import_seconds, 2),
        "compile_seconds": round(compiling, 2) if compiling is not None else None,
        "sampling_seconds": round(sample.sampling_seconds, 2) if sample.sampling_seconds is not None else None,
        "total_seconds": round(sample.seconds, 2),
        "chains": sample.chains,
        "draws": sample.draws,
        "divergences": sample.divergences,
        "reused_from": facts.reused_from("smoke"),
    }


def _reused_note(facts: EnvFacts, name: str) -> str:
    """A sentence saying that a probe's result comes from an earlier run, or nothing when it ran now."""
    if name not in facts.reused:
        return ""
    when = datetime.fromtimestamp(facts.reused[name]).strftime("%Y-%m-%d %H:%M")
    return (
        f" (Run at {when} and reused: nothing in this installation has changed since; "
        "`pymc-doctor env --fresh` runs it again.)"
    )


def _failed(facts: EnvFacts, found: dict[str, Any]) -> Finding:
    probe = facts.smoke
    error = probe.error
    if error is not None:
        problem = f"{STAGES[error.stage]} failed: {key_lines(error.error, 2)}"
    else:
        problem = f"the smoke test {probe.failure or 'ended early'}: {key_lines(probe.stderr_tail)}"
    return finding(
        "ENV801",
        "error",
        "The smoke test failed: PyMC cannot sample a tiny model",
        f"{problem}.",
        evidence=found,
        fix="Fix the other environment findings first; if none explains it, post this report on discourse.pymc.io.",
        fix_code=fixes.SMOKE_CODE,
    )


def _passed(facts: EnvFacts, found: dict[str, Any], slow_seconds: float) -> Finding:
    sample = facts.smoke.sample
    import_seconds = _import_seconds(facts)
    compiling = _compile_seconds(sample)
    sampler = {"pymc": "PyMC's NUTS"}.get(sample.sampler, sample.sampler or "the default sampler")
    timing = (
        f"{compiling:.1f} s compiling and setting up, {sample.sampling_seconds:.1f} s sampling"
        if compiling is not None
        else f"{sample.seconds:.1f} s in all"
    )
    slow = sample.seconds > slow_seconds
    passed = "passed, slowly" if slow else "passed"
    slowly = f" Above {slow_seconds:.0f} s for a two-parameter model: see the compiler and BLAS findings."
    return finding(
        "ENV801",
        "warning" if slow else "info",
        f"Smoke test {passed}: {sampler} sampled a tiny model in {sample.seconds:.1f} s",
        (
            f"pm.sample drew {sample.chains} chains x {sample.draws} draws with {sampler} ({timing}; "
            f"`import pymc` took {import_seconds:.1f} s)." + (slowly if slow else "") + _reused_note(facts, "smoke")
        ),
        evidence=found,
        fix="Look at the compiler, BLAS and thread findings above." if slow else "",
    )


@env_rule("ENV801", "smoke-test", severity="error", params={"slow_seconds": 120.0})
def smoke_test(subject: Subject, slow_seconds: float) -> Iterator[Finding]:
    """Build a tiny model and sample it: the "test your installation" step.

    What it checks: in a child process with a time limit, `import pymc`, a two-parameter normal
    model, and `pm.sample(draws=200, tune=200)` with the default sampler and chains; how long
    compiling (everything before the first draw) and sampling took.

    Why it matters: it is the end-to-end proof that the installation works, and the timings show a
    slow compiler or backend before a real model does.

    Threshold: a failure, crash or time-out is an error; compile and sampling together above
    `slow_seconds` (default 120) a warning; otherwise a note with the timings. Skipped by `--quick`.
    A passed test is reused, and says so, while nothing in the installation changes (for a day at
    most); `pymc-doctor env --fresh` runs it again.

    Example: PyMC 5 on Linux compiles and samples this model in a few seconds.

    Fix: the finding names the failing stage; start with the other env findings.
    """
    facts: EnvFacts = subject.env
    failed = detect_smoke_failure(facts)
    if failed is not None:
        yield _failed(facts, failed)
        return
    yield _passed(facts, detect_smoke_timings(facts), slow_seconds)
