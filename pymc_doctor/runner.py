"""Runs the selected checks on a subject, each inside a guard, and gathers a Report."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from typing import Any

from pymc_doctor.finding import Finding, Report, SkippedCheck
from pymc_doctor.registry import CannotCheck, Rule, resolve_thresholds, select_rules
from pymc_doctor.subject import Subject

INTERNAL_CODE = "INT001"


def _internal_finding(rule: Rule, exc: BaseException) -> Finding:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.name}:{frame.lineno}" if frame else ""
    return Finding(
        code=INTERNAL_CODE,
        severity="warning",
        category=rule.category,
        title=f"Check {rule.code} ({rule.name}) could not run",
        message=f"{rule.code} raised {type(exc).__name__}: {exc}{where}. Its result is unknown; every other check ran.",
        evidence={"check": rule.code, "exception": type(exc).__name__},
        fix="This is a bug in pymc-doctor, not in your model: report it with the JSON report (`--format json`).",
        docs=rule.code,
    )


def run_checks(
    subject: Subject,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    thresholds: dict[str, Any] | None = None,
    prefixes: Iterable[str] | None = None,
) -> Report:
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
            findings = [_internal_finding(rule, exc)]
        report.checks_run.append(rule.code)
        report.findings.extend(findings)
    order = {"error": 0, "warning": 1, "info": 2}
    report.findings.sort(key=lambda f: (order[f.severity], f.code))
    return report
