"""A model's variables, names and dims, its graph walked once, and its families."""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from typing import Any

import numpy as np

from pymc_doctor.modelgraph.compile import compile_function
from pymc_doctor.modelgraph.families import Family, find_families, leaf_pattern
from pymc_doctor.modelgraph.graph import depends_on


class ModelVariables:
    """The variables of a model and how they are connected; each property may raise for models it cannot read."""

    def __init__(self, model, namespace: dict[str, Any] | None = None):
        self.model = model
        self.namespace = namespace
        self._invalid = "-inf" if model.check_bounds else "ignore"  # as pm.compile treats failed parameter checks

    # --- variables and names

    @cached_property
    def names(self) -> dict[int, str]:
        """Model variable (by identity) -> its name; data containers included."""
        names = {id(var): name for name, var in self.model.named_vars.items()}
        for var in self.model.data_vars:
            names.setdefault(id(var), var.name)
        return names

    def name(self, var) -> str | None:
        return self.names.get(id(var))

    @cached_property
    def free(self) -> list:
        return list(self.model.free_RVs)

    @cached_property
    def observed(self) -> list:
        return list(self.model.observed_RVs)

    @cached_property
    def terms(self) -> list:
        """The terms of the model's log-probability: ``model.basic_RVs``, then ``model.potentials``."""
        return [*self.model.basic_RVs, *self.model.potentials]

    @cached_property
    def dims(self) -> dict[str, tuple]:
        return {name: tuple(d for d in dims if d is not None) for name, dims in self.model.named_vars_to_dims.items()}

    def dims_of(self, name: str) -> tuple[str, ...]:
        return self.dims.get(name, ())

    @cached_property
    def coord_lengths(self) -> dict[str, int]:
        lengths = {}
        for dim, values in self.model.coords.items():
            if values is not None:
                lengths[dim] = len(values)
            elif dim in self.model.dim_lengths:
                lengths[dim] = int(self.evaluate_static([self.model.dim_lengths[dim]])[0])
        return lengths

    def evaluate_static(self, outputs) -> list[np.ndarray]:
        """Evaluate graphs of constants and data only."""
        return [np.asarray(v) for v in compile_function([], outputs)()]

    # --- the graph, walked once

    @cached_property
    def _nodes(self) -> list:
        """Every operation of the model's graph, each after those it reads."""
        from pytensor.graph.traversal import toposort

        return list(toposort(list(self.model.named_vars.values())))

    @cached_property
    def _reaches_free(self) -> dict[int, bool]:
        free = {id(rv) for rv in self.free}
        reaches: dict[int, bool] = {}
        for node in self._nodes:
            above = any(reaches.get(id(inp), False) for inp in node.inputs)
            for out in node.outputs:
                reaches[id(out)] = above or id(out) in free
        return reaches

    def depends_on_free(self, var) -> bool:
        """Whether ``var`` is computed from a free variable (a free variable is computed from itself)."""
        known = self._reaches_free.get(id(var))
        if known is not None:
            return known
        return var.owner is not None and depends_on(var, self.free)  # a graph the model does not hold

    @cached_property
    def _generator_uses(self) -> Counter:
        """How many operations read each random generator (by id)."""
        from pytensor.tensor.random.type import RandomType

        return Counter(id(inp) for node in self._nodes for inp in node.inputs if isinstance(inp.type, RandomType))

    # --- families

    @cached_property
    def families(self) -> list[Family]:
        """The free scalars evaluated together, every member's parents in earlier families."""
        return find_families(self.model, self.free, self._generator_uses, self._invalid)

    @cached_property
    def _analysis_keys(self) -> dict[int, tuple]:
        """Family member (by id) -> a key: members with equal keys have the same constraints, up to which
        parents they read."""
        return {
            id(rv): (id(family.template), *leaf_pattern(leaves))
            for family in self.families
            for rv, leaves in zip(family.members, family.leaves, strict=True)
        }

    @cached_property
    def _members(self) -> dict[int, list]:
        """Family member (by id) -> the leaves its parameters read."""
        return {
            id(rv): leaves for family in self.families for rv, leaves in zip(family.members, family.leaves, strict=True)
        }

    @cached_property
    def _other_free(self) -> list:
        return [rv for rv in self.free if id(rv) not in self._members]

    @cached_property
    def _other_terms(self) -> list:
        return [term for term in self.terms if id(term) not in self._members]
