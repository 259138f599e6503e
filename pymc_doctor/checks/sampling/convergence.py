"""Whether the chains agree: R-hat and chains in separate modes (SMP201, SMP202).

How much the draws tell (ESS, MCSE) is in ``efficiency``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from pymc_doctor import remedies
from pymc_doctor.checks.sampling.finite import finite_labels, nonfinite_draws
from pymc_doctor.checks.sampling.rhat_noise import healthy_chance
from pymc_doctor.diagnostics import diagnostics_of
from pymc_doctor.finding import Finding, PlotRequest, RerunStep, finding_builder
from pymc_doctor.registry import CannotCheck, rule_family
from pymc_doctor.remedies.modes import chain_means_code, smc_code
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.wording import chain_list, count, names

_finding = finding_builder("sampling")
_rule = rule_family("sampling", needs=("trace",))

# Chain means this many within-chain sds apart sit in separate modes (SMP202's default).
MODE_SEPARATION = 3.0
# What R-hat and ESS findings advise instead of a longer run when the chains sit in separate modes.
MODES_FIX = (
    "The chains sit in separate modes (SMP202): sampling longer will not mix them. Make the model identifiable "
    "(an order or sign constraint), give priors that rule a spurious mode out, or report the modes."
)


def diagnostics_table(trace: TraceView) -> pd.DataFrame:
    """The per-element diagnostics table, when R-hat and ESS can be computed at all, without the elements
    that hold a draw that is not finite (SMP401 names them, and says these statistics leave them out)."""
    if trace.draws < 4:
        raise CannotCheck(f"{trace.draws} draws per chain are too few to compute R-hat and ESS")
    if not trace.variable_names():
        raise CannotCheck("the posterior has no numeric variables")
    # ``row``: the element's position in the trace's table, its one key where labels repeat.
    table = diagnostics_of(trace).table
    table = table.assign(row=np.arange(len(table)))
    finite = finite_labels(trace)
    if finite is None:
        return table
    if not finite:
        raise CannotCheck("every element has draws that are not finite (SMP401): R-hat, ESS and MCSE are undefined")
    return table[table["label"].isin(finite)]


def left_out(trace: TraceView) -> str:
    """`` (`theta` left out: draws that are not finite, SMP401)`` for a message, or "" when none is."""
    found = nonfinite_draws(trace)
    return f" ({names(found)} left out: draws that are not finite, SMP401)" if found else ""


def rhat_above(trace: TraceView, max_rhat: float, error_rhat: float, false_alarm: float) -> dict[str, Any] | None:
    """The elements with R-hat above ``max_rhat``, worst first, split into those healthy chains would
    not give (``flagged``: beyond ``error_rhat``, or with a chance below ``false_alarm`` shared over
    all the elements tested) and those within their noise (``noise``); each a Series by label, with
    ``chance`` per label and the number of ``elements`` tested."""
    table = diagnostics_table(trace)
    finite = np.isfinite(table["rhat"])
    if not finite.any():
        raise CannotCheck("R-hat is undefined for every variable (constant draws)")
    rows = table[table["rhat"] > max_rhat].sort_values("rhat", ascending=False)
    if not len(rows):
        return None
    high, elements = rows["rhat"], int(finite.sum())
    chance = healthy_chance(trace, rows["row"].to_numpy(), high.to_numpy())
    beyond = (high.to_numpy() > error_rhat) | (chance < false_alarm / elements)
    chances = dict(zip(high.index, chance.tolist(), strict=True))
    return {"flagged": high[beyond], "noise": high[~beyond], "chance": chances, "elements": elements}


def chains_apart(trace: TraceView, label: str) -> bool:
    """Whether an element's whole chains sit in groups more than ``MODE_SEPARATION`` within-chain sds apart."""
    diagnostics = diagnostics_of(trace)
    # Labels repeat when a trace's coordinates do; the first element of that label speaks for them.
    row = int(np.atleast_1d(np.arange(len(diagnostics.table))[diagnostics.table.index.get_loc(label)])[0])
    means, within = diagnostics.chain_mean[row], float(np.sqrt(np.mean(diagnostics.chain_var[row])))
    if not (np.isfinite(means).all() and np.isfinite(within) and within > 0):
        return False
    return len(mode_groups(means, within, MODE_SEPARATION)) > 1


