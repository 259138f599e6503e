"""Evaluating a model at a point: its initial point, the log-density of each term, values there.

Family members are computed family by family through their templates, the rest of the model is
compiled once per question, reading the members through stand-ins.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from pymc_doctor.modelgraph.compile import compile_function, preserved
from pymc_doctor.modelgraph.variables import ModelVariables
from pymc_doctor.quiet import quiet


class ModelEvaluation(ModelVariables):
    """The model evaluated at its initial point, or at any point on the sampler's scale."""

    def compile(self, outputs: Sequence, extra_inputs: Sequence = ()):
        """A function of the value variables (and ``extra_inputs``) computing ``outputs``; -inf for invalid params."""
        replaced = self.model.replace_rvs_by_values(list(outputs))
        return compile_function([*self.model.value_vars, *extra_inputs], replaced, invalid=self._invalid)

    def evaluate(self, outputs: Sequence, point: dict | None = None) -> list[np.ndarray]:
        """``outputs`` at ``point`` (by default the initial point), random variables at their values there."""
        graphs, stand_ins = self._in_values(outputs)
        inputs = self._inputs(graphs, stand_ins)
        fn = compile_function(inputs, graphs, invalid=self._invalid)
        arguments = self._arguments(self.initial_point if point is None else point, inputs, stand_ins)
        return [np.asarray(v) for v in fn(*arguments)]

    @cached_property
    def initial_point(self) -> dict[str, np.ndarray]:
        """``model.initial_point()``: family members computed family by family, the others together."""
        try:
            transformed: dict[int, Any] = {}
            constrained: dict[int, Any] = {}
            for family in self.families:
                leaves = family.leaf_values(constrained)
                values = family.template.initial(leaves)
                transformed.update(zip(map(id, family.members), values, strict=True))
                constrained.update(zip(map(id, family.members), family.template.backward(values, leaves), strict=True))
            if self._other_free:
                transformed.update(zip(map(id, self._other_free), self._other_initial(constrained), strict=True))
            return {self.model.rvs_to_values[rv].name: np.array(transformed[id(rv)]) for rv in self.free}
        except Exception:  # report the failure as PyMC's own initial point raises it
            with preserved(self.model), quiet("pymc"):
                return self.model.initial_point()

    def _other_initial(self, constrained: dict[int, Any]) -> list[np.ndarray]:
        """PyMC's starting values of the free variables outside families, whose family parents are
        replaced by their (``constrained``) starting values."""
        import pytensor.tensor as pt
        from pymc.initial_point import make_initial_point_expression
        from pymc.pytensorf import replace_rng_nodes
        from pytensor.graph.replace import clone_replace
        from pytensor.graph.traversal import ancestors

        model, others = self.model, self._other_free
        parents = {
            var: pt.constant(constrained[id(var)], dtype=var.dtype)
            for var in ancestors(others)
            if id(var) in self._members
        }
        copies = clone_replace(others, replace=parents) if parents else others
        with quiet("pymc"):
            expressions = make_initial_point_expression(
                free_rvs=copies,
                rvs_to_transforms={
                    copy: model.rvs_to_transforms.get(rv) for copy, rv in zip(copies, others, strict=True)
                },
                initval_strategies={
                    copy: model.rvs_to_initial_values.get(rv) for copy, rv in zip(copies, others, strict=True)
                },
                return_transformed=True,
            )
        return compile_function([], replace_rng_nodes(expressions), invalid=self._invalid)()

    def _family_values(self, point: dict) -> dict[int, Any]:
        """Each family member's value at ``point`` on its own (constrained) scale, by id."""
        values: dict[int, Any] = {}
        for family in self.families:
            constrained = family.template.backward(family.point_values(point), family.leaf_values(values))
            values.update(zip(map(id, family.members), constrained, strict=True))
        return values

    def logp_terms(self, point: dict) -> list[np.ndarray]:
        """Element-wise log-probability of every term (``terms``) at ``point``, on the sampler's scale."""
        constrained = self._family_values(point)
        logps: dict[int, Any] = {}
        for family in self.families:
            values = family.template.logp(family.point_values(point), family.leaf_values(constrained))
            logps.update(zip(map(id, family.members), values, strict=True))
        if self._other_terms:
            _, inputs, stand_ins = self._other_logp_graphs
            arguments = self._arguments(point, inputs, stand_ins, constrained)
            logps.update(zip(map(id, self._other_terms), self._other_logps(*arguments), strict=True))
        return [np.asarray(logps[id(term)]) for term in self.terms]

    def check_term(self, term, point: dict) -> None:
        """Evaluate the log-density of ``term`` (a random variable) at ``point`` as ``model.debug`` does:
        a failed parameter check raises PyMC's ``ParameterValueError``."""
        constrained = self._family_values(point)
        for family in self.families:
            if term in family.members:
                row = family.members.index(term)
                leaves = [leaf[row : row + 1] for leaf in family.leaf_values(constrained)]
                family.template.logp(family.point_values(point)[row : row + 1], leaves, checked=True)
                return
        graphs, inputs, stand_ins = self._other_logp_graphs
        graph = graphs[[id(other) for other in self._other_terms].index(id(term))]
        checked = compile_function(inputs, [graph], invalid="raise", simplify=False)
        checked(*self._arguments(point, inputs, stand_ins, constrained))

    def _cut(self, graphs: Sequence, at: Any = None, replace: dict | None = None) -> tuple[list, dict, dict]:
        """Copies of ``graphs`` in which the variables they read whose ids are in ``at`` (by default the
        family members) are stand-ins, so that none of their graphs is copied, with ``replace`` done too.
        Returns the copies, the stand-ins by the variable they stand for, and the map from the variables
        of ``graphs`` to their copies."""
        from pytensor.graph.basic import clone_get_equiv
        from pytensor.graph.traversal import ancestors

        at = self._members if at is None else at
        # make_variable: Type() would also record the stack, which takes longer than the rest
        stand_ins = {var: var.type.make_variable() for var in ancestors(graphs) if id(var) in at}
        memo = {**stand_ins, **(replace or {})}
        copied = clone_get_equiv(list(memo), graphs, copy_inputs=False, copy_orphans=False, memo=memo)
        return [copied[graph] for graph in graphs], stand_ins, copied

    def _in_values(self, graphs: Sequence) -> tuple[list, dict]:
        """``graphs`` with their random variables read as the model's log-probability reads them: family
        members as stand-ins for their values on their own scale (replacing each by its value variable
        would copy and rewrite a graph per member), the others as their value variables through their
        transforms. Returns the new graphs and the stand-ins by the member they stand for."""
        from pymc.logprob.utils import replace_rvs_by_values

        model = self.model
        copies, stand_ins, copied = self._cut(graphs)
        read = {copied[rv]: rv for rv in model.basic_RVs if rv in copied}
        if read:
            with quiet("pymc"):
                copies = replace_rvs_by_values(
                    copies,
                    rvs_to_values={copy: model.rvs_to_values[rv] for copy, rv in read.items()},
                    rvs_to_transforms={copy: model.rvs_to_transforms.get(rv) for copy, rv in read.items()},
                )
        return copies, stand_ins

    def _inputs(self, graphs: Sequence, stand_ins: dict) -> list:
        """The inputs of ``graphs`` from ``_in_values``: the value variables they read, then the stand-ins."""
        from pytensor.graph.traversal import graph_inputs

        read = set(graph_inputs(graphs))
        return [var for var in self.model.value_vars if var in read] + list(stand_ins.values())

    def _arguments(self, point: dict, inputs: Sequence, stand_ins: dict, constrained: dict | None = None) -> list:
        """The values of ``inputs`` (from ``_inputs``) at ``point``; ``constrained``: ``_family_values(point)``."""
        if constrained is None:
            constrained = self._family_values(point) if stand_ins else {}
        values = [point[var.name] for var in inputs[: len(inputs) - len(stand_ins)]]
        return values + [constrained[id(member)] for member in stand_ins]

    @cached_property
    def _other_logp_graphs(self) -> tuple[list, list, dict]:
        """The log-densities of the terms outside families, as ``model.logp(vars=..., sum=False)`` builds
        them, reading the other variables as ``_in_values`` does. PyMC rewrites a random variable's
        log-density together with its parameters, so it sees stand-ins for these (the sum of a thousand
        stacked scalars would become a thousand broadcasts). Returns the graphs, their inputs and the
        stand-ins for family members."""
        from pymc.logprob.basic import transformed_conditional_logp
        from pytensor.graph.replace import graph_replace
        from pytensor.tensor.random.op import RandomVariable

        model = self.model
        potentials = {id(potential) for potential in model.potentials}
        rvs = [term for term in self._other_terms if id(term) not in potentials]
        copies, stand_ins = self._in_values([*(var for rv in rvs for var in rv.owner.inputs), *model.potentials])
        remaining = iter(copies)
        terms, parameters = [], {}
        for rv in rvs:
            node = rv.owner
            inputs = [next(remaining) for _ in node.inputs]
            if isinstance(node.op, RandomVariable):  # after the generator and the size come the parameters
                for index in range(2, len(inputs)):
                    stand_in = inputs[index].type.make_variable()
                    parameters[stand_in] = inputs[index]
                    inputs[index] = stand_in
            terms.append(node.clone_with_new_inputs(inputs).outputs[node.outputs.index(rv)])
        with quiet("pymc"):
            logps = transformed_conditional_logp(
                terms,
                rvs_to_values={term: model.rvs_to_values[rv] for term, rv in zip(terms, rvs, strict=True)},
                rvs_to_transforms={term: model.rvs_to_transforms.get(rv) for term, rv in zip(terms, rvs, strict=True)},
            )
        graphs = [*(graph_replace(logps, parameters, strict=False) if parameters else logps), *remaining]
        return graphs, self._inputs(graphs, stand_ins), stand_ins

    @cached_property
    def _other_logps(self):
        graphs, inputs, _ = self._other_logp_graphs
        return compile_function(inputs, graphs, invalid=self._invalid, simplify=False)

    @cached_property
    def start_logps(self) -> list[np.ndarray]:
        """Element-wise log-probability of every free, observed and potential term at the initial point."""
        try:
            return self.logp_terms(self.initial_point)
        except Exception:  # report the failure as the model's own log-probability raises it
            return self.evaluate(self.model.logp(vars=self.terms, sum=False))

    @cached_property
    def start_error(self) -> str | None:
        """Why the model cannot be evaluated at its initial point, or None."""
        try:
            self.start_logps  # noqa: B018  (computed and cached here)
        except Exception as exc:
            first = str(exc).splitlines()[0][:300] if str(exc) else ""
            return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        return None

    @cached_property
    def start_values(self) -> dict[str, np.ndarray]:
        """Each free variable's value at the initial point, on its own (constrained) scale."""
        values = self._family_values(self.initial_point)
        if self._other_free:
            values.update(zip(map(id, self._other_free), self.evaluate(self._other_free), strict=True))
        return {rv.name: np.asarray(values[id(rv)]) for rv in self.free}
