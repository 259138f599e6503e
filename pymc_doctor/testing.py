"""For test suites: fail a test on a sick trace or model (``assert_healthy``, and the ``doctor`` fixture of
the pytest plugin), so that a library that builds PyMC models can fail its CI on one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pymc_doctor import check
from pymc_doctor.finding import SEVERITIES
from pymc_doctor.reports import Report


def assert_healthy(
    idata: Any = None,
    model: Any = None,
    *,
    ignore: Iterable[str] = (),
    level: Literal["error", "warning"] = "error",
    thresholds: dict[str, Any] | None = None,
) -> Report:
    """Check a trace (and its model, or a model alone) and raise ``AssertionError`` when a finding is at
    ``level`` or worse (``"warning"`` also fails on warnings), with the diagnoses and findings in its
    message. ``ignore`` takes rule codes, prefixes or names, as ``check`` does. Returns the report."""
    if level not in ("error", "warning"):
        raise ValueError(f"level is 'error' or 'warning', not {level!r}")
    ignore = [ignore] if isinstance(ignore, str) else list(ignore)
    report = check(idata, model=model, ignore=ignore, thresholds=thresholds, namespace=_caller_namespace())
    failing = SEVERITIES[: SEVERITIES.index(level) + 1]
    found = [f for f in report.findings if f.severity in failing]
    if found:
        raise AssertionError(describe(report, found))
    return report


def _caller_namespace() -> dict[str, Any]:
    """The test's variables, to trace the model's data back to its DataFrames."""
    import sys

    frame = sys._getframe(2)
    return {**frame.f_globals, **frame.f_locals}


def describe(report: Report, found: list) -> str:
    """The failure: the verdict, the diagnoses that explain the failing findings, and those findings."""
    from pymc_doctor.reports.safety import prepare

    report = prepare(report, cap_names=True)
    codes = {f.code for f in found}
    lines = [f"pymc-doctor: not healthy: {report.verdict()}"]
    for diagnosis in report.diagnoses:
        if codes & set(diagnosis.findings):
            lines.append(f"  {diagnosis.code} {diagnosis.title}: {diagnosis.cause}")
    lines += [f"  {f.severity} {f.code} {f.title}: {f.text}" for f in report.findings if f.code in codes]
    if report.plan:
        lines.append(f"  First step: {report.plan[0].description}")
    return "\n".join(lines)
