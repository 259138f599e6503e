"""The draws that judge a model's fit, from the trace or, when it lacks them, drawn from the model.

Posterior predictive draws and the pointwise log-likelihood are read from the trace's groups; when a
group is missing and the model is given, PyMC computes it from a thinned copy of the posterior
(fewer draws the more the model observes, ``draw_limit``), seeded, and the user's trace object is
never extended. Each is computed once per trace and model.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from pymc_doctor import compat, fitstats, powerscaling
from pymc_doctor.quiet import quiet
from pymc_doctor.registry import CannotCheck
from pymc_doctor.trace import TraceView

PREDICTIVE_SEED = 20261202
# Posterior draws used to draw replicates: enough for p-values resolved to 0.2%, few enough to be quick.
MAX_PREDICTIVE_DRAWS = 500
# Posterior draws used for the log-likelihood: PSIS needs more draws than p-values for a stable k̂.
MAX_LIKELIHOOD_DRAWS = 2000
# Values (draws x observations) the doctor computes at most, which bounds its time and memory (160 MB
# of float64): a model with a million observations gets 20 draws, not 2,000.
VALUE_BUDGET = 20_000_000
MIN_DRAWS = 20
# Groups along a dim, judged on their own: a categorical coordinate of few levels, each with enough data.
MAX_GROUPS = 20
MIN_GROUP = 5
# Draws x parameter elements power-scaled at most (each element's draws are sorted once): about 4,000 draws of
# 1,000 parameters; more parameters are judged on fewer draws, never under 1,000 (PSIS needs them).
SENSITIVITY_VALUES = 4_000_000
SENSITIVITY_MIN_DRAWS = 1000

_CACHE: weakref.WeakKeyDictionary[TraceView, dict[tuple[str, int], Any]] = weakref.WeakKeyDictionary()


def thinned(posterior: xr.Dataset, max_draws: int) -> xr.Dataset:
    """Every k-th draw of each chain, so that at most ``max_draws`` draws remain in all."""
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    step = max(1, int(np.ceil(chains * draws / max_draws)))
    return posterior.isel(draw=slice(None, None, step))


def draw_limit(model: Any, most: int, budget: int = VALUE_BUDGET) -> int:
    """How many posterior draws to compute on: ``most``, fewer when the model observes so much that
    ``most`` draws of every observation exceed ``budget`` values (never under ``MIN_DRAWS``)."""
    from pymc_doctor.modelgraph import facts

    try:
        observations = sum(int(np.size(values)) for values in facts(model).observed_values.values())
    except Exception:  # data the doctor cannot evaluate: keep the default
        return most
    return max(MIN_DRAWS, min(most, budget // max(observations, 1)))


def _cached(trace: TraceView, model: Any, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per trace, model and ``key``; a CannotCheck is remembered too."""
    results = _CACHE.setdefault(trace, {})
    slot = (key, id(model))
    if slot not in results:
        try:
            results[slot] = compute()
        except CannotCheck as exc:
            results[slot] = exc
    if isinstance(results[slot], CannotCheck):
        raise results[slot]
    return results[slot]


def _drawn_by_pymc(what: str, function: Callable[[], Any]) -> tuple[Any, float]:
    """Run a PyMC function quietly; its failure (a model that does not match the trace) says why."""
    start = time.perf_counter()
    try:
        with quiet("pymc"):
            return function(), time.perf_counter() - start
    except Exception as exc:
        raise CannotCheck(
            f"the model could not compute the {what} from this trace ({type(exc).__name__}: {exc})"
        ) from exc


def predictive(trace: TraceView, model: Any) -> dict[str, Any]:
    """``posterior_predictive`` and ``observed_data`` Datasets, ``drawn`` (whether the doctor drew them)
    and ``seconds``; raises CannotCheck when the trace lacks them and no model can draw them."""
    return _cached(trace, model, "predictive", lambda: _predictive(trace, model))


def _predictive(trace: TraceView, model: Any) -> dict[str, Any]:
    groups = trace.fit_groups
    if "posterior_predictive" in groups and "observed_data" in groups:
        return {**groups, "drawn": False, "seconds": 0.0}
    if model is None:
        raise CannotCheck("the trace has no posterior predictive draws and observed data, and no model was given")
    import pymc as pm

    container = compat.arviz_container({"posterior": thinned(trace.posterior, draw_limit(model, MAX_PREDICTIVE_DRAWS))})
    drawn, seconds = _drawn_by_pymc(
        "posterior predictive draws",
        lambda: pm.sample_posterior_predictive(
            container, model=model, random_seed=PREDICTIVE_SEED, progressbar=False, extend_inferencedata=False
        ),
    )
    found = compat.trace_groups(drawn)
    if "observed_data" not in found:
        raise CannotCheck("the model has no observed variables")
    return {
        "posterior_predictive": found["posterior_predictive"],
        "observed_data": found["observed_data"],
        "drawn": True,
        "seconds": seconds,
    }


def log_likelihood(trace: TraceView, model: Any) -> dict[str, Any]:
    """The ``posterior`` and its pointwise ``log_likelihood`` (same draws), ``drawn`` and ``seconds``;
    raises CannotCheck when the trace lacks it and no model can compute it."""
    return _cached(trace, model, "log_likelihood", lambda: _log_likelihood(trace, model))


