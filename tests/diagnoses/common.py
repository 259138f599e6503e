"""Helpers of the diagnosis tests: the committed traces checked once, and their diagnoses."""

from __future__ import annotations

from functools import cache

import pymc_doctor
from pymc_doctor.diagnoses import DiagnosisResult, diagnose
from pymc_doctor.finding import Diagnosis, Finding, Report
from pymc_doctor.subject import Subject
from tests.support import load

# Advice that contradicts a cause more draws do not cure (a funnel, separated modes).
RUN_LONGER = ("run longer", "more draws", "draws=", "draws per chain would reach")


@cache
def checked(name: str) -> Report:
    """The report of a committed trace (do not change it: it is shared)."""
    return pymc_doctor.check(load(name))


def diagnosed(name: str, model=None) -> DiagnosisResult:
    report = checked(name)
    return diagnose(report.findings, Subject(trace=report.trace, model=model))


def only(result: DiagnosisResult, code: str) -> Diagnosis:
    found = [d for d in result.diagnoses if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[d.code for d in result.diagnoses]}"
    return found[0]


def advice(finding: Finding) -> str:
    """Everything a finding says (its message with its outlook, as reports show it), lower-cased."""
    steps = " ".join(f"{step.description} {step.code}" for step in finding.rerun)
    return " ".join([finding.title, finding.text, finding.fix, finding.fix_code, steps]).lower()
