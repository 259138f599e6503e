"""One treatment plan per report, and the findings rewritten to defer to the diagnosis that explains them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pymc_doctor.finding import Diagnosis, Finding, PlanStep


def treatment_plan(diagnoses: Sequence[Diagnosis]) -> list[PlanStep]:
    """The diagnoses' steps, the same step once (treating every diagnosis it serves): the lasting
    fixes of the causes first, then the rest cheap first.

    A setting that eases a symptom rarely cures its cause: re-sampled, a rewrite cleared each
    pathology it was written for, a higher ``target_accept`` hid a funnel's divergences while R-hat
    stayed high. Steps of equal rank keep the order of the diagnoses, the most specific cause first.
    """
    merged: dict[str, PlanStep] = {}
    for diagnosis in diagnoses:
        for step in diagnosis.steps:
            key = step.code or step.description
            known = merged.get(key)
            if known is None:
                merged[key] = step
                continue
            merged[key] = dataclasses.replace(
                known,
                addresses=tuple(dict.fromkeys((*known.addresses, *step.addresses))),
                lasting=known.lasting or step.lasting,
                cost=min(known.cost, step.cost),
            )
    return sorted(merged.values(), key=lambda step: (not step.lasting, step.cost))


def lead_step(diagnosis: Diagnosis) -> PlanStep | None:
    """The step that treats the cause: the lasting one, or else the first."""
    return next((s for s in diagnosis.steps if s.lasting), diagnosis.steps[0] if diagnosis.steps else None)


EXPLAINED = "Explained by "


def own_fix(finding: Finding) -> str:
    """The finding's own fix, without the line a diagnosis put before it (diagnosing twice changes nothing)."""
    if finding.fix.startswith(EXPLAINED):
        return finding.fix.partition("\n")[2]
    return finding.fix


def explained(finding: Finding, diagnosis: Diagnosis) -> Finding:
    """The finding with a line naming its diagnosis, and no advice of its own that contradicts it.

    A sampling finding's ladder ("run longer", "more draws") treats a symptom, and contradicts a
    cause that more draws do not cure: its fix becomes the diagnosis' treatment, and the plan is the
    one ladder. Its outlook (how many draws would reach the threshold) goes too. A model finding's fix
    is already a fix of the cause (a rewrite, a prior), and stays.
    """
    line = f"{EXPLAINED}{diagnosis.code} ({diagnosis.name}): {diagnosis.title}."
    if finding.category == "model":
        return dataclasses.replace(finding, fix=f"{line}\n{own_fix(finding)}", rerun=(), outlook="")
    lead = lead_step(diagnosis)
    treatment = f"Treat the cause: {lead.description}" if lead else "Follow the treatment plan."
    fix_code = lead.code if lead else ""
    return dataclasses.replace(finding, fix=f"{line}\n{treatment}", fix_code=fix_code, rerun=(), outlook="")