def shown_rhat(rhat: pd.Series) -> dict[str, float]:
    """The first 20 R-hat values rounded once, to the 4 significant digits that the message and the
    report's evidence table both print, so the two never show one value differently."""
    return {label: float(f"{value:.4g}") for label, value in rhat.head(20).items()}


@_rule("SMP201", "rhat", severity="warning", params={"max_rhat": 1.01, "error_rhat": 1.1, "false_alarm": 0.01})
def high_rhat(subject: Subject, max_rhat: float, error_rhat: float, false_alarm: float) -> Iterator[Finding]:
    """Chains that disagree: rank-normalized split R-hat above what healthy chains give.

    What it checks: ArviZ's rank-normalized split R-hat (Vehtari et al. 2021) for every scalar
    element of every posterior variable, against the spread that chains sampling one stationary
    distribution give at that element's mixing, with every element tested counted.

    Why it matters: R-hat compares the variance between and within (split) chains; chains that
    have not converged to the same distribution put it above 1, and estimates mix their differences.

    The noise: healthy chains put R-hat above 1 too. For `m` split chains of `n` draws,
    R-hat^2 = (n - 1) / n + B / (n W); the variance of a split chain's mean is the within-chain
    variance times tau / n (tau the integrated autocorrelation time), so
    T = (R-hat^2 - (n - 1) / n) ESS_w / m follows about an F(m - 1, d) distribution, with
    ESS_w = m n / tau and d the draws over the autocorrelation window summed. tau is measured
    within each split chain around its own mean (corrected for that centring), on the ranks and on
    the folded ranks, which rank-normalized R-hat takes the larger of; ArviZ's ESS would not do,
    since shifted chains lower it and so would excuse themselves. At 10,000 parameters of 4 x 1,000
    AR(1) draws (rho 0.75) about 1,400 elements exceed 1.01 by chance alone; R-hat - 1 at its
    expected maximum grows with tau and with the log of the number of elements tested.

    Threshold: an element is flagged when its R-hat exceeds `max_rhat` (default 1.01) and healthy
    chains give one as large with a chance below `false_alarm` (default 0.01) divided by the number
    of elements tested (Bonferroni: one false alarm in a hundred healthy traces, however large);
    or when it exceeds `error_rhat` (default 1.1, the classic threshold, an error), whatever the
    noise. Values above `max_rhat` within the noise are reported as a note.

    Example: ArviZ's `bimodal` trace has R-hat far above 1.1 for `x`.

    Fix: a longer warm-up and more draws, or a reparameterization that mixes faster. When the worst
    element's chains sit in separate modes (SMP202), sampling longer never mixes them: the fix is
    then an identifiable model (an order or sign constraint), priors that rule a spurious mode out,
    or reporting the modes.
    """
    trace = subject.trace
    found = rhat_above(trace, max_rhat, error_rhat, false_alarm)
    if found is None:
        return
    high, noise, elements = found["flagged"], found["noise"], found["elements"]
    if not len(high):
        yield _within_noise(noise, found["chance"], max_rhat, elements)
        return
    rhat = shown_rhat(high)
    shown = ", ".join(f"`{label}` {value:.4g}" for label, value in list(rhat.items())[:5])
    more = f" and {len(high) - 5} more" if len(high) > 5 else ""
    excused = f" {count(len(noise), 'other element')} above {max_rhat} are within that noise." if len(noise) else ""
    draws = max(2 * trace.draws, 1000)
    longer_run = remedies.sample_call(trace.sampler, draws=draws, tune=draws, chains=max(trace.chains, 4))
    apart = chains_apart(trace, high.index[0])
    yield _finding(
        "SMP201",
        "error" if high.iloc[0] > error_rhat else "warning",
        f"R-hat above {max_rhat} for {count(len(high), 'element')}",
        (
            f"Rank-normalized split R-hat exceeds {max_rhat}, beyond what healthy chains give at their ESS "
            f"among {elements} elements, for {len(high)} of them (worst: {shown}{more}){left_out(trace)}. The "
            f"chains have not converged to the same distribution.{excused}"
        ),
        variables=tuple(high.index[:20]),
        evidence={
            "rhat": rhat,
            "count": len(high),
            "within_noise": len(noise),
        },
        fix=MODES_FIX if apart else "Run longer (more tuning and draws), with at least 4 chains.",
        fix_code="" if apart else longer_run,
        rerun=() if apart else (RerunStep("Longer warm-up and more draws, with at least 4 chains.", longer_run),),
        plots=(PlotRequest("rank", tuple(high.index[:4]), "Rank plots of the worst elements"),),
    )


