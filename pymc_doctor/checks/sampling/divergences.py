"""SMP101: divergent transitions, where they sit, and the centered hierarchy behind a funnel."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import numpy as np

from pymc_doctor import hierarchy, remedies
from pymc_doctor.checks.sampling.hmc import required_stat
from pymc_doctor.diagnostics import diagnostics_of
from pymc_doctor.finding import Finding, PlotRequest, RerunStep, finding_builder
from pymc_doctor.registry import rule_family
from pymc_doctor.spelling import python_name
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.wording import count

_finding = finding_builder("sampling")
_rule = rule_family("sampling", needs=("nuts",))
# Divergences "sit at" an element when their mean percentile is this far from the other draws'.
CLEAR_DISTANCE = 0.15


def divergence_locations(trace: TraceView, limit: int = 3) -> list[dict[str, Any]]:
    """Elements whose divergent draws sit furthest from the rest, by mean percentile.

    Percentiles make variables of any scale comparable: divergences at the 5th percentile of ``tau``
    while the other draws average the 50th is the signature of a funnel at small ``tau``. The
    diagnostics engine computes them with the other per-element statistics; variables with a
    draw that is not finite are left out.
    """
    diagnostics = diagnostics_of(trace)
    inside, outside = diagnostics.divergent_percentile, diagnostics.other_percentile
    if inside is None:
        return []
    comparable = np.zeros(len(inside), dtype=bool)
    for name in trace.variable_names():
        rows = diagnostics.rows_of(name)
        comparable[rows] = np.isfinite(inside[rows]).all()
    candidates = np.flatnonzero(comparable)
    # Largest distance first, ties in trace order (as a stable sort in reverse).
    order = np.argsort(-np.abs(inside[candidates] - outside[candidates]), kind="stable")
    located = []
    for index in candidates[order[:limit]]:
        name = diagnostics.table["variable"].iat[index]
        element = int(index) - diagnostics.rows_of(name).start
        located.append(
            {
                "variable": name,
                "label": diagnostics.table["label"].iat[index],
                "divergent_percentile": float(inside[index]),
                "other_percentile": float(outside[index]),
                "positive": bool((trace.draws_of(name, (element, element + 1)) > 0).all()),
            }
        )
    return located


def centered_child(subject: Subject, scale: str, *, positive: bool) -> dict[str, Any] | None:
    """A centered ``group ~ Normal(location, scale)``: ``group``, the ``scale`` and ``location`` as code,
    ``dims``, ``shape``, and whether the model's graph (``from_graph``) or the draws told.

    With the model, its graph answers, whatever the variable's sign (in Neal's funnel the neck ``v``
    sets the scale ``exp(v / 2)`` of its child), and a model without such a child rules it out.
    Without, the draws: the vector whose spread follows the variable. When the variable takes negative
    values it is not the scale itself but what the scale depends on; the scale is then unknown (None).
    """
    model = subject.model
    names = subject.trace.variable_names()
    if model is not None and scale in model.named_vars:
        child = next((c for c in hierarchy.centered_children(model, scale) if c.group in names), None)
        if child is None:
            return None
        group, scale_code, location, from_graph = child.group, child.scale, child.location, True
    elif positive:
        found = hierarchy.centered_hierarchy(subject.trace, scale)
        if found is None:
            return None
        group, location = found
        scale_code, location = python_name(scale), location and python_name(location)
        from_graph = False
    else:
        group = hierarchy.spread_follower(subject.trace, scale)
        if group is None:
            return None
        scale_code, location, from_graph = None, None, False
    dims, shape = subject.trace.declared_shape(group)
    return {
        "group": group,
        "scale": scale_code,
        "location": location,
        "dims": dims,
        "shape": shape,
        "from_graph": from_graph,
    }


def divergence_evidence(
    subject: Subject, max_divergences: int, error_share: float, min_to_locate: int
) -> dict[str, Any] | None:
    """How many transitions diverged, per chain, where they sit, and the hierarchy behind a funnel."""
    trace = subject.trace
    diverging = required_stat(trace, "diverging").astype(bool)
    divergent = int(diverging.sum())
    if divergent <= max_divergences:
        return None
    located = divergence_locations(trace) if divergent >= min_to_locate else []
    clear = [loc for loc in located if abs(loc["divergent_percentile"] - loc["other_percentile"]) >= CLEAR_DISTANCE]
    neck, child = _funnel_neck(subject, clear)
    if neck is not None:
        clear.remove(neck)
        clear.insert(0, neck)  # the funnel's neck leads, even where an element of its child sits further out
    top = clear[0] if clear else None
    return {
        # Divergences at low values of a variable that takes negative values, the draws alone: the neck of
        # a funnel whose scale is a function of it (Neal's `v`), not a scale to rewrite itself.
        "log_scale_neck": bool(
            top
            and top["variable"] == top["label"]
            and top["divergent_percentile"] < top["other_percentile"]
            and not top["positive"]
            and not (subject.model is not None and top["variable"] in subject.model.named_vars)
        ),
        "divergences": divergent,
        "draws": diverging.size,
        "per_chain": diverging.sum(axis=1).astype(int).tolist(),
        "located": located,
        "clear": clear,
        "severity": "error" if clear or divergent / diverging.size > error_share else "warning",
        "hierarchy": child,
    }


def _funnel_neck(subject: Subject, clear: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The first location that is a funnel's neck, a scalar at whose small values divergences sit and
    which sets the scale of a centered group, with that group; ``(None, None)`` when none is."""
    for location in clear:
        small = location["divergent_percentile"] < location["other_percentile"]
        if location["variable"] != location["label"] or not small:
            continue
        child = centered_child(subject, location["variable"], positive=location["positive"])
        if child is not None:
            return location, child
    return None, None


