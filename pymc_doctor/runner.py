"""Runs the selected checks on a subject, each inside a guard, then the diagnoses, and gathers a Report."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from typing import Any

from pymc_doctor.catalog import resolve_thresholds, select_rules
from pymc_doctor.diagnoses import diagnose
from pymc_doctor.finding import SEVERITIES, Category, Finding, Report, SkippedCheck
from pymc_doctor.quiet import quiet
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import naming_model
from pymc_doctor.subject import Subject

INTERNAL_CODE = "INT001"


def _describe(exc: BaseException) -> str:
    """An exception's type and message; a message that cannot be written does not stop the report."""
    try:
        message = str(exc)
    except Exception:
        message = "(its message could not be read)"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _internal_finding(code: str, name: str, category: Category, exc: BaseException) -> Finding:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.name}:{frame.lineno}" if frame else ""
    return Finding(
        code=INTERNAL_CODE,
        severity="warning",
        category=category,
        title=f"Check {code} ({name}) could not run",
        message=f"{code} raised {_describe(exc)}{where}. Its result is unknown; every other check ran.",
        evidence={"check": code, "exception": type(exc).__name__},
        fix="This is a bug in pymc-doctor, not in your model: report it with the JSON report (`--format json`).",
        docs=code,
    )


def _diagnose(report: Report, subject: Subject) -> None:
    """Explain the findings by their causes, and write the plan (for a trace or a model)."""
    if subject.trace is None and subject.model is None:
        return
    result = diagnose(report.findings, subject)
    report.diagnoses, report.plan, report.findings = result.diagnoses, result.plan, result.findings
    category: Category = "sampling" if subject.trace is not None else "model"
    report.findings.extend(_internal_finding(f.code, f.name, category, f.error) for f in result.failed)


def run_checks(
    subject: Subject,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    thresholds: dict[str, Any] | None = None,
    prefixes: Iterable[str] | None = None,
) -> Report:
    # The doctor reports; the libraries it calls (and numpy, on odd values) must not warn or log past it.
    with quiet("pymc", "pytensor", "arviz"), naming_model(subject.model_name):
        rules = select_rules(select, ignore, prefixes)
        params = resolve_thresholds(rules, thresholds, prefixes)
        report = Report(context=subject.context(), trace=subject.trace)
        for rule in rules:
            if not select and not all(subject.has(need) for need in rule.needs):
                # A check of something the caller did not give (the environment, when checking a trace) does
                # not apply; it is listed as not checked only when the caller asked for it by name.
                continue
            reason = next((why for need in rule.needs if (why := subject.missing(need))), None)
            if reason:
                report.checks_skipped.append(SkippedCheck(rule.code, rule.name, reason))
                continue
            try:
                findings = list(rule.function(subject, **params[rule.code]))
            except CannotCheck as exc:
                report.checks_skipped.append(SkippedCheck(rule.code, rule.name, str(exc)))
                continue
            except Exception as exc:  # one broken check must never stop the others
                findings = [_internal_finding(rule.code, rule.name, rule.category, exc)]
            report.checks_run.append(rule.code)
            report.findings.extend(findings)
        _diagnose(report, subject)
    report.findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.code))
    return report
