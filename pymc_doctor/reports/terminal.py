"""The terminal report: a mark per severity, the evidence, the fix, the re-run strategy, a verdict."""

from __future__ import annotations

import sys
import textwrap

import click

from pymc_doctor.finding import Finding, Report
from pymc_doctor.reports.common import environment_lines, library_versions
from pymc_doctor.reports.safety import prepare

MARKS = {"error": ("✗", "x", "red"), "warning": ("!", "!", "yellow"), "info": ("i", "i", "blue")}
WIDTH = 100


def _can_encode(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _style(text: str, color: bool, **style) -> str:
    return click.style(text, **style) if color else text


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]


def _code(code: str, indent: str) -> list[str]:
    return [f"{indent}{line}" for line in code.splitlines()]


def _context_line(report: Report) -> str:
    trace = report.context.get("trace")
    libraries = ", ".join(library_versions(report.context, ("pymc", "arviz")))
    if not trace:
        facts = dict(environment_lines(report.context.get("environment")))
        shown = [facts[key] for key in ("system", "installed with", "cores / memory") if key in facts]
        if "BLAS loaded" in facts:
            shown.append(f"BLAS {facts['BLAS loaded']}")
        return " · ".join(["pymc-doctor", libraries, *shown])
    tuning = f", {trace['tuning_steps']} tuning steps" if trace.get("tuning_steps") is not None else ""
    return (
        f"pymc-doctor · {trace.get('source') or 'trace'} · sampler {trace['sampler']} · "
        f"{trace['chains']} chains × {trace['draws']} draws{tuning} · {libraries}"
    )


def _finding_lines(finding: Finding, color: bool, unicode: bool) -> list[str]:
    glyph, ascii_glyph, hue = MARKS[finding.severity]
    mark = _style(f"[{glyph if unicode else ascii_glyph}]", color, fg=hue, bold=True)
    header = f"{mark} {_style(finding.code, color, bold=True)} {finding.severity:<7} {finding.title}"
    lines = [header, *_wrap(finding.text, "    ")]
    if finding.fix:
        lines += _wrap(f"Fix: {finding.fix}", "    ")
    # An explained finding's fix is the plan's step, printed once above it.
    if finding.fix_code and not finding.fix.startswith(EXPLAINED):
        lines += _code(finding.fix_code, "      ")
    if finding.rerun:
        lines.append("    Re-run strategy, in order:")
        for number, step in enumerate(finding.rerun, 1):
            lines += _wrap(f"{number}. {step.description}", "      ")
            lines += _code(step.code, "         ")
    return lines


EXPLAINED = "Explained by "
SYMPTOMS = (("divergences", "divergences"), ("max_rhat", "max R-hat"), ("min_ess_bulk", "min bulk ESS"))


def _diagnosis_lines(report: Report, color: bool) -> list[str]:
    """The causes first, then the one plan: what to do, in order, before the symptoms below."""
    lines = []
    for diagnosis in report.diagnoses:
        header = f"Diagnosis {diagnosis.code} ({diagnosis.name}, {diagnosis.confidence} confidence): {diagnosis.title}"
        lines += [_style(header, color, bold=True), *_wrap(diagnosis.cause, "    "), ""]
    if report.plan:
        lines.append(_style("Treatment plan, in order:", color, bold=True))
        for number, step in enumerate(report.plan, 1):
            lines += _wrap(f"{number}. {step.description}", "  ")
            lines += _code(step.code, "       ")
        lines.append("")
    return lines


def _change(before: dict, after: dict, key: str) -> str:
    return f"{before.get(key, '–')} → {after.get(key, '–')}" if after else "–"


def _treatment_lines(report: Report, color: bool) -> list[str]:
    treatment = report.treatment
    if treatment is None:
        return []
    lines = [_style(f"Treatment: {treatment.outcome}", color, bold=True)]
    for number, step in enumerate(treatment.steps, 1):
        changes = ", ".join(f"{label} {_change(step.before, step.after, key)}" for key, label in SYMPTOMS)
        outcome = "cured" if step.cured else (step.error or "not cured")
        ran = f"{step.seconds:.0f} s" + (f", {step.sampler}" if step.sampler else "")
        lines += _wrap(f"{number}. {step.description} ({ran}): {changes}; {outcome}", "  ")
    for manual in treatment.by_hand:
        lines += _wrap(f"By hand: {manual}", "  ")
    if treatment.note:
        lines += _wrap(treatment.note, "  ")
    return [*lines, ""]


def render_terminal(report: Report, *, color: bool = False) -> str:
    """The report for a terminal: what the user's names hold cannot drive it (escape sequences are shown
    escaped), and long names are shortened."""
    report = prepare(report, cap_names=True)
    unicode = _can_encode("✗×·")
    head = _context_line(report)
    lines = [_style(head if unicode else head.replace("·", "-").replace("×", "x"), color, bold=True), ""]
    lines += _diagnosis_lines(report, color) + _treatment_lines(report, color)
    for finding in report.findings:
        lines += _finding_lines(finding, color, unicode)
        lines.append("")
    if report.checks_skipped:
        lines.append(_style("Not checked:", color, dim=True))
        for skipped in report.checks_skipped:
            lines += _wrap(f"{skipped.code} {skipped.name}: {skipped.reason}", "  ")
        lines.append("")
    verdict_color = "red" if report.has_errors else ("yellow" if report.findings else "green")
    lines.append(_style(f"Verdict: {report.verdict()}", color, fg=verdict_color, bold=True))
    return "\n".join(lines)
