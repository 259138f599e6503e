"""Families: free scalars drawn the same way, evaluated all at once.

Building and compiling a graph costs milliseconds per variable, which a model with a thousand named
scalars turns into minutes. So free scalars drawn the same way (``pm.Normal(f"a_{g}", mu_a, sigma_a)``
for every group) form a family, evaluated all at once through one small template per distribution
and parameter expression.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from pymc_doctor.modelgraph.compile import compile_function
from pymc_doctor.modelgraph.graph import dist_params, plain_scalar_rv
from pymc_doctor.quiet import quiet

MAX_PARAMETER_NODES = 16  # a family member's parameters are small expressions
PROBE_DRAWS = 2  # to tell samplers that draw element after element (in one call, as in one per draw)


def parameter_structure(params: Sequence, members: dict[int, int]) -> tuple[tuple, list] | None:
    """How scalar parameters are built from scalar constants and family ``members`` (by id) by elementwise
    operations: a hashable description, and its leaves (those constants and members) in reading order.
    None for anything else (data, indexing, a vector, a large expression)."""
    from pytensor.graph.basic import Constant
    from pytensor.tensor.elemwise import Elemwise

    leaves: list = []
    nodes = 0

    def describe(var):
        nonlocal nodes
        nodes += 1
        if nodes > MAX_PARAMETER_NODES or getattr(var.type, "ndim", None) != 0:
            return None
        if isinstance(var, Constant):
            leaves.append(var)
            return ("constant", var.dtype)
        if id(var) in members:
            leaves.append(var)
            return ("member", var.dtype)
        node = var.owner
        if node is None or not isinstance(node.op, Elemwise) or len(node.outputs) != 1:
            return None
        parts = tuple(describe(inp) for inp in node.inputs)
        return None if None in parts else (node.op, parts)

    structure = tuple(describe(param) for param in params)
    return None if None in structure else (structure, leaves)


def leaf_pattern(leaves: Sequence) -> tuple:
    """What a constraint analysis of a family member depends on beyond its template: the values of its
    constants, and which of its parents are the same variable (by the position of its first reading)."""
    from pytensor.graph.basic import Constant

    return tuple(
        np.asarray(leaf.data).item()
        if isinstance(leaf, Constant)
        else next(position for position, other in enumerate(leaves) if other is leaf)
        for leaf in leaves
    )


def transform_key(transform) -> Any:
    """Transforms that act alike compare equal: PyMC builds a new ``Interval`` for every bounded prior,
    whose bounds function differs only by the positions of the bounds among the parameters."""
    bounds = getattr(transform, "args_fn", None)
    if bounds is None:
        return transform
    cells = tuple(cell.cell_contents for cell in bounds.__closure__ or ())
    try:
        hash(cells)
    except TypeError:  # bounds given as arrays
        return transform
    return (type(transform), bounds.__code__, cells)


class Template:
    """A scalar distribution with its transform and parameter expression, applied to vectors of leaves:
    the log-densities, starting points and parameters of any number of family members, each in one call."""

    def __init__(self, op, transform, structure: tuple, value_dtype: str, invalid: str):
        import pytensor.tensor as pt

        self.leaves: list = []
        self.kinds: list[str] = []

        def build(part):
            if isinstance(part[0], str):
                leaf = pt.vector(f"leaf{len(self.leaves)}", dtype=part[1])
                self.leaves.append(leaf)
                self.kinds.append(part[0])
                return leaf
            operation, parts = part
            return operation(*[build(inner) for inner in parts])

        self.parameters = [build(part) for part in structure]
        self.rv = op.make_node(None, None, *self.parameters).default_output()
        self.transform = transform
        self.value = pt.vector("value", dtype=value_dtype)
        self.invalid = invalid

    @cached_property
    def _initial(self):
        from pymc.initial_point import make_initial_point_expression
        from pymc.pytensorf import replace_rng_nodes
        from pytensor.graph.traversal import graph_inputs

        with quiet("pymc"):
            expressions = make_initial_point_expression(
                free_rvs=[self.rv],
                rvs_to_transforms={self.rv: self.transform},
                initval_strategies={},
                return_transformed=True,
            )
        expressions = replace_rng_nodes(expressions)
        # PyMC builds the expression on a copy of the graph: find the copies of the leaves by name
        copies = {var.name: var for var in graph_inputs(expressions) if var.name}
        return compile_function(
            [copies.get(leaf.name, leaf) for leaf in self.leaves], expressions, invalid=self.invalid
        )

    def initial(self, leaves: Sequence[np.ndarray]) -> np.ndarray:
        """The members' starting values on the sampler's scale, as ``model.initial_point()`` computes them."""
        return np.broadcast_to(self._initial(*leaves)[0], np.shape(leaves[0]))  # a support point may be constant

    @cached_property
    def _backward(self):
        with quiet("pymc"):
            constrained = self.transform.backward(self.value, *self.rv.owner.inputs)
        return compile_function([self.value, *self.leaves], [constrained], invalid=self.invalid)

    def backward(self, values: np.ndarray, leaves: Sequence[np.ndarray]) -> np.ndarray:
        """The members' values on their own scale, from ``values`` on the sampler's."""
        return values if self.transform is None else self._backward(values, *leaves)[0]

    @cached_property
    def _logp_graphs(self) -> list:
        from pymc.logprob.basic import transformed_conditional_logp

        with quiet("pymc"):
            return transformed_conditional_logp(
                [self.rv],
                rvs_to_values={self.rv: self.value},
                rvs_to_transforms={self.rv: self.transform},
                jacobian=True,
            )

    @cached_property
    def _logp(self):
        return compile_function([self.value, *self.leaves], self._logp_graphs, invalid=self.invalid)

    @cached_property
    def _checked_logp(self):
        return compile_function([self.value, *self.leaves], self._logp_graphs, invalid="raise")

    def logp(self, values: np.ndarray, leaves: Sequence[np.ndarray], *, checked: bool = False) -> np.ndarray:
        """The members' log-densities (with the transform's Jacobian) at ``values`` on the sampler's scale;
        ``checked``: a failed parameter check raises PyMC's ``ParameterValueError``."""
        function = self._checked_logp if checked else self._logp
        logps = function(values, *leaves)[0]
        if checked or len(values) < 2 or np.isfinite(logps).all():
            return logps
        # PyMC checks the parameters of all the values it is given at once: one member's invalid
        # parameter makes every member's log-density -inf. Evaluate the members one by one.
        one_by_one = [
            function(values[row : row + 1], *[leaf[row : row + 1] for leaf in leaves])[0] for row in range(len(values))
        ]
        return np.concatenate(one_by_one)

    @cached_property
    def _parameter_values(self):
        return compile_function(self.leaves, self.parameters)

    def parameter_values(self, leaves: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self._parameter_values(*leaves)


def draw_many(op, generator, arguments: Sequence, varying: Sequence[bool], size, count: int, together: bool):
    """``count`` draws of ``op`` as ``RandomVariable.perform`` makes them: one per call, with the node's
    ``size``; the ``varying`` arguments hold one row per draw (a parent's draws, for scalar draws).
    ``together``: in one call, which gives the same draws where ``draws_alike`` says so."""
    if together:
        shapes = [np.shape(a)[1:] if v else np.shape(a) for a, v in zip(arguments, varying, strict=True)]
        shape = np.broadcast_shapes(*shapes) if size is None else size
        return np.asarray(op.rng_fn(generator, *arguments, (count, *shape)), op.dtype)
    rows = [[a[draw] if v else a for a, v in zip(arguments, varying, strict=True)] for draw in range(count)]
    return np.stack([np.asarray(op.rng_fn(generator, *row, size), op.dtype) for row in rows])


def draws_alike(op, arguments: Sequence, varying: Sequence[bool], size) -> bool:
    """Whether ``op``'s sampler gives the same draws in one call as in one call per draw, as two probe
    draws show: NumPy's samplers draw element after element, some others draw blocks (SciPy's Rice)."""
    probe = [a[:PROBE_DRAWS] if v else a for a, v in zip(arguments, varying, strict=True)]
    together, one_by_one = (
        draw_many(op, np.random.Generator(np.random.PCG64(0)), probe, varying, size, PROBE_DRAWS, joined)
        for joined in (True, False)
    )
    return together.shape == one_by_one.shape and np.array_equal(together, one_by_one, equal_nan=True)


@dataclass
class Family:
    """Free scalars of one template whose parents (members of other families) come before them."""

    template: Template
    depth: int  # 0 for members without parents, else one more than the deepest parent
    members: list = field(default_factory=list)
    leaves: list[list] = field(default_factory=list)  # for each member, the constants and parents it reads
    value_names: list[str] = field(default_factory=list)

    @cached_property
    def constants(self) -> dict[int, np.ndarray]:
        """The members' constants, stacked, by leaf position."""
        return {
            position: np.array([np.asarray(leaves[position].data) for leaves in self.leaves], dtype=leaf.dtype)
            for position, (kind, leaf) in enumerate(zip(self.template.kinds, self.template.leaves, strict=True))
            if kind == "constant"
        }

    def leaf_values(self, values: dict[int, Any], chosen: Sequence[int] | None = None) -> list[np.ndarray]:
        """Each leaf across the members (or those at positions ``chosen``): their constants, and the
        ``values`` of their parents (by id), which may carry draws along a first axis."""
        rows = list(range(len(self.members))) if chosen is None else list(chosen)
        return [
            self.constants[position][rows]
            if kind == "constant"
            else np.stack([values[id(self.leaves[row][position])] for row in rows], axis=-1)
            for position, kind in enumerate(self.template.kinds)
        ]

    def point_values(self, point: dict) -> np.ndarray:
        return np.array([point[name] for name in self.value_names], dtype=self.template.value.dtype)

    def draw(self, chosen: Sequence[int], draws: dict[int, np.ndarray], generators: dict[int, Any], count: int):
        """``count`` prior draws of the members at ``chosen`` given their parents' ``draws``, each from its
        own generator as ``RandomVariable.perform`` draws, all of a member's draws in one call where its
        sampler allows."""
        leaves = self.leaf_values(draws, chosen)
        shape = np.broadcast_shapes(*(leaf.shape for leaf in leaves))
        flat = [np.broadcast_to(leaf, shape).ravel() for leaf in leaves]
        parameters = [np.reshape(values, shape) for values in self.template.parameter_values(flat)]
        varying = [len(shape) == 2] * len(parameters)  # with a parent, one row per draw
        together = None
        drawn = {}
        for column, row in enumerate(chosen):
            node = self.members[row].owner
            arguments = [values[..., column] for values in parameters]
            if together is None:  # the members share a sampler
                together = draws_alike(node.op, arguments, varying, None)
            generator = generators[id(node.op.rng_param(node))]
            drawn[id(self.members[row])] = draw_many(node.op, generator, arguments, varying, None, count, together)
        return drawn


def _own_scalar(model, rv, generator_uses: Counter) -> bool:
    """A free float scalar of a plain distribution that PyMC draws from a generator of its own, with
    no size and no initial value of the user's: what a family can hold."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.tensor.type_other import NoneTypeT

    node = rv.owner
    generator = node.op.rng_param(node) if plain_scalar_rv(rv) else None
    return (
        isinstance(generator, SharedVariable)
        and generator_uses[id(generator)] == 1  # its own generator: drawn as PyMC draws it
        and rv.type.ndim == 0
        # a discrete start rounds: computed apart from its constants, as here, it can round otherwise
        and rv.dtype.startswith("float")
        and isinstance(node.op.size_param(node).type, NoneTypeT)
        and model.rvs_to_initial_values.get(rv) is None
    )


def find_families(model, free: Sequence, generator_uses: Counter, invalid: str) -> list[Family]:
    """The free scalars evaluated together, every member's parents in earlier families.

    ``generator_uses`` counts the operations that read each random generator (by id); ``invalid`` says
    how failed parameter checks evaluate (see ``evaluation_mode``).
    """
    depths: dict[int, int] = {}
    templates: dict[tuple, Template] = {}
    grouped: dict[tuple, Family] = {}
    for rv in free:
        if not _own_scalar(model, rv, generator_uses):
            continue
        found = parameter_structure(dist_params(rv), depths)
        if found is None or not found[1]:  # no parameters (Flat): nothing to stack the members along
            continue
        structure, leaves = found
        depths[id(rv)] = depth = 1 + max((depths[id(leaf)] for leaf in leaves if id(leaf) in depths), default=-1)
        transform, value = model.rvs_to_transforms.get(rv), model.rvs_to_values[rv]
        key = (rv.owner.op, transform_key(transform), structure, value.dtype)
        if key not in templates:
            templates[key] = Template(rv.owner.op, transform, structure, value.dtype, invalid)
        family = grouped.setdefault((key, depth), Family(templates[key], depth))
        family.members.append(rv)
        family.leaves.append(leaves)
        family.value_names.append(value.name)
    return sorted(grouped.values(), key=lambda family: family.depth)
