"""The mechanical plan steps, applied to a copy of the user's model: the user's object is never touched."""

from __future__ import annotations

from typing import Any

import numpy as np


class CannotApply(Exception):
    """The step does not fit this model (the message says why): the user must make it by hand."""


def apply(model: Any, action: dict[str, Any], posterior: Any) -> tuple[Any, dict[str, Any]]:
    """A copy of ``model`` with ``action`` applied, and the sampling options the step adds."""
    kind = action.get("kind")
    if kind == "sample":
        return model, dict(action.get("kwargs", {}))
    if kind == "sampler":
        return model, {"sampler": action["sampler"]}
    if kind == "sample_smc":
        return model, {"smc": dict(action.get("kwargs", {}))}
    if kind == "noncentered":
        return noncentered(model, action["group"]), {}
    if kind == "ordered":
        return ordered(model, action["variable"], posterior)
    if kind == "positive_prior":
        return positive_prior(model, action["variable"]), {}
    raise CannotApply(f"no mechanical rewrite for a {kind!r} step")


def noncentered(model: Any, group: str) -> Any:
    """``group ~ Normal(mu, sigma)`` becomes ``mu + sigma * group_offset`` with ``group_offset ~ Normal(0, 1)``.

    ``mu`` and ``sigma`` are read from the model's own graph, so any location or scale expression
    keeps its meaning, and ``group`` stays in the trace as a Deterministic with its dims.
    """
    import pymc as pm
    from pymc.model.fgraph import clone_model
    from pytensor.tensor.random.basic import NormalRV

    clone = clone_model(model)
    if group not in clone.named_vars or clone[group] not in clone.free_RVs:
        raise CannotApply(f"`{group}` is not a free variable of the model")
    variable = clone[group]
    if not isinstance(variable.owner.op, NormalRV):
        raise CannotApply(f"`{group}` is not Normal: only Normal hierarchies are rewritten mechanically")
    location, scale = variable.owner.op.dist_params(variable.owner)
    dims = clone.named_vars_to_dims.get(group)
    offset_name = f"{group}_offset"
    if offset_name in clone.named_vars:
        raise CannotApply(f"the model already has a variable named `{offset_name}`")
    # A shape read from the variable itself would make the offset depend on what it replaces.
    shape = None if dims else tuple(int(size) for size in variable.shape.eval())
    with clone:
        offset = pm.Normal(offset_name, 0.0, 1.0, dims=dims, shape=shape)
    return pm.do(clone, {group: location + scale * offset}, prune_vars=False)


def ordered(model: Any, variable: str, posterior: Any) -> tuple[Any, dict[str, Any]]:
    """An ``ordered`` transform on ``variable``, started at increasing values within its posterior range."""
    from pymc.distributions.transforms import ordered as ordered_transform
    from pymc.model.transform.conditioning import change_value_transforms

    if variable not in model.named_vars or model[variable] not in model.free_RVs:
        raise CannotApply(f"`{variable}` is not a free variable of the model")
    shape = tuple(model.initial_point()[model.rvs_to_values[model[variable]].name].shape)
    if not shape or shape[-1] < 2:
        raise CannotApply(f"`{variable}` has no components to order")
    draws = np.asarray(posterior[variable]) if posterior is not None and variable in posterior else np.zeros(1)
    low, high = np.nanquantile(draws, [0.1, 0.9]) if np.isfinite(draws).any() else (-1.0, 1.0)
    if not high > low:
        low, high = low - 1.0, high + 1.0
    start = np.broadcast_to(np.linspace(low, high, shape[-1]), shape).copy()
    return change_value_transforms(model, {variable: ordered_transform}), {"initvals": {variable: start}}


def positive_prior(model: Any, variable: str) -> Any:
    """``variable ~ Normal(mu, sigma)`` becomes ``variable ~ HalfNormal(sigma)``, sampled on the log scale.

    ``sigma`` is read from the model's own graph (``mu`` is dropped: the new prior starts at zero, as a
    scale's does), and the variable keeps its name, size and dims, so whatever uses it as a scale now
    sees positive values only. The rewrite is made on the model's
    function graph, where the variable's node and its value transform can be swapped together.
    """
    import pymc as pm
    import pytensor.tensor as pt
    from pymc.distributions.transforms import log
    from pymc.model.fgraph import fgraph_from_model, model_from_fgraph
    from pytensor.tensor.random.basic import NormalRV
    from pytensor.tensor.type_other import NoneTypeT

    if variable not in model.named_vars or model[variable] not in model.free_RVs:
        raise CannotApply(f"`{variable}` is not a free variable of the model")
    fgraph, memo = fgraph_from_model(model)
    node = memo[model[variable]].owner
    rv, value, *rest = node.inputs
    if not isinstance(rv.owner.op, NormalRV):
        raise CannotApply(f"`{variable}` is not Normal: only a Normal prior is swapped for a positive one mechanically")
    location, scale = rv.owner.op.dist_params(rv.owner)
    # An explicit size is kept; without one the parameters' broadcast shape gives it, as it did.
    size = rv.owner.op.size_param(rv.owner)
    if isinstance(size.type, NoneTypeT):
        size = pt.broadcast_shape(location, scale)
    positive = pm.HalfNormal.dist(sigma=scale, size=size)
    positive.name = variable
    new_value = value.type(name=f"{variable}_{log.name}__")
    # The op's own properties (its name and dims on PyMC 6) are kept; only the transform changes.
    props = {prop: getattr(node.op, prop) for prop in node.op.__props__}
    swapped = type(node.op)(**{**props, "transform": log})(positive, new_value, *rest)
    fgraph.replace(node.outputs[0], swapped, import_missing=True)
    return model_from_fgraph(fgraph, mutate_fgraph=True)
