"""Reading a model's graph: what a variable is up to indexing and casts, a random variable's
distribution and parameters, and a graph spelled in the user's names."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import numpy as np

from pymc_doctor import compat
from pymc_doctor.spelling import python_name


def scalar_op(node):
    """The scalar operation an elementwise node applies; None for other nodes."""
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
        scalar = scalar_op(node)
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


def expression(var, names: dict[int, str], depth: int = 0) -> str | None:
    """A short Python spelling of a graph made of named variables, constants and arithmetic; else None.

    A name that is no Python identifier is spelled as its ``spelling.python_name`` stand-in: the
    spelling is code, and a name spliced raw could run."""
    import pytensor.scalar as ps
    from pytensor.tensor.elemwise import DimShuffle
    from pytensor.tensor.shape import SpecifyShape

    if id(var) in names:
        return python_name(names[id(var)])
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
    scalar = scalar_op(node)
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
