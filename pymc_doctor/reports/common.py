"""What the Markdown and HTML renderers share: marks, the context summary, evidence formatting, templates."""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

import jinja2
import markupsafe

from pymc_doctor.finding import Finding, Report
from pymc_doctor.version import __version__

MARK = {"error": "✗", "warning": "⚠", "info": "ℹ"}
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
    """The evidence as (label, value) lines; a field with no value (None, "", an empty list) is left out."""
    items = [(key.replace("_", " "), format_evidence(value)) for key, value in finding.evidence.items()]
    return [(key, value) for key, value in items if value.strip() and value != "None"]


def library_versions(context: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """``pymc 5.28.5 (trace; 6.4.0 installed)``: the version the trace records where it does, else
    the installed one, saying which."""
    recorded = (context.get("trace") or {}).get("versions") or {}
    installed = context.get("versions") or {}
    shown = []
    for name in names:
        if name in recorded:
            other = installed.get(name)
            also = f"; {other} installed" if other and other != recorded[name] else ""
            shown.append(f"{name} {recorded[name]} (trace{also})")
        elif name in installed:
            shown.append(f"{name} {installed[name]} (installed)")
    return shown


def context_summary(report: Report) -> dict[str, Any]:
    """The facts a helper on the forum asks for first: versions, platform, sampler and run shape."""
    context = report.context
    return {
        "tool_version": __version__,
        "python": context.get("python", ""),
        "platform": context.get("platform", ""),
        "versions": context.get("versions", {}),
        "trace": context.get("trace"),
        "model": context.get("model"),
        "environment": environment_lines(context.get("environment")),
        "verdict": report.verdict(),
        "counts": report.counts(),
    }


def mermaid(variables: list[dict[str, Any]]) -> str:
    """The model graph as Mermaid text: readable as it is, and renderable wherever Mermaid is."""
    lines = ["graph TD"]
    ids = {variable["name"]: f"v{index}" for index, variable in enumerate(variables)}
    for variable in variables:
        label = variable["name"] + (f" ~ {variable['distribution']}" if variable["distribution"] else "")
        if variable["shape"]:
            label += f" {tuple(variable['shape'])}"
        label = label.replace('"', "'")
        lines.append(f'  {ids[variable["name"]]}["{label}"]')
    for variable in variables:
        lines += [f"  {ids[parent]} --> {ids[variable['name']]}" for parent in variable["parents"] if parent in ids]
    return "\n".join(lines)


def graphviz_svg_uri(variables: list[dict[str, Any]]) -> str | None:
    """The model graph drawn by Graphviz as an SVG data URI, where the graphviz package and `dot` exist.

    As an <img>, the SVG can run no script, whatever the variable names hold.
    """
    import base64
    import importlib.util
    import shutil

    if importlib.util.find_spec("graphviz") is None or shutil.which("dot") is None:
        return None
    import graphviz

    graph = graphviz.Digraph(graph_attr={"rankdir": "TB"}, node_attr={"fontname": "Helvetica", "fontsize": "11"})
    shapes = {"free": "ellipse", "observed": "ellipse", "deterministic": "box", "data": "box"}
    # Nodes are named v0, v1, ...: a variable's own name could hold DOT syntax (a colon names a port).
    ids = {variable["name"]: f"v{index}" for index, variable in enumerate(variables)}
    for variable in variables:
        label = variable["name"] + (f"\n~ {variable['distribution']}" if variable["distribution"] else "")
        if variable["shape"]:
            label += f"\n{tuple(variable['shape'])}"
        style = "filled" if variable["kind"] == "observed" else ("rounded" if variable["kind"] == "data" else "")
        graph.node(
            ids[variable["name"]], label=label, shape=shapes[variable["kind"]], style=style, fillcolor="lightgrey"
        )
    for variable in variables:
        for parent in variable["parents"]:
            if parent in ids:
                graph.edge(ids[parent], ids[variable["name"]])
    svg = graph.pipe(format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def environment_lines(environment: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The installation facts of an ``env`` report as (label, value) rows, in the order a helper reads them."""
    if not environment:
        return []
    rows = []
    platform_facts = environment.get("platform") or {}
    if platform_facts:
        rows.append(("system", f"{platform_facts.get('system', '')} {platform_facts.get('machine', '')}".strip()))
    if environment.get("channel"):
        rows.append(("installed with", str(environment["channel"])))
    hardware = environment.get("hardware") or {}
    machine = [
        f"{hardware[key]} {unit}"
        for key, unit in (("logical_cores", "cores"), ("memory_gb", "GB"))
        if hardware.get(key)
    ]
    if machine:
        rows.append(("cores / memory", ", ".join(machine)))
    pytensor = environment.get("pytensor") or {}
    if pytensor:
        rows.append(("C++ compiler", pytensor.get("cxx") or "none"))
        rows.append(("PyTensor BLAS flags", pytensor.get("blas__ldflags") or "none (NumPy C-API fallback)"))
        if pytensor.get("compiledir"):
            rows.append(("compile directory", pytensor["compiledir"]))
    blas = environment.get("blas") or []
    if blas:
        rows.append(
            (
                "BLAS loaded",
                "; ".join(f"{b.get('library')} {b.get('version')} ({b.get('threads')} threads)" for b in blas),
            )
        )
    samplers = environment.get("samplers") or {}
    if samplers:
        rows.append(("samplers", ", ".join(f"{name} {state}" for name, state in samplers.items())))
    if environment.get("jax_devices"):
        rows.append(("JAX devices", ", ".join(map(str, environment["jax_devices"]))))
    if environment.get("start_method"):
        rows.append(("start method", str(environment["start_method"])))
    probes = environment.get("probes") or {}
    reused = {name: probe["reused_from"] for name, probe in probes.items() if "reused_from" in probe}
    if reused:
        rows.append(
            (
                "probes reused",
                "; ".join(f"{name} from {when}" for name, when in reused.items())
                + " (the installation has not changed since; `pymc-doctor env --fresh` runs them again)",
            )
        )
    # A fact the probes could not learn is left out, not shown as an empty line.
    return [(label, value) for label, value in rows if value.strip()]
