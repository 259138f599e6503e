"""The funnel of a centered hierarchy: divergences, low E-BFMI and slow mixing from one cause."""

from __future__ import annotations

from collections.abc import Sequence

from pymc_doctor.diagnoses import measures, steps, symptoms
from pymc_doctor.diagnoses.units import Evidence, diagnosis
from pymc_doctor.finding import Diagnosis, Finding, PlotRequest
from pymc_doctor.hierarchy import centered_hierarchy
from pymc_doctor.spelling import python_name
from pymc_doctor.subject import Subject


def _scale_of_divergences(divergences: Finding | None, subject: Subject) -> str | None:
    """The scalar, positive variable at whose small values the divergences sit, if they sit at one."""
    if divergences is None or not divergences.variables:
        return None
    label = divergences.variables[0]
    where = divergences.evidence.get("locations", {}).get(label, {})
    if label != symptoms.base(label) or not where:
        return None
    if where["divergent_percentile"] >= where["other_percentile"]:
        return None
    return label if measures.is_positive(subject.trace, label) else None


def _centered(findings: Sequence[Finding], scale: str | None) -> Finding | None:
    """The model check's centered hierarchy on ``scale`` (on any scale when none is located)."""
    return next((f for f in symptoms.of(findings, "MOD501") if scale is None or scale in f.variables[1:]), None)


def find_funnel(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    if subject.trace is None:
        return None
    trace = subject.trace
    divergences = symptoms.first(findings, "SMP101")
    scale = _scale_of_divergences(divergences, subject)
    centered = _centered(findings, scale)
    if centered is not None:
        group, location, spelled = centered.evidence["group"], centered.evidence["location"], centered.evidence["scale"]
        scale_variables = centered.variables[1:]
    elif scale is not None and (found := centered_hierarchy(trace, scale)):
        (group, location), spelled, scale_variables = found, python_name(scale), (scale,)
    else:
        return None
    if group not in trace.posterior:
        return None
    members = {*scale_variables, group, *([location] if location in trace.posterior else [])}
    located = divergences if scale is not None else None
    explained = [
        *([located] if located else []),
        *symptoms.of(findings, "SMP103", "SMP104"),
        *symptoms.convergence_about(findings, members),
    ]
    if not explained:
        return None
    dims, shape = trace.declared_shape(group)
    facts = {
        "scale": spelled,
        "group": group,
        "location": location if centered is not None or location is None else python_name(location),
        "dims": list(dims),
        "shape": list(shape),
        "found_in": "model" if centered is not None else "draws",
    }
    if located is not None:
        facts["divergences"] = located.evidence["divergences"]
        facts["divergence_location"] = located.evidence["locations"][scale]
    if ebfmi := symptoms.first(findings, "SMP103"):
        facts["ebfmi"] = ebfmi.evidence["ebfmi"]
    return Evidence(
        findings=(*explained, *([centered] if centered else [])), facts=facts, variables=(*scale_variables, group)
    )


def _funnel_plot(evidence: Evidence, subject: Subject) -> list[PlotRequest]:
    """The group's draws over the log of its scale, divergent ones apart: the funnel itself."""
    scale, group = evidence.variables[0], evidence.facts["group"]
    if scale not in subject.trace.posterior or subject.trace.dims_of(scale):
        return []  # a scale that is an expression or a vector has no one axis to draw on
    return [
        PlotRequest(
            "funnel", (scale, group), f"The funnel: every element of {group} over {scale}, divergent draws apart"
        )
    ]


def _confidence(evidence: Evidence) -> str:
    codes = {f.code for f in evidence.findings}
    if "SMP101" in codes:
        return "high" if codes & {"SMP103", "MOD501", *symptoms.CONVERGENCE} else "medium"
    return "medium" if {"SMP103", "MOD501"} <= codes else "low"


@diagnosis("DX101", "funnel", detect=find_funnel, precedence=20)
def funnel(evidence: Evidence, subject: Subject) -> Diagnosis:
    """A centered hierarchy whose posterior is a funnel.

    What it means: `theta ~ Normal(mu, tau)` with few data per group makes the spread of `theta`
    shrink with `tau`: near small `tau` the posterior is a narrow neck that NUTS, with one step
    size for the whole posterior, cannot enter. The draws there are missing, so the sample is
    biased, and the sampler mixes slowly along `tau`.

    Evidence: divergences at small values of a positive scale (SMP101), with a vector whose spread
    follows that scale draw by draw or, given the model, a centered hierarchy on it (MOD501); low
    E-BFMI (SMP103), a collapsed step size (SMP104), and R-hat, ESS or MCSE trouble (SMP201, SMP203,
    SMP204) on the scale, the group or its location are the same cause. Without divergences, a
    centered hierarchy in the model with those symptoms on it is a funnel of low confidence.

    Treatment: the non-centered rewrite (the lasting fix). A higher `target_accept` removes a few
    stray divergences but not the funnel, and more draws never reach its neck.
    """
    facts = evidence.facts
    group, scale, location = facts["group"], facts["scale"], facts["location"]
    if "divergence_location" in facts:
        seen = (
            f"The divergences sit at small values of `{scale}` (on average at its "
            f"{facts['divergence_location']['divergent_percentile']:.0%} percentile)"
        )
    else:
        seen = f"The sampler struggles with `{scale}` and `{group}`"
    where = "in the model" if facts["found_in"] == "model" else "in the draws, the spread of its elements follows it"
    cause = (
        f"{seen}, and `{group}` is centered on `{scale}` ({where}): the posterior is a funnel whose neck NUTS "
        "cannot enter with one step size. More draws do not reach the neck; the non-centered form removes it."
    )
    return evidence.diagnosis(
        title=f"A funnel: `{group}` is centered on `{scale}`",
        cause=cause,
        confidence=_confidence(evidence),
        steps=[
            steps.resample(
                subject, "Take smaller steps (eases a few stray divergences, not the funnel).", target_accept=0.95
            ),
            steps.noncentered(group, scale, location, facts["dims"], facts["shape"]),
        ],
        plots=_funnel_plot(evidence, subject),
    )
