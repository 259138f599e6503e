"""The subject of a doctor run: the normalized views the rules read (trace, model, environment, error)."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymc_doctor import compat

if TYPE_CHECKING:
    from collections.abc import Callable

    from pymc_doctor.trace import TraceView


# The needs of the fit rules: groups of the trace that the model can compute when they are missing.
FIT_NEEDS = {
    "predictive": ("posterior_predictive", "observed_data"),
    "log_likelihood": ("log_likelihood",),
    "log_prior": ("log_prior",),
}


@dataclass
class Subject:
    """What the checks look at: a trace, a model, the environment, an error; any of them may be absent."""

    trace: TraceView | None = None
    model: Any = None  # a pymc.Model
    env: Any = None  # the environment probes' results
    error: Any = None  # an error's text, parsed (``ErrorText``), for the explain rules
    model_name: str | None = None  # the user's name for the model, which fix code then uses
    # Told what slow work a check does before it starts it (computing from the model); checks never print.
    progress: Callable[[str], None] | None = None

    def has(self, need: str) -> bool:
        """Whether the part of the subject that ``need`` reads (trace, model, environment) was given at all;
        for the fit groups, whether the trace holds them or a model can compute them."""
        if need in FIT_NEEDS:
            return self.missing(need) is None
        part = {"sample_stats": "trace", "nuts": "trace"}.get(need, need)
        return getattr(self, part, None) is not None

    def missing(self, need: str) -> str | None:
        """Why ``need`` is unavailable, or None when it is there."""
        if need == "model":
            return None if self.model is not None else "no model was given"
        if need == "env":
            return None if self.env is not None else "the environment was not examined"
        if need == "error":
            return None if self.error is not None else "no error was given"
        trace = self.trace
        if need in FIT_NEEDS:
            if trace is None:
                return "no trace was given"
            groups = FIT_NEEDS[need]
            if set(groups) <= set(trace.fit_groups) or self.model is not None:
                return None
            return f"the trace has no {' and '.join(groups)} group, and no model was given to compute it"
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
                "versions": recorded_versions(trace),
            }
        return context


def recorded_versions(trace: TraceView) -> dict[str, str]:
    """The PyMC and ArviZ versions the trace's attributes record (ArviZ 0.x writes ``arviz_version``,
    1.x ``creation_library_version``), which may differ from those installed now."""
    attrs = trace.posterior.attrs
    found = {name: attrs.get(f"{name}_version") for name in ("pymc", "arviz")}
    if str(attrs.get("creation_library", "")).lower() == "arviz":
        found["arviz"] = found["arviz"] or attrs.get("creation_library_version")
    if (trace.library or "").lower() == "pymc":
        found["pymc"] = found["pymc"] or trace.library_version
    return {name: str(version) for name, version in found.items() if version}
