"""Priors as causes: a coefficient only its vague prior holds, and priors that fight the model or the data."""

from __future__ import annotations

from collections.abc import Sequence

from pymc_doctor import remedies
from pymc_doctor.diagnoses import measures, steps, symptoms
from pymc_doctor.diagnoses.units import Evidence, diagnosis
from pymc_doctor.finding import Diagnosis, Finding, PlanStep
from pymc_doctor.subject import Subject
from pymc_doctor.wording import names

# A posterior shifted this many prior sds from the prior's center, with an sd at least this share of the
# prior's, is held by the data on one side only: separation, or a likelihood that barely constrains it.
TAIL_SHIFT = 1.0
PRIOR_SD_SHARE = 0.4
# MOD601's share of observed values outside the prior predictive above which the priors exclude the data.
EXCLUDED_SHARE = 0.5


def find_vague_prior(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    trace, model = subject.trace, subject.model
    if trace is None or model is None or not symptoms.of(findings, "SMP101", *symptoms.CONVERGENCE):
        return None
    free = [rv.name for rv in model.free_RVs if rv.name in trace.posterior]
    in_tail = [
        position
        for position in measures.prior_positions(trace, model, free)
        if abs(position["shift"]) >= TAIL_SHIFT and position["sd_ratio"] >= PRIOR_SD_SHARE
    ]
    labels = [position["label"] for position in in_tail]
    bases = {symptoms.base(label) for label in labels}
    explained = [
        *filter(None, [symptoms.divergences_at(findings, labels)]),
        *symptoms.convergence_about(findings, bases),
    ]
    if not explained:
        return None
    explained += [*symptoms.of(findings, "SMP102")]
    explained += [f for f in symptoms.of(findings, "MOD601") if f.evidence.get("culprit") in bases]
    facts = {"in_prior_tail": [{k: round(v, 3) if isinstance(v, float) else v for k, v in p.items()} for p in in_tail]}
    return Evidence(findings=tuple(explained), facts=facts, variables=tuple(dict.fromkeys(map(symptoms.base, labels))))


@diagnosis("DX301", "vague-prior", detect=find_vague_prior, precedence=25)
def vague_prior(evidence: Evidence, subject: Subject) -> Diagnosis:
    """A coefficient that only its vague prior holds: separation, or an unbounded likelihood.

    What it means: when a predictor splits the outcomes of a logistic regression perfectly
    (separation), the likelihood keeps rising with its coefficient; under a vague prior the
    posterior runs into the prior's tail and only the prior stops it. NUTS then takes long
    trajectories through a wide, flat region, and the estimate says more about the prior than
    about the data.

    Evidence: given the model (for its prior draws), a posterior whose mean sits a prior sd or more
    from the prior's center while its sd stays at 40% or more of the prior's, with divergences
    there or R-hat, ESS or MCSE trouble (SMP201, SMP203, SMP204) on it; tree depth saturation
    (SMP102) and a prior predictive too wide because of it (MOD601) are the same cause.

    Treatment: look for the predictor that separates the outcomes; give the coefficient a weakly
    informative prior (Normal(0, 2.5) on a standardized predictor, Gelman et al. 2008).
    """
    tail = evidence.facts["in_prior_tail"]
    shown = "; ".join(
        f"`{p['label']}` {p['shift']:+.1f} prior sds from the prior's center, sd {p['sd_ratio']:.0%} of the prior's"
        for p in tail[:3]
    )
    prior_steps = [
        steps.weak_prior(
            f"Give `{name}` a weakly informative prior, for a standardized predictor (the lasting fix).",
            name,
            remedies.prior_code(
                name, "Normal", {"mu": "0", "sigma": str(remedies.WEAKLY_INFORMATIVE_SD)}, subject.trace.dims_of(name)
            ),
        )
        for name in evidence.variables
    ]
    return evidence.diagnosis(
        title=f"{names(evidence.variables)} held only by a vague prior",
        cause=(
            f"The posterior sits in the prior's tail with nearly the prior's spread ({shown}): the data bound "
            "it on one side at most (separation, in a logistic regression), and the prior does the rest."
        ),
        steps=prior_steps,
    )


def _causes(findings: Sequence[Finding]) -> list[Finding]:
    """Priors that allow forbidden values (MOD101), a failing start (MOD201), priors that exclude the data."""
    excluding = [f for f in symptoms.of(findings, "MOD601") if f.evidence.get("share_outside", 0) > EXCLUDED_SHARE]
    return [*symptoms.of(findings, "MOD101", "MOD201"), *excluding]


def _blamed_priors(causes: Sequence[Finding]) -> list[str]:
    """The free variables whose priors the cause findings blame (MOD201 may blame an observed term instead)."""
    blamed = []
    for cause in causes:
        if cause.code == "MOD101":
            blamed.append(cause.variables[0])
        elif cause.code == "MOD601" and cause.evidence.get("culprit"):
            blamed.append(cause.evidence["culprit"])
        elif cause.code == "MOD201":
            blamed += [term["term"] for term in cause.evidence.get("terms", []) if "start" in term]
    return list(dict.fromkeys(blamed))


def find_prior_conflict(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    causes = _causes(findings)
    named = {symptoms.base(label) for f in causes for label in f.variables}
    explained = [
        *causes,
        *filter(None, [symptoms.divergences_at(findings, named)]),
        *symptoms.convergence_about(findings, named),
        *(symptoms.of(findings, "SMP104", "SMP105") if causes else []),
    ]
    if len(explained) < 2:
        return None
    return Evidence(
        findings=tuple(explained),
        facts={"causes": [{"code": f.code, "variables": list(f.variables)} for f in causes]},
        variables=tuple(_blamed_priors(causes)),
    )


def _repair(cause: Finding) -> PlanStep:
    """The step a cause finding's own fix makes (a model finding's fix code is a fix of the model)."""
    if cause.code == "MOD101":
        return PlanStep(
            f"Give `{cause.variables[0]}` a prior on positive values (the lasting fix).",
            cause.fix_code,
            lasting=True,
            cost=steps.REWRITE,
            action={"kind": "positive_prior", "variable": cause.variables[0]},
        )
    if cause.code == "MOD601":
        return steps.by_hand("Set the priors at the data's scale (the lasting fix).", cause.fix_code, lasting=True)
    return steps.by_hand(
        "Evaluate each term at the start to see what still fails there.",
        f"{remedies.model_variable()}.debug()",
        cost=steps.LOOK,
    )


@diagnosis("DX302", "prior-conflict", detect=find_prior_conflict, precedence=5)
def prior_conflict(evidence: Evidence, subject: Subject) -> Diagnosis:
    """Priors that fight the model's constraints or the data, and the bad start they make.

    What it means: a prior that gives weight to values the model forbids (a negative scale), or
    priors that exclude the observed data, put the sampler where the log-probability is -inf or
    far from the data: the start fails, chains stick, steps collapse and divergences follow.

    Evidence: MOD101 (a positive parameter's prior allows negative values), MOD201 (a non-finite
    log-probability at the start) or MOD601 with most data outside the prior predictive, together
    with another of them or a symptom on the variables they name (divergences, R-hat, ESS, a
    collapsed step size, stuck chains).

    Treatment: `model.debug()` shows what fails at the start; a prior on the parameter's support
    (MOD101's fix) and priors at the data's scale (MOD601's) remove the cause.
    """
    causes = [f for f in evidence.findings if f.code in ("MOD101", "MOD201", "MOD601")]
    repairs = list({step.code: step for step in map(_repair, causes)}.values())
    priors = f"The priors of {names(evidence.variables)}" if evidence.variables else "The priors"
    return evidence.diagnosis(
        title=f"{priors} fight the model or the data",
        cause=(
            f"{priors} put weight where the model or the data allow none, so the sampler starts or steps where "
            "the log-probability is -inf."
        ),
        confidence="high" if {"MOD101", "MOD201"} <= {f.code for f in causes} else "medium",
        steps=repairs,
    )
