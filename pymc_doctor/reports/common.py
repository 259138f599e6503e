"""What the Markdown and HTML renderers share: marks, the context summary, evidence formatting, templates."""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

import jinja2
import markupsafe

from pymc_doctor.finding import Finding, Report

MARK = {"error": "✗", "warning": "⚠", "info": "ℹ"}
SEVERITY_LABEL = {"error": "error", "warning": "warning", "info": "note"}
EVIDENCE_ITEMS_SHOWN = 8


@cache
def template_environment(*, autoescape: bool) -> jinja2.Environment:
    """Templates under reports/templates; HTML always autoescapes what comes from the user."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pymc_doctor", "reports/templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["inline_code"] = inline_code
    return environment


INLINE_CODE = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> markupsafe.Markup:
    """Escape, then show `backticked` names as code (HTML only)."""
    return markupsafe.Markup(INLINE_CODE.sub(r"<code>\1</code>", str(markupsafe.escape(text))))


def format_number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


def format_evidence(value: Any) -> str:
    """A compact one-line rendering: ``tau 1.06, mu 1.02`` for a mapping, ``9, 15, 8`` for a list."""
    if isinstance(value, (dict, list, tuple)):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        shown = []
        for key, item in items[:EVIDENCE_ITEMS_SHOWN]:
            text = format_evidence(item)
            if isinstance(item, (dict, list, tuple)):
                text = f"({text})"
            shown.append(f"{key} {text}" if isinstance(value, dict) else text)
        more = len(items) - EVIDENCE_ITEMS_SHOWN
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
    return format_number(value)


def evidence_items(finding: Finding) -> list[tuple[str, str]]:
    return [(key.replace("_", " "), format_evidence(value)) for key, value in finding.evidence.items()]


def context_summary(report: Report) -> dict[str, Any]:
    """The facts a helper on the forum asks for first: versions, platform, sampler and run shape."""
    from pymc_doctor import __version__

    context = report.context
    return {
        "tool_version": __version__,
        "python": context.get("python", ""),
        "platform": context.get("platform", ""),
        "versions": context.get("versions", {}),
        "trace": context.get("trace"),
        "verdict": report.verdict(),
        "counts": report.counts(),
    }
