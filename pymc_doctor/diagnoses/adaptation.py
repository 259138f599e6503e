"""A warm-up that did not finish adapting the step size and the mass matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pymc_doctor.diagnoses import measures, steps, symptoms
from pymc_doctor.diagnoses.units import Evidence, diagnosis
from pymc_doctor.finding import Diagnosis, Finding
from pymc_doctor.subject import Subject
from pymc_doctor.wording import chain_list, join_and

# Mean acceptance this far from the target: the step size did not settle (Betancourt's check is 0.9 x target).
ACCEPTANCE_GAP = 0.1
# PyMC's default warm-up.
DEFAULT_TUNE = 1000


def find_failed_adaptation(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    trace = subject.trace
    short, collapsed = symptoms.first(findings, "SMP303"), symptoms.first(findings, "SMP104")
    if trace is None or (short is None and collapsed is None):
        return None
    acceptance = measures.mean_acceptance(trace)
    target = measures.target_acceptance(trace)
    off = [] if acceptance is None else np.flatnonzero(np.abs(acceptance - target) > ACCEPTANCE_GAP).tolist()
    signs = [short is not None, collapsed is not None, bool(off)]
    if sum(signs) < 2:
        return None
    facts = {
        "tuning_steps": trace.tuning_steps,
        "target_accept": target,
        "acceptance": None if acceptance is None else acceptance.round(3).tolist(),
        "chains_off_target": off,
    }
    if collapsed is not None:
        facts["step_size"] = collapsed.evidence["step_size"]
    return Evidence(findings=tuple(f for f in (short, collapsed) if f is not None), facts=facts)


@diagnosis("DX401", "failed-adaptation", detect=find_failed_adaptation, precedence=70)
def failed_adaptation(evidence: Evidence, subject: Subject) -> Diagnosis:
    """A warm-up that did not finish adapting.

    What it means: NUTS spends its warm-up learning a step size that reaches the target acceptance
    and a mass matrix of the posterior's scales. Cut short, or misled in one chain, it leaves steps
    too large (acceptance far below the target, divergences) or too small (acceptance near 1, a
    crawling chain).

    Evidence: two of a short warm-up (SMP303), a step size far below the other chains' (SMP104),
    and a mean acceptance more than 0.1 from the target in some chain (measured on the trace).

    Treatment: a warm-up long enough to adapt (PyMC's default of 1000 steps, or twice the last).
    """
    facts = evidence.facts
    seen = [f.title for f in evidence.findings]
    if facts["chains_off_target"]:
        rates = ", ".join(f"{facts['acceptance'][c]:.2f}" for c in facts["chains_off_target"])
        seen.append(
            f"mean acceptance {rates} in {chain_list(facts['chains_off_target'])} against a target of "
            f"{facts['target_accept']}"
        )
    tuned = facts["tuning_steps"] or 0
    tune = DEFAULT_TUNE if tuned < DEFAULT_TUNE else 2 * tuned
    return evidence.diagnosis(
        title="The warm-up did not finish adapting",
        cause=(
            f"{join_and(seen)}: the step size and mass matrix are still those of an unfinished warm-up, "
            "not of the posterior."
        ),
        confidence="high" if len(seen) >= 3 else "medium",
        steps=[
            steps.resample(
                subject, f"A warm-up of {tune} steps, long enough to adapt (the lasting fix).", lasting=True, tune=tune
            )
        ],
    )
