"""Markdown for a PyMC Discourse post or a GitHub issue.

A default Discourse forum takes only images as uploads and caps a post at 32,000 characters, so this
is the form that always works: a summary, then each finding in a collapsible block, whole blocks
dropped from the end (with a count) when the post would grow too long. The tables are cut too, with
a count, so the post fits whatever the number of findings or of the model's variables. Discourse
collapses with its ``[details="..."]`` BBCode, which GitHub shows as raw text; GitHub collapses
with HTML ``<details><summary>``, which a blank line must follow for the Markdown inside to render.
"""

from __future__ import annotations

import ast

from pymc_doctor.finding import Finding, Report
from pymc_doctor.reports import markup
from pymc_doctor.reports.common import MARK, context_summary, evidence_items, library_versions, template_environment
from pymc_doctor.reports.safety import prepare, short

DISCOURSE_POST_LIMIT = 32_000
GITHUB_ISSUE_LIMIT = 65_536
TARGETS = ("discourse", "github")
# Room for the line that says how many details were left out.
RESERVE = 300
# The share of the post each table may take; the details blocks get what is left.
TABLE_SHARE = 4
TITLE_CAP = 200
VARIABLES_IN_TABLE = 3


def _language(code: str) -> str:
    """Fixes are Python, except installation fixes, which are shell commands."""
    try:
        ast.parse(code)
    except SyntaxError:
        return "text"
    return "python"


def _fence(code: str, language: str | None = None) -> str:
    return markup.fence(code, language or _language(code))


def _cell(value: str) -> str:
    return markup.text(short(value, TITLE_CAP), table=True)


def _names(names: tuple[str, ...] | list[str], *, table: bool = False) -> str:
    return ", ".join(markup.code(name, table=table) for name in names)


def opening(title: str, target: str = "discourse") -> str:
    """The start of a collapsed block titled ``title``: no quote, bracket, tag or mention survives in it."""
    title = markup.attribute(short(title, TITLE_CAP))
    return f"<details><summary>{title}</summary>" if target == "github" else f'[details="{title}"]'


def closing(target: str = "discourse") -> str:
    return "</details>" if target == "github" else "[/details]"


def finding_block(finding: Finding, target: str = "discourse") -> str:
    title = f"{MARK[finding.severity]} {finding.code}: {finding.title}"
    parts = [opening(title, target), markup.text(finding.text)]
    if finding.variables:
        parts.append("Variables: " + _names(finding.variables))
    evidence = evidence_items(finding)
    if evidence:
        parts.append("\n".join(f"- {markup.text(f'{key}: {value}')}" for key, value in evidence))
    if finding.fix:
        parts.append(f"**Fix:** {markup.text(finding.fix)}")
    if finding.fix_code:
        parts.append(_fence(finding.fix_code))
    if finding.rerun:
        parts.append("**Re-run strategy, in order:**")
        parts.extend(
            f"{n}. {markup.text(step.description)}\n\n{_fence(step.code)}" for n, step in enumerate(finding.rerun, 1)
        )
    parts.append(closing(target))
    return "\n\n".join(parts)


def _fit(rows: list[str], budget: int) -> tuple[list[str], int]:
    """The first rows that fit in ``budget`` characters, and how many were left out."""
    kept, used = [], 0
    for row in rows:
        if used + len(row) + 1 > budget:
            break
        kept.append(row)
        used += len(row) + 1
    return kept, len(rows) - len(kept)


def _finding_row(finding: Finding) -> str:
    names = _names([short(v, 60) for v in finding.variables[:VARIABLES_IN_TABLE]], table=True)
    more = " …" if len(finding.variables) > VARIABLES_IN_TABLE else ""
    return f"| {MARK[finding.severity]} {finding.severity} | {finding.code} | {_cell(finding.title)} | {names}{more} |"


def _model_row(variable: dict) -> str:
    cells = [
        markup.code(short(str(variable["name"])), table=True),
        _cell(str(variable.get("kind", ""))),
        _cell(str(variable.get("distribution", ""))),
        _cell(", ".join(map(str, variable.get("dims") or ()))),
        _cell(" × ".join(map(str, variable["shape"])) if variable.get("shape") else "scalar"),
    ]
    return "| " + " | ".join(cells) + " |"


