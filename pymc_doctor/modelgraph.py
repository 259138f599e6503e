"""Reading a ``pm.Model``: how each variable is used in the graph, its data, and cheap evaluations.

The model is treated as read-only. Evaluations compile small functions of their own in PyTensor's
FAST_COMPILE mode (no C compiler; the graphs here are small), never the gradient; prior draws come
from generators of their own, seeded as PyMC seeds the model's, and ``session`` restores every
shared variable and NumPy's global random state when the doctor is done.

Building and compiling a graph costs milliseconds per variable, which a model with a thousand named
scalars turns into minutes. So free scalars drawn the same way (``pm.Normal(f"a_{g}", mu_a, sigma_a)``
for every group) form a family, evaluated all at once through one small template per distribution
and parameter expression; the rest of the model is compiled once per question, and graph walks are
done once per model.
"""

from __future__ import annotations

import contextvars
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import Any

import numpy as np

from pymc_doctor import compat
from pymc_doctor.quiet import quiet

PRIOR_DRAWS = 300
PRIOR_VALUES = 10_000_000  # values drawn of one variable, at most: fewer draws when it is large
MIN_PRIOR_DRAWS = 50
PROBE_DRAWS = 2  # to tell samplers that draw element after element (in one call, as in one per draw)
PRIOR_SEED = 20261125
MAX_OPERANDS = 32  # NumPy's ufuncs, which run PyTensor's elementwise operations here, take no more
MAX_LOOP_OUTPUTS = 64  # above this, PyTensor's fast loop spends quadratic time planning its memory
MAX_PARAMETER_NODES = 16  # a family member's parameters are small expressions

_CURRENT: contextvars.ContextVar[ModelFacts | None] = contextvars.ContextVar("pymc_doctor_model", default=None)


# ---------------------------------------------------------------------------------------------
# Keeping the model as it was


def _shared_variables(model) -> list:
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors

    graphs = [*model.named_vars.values(), *model.rvs_to_values.values(), *model.data_vars]
    return [var for var in ancestors(graphs) if isinstance(var, SharedVariable)]


@contextmanager
def preserved(model) -> Iterator[None]:
    """Restore every shared variable of the model (data, random generators) and NumPy's global state."""
    saved = [(var, var.get_value(borrow=False)) for var in _shared_variables(model)]
    numpy_state = np.random.get_state()
    try:
        yield
    finally:
        for var, value in saved:
            var.set_value(value, borrow=True)
        np.random.set_state(numpy_state)


@contextmanager
def session(model, namespace: dict[str, Any] | None = None) -> Iterator[ModelFacts]:
    """Share one ModelFacts between the checks of a run; leave the model exactly as it was."""
    facts_ = ModelFacts(model, namespace)
    token = _CURRENT.set(facts_)
    try:
        with preserved(model):
            yield facts_
    finally:
        _CURRENT.reset(token)


def facts(model) -> ModelFacts:
    """The current run's facts about ``model``, or fresh ones outside a session."""
    current = _CURRENT.get()
    return current if current is not None and current.model is model else ModelFacts(model)


# ---------------------------------------------------------------------------------------------
# Compiling


def _split_wide_elemwise(fgraph, node):
    """Nest a sum or product of more than 31 terms, which PyTensor's Python implementation cannot
    evaluate; its rewrites make them (``sum(stack(xs))``, ``a + b + c + ...`` become one addition)."""
    import pytensor.scalar as ps
    import pytensor.tensor as pt

    if len(node.inputs) < MAX_OPERANDS or not isinstance(node.op.scalar_op, ps.Add | ps.Mul):
        return None
    (output,) = node.outputs
    terms = [pt.cast(term, output.dtype) for term in node.inputs]
    width = MAX_OPERANDS - 1
    while len(terms) > width:
        chunks = [terms[start : start + width] for start in range(0, len(terms), width)]
        terms = [chunk[0] if len(chunk) == 1 else node.op(*chunk) for chunk in chunks]
    return [output.type.filter_variable(node.op(*terms))]


