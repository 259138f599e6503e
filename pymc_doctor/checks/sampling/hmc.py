"""How the sampler moved: tree depth, E-BFMI, step size (SMP102-104) and chains that do not move (SMP105).

Divergences (SMP101), with where they sit, have a module of their own (``divergences``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from pymc_doctor import engine, remedies
from pymc_doctor.finding import Finding, PlotRequest, RerunStep, finding_builder
from pymc_doctor.registry import CannotCheck, rule_family
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.wording import chain_list, count

_finding = finding_builder("sampling")
_rule = rule_family("sampling", needs=("nuts",))


def required_stat(trace: TraceView, name: str) -> np.ndarray:
    """A sampler statistic the check cannot do without, as a (chain, draw) array."""
    values = trace.stat(name)
    if values is None:
        raise CannotCheck(f"the {trace.sampler} trace does not record `{name}`")
    return values


def depth_saturation(trace: TraceView, max_share: float) -> dict[str, Any] | None:
    """The share of draws that hit the maximum tree depth, overall and per chain, when a chain exceeds ``max_share``."""
    hit = required_stat(trace, "max_depth_hit").astype(bool)
    per_chain = hit.mean(axis=1)
    if per_chain.max() <= max_share:
        return None
    return {"share": float(hit.mean()), "per_chain": per_chain, "above": np.flatnonzero(per_chain > max_share)}


@_rule("SMP102", "tree-depth", severity="warning", params={"max_treedepth_share": 0.05})
def tree_depth_saturation(subject: Subject, max_treedepth_share: float) -> Iterator[Finding]:
    """Transitions that stopped at the maximum tree depth.

    What it checks: the share of post-warm-up draws whose trajectory hit the sampler's maximum
    tree depth (PyMC and nutpie record a flag; for numpyro and blackjax the depth is compared
    with the maximum, 10 by default).

    Why it matters: a saturated tree is cut short before it makes a U-turn, so the sampler moves
    less per draw and runs slowly. It is an efficiency problem, usually from strongly correlated
    parameters or parameters on very different scales.

    Threshold: more than `max_treedepth_share` (default 5%, as PyMC) of the draws of any chain.

    Example: a correlated multivariate normal sampled with `max_treedepth=3`.

    Fix: a dense mass matrix (`init="jitter+adapt_full"`) or rescaled parameters, then a higher
    maximum depth.
    """
    trace = subject.trace
    found = depth_saturation(trace, max_treedepth_share)
    if found is None:
        return
    per_chain = found["per_chain"]
    depth = trace.max_tree_depth or 10
    dense_mass_matrix = remedies.sample_call(trace.sampler, init="jitter+adapt_full")
    yield _finding(
        "SMP102",
        "warning",
        "Tree depth saturated",
        (
            f"{found['share']:.1%} of draws hit the maximum tree depth of {depth} "
            f"(worst: chain {int(per_chain.argmax())} at {per_chain.max():.1%}; "
            f"{chain_list(found['above'])} above {max_treedepth_share:.0%}). Trajectories were cut short, "
            "so the sampler explored slowly."
        ),
        evidence={"share": found["share"], "per_chain_share": per_chain.round(4).tolist(), "max_tree_depth": depth},
        fix="Adapt a dense mass matrix (or rescale parameters to unit scale), then raise the maximum tree depth.",
        fix_code=dense_mass_matrix,
        rerun=(
            RerunStep("Learn the correlations: a dense mass matrix (PyMC's own NUTS).", dense_mass_matrix),
            RerunStep(
                f"Allow longer trajectories: maximum depth {depth + 2}.",
                remedies.sample_call(trace.sampler, max_treedepth=depth + 2),
            ),
        ),
    )


def low_ebfmi_chains(trace: TraceView, min_ebfmi: float) -> dict[str, Any] | None:
    """E-BFMI per chain (ArviZ's), and the chains below ``min_ebfmi``, when there are any."""
    energy = required_stat(trace, "energy")
    if trace.draws < 3:
        raise CannotCheck("E-BFMI needs at least 3 draws per chain")
    values = engine.bfmi(energy)
    low = np.flatnonzero(values < min_ebfmi)
    return {"ebfmi": values, "below": low} if len(low) else None


@_rule("SMP103", "low-ebfmi", severity="warning", params={"min_ebfmi": 0.3})
def low_ebfmi(subject: Subject, min_ebfmi: float) -> Iterator[Finding]:
    """Low energy Bayesian fraction of missing information (E-BFMI).

    What it checks: E-BFMI per chain from the sampler's energy, as ArviZ computes it.

    Why it matters: a low E-BFMI means the momentum resampling cannot move the sampler far enough
    in energy to explore the tails; the posterior has heavy tails or a funnel the sampler only
    partly reaches. PyMC itself never computes it.

    Threshold: below `min_ebfmi` (default 0.3, as CmdStan and ArviZ) in any chain.

    Example: chain 0 of ArviZ's `centered_eight` has E-BFMI 0.29.

    Fix: reparameterize (non-centered hierarchies, tighter priors on scales); a longer warm-up
    helps only a little.
    """
    trace = subject.trace
    found = low_ebfmi_chains(trace, min_ebfmi)
    if found is None:
        return
    values, low = found["ebfmi"], found["below"]
    yield _finding(
        "SMP103",
        "warning",
        "Low E-BFMI",
        (
            f"E-BFMI is below {min_ebfmi} in {chain_list(low)} "
            f"(per chain: {', '.join(f'{v:.3f}' for v in values)}). The sampler cannot move far enough in "
            "energy to explore the posterior's tails."
        ),
        evidence={"ebfmi": values.round(4).tolist(), "chains_below": low.tolist()},
        fix="Reparameterize: heavy tails and funnels (often a centered hierarchy) cause this; "
        "look at the variables the divergences point to, and at the energy plot.",
        fix_code="import arviz as az\n\naz.plot_energy(idata)",
        rerun=(
            RerunStep(
                "Longer warm-up (helps when adaptation had too little time).",
                remedies.sample_call(trace.sampler, tune=2000),
            ),
        ),
        plots=(PlotRequest("energy", (), "Marginal energy against energy transitions"),),
    )


def collapsed_step_sizes(trace: TraceView, min_step_size: float, max_ratio: float) -> dict[str, Any] | None:
    """Each chain's final step size, and the chains whose step size is below ``min_step_size`` or more than
    ``max_ratio`` times below the median of the others (``{chain: (step size, ratio)}``)."""
    final = required_stat(trace, "step_size")[:, -1].astype(float)
    collapsed = {}
    for chain, value in enumerate(final):
        others = np.delete(final, chain)
        ratio = float(np.median(others) / value) if len(others) and value > 0 else 1.0
        if value < min_step_size or ratio > max_ratio:
            collapsed[chain] = (float(value), ratio)
    return {"final": final, "collapsed": collapsed} if collapsed else None


@_rule("SMP104", "step-size-collapse", severity="warning", params={"min_step_size": 1e-3, "max_step_size_ratio": 10.0})
def step_size_collapse(subject: Subject, min_step_size: float, max_step_size_ratio: float) -> Iterator[Finding]:
    """A chain whose adapted step size collapsed.

    What it checks: each chain's step size after warm-up, against an absolute floor and against
    the other chains.

    Why it matters: a tiny step size means the warm-up met a region of extreme curvature (a funnel's
    neck, a nearly degenerate scale) and the chain crawls; a chain whose step size is far below
    the others' adapted to a different part of the posterior than they did.

    Threshold: below `min_step_size` (default 1e-3), or more than `max_step_size_ratio`
    (default 10) times smaller than the median of the other chains.

    Example: a chain of Neal's funnel that spent its warm-up deep in the neck.

    Fix: reparameterize the region of high curvature; a longer warm-up; initialize all chains
    from the same well-behaved region.
    """
    trace = subject.trace
    found = collapsed_step_sizes(trace, min_step_size, max_step_size_ratio)
    if found is None:
        return
    final, collapsed = found["final"], found["collapsed"]
    details = "; ".join(f"chain {c}: {v:.2g} ({r:.0f}x below the others)" for c, (v, r) in collapsed.items())
    longer_warmup = remedies.sample_call(trace.sampler, tune=2000)
    yield _finding(
        "SMP104",
        "warning",
        "Step size collapsed",
        (
            f"The adapted step size collapsed in {chain_list(collapsed)} ({details}; "
            f"all chains: {', '.join(f'{v:.2g}' for v in final)}). Those chains move very slowly."
        ),
        evidence={"step_size": final.tolist(), "collapsed_chains": list(collapsed)},
        fix="Find the region of extreme curvature (funnels, scales near zero) and reparameterize it; "
        "give the warm-up more steps.",
        fix_code=longer_warmup,
        rerun=(
            RerunStep("A longer warm-up.", longer_warmup),
            RerunStep(
                "Start every chain near the center of the prior instead of a jittered point.",
                remedies.sample_call(trace.sampler, init="adapt_diag"),
            ),
        ),
    )


def stuck_chains(trace: TraceView, min_move_share: float, min_acceptance: float) -> dict[str, Any] | None:
    """Per chain, the share of draws in which any value changed and the mean acceptance (None when not
    recorded), and the chains below either threshold (``stuck``), when there are any."""
    if trace.draws < 2:
        raise CannotCheck("a chain of one draw cannot move")
    names = trace.variable_names()
    if not names:
        raise CannotCheck("the posterior has no numeric variables")
    if trace.sampler == "smc":
        raise CannotCheck("SMC draws are independent particles, not a chain")
    moved = np.zeros((trace.chains, trace.draws - 1), dtype=bool)
    for _, _, values in trace.draw_blocks(names):
        moved |= (np.diff(values.astype(np.float64), axis=1) != 0).any(axis=2)
    move_share = moved.mean(axis=1)
    accept = trace.stat("accept")
    mean_accept = np.nanmean(accept, axis=1) if accept is not None else None
    stuck = set(np.flatnonzero(move_share < min_move_share).tolist())
    if mean_accept is not None:
        stuck |= set(np.flatnonzero(mean_accept < min_acceptance).tolist())
    if not stuck:
        return None
    return {"move_share": move_share, "mean_acceptance": mean_accept, "stuck": sorted(stuck)}


@_rule(
    "SMP105", "stuck-chain", severity="error", needs=("trace",), params={"min_move_share": 0.1, "min_acceptance": 0.05}
)
def stuck_chain(subject: Subject, min_move_share: float, min_acceptance: float) -> Iterator[Finding]:
    """A chain that does not move.

    What it checks: per chain, the share of draws in which any posterior value changed, and the
    mean acceptance statistic where the sampler records one.

    Why it matters: a stuck chain contributes the same point over and over; its draws are not a
    sample, and every summary that includes them is wrong.

    Threshold: values change in fewer than `min_move_share` (default 10%) of draws, or the mean
    acceptance is below `min_acceptance` (default 0.05).

    Example: Metropolis with a proposal scale far too large for the posterior.

    Fix: use NUTS for continuous variables; for Metropolis, let it tune its proposal; check the
    starting point with `model.debug()`.
    """
    trace = subject.trace
    found = stuck_chains(trace, min_move_share, min_acceptance)
    if found is None:
        return
    move_share, mean_accept, stuck = found["move_share"], found["mean_acceptance"], found["stuck"]
    details = "; ".join(
        f"chain {c}: moved in {move_share[c]:.0%} of draws"
        + (f", mean acceptance {mean_accept[c]:.2f}" if mean_accept is not None else "")
        for c in stuck
    )
    continuous = trace.sampler in ("metropolis", "slice")
    default_nuts = remedies.nuts_instead_call(trace.sampler, tune=2000)
    yield _finding(
        "SMP105",
        "error",
        count(len(stuck), "stuck chain"),
        f"{chain_list(stuck)} barely moved ({details}). Their draws repeat the same point.",
        evidence={
            "move_share": move_share.round(4).tolist(),
            "mean_acceptance": mean_accept.round(4).tolist() if mean_accept is not None else None,
            "stuck_chains": stuck,
        },
        fix=(
            "Sample continuous variables with NUTS (drop the `step=` argument), "
            if continuous
            else "Check the starting point (`model.debug()`), give the warm-up more steps, "
        )
        + "and discard these chains' draws until a re-run mixes.",
        fix_code=f"{remedies.model_variable()}.debug()\n" + default_nuts,
        rerun=(RerunStep("Re-run with the default NUTS step and a longer warm-up.", default_nuts),),
        plots=(PlotRequest("trace", tuple(trace.element_labels(trace.variable_names()[0])[:2]), "Draws per chain"),),
    )
