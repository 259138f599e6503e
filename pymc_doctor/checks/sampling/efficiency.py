"""How much the draws tell: effective sample size and Monte Carlo error (SMP203, SMP204)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pandas as pd

from pymc_doctor import remedies
from pymc_doctor.checks.sampling.convergence import MODES_FIX, chains_apart, diagnostics_table, left_out
from pymc_doctor.finding import Finding, PlotRequest, RerunStep, finding_builder
from pymc_doctor.registry import rule_family
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.wording import count

_finding = finding_builder("sampling")
_rule = rule_family("sampling", needs=("trace",))


def ess_below(trace: TraceView, min_ess_per_chain: int) -> dict[str, Any] | None:
    """The elements whose bulk or tail ESS is below ``min_ess_per_chain`` per chain (a table with
    ``ess_bulk``, ``ess_tail`` and ``lowest``, lowest first), and the draws per chain that would reach it."""
    table = diagnostics_table(trace)
    threshold = min_ess_per_chain * trace.chains
    lowest = table[["ess_bulk", "ess_tail"]].min(axis=1)
    low = table.loc[lowest < threshold, ["ess_bulk", "ess_tail"]].assign(lowest=lowest[lowest < threshold])
    if low.empty:
        return None
    low = low.sort_values("lowest")
    # ESS grows with the draws: scale the current draws by the shortfall, rounded up to a hundred.
    needed = int(math.ceil(trace.draws * threshold / max(float(low["lowest"].iloc[0]), 1.0) / 100.0) * 100)
    return {"low": low, "threshold": threshold, "elements": len(table), "draws_needed": needed}


@_rule("SMP203", "low-ess", severity="warning", params={"min_ess_per_chain": 100})
def low_ess(subject: Subject, min_ess_per_chain: int) -> Iterator[Finding]:
    """Too few effective draws: low bulk or tail ESS.

    What it checks: ArviZ's bulk ESS (for the center of the distribution) and tail ESS (for the
    5% and 95% quantiles) for every scalar element.

    Why it matters: with strongly autocorrelated draws, means and intervals rest on few
    independent draws; below about 100 per chain even R-hat and the MCSE are unreliable.

    Threshold: bulk or tail ESS below `min_ess_per_chain` (default 100) times the number of chains.

    Example: ArviZ's `centered_eight` has a bulk ESS of about 240 for `mu`, below 400 for its 4 chains.

    Fix: more draws (the estimate of how many is in the evidence) and, better, a parameterization
    the sampler mixes well in; thinning does not raise ESS. When the chains of the least efficient
    element sit in separate modes (SMP202), no number of draws helps: the fix says so and points to
    identifying the model or reporting the modes.
    """
    trace = subject.trace
    found = ess_below(trace, min_ess_per_chain)
    if found is None:
        return
    low, threshold, needed = found["low"], found["threshold"], found["draws_needed"]
    # Whole draws, rounded once: the message and the evidence print the same numbers.
    ess = {
        kind: {label: round(float(v)) for label, v in low[kind].head(20).items()} for kind in ("ess_bulk", "ess_tail")
    }
    shown = ", ".join(
        f"`{label}` bulk {ess['ess_bulk'][label]} / tail {ess['ess_tail'][label]}" for label in low.index[:5]
    )
    more_draws = remedies.sample_call(trace.sampler, draws=needed)
    apart = chains_apart(trace, low.index[0])
    outlook = (
        "The chains sit in separate modes, so sampling longer cannot raise it."
        if apart
        else f"About {needed} draws per chain would reach it at the current efficiency."
    )
    yield _finding(
        "SMP203",
        "warning",
        f"Low effective sample size for {count(len(low), 'element')}",
        (
            f"Bulk or tail ESS is below {threshold} ({min_ess_per_chain} per chain) for {len(low)} of "
            f"{found['elements']} elements (lowest: {shown}){left_out(trace)}."
        ),
        outlook=outlook,
        variables=tuple(low.index[:20]),
        evidence={
            "threshold": threshold,
            "ess_bulk": ess["ess_bulk"],
            "ess_tail": ess["ess_tail"],
            "count": len(low),
            "draws_needed": needed,
        },
        fix=MODES_FIX if apart else "Draw more, or reparameterize so the sampler mixes faster; thinning does not help.",
        fix_code="" if apart else more_draws,
        rerun=() if apart else (RerunStep("More draws at the current efficiency.", more_draws),),
        plots=(PlotRequest("trace", tuple(low.index[:3]), "Draws per chain of the least efficient elements"),),
    )


def mcse_above(trace: TraceView, max_mcse_ratio: float) -> pd.Series | None:
    """MCSE of the mean over the posterior sd, for the elements above ``max_mcse_ratio``, largest first."""
    table = diagnostics_table(trace)
    ratio = table["mcse_mean"] / table["sd"]
    high = ratio[ratio > max_mcse_ratio].sort_values(ascending=False)
    return high if len(high) else None


@_rule("SMP204", "high-mcse", severity="info", params={"max_mcse_ratio": 0.1})
def high_mcse(subject: Subject, max_mcse_ratio: float) -> Iterator[Finding]:
    """Monte Carlo error large against the posterior's spread.

    What it checks: ArviZ's MCSE of the mean divided by the posterior standard deviation.

    Why it matters: the reported posterior mean is uncertain by about one MCSE from Monte Carlo
    noise alone; above 10% of the sd, the second digit of a summary is noise.

    Threshold: MCSE / sd above `max_mcse_ratio` (default 0.1, as shinystan).

    Example: a 2-chain run of 50 draws.

    Fix: more effective draws: run longer, or reparameterize so the sampler mixes faster; when the
    chains sit in separate modes (SMP202), identify the model or report the modes instead.
    """
    trace = subject.trace
    high = mcse_above(trace, max_mcse_ratio)
    if high is None:
        return
    shown = ", ".join(f"`{label}` {value:.0%}" for label, value in high.head(5).items())
    apart = chains_apart(trace, high.index[0])
    yield _finding(
        "SMP204",
        "info",
        f"Large Monte Carlo error for {count(len(high), 'element')}",
        (
            f"The MCSE of the mean exceeds {max_mcse_ratio:.0%} of the posterior sd for "
            f"{count(len(high), 'element')} ({shown}){left_out(trace)}."
        ),
        variables=tuple(high.index[:20]),
        evidence={"mcse_over_sd": {label: round(float(v), 4) for label, v in high.head(20).items()}},
        fix=MODES_FIX if apart else "Draw more or reparameterize; report fewer digits until then.",
        fix_code="" if apart else remedies.sample_call(trace.sampler, draws=max(4 * trace.draws, 1000)),
    )
