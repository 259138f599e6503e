"""Runs the selected checks on a subject, each inside a guard, and gathers a Report."""

from __future__ import annotations

import platform
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymc_doctor import compat
from pymc_doctor.finding import Finding, Report, SkippedCheck
from pymc_doctor.registry import CannotCheck, Rule, resolve_thresholds, select_rules

if TYPE_CHECKING:
    from pymc_doctor.trace import TraceView

INTERNAL_CODE = "INT001"


@dataclass
class Subject:
    """What the checks look at: a trace, a model, the environment; any of them may be absent."""

    trace: TraceView | None = None
    model: Any = None  # a pymc.Model
    env: Any = None  # the environment probes' results

    def has(self, need: str) -> bool:
        """Whether the part of the subject that ``need`` reads (trace, model, environment) was given at all."""
        part = {"sample_stats": "trace", "nuts": "trace"}.get(need, need)
        return getattr(self, part, None) is not None

    def missing(self, need: str) -> str | None:
        """Why ``need`` is unavailable, or None when it is there."""
        if need == "model":
            return None if self.model is not None else "no model was given"
        if need == "env":
            return None if self.env is not None else "the environment was not examined"
        trace = self.trace
        if need == "trace":
            return None if trace is not None else "no trace was given"
        if need == "sample_stats":
            if trace is None:
                return "no trace was given"
            return None if trace.sample_stats is not None else "the trace has no sampler statistics"
        if need == "nuts":
            if trace is None:
                return "no trace was given"
            if not trace.is_nuts:
                return f"the trace was not sampled with NUTS (sampler: {trace.sampler})"
            return None if trace.sample_stats is not None else "the trace has no sampler statistics"
        return f"this run has no {need}"

    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = {
            "versions": compat.library_versions(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        }
        if self.trace is not None:
            trace = self.trace
            context["trace"] = {
                "source": trace.source,
                "sampler": trace.sampler,
                "library": trace.library,
                "library_version": trace.library_version,
                "chains": trace.chains,
                "draws": trace.draws,
                "tuning_steps": trace.tuning_steps,
                "max_tree_depth": trace.max_tree_depth,
                "groups": list(trace.groups),
                "variables": len(trace.variable_names()),
            }
        return context


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
