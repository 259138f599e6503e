"""Separation: a predictor that splits a binary outcome, so only the prior bounds its coefficient."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pymc_doctor import remedies
from pymc_doctor.diagnoses import steps, symptoms
from pymc_doctor.diagnoses.units import Evidence, diagnosis
from pymc_doctor.finding import Diagnosis, Finding, PlanStep
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.wording import names

# On the logit scale a coefficient of 10 turns a unit step of its predictor into odds 22,000 times
# larger: no plausible effect, only a likelihood that keeps rising until the prior stops it.
LOGIT_EXTREME = 10.0


def _explained(findings: Sequence[Finding], coefficients: set[str]) -> list[Finding]:
    """The symptoms on the coefficients: their divergences, R-hat, ESS and MCSE, and a prior predictive
    too wide because of them; tree depth saturation comes with them."""
    found = [
        *filter(None, [symptoms.divergences_at(findings, coefficients)]),
        *symptoms.convergence_about(findings, coefficients),
    ]
    if not found:
        return []
    return [
        *found,
        *symptoms.of(findings, "SMP102"),
        *(f for f in symptoms.of(findings, "MOD601") if f.evidence.get("culprit") in coefficients),
    ]


def _posterior_means(trace: TraceView | None, coefficients: Sequence[str]) -> dict[str, float]:
    if trace is None:
        return {}
    means = {}
    for name in coefficients:
        if name in trace.posterior:
            draws = trace.draws_of(name)
            means[name] = round(float(np.max(np.abs(draws.reshape(-1, *draws.shape[2:]).mean(axis=0)))), 3)
    return means


def _from_data(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    from pymc_doctor.modelgraph.separation import find_separations

    separations = find_separations(subject.model)
    coefficients = list(dict.fromkeys(s["coefficient"] for s in separations))
    explained = _explained(findings, set(coefficients))
    if not explained:
        return None
    for split in separations:
        split["threshold"] = float(f"{split['threshold']:.4g}")
    facts = {
        "source": "data",
        "separations": separations,
        "largest_abs_mean": _posterior_means(subject.trace, coefficients),
    }
    return Evidence(findings=tuple(explained), facts=facts, variables=tuple(coefficients))


def _binary_outcome(trace: TraceView) -> bool:
    """Whether the trace's observed data hold a 0/1 outcome (what a logistic regression is fitted to)."""
    observed = trace.fit_groups.get("observed_data")
    if observed is None:
        return False
    for values in observed.data_vars.values():
        array = np.asarray(values)
        if array.size and np.isin(array, (0, 1)).all() and len(np.unique(array)) == 2:
            return True
    return False


def _from_trace(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    trace = subject.trace
    if trace is None or not _binary_outcome(trace):
        return None
    symptomatic = symptoms.of(findings, "SMP101", *symptoms.CONVERGENCE)
    named = {symptoms.base(label) for f in symptomatic for label in f.variables}
    means = _posterior_means(trace, sorted(named))
    extreme = [name for name, mean in means.items() if mean > LOGIT_EXTREME]
    explained = _explained(findings, set(extreme))
    if not explained:
        return None
    facts = {"source": "trace", "separations": [], "largest_abs_mean": {name: means[name] for name in extreme}}
    return Evidence(findings=tuple(explained), facts=facts, variables=tuple(extreme))


def find_separation(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    """From the data when the model is given (a predictor splits the 0s and 1s); from the trace alone
    otherwise (a coefficient of a 0/1 outcome far beyond any plausible effect on the logit scale)."""
    if subject.model is not None:
        return _from_data(findings, subject)
    return _from_trace(findings, subject)


def _split_text(split: dict) -> str:
    column = "" if split["column"] is None else f" (column {split['column']})"
    coefficient = f"the predictor of `{split['coefficient']}`"
    predictor = f"`{split['predictor']}`{column}" if split["predictor"] else coefficient
    other = "below" if split["ones"] == "above" else "above"
    kind = "" if split["complete"] else ", some of each at it (quasi-complete)"
    return (
        f"{predictor} splits `{split['outcome']}`: every 1 lies {split['ones']} {split['threshold']:g} and "
        f"every 0 {other}{kind}"
    )


def _prior_step(name: str, predictor: str | None, subject: Subject) -> PlanStep:
    dims = subject.trace.dims_of(name) if subject.trace is not None and name in subject.trace.posterior else ()
    return steps.weak_prior(
        f"Give `{name}` a weakly informative prior on the standardized scale (the lasting fix).",
        name,
        remedies.standardized_prior_code(name, predictor, dims),
    )


@diagnosis("DX303", "separation", detect=find_separation, precedence=15)
def separation(evidence: Evidence, subject: Subject) -> Diagnosis:
    """Separation: a predictor splits a binary outcome, and only the prior bounds its coefficient.

    What it means: when a threshold on one predictor puts every 0 of a logistic (Bernoulli, or
    Binomial with one trial) outcome on one side and every 1 on the other, the likelihood keeps
    rising as that predictor's coefficient grows: no finite estimate exists. Under a vague prior
    the posterior runs far into the prior's tail, where NUTS wanders a wide, flat region: the
    divergences, R-hat and ESS trouble on that coefficient all come from it, and the estimate says
    more about the prior than about the data.

    Evidence: given the model, a predictor column (a constant or `pm.Data`, alone or in a design
    matrix) multiplied by a free coefficient in the linear predictor of a 0/1 likelihood, that
    splits the observed outcomes by a threshold (ties at it: quasi-complete separation), with
    divergences at that coefficient or R-hat, ESS or MCSE trouble on it. From a trace alone, with
    a 0/1 outcome among its observed data: a coefficient with those symptoms whose posterior mean
    is beyond 10 in absolute value, an effect no logit-scale coefficient plausibly has. Tree depth
    saturation (SMP102) and a prior predictive too wide because of the coefficient (MOD601) are the
    same cause.

    Treatment: standardize the predictor and give its coefficient a weakly informative prior,
    Normal(0, 2.5) (Gelman et al. 2008): the estimate stays finite and says what the data allow.
    More draws or a higher `target_accept` do not help: the posterior is as wide as the prior.
    """
    facts = evidence.facts
    separations = facts["separations"]
    means = facts["largest_abs_mean"]
    far = "; ".join(f"`{name}` reaches |mean| {mean:g}" for name, mean in means.items())
    if separations:
        cause = "; ".join(_split_text(split) for split in separations[:3]) + ". "
    else:
        cause = f"The posterior of a 0/1 outcome's coefficient sits beyond any plausible logit-scale effect ({far}). "
    cause += (
        f"The likelihood keeps rising as {names(evidence.variables)} grows, so only the prior stops it"
        + (f" ({far})" if separations and far else "")
        + ", and the sampler wanders the wide, flat region in between."
    )
    predictors = {split["coefficient"]: split["predictor"] for split in reversed(separations)}
    return evidence.diagnosis(
        title=f"Separation: only the prior bounds {names(evidence.variables)}",
        cause=cause,
        confidence="high" if separations else "medium",
        steps=[_prior_step(name, predictors.get(name), subject) for name in evidence.variables],
    )
