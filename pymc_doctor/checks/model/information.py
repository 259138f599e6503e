"""What the data and priors see of each parameter at the initial point (for MOD502): how the likelihoods'
locations move with each parameter (finite differences of compiled forward functions, no gradient),
weighted by the likelihoods' information, plus the priors' curvature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pymc_doctor.modelgraph import ModelFacts, dist_params, plain_scalar_rv
from pymc_doctor.quiet import quiet
from pymc_doctor.registry import CannotCheck
from pymc_doctor.samplers import untransformed_name

NO_LOCATION = "no likelihood has a location this check can read (scalar distributions, one per datum)"
STEP, PRIOR_STEP = 1e-4, 1e-3  # central differences: small for the (smooth) locations, larger for a log-density


@dataclass(frozen=True)
class Parameters:
    """NUTS's parameters at the initial point (the continuous value variables), flattened into one vector."""

    names: list[str]
    sizes: list[int]
    shapes: list[tuple[int, ...]]
    point: dict[str, np.ndarray]

    @classmethod
    def at_start(cls, f: ModelFacts) -> Parameters:
        point = f.initial_point
        continuous = [n for n, v in point.items() if np.issubdtype(np.asarray(v).dtype, np.floating)]
        sizes = [int(np.size(point[n])) for n in continuous]
        return cls(continuous, sizes, [np.shape(point[n]) for n in continuous], point)

    @property
    def start(self) -> np.ndarray:
        return np.concatenate([np.ravel(self.point[n]).astype(float) for n in self.names])

    def unpack(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """The point with the parameters set to ``x``."""
        values, offset = dict(self.point), 0
        for name, size, shape in zip(self.names, self.sizes, self.shapes, strict=True):
            values[name] = x[offset : offset + size].reshape(shape)
            offset += size
        return values


def location_terms(f: ModelFacts):
    """For each observed variable of a plain scalar distribution, its first parameter that free variables
    reach (what the data see)."""
    for rv in f.observed:
        if not plain_scalar_rv(rv):
            continue
        location = next((p for p in dist_params(rv) if f.depends_on_free(p)), None)
        if location is not None:
            yield rv, location


def _fisher_weights(f: ModelFacts, rv, location, start: np.ndarray) -> np.ndarray | None:
    """Information per element of ``location``: minus the second derivative of the log-likelihood there."""
    import pymc as pm
    from pytensor.graph.replace import graph_replace

    placeholder = location.type()
    with quiet("pymc"):
        logp = pm.logp(rv, f.model.rvs_to_values[rv], warn_rvs=False)
    fn = f.compile([graph_replace(logp, {location: placeholder}, strict=False)], extra_inputs=[placeholder])
    point = [f.initial_point[v.name] for v in f.model.value_vars]
    h = 1e-4 * max(1.0, float(np.abs(start).max()))
    up, mid, down = (np.asarray(fn(*point, start + d)[0]) for d in (h, 0.0, -h))
    weights = -(up - 2 * mid + down) / h**2
    if weights.size != start.size:
        if start.size != 1:
            return None
        weights = np.asarray(weights.sum())
    return np.clip(np.ravel(weights), 0, None)


def weighted_locations(f: ModelFacts, terms: Sequence) -> tuple[list, list[np.ndarray]]:
    """The likelihoods' locations this check can read, with the information per element of each."""
    starts = f.evaluate([location for _, location in terms])
    weighted = [(term, _fisher_weights(f, *term, start)) for term, start in zip(terms, starts, strict=True)]
    weighted = [(term, weights) for term, weights in weighted if weights is not None]
    if not weighted:
        raise CannotCheck(NO_LOCATION)
    return [location for (_, location), _ in weighted], [weights for _, weights in weighted]


def precision_at_start(f: ModelFacts, parameters: Parameters, locations: list, weights: list[np.ndarray]):
    """What the data and priors see of each parameter at the start: the Jacobian of the locations, and the
    precision (the locations' information plus the priors' curvature)."""
    import pytensor.tensor as pt

    compiled = f.compile(locations)
    prior = f.compile([pt.add(*[term.sum() for term in f.model.logp(vars=f.free, sum=False)])])

    def location_values(x: np.ndarray) -> np.ndarray:
        return np.concatenate([np.ravel(v) for v in compiled(**parameters.unpack(x))])

    def prior_at(x: np.ndarray) -> float:
        return float(prior(**parameters.unpack(x))[0])

    x0, unit = parameters.start, np.eye(sum(parameters.sizes))
    jacobian = np.column_stack(
        [(location_values(x0 + STEP * e) - location_values(x0 - STEP * e)) / (2 * STEP) for e in unit]
    )
    information = jacobian.T @ (np.concatenate(weights)[:, None] * jacobian)
    p0 = prior_at(x0)
    curvature = np.array(
        [-(prior_at(x0 + PRIOR_STEP * e) - 2 * p0 + prior_at(x0 - PRIOR_STEP * e)) / PRIOR_STEP**2 for e in unit]
    )
    return jacobian, information + np.diag(np.clip(curvature, 0, None))


def element_labels(f: ModelFacts, value_name: str, shape: tuple[int, ...]) -> list[str]:
    name = untransformed_name(value_name)
    if not shape:
        return [name]
    dims = f.dims_of(name)
    labels = []
    for index in np.ndindex(*shape):
        parts = []
        for axis, i in enumerate(index):
            coords = f.model.coords.get(dims[axis]) if axis < len(dims) else None
            parts.append(str(coords[i]) if coords is not None and i < len(coords) else str(i))
        labels.append(f"{name}[{', '.join(parts)}]")
    return labels
