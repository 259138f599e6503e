"""How the run was set up: too few chains, too few draws, too short a warm-up (SMP301-303)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymc_doctor import remedies
from pymc_doctor.finding import Finding, RerunStep, finding_builder
from pymc_doctor.registry import CannotCheck, rule_family
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView

_finding = finding_builder("sampling")
_rule = rule_family("sampling", needs=("trace",))


def _rerun_with(trace: TraceView, label: str, **setting: int) -> dict[str, Any]:
    """A setup finding's fix code and re-run step: the same ``pm.sample`` call with ``setting`` changed."""
    call = remedies.sample_call(trace.sampler, **setting)
    return {"fix_code": call, "rerun": (RerunStep(label, call),)}


def chain_shortfall(trace: TraceView, min_chains: int) -> int | None:
    """The number of chains, when below ``min_chains``."""
    return trace.chains if trace.chains < min_chains else None


@_rule("SMP301", "few-chains", severity="warning", params={"min_chains": 4})
def few_chains(subject: Subject, min_chains: int) -> Iterator[Finding]:
    """Too few chains to judge convergence.

    What it checks: the number of chains.

    Why it matters: convergence is judged by comparing chains started from different points; one
    chain cannot reveal a mode it never left, and R-hat from fewer than 4 chains is weak evidence.

    Threshold: one chain is a warning; fewer than `min_chains` (default 4, as PyMC) a note.

    Example: `pm.sample(chains=1)`.

    Fix: run at least 4 chains; they run in parallel on separate cores.
    """
    trace = subject.trace
    chains = chain_shortfall(trace, min_chains)
    if chains is None:
        return
    single = chains == 1
    yield _finding(
        "SMP301",
        "warning" if single else "info",
        "A single chain" if single else f"Only {chains} chains",
        (
            f"The trace has {chains} chain{'' if single else 's'}; convergence is judged by "
            f"comparing at least {min_chains}."
        ),
        evidence={"chains": chains},
        fix=f"Run at least {min_chains} chains.",
        **_rerun_with(trace, f"{min_chains} chains.", chains=min_chains),
    )


def draw_shortfall(trace: TraceView, min_draws: int) -> int | None:
    """The draws per chain, when below ``min_draws``."""
    return trace.draws if trace.draws < min_draws else None


@_rule("SMP302", "few-draws", severity="warning", params={"min_draws": 100})
def few_draws(subject: Subject, min_draws: int) -> Iterator[Finding]:
    """Too few draws per chain for reliable diagnostics.

    What it checks: the number of post-warm-up draws per chain.

    Why it matters: R-hat and ESS estimates are themselves unreliable on short chains; PyMC skips
    its convergence checks below 100 draws.

    Threshold: fewer than `min_draws` (default 100) draws per chain.

    Example: `pm.sample(draws=50)`.

    Fix: draw at least 1000 per chain (PyMC's default).
    """
    trace = subject.trace
    draws = draw_shortfall(trace, min_draws)
    if draws is None:
        return
    yield _finding(
        "SMP302",
        "warning",
        f"Only {draws} draws per chain",
        f"Each chain has {draws} draws; diagnostics need at least {min_draws} to be trusted.",
        evidence={"draws": draws},
        fix="Draw at least 1000 per chain.",
        **_rerun_with(trace, "PyMC's default number of draws.", draws=1000),
    )


def tuning_shortfall(trace: TraceView, min_tuning_steps: int) -> int | None:
    """The tuning steps, when below ``min_tuning_steps``."""
    if trace.sampler == "smc":
        raise CannotCheck("SMC has no warm-up phase")
    if trace.tuning_steps is None:
        raise CannotCheck("the trace does not record its number of tuning steps")
    return trace.tuning_steps if trace.tuning_steps < min_tuning_steps else None


@_rule("SMP303", "short-tuning", severity="warning", params={"min_tuning_steps": 200})
def short_tuning(subject: Subject, min_tuning_steps: int) -> Iterator[Finding]:
    """Too short a warm-up.

    What it checks: the number of tuning (warm-up) steps recorded with the trace.

    Why it matters: NUTS learns its step size and mass matrix during warm-up; a short warm-up leaves
    both poorly adapted, and the first draws may still carry the starting point's bias.

    Threshold: fewer than `min_tuning_steps` (default 200) steps.

    Example: `pm.sample(tune=50)`.

    Fix: tune for at least 1000 steps (PyMC's default).
    """
    trace = subject.trace
    steps = tuning_shortfall(trace, min_tuning_steps)
    if steps is None:
        return
    yield _finding(
        "SMP303",
        "warning",
        f"Only {steps} tuning steps",
        (
            f"The sampler tuned for {steps} steps; adaptation needs at least {min_tuning_steps} "
            "to settle its step size and mass matrix."
        ),
        evidence={"tuning_steps": steps},
        fix="Tune for at least 1000 steps.",
        **_rerun_with(trace, "PyMC's default warm-up.", tune=1000),
    )
