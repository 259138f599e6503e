"""The draws that judge a model's fit, from the trace or, when it lacks them, drawn from the model.

Posterior predictive draws and the pointwise log-likelihood are read from the trace's groups; when a
group is missing and the model is given, PyMC computes it from a seeded subset of the posterior's draws
(fewer the more the model observes, ``draw_limit``), and the user's trace object is never extended. Each
is computed once per trace and model, within a clock budget shared by both (``draw_seconds``): a first
few draws time the model, and only as many more as fit in what is left follow.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from pymc_doctor import compat, fitstats
from pymc_doctor.quiet import quiet
from pymc_doctor.registry import CannotCheck
from pymc_doctor.trace import TraceView

Progress = Callable[[str], None]

PREDICTIVE_SEED = 20261202
# Posterior draws used to draw replicates: enough for p-values resolved to 0.2%, few enough to be quick.
MAX_PREDICTIVE_DRAWS = 500
# Posterior draws used for the log-likelihood: PSIS needs more draws than p-values for a stable k̂.
MAX_LIKELIHOOD_DRAWS = 2000
# Values (draws x observations) the doctor computes at most, which bounds its time and memory (160 MB
# of float64): a model with a million observations gets 20 draws, not 2,000.
VALUE_BUDGET = 20_000_000
MIN_DRAWS = 20
# The seconds the doctor spends at most computing from the model per trace, both groups together: the compile
# (3 to 8 s per group for a regression with an empty PyTensor cache, benchmarks/README.md) and then the draws.
DRAW_SECONDS = 30.0
# Of the time left, the share the next call may plan to take, at the time per draw of the last.
PLANNED_SHARE = 0.8
# Calls to PyMC at most: the first pays the compile, the second times the draws, the third takes the rest.
CALLS = 3
# Groups along a dim, judged on their own: a categorical coordinate of few levels, each with enough data.
MAX_GROUPS = 20
MIN_GROUP = 5

_CACHE: weakref.WeakKeyDictionary[TraceView, dict[tuple[str, int], Any]] = weakref.WeakKeyDictionary()


def subset_order(draws: int) -> np.ndarray:
    """The draw indices of each chain in a seeded random order. The doctor computes on prefixes of it, so that
    a smaller subset lies within a larger one: the replicates' draws are among the log-likelihood's."""
    return np.random.default_rng(PREDICTIVE_SEED).permutation(draws)


def thinned(posterior: xr.Dataset, max_draws: int) -> xr.Dataset:
    """A seeded subset of the same draws of each chain, at most ``max_draws`` in all."""
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    kept = max(1, min(draws, max_draws // chains))
    return posterior.isel(draw=np.sort(subset_order(draws)[:kept]))


def draw_limit(model: Any, most: int, budget: int = VALUE_BUDGET) -> int:
    """How many posterior draws to compute on: ``most``, fewer when the model observes so much that
    ``most`` draws of every observation exceed ``budget`` values (never under ``MIN_DRAWS``)."""
    from pymc_doctor.modelgraph import facts

    try:
        observations = sum(int(np.size(values)) for values in facts(model).observed_values.values())
    except Exception:  # data the doctor cannot evaluate: keep the default
        return most
    return max(MIN_DRAWS, min(most, budget // max(observations, 1)))


def once(trace: TraceView, model: Any, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per trace, model and ``key``, for what several rules read; a CannotCheck is
    remembered too."""
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


def drawn_by_pymc(what: str, function: Callable[..., Any], posterior: xr.Dataset, model: Any, **options: Any) -> Any:
    """``function`` (``pm.sample_posterior_predictive``, ``compute_log_likelihood``...) of ``posterior``'s draws
    and ``model``, quietly and never extending a trace; its failure (a model that does not match the trace)
    says why."""
    container = compat.arviz_container({"posterior": posterior})
    try:
        with quiet("pymc"):
            return function(container, model=model, progressbar=False, extend_inferencedata=False, **options)
    except Exception as exc:
        raise CannotCheck(
            f"the model could not compute the {what} from this trace ({type(exc).__name__}: {exc})"
        ) from exc