def _versions(context: dict, limit: int) -> str:
    lines = [f"{name}=={version}" for name, version in context["versions"].items()]
    lines += [f"{label} {context[label]}" for label in ("python", "platform") if context[label]]
    facts, _ = _fit([f"{label}: {value}" for label, value in context["environment"]], limit // TABLE_SHARE)
    return _fence("\n".join(short(line, TITLE_CAP) for line in [*lines, *facts]), "text")


def _parts(report: Report, limit: int, target: str) -> tuple[str, str]:
    """The summary (header, findings table, what was not checked) and the closing model and versions blocks."""
    context = context_summary(report)
    rows, more_rows = _fit([_finding_row(f) for f in report.findings], limit // TABLE_SHARE)
    skipped, more_skipped = _fit(
        [f"{s.code} ({markup.text(short(s.reason, TITLE_CAP))})" for s in report.checks_skipped],
        limit // (4 * TABLE_SHARE),
    )
    variables = (context["model"] or {}).get("variables") or []
    model_rows, more_variables = _fit([_model_row(v) for v in variables], limit // TABLE_SHARE)
    trace = context["trace"]
    environment = template_environment(autoescape=False)
    summary = environment.get_template("summary.md.j2").render(
        tool_version=context["tool_version"],
        header=markup.text(_header(context)),
        trace=_trace_line(trace) if trace else "",
        verdict=context["verdict"],
        rows=rows,
        more_rows=more_rows,
        skipped=skipped,
        more_skipped=more_skipped,
    )
    end = environment.get_template("environment.md.j2").render(
        model_rows=model_rows,
        more_variables=more_variables,
        versions=_versions(context, limit),
        opening=lambda title: opening(title, target),
        closing=closing(target),
    )
    return summary, end


def _header(context: dict) -> str:
    libraries = library_versions(context, ("pymc", "pytensor", "arviz"))
    python = [short(f"Python {context['python']}", TITLE_CAP)] if context["python"] else []
    platform = [short(context["platform"])] if context["platform"] else []
    return " · ".join([*libraries, *python, *platform])


def _trace_line(trace: dict) -> str:
    tuning = f" · {trace['tuning_steps']} tuning steps" if trace.get("tuning_steps") is not None else ""
    source = markup.code(short(str(trace.get("source") or "trace")))
    rest = f" · sampler {short(str(trace['sampler']))} · {trace['chains']} chains × {trace['draws']} draws{tuning}"
    return f"Trace: {source}{markup.text(rest)}"


def _care(report: Report) -> str:
    """The diagnoses, the one plan, and what ``treat`` proved: they come before the symptoms."""
    parts = [
        f"**Diagnosis {d.code} ({d.name}, {d.confidence} confidence):** {markup.text(short(d.title, TITLE_CAP))}\n\n"
        f"{markup.text(d.cause)}"
        for d in report.diagnoses
    ]
    if report.plan:
        steps = [
            f"{n}. {markup.text(step.description)}\n\n{_fence(step.code)}" for n, step in enumerate(report.plan, 1)
        ]
        parts.append("**Treatment plan, in order:**\n\n" + "\n\n".join(steps))
    if report.treatment is not None:
        rows = [
            f"| {markup.text(short(step.description, TITLE_CAP), table=True)} | {step.seconds:.0f} s | "
            f"{markup.text(step.sampler or '–', table=True)} | "
            + " | ".join(f"{step.before.get(key, '–')} → {step.after.get(key, '–')}" for key in TREATED)
            + f" | {'yes' if step.cured else 'no'} |"
            for step in report.treatment.steps
        ]
        header = "| step | time | sampler | divergences | max R-hat | min bulk ESS | cured |\n" + "|---" * 7 + "|"
        parts.append(f"**Treatment: {report.treatment.outcome}**\n\n" + "\n".join([header, *rows]))
    return "\n\n".join(parts)


TREATED = ("divergences", "max_rhat", "min_ess_bulk")


def render_markdown(report: Report, *, color: bool = False, limit: int | None = None, target: str = "discourse") -> str:
    """The report as Markdown for ``target``: "discourse" (a PyMC Discourse post) or "github" (an issue)."""
    if target not in TARGETS:
        raise ValueError(f"no Markdown for {target!r}: use one of {', '.join(TARGETS)}")
    limit = limit or (GITHUB_ISSUE_LIMIT if target == "github" else DISCOURSE_POST_LIMIT)
    report = prepare(report, cap_names=True)
    summary, end = _parts(report, limit, target)
    care = _care(report)
    summary = f"{summary}\n\n{care}" if care else summary
    kept: list[str] = []
    used = len(summary) + len(end) + RESERVE
    blocks = [finding_block(f, target) for f in report.findings]
    for block in blocks:
        if used + len(block) + 2 > limit:
            break
        kept.append(block)
        used += len(block) + 2
    omitted = len(blocks) - len(kept)
    tail = [f"_Details of {omitted} more finding(s) left out to fit the post limit; see the HTML or JSON report._"]
    return "\n\n".join([summary, *kept, *(tail if omitted else []), end]).strip() + "\n"


def render_github_markdown(report: Report, *, color: bool = False) -> str:
    """Markdown for a GitHub issue or comment."""
    return render_markdown(report, color=color, target="github")
