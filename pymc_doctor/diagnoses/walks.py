"""A latent random walk whose step scale is sampled: slow mixing from the walk's centered form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymc_doctor.diagnoses import steps, symptoms
from pymc_doctor.diagnoses.units import Evidence, diagnosis
from pymc_doctor.finding import Diagnosis, Finding
from pymc_doctor.remedies.walks import random_walk_code
from pymc_doctor.subject import Subject
from pymc_doctor.wording import names


def _cumulative_sum_of(model: Any, name: str, innovations: str) -> bool:
    """Whether the deterministic ``name`` is built by a cumulative sum over ``innovations``."""
    stop, seen = model[innovations], set()
    pending = [model[name]]
    while pending:
        node = pending.pop().owner
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if type(node.op).__name__ == "CumOp" and getattr(node.op, "mode", "add") == "add":
            return True
        pending.extend(v for v in node.inputs if v is not stop)
    return False


def latent_walks(model: Any) -> list[dict[str, Any]]:
    """The model's random walks whose step scale is a free variable: a ``GaussianRandomWalk``
    (``form: "walk"``), or a cumulative sum of Normal innovations (``form: "cumsum"``, ``innovations``)."""
    from pymc_doctor.modelgraph import describe  # pytensor is loaded only when a model is given

    variables = {v["name"]: v for v in describe(model)["variables"]}
    free = {name for name, v in variables.items() if v["kind"] == "free"}
    walks = []
    for name, variable in variables.items():
        scales = [parent for parent in variable["parents"] if parent in free]
        if variable["distribution"] in ("RandomWalk", "GaussianRandomWalk") and len(scales) == 1:
            walks.append({"walk": name, "scale": scales[0], "form": "walk", **_shape(variable)})
        elif variable["kind"] == "deterministic" and len(variable["parents"]) == 1:
            innovations = variables.get(variable["parents"][0], {})
            steps_scale = [parent for parent in innovations.get("parents", []) if parent in free]
            normal = innovations.get("distribution") == "Normal" and len(steps_scale) == 1
            if normal and _cumulative_sum_of(model, name, innovations["name"]):
                walks.append(
                    {"walk": name, "scale": steps_scale[0], "form": "cumsum", "innovations": innovations["name"]}
                    | _shape(innovations)
                )
    return walks


def _shape(variable: dict[str, Any]) -> dict[str, Any]:
    return {"shape": list(variable["shape"] or []), "dims": list(variable["dims"] or [])}


def _troubled(finding: Finding) -> bool:
    return finding.severity != "info"  # R-hat within its noise is no trouble


def find_latent_walk(findings: Sequence[Finding], subject: Subject) -> Evidence | None:
    if subject.model is None:
        return None
    for walk in latent_walks(subject.model):
        involved = {walk["walk"], walk["scale"], walk.get("innovations", walk["walk"])}
        slow = [f for f in symptoms.convergence_about(findings, involved) if _troubled(f)]
        if slow:
            return Evidence(findings=tuple(slow), facts=walk, variables=(walk["walk"], walk["scale"]))
    return None


@diagnosis("DX104", "latent-random-walk", detect=find_latent_walk, precedence=22)
def latent_random_walk(evidence: Evidence, subject: Subject) -> Diagnosis:
    """A latent random walk in its centered form, with a sampled step scale.

    What it means: a `GaussianRandomWalk` (or a cumulative sum of Normal innovations) whose step
    scale `sigma` is itself sampled, as in stochastic-volatility and local-level models. Every step
    of the walk depends on `sigma`, and `sigma` on every step: the posterior is a long, curved
    funnel in many dimensions, and NUTS crawls along it. R-hat and ESS suffer on the walk and on
    `sigma`; more draws only pay for the crawl.

    Evidence: the model holds such a walk, and R-hat or ESS trouble (SMP201, SMP203, SMP204) has its
    worst element on the walk, its innovations or its scale. R-hat within the noise of its ESS
    (SMP201 as a note) is not trouble.

    Treatment: the innovations (non-centered) form: standard normal innovations, scaled by `sigma`
    and summed (`sigma * pt.cumsum(z)`), so that the sampler moves `z` and `sigma` separately.
    """
    facts = evidence.facts
    walk, scale = facts["walk"], facts["scale"]
    if facts["form"] == "cumsum":
        step = steps.noncentered(facts["innovations"], scale, None, facts["dims"])
    else:
        step = steps.by_hand(
            f"Rewrite `{walk}` in its innovations form: standard normal steps scaled by `{scale}` and summed "
            "(the lasting fix).",
            random_walk_code(walk, scale, facts["shape"], facts["dims"]),
            lasting=True,
        )
    return evidence.diagnosis(
        title=f"Random walk {names([walk])} mixes slowly with its sampled scale `{scale}`",
        cause=(
            f"`{walk}` is a random walk whose every step depends on the sampled `{scale}`: in this centered "
            "form the sampler crawls along the funnel they make together."
        ),
        steps=[step],
    )