def _divergence_message(found: dict[str, Any]) -> str:
    divergent, total = found["divergences"], found["draws"]
    message = (
        f"{divergent} of {total} draws after tuning ({divergent / total:.1%}) diverged "
        f"(per chain: {', '.join(map(str, found['per_chain']))})."
    )
    if not found["clear"]:
        if found["located"]:
            message += " They are spread over the posterior rather than concentrated at one variable."
        return message
    top, child = found["clear"][0], found["hierarchy"]
    where = "small" if top["divergent_percentile"] < top["other_percentile"] else "large"
    message += (
        f" They sit at {where} values of `{top['label']}`: on average at its "
        f"{top['divergent_percentile']:.0%} percentile, against {top['other_percentile']:.0%} for the other draws."
    )
    if child and child["from_graph"]:
        message += (
            f" In the model, `{child['group']}` ~ Normal({child['location'] or 0}, {child['scale']}): a centered "
            "hierarchy, whose funnel the sampler cannot enter."
        )
    elif child and child["scale"] is None:
        message += (
            f" `{top['variable']}` takes negative values, so it is not itself a scale; the spread of "
            f"`{child['group']}` follows it draw by draw: `{child['group']}`'s scale depends on `{top['variable']}`, "
            "a funnel the sampler cannot enter."
        )
    elif child:
        message += (
            f" The spread of `{child['group']}` follows `{top['variable']}` draw by draw: a centered "
            "hierarchy, whose funnel the sampler cannot enter."
        )
    elif found["log_scale_neck"]:
        message += (
            f" `{top['variable']}` takes negative values, so it is not itself a scale: divergences at its low "
            "values point to variables whose scale depends on it (a funnel). The draws name none; the model would."
        )
    return message


def _divergence_treatment(trace: TraceView, found: dict[str, Any]) -> tuple[str, str, tuple[RerunStep, ...]]:
    """The fix, its code and the re-run strategy: smaller steps, then the rewrite the divergences point to."""
    smaller_steps = RerunStep(
        "Take smaller steps: raise target_accept (cheap; removes a few stray divergences).",
        remedies.sample_call(trace.sampler, target_accept=0.95),
    )
    # The install line is shell, not Python: it stands in the description, never in the code block.
    install = "" if importlib.util.find_spec("nutpie") else " Install it first: `pip install nutpie`."
    nutpie = RerunStep(
        f"Try the nutpie sampler, whose mass-matrix adaptation copes better with hard geometry.{install}",
        remedies.sample_call("nutpie", target_accept=0.95),
    )
    child = found["hierarchy"]
    if child:
        group, scale = child["group"], child["scale"]
        if scale is None:
            neck = found["clear"][0]["variable"]
            rewrite = remedies.noncentered_of_neck_code(group, neck, None, child["dims"], child["shape"])
            scaled_by = f"`{group}`'s scale, the function of `{neck}` its declaration gives (not `{neck}` itself)"
        else:
            rewrite = remedies.noncentered_code(group, scale, child["location"], child["dims"], child["shape"])
            scaled_by = f"`{scale}`"
        return (
            f"Rewrite `{group}` non-centered: sample a standard normal offset and scale it by {scaled_by}.",
            rewrite,
            (
                smaller_steps,
                RerunStep(f"Non-centered parameterization of `{group}` (the lasting fix).", rewrite),
                nutpie,
            ),
        )
    steps = [smaller_steps]
    if found["log_scale_neck"]:
        neck = found["clear"][0]["variable"]
        steps.append(
            RerunStep(
                f"Rewrite non-centered the variables whose scale depends on `{neck}` (`{neck}` itself is not a "
                "scale); pass the model to pymc-doctor to have them named.",
                remedies.sample_call(trace.sampler, target_accept=0.99),
            )
        )
    elif found["clear"]:
        steps.append(
            RerunStep(
                f"Reparameterize `{found['clear'][0]['variable']}`: a tighter prior, a non-centered form, or "
                "sampling it on the log scale; call `model.debug()` to see its constraints.",
                remedies.sample_call(trace.sampler, target_accept=0.99),
            )
        )
    fix = "Raise target_accept; if divergences remain, reparameterize the variable they point to."
    return fix, smaller_steps.code, (*steps, nutpie)


