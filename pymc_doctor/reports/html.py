"""The self-contained HTML report: inline CSS and script, plots as data URIs, nothing fetched."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from pymc_doctor.catalog import find_rule
from pymc_doctor.finding import Diagnosis, Finding, Report
from pymc_doctor.reports.common import (
    MARK,
    context_summary,
    evidence_items,
    graphviz_svg_uri,
    mermaid,
    template_environment,
)
from pymc_doctor.reports.markdown import render_markdown
from pymc_doctor.reports.safety import prepare, short, visible
from pymc_doctor.version import __version__


def _rule_page(code: str) -> str:
    try:
        return find_rule(code).page
    except KeyError:
        return ""


def _plots(item: Finding | Diagnosis, report: Report, drawn: dict | None = None) -> list[dict[str, str]]:
    """The item's plots as data URIs; one that ``drawn`` holds (a diagnosis above draws it) as a reference."""
    if not item.plots:
        return []
    # Drawing needs NumPy and matplotlib, which a report without plots (`env`'s) never loads.
    from pymc_doctor.reports.plots import plot_data_uri

    plots = []
    for request in item.plots:
        shown_under = (drawn or {}).get((request.kind, request.variables))
        if shown_under is not None:
            plots.append({"title": request.title, "see": shown_under[0], "anchor": shown_under[1]})
            continue
        try:
            plots.append({"title": request.title, "uri": plot_data_uri(request, item, report.trace)})
        except Exception as exc:  # a plot that fails must not cost the report
            error = visible(short(f"{type(exc).__name__}: {exc}", 300))
            plots.append({"title": request.title, "uri": "", "error": error})
    return plots


def _anchor(index: str, diagnosis: Diagnosis) -> str:
    return f"r{index}-{diagnosis.code}"


def _drawn_by_cause(report: Report, finding: Finding, index: str) -> dict[tuple, tuple[str, str]]:
    """The plots (kind, variables) that a diagnosis explaining ``finding`` already draws: its code and anchor."""
    return {
        (request.kind, request.variables): (diagnosis.code, _anchor(index, diagnosis))
        for diagnosis in report.diagnoses
        if finding.code in diagnosis.findings
        for request in diagnosis.plots
    }


def _full_names_once(report: Report) -> list[list[str]]:
    """Each finding's variables: in full where the report names them first, shortened after."""
    seen: set[str] = set()
    names = []
    for finding in report.findings:
        names.append([visible(label) if label not in seen else visible(short(label)) for label in finding.variables])
        seen.update(finding.variables)
    return names


def _section(original: Report, index: str, *, compact: bool) -> dict:
    report = prepare(original, cap_names=True)
    findings = [
        {
            "finding": finding,
            "variables": variables,
            "anchor": f"r{index}-{number}-{finding.code}",
            "evidence": evidence_items(finding),
            "plots": [] if compact else _plots(finding, report, _drawn_by_cause(report, finding, index)),
            "rule": _rule_page(finding.code),
        }
        for number, (finding, variables) in enumerate(zip(report.findings, _full_names_once(original), strict=True))
    ]
    variables = (report.context.get("model") or {}).get("variables") or []
    return {
        "report": report,
        "diagnoses": [
            {"diagnosis": d, "anchor": _anchor(index, d), "plots": [] if compact else _plots(d, report)}
            for d in report.diagnoses
        ],
        "context": context_summary(report),
        "findings": findings,
        "markdown": "" if compact else render_markdown(original),
        "variables": variables,
        "graph_uri": None if compact or not variables else _graph(variables),
        "mermaid": mermaid(variables) if variables else "",
    }


def _graph(variables: list[dict]) -> str | None:
    try:
        return graphviz_svg_uri(variables)
    except Exception:  # Graphviz failing leaves the Mermaid text form, which is always shown
        return None


def render_html(reports: Report | Iterable[Report], *, color: bool = False, compact: bool = False) -> str:
    """One page for one or several reports; ``compact`` is the notebook form (no page styles, no plots)."""
    reports = [reports] if isinstance(reports, Report) else list(reports)
    # In a notebook many reports share one page: their links must not point into another's findings.
    prefix = secrets.token_hex(3) if compact else ""
    sections = [_section(report, f"{prefix}{index}", compact=compact) for index, report in enumerate(reports, 1)]
    template = template_environment(autoescape=True).get_template("report.html.j2")
    return template.render(sections=sections, compact=compact, mark=MARK, tool_version=__version__)
