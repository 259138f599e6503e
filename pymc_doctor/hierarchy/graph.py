"""Centered hierarchies found in a model's graph: ``Normal(mu, sigma)`` groups whose scale is sampled."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pymc_doctor.modelgraph import constant_value, dist_params, expression, facts


@dataclass(frozen=True)
class CenteredGroup:
    """``group ~ Normal(location, scale)`` with a sampled scale, spelled in the model's names."""

    group: str  # the centered variable, e.g. "theta"
    scale: str  # the spelling of its scale, e.g. "tau"
    location: str | None  # the spelling of its mean, None when it is 0
    dims: tuple[str, ...]
    scale_variables: tuple[str, ...]  # the free variables the scale is made of


def centered_groups(model) -> list[CenteredGroup]:
    """Free ``Normal(mu, sigma)`` variables whose ``sigma`` depends on another free variable."""
    from pytensor.graph.traversal import ancestors

    facts_ = facts(model)
    position = {id(rv): index for index, rv in enumerate(facts_.free)}
    found = []
    for rv in facts_.free:
        if type(rv.owner.op).__name__ != "NormalRV":
            continue
        mu, sigma = dist_params(rv)
        if not facts_.depends_on_free(sigma):
            continue
        above = sorted(
            (var for var in ancestors([sigma]) if id(var) in position and var is not rv), key=lambda v: position[id(v)]
        )
        scale_variables = tuple(facts_.name(v) for v in above)
        if not scale_variables:
            continue
        scale = expression(sigma, facts_.names)
        if scale is None:
            continue
        location_value = constant_value(mu)
        if location_value is not None and np.all(location_value == 0):
            location = None
        else:
            location = expression(mu, facts_.names)
            if location is None:
                continue
        found.append(CenteredGroup(rv.name, scale, location, facts_.dims_of(rv.name), scale_variables))
    return found


def centered_children(model, scale_name: str) -> list[CenteredGroup]:
    """The centered ``Normal`` variables whose scale is made of the free variable ``scale_name``."""
    return [g for g in centered_groups(model) if scale_name in g.scale_variables]
