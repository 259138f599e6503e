"""A random-walk sampler (Metropolis, slice) on continuous parameters, whose chains barely move or mix."""

from __future__ import annotations

from collections.abc import Sequence

from pymc_doctor import remedies
from pymc_doctor.diagnoses import steps, symptoms
from pymc_doctor.diagnoses.units import Evidence, diagnosis
from pymc_doctor.finding import Diagnosis, Finding, PlanStep
from pymc_doctor.remedies.sampling import DEFAULT_NUTS, GRADIENT_FREE_STEPS
from pymc_doctor.subject import Subject
from pymc_doctor.wording import names

# What a random walk shows: chains that do not move (SMP105), and R-hat, ESS and MCSE trouble.
SYMPTOMS = ("SMP105", *symptoms.CONVERGENCE)


def find_random_walk_sampler(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    """The stuck-chain and convergence findings of a trace sampled by Metropolis or slice steps alone (a
    compound run keeps such steps for its discrete variables, which NUTS cannot take)."""
    trace = subject.trace
    if trace is None or trace.sampler not in GRADIENT_FREE_STEPS:
        return None
    seen = symptoms.of(findings, *SYMPTOMS)
    if not seen:
        return None
    variables = tuple(dict.fromkeys(v for f in seen for v in f.variables))
    return Evidence(findings=tuple(seen), facts={"sampler": trace.sampler}, variables=variables)


@diagnosis("DX402", "random-walk-sampler", detect=find_random_walk_sampler, precedence=12)
def random_walk_sampler(evidence: Evidence, subject: Subject) -> Diagnosis:
    """A random-walk sampler on continuous parameters.

    What it means: Metropolis and slice steps move by proposals blind to the posterior's shape. On
    continuous parameters they take many draws to cross the posterior, or, with a proposal far from
    its scale, stay put; NUTS follows the log density's gradient and crosses it in a few draws. More
    draws of the same sampler only postpone the problem.

    Evidence: a trace sampled by Metropolis or slice steps alone (its sampler statistics), with stuck
    chains (SMP105), or R-hat, ESS or MCSE trouble (SMP201, SMP203, SMP204).

    Treatment: sample with NUTS (PyMC's default when no `step=` is given); keep Metropolis-family
    steps only for discrete variables, where PyMC assigns them itself.
    """
    sampler = evidence.facts["sampler"]
    name = GRADIENT_FREE_STEPS[sampler]
    switch = PlanStep(
        f"Sample with NUTS, not {name}: it follows the gradient across the posterior (the lasting fix).",
        remedies.nuts_instead_call(sampler),
        lasting=True,
        cost=steps.SWITCH,
        action={"kind": "sampler", "sampler": DEFAULT_NUTS},
    )
    shown = names(evidence.variables) if evidence.variables else "the parameters"
    return evidence.diagnosis(
        title=f"{name} steps cannot explore {shown}",
        cause=(
            f"The trace was sampled by {name} steps alone, whose proposals ignore the posterior's shape: "
            f"{'its chains barely move' if symptoms.first(evidence.findings, 'SMP105') else 'its chains mix slowly'}."
        ),
        steps=[switch],
    )