@cache
def _mode(invalid: str, many_outputs: bool, simplify: bool = True):
    """FAST_COMPILE, with PyMC's treatment of failed parameter checks and wide sums split for NumPy.

    ``invalid`` is "-inf" (the check's term becomes -inf, as ``pm.compile`` does), "ignore" (a model
    with ``check_bounds=False``) or "raise" (PyMC's ``ParameterValueError``, as ``model.debug`` shows).
    Without ``simplify``, only the rewrites evaluation needs run: FAST_COMPILE's simplifications cost
    about a millisecond per operation, and can multiply them (the sum of a thousand stacked scalars
    becomes a thousand broadcasts).
    """
    from pymc.logprob.utils import local_check_parameter_to_ninf_switch, local_remove_check_parameter
    from pytensor.compile.mode import FAST_COMPILE, Mode
    from pytensor.graph.rewriting.basic import in2out, node_rewriter
    from pytensor.link.vm import VMLinker
    from pytensor.tensor.elemwise import Elemwise

    splitter = in2out(node_rewriter([Elemwise])(_split_wide_elemwise))
    optimizer = FAST_COMPILE.provided_optimizer.register((splitter, 48))  # after the rewrites that merge sums
    if not simplify:
        optimizer = optimizer.excluding("ShapeOpt", "useless", "canonicalize", "stabilize", "specialize", "BlasOpt")
    checks = {
        "-inf": ("local_check_parameter_to_ninf_switch", local_check_parameter_to_ninf_switch),
        "ignore": ("local_remove_check_parameter", local_remove_check_parameter),
    }
    if invalid in checks:  # PyMC registers these rewrites among the simplifications
        name, check = checks[invalid]
        optimizer = optimizer.including(name) if simplify else optimizer.register((in2out(check), 1))
    # Without garbage collection the linker skips a scan of every output per node; the lazy loop skips
    # the memory planning that is quadratic in the outputs, at a small cost per call.
    linker = VMLinker(use_cloop=False, c_thunks=False, allow_gc=False, lazy=True if many_outputs else None)
    return Mode(linker=linker, optimizer=optimizer)


def compile_function(inputs: Sequence, outputs: Sequence, *, invalid: str = "-inf", simplify: bool = True):
    """A PyTensor function of ``inputs`` computing ``outputs``, compiled as ``_mode`` says."""
    import pytensor

    outputs = list(outputs)
    mode = _mode(invalid, len(outputs) > MAX_LOOP_OUTPUTS, simplify)
    with quiet("pytensor"):
        return pytensor.function(list(inputs), outputs, mode=mode, on_unused_input="ignore")


def static_shape(var) -> tuple[int, ...] | None:
    """The shape PyTensor knows without evaluating anything; None when a dimension is unknown."""
    shape = getattr(var.type, "shape", None)
    return None if shape is None or None in shape else tuple(int(n) for n in shape)


# ---------------------------------------------------------------------------------------------
# Graph walking


def _scalar_op(node):
    from pytensor.tensor.elemwise import Elemwise

    return node.op.scalar_op if isinstance(node.op, Elemwise) else None


def constant_value(var) -> np.ndarray | None:
    """The value of a constant, seen through broadcasting and casts; None when it is not constant."""
    from pytensor.graph.basic import Constant

    base, _ = transparent_base(var)
    return np.asarray(base.data) if isinstance(base, Constant) else None


def _positive_constant(var) -> bool:
    value = constant_value(var)
    return value is not None and value.size > 0 and bool(np.all(value > 0))


def transparent_base(var, *, sign: bool = False):
    """Follow ``var`` down through operations that keep its values (indexing, broadcasting, casts).

    With ``sign`` the walk also crosses multiplication or division by positive constants and
    reciprocals, which keep only the sign. Returns the variable reached and whether a sign-only
    step was crossed.
    """
    import pytensor.scalar as ps
    from pytensor.tensor.basic import Alloc
    from pytensor.tensor.elemwise import DimShuffle
    from pytensor.tensor.shape import SpecifyShape
    from pytensor.tensor.subtensor import AdvancedSubtensor, Subtensor

    index_ops = compat.extra_index_ops()
    sign_only = False
    while var.owner is not None:
        node = var.owner
        op = node.op
        scalar = _scalar_op(node)
        keeps_values = isinstance(op, (DimShuffle, SpecifyShape, Alloc, Subtensor, AdvancedSubtensor, *index_ops))
        if keeps_values or isinstance(scalar, (ps.Identity, ps.Cast)):
            var = node.inputs[0]
        elif isinstance(scalar, ps.Second):  # fill(shape_like, value)
            var = node.inputs[1]
        elif sign and isinstance(scalar, ps.Reciprocal):
            var, sign_only = node.inputs[0], True
        elif sign and isinstance(scalar, ps.Mul):
            others = [inp for inp in node.inputs if constant_value(inp) is None]
            if len(others) != 1 or not all(_positive_constant(i) for i in node.inputs if i is not others[0]):
                break
            var, sign_only = others[0], True
        elif sign and isinstance(scalar, ps.TrueDiv) and _positive_constant(node.inputs[1]):
            var, sign_only = node.inputs[0], True
        else:
            break
    return var, sign_only


