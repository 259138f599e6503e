"""Power-scaling's inputs: each draw's log prior and log-likelihood, from the trace's groups or computed from
the model on the draws of ``fitdata``'s log-likelihood, and the sensitivities of each parameter element.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import xarray as xr

from pymc_doctor import compat, powerscaling
from pymc_doctor.fitdata import drawn_by_pymc, log_likelihood, once
from pymc_doctor.registry import CannotCheck
from pymc_doctor.trace import TraceView

# Draws x parameter elements power-scaled at most (each element's draws are sorted once): about 4,000 draws of
# 1,000 parameters; more parameters are judged on fewer draws, never under 1,000 (PSIS needs them).
SENSITIVITY_VALUES = 4_000_000
SENSITIVITY_MIN_DRAWS = 1000


def log_densities(trace: TraceView, model: Any) -> dict[str, Any]:
    """The ``posterior``, and on its draws the ``log_prior`` and the ``log_likelihood`` summed per draw as
    (chain, draw) arrays, the ``priors`` summed, ``drawn`` and ``seconds``; for power-scaling.

    With a model, only the top-level priors (those whose parameters are constants) are summed, as brms's
    ``lprior`` holds: power-scaling a hierarchical child's density would scale the model's structure too.
    """
    return once(trace, model, "log_densities", lambda: _log_densities(trace, model))


def _top_level_priors(model: Any) -> list[str]:
    """The free variables whose prior has constant parameters, less the offsets of non-centered hierarchies
    (zero-mean Normals multiplied by another free variable: ``mu + tau * offset``), which brms's ``lprior``
    leaves out too."""
    from pytensor.graph.traversal import io_toposort

    from pymc_doctor.modelgraph.graph import depends_on, dist_params, scalar_op, transparent_base

    free = list(model.free_RVs)
    top = [rv for rv in free if not any(depends_on(param, free) for param in dist_params(rv))]
    centred = [rv for rv in top if type(rv.owner.op).__name__ == "NormalRV" and _zero(dist_params(rv)[0])]
    outputs = [*model.deterministics, *(p for rv in [*free, *model.observed_RVs] for p in dist_params(rv))]
    offsets = set()
    for node in io_toposort(free, outputs):
        if type(scalar_op(node)).__name__ != "Mul":
            continue
        factors = [transparent_base(factor)[0] for factor in node.inputs]
        for rv in centred:
            if any(f is rv for f in factors) and any(f is not rv and depends_on(f, free) for f in factors):
                offsets.add(rv.name)
    return [rv.name for rv in top if rv.name not in offsets]


def _zero(var: Any) -> bool:
    from pymc_doctor.modelgraph import constant_value

    value = constant_value(var)
    return value is not None and bool(np.all(value == 0))


def _log_densities(trace: TraceView, model: Any) -> dict[str, Any]:
    likelihood = log_likelihood(trace, model)
    posterior, seconds = likelihood["posterior"], likelihood["seconds"]
    priors = _top_level_priors(model) if model is not None else None
    if "log_prior" in trace.fit_groups:
        found = trace.fit_groups["log_prior"]
        try:
            found = found.sel(chain=posterior["chain"].values, draw=posterior["draw"].values)
        except (KeyError, ValueError) as exc:
            raise CannotCheck("the log_prior group holds other draws than the posterior") from exc
        found = found[[name for name in priors if name in found]] if priors is not None else found
    elif model is None:
        raise CannotCheck("the trace has no log_prior group, and no model was given to compute it")
    else:
        import pymc as pm

        started = time.perf_counter()
        computed = drawn_by_pymc("log prior", pm.compute_log_prior, posterior, model, var_names=priors)
        found = computed if isinstance(computed, xr.Dataset) else compat.trace_groups(computed)["log_prior"]
        seconds += time.perf_counter() - started
    if not found.data_vars:
        raise CannotCheck("the log_prior group holds no prior of the model")
    return {
        "posterior": posterior,
        "log_prior": summed(found),
        "log_likelihood": summed(likelihood["log_likelihood"]),
        "priors": tuple(map(str, found.data_vars)),
        "drawn": likelihood["drawn"] or "log_prior" not in trace.fit_groups,
        "seconds": seconds,
    }


def summed(group: xr.Dataset) -> np.ndarray:
    """Each draw's total over every variable and element of a log-density group, as (chain, draw)."""
    total = 0.0
    for values in group.data_vars.values():
        other = [d for d in values.dims if d not in ("chain", "draw")]
        total = total + values.sum(other).transpose("chain", "draw").values.astype(np.float64)
    return np.asarray(total)


def sensitivities(trace: TraceView, model: Any) -> dict[str, Any]:
    """Per element of each parameter (the model's free variables; without a model every posterior variable),
    its ``label``, ``variable`` and power-scaling sensitivity to the ``prior`` and to the ``likelihood``
    (``powerscaling``); the Pareto k̂ of each component's weights (``khat``), the ``priors`` scaled,
    ``draws``, ``drawn`` and ``seconds``."""
    return once(trace, model, "sensitivities", lambda: _sensitivities(trace, model))


def _sensitivities(trace: TraceView, model: Any) -> dict[str, Any]:
    data = log_densities(trace, model)
    free = None if model is None else {rv.name for rv in model.free_RVs}
    judged = [
        str(name)
        for name, values in data["posterior"].data_vars.items()
        if (free is None or name in free) and values.dtype.kind in "biuf"
    ]
    if not judged:
        raise CannotCheck("the posterior holds no numeric parameter")
    posterior = data["posterior"][judged]
    # Every k-th draw when the parameters are so many that all draws of all of them exceed the budget.
    step = _draw_step(posterior, SENSITIVITY_VALUES, SENSITIVITY_MIN_DRAWS)
    posterior = posterior.isel(draw=slice(None, None, step))
    components = {
        "prior": data["log_prior"][:, ::step].reshape(-1),
        "likelihood": data["log_likelihood"][:, ::step].reshape(-1),
    }
    if not all(np.isfinite(values).all() for values in components.values()):
        raise CannotCheck("the log prior or the log-likelihood is not finite at every draw")
    weights = powerscaling.scaling_weights(components)
    elements = []
    for name in judged:
        draws = posterior[name].transpose("chain", "draw", ...).values.reshape(components["prior"].size, -1)
        found = powerscaling.sensitivity(draws, weights)
        labels = trace.element_labels(name) if name in trace.posterior else [name]
        elements.extend(
            {"label": label, "variable": name, "prior": float(p), "likelihood": float(lik)}
            for label, p, lik in zip(labels, found["prior"], found["likelihood"], strict=True)
        )
    kept = {key: data[key] for key in ("priors", "drawn", "seconds")}
    khat = {name: worst for name, (_, worst) in weights.items()}
    return {**kept, "elements": elements, "khat": khat, "draws": int(components["prior"].size)}


def _draw_step(posterior: xr.Dataset, budget: int, least: int) -> int:
    """Keep every k-th draw so that draws x parameter elements stay within ``budget``, and at least ``least``
    draws remain."""
    samples = posterior.sizes["chain"] * posterior.sizes["draw"]
    per_draw = sum(int(values.size) for values in posterior.data_vars.values()) // max(samples, 1)
    wanted = max(least, budget // max(per_draw, 1))
    return max(1, min(samples // max(least, 1), int(np.ceil(samples / wanted))))
