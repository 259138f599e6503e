"""Reading a ``pm.Model``: how each variable is used in the graph, its data, and cheap evaluations.

The model is treated as read-only. Evaluations compile small functions of their own in PyTensor's
FAST_COMPILE mode (no C compiler, about 0.1 s each; the graphs here are tiny), never the gradient;
anything that draws restores the model's random generators, and ``session`` restores every shared
variable and NumPy's global random state when the doctor is done.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from pymc_doctor import compat
from pymc_doctor.quiet import quiet

FAST = "FAST_COMPILE"
PRIOR_DRAWS = 300
PRIOR_SEED = 20261125

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
    import inspect

    from pymc.distributions.distribution import Distribution

    op_type = type(rv.owner.op)
    pending = list(Distribution.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if getattr(cls, "rv_type", None) is op_type and "logp" in cls.__dict__:
            try:
                names = list(inspect.signature(cls.logp).parameters)[1:]
            except (TypeError, ValueError):
                return None
            return names if len(names) == len(dist_params(rv)) else None
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
# Facts about one model, computed once per run


class ModelFacts:
    """Lazily computed facts about a model; each property may raise for models it cannot read."""

    def __init__(self, model, namespace: dict[str, Any] | None = None):
        self.model = model
        self.namespace = namespace
        self.prior_error: str | None = None  # why the full prior predictive could not be drawn

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

    # --- evaluation

    def compile(self, outputs: Sequence, extra_inputs: Sequence = ()):
        """A function of the value variables (and ``extra_inputs``) computing ``outputs``; -inf for invalid params."""
        import pymc as pm

        replaced = self.model.replace_rvs_by_values(list(outputs))
        with self.model, quiet("pymc", "pytensor"):
            return pm.pytensorf.compile(
                [*self.model.value_vars, *extra_inputs], replaced, mode=FAST, on_unused_input="ignore"
            )

    def evaluate(self, outputs: Sequence, point: dict | None = None) -> list[np.ndarray]:
        fn = self.compile(outputs)
        with preserved(self.model):
            return [np.asarray(v) for v in fn(**(self.initial_point if point is None else point))]

    def evaluate_static(self, outputs: Sequence) -> list[np.ndarray]:
        """Evaluate graphs of constants and data only."""
        import pytensor

        with quiet("pytensor"):
            fn = pytensor.function([], list(outputs), mode=FAST, on_unused_input="ignore")
        return [np.asarray(v) for v in fn()]

    @cached_property
    def initial_point(self) -> dict[str, np.ndarray]:
        with preserved(self.model), quiet("pymc"):
            return self.model.initial_point()

    @cached_property
    def start_logps(self) -> list[np.ndarray]:
        """Element-wise log-probability of every free, observed and potential term at the initial point."""
        terms = [*self.model.basic_RVs, *self.model.potentials]
        return self.evaluate(self.model.logp(vars=terms, sum=False))

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
        values = self.evaluate(self.free)
        return {rv.name: value for rv, value in zip(self.free, values, strict=True)}

    @cached_property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of every named variable at the initial point; variables whose shape fails are left out."""
        variables = {
            name: var
            for name, var in self.model.named_vars.items()
            if var not in self.model.observed_RVs and hasattr(var, "shape")
        }
        try:
            values = self.evaluate([var.shape for var in variables.values()])
            return {name: tuple(int(s) for s in v) for name, v in zip(variables, values, strict=True)}
        except Exception:  # one bad variable: evaluate them one by one to keep the others
            shapes = {}
            for name, var in variables.items():
                try:
                    shapes[name] = tuple(int(s) for s in self.evaluate([var.shape])[0])
                except Exception:
                    continue
            return shapes

    @cached_property
    def param_shapes(self) -> dict[str, list[tuple[int, ...]] | None]:
        """The shapes of each random variable's parameters at the initial point; None where they fail."""
        rvs = [*self.free, *self.observed]
        params = {rv.name: dist_params(rv) for rv in rvs}
        try:
            flat = iter(self.evaluate([p.shape for ps in params.values() for p in ps]))
            return {name: [tuple(int(s) for s in next(flat)) for _ in ps] for name, ps in params.items()}
        except Exception:  # one bad variable: evaluate them one by one to keep the others
            shapes: dict[str, list[tuple[int, ...]] | None] = {}
            for name, ps in params.items():
                try:
                    shapes[name] = [tuple(int(s) for s in v) for v in self.evaluate([p.shape for p in ps])]
                except Exception:
                    shapes[name] = None
            return shapes

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
        """A few hundred seeded prior (predictive) draws, keyed by name.

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

    def _draw(self, names: list[str] | None) -> dict[str, np.ndarray]:
        import pymc as pm

        with preserved(self.model), quiet("pymc", "pytensor"):
            draws = pm.sample_prior_predictive(
                draws=PRIOR_DRAWS,
                model=self.model,
                var_names=names,
                random_seed=PRIOR_SEED,
                return_inferencedata=False,
                compile_kwargs={"mode": FAST},
            )
        return {name: np.asarray(value) for name, value in draws.items()}

    # --- structure

    @cached_property
    def constraints(self) -> list[Constraint]:
        found = []
        for term in [*self.free, *self.observed]:
            try:
                found.extend(constraints_of(self.model, term))
            except Exception:  # a distribution whose logp cannot be built alone says nothing here
                continue
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
            with preserved(self.model):
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
    facts_ = facts(model)
    found = []
    for rv in facts_.free:
        if type(rv.owner.op).__name__ != "NormalRV":
            continue
        mu, sigma = dist_params(rv)
        scale_variables = tuple(facts_.name(v) for v in facts_.free if v is not rv and depends_on(sigma, [v]))
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
    """Every variable's shape, from one small compiled function of the shapes alone (no values drawn)."""
    import pytensor

    function = pytensor.function([], [var.shape for var in variables], mode="FAST_COMPILE", on_unused_input="ignore")
    return {var.name: tuple(int(n) for n in shape) for var, shape in zip(variables, function(), strict=True)}


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