def _within_noise(noise: pd.Series, chance: dict[str, float], max_rhat: float, elements: int) -> Finding:
    """The note for R-hat values above ``max_rhat`` that healthy chains give at their ESS."""
    rhat = shown_rhat(noise)
    shown = ", ".join(f"`{label}` {value:.4g}" for label, value in list(rhat.items())[:5])
    return _finding(
        "SMP201",
        "info",
        f"R-hat above {max_rhat} for {count(len(noise), 'element')}, within the noise",
        (
            f"R-hat exceeds {max_rhat} for {len(noise)} of {elements} elements ({shown}), as healthy chains "
            "give at these elements' ESS when this many are tested."
        ),
        variables=tuple(noise.index[:20]),
        evidence={
            "rhat": rhat,
            "chance_healthy": {label: round(chance[label], 4) for label in noise.index[:20]},
            "count": len(noise),
        },
        fix="Nothing to do for R-hat: these values are what chains that agree give by chance.",
    )


def chain_halves(trace: TraceView, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean and variance (ddof=1) of each half of each chain, as (segment, element) arrays, and the
    draws in each segment; segment ``s`` is a half of chain ``s % chains``. Chains of fewer than 4
    draws stay whole.

    Halves, as in split R-hat, see a chain that moved from one mode to the other: its whole-chain
    mean lies between the modes, and its variance spans both.
    """
    bounds = (0, trace.draws // 2, trace.draws) if trace.draws >= 4 else (0, trace.draws)
    means, variances = [], []
    for _, _, values in trace.draw_blocks([name]):
        halves = [values[:, start:stop].astype(np.float64) for start, stop in itertools.pairwise(bounds)]
        means.append(np.concatenate([half.mean(axis=1) for half in halves]))
        variances.append(np.concatenate([half.var(axis=1, ddof=1) for half in halves]))
    return np.concatenate(means, axis=1), np.concatenate(variances, axis=1), np.repeat(np.diff(bounds), trace.chains)


def mode_groups(means: np.ndarray, within_sd: float, separation: float) -> list[list[int]]:
    """Group chains (or their halves) whose means lie within ``separation`` within-chain sds of each other."""
    order = np.argsort(means)
    groups = [[int(order[0])]]
    for previous, current in itertools.pairwise(order):
        if (means[current] - means[previous]) > separation * within_sd:
            groups.append([])
        groups[-1].append(int(current))
    return groups


def half_modes(means: np.ndarray, within_sd: float, separation: float, chains: int) -> list[list[int]]:
    """``mode_groups`` of the chains' halves, where neighbouring groups that each hold only halves of the same
    one chain merge: a chain drifting where no other chain goes is in one mode, not two."""
    merged: list[list[int]] = []
    for group in mode_groups(means, within_sd, separation):
        owners = {segment % chains for segment in group}
        if merged and len(owners) == 1 and owners == {segment % chains for segment in merged[-1]}:
            merged[-1] += group
        else:
            merged.append(group)
    return merged


def _modes_by_chain(groups: list[list[int]], means: np.ndarray, lengths: np.ndarray, chains: int) -> dict[str, list]:
    """Per mode, the chains with a half in it and their mean there, in increasing order of that mean."""
    modes, members = [], []
    for group in groups:
        halves = {
            chain: [s for s in group if s % chains == chain] for chain in dict.fromkeys(s % chains for s in group)
        }
        mean_of = {chain: float(np.average(means[s], weights=lengths[s])) for chain, s in halves.items()}
        ordered = sorted(mean_of, key=mean_of.get)
        members.append(ordered)
        modes.append([round(mean_of[chain], 4) for chain in ordered])
    return {"modes": modes, "chains": members}


def separated_modes(trace: TraceView, separation: float) -> dict[str, Any] | None:
    """The elements whose chains sit in modes more than ``separation`` within-chain sds apart (label,
    mean per chain per mode, chains per mode), and the vector variables whose chains found the same
    values in a different order (``(name, size)``)."""
    if trace.chains < 2:
        raise CannotCheck("one chain cannot be compared with another")
    if trace.draws < 2:
        raise CannotCheck("one draw per chain has no within-chain spread")
    flagged, label_switching = [], []
    for name in trace.variable_names():
        means, variances, lengths = chain_halves(trace, name)
        within = np.sqrt(variances.mean(axis=0))
        usable = np.isfinite(within) & (within != 0) & np.isfinite(means).all(axis=0)
        # Groups split at a gap between sorted means; find the elements with one at once.
        gaps = np.diff(np.sort(means, axis=0), axis=0)
        labels = trace.element_labels(name)
        separated = 0
        for index in np.flatnonzero(usable & (gaps > separation * within).any(axis=0)):
            groups = half_modes(means[:, index], within[index], separation, trace.chains)
            if len(groups) > 1:
                separated += 1
                flagged.append(
                    {"label": labels[index], **_modes_by_chain(groups, means[:, index], lengths, trace.chains)}
                )
        if separated and means.shape[1] > 1:
            sorted_means = np.sort(means, axis=1)
            spread = sorted_means.max(axis=0) - sorted_means.min(axis=0)
            if (spread <= separation * within.max()).all():
                label_switching.append((name, means.shape[1]))
    return {"elements": flagged, "label_switching": label_switching} if flagged else None


@_rule("SMP202", "multimodal", severity="error", params={"min_mode_separation": MODE_SEPARATION})
def multimodal_chains(subject: Subject, min_mode_separation: float) -> Iterator[Finding]:
    """Chains that sit in different modes.

    What it checks: for each scalar element, whether the means of the chains' halves fall into
    groups separated by more than `min_mode_separation` within-chain standard deviations (halves,
    so that a chain that moved from one mode to the other counts in both; a chain that drifts
    where no other chain goes counts once), and for vector variables whether the chains found the
    same values in a different order (label switching).

    Why it matters: chains in different modes never mix; running longer does not help, and pooling
    them averages over modes. Common causes: non-identified parameters (label switching in mixtures,
    sign flips in factor models), a multimodal likelihood, or a chain stuck in a minor mode.

    Threshold: means of chain halves separated by more than `min_mode_separation` (default 3)
    within-chain sds.

    Example: a two-component mixture whose chains each settled on a different labeling.

    Fix: for label switching, order the components so that one labeling exists. Otherwise see which
    mode each chain found: report real modes (or sample with SMC, which weights them), and rule a
    spurious one out with a constraint (a sign, an order) or a stronger prior. Starting every chain
    at one point (`init="adapt_diag"`) is not a fix: it hides the other modes, and leaves label
    switching in place.
    """
    trace = subject.trace
    found = separated_modes(trace, min_mode_separation)
    if found is None:
        return
    flagged, label_switching = found["elements"], found["label_switching"]
    first = flagged[0]
    groups = "; ".join(
        f"{chain_list(chains)} near {np.mean(values):.3g}"
        for chains, values in zip(first["chains"], first["modes"], strict=True)
    )
    message = (
        f"For {count(len(flagged), 'element')} ({names(f['label'] for f in flagged)}) "
        f"the chains sit in separate modes: for `{first['label']}`, {groups}. Running longer will not mix them."
    )
    if label_switching:
        switched = ", ".join(f"`{name}`" for name, _ in label_switching)
        message += f" The chains found the same values of {switched} in a different order: label switching."
        name, size = label_switching[0]
        fix = f"Order the components of `{name}` so that only one labeling exists."
        fix_code = remedies.ordered_code(name, size, trace.dims_of(name))
        rerun: tuple[RerunStep, ...] = ()
    else:
        # Starting every chain at one point only hides the other modes; they need identifying or reporting.
        fix = (
            "See which mode each chain found and whether both are real (each mode's log density). A real mode "
            "is reported, or weighted by SMC, whose tempering moves between modes; a spurious one (a sign "
            "flip, a non-identified parameter) is ruled out by a constraint or a stronger prior."
        )
        fix_code = chain_means_code(trace.owner_of(first["label"]))
        rerun = (RerunStep("Sample with SMC, which moves between the modes and weights them.", smc_code()),)
    yield _finding(
        "SMP202",
        "error",
        "Chains in different modes",
        message,
        variables=tuple(f["label"] for f in flagged[:20]),
        evidence={"elements": flagged[:20], "count": len(flagged), "label_switching": [n for n, _ in label_switching]},
        fix=fix,
        fix_code=fix_code,
        rerun=rerun,
        plots=(PlotRequest("trace", tuple(f["label"] for f in flagged[:2]), "Draws per chain"),),
    )
