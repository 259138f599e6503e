"""Seeded prior (predictive) draws, the same as ``pm.sample_prior_predictive`` gives, drawn family by
family where the samplers allow, from generators of their own: the model's are left untouched."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from pymc_doctor.modelgraph.arrays import ModelArrays
from pymc_doctor.modelgraph.compile import MAX_LOOP_OUTPUTS, evaluation_mode, preserved
from pymc_doctor.modelgraph.families import draw_many, draws_alike
from pymc_doctor.modelgraph.graph import depends_on, plain_scalar_rv
from pymc_doctor.quiet import quiet

PRIOR_DRAWS = 300
PRIOR_VALUES = 10_000_000  # values drawn of one variable, at most: fewer draws when it is large
MIN_PRIOR_DRAWS = 50
PRIOR_SEED = 20261125


class PriorDraws(ModelArrays):
    """The model's prior and prior predictive, drawn once."""

    prior_error: str | None = None  # why the full prior predictive could not be drawn

    @cached_property
    def prior(self) -> dict[str, np.ndarray]:
        """``prior_draws`` seeded prior (predictive) draws, keyed by name.

        When the full prior predictive cannot be drawn (a prior that allows invalid parameters, an
        improper prior), the free variables that can be drawn are, and ``prior_error`` says why.
        """
        try:
            return self._draw(None)
        except Exception as exc:
            self.prior_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}" if str(exc) else repr(exc)
        flat = [rv for rv in self.free if type(rv.owner.op).__name__ in ("FlatRV", "HalfFlatRV")]
        drawable = [rv.name for rv in self.free if rv not in flat and not depends_on(rv, flat)]
        try:
            return self._draw(drawable) if drawable else {}
        except Exception:  # a free variable's own draw fails: nothing to compare with
            return {}

    @cached_property
    def prior_draws(self) -> int:
        """How many prior draws ``prior`` takes: PRIOR_DRAWS, or as many as keep the largest variable to
        PRIOR_VALUES values (at least MIN_PRIOR_DRAWS); drawing and summarizing more takes seconds. The
        draws are the first of the PRIOR_DRAWS ones, since every variable draws from its own generator."""
        sizes = [math.prod(shape) for shape in self.shapes.values()]
        sizes += [np.size(value) for value in self.observed_values.values()]
        return max(MIN_PRIOR_DRAWS, min(PRIOR_DRAWS, PRIOR_VALUES // max([1, *sizes])))

    def _draw(self, names: list[str] | None) -> dict[str, np.ndarray]:
        """``pm.sample_prior_predictive(prior_draws, var_names=names, random_seed=PRIOR_SEED)``, draw for draw."""
        with quiet("pymc", "pytensor"):
            try:
                return self._draw_by_family(names)
            except Exception:  # report the failure as PyMC's own sampler raises it
                import pymc as pm

                with preserved(self.model):
                    draws = pm.sample_prior_predictive(
                        draws=self.prior_draws,
                        model=self.model,
                        var_names=names,
                        random_seed=PRIOR_SEED,
                        return_inferencedata=False,
                        compile_kwargs={"mode": evaluation_mode(self._invalid, False)},
                    )
                return {name: np.asarray(value) for name, value in draws.items()}

    def _draw_by_family(self, names: list[str] | None) -> dict[str, np.ndarray]:
        """PyMC's prior predictive gives each random variable a generator, seeded in the order its
        outputs read them, and calls one compiled function per draw. The same generators draw here (the
        model's own untouched): family members and variables of fixed parameters all their draws at once
        where their samplers allow, the rest through one compiled function called once per draw."""
        import pymc as pm
        import pytensor
        from pymc.util import get_default_varnames
        from pytensor.compile.sharedvalue import SharedVariable
        from pytensor.graph.traversal import ancestors, graph_inputs
        from pytensor.tensor.random.type import RandomType

        model = self.model
        wanted = names if names is not None else [var.name for var in [*model.basic_RVs, *model.deterministics]]
        names = sorted(get_default_varnames(set(wanted), include_transformed=False))
        outputs = [model[name] for name in names]
        shared = [
            var for var in graph_inputs(outputs) if isinstance(var, SharedVariable) and isinstance(var.type, RandomType)
        ]
        seeds = np.random.SeedSequence(PRIOR_SEED).spawn(len(shared))
        generators = {
            id(rng): np.random.Generator(np.random.PCG64(seed)) for rng, seed in zip(shared, seeds, strict=True)
        }
        needed = {id(var) for var in ancestors(outputs)}
        count = self.prior_draws
        draws: dict[int, np.ndarray] = {}
        for family in self.families:
            chosen = [row for row, member in enumerate(family.members) if id(member) in needed]
            if chosen:
                draws.update(family.draw(chosen, draws, generators, count))
        draws.update(self._draw_independent([rv for rv in self._independent if id(rv) in needed], generators, count))
        rest = [var for var in outputs if id(var) not in draws]
        if rest:
            own = {rng: pytensor.shared(generators[id(rng)], borrow=True) for rng in shared}
            copies, stand_ins, _ = self._cut(rest, at=draws, replace=own)
            function = pm.pytensorf.compile(
                list(stand_ins.values()),
                copies,
                mode=evaluation_mode(self._invalid, len(rest) > MAX_LOOP_OUTPUTS, simplify=False),
                on_unused_input="ignore",
                accept_inplace=True,
                trust_input=True,
            )
            for rng, copy in own.items():
                copy.set_value(generators[id(rng)], borrow=True)  # compiling reseeded them
            columns = [draws[id(var)] for var in stand_ins]
            stacked: list[np.ndarray] = []
            for draw in range(count):
                values = [np.asarray(value) for value in function(*[column[draw, ...] for column in columns])]
                if not stacked:  # filled in place: a list of draws to stack would double the memory
                    stacked = [np.empty((count, *value.shape), value.dtype) for value in values]
                for array, value in zip(stacked, values, strict=True):
                    if value.shape != array.shape[1:]:
                        raise ValueError(f"draw {draw} has shape {value.shape}, the first {array.shape[1:]}")
                    array[draw] = value
            draws.update((id(var), array) for var, array in zip(rest, stacked, strict=True))
        return {name: draws[id(var)] for name, var in zip(names, outputs, strict=True)}

    @cached_property
    def _random(self) -> set[int]:
        """The variables of the model's graph computed from a draw (by id)."""
        from pytensor.tensor.random.type import RandomType

        random: set[int] = set()
        for node in self._nodes:
            if any(isinstance(inp.type, RandomType) or id(inp) in random for inp in node.inputs):
                random.update(id(out) for out in node.outputs)
        return random

    @cached_property
    def _independent(self) -> list:
        """The random variables outside families drawn element by element from parameters (and a size) that
        hold no randomness, each from its own generator: a vector of priors, a likelihood of constants."""
        from pytensor.compile.sharedvalue import SharedVariable

        members = self._members
        found = []
        for rv in self.model.basic_RVs:
            node = rv.owner
            if id(rv) in members or not plain_scalar_rv(rv) or any(node.op.ndims_params):
                continue
            generator, *arguments = node.inputs
            own_generator = isinstance(generator, SharedVariable) and self._generator_uses[id(generator)] == 1
            if own_generator and not any(id(argument) in self._random for argument in arguments):
                found.append(rv)
        return found

    def _draw_independent(self, rvs: Sequence, generators: dict[int, Any], count: int) -> dict[int, np.ndarray]:
        """``count`` draws of each of ``rvs`` (from ``_independent``), as ``RandomVariable.perform`` makes
        them once per draw, in one call of its sampler where it allows."""
        from pytensor.tensor.type_other import NoneTypeT

        nodes = [rv.owner for rv in rvs]
        fixed = [inp for node in nodes for inp in node.inputs[1:] if not isinstance(inp.type, NoneTypeT)]
        values = iter(self.evaluate_static(fixed) if fixed else [])
        drawn = {}
        for rv, node in zip(rvs, nodes, strict=True):
            size, *params = node.inputs[1:]
            size = None if isinstance(size.type, NoneTypeT) else tuple(int(n) for n in next(values))
            arguments = [next(values) for _ in params]
            varying = [False] * len(arguments)
            together = draws_alike(node.op, arguments, varying, size)
            generator = generators[id(node.op.rng_param(node))]
            drawn[id(rv)] = draw_many(node.op, generator, arguments, varying, size, count, together)
        return drawn
