"""Constraints PyMC itself checks in each log-probability ("sigma > 0", "0 <= p <= 1"), and the
support of each prior: whether a prior allows what its use forbids."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from pymc_doctor.modelgraph.evaluation import ModelEvaluation
from pymc_doctor.modelgraph.graph import (
    constant_value,
    dist_params,
    distribution_name,
    parameter_names,
    scalar_op,
    transparent_base,
)
from pymc_doctor.modelgraph.positivity import DRAW_CONSTRAINTS
from pymc_doctor.quiet import quiet


@dataclass(frozen=True)
class Constraint:
    """``variable`` (a free variable) reaches a parameter of ``term`` that must satisfy ``relation bound``."""

    term: Any  # the random variable whose log-probability checks the parameter
    variable: Any  # the free random variable that the parameter is, up to indexing and broadcasting
    relation: str  # ">", ">=", "<", "<="
    bound: float
    message: str  # PyMC's own wording, e.g. "sigma > 0"
    parameter: str | None  # the parameter's name, when PyMC's signature gives it
    sign_only: bool  # the path crosses a positive rescaling or reciprocal

    def violations(self) -> list[float]:
        """Values just and well beyond the bound, to test a prior's support with."""
        steps = (1e-6 * max(1.0, abs(self.bound)), 0.1, 1.0, 10.0, 1000.0)
        direction = -1.0 if self.relation in (">", ">=") else 1.0
        return [self.bound + direction * step for step in steps]


_RELATIONS = {"GT": ">", "GE": ">=", "LT": "<", "LE": "<="}
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}


def _comparisons(condition, exclude: set[int]) -> Iterator[tuple[Any, str, float]]:
    """(operand, relation, bound) for each comparison of a value with a constant in a check's condition."""
    from pytensor.graph.traversal import applys_between, graph_inputs

    for node in applys_between(list(graph_inputs([condition])), [condition]):
        if id(node) in exclude:
            continue
        scalar = scalar_op(node)
        relation = _RELATIONS.get(type(scalar).__name__) if scalar is not None else None
        if relation is None or len(node.inputs) != 2:
            continue
        left, right = node.inputs
        right_value, left_value = constant_value(right), constant_value(left)
        if right_value is not None and left_value is None and np.unique(right_value).size == 1:
            yield left, relation, float(np.ravel(right_value)[0])
        elif left_value is not None and right_value is None and np.unique(left_value).size == 1:
            yield right, _FLIPPED[relation], float(np.ravel(left_value)[0])


def constraints_of(model, term) -> list[Constraint]:
    """The parameter constraints in ``term``'s log-probability that free variables reach directly."""
    import pymc as pm
    from pymc.logprob.utils import CheckParameterValue
    from pytensor.graph.traversal import applys_between, graph_inputs

    params = dist_params(term)
    names = parameter_names(term)
    with quiet("pymc"):
        logp = pm.logp(term, term.type(), warn_rvs=False)
    user_nodes = {id(node) for node in applys_between(list(graph_inputs(params)), params)}
    free = {id(rv): rv for rv in model.free_RVs}
    found = []
    for node in applys_between(list(graph_inputs([logp])), [logp]):
        if not isinstance(node.op, CheckParameterValue):
            continue
        for condition in node.inputs[1:]:
            for operand, relation, bound in _comparisons(condition, user_nodes):
                base, sign_only = transparent_base(operand, sign=True)
                if id(base) not in free or base is term:
                    continue
                if sign_only and not (bound == 0 and relation in (">", ">=")):
                    continue
                parameter = None
                if names:
                    for name, param in zip(names, params, strict=True):
                        if transparent_base(param, sign=True)[0] is base:
                            parameter = name
                            break
                found.append(Constraint(term, base, relation, bound, str(node.op.msg), parameter, sign_only))
    return found + _draw_constraints(term, free, found)