def _divergence_plots(found: dict[str, Any]) -> tuple[PlotRequest, ...]:
    """Divergent draws over the coordinates the finding names: a funnel's scale against every element
    of its group (an element picked from it would stand for a group it does not name), or the two
    variables they sit furthest from the rest at."""
    clear = found["clear"]
    if found["hierarchy"]:
        scale, group = clear[0]["label"], found["hierarchy"]["group"]
        return (PlotRequest("funnel", (scale, group), f"Divergent draws over {scale} and every element of {group}"),)
    if len(clear) >= 2:
        pair = (clear[0]["label"], clear[1]["label"])
        return (PlotRequest("pair", pair, f"Divergent draws over {pair[0]} and {pair[1]}"),)
    return ()


@_rule(
    "SMP101", "divergences", severity="error", params={"max_divergences": 0, "error_share": 0.001, "min_to_locate": 5}
)
def divergences(subject: Subject, max_divergences: int, error_share: float, min_to_locate: int) -> Iterator[Finding]:
    """Divergent transitions after tuning.

    What it checks: the number of post-warm-up NUTS transitions marked divergent, per chain, and
    which variables the divergent draws sit at (their mean percentile against the other draws).

    Why it matters: a divergence means the integrator left the region where the posterior's
    geometry could be followed (typically a funnel in a hierarchical model). The draws near it are
    missing, so the sample is biased even when R-hat looks fine.

    Threshold: more than `max_divergences` (default 0) divergent transitions, as in Stan and PyMC.
    They are an error when they exceed `error_share` (default 0.1%) of the draws or concentrate at
    one variable, and a warning otherwise (a stray one or two, which a higher `target_accept`
    usually removes). Where they sit is estimated from `min_to_locate` (default 5) divergences on.

    Example: ArviZ's `centered_eight` has 19 divergences, concentrated at small `tau`.

    Fix: raise `target_accept` (0.95, 0.99) for a few stray divergences; for many, or ones that sit
    at small values of a scale, rewrite the hierarchy non-centered; then try another
    initialization or the nutpie sampler. The variable to rewrite is the child whose scale is the
    funnel's neck: with the model, its graph names it; with a trace alone, the vector whose spread
    follows the neck draw by draw. A neck that takes negative values (Neal's `v`, a log-scale) is
    never itself the variable to rewrite: the child is, with its scale left for the user to fill in
    (the draws do not say which function of the neck it is), or, when the draws name no child, the
    variables whose scale depends on the neck.
    """
    found = divergence_evidence(subject, max_divergences, error_share, min_to_locate)
    if found is None:
        return
    trace, clear = subject.trace, found["clear"]
    fix, fix_code, rerun = _divergence_treatment(trace, found)
    yield _finding(
        "SMP101",
        found["severity"],
        f"{count(found['divergences'], 'divergent transition')} after tuning",
        _divergence_message(found),
        variables=tuple(loc["label"] for loc in clear),
        evidence={
            "divergences": found["divergences"],
            "draws": found["draws"],
            "share": found["divergences"] / found["draws"],
            "per_chain": found["per_chain"],
            "locations": {
                loc["label"]: {
                    "divergent_percentile": round(loc["divergent_percentile"], 3),
                    "other_percentile": round(loc["other_percentile"], 3),
                }
                for loc in clear
            },
        },
        fix=fix,
        fix_code=fix_code,
        rerun=rerun,
        plots=_divergence_plots(found),
    )
