"""Geometry a diagonal mass matrix cannot follow: a ridge of correlated parameters, or scales far apart."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pymc_doctor import remedies
from pymc_doctor.diagnoses import measures, steps, symptoms
from pymc_doctor.diagnoses.units import Evidence, diagnosis
from pymc_doctor.finding import Diagnosis, Finding, PlanStep, PlotRequest
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.wording import names

# Within-chain correlation that makes a ridge (MOD502's default too), and one over all draws so close to
# one that only the priors hold the parameters apart.
STRONG_CORRELATION = 0.95
NON_IDENTIFIED = 0.999
# Posterior sds this many times apart need a mass matrix the warm-up may not learn in time.
SCALE_SPAN = 1e3
# Findings a ridge shows in: divergences, tree depth, step size, modes, convergence.
RIDGE_SYMPTOMS = ("SMP101", "SMP102", "SMP104", "SMP202", *symptoms.CONVERGENCE)


def _candidates(findings: Sequence[Finding], subject: Subject) -> list[str]:
    """The elements the symptoms name, or else the least efficient ones; free variables only when the
    model says which are (a deterministic follows its inputs without being a ridge)."""
    labels = list(dict.fromkeys(label for f in symptoms.of(findings, *RIDGE_SYMPTOMS) for label in f.variables))
    if len(labels) < 2:
        labels = measures.least_efficient(subject.trace)
    if subject.model is not None:
        free = {rv.name for rv in subject.model.free_RVs}
        labels = [label for label in labels if symptoms.base(label) in free]
    return labels


def find_ridge(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    trace = subject.trace
    if trace is None or not symptoms.of(findings, *RIDGE_SYMPTOMS, "MOD502"):
        return None
    candidates = _candidates(findings, subject)
    pairs = measures.strongest_pairs(trace, candidates, STRONG_CORRELATION)
    if not pairs:
        return None
    paired = {label for a, b, *_ in pairs for label in (a, b)}
    correlated = [label for label in candidates if label in paired]
    bases = {symptoms.base(label) for label in correlated}
    modes = symptoms.first(findings, "SMP202")
    geometric = [
        *symptoms.of(findings, "SMP102", "SMP104"),
        *([modes] if modes is not None and set(modes.variables) <= set(correlated) else []),
        *filter(None, [symptoms.divergences_at(findings, correlated)]),
        *(f for f in symptoms.of(findings, "MOD502") if bases & set(f.variables)),
    ]
    if not geometric:  # R-hat or ESS alone: a deterministic follows its inputs as closely as a ridge
        return None
    overall = pairs[0][3]
    facts = {
        "correlations": [
            {"pair": [a, b], "within_chains": round(r, 4), "all_draws": round(r_all, 4)}
            for a, b, r, r_all in pairs[:10]
        ],
        "non_identified": abs(overall) >= NON_IDENTIFIED or bool(symptoms.of(geometric, "MOD502")),
    }
    explained = (*geometric, *symptoms.convergence_about(findings, bases))
    return Evidence(findings=explained, facts=facts, variables=tuple(correlated[:20]))


def _lasting_fix(evidence: Evidence) -> list[PlanStep]:
    identified = symptoms.first(evidence.findings, "MOD502")
    if identified is not None:
        return [
            steps.by_hand("Remove the redundancy MOD502 names (the lasting fix).", identified.fix_code, lasting=True)
        ]
    if not evidence.facts["non_identified"]:
        return []
    a, b = evidence.facts["correlations"][0]["pair"]
    correlation = evidence.facts["correlations"][0]["all_draws"]
    combined = f"{a} + {b}" if correlation < 0 else f"{a} - {b}"
    return [
        steps.by_hand(
            f"Remove the redundancy: the data inform `{combined}`, not `{a}` and `{b}` apart (correlation "
            f"{correlation:.4f} over all draws). Keep one parameter for `{combined}`, or give `{a}` and `{b}` "
            "priors that say how to share it (the lasting fix).",
            "",  # which parameter to keep is the user's choice: there is no code to write for them
            lasting=True,
        )
    ]


@diagnosis("DX102", "ridge", detect=find_ridge, precedence=30)
def ridge(evidence: Evidence, subject: Subject) -> Diagnosis:
    """Non-identified or strongly correlated parameters: a ridge.

    What it means: when the data inform only a combination of parameters (two intercepts whose
    sum is all the likelihood sees, collinear predictors), the posterior is a long, thin ridge.
    NUTS with a diagonal mass matrix needs tiny steps across it and long trajectories along it.

    Evidence: a within-chain correlation of 0.95 or more between elements the symptoms name (or the
    least efficient ones), measured on the draws; chains in different places along the ridge look
    like modes. It explains tree depth saturation (SMP102), a collapsed step size (SMP104), those
    elements' divergences, separated chains and R-hat, ESS or MCSE trouble, and MOD502 (the model's
    own non-identification check) when the model is given.

    Treatment: a dense mass matrix (`init="jitter+adapt_full"`) follows a correlated ridge; when
    the parameters are not identified (correlation ±0.999, or MOD502), remove the redundancy.
    """
    facts = evidence.facts
    strongest = facts["correlations"][0]
    a, b = strongest["pair"]
    kind = "not identified apart" if facts["non_identified"] else "strongly correlated"
    cause = (
        f"`{a}` and `{b}` are {kind}: their draws correlate at {strongest['within_chains']:.4f} within each "
        f"chain ({strongest['all_draws']:.4f} over all draws), a ridge that NUTS crosses with tiny steps and "
        "follows with long trajectories. More draws only crawl further along it."
    )
    return evidence.diagnosis(
        title=f"A ridge: {names(evidence.variables, 4)} are {kind}",
        cause=cause,
        confidence="high" if len(evidence.codes) >= 3 else "medium" if len(evidence.codes) == 2 else "low",
        steps=[
            steps.resample(subject, "Learn the correlations: a dense mass matrix.", init="jitter+adapt_full"),
            *_lasting_fix(evidence),
        ],
        plots=[PlotRequest("pair", (a, b), f"The ridge: {b} against {a}, divergent draws apart")],
    )


def find_scales(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    trace = subject.trace
    saturation = symptoms.of(findings, "SMP102", "SMP104")
    if trace is None or not saturation:
        return None
    sds = measures.posterior_sds(trace)
    if len(sds) < 2:
        return None
    smallest, largest = min(sds, key=sds.get), max(sds, key=sds.get)
    span = sds[largest] / sds[smallest]
    if span < SCALE_SPAN:
        return None
    extremes = {smallest, largest}
    modes = symptoms.first(findings, "SMP202")  # chains that crawl at the large scale look like separate modes
    crawling = [modes] if modes is not None and {symptoms.base(label) for label in modes.variables} <= extremes else []
    explained = [*saturation, *crawling, *symptoms.convergence_about(findings, extremes)]
    facts = {"sd": {name: float(f"{sd:.3g}") for name, sd in sds.items()}, "span": float(f"{span:.3g}")}
    return Evidence(findings=tuple(explained), facts=facts, variables=(smallest, largest))


def _rescaled(trace: TraceView, name: str, sd: float) -> str:
    factor = f"{10 ** round(math.log10(sd)):g}"
    dims, shape = trace.declared_shape(name)
    return (
        f"# declare it on the unit scale and scale it back (its posterior sd is about {sd:.2g}):\n"
        + remedies.rescaled_code(name, factor, dims, shape)
    )


@diagnosis("DX103", "scales", detect=find_scales, precedence=35)
def scales(evidence: Evidence, subject: Subject) -> Diagnosis:
    """Parameters on very different scales.

    What it means: NUTS moves every parameter with steps of one size, rescaled by the mass matrix
    the warm-up learns. Posterior sds orders of magnitude apart leave the warm-up to learn a huge
    range; until it has, the smallest scale sets the step and the largest needs thousands of them.

    Evidence: posterior sds (largest element of each variable) spanning 1,000 times or more,
    with tree depth saturation (SMP102) or a collapsed step size (SMP104); R-hat, ESS or MCSE
    trouble on the smallest- or largest-scale variable is the same cause.

    Treatment: a dense mass matrix, or nutpie, whose adaptation learns scales sooner; the lasting
    fix declares the outlying parameters on the unit scale and multiplies them back.
    """
    smallest, largest = evidence.variables
    sds = evidence.facts["sd"]
    # a span of 1,000 puts at least one of them 30 times away from the unit scale
    rescale = [name for name in (largest, smallest) if abs(math.log10(sds[name])) >= 1]
    cause = (
        f"The posterior sd of `{largest}` ({sds[largest]:.3g}) is {evidence.facts['span']:.3g} times that of "
        f"`{smallest}` ({sds[smallest]:.3g}): one step size cannot suit both until the warm-up has learned them."
    )
    lasting = steps.by_hand(
        f"Put {names(rescale)} on the unit scale (the lasting fix).",
        "\n".join(_rescaled(subject.trace, name, sds[name]) for name in rescale),
        lasting=True,
    )
    return evidence.diagnosis(
        title=f"Parameters on very different scales: {names(evidence.variables)}",
        cause=cause,
        steps=[
            steps.resample(subject, "Learn each parameter's scale: a dense mass matrix.", init="jitter+adapt_full"),
            *steps.switch_sampler(subject, "nutpie", "its warm-up learns scales from the gradients sooner"),
            lasting,
        ],
    )
