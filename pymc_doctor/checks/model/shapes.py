"""Shapes: integer indices out of range, broadcasting that blows a variable up, parameters that do not fit
their variable, and discrete free variables (MOD403-MOD406)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import (
    finding,
    misfit_parameters,
    model_facts,
    model_rule,
    source_name,
    variable_shape,
)
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import (
    ModelFacts,
    dist_params,
    distribution_name,
    expression,
    plain_scalar_rv,
    transparent_base,
)
from pymc_doctor.remedies.model import (
    factorize_code,
    group_index_code,
    marginalize_code,
    per_observation_code,
    zero_based_code,
)
from pymc_doctor.subject import Subject
from pymc_doctor.wording import count, names

# --- MOD403


@dataclass(frozen=True)
class IndexOutOfRange:
    """An integer index (``index``, the user's name for it, or "") of values ``low``..``high`` into
    ``target`` (spelled, or "the indexed variable"), of ``length`` along ``axis``."""

    target: str
    index: str
    source: str  # the user's spelling of the index array
    axis: int
    length: int
    low: int
    high: int
    variables: tuple[str, ...]

    @property
    def one_based(self) -> bool:
        return self.low == 1 and self.high == self.length


def _index_nodes(f: ModelFacts):
    """(indexing node, axis, index variable) for integer-array indexing by data or constants."""
    from pytensor.graph.traversal import applys_between, graph_inputs

    from pymc_doctor import compat

    outputs = [p for rv in [*f.observed, *f.free] for p in dist_params(rv)]
    outputs += list(f.model.deterministics) + list(f.model.potentials)
    for node in applys_between(list(graph_inputs(outputs)), outputs):
        for axis, index in compat.integer_index_axes(node):
            if not f.depends_on_free(index):
                yield node, axis, index


def indices_out_of_range(f: ModelFacts) -> list[IndexOutOfRange]:
    """Integer indices of data or constants with values below 0 or past the length they index, once each."""
    found: dict[tuple[str, str], IndexOutOfRange] = {}
    for node, axis, index in _index_nodes(f):
        try:
            length = int(f.evaluate([node.inputs[0].shape[axis]])[0])
            values = f.evaluate([index])[0]
        except Exception:
            continue
        if values.size == 0:
            continue
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high < length:
            continue
        target = expression(node.inputs[0], f.names) or "the indexed variable"
        named = f.name(transparent_base(index)[0]) or source_name(f, values, "")
        if (target, named or "an integer index") in found:
            continue
        source = source_name(f, values, named or "group_idx")
        variables = tuple(v for v in (f.name(node.inputs[0]), f.name(transparent_base(index)[0])) if v)
        found[target, named or "an integer index"] = IndexOutOfRange(
            target, named, source, axis, length, low, high, variables
        )
    return list(found.values())


@model_rule("MOD403", "index-range", severity="error")
def index_range(subject: Subject) -> Iterator[Finding]:
    """Integer index vectors out of range for the variable they index.

    What it checks: every integer-array index made of data or constants (`a[group_idx]`),
    against the length of the indexed variable along that axis.

    Why it matters: an index past the end raises an IndexError at the first evaluation, far from
    the line at fault; negative indices silently wrap around to the last groups; codes starting
    at 1 (from R or a spreadsheet) shift every group by one and leave group 0 unused.

    Threshold: any index >= the length or below 0.

    Example: `a = pm.Normal("a", 0, 1, shape=3)` indexed by `county_idx` holding 1, 2, 3.

    Fix: code groups 0..k-1 (`pd.factorize`), with the labels as coordinates.
    """
    for found in indices_out_of_range(model_facts(subject)):
        shown = f"`{found.index}`" if found.index else "An integer index"
        if found.one_based:
            why = "it looks 1-based (values 1..k): every group is shifted by one and the last is past the end"
        elif found.low < 0:
            why = "negative indices silently wrap around to the last elements"
        else:
            why = f"index {found.high} is past the end"
        yield finding(
            "MOD403",
            "error",
            f"{shown} indexes past `{found.target}`",
            (
                f"{shown} indexes `{found.target}` along axis {found.axis}, which has length {found.length}, with "
                f"values {found.low}..{found.high}: {why}."
            ),
            variables=found.variables,
            evidence={"length": found.length, "min": found.low, "max": found.high, "axis": found.axis},
            fix="Code the groups 0..k-1 and declare the labels as coordinates.",
            fix_code=zero_based_code(found.source) if found.one_based else factorize_code(found.source),
        )


# --- MOD404


@dataclass(frozen=True)
class Blowup:
    """A variable of at least two dims with ``size`` elements, against the ``largest_data`` array."""

    name: str
    shape: tuple[int, ...]
    size: int
    largest_data: int


def blowups(f: ModelFacts, max_size_ratio: float) -> list[Blowup]:
    """Free, deterministic and potential variables of at least 2 dims with more than ``max_size_ratio`` times
    as many elements as the largest data array, and more than 1000."""
    sizes = [np.size(v) for v in [*f.observed_values.values(), *f.data_values.values()]]
    largest = max([1, *sizes])
    found = []
    for name, var in f.model.named_vars.items():
        shape = f.shapes.get(name)
        if var in f.observed or var in f.model.data_vars or not shape or len(shape) < 2:
            continue
        size = int(np.prod(shape))
        if size > max(1000, max_size_ratio * largest):
            found.append(Blowup(name, shape, size, largest))
    return found


@model_rule("MOD404", "broadcast-blowup", severity="warning", params={"max_size_ratio": 10.0})
def broadcast_blowup(subject: Subject, max_size_ratio: float) -> Iterator[Finding]:
    """Broadcasting that makes a variable much larger than the data.

    What it checks: free, deterministic and potential variables with more elements than
    `max_size_ratio` times the largest data array, of at least 2 dims: the signature of a column
    (n, 1) meeting a row (n,), which makes an n×n matrix instead of n values.

    Why it matters: the model computes (and a Deterministic stores, for every draw) n² values;
    memory and time explode and the likelihood may be counted n times.

    Threshold: more than `max_size_ratio` (default 10) times the largest data size, and 1000 elements.

    Example: `mu = pm.Deterministic("mu", a[:, None] + b * x)` with `a` and `x` of length n.

    Fix: index per observation (`a[group_idx] + b * x`) instead of broadcasting a column against a row.
    """
    for found in blowups(model_facts(subject), max_size_ratio):
        name, size, largest = found.name, found.size, found.largest_data
        yield finding(
            "MOD404",
            "warning",
            f"`{name}` has {size} elements",
            (
                f"`{name}` has shape {found.shape}: {size} elements, {size / largest:.0f} times the largest data "
                f"array ({largest}). A column (n, 1) broadcast against a row (n,) makes n×n values."
            ),
            variables=(name,),
            evidence={"shape": list(found.shape), "size": size, "largest_data": largest},
            fix="Index per observation instead of broadcasting a column against a row.",
            fix_code=per_observation_code(name),
        )


# --- MOD405


def discrete_free_variables(f: ModelFacts) -> list[tuple[str, str]]:
    """(name, distribution) of the free variables of integer type."""
    return [(rv.name, distribution_name(rv)) for rv in f.free if not rv.dtype.startswith("float")]


@model_rule("MOD405", "discrete-free", severity="warning")
def discrete_free(subject: Subject) -> Iterator[Finding]:
    """Discrete free variables, which force a compound step instead of NUTS.

    What it checks: free variables of integer type (including imputed discrete data).

    Why it matters: NUTS needs gradients; PyMC samples discrete variables with Metropolis or
    Gibbs steps in a compound step, which mixes far worse and gives no divergence diagnostics;
    nutpie, numpyro and blackjax refuse such models.

    Threshold: any discrete free variable.

    Example: `z = pm.Categorical("z", p=w, shape=n)` for mixture memberships.

    Fix: marginalize it out (`pymc_extras.marginalize`) or write the model as a mixture
    (`pm.Mixture`, `pm.NormalMixture`).
    """
    discrete = discrete_free_variables(model_facts(subject))
    if not discrete:
        return
    labels = [name for name, _ in discrete]
    one = len(discrete) == 1
    yield finding(
        "MOD405",
        "warning",
        f"{count(len(discrete), 'discrete free variable')}: no NUTS for {names(labels)}",
        (
            f"{names(labels)} ({', '.join(distribution for _, distribution in discrete)}) "
            f"{'is' if one else 'are'} discrete: PyMC samples {'it' if one else 'them'} with a compound "
            "Metropolis/Gibbs step, which mixes slowly, and nutpie, numpyro and blackjax cannot sample the model."
        ),
        variables=tuple(labels),
        evidence={"variables": labels},
        fix="Marginalize the discrete variables out (pymc-extras) or write the model as a mixture.",
        fix_code=marginalize_code(labels),
    )


# --- MOD406


@dataclass(frozen=True)
class ShapeMismatch:
    """A random variable without dims (of ``shape``: its data's, for an observed one) whose parameters
    (label, shape, spelling or None) do not broadcast to it."""

    name: str
    distribution: str
    observed: bool
    shape: tuple[int, ...]
    parameters: list[tuple[str, tuple[int, ...], str | None]]


def shape_mismatches(f: ModelFacts) -> list[ShapeMismatch]:
    """Plain random variables declared without dims whose parameters' shapes do not fit theirs."""
    found = []
    for rv in [*f.free, *f.observed]:
        if f.dims_of(rv.name) or not plain_scalar_rv(rv):
            continue
        observed = rv in f.observed
        shape = variable_shape(f, rv.name) if observed else tuple(np.shape(f.start_values[rv.name]))
        misfits = [
            (label, pshape, expression(param, f.names)) for label, pshape, param in misfit_parameters(f, rv, shape)
        ]
        if misfits:
            found.append(ShapeMismatch(rv.name, distribution_name(rv), observed, shape, misfits))
    return found


@model_rule("MOD406", "shape-mismatch", severity="error")
def shape_mismatch(subject: Subject) -> Iterator[Finding]:
    """Parameters whose shapes do not fit the observed data or the variable's size.

    What it checks: for each random variable without dims, whether its parameters' shapes
    broadcast to its own shape (for observed variables: the data's shape).

    Why it matters: the model builds, then fails at the first evaluation with "Incompatible
    Elemwise input shapes" or "Size length is incompatible with batched dimensions", inside
    PyTensor, far from the line at fault.

    Threshold: any parameter that does not broadcast.

    Example: `mu` of shape (3,) for `observed` of shape (4,).

    Fix: index group parameters per observation (`mu[group_idx]`), or correct `shape=`.
    """
    for found in shape_mismatches(model_facts(subject)):
        name, shape = found.name, found.shape
        label, pshape, expr = found.parameters[0]
        what = "the observed data" if found.observed else "the variable"
        yield finding(
            "MOD406",
            "error",
            f"`{name}`: `{label}` of shape {pshape} does not fit shape {shape}",
            (
                f"`{name}` ({found.distribution}) has {what} of shape {shape}, but its `{label}`"
                f"{f' (`{expr}`)' if expr else ''} has shape {pshape}. The first evaluation will fail with "
                '"Incompatible Elemwise input shapes".'
            ),
            variables=(name,),
            evidence={"shape": list(shape), "parameters": {lab: list(s) for lab, s, _ in found.parameters}},
            fix="Give the parameter one value per observation, e.g. by indexing group values with a group index.",
            fix_code=group_index_code(expr or label),
        )