def _log_likelihood(trace: TraceView, model: Any) -> dict[str, Any]:
    if "log_likelihood" in trace.fit_groups:
        return {
            "posterior": trace.posterior,
            "log_likelihood": trace.fit_groups["log_likelihood"],
            "drawn": False,
            "seconds": 0.0,
        }
    if model is None:
        raise CannotCheck("the trace has no log_likelihood group, and no model was given to compute it")
    import pymc as pm

    posterior = thinned(trace.posterior, draw_limit(model, MAX_LIKELIHOOD_DRAWS))
    container = compat.arviz_container({"posterior": posterior})
    computed, seconds = _drawn_by_pymc(
        "pointwise log-likelihood",
        lambda: pm.compute_log_likelihood(container, model=model, extend_inferencedata=False, progressbar=False),
    )
    found = computed if isinstance(computed, xr.Dataset) else compat.trace_groups(computed)["log_likelihood"]
    return {"posterior": posterior, "log_likelihood": found, "drawn": True, "seconds": seconds}


def observations(predictive_groups: dict[str, Any], name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """One observed variable's replicates as (draw, observation), its data as (observation,), and its dims."""
    observed = predictive_groups["observed_data"][name]
    replicated = predictive_groups["posterior_predictive"][name]
    dims = tuple(str(d) for d in observed.dims)
    replicated = replicated.stack(sample=("chain", "draw")).transpose("sample", *dims)
    return replicated.values.reshape(replicated.sizes["sample"], -1), observed.values.reshape(-1), dims


def groups_of(observed: xr.DataArray) -> list[tuple[str, np.ndarray]]:
    """The groups of one observed variable along each dim whose coordinate has 2 to ``MAX_GROUPS`` levels:
    per level, its label (``county = X``) and which of the flattened observations it holds; groups of
    fewer than ``MIN_GROUP`` observations are left out."""
    found = []
    for dim in map(str, observed.dims):
        if dim not in observed.coords:
            continue
        levels = observed.coords[dim].values
        unique = list(dict.fromkeys(levels.tolist()))
        if not 2 <= len(unique) <= MAX_GROUPS:
            continue
        along = observed.coords[dim].broadcast_like(observed).transpose(*observed.dims).values.reshape(-1)
        for level in unique:
            mask = along == level
            if mask.sum() >= MIN_GROUP:
                found.append((f"{dim} = {level}", mask))
    return found


def loo(trace: TraceView, model: Any) -> list[dict[str, Any]]:
    """ArviZ's PSIS-LOO (``fitstats.loo``) of each observed variable with a pointwise log-likelihood, with its
    ``name``, the ``draws`` it used, whether the doctor computed the log-likelihood (``drawn``) and in how
    many ``seconds``."""
    return _cached(trace, model, "loo", lambda: _loo(trace, model))


def _loo(trace: TraceView, model: Any) -> list[dict[str, Any]]:
    data = log_likelihood(trace, model)
    found = []
    for name in map(str, data["log_likelihood"].data_vars):
        groups = {"posterior": data["posterior"], "log_likelihood": data["log_likelihood"]}
        result = fitstats.loo(groups, name)
        draws = data["posterior"].sizes["chain"] * data["posterior"].sizes["draw"]
        found.append({"name": name, **result, "draws": draws, "drawn": data["drawn"], "seconds": data["seconds"]})
    if not found:
        raise CannotCheck("the log_likelihood group holds no variable")
    return found


def loo_pit(trace: TraceView, model: Any) -> list[dict[str, Any]]:
    """Per observed variable with replicates and a pointwise log-likelihood: its ``name``, dims and ArviZ's
    LOO-PIT values (``fitstats.loo_pit``), on the draws both groups share."""
    return _cached(trace, model, "loo_pit", lambda: _loo_pit(trace, model))


def _loo_pit(trace: TraceView, model: Any) -> list[dict[str, Any]]:
    replicates, likelihood = predictive(trace, model), log_likelihood(trace, model)
    predicted = replicates["posterior_predictive"]
    try:  # the doctor draws both from thinned posteriors: the replicates' draws are among the likelihood's
        shared = {"chain": predicted["chain"].values, "draw": predicted["draw"].values}
        pointwise = likelihood["log_likelihood"].sel(shared)
    except (KeyError, ValueError) as exc:
        raise CannotCheck("the posterior predictive draws are not draws of the log_likelihood group") from exc
    found = []
    for name in map(str, replicates["observed_data"].data_vars):
        if name not in predicted or name not in pointwise:
            continue
        groups = {
            "posterior": likelihood["posterior"].sel(shared),
            "posterior_predictive": predicted[[name]],
            "observed_data": replicates["observed_data"][[name]],
            "log_likelihood": pointwise[[name]],
        }
        dims = tuple(str(d) for d in replicates["observed_data"][name].dims)
        found.append({"name": name, "dims": dims, "pit": fitstats.loo_pit(groups, name)})
    if not found:
        raise CannotCheck("no observed variable has both posterior predictive draws and a log-likelihood")
    return found


def log_densities(trace: TraceView, model: Any) -> dict[str, Any]:
    """The ``posterior``, and on its draws the ``log_prior`` and the ``log_likelihood`` summed per draw as
    (chain, draw) arrays, the ``priors`` summed, ``drawn`` and ``seconds``; for power-scaling.

    With a model, only the top-level priors (those whose parameters are constants) are summed, as brms's
    ``lprior`` holds: power-scaling a hierarchical child's density would scale the model's structure too.
    """
    return _cached(trace, model, "log_densities", lambda: _log_densities(trace, model))


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

        container = compat.arviz_container({"posterior": posterior})
        computed, spent = _drawn_by_pymc(
            "log prior",
            lambda: pm.compute_log_prior(
                container, var_names=priors, model=model, extend_inferencedata=False, progressbar=False
            ),
        )
        found = computed if isinstance(computed, xr.Dataset) else compat.trace_groups(computed)["log_prior"]
        seconds += spent
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
    return _cached(trace, model, "sensitivities", lambda: _sensitivities(trace, model))


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