def _draw_constraints(term, free: dict[int, Any], found: list[Constraint]) -> list[Constraint]:
    """The constraints of ``DRAW_CONSTRAINTS`` on ``term``'s parameters that free variables reach directly
    and its log-probability's checks missed."""
    params = dist_params(term)
    seen = {(id(c.variable), c.relation, c.bound) for c in found}
    extra = []
    for position, name, relation, bound, message in DRAW_CONSTRAINTS.get(distribution_name(term), ()):
        if position >= len(params):
            continue
        base, sign_only = transparent_base(params[position], sign=True)
        if id(base) not in free or (id(base), relation, bound) in seen:
            continue
        if sign_only and not (bound == 0 and relation in (">", ">=")):
            continue
        extra.append(Constraint(term, base, relation, bound, message, name, sign_only))
    return extra


class ModelConstraints(ModelEvaluation):
    """The constraints free variables reach, and what their priors allow."""

    @cached_property
    def constraints(self) -> list[Constraint]:
        found = []
        analysed: dict[Any, tuple[Any, list[Constraint]]] = {}
        for term in [*self.free, *self.observed]:
            if not any(self.depends_on_free(inp) for inp in term.owner.inputs):
                continue  # free variables reach a term only through its inputs
            key = self._analysis_keys.get(id(term), id(term))  # family members alike share one analysis
            if key not in analysed:
                try:
                    analysed[key] = (term, constraints_of(self.model, term))
                except Exception:  # a distribution whose logp cannot be built alone says nothing here
                    analysed[key] = (term, [])
            representative, constraints = analysed[key]
            if representative is term:
                found.extend(constraints)
                continue
            parents, leaves = self._members[id(representative)], self._members[id(term)]
            for constraint in constraints:
                position = next(i for i, leaf in enumerate(parents) if leaf is constraint.variable)
                found.append(replace(constraint, term=term, variable=leaves[position]))
        return found

    def support(self, rv) -> tuple[float, float] | None:
        """The interval a free variable's prior allows, from its transform; None when not known that way."""
        op_name = type(rv.owner.op).__name__
        if op_name == "FlatRV":
            return (-math.inf, math.inf)
        if op_name == "HalfFlatRV":
            return (0.0, math.inf)
        transform = self.model.rvs_to_transforms.get(rv)
        kind = type(transform).__name__ if transform is not None else None
        if kind == "LogTransform":
            return (0.0, math.inf)
        if kind == "LogOddsTransform":
            return (0.0, 1.0)
        if kind == "Interval":
            low, high = transform.args_fn(*rv.owner.inputs)
            lows = constant_value(low) if low is not None else None
            highs = constant_value(high) if high is not None else None
            return (
                float(np.min(lows)) if lows is not None else (-math.inf if low is None else math.nan),
                float(np.max(highs)) if highs is not None else (math.inf if high is None else math.nan),
            )
        return None

    def allows(self, rv, values: Sequence[float]) -> list[float]:
        """Which of ``values`` the prior of free variable ``rv`` gives a finite log-density."""
        support = self.support(rv)
        if support is not None:
            low, high = support
            return [v for v in values if not (v <= low or v >= high)] if not math.isnan(low + high) else []
        if self.model.rvs_to_transforms.get(rv) is not None:
            return []
        import pymc as pm
        import pytensor.tensor as pt

        probe = pt.tensor("probe", shape=rv.type.shape, dtype=rv.dtype)
        with quiet("pymc"):
            logp = pm.logp(rv, probe, warn_rvs=False)
        allowed = []
        try:
            fn = self.compile([logp], extra_inputs=[probe])
            shape = self.start_values[rv.name].shape
            for value in values:
                probe_value = np.full(shape, value, dtype=rv.dtype)
                if rv.dtype.startswith("int") and probe_value.flat[0] != value:
                    continue
                if np.all(np.isfinite(np.asarray(fn(**self.initial_point, probe=probe_value)[0]))):
                    allowed.append(value)
        except Exception:  # the prior's parameters cannot be evaluated at the start (MOD201 says why)
            return []
        return allowed
