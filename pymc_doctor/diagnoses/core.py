"""``diagnose``: explain a report's findings by their causes, and write one treatment plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pymc_doctor.diagnoses.plan import explained, treatment_plan
from pymc_doctor.diagnoses.units import UNITS, Unit
from pymc_doctor.finding import Diagnosis, Finding, PlanStep
from pymc_doctor.subject import Subject


@dataclass
class DiagnosisResult:
    diagnoses: list[Diagnosis] = field(default_factory=list)
    plan: list[PlanStep] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # as given, those explained deferring to their cause
    failed: list[UnitFailure] = field(default_factory=list)


@dataclass(frozen=True)
class UnitFailure:
    """A diagnosis unit that raised; the runner reports it as an internal finding."""

    code: str
    name: str
    error: BaseException


def all_units() -> list[Unit]:
    """Every diagnosis, in the order they claim findings."""
    from pymc_doctor.diagnoses import (  # noqa: F401  (registers them)
        adaptation,
        funnel,
        modes,
        priors,
        ridge,
        sampler,
        separation,
        walks,
    )

    return sorted(UNITS.values(), key=lambda unit: (unit.precedence, unit.code))


def find_unit(selector: str) -> Unit:
    """A diagnosis by code (``DX101``) or name (``funnel``)."""
    for unit in all_units():
        if selector.upper() == unit.code or selector.lower() == unit.name:
            return unit
    raise KeyError(selector)


def _explain(findings: list[Finding], subject: Subject, units: Sequence[Unit]) -> DiagnosisResult:
    """Each unit, in order, looks at the findings no earlier diagnosis explained."""
    result = DiagnosisResult()
    cause_of: dict[int, Diagnosis] = {}  # a finding's position -> the diagnosis that explains it
    for unit in units:
        unexplained = [f for i, f in enumerate(findings) if i not in cause_of]
        try:
            evidence = unit.detect(unexplained, subject)
            if evidence is None:
                continue
            found = unit.diagnose(evidence, subject)
        except Exception as exc:  # one broken diagnosis must never stop the others
            result.failed.append(UnitFailure(unit.code, unit.name, exc))
            continue
        result.diagnoses.append(found)
        claimed = {id(f) for f in evidence.findings}
        cause_of.update({i: found for i, f in enumerate(findings) if i not in cause_of and id(f) in claimed})
    result.findings = [explained(f, cause_of[i]) if i in cause_of else f for i, f in enumerate(findings)]
    result.plan = treatment_plan(result.diagnoses)
    return result


def diagnose(findings: Sequence[Finding], subject: Subject) -> DiagnosisResult:
    """The causes behind ``findings`` (a check run's, on ``subject``), one plan, and the findings rewritten.

    Never raises: a diagnosis that fails is skipped and named in ``failed``; when the diagnoses
    cannot run at all, the findings come back as they were.
    """
    findings = list(findings)
    try:
        return _explain(findings, subject, all_units())
    except Exception as exc:
        return DiagnosisResult(findings=findings, failed=[UnitFailure("DX", "diagnoses", exc)])
