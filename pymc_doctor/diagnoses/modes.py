"""Chains in different modes: label switching, and a posterior with separated modes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pymc_doctor.diagnoses import measures, steps, symptoms
from pymc_doctor.diagnoses.units import Evidence, diagnosis
from pymc_doctor.finding import Diagnosis, Finding, PlotRequest
from pymc_doctor.remedies.modes import chain_means_code
from pymc_doctor.spelling import comment
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.wording import chain_list, names

# Mean within-chain lag-1 autocorrelation from which chains crawl rather than mix within a mode.
CRAWLING = 0.8


def _modes(findings: Sequence[Finding], *, switched: bool) -> Finding | None:
    """The separated-chains finding, when its chains found the same values in another order (or not)."""
    modes = symptoms.first(findings, "SMP202")
    if modes is None or bool(modes.evidence.get("label_switching")) != switched:
        return None
    return modes


def find_label_switching(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    modes = _modes(findings, switched=True)
    if modes is None or subject.trace is None:
        return None
    switched = list(modes.evidence["label_switching"])
    facts = {
        "variables": switched,
        "sizes": {name: measures.size_of(subject.trace, name) for name in switched},
        "modes": modes.evidence["elements"][:4],
    }
    explained = (modes, *symptoms.convergence_about(findings, switched))
    return Evidence(findings=explained, facts=facts, variables=tuple(switched))


@diagnosis("DX202", "label-switching", detect=find_label_switching, precedence=10)
def label_switching(evidence: Evidence, subject: Subject) -> Diagnosis:
    """Label switching: exchangeable components that the chains labeled differently.

    What it means: in a mixture (or any model whose components can swap names), every labeling of
    the components fits equally well. Each chain settles on one labeling, so the chains disagree
    although each found the same solution.

    Evidence: SMP202 finds the chains in separate modes and the same values in another order;
    R-hat, ESS and MCSE trouble (SMP201, SMP203, SMP204) on those variables is the same cause.

    Treatment: order the components (`transform=ordered`), so that only one labeling exists.
    More draws or other starting points cannot fix it.
    """
    variable = evidence.variables[0]
    sizes = evidence.facts["sizes"]
    return evidence.diagnosis(
        title=f"Label switching in {names(evidence.variables)}",
        cause=(
            f"The chains found the same values of {names(evidence.variables)} under different labels: the "
            "components are exchangeable, so each labeling fits equally well."
        ),
        confidence="high",
        steps=[steps.ordered(variable, sizes[variable], subject.trace.dims_of(variable))],
        plots=[
            PlotRequest(
                "densities",
                tuple(subject.trace.element_labels(variable)[:4]),
                f"Each chain's density of the components of {variable}",
            )
        ],
    )


def _log_density_by_mode(trace: TraceView, chains: list[list[int]]) -> list[float] | None:
    """Each mode's mean log density (its chains' draws), which says whether one mode dominates."""
    lp = trace.stat("lp")
    if lp is None:
        return None
    return [round(float(np.mean(lp[group])), 2) for group in chains]


def find_multimodality(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    modes = _modes(findings, switched=False)
    if modes is None or subject.trace is None:
        return None
    first = modes.evidence["elements"][0]
    autocorrelation = float(np.nanmean(measures.lag_one_autocorrelation(subject.trace, first["label"])))
    if not autocorrelation < CRAWLING:  # chains that barely move sit apart without any second mode
        return None
    facts = {
        "modes": modes.evidence["elements"][:4],
        "count": modes.evidence["count"],
        "lag_one_autocorrelation": round(autocorrelation, 3),
    }
    log_density = _log_density_by_mode(subject.trace, first["chains"])
    if log_density is not None:
        facts["log_density_by_mode"] = log_density
    separated = {symptoms.base(label) for label in modes.variables}
    explained = (modes, *symptoms.convergence_about(findings, separated))
    return Evidence(findings=explained, facts=facts, variables=modes.variables)


@diagnosis("DX201", "multimodal", detect=find_multimodality, precedence=40)
def multimodality(evidence: Evidence, subject: Subject) -> Diagnosis:
    """A posterior with separated modes that the chains cannot cross.

    What it means: each chain explores the mode it started near; none crosses the low-density
    region between them. R-hat and ESS look terrible, yet running longer will not mix them, and
    starting every chain at the same point only hides the other mode. Pooled draws weight the
    modes by how many chains found each, not by their probability.

    Evidence: SMP202 (chain means in groups separated by several within-chain sds, not a relabeling);
    R-hat, ESS and MCSE trouble (SMP201, SMP203, SMP204) on those elements is the same cause. Each
    mode's mean log density, where the sampler recorded it, says whether one dominates.

    Treatment: find out whether the modes are real (each chain's mean, each mode's log density);
    SMC, whose tempering moves between modes, weights real ones; a spurious mode asks for a model
    that is identifiable or priors that rule it out.
    """
    first = evidence.facts["modes"][0]
    groups = "; ".join(
        f"{chain_list(chains)} near {np.mean(values):.3g}"
        for chains, values in zip(first["chains"], first["modes"], strict=True)
    )
    variable = symptoms.base(first["label"])
    cause = f"For `{first['label']}`, {groups}: each chain stays in its mode; running longer will not mix them."
    # The confidence is high when R-hat and ESS on the same elements confirm that the chains disagree
    # about more than their means.
    return evidence.diagnosis(
        title=f"Chains in separate modes of {names(evidence.variables, 3)}",
        cause=cause,
        steps=[
            steps.by_hand(
                "See which mode each chain found (one mean per chain).",
                chain_means_code(variable),
                cost=steps.LOOK,
            ),
            steps.sample_smc("Sample with SMC, whose tempering moves between modes and weights them."),
            steps.by_hand(
                "If a mode is spurious, rule it out: make the model identifiable (a sign or order constraint) "
                "or give priors that exclude it.",
                comment(f"e.g. a constraint on `{variable}`; then sample again and compare each chain's mean"),
            ),
        ],
        plots=[PlotRequest("densities", (first["label"],), f"Each chain's density of {first['label']}")],
    )
