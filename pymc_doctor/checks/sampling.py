"""Post-sampling checks: what the trace says about how well the sampler explored the posterior."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np
from scipy import stats as scipy_stats

from pymc_doctor import engine, remedies
from pymc_doctor.finding import Finding, PlotRequest, RerunStep, Severity
from pymc_doctor.registry import CannotCheck, rule
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView

SAMPLING = "sampling"


def _chain_list(chains) -> str:
    chains = [int(c) for c in chains]
    return f"chain {chains[0]}" if len(chains) == 1 else "chains " + ", ".join(map(str, chains))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _finding(code: str, severity: Severity, title: str, message: str, **fields) -> Finding:
    return Finding(code=code, severity=severity, category=SAMPLING, title=title, message=message, docs=code, **fields)


def _names(labels, limit: int = 5) -> str:
    labels = list(labels)
    shown = ", ".join(f"`{label}`" for label in labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def _required_stat(trace: TraceView, name: str) -> np.ndarray:
    values = trace.stat(name)
    if values is None:
        raise CannotCheck(f"the {trace.sampler} trace does not record `{name}`")
    return values


def _diagnosable(trace: TraceView) -> None:
    if trace.draws < 4:
        raise CannotCheck(f"{trace.draws} draws per chain are too few to compute R-hat and ESS")
    if not trace.variable_names():
        raise CannotCheck("the posterior has no numeric variables")


# ---------------------------------------------------------------------------------------------
# Where divergences sit


def divergence_locations(trace: TraceView, limit: int = 3) -> list[dict]:
    """Elements whose divergent draws sit furthest from the rest, by mean percentile.

    Percentiles make variables of any scale comparable: divergences at the 5th percentile of ``tau``
    while the other draws average the 50th is the signature of a funnel at small ``tau``. The
    diagnostics engine computes them with the other per-element statistics; variables with a
    draw that is not finite are left out.
    """
    diagnostics = trace.diagnostics
    inside, outside = diagnostics.divergent_percentile, diagnostics.other_percentile
    if inside is None:
        return []
    comparable = np.zeros(len(inside), dtype=bool)
    for name in trace.variable_names():
        rows = diagnostics.rows_of(name)
        comparable[rows] = np.isfinite(inside[rows]).all()
    candidates = np.flatnonzero(comparable)
    # Largest distance first, ties in trace order (as a stable sort in reverse).
    order = np.argsort(-np.abs(inside[candidates] - outside[candidates]), kind="stable")
    located = []
    for index in candidates[order[:limit]]:
        name = diagnostics.table["variable"].iat[index]
        element = int(index) - diagnostics.rows_of(name).start
        located.append(
            {
                "variable": name,
                "label": diagnostics.table["label"].iat[index],
                "divergent_percentile": float(inside[index]),
                "other_percentile": float(outside[index]),
                "positive": bool((trace.draws_of(name, (element, element + 1)) > 0).all()),
            }
        )
    return located


def centered_hierarchy(trace: TraceView, scale: str) -> tuple[str, str | None] | None:
    """Find ``group ~ Normal(location, scale)`` from the draws alone.

    In a centered hierarchy the spread of ``group``'s elements follows ``scale`` draw by draw, and
    the mean of its elements follows ``location``.
    """
    log_scale = np.log(trace.draws_of(scale).reshape(-1))
    best: tuple[float, str] | None = None
    for name in trace.variable_names():
        values = trace.draws_of(name)
        if name == scale or values.shape[2] < 2:
            continue
        spread = np.log(values.reshape(-1, values.shape[2]).std(axis=1) + 1e-300)
        correlation = scipy_stats.spearmanr(log_scale, spread).statistic
        if np.isfinite(correlation) and correlation > 0.5 and (best is None or correlation > best[0]):
            best = (float(correlation), name)
    if best is None:
        return None
    group = best[1]
    group_mean = trace.draws_of(group).reshape(trace.chains * trace.draws, -1).mean(axis=1)
    location, location_correlation = None, 0.5
    for name in trace.variable_names():
        values = trace.draws_of(name)
        if name in (scale, group) or values.shape[2] != 1:
            continue
        correlation = scipy_stats.spearmanr(values.reshape(-1), group_mean).statistic
        if np.isfinite(correlation) and correlation > location_correlation:
            location, location_correlation = name, float(correlation)
    return group, location


def _divergence_plots(trace: TraceView, clear: list[dict], hierarchy) -> tuple[PlotRequest, ...]:
    """Divergent draws over the two coordinates that show where they sit (a funnel: scale against group)."""
    if hierarchy:
        pair = (clear[0]["label"], trace.element_labels(hierarchy[0])[0])
    elif len(clear) >= 2:
        pair = (clear[0]["label"], clear[1]["label"])
    else:
        return ()
    return (PlotRequest("pair", pair, f"Divergent draws over {pair[0]} and {pair[1]}"),)


def _hierarchy(subject: Subject, scale: str) -> tuple[str, str, str | None, tuple[str, ...], bool] | None:
    """``(group, scale spelling, location, dims, from the graph)`` of a centered child of ``scale``.

    With the model, its graph answers (and a model without such a child rules it out); without, the draws.
    """
    model = subject.model
    if model is not None and scale in model.named_vars:
        from pymc_doctor.modelgraph import centered_children

        children = [c for c in centered_children(model, scale) if c.group in subject.trace.variable_names()]
        if not children:
            return None
        child = children[0]
        return child.group, child.scale, child.location, child.dims, True
    found = centered_hierarchy(subject.trace, scale)
    if found is None:
        return None
    return found[0], scale, found[1], subject.trace.dims_of(found[0]), False


@rule(
    "SMP101",
    "divergences",
    category=SAMPLING,
    severity="error",
    needs=("nuts",),
    params={"max_divergences": 0, "error_share": 0.001, "min_to_locate": 5},
)
def divergences(subject: Subject, max_divergences: int, error_share: float, min_to_locate: int) -> Iterator[Finding]:
    """Divergent transitions after tuning.

    What it checks: the number of post-warm-up NUTS transitions marked divergent, per chain, and
    which variables the divergent draws sit at (their mean percentile against the other draws).

    Why it matters: a divergence means the integrator left the region where the posterior's
    geometry could be followed (typically a funnel in a hierarchical model). The draws near it are
    missing, so the sample is biased even when R-hat looks fine.

    Threshold: more than `max_divergences` (default 0) divergent transitions, as in Stan and PyMC.
    They are an error when they exceed `error_share` (default 0.1%) of the draws or concentrate at
    one variable, and a warning otherwise (a stray one or two, which a higher `target_accept`
    usually removes). Where they sit is estimated from `min_to_locate` (default 5) divergences on.

    Example: ArviZ's `centered_eight` has 19 divergences, concentrated at small `tau`.

    Fix: raise `target_accept` (0.95, 0.99) for a few stray divergences; for many, or ones that sit
    at small values of a scale, rewrite the hierarchy non-centered; then try another
    initialization or the nutpie sampler.
    """
    trace = subject.trace
    diverging = _required_stat(trace, "diverging").astype(bool)
    count = int(diverging.sum())
    if count <= max_divergences:
        return
    total = diverging.size
    per_chain = diverging.sum(axis=1).astype(int).tolist()
    located = divergence_locations(trace) if count >= min_to_locate else []
    clear = [loc for loc in located if abs(loc["divergent_percentile"] - loc["other_percentile"]) >= 0.15]
    severity = "error" if clear or count / total > error_share else "warning"
    message = (
        f"{count} of {total} draws after tuning ({count / total:.1%}) diverged "
        f"(per chain: {', '.join(map(str, per_chain))})."
    )
    hierarchy = None
    if clear:
        top = clear[0]
        where = "small" if top["divergent_percentile"] < top["other_percentile"] else "large"
        message += (
            f" They sit at {where} values of `{top['label']}`: on average at its "
            f"{top['divergent_percentile']:.0%} percentile, against {top['other_percentile']:.0%} for the other draws."
        )
        if where == "small" and top["positive"] and top["variable"] == top["label"]:
            hierarchy = _hierarchy(subject, top["variable"])
            if hierarchy and hierarchy[4]:
                message += (
                    f" In the model, `{hierarchy[0]}` ~ Normal({hierarchy[2] or 0}, {hierarchy[1]}): a centered "
                    "hierarchy, whose funnel the sampler cannot enter."
                )
            elif hierarchy:
                message += (
                    f" The spread of `{hierarchy[0]}` follows `{top['variable']}` draw by draw: a centered "
                    "hierarchy, whose funnel the sampler cannot enter."
                )
    elif located:
        message += " They are spread over the posterior rather than concentrated at one variable."

    rerun = [
        RerunStep(
            "Take smaller steps: raise target_accept (cheap; removes a few stray divergences).",
            remedies.sample_call(trace.sampler, target_accept=0.95),
        )
    ]
    fix = "Raise target_accept; if divergences remain, reparameterize the variable they point to."
    fix_code = rerun[0].code
    if hierarchy:
        group, scale, location, dims, _ = hierarchy
        rewrite = remedies.noncentered_code(group, scale, location, dims)
        fix = f"Rewrite `{group}` non-centered: sample a standard normal offset and scale it by `{scale}`."
        fix_code = rewrite
        rerun.append(RerunStep(f"Non-centered parameterization of `{group}` (the lasting fix).", rewrite))
    elif clear:
        rerun.append(
            RerunStep(
                f"Reparameterize `{clear[0]['variable']}`: a tighter prior, a non-centered form, or "
                "sampling it on the log scale; call `model.debug()` to see its constraints.",
                remedies.sample_call(trace.sampler, target_accept=0.99),
            )
        )
    rerun.append(
        RerunStep(
            "Try the nutpie sampler, whose mass-matrix adaptation copes better with hard geometry.",
            remedies.sample_call("nutpie", target_accept=0.95),
        )
    )
    yield _finding(
        "SMP101",
        severity,
        f"{_count(count, 'divergent transition')} after tuning",
        message,
        variables=tuple(loc["label"] for loc in clear),
        evidence={
            "divergences": count,
            "draws": total,
            "share": count / total,
            "per_chain": per_chain,
            "locations": {
                loc["label"]: {
                    "divergent_percentile": round(loc["divergent_percentile"], 3),
                    "other_percentile": round(loc["other_percentile"], 3),
                }
                for loc in clear
            },
        },
        fix=fix,
        fix_code=fix_code,
        rerun=tuple(rerun),
        plots=_divergence_plots(trace, clear, hierarchy),
    )


@rule(
    "SMP102",
    "tree-depth",
    category=SAMPLING,
    severity="warning",
    needs=("nuts",),
    params={"max_treedepth_share": 0.05},
)
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
    hit = _required_stat(trace, "max_depth_hit").astype(bool)
    per_chain = hit.mean(axis=1)
    if per_chain.max() <= max_treedepth_share:
        return
    depth = trace.max_tree_depth or 10
    bad_chains = np.flatnonzero(per_chain > max_treedepth_share)
    dense_mass_matrix = remedies.sample_call(trace.sampler, init="jitter+adapt_full")
    yield _finding(
        "SMP102",
        "warning",
        "Tree depth saturated",
        (
            f"{hit.mean():.1%} of draws hit the maximum tree depth of {depth} "
            f"(worst: chain {int(per_chain.argmax())} at {per_chain.max():.1%}; "
            f"{_chain_list(bad_chains)} above {max_treedepth_share:.0%}). Trajectories were cut short, "
            "so the sampler explored slowly."
        ),
        evidence={
            "share": float(hit.mean()),
            "per_chain_share": per_chain.round(4).tolist(),
            "max_tree_depth": depth,
        },
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


@rule(
    "SMP103",
    "low-ebfmi",
    category=SAMPLING,
    severity="warning",
    needs=("nuts",),
    params={"min_ebfmi": 0.3},
)
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
    energy = _required_stat(trace, "energy")
    if trace.draws < 3:
        raise CannotCheck("E-BFMI needs at least 3 draws per chain")
    values = engine.bfmi(energy)
    low = np.flatnonzero(values < min_ebfmi)
    if not len(low):
        return
    yield _finding(
        "SMP103",
        "warning",
        "Low E-BFMI",
        (
            f"E-BFMI is below {min_ebfmi} in {_chain_list(low)} "
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


@rule(
    "SMP104",
    "step-size-collapse",
    category=SAMPLING,
    severity="warning",
    needs=("nuts",),
    params={"min_step_size": 1e-3, "max_step_size_ratio": 10.0},
)
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
    step = _required_stat(trace, "step_size")
    final = step[:, -1].astype(float)
    collapsed = {}
    for chain, value in enumerate(final):
        others = np.delete(final, chain)
        ratio = float(np.median(others) / value) if len(others) and value > 0 else 1.0
        if value < min_step_size or ratio > max_step_size_ratio:
            collapsed[chain] = (float(value), ratio)
    if not collapsed:
        return
    details = "; ".join(f"chain {c}: {v:.2g} ({r:.0f}x below the others)" for c, (v, r) in collapsed.items())
    longer_warmup = remedies.sample_call(trace.sampler, tune=2000)
    yield _finding(
        "SMP104",
        "warning",
        "Step size collapsed",
        (
            f"The adapted step size collapsed in {_chain_list(collapsed)} ({details}; "
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


@rule(
    "SMP105",
    "stuck-chain",
    category=SAMPLING,
    severity="error",
    needs=("trace",),
    params={"min_move_share": 0.1, "min_acceptance": 0.05},
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
        return
    stuck_list = sorted(stuck)
    details = "; ".join(
        f"chain {c}: moved in {move_share[c]:.0%} of draws"
        + (f", mean acceptance {mean_accept[c]:.2f}" if mean_accept is not None else "")
        for c in stuck_list
    )
    continuous = trace.sampler in ("metropolis", "slice")
    default_nuts = remedies.sample_call(None, tune=2000)
    yield _finding(
        "SMP105",
        "error",
        _count(len(stuck_list), "stuck chain"),
        f"{_chain_list(stuck_list)} barely moved ({details}). Their draws repeat the same point.",
        evidence={
            "move_share": move_share.round(4).tolist(),
            "mean_acceptance": mean_accept.round(4).tolist() if mean_accept is not None else None,
            "stuck_chains": stuck_list,
        },
        fix=(
            "Sample continuous variables with NUTS (drop the `step=` argument), "
            if continuous
            else "Check the starting point (`model.debug()`), give the warm-up more steps, "
        )
        + "and discard these chains' draws until a re-run mixes.",
        fix_code=f"{remedies.MODEL}.debug()\n" + default_nuts,
        rerun=(RerunStep("Re-run with the default NUTS step and a longer warm-up.", default_nuts),),
        plots=(PlotRequest("trace", tuple(trace.element_labels(names[0])[:2]), "Draws per chain"),),
    )


# ---------------------------------------------------------------------------------------------
# Convergence


@rule(
    "SMP201",
    "rhat",
    category=SAMPLING,
    severity="warning",
    needs=("trace",),
    params={"max_rhat": 1.01, "error_rhat": 1.1},
)
def high_rhat(subject: Subject, max_rhat: float, error_rhat: float) -> Iterator[Finding]:
    """Chains that disagree: rank-normalized split R-hat above the threshold.

    What it checks: ArviZ's rank-normalized split R-hat (Vehtari et al. 2021) for every scalar
    element of every posterior variable, naming the worst.

    Why it matters: R-hat compares the variance between and within (split) chains; above 1.01
    the chains have not converged to the same distribution, and estimates mix their differences.

    Threshold: above `max_rhat` (default 1.01) is a warning; above `error_rhat` (default 1.1, the
    classic threshold) an error.

    Example: ArviZ's `centered_eight` has R-hat 1.03 for `tau`.

    Fix: more tuning and draws when values are just above 1.01; when chains sit in different modes
    (see SMP202), better initialization or priors instead.
    """
    trace = subject.trace
    _diagnosable(trace)
    table = trace.diagnostics.table
    rhat = table["rhat"]
    if not np.isfinite(rhat).any():
        raise CannotCheck("R-hat is undefined for every variable (constant draws)")
    high = table[rhat > max_rhat].sort_values("rhat", ascending=False)
    if high.empty:
        return
    worst = float(high["rhat"].iloc[0])
    severity = "error" if worst > error_rhat else "warning"
    shown = ", ".join(f"`{label}` {value:.3f}" for label, value in high["rhat"].head(5).items())
    more = f" and {len(high) - 5} more" if len(high) > 5 else ""
    draws = max(2 * trace.draws, 1000)
    longer_run = remedies.sample_call(trace.sampler, draws=draws, tune=draws, chains=max(trace.chains, 4))
    yield _finding(
        "SMP201",
        severity,
        f"R-hat above {max_rhat} for {_count(len(high), 'element')}",
        (
            f"Rank-normalized split R-hat exceeds {max_rhat} for {len(high)} of {len(table)} elements "
            f"(worst: {shown}{more}). The chains have not converged to the same distribution."
        ),
        variables=tuple(high["label"].head(20)),
        evidence={
            "rhat": {label: round(float(v), 4) for label, v in high["rhat"].head(20).items()},
            "count": len(high),
        },
        fix="Run longer (more tuning and draws) when R-hat is just above the threshold; if chains sit "
        "in different modes (SMP202), fix initialization, priors or identifiability instead.",
        fix_code=longer_run,
        rerun=(RerunStep("Longer warm-up and more draws, with at least 4 chains.", longer_run),),
        plots=(PlotRequest("rank", tuple(high["label"].head(4)), "Rank plots of the worst elements"),),
    )


def chain_modes(means: np.ndarray, within_sd: float, separation: float) -> list[list[int]]:
    """Group chains whose means lie within ``separation`` within-chain sds of each other."""
    order = np.argsort(means)
    groups = [[int(order[0])]]
    for previous, current in itertools.pairwise(order):
        if (means[current] - means[previous]) > separation * within_sd:
            groups.append([])
        groups[-1].append(int(current))
    return groups


@rule(
    "SMP202",
    "multimodal",
    category=SAMPLING,
    severity="error",
    needs=("trace",),
    params={"min_mode_separation": 3.0},
)
def multimodal_chains(subject: Subject, min_mode_separation: float) -> Iterator[Finding]:
    """Chains that sit in different modes.

    What it checks: for each scalar element, whether the chains' means fall into groups separated
    by more than `min_mode_separation` within-chain standard deviations, and for vector variables
    whether the chains found the same values in a different order (label switching).

    Why it matters: chains in different modes never mix; running longer does not help, and pooling
    them averages over modes. Common causes: non-identified parameters (label switching in mixtures,
    sign flips in factor models), a multimodal likelihood, or a chain stuck in a minor mode.

    Threshold: chain means separated by more than `min_mode_separation` (default 3) within-chain sds.

    Example: a two-component mixture whose chains each settled on a different labeling.

    Fix: make the model identifiable (an ordering constraint for exchangeable components, a sign
    constraint), use more informative priors, or start every chain in the same region.
    """
    trace = subject.trace
    if trace.chains < 2:
        raise CannotCheck("one chain cannot be compared with another")
    if trace.draws < 2:
        raise CannotCheck("one draw per chain has no within-chain spread")
    flagged = []
    label_switching = []
    diagnostics = trace.diagnostics
    for name in trace.variable_names():
        rows = diagnostics.rows_of(name)
        means = diagnostics.chain_mean[rows].T  # (chain, element)
        within = np.sqrt(diagnostics.chain_var[rows].T.mean(axis=0))
        usable = np.isfinite(within) & (within != 0) & np.isfinite(means).all(axis=0)
        # chain_modes splits at a gap between sorted chain means; find the elements with one at once.
        gaps = np.diff(np.sort(means, axis=0), axis=0)
        bad = np.flatnonzero(usable & (gaps > min_mode_separation * within).any(axis=0))
        labels = trace.element_labels(name)
        for index in bad:
            modes = chain_modes(means[:, index], within[index], min_mode_separation)
            flagged.append(
                {
                    "label": labels[index],
                    "modes": [[round(float(means[c, index]), 4) for c in m] for m in modes],
                    "chains": modes,
                }
            )
        if len(bad) and means.shape[1] > 1:
            sorted_means = np.sort(means, axis=1)
            spread = sorted_means.max(axis=0) - sorted_means.min(axis=0)
            if (spread <= min_mode_separation * within.max()).all():
                label_switching.append((name, means.shape[1]))
    if not flagged:
        return
    first = flagged[0]
    groups = "; ".join(
        f"{_chain_list(chains)} near {np.mean(values):.3g}"
        for chains, values in zip(first["chains"], first["modes"], strict=True)
    )
    message = (
        f"For {_count(len(flagged), 'element')} ({_names(f['label'] for f in flagged)}) "
        f"the chains sit in separate modes: for `{first['label']}`, {groups}. Running longer will not mix them."
    )
    same_start = remedies.sample_call(trace.sampler, init="adapt_diag")
    if label_switching:
        switched = ", ".join(f"`{name}`" for name, _ in label_switching)
        message += f" The chains found the same values of {switched} in a different order: label switching."
        name, size = label_switching[0]
        fix = f"Order the components of `{name}` so that only one labeling exists."
        fix_code = remedies.ordered_code(name, size, trace.dims_of(name))
    else:
        fix = (
            "Make the model identifiable or the priors more informative; if one mode is spurious, start all "
            "chains in the same region. More draws will not help."
        )
        fix_code = same_start
    yield _finding(
        "SMP202",
        "error",
        "Chains in different modes",
        message,
        variables=tuple(f["label"] for f in flagged[:20]),
        evidence={"elements": flagged[:20], "count": len(flagged), "label_switching": [n for n, _ in label_switching]},
        fix=fix,
        fix_code=fix_code,
        rerun=(RerunStep("Start every chain at the same well-behaved point (no jitter).", same_start),),
        plots=(PlotRequest("trace", tuple(f["label"] for f in flagged[:2]), "Draws per chain"),),
    )


@rule(
    "SMP203",
    "low-ess",
    category=SAMPLING,
    severity="warning",
    needs=("trace",),
    params={"min_ess_per_chain": 100},
)
def low_ess(subject: Subject, min_ess_per_chain: int) -> Iterator[Finding]:
    """Too few effective draws: low bulk or tail ESS.

    What it checks: ArviZ's bulk ESS (for the center of the distribution) and tail ESS (for the
    5% and 95% quantiles) for every scalar element.

    Why it matters: with strongly autocorrelated draws, means and intervals rest on few
    independent draws; below about 100 per chain even R-hat and the MCSE are unreliable.

    Threshold: bulk or tail ESS below `min_ess_per_chain` (default 100) times the number of chains.

    Example: ArviZ's `centered_eight` has a bulk ESS of about 240 for `mu`, below 400 for its 4 chains.

    Fix: more draws (the estimate of how many is in the evidence) and, better, a parameterization
    the sampler mixes well in; thinning does not raise ESS.
    """
    trace = subject.trace
    _diagnosable(trace)
    table = trace.diagnostics.table
    threshold = min_ess_per_chain * trace.chains
    lowest = table[["ess_bulk", "ess_tail"]].min(axis=1)
    low = table[lowest < threshold].assign(lowest=lowest[lowest < threshold]).sort_values("lowest")
    if low.empty:
        return
    worst = float(low["lowest"].iloc[0])
    needed_draws = int(math.ceil(trace.draws * threshold / max(worst, 1.0) / 100.0) * 100)
    shown = ", ".join(
        f"`{label}` bulk {row.ess_bulk:.0f} / tail {row.ess_tail:.0f}" for label, row in low.head(5).iterrows()
    )
    more_draws = remedies.sample_call(trace.sampler, draws=needed_draws)
    yield _finding(
        "SMP203",
        "warning",
        f"Low effective sample size for {_count(len(low), 'element')}",
        (
            f"Bulk or tail ESS is below {threshold} ({min_ess_per_chain} per chain) for {len(low)} of "
            f"{len(table)} elements (lowest: {shown}). About {needed_draws} draws per chain would reach it "
            "at the current efficiency."
        ),
        variables=tuple(low["label"].head(20)),
        evidence={
            "threshold": threshold,
            "ess_bulk": {label: round(float(v), 1) for label, v in low["ess_bulk"].head(20).items()},
            "ess_tail": {label: round(float(v), 1) for label, v in low["ess_tail"].head(20).items()},
            "count": len(low),
            "draws_needed": needed_draws,
        },
        fix="Draw more, or reparameterize so the sampler mixes faster; thinning does not help.",
        fix_code=more_draws,
        rerun=(RerunStep("More draws at the current efficiency.", more_draws),),
        plots=(PlotRequest("trace", tuple(low["label"].head(3)), "Draws per chain of the least efficient elements"),),
    )


@rule(
    "SMP204",
    "high-mcse",
    category=SAMPLING,
    severity="info",
    needs=("trace",),
    params={"max_mcse_ratio": 0.1},
)
def high_mcse(subject: Subject, max_mcse_ratio: float) -> Iterator[Finding]:
    """Monte Carlo error large against the posterior's spread.

    What it checks: ArviZ's MCSE of the mean divided by the posterior standard deviation.

    Why it matters: the reported posterior mean is uncertain by about one MCSE from Monte Carlo
    noise alone; above 10% of the sd, the second digit of a summary is noise.

    Threshold: MCSE / sd above `max_mcse_ratio` (default 0.1, as shinystan).

    Example: a 2-chain run of 50 draws.

    Fix: more effective draws: run longer, or reparameterize so the sampler mixes faster.
    """
    trace = subject.trace
    _diagnosable(trace)
    table = trace.diagnostics.table
    ratio = table["mcse_mean"] / table["sd"]
    high = (
        table[ratio > max_mcse_ratio].assign(ratio=ratio[ratio > max_mcse_ratio]).sort_values("ratio", ascending=False)
    )
    if high.empty:
        return
    shown = ", ".join(f"`{label}` {value:.0%}" for label, value in high["ratio"].head(5).items())
    yield _finding(
        "SMP204",
        "info",
        f"Large Monte Carlo error for {_count(len(high), 'element')}",
        (
            f"The MCSE of the mean exceeds {max_mcse_ratio:.0%} of the posterior sd for "
            f"{_count(len(high), 'element')} ({shown})."
        ),
        variables=tuple(high["label"].head(20)),
        evidence={"mcse_over_sd": {label: round(float(v), 4) for label, v in high["ratio"].head(20).items()}},
        fix="Draw more or reparameterize; report fewer digits until then.",
        fix_code=remedies.sample_call(trace.sampler, draws=max(4 * trace.draws, 1000)),
    )


# ---------------------------------------------------------------------------------------------
# Run set-up


@rule(
    "SMP301",
    "few-chains",
    category=SAMPLING,
    severity="warning",
    needs=("trace",),
    params={"min_chains": 4},
)
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
    if trace.chains >= min_chains:
        return
    single = trace.chains == 1
    more_chains = remedies.sample_call(trace.sampler, chains=min_chains)
    yield _finding(
        "SMP301",
        "warning" if single else "info",
        "A single chain" if single else f"Only {trace.chains} chains",
        (
            f"The trace has {trace.chains} chain{'' if single else 's'}; convergence is judged by "
            f"comparing at least {min_chains}."
        ),
        evidence={"chains": trace.chains},
        fix=f"Run at least {min_chains} chains.",
        fix_code=more_chains,
        rerun=(RerunStep(f"{min_chains} chains.", more_chains),),
    )


@rule(
    "SMP302",
    "few-draws",
    category=SAMPLING,
    severity="warning",
    needs=("trace",),
    params={"min_draws": 100},
)
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
    if trace.draws >= min_draws:
        return
    default_draws = remedies.sample_call(trace.sampler, draws=1000)
    yield _finding(
        "SMP302",
        "warning",
        f"Only {trace.draws} draws per chain",
        f"Each chain has {trace.draws} draws; diagnostics need at least {min_draws} to be trusted.",
        evidence={"draws": trace.draws},
        fix="Draw at least 1000 per chain.",
        fix_code=default_draws,
        rerun=(RerunStep("PyMC's default number of draws.", default_draws),),
    )


@rule(
    "SMP303",
    "short-tuning",
    category=SAMPLING,
    severity="warning",
    needs=("trace",),
    params={"min_tuning_steps": 200},
)
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
    if trace.sampler == "smc":
        raise CannotCheck("SMC has no warm-up phase")
    if trace.tuning_steps is None:
        raise CannotCheck("the trace does not record its number of tuning steps")
    if trace.tuning_steps >= min_tuning_steps:
        return
    default_warmup = remedies.sample_call(trace.sampler, tune=1000)
    yield _finding(
        "SMP303",
        "warning",
        f"Only {trace.tuning_steps} tuning steps",
        (
            f"The sampler tuned for {trace.tuning_steps} steps; adaptation needs at least {min_tuning_steps} "
            "to settle its step size and mass matrix."
        ),
        evidence={"tuning_steps": trace.tuning_steps},
        fix="Tune for at least 1000 steps.",
        fix_code=default_warmup,
        rerun=(RerunStep("PyMC's default warm-up.", default_warmup),),
    )