def depends_on(var, targets: Sequence) -> bool:
    from pytensor.graph.traversal import ancestors

    ids = {id(t) for t in targets}
    return any(id(a) in ids for a in ancestors([var]))


def dist_params(rv) -> list:
    op = rv.owner.op
    if hasattr(op, "dist_params"):
        return list(op.dist_params(rv.owner))
    from pytensor.tensor.random.type import RandomType

    return [inp for inp in rv.owner.inputs if not isinstance(inp.type, RandomType)]


def plain_scalar_rv(rv) -> bool:
    """A basic random variable with scalar support (Normal, Poisson...), not a symbolic one (mixtures, censoring)."""
    from pymc.distributions.distribution import SymbolicRandomVariable
    from pytensor.tensor.random.op import RandomVariable

    op = rv.owner.op
    return isinstance(op, RandomVariable) and not isinstance(op, SymbolicRandomVariable) and op.ndim_supp == 0


def batch_shape(rv, index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A parameter's shape without its core dims (a Categorical's ``p`` has one)."""
    core = rv.owner.op.ndims_params[index]
    return shape[: len(shape) - core] if core else shape


def distribution_name(rv) -> str:
    op = rv.owner.op
    printed = getattr(op, "_print_name", None)
    if printed:
        return printed[0]
    name = type(op).__name__
    return name[:-2] if name.endswith("RV") else name


def parameter_names(rv) -> list[str] | None:
    """PyMC's names for the distribution's parameters, when its ``logp`` spells them one for one."""
    names = _logp_parameter_names(type(rv.owner.op))
    return list(names) if names is not None and len(names) == len(dist_params(rv)) else None


@cache
def _logp_parameter_names(op_type) -> tuple[str, ...] | None:
    """The parameters of the ``logp`` of the distribution drawn by ``op_type`` (a search of PyMC's classes)."""
    import inspect

    from pymc.distributions.distribution import Distribution

    pending = list(Distribution.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if getattr(cls, "rv_type", None) is op_type and "logp" in cls.__dict__:
            try:
                return tuple(inspect.signature(cls.logp).parameters)[1:]
            except (TypeError, ValueError):
                return None
    return None


# ---------------------------------------------------------------------------------------------
# Constraints PyMC itself checks in each log-probability ("sigma > 0", "0 <= p <= 1")


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
        scalar = _scalar_op(node)
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
    return found


# ---------------------------------------------------------------------------------------------
# Rendering graphs in the user's names


def expression(var, names: dict[int, str], depth: int = 0) -> str | None:
    """A short Python spelling of a graph made of named variables, constants and arithmetic; else None."""
    import pytensor.scalar as ps
    from pytensor.tensor.elemwise import DimShuffle
    from pytensor.tensor.shape import SpecifyShape

    if id(var) in names:
        return names[id(var)]
    if depth > 6:
        return None
    value = constant_value(var)
    if value is not None:
        return f"{float(np.ravel(value)[0]):g}" if value.size and np.unique(value).size == 1 else None
    node = var.owner
    if node is None:
        return None
    if isinstance(node.op, (DimShuffle, SpecifyShape)):
        return expression(node.inputs[0], names, depth + 1)
    indexed = compat.integer_index_axes(node)
    if indexed and len(indexed) == 1 and indexed[0][0] == 0 and len(node.inputs) == 2:
        base = expression(node.inputs[0], names, depth + 1)
        index = expression(node.inputs[1], names, depth + 1)
        return f"{base}[{index}]" if base and index else None
    scalar = _scalar_op(node)
    symbols = {ps.Add: " + ", ps.Sub: " - ", ps.Mul: " * ", ps.TrueDiv: " / "}
    for op_type, symbol in symbols.items():
        if isinstance(scalar, op_type):
            parts = [expression(inp, names, depth + 1) for inp in node.inputs]
            if not all(parts):
                return None
            text = symbol.join(parts)
            return text if depth == 0 else f"({text})"
    functions = {ps.Exp: "pm.math.exp", ps.Log: "pm.math.log", ps.Abs: "abs"}
    sigmoid = compat.sigmoid_op()
    if sigmoid is not None:
        functions[sigmoid] = "pm.math.invlogit"
    for op_type, function in functions.items():
        if isinstance(scalar, op_type):
            inner = expression(node.inputs[0], names, depth + 1)
            return f"{function}({inner})" if inner else None
    return None


def nice(value: float) -> str:
    """Two significant digits, as a Python literal."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return "1"
    rounded = float(f"{value:.2g}")
    return f"{int(rounded)}" if rounded == int(rounded) and abs(rounded) < 1e15 else f"{rounded:g}"


# ---------------------------------------------------------------------------------------------
# Families: free scalars evaluated together


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


def _leaf_pattern(leaves: Sequence) -> tuple:
    """What a constraint analysis of a family member depends on beyond its template: the values of its
    constants, and which of its parents are the same variable (by the position of its first reading)."""
    from pytensor.graph.basic import Constant

    return tuple(
        np.asarray(leaf.data).item()
        if isinstance(leaf, Constant)
        else next(position for position, other in enumerate(leaves) if other is leaf)
        for leaf in leaves
    )


def _transform_key(transform) -> Any:
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


def _draw_many(op, generator, arguments: Sequence, varying: Sequence[bool], size, count: int, together: bool):
    """``count`` draws of ``op`` as ``RandomVariable.perform`` makes them: one per call, with the node's
    ``size``; the ``varying`` arguments hold one row per draw (a parent's draws, for scalar draws).
    ``together``: in one call, which gives the same draws where ``_draws_alike`` says so."""
    if together:
        shapes = [np.shape(a)[1:] if v else np.shape(a) for a, v in zip(arguments, varying, strict=True)]
        shape = np.broadcast_shapes(*shapes) if size is None else size
        return np.asarray(op.rng_fn(generator, *arguments, (count, *shape)), op.dtype)
    rows = [[a[draw] if v else a for a, v in zip(arguments, varying, strict=True)] for draw in range(count)]
    return np.stack([np.asarray(op.rng_fn(generator, *row, size), op.dtype) for row in rows])


def _draws_alike(op, arguments: Sequence, varying: Sequence[bool], size) -> bool:
    """Whether ``op``'s sampler gives the same draws in one call as in one call per draw, as two probe
    draws show: NumPy's samplers draw element after element, some others draw blocks (SciPy's Rice)."""
    probe = [a[:PROBE_DRAWS] if v else a for a, v in zip(arguments, varying, strict=True)]
    together, one_by_one = (
        _draw_many(op, np.random.Generator(np.random.PCG64(0)), probe, varying, size, PROBE_DRAWS, joined)
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
                together = _draws_alike(node.op, arguments, varying, None)
            generator = generators[id(node.op.rng_param(node))]
            drawn[id(self.members[row])] = _draw_many(node.op, generator, arguments, varying, None, count, together)
        return drawn


# ---------------------------------------------------------------------------------------------
# Facts about one model, computed once per run


class ModelFacts:
    """Lazily computed facts about a model; each property may raise for models it cannot read."""

    def __init__(self, model, namespace: dict[str, Any] | None = None):
        self.model = model
        self.namespace = namespace
        self.prior_error: str | None = None  # why the full prior predictive could not be drawn
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
        from pytensor.compile.sharedvalue import SharedVariable
        from pytensor.tensor.type_other import NoneTypeT

        model = self.model
        depths: dict[int, int] = {}
        templates: dict[tuple, Template] = {}
        grouped: dict[tuple, Family] = {}
        for rv in self.free:
            node, transform, value = rv.owner, model.rvs_to_transforms.get(rv), model.rvs_to_values[rv]
            generator = node.op.rng_param(node) if plain_scalar_rv(rv) else None
            if not (
                isinstance(generator, SharedVariable)
                and self._generator_uses[id(generator)] == 1  # its own generator: drawn as PyMC draws it
                and rv.type.ndim == 0
                # a discrete start rounds: computed apart from its constants, as here, it can round otherwise
                and rv.dtype.startswith("float")
                and isinstance(node.op.size_param(node).type, NoneTypeT)
                and model.rvs_to_initial_values.get(rv) is None
            ):
                continue
            found = parameter_structure(dist_params(rv), depths)
            if found is None or not found[1]:  # no parameters (Flat): nothing to stack the members along
                continue
            structure, leaves = found
            depths[id(rv)] = depth = 1 + max((depths[id(leaf)] for leaf in leaves if id(leaf) in depths), default=-1)
            key = (node.op, _transform_key(transform), structure, value.dtype)
            if key not in templates:
                templates[key] = Template(node.op, transform, structure, value.dtype, self._invalid)
            family = grouped.setdefault((key, depth), Family(templates[key], depth))
            family.members.append(rv)
            family.leaves.append(leaves)
            family.value_names.append(value.name)
        return sorted(grouped.values(), key=lambda family: family.depth)

    @cached_property
    def _analysis_keys(self) -> dict[int, tuple]:
        """Family member (by id) -> a key: members with equal keys have the same constraints, up to which
        parents they read."""
        return {
            id(rv): (id(family.template), *_leaf_pattern(leaves))
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

    # --- evaluation

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

    def evaluate_static(self, outputs: Sequence) -> list[np.ndarray]:
        """Evaluate graphs of constants and data only."""
        return [np.asarray(v) for v in compile_function([], outputs)()]

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

    def _shapes_at_start(self, graphs: Sequence) -> list[tuple[int, ...] | None]:
        """The shape of each of ``graphs`` at the initial point: what PyTensor knows statically, the rest
        evaluated together, or one by one when that fails so that one bad graph keeps its None alone."""
        shapes = [static_shape(graph) for graph in graphs]
        unknown = [index for index, shape in enumerate(shapes) if shape is None]
        if not unknown:
            return shapes
        try:
            values = self.evaluate([graphs[index].shape for index in unknown])
        except Exception:
            values = []
            for index in unknown:
                try:
                    values.append(self.evaluate([graphs[index].shape])[0])
                except Exception:
                    values.append(None)
        for index, value in zip(unknown, values, strict=True):
            shapes[index] = None if value is None else tuple(int(n) for n in value)
        return shapes

    @cached_property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of every named variable at the initial point; variables whose shape fails are left out."""
        variables = {
            name: var
            for name, var in self.model.named_vars.items()
            if var not in self.model.observed_RVs and hasattr(var, "shape")
        }
        shapes = zip(variables, self._shapes_at_start(list(variables.values())), strict=True)
        return {name: shape for name, shape in shapes if shape is not None}

    @cached_property
    def param_shapes(self) -> dict[str, list[tuple[int, ...]] | None]:
        """The shapes of each random variable's parameters at the initial point; None where one fails."""
        params = {rv.name: dist_params(rv) for rv in [*self.free, *self.observed]}
        shapes = iter(self._shapes_at_start([p for ps in params.values() for p in ps]))
        found = {name: [next(shapes) for _ in ps] for name, ps in params.items()}
        return {name: None if None in listed else listed for name, listed in found.items()}

    # --- data

    @cached_property
    def observed_values(self) -> dict[str, np.ndarray]:
        """Observed data as the likelihood sees it (after PyMC's casts)."""
        terms = [self.model.rvs_to_values[rv] for rv in self.observed]
        values = self.evaluate_static(terms)
        return {rv.name: value for rv, value in zip(self.observed, values, strict=True)}

    @cached_property
    def observed_raw(self) -> dict[str, np.ndarray]:
        """Observed data before PyMC's cast to the likelihood's type (data containers keep the original)."""
        import pytensor.scalar as ps

        raw = {}
        for rv in self.observed:
            value = self.model.rvs_to_values[rv]
            while value.owner is not None and isinstance(_scalar_op(value.owner), ps.Cast):
                value = value.owner.inputs[0]
            raw[rv.name] = value
        values = self.evaluate_static(list(raw.values()))
        return dict(zip(raw, values, strict=True))

    @cached_property
    def observed_sources(self) -> dict[str, str]:
        """Observed variable -> the data container it reads, if any."""
        sources = {}
        for rv in self.observed:
            base, _ = transparent_base(self.model.rvs_to_values[rv])
            if self.name(base) and base in self.model.data_vars:
                sources[rv.name] = self.name(base)
        return sources

    @cached_property
    def data_values(self) -> dict[str, np.ndarray]:
        return {var.name: np.asarray(var.get_value(borrow=True)) for var in self.model.data_vars}

    def data_scale(self, name: str) -> float | None:
        """A robust scale of an observed variable's data: its sd, else its typical magnitude."""
        values = np.asarray(self.observed_values.get(name), dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return None
        scale = float(values.std()) if values.size > 1 else 0.0
        return scale if scale > 0 else float(np.abs(values).max()) or None

    @cached_property
    def reference_scale(self) -> float:
        """The scale priors are judged against: the largest observed sd, at least 1."""
        scales = [self.data_scale(rv.name) for rv in self.observed if rv.dtype.startswith("float")]
        return max([1.0, *[s for s in scales if s]])

    # --- prior draws

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
                        compile_kwargs={"mode": _mode(self._invalid, False)},
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
                mode=_mode(self._invalid, len(rest) > MAX_LOOP_OUTPUTS, simplify=False),
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
            together = _draws_alike(node.op, arguments, varying, size)
            generator = generators[id(node.op.rng_param(node))]
            drawn[id(rv)] = _draw_many(node.op, generator, arguments, varying, size, count, together)
        return drawn

    # --- structure

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


# ---------------------------------------------------------------------------------------------
# Hierarchies


@dataclass(frozen=True)
class CenteredGroup:
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


# ---------------------------------------------------------------------------------------------
# Where the data came from: the user's namespace (a script's globals, the caller's variables)

MAX_SOURCE_SIZE = 10_000_000


@dataclass(frozen=True)
class Source:
    """An array-like object of the user's, spelled as the user would: ``df["y"]``, ``y``."""

    expr: str
    owner: str  # the namespace name holding it
    library: str  # "pandas", "polars" or "numpy"
    dtype: str  # as the library spells it
    values: np.ndarray | None  # as floats; None when the values are not numbers
    categorical: bool = False
    nullable: bool = False
    index: str | None = None  # pandas only: a description of an index that is not 0..n-1


def _library(obj) -> str | None:
    module = type(obj).__module__.split(".")[0]
    if module in ("pandas", "polars") and type(obj).__name__ in ("DataFrame", "Series"):
        return module
    return None


def _as_floats(values) -> np.ndarray | None:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def _pandas_source(expr: str, owner: str, series, index: str | None) -> Source:
    import pandas as pd

    dtype = series.dtype
    categorical = isinstance(dtype, pd.CategoricalDtype)
    nullable = isinstance(dtype, pd.api.extensions.ExtensionDtype) and not categorical
    if categorical:
        values = _as_floats(np.asarray(series))  # what PyMC receives: the category values, not the codes
    elif nullable:
        try:
            values = series.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            values = None
    else:
        values = _as_floats(series.to_numpy())
    return Source(expr, owner, "pandas", str(dtype), values, categorical, nullable, index)


def _pandas_index(obj) -> str | None:
    """How a pandas index differs from 0..n-1 (what PyMC assumes), or None when it does not."""
    import pandas as pd

    index = obj.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return None
    labels = index.tolist()
    for position, label in enumerate(labels):
        if label != position:
            return f"is not 0..{len(labels) - 1} (row {position} is labeled {label!r})"
    return None


def sources(namespace: dict[str, Any] | None) -> list[Source]:
    """Every DataFrame column, Series and NumPy array in the namespace, NumPy arrays first."""
    if not namespace:
        return []
    arrays, frames = [], []
    for owner, obj in namespace.items():
        if owner.startswith("_"):
            continue
        library = _library(obj)
        if isinstance(obj, np.ndarray) and obj.ndim >= 1 and 0 < obj.size <= MAX_SOURCE_SIZE:
            arrays.append(
                Source(owner, owner, "numpy", str(obj.dtype), _as_floats(obj) if obj.dtype != object else None)
            )
        elif library == "pandas" and 0 < obj.size <= MAX_SOURCE_SIZE:
            index = _pandas_index(obj)
            if type(obj).__name__ == "Series":
                frames.append(_pandas_source(owner, owner, obj, index))
            else:
                for column in obj.columns:
                    expr = f'{owner}["{column}"]' if isinstance(column, str) else f"{owner}[{column!r}]"
                    frames.append(_pandas_source(expr, owner, obj[column], index))
        elif library == "polars" and 0 < math.prod(obj.shape) <= MAX_SOURCE_SIZE:
            columns = (
                [(owner, obj)] if type(obj).__name__ == "Series" else [(f'{owner}["{c}"]', obj[c]) for c in obj.columns]
            )
            for expr, series in columns:
                values = _as_floats(series.to_numpy())
                frames.append(Source(expr, owner, "polars", str(series.dtype), values))
    return arrays + frames


def matching_sources(values: np.ndarray, candidates: Sequence[Source], *, library: str | None = None) -> list[Source]:
    """The sources holding exactly ``values`` (NaN equal to NaN)."""
    target = _as_floats(values)
    if target is None:
        return []
    found = []
    for source in candidates:
        if library is not None and source.library != library:
            continue
        if source.values is None or source.values.size != target.size:
            continue
        if np.array_equal(source.values.reshape(target.shape), target, equal_nan=True):
            found.append(source)
    return found


def source_texts(namespace: dict[str, Any] | None) -> list[str]:
    """The code that built the namespace, where it can be had: a script's file, an IPython session's cells."""
    if not namespace:
        return []
    texts = []
    path = namespace.get("__file__")
    if isinstance(path, str) and path.endswith(".py"):
        try:
            with open(path, encoding="utf-8") as handle:
                texts.append(handle.read())
        except OSError:
            pass
    cells = namespace.get("In")
    if isinstance(cells, list):
        texts.extend(cell for cell in cells if isinstance(cell, str))
    return texts


def _normalized(expr: str) -> str | None:
    import ast

    try:
        return ast.unparse(ast.parse(expr, mode="eval"))
    except SyntaxError:
        return None


def data_arguments(texts: Sequence[str]) -> set[str]:
    """What the code passes to ``pm.Data`` and to ``observed=``, spelled canonically (``df['y']``)."""
    import ast

    found = set()
    for text in texts:
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if function in ("Data", "MutableData", "ConstantData") and len(node.args) >= 2:
                found.add(ast.unparse(node.args[1]))
            found.update(ast.unparse(k.value) for k in node.keywords if k.arg in ("observed", "value"))
    return found


def passed_directly(source: Source, arguments: set[str]) -> bool:
    """Whether the code hands this DataFrame column or Series itself to PyMC (not ``.to_numpy()`` of it)."""
    spellings = {source.expr}
    column = source.expr[len(source.owner) + 2 : -2] if source.expr != source.owner else None
    if column and column.isidentifier():
        spellings.add(f"{source.owner}.{column}")
    return any(_normalized(spelling) in arguments for spelling in spellings)


def _shapes(model, variables) -> dict[str, tuple[int, ...]]:
    """Every variable's shape: what PyTensor knows statically, the rest from one small compiled function
    of the shapes alone (no values drawn)."""
    shapes = {var.name: static_shape(var) for var in variables}
    unknown = [var for var in variables if shapes[var.name] is None]
    if unknown:
        values = compile_function([], [var.shape for var in unknown])()
        shapes.update({var.name: tuple(int(n) for n in shape) for var, shape in zip(unknown, values, strict=True)})
    return shapes


def describe(model) -> dict[str, Any]:
    """What a report says about the model it checked: its variables, their kinds, distributions, dims,
    shapes and parents (the graph)."""
    from pymc.model_graph import ModelGraph

    kinds = [
        *((rv, "free") for rv in model.free_RVs),
        *((rv, "observed") for rv in model.observed_RVs),
        *((var, "deterministic") for var in model.deterministics),
        *((var, "data") for var in model.data_vars),
    ]
    summary: dict[str, Any] = {
        "free": [rv.name for rv in model.free_RVs],
        "observed": [rv.name for rv in model.observed_RVs],
        "deterministics": [var.name for var in model.deterministics],
        "data": [var.name for var in model.data_vars],
        "coords": {dim: (len(values) if values is not None else None) for dim, values in model.coords.items()},
    }
    try:
        shapes = _shapes(model, [var for var, _ in kinds])
        parents = ModelGraph(model).make_compute_graph()
    except Exception as exc:  # the summary is a courtesy; the checks report what is wrong with the model
        summary["variables_error"] = f"{type(exc).__name__}: {exc}"
        return summary
    summary["variables"] = [
        {
            "name": var.name,
            "kind": kind,
            "distribution": distribution_name(var) if kind in ("free", "observed") else "",
            "dims": list(model.named_vars_to_dims.get(var.name, ())),
            "shape": list(shapes[var.name]),
            # the compute graph lists an observed variable as the "parent" of its data; keep true parents
            "parents": sorted(p for p in parents.get(var.name, ()) if kind != "data"),
        }
        for var, kind in kinds
    ]
    return summary