def _clock(trace: TraceView, model: Any) -> list[float]:
    """The seconds spent so far computing from ``model`` for ``trace`` (a one-item list, to add to)."""
    return _CACHE.setdefault(trace, {}).setdefault(("clock", id(model)), [0.0])


def _within_budget(
    trace: TraceView,
    model: Any,
    what: str,
    most: int,
    compute: Callable[[xr.Dataset, int], xr.Dataset],
    seconds: float,
    progress: Progress | None,
) -> tuple[xr.Dataset, xr.Dataset, float]:
    """``compute(posterior, part)`` on a seeded subset of at most ``most`` posterior draws, within what is left
    of ``seconds`` for this trace and model, in up to ``CALLS`` calls: ``MIN_DRAWS`` draws first (which pay
    the compile), then as many as the last call's time per draw says fit, twice (the second call times the
    draws without the compile, so that the third can take the rest). The results joined along ``draw``, the
    posterior draws used, and the seconds taken; raises CannotCheck when the budget is spent before it starts.
    When the budget binds, how many draws are used depends on the machine's speed."""
    clock = _clock(trace, model)
    left = seconds - clock[0]
    if left <= 0:
        raise CannotCheck(
            f"the {what} were not computed: the doctor's computations from the model took {clock[0]:.1f} s, all "
            f"of the {seconds:g} s allowed (raise the threshold draw_seconds to allow more)"
        )
    posterior = trace.posterior
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    order, per_chain = subset_order(draws), max(1, min(draws, most // chains))
    if progress is not None:
        progress(f"computing the {what} from the model for the fit checks (at most {left:.0f} s)")
    start = time.perf_counter()
    used: list[xr.Dataset] = []
    parts: list[xr.Dataset] = []
    taken, size = 0, min(per_chain, -(-MIN_DRAWS // chains))
    while size > 0 and len(parts) < CALLS:
        used.append(posterior.isel(draw=np.sort(order[taken : taken + size])))
        called = time.perf_counter()
        parts.append(compute(used[-1], len(parts)))
        per_draw = max(time.perf_counter() - called, 1e-3) / size
        taken += size
        size = min(per_chain - taken, int(PLANNED_SHARE * (left - (time.perf_counter() - start)) / per_draw))
    elapsed = time.perf_counter() - start
    clock[0] += elapsed
    joined = xr.concat(parts, dim="draw").sortby("draw") if len(parts) > 1 else parts[0]
    return joined, xr.concat(used, dim="draw").sortby("draw"), elapsed


def predictive(
    trace: TraceView, model: Any, seconds: float = DRAW_SECONDS, progress: Progress | None = None
) -> dict[str, Any]:
    """``posterior_predictive`` and ``observed_data`` Datasets, ``drawn`` (whether the doctor drew them)
    and ``seconds``; raises CannotCheck when the trace lacks them and no model can draw them in time."""
    return once(trace, model, "predictive", lambda: _predictive(trace, model, seconds, progress))


def _predictive(trace: TraceView, model: Any, seconds: float, progress: Progress | None) -> dict[str, Any]:
    groups = trace.fit_groups
    if "posterior_predictive" in groups and "observed_data" in groups:
        return {**groups, "drawn": False, "seconds": 0.0}
    if model is None:
        raise CannotCheck("the trace has no posterior predictive draws and observed data, and no model was given")
    import pymc as pm

    observed: dict[str, xr.Dataset] = {}

    def draw(posterior: xr.Dataset, part: int) -> xr.Dataset:
        drawn = drawn_by_pymc(
            "posterior predictive draws",
            pm.sample_posterior_predictive,
            posterior,
            model,
            random_seed=PREDICTIVE_SEED + part,
        )
        found = compat.trace_groups(drawn)
        if "observed_data" not in found:
            raise CannotCheck("the model has no observed variables")
        observed.setdefault("data", found["observed_data"])
        return found["posterior_predictive"]

    limit = draw_limit(model, MAX_PREDICTIVE_DRAWS)
    replicates, _, took = _within_budget(trace, model, "posterior predictive draws", limit, draw, seconds, progress)
    return {"posterior_predictive": replicates, "observed_data": observed["data"], "drawn": True, "seconds": took}


def log_likelihood(
    trace: TraceView, model: Any, seconds: float = DRAW_SECONDS, progress: Progress | None = None
) -> dict[str, Any]:
    """The ``posterior`` and its pointwise ``log_likelihood`` (same draws), ``drawn`` and ``seconds``;
    raises CannotCheck when the trace lacks it and no model can compute it in time."""
    return once(trace, model, "log_likelihood", lambda: _log_likelihood(trace, model, seconds, progress))


def _log_likelihood(trace: TraceView, model: Any, seconds: float, progress: Progress | None) -> dict[str, Any]:
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

    def compute(posterior: xr.Dataset, part: int) -> xr.Dataset:
        computed = drawn_by_pymc("pointwise log-likelihood", pm.compute_log_likelihood, posterior, model)
        found = computed if isinstance(computed, xr.Dataset) else compat.trace_groups(computed)["log_likelihood"]
        # PyMC 5 numbers the draws afresh (0, 1, ...): they are the posterior's, which the replicates share.
        return found.assign_coords(chain=posterior["chain"].values, draw=posterior["draw"].values)

    limit = draw_limit(model, MAX_LIKELIHOOD_DRAWS)
    found, posterior, took = _within_budget(trace, model, "pointwise log-likelihood", limit, compute, seconds, progress)
    return {"posterior": posterior, "log_likelihood": found, "drawn": True, "seconds": took}


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


def loo(trace: TraceView, model: Any, seconds: float = DRAW_SECONDS, progress: Progress | None = None) -> list[dict]:
    """ArviZ's PSIS-LOO (``fitstats.loo``) of each observed variable with a pointwise log-likelihood, with its
    ``name``, the ``draws`` it used, whether the doctor computed the log-likelihood (``drawn``) and in how
    many ``seconds``."""
    return once(trace, model, "loo", lambda: _loo(log_likelihood(trace, model, seconds, progress)))


def _loo(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name in map(str, data["log_likelihood"].data_vars):
        groups = {"posterior": data["posterior"], "log_likelihood": data["log_likelihood"]}
        result = fitstats.loo(groups, name)
        draws = data["posterior"].sizes["chain"] * data["posterior"].sizes["draw"]
        found.append({"name": name, **result, "draws": draws, "drawn": data["drawn"], "seconds": data["seconds"]})
    if not found:
        raise CannotCheck("the log_likelihood group holds no variable")
    return found


def loo_pit(trace: TraceView, model: Any, seconds: float = DRAW_SECONDS, progress: Progress | None = None) -> list:
    """Per observed variable with replicates and a pointwise log-likelihood: its ``name``, dims and ArviZ's
    LOO-PIT values (``fitstats.loo_pit``), on the draws both groups share."""
    return once(
        trace,
        model,
        "loo_pit",
        lambda: _loo_pit(predictive(trace, model, seconds, progress), log_likelihood(trace, model, seconds, progress)),
    )


def _loo_pit(replicates: dict[str, Any], likelihood: dict[str, Any]) -> list[dict[str, Any]]:
    predicted = replicates["posterior_predictive"]
    # The doctor computes both on prefixes of one seeded order of draws, the shorter within the longer.
    draws = np.intersect1d(predicted["draw"].values, likelihood["log_likelihood"]["draw"].values)
    try:
        shared = {"chain": predicted["chain"].values, "draw": draws}
        pointwise = likelihood["log_likelihood"].sel(shared)
        predicted = predicted.sel(shared)
    except (KeyError, ValueError) as exc:
        raise CannotCheck("the posterior predictive draws are not draws of the log_likelihood group") from exc
    if draws.size * predicted.sizes["chain"] < MIN_DRAWS:
        raise CannotCheck("the posterior predictive draws and the log_likelihood group share too few draws")
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
