"""Markdown for a PyMC Discourse post (or a GitHub issue).

A default Discourse forum takes only images as uploads and caps a post at 32,000 characters, so this
is the form that always works: a summary, then each finding in a collapsible ``[details]`` block,
whole blocks dropped from the end (with a count) when the post would grow too long.
"""

from __future__ import annotations

import ast
import re

from pymc_doctor.finding import Finding, Report
from pymc_doctor.reports.common import MARK, context_summary, evidence_items, template_environment

DISCOURSE_POST_LIMIT = 32_000
# Room for the line that says how many details were left out.
RESERVE = 300


def _language(code: str) -> str:
    """Fixes are Python, except installation fixes, which are shell commands."""
    try:
        ast.parse(code)
    except SyntaxError:
        return "text"
    return "python"


def _fence(code: str, language: str | None = None) -> str:
    language = language or _language(code)
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def finding_block(finding: Finding) -> str:
    title = _cell(finding.title).replace('"', "'")  # a double quote would end the [details] title
    parts = [f'[details="{MARK[finding.severity]} {finding.code}: {title}"]', finding.message]
    if finding.variables:
        parts.append("Variables: " + ", ".join(f"`{v}`" for v in finding.variables))
    evidence = evidence_items(finding)
    if evidence:
        parts.append("\n".join(f"- {key}: {value}" for key, value in evidence))
    if finding.fix:
        parts.append(f"**Fix:** {finding.fix}")
    if finding.fix_code:
        parts.append(_fence(finding.fix_code))
    if finding.rerun:
        parts.append("**Re-run strategy, in order:**")
        parts.extend(f"{n}. {step.description}\n\n{_fence(step.code)}" for n, step in enumerate(finding.rerun, 1))
    parts.append("[/details]")
    return "\n\n".join(parts)


def render_markdown(report: Report, *, color: bool = False, limit: int = DISCOURSE_POST_LIMIT) -> str:
    summary = (
        template_environment(autoescape=False)
        .get_template("summary.md.j2")
        .render(report=report, context=context_summary(report), mark=MARK, cell=_cell)
    )
    blocks = [finding_block(f) for f in report.findings]
    environment = (
        template_environment(autoescape=False).get_template("environment.md.j2").render(context=context_summary(report))
    )
    kept: list[str] = []
    used = len(summary) + len(environment) + RESERVE
    for block in blocks:
        if used + len(block) + 2 > limit:
            break
        kept.append(block)
        used += len(block) + 2
    omitted = len(blocks) - len(kept)
    tail = [f"_Details of {omitted} more finding(s) left out to fit the post limit; see the HTML or JSON report._"]
    return "\n\n".join([summary, *kept, *(tail if omitted else []), environment]).strip() + "\n"
