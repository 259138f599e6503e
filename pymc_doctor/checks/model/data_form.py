"""The form data takes in the model: covariates fixed in the graph instead of swappable containers
(MOD304), and observed data far from unit scale (MOD305)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import (
    as_array,
    dims_for_length,
    finding,
    identifier,
    model_facts,
    model_rule,
    source_name,
)
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import ModelFacts, dist_params, transparent_base
from pymc_doctor.remedies.model import covariate_container_code, standardize_code
from pymc_doctor.subject import Subject

# --- MOD304


@dataclass(frozen=True)
class FixedCovariate:
    """A non-scalar constant multiplied with parameters: the user's ``user`` (or unnamed)."""

    user: str  # the user's name for it, "" when not found
    shape: tuple[int, ...]
    dims: list[str]  # the model's dims of its length
    array: str  # the user's spelling of it as a NumPy array


def _covariate_constants(f: ModelFacts) -> list:
    """Non-scalar constants multiplied with something that depends on a free variable."""
    import pytensor.scalar as ps
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import applys_between, graph_inputs

    outputs = [p for rv in f.observed for p in dist_params(rv)] + list(f.model.deterministics)
    found: dict[int, Constant] = {}
    for node in applys_between(list(graph_inputs(outputs)), outputs):
        scalar = getattr(node.op, "scalar_op", None)
        op_name = type(node.op).__name__ + type(getattr(node.op, "core_op", None)).__name__
        if not (isinstance(scalar, ps.Mul) or "Dot" in op_name or "Matmul" in op_name or "Gemv" in op_name):
            continue
        constants = [transparent_base(i)[0] for i in node.inputs]
        constants = [c for c in constants if isinstance(c, Constant) and np.asarray(c.data).size > 1]
        varying = [np.unique(np.asarray(c.data)).size > 1 for c in constants]
        if constants and any(varying) and any(f.depends_on_free(i) for i in node.inputs):
            for constant, varies in zip(constants, varying, strict=True):
                if varies:
                    found.setdefault(id(constant), constant)
    return list(found.values())


def fixed_covariates(f: ModelFacts) -> list[FixedCovariate]:
    """The covariates passed as plain arrays, with the user's names for them."""
    found = []
    for constant in _covariate_constants(f):
        values = np.asarray(constant.data)
        user = source_name(f, values, "")
        array = as_array(f, values, identifier(user, "x"))
        found.append(FixedCovariate(user, values.shape, dims_for_length(f, values.shape[0]), array))
    return found


@model_rule("MOD304", "data-not-container", severity="info")
def data_not_container(subject: Subject) -> Iterator[Finding]:
    """Covariates baked into the graph instead of declared with `pm.Data`.

    What it checks: non-scalar arrays passed as plain NumPy constants and multiplied with
    parameters (`beta * x`, `X @ beta`): the covariates of a regression.

    Why it matters: a constant cannot be swapped, so predicting for new covariates means
    rebuilding the model; `pm.Data` makes it `pm.set_data` plus `sample_posterior_predictive`.

    Threshold: any such array.

    Example: `mu = alpha + beta * x` with `x` a NumPy array.

    Fix: `x_data = pm.Data("x", x, dims=...)` and use it in place of `x`.
    """
    for found in fixed_covariates(model_facts(subject)):
        user, name = found.user, identifier(found.user, "x")
        shown = f"`{user}`" if user else f"a constant array of shape {found.shape}"
        yield finding(
            "MOD304",
            "info",
            f"{shown} is fixed in the graph",
            (
                f"{shown[0].upper()}{shown[1:]} multiplies a parameter but is a plain array, so it cannot be replaced: "
                "predicting for new values means rebuilding the model."
            ),
            variables=(user,) if user else (),
            evidence={"shape": list(found.shape)},
            fix="Declare it with pm.Data and swap it with pm.set_data for predictions.",
            fix_code=covariate_container_code(
                name, found.array, found.dims[:1], user or name, taken=set(subject.model.named_vars)
            ),
        )


# --- MOD305


@dataclass(frozen=True)
class FarScale:
    """Continuous observed data of ``magnitude`` (the larger of |median| and sd) far from 1."""

    name: str
    magnitude: float
    median: float
    sd: float
    source: str  # the user's spelling of the data


def far_scales(f: ModelFacts, max_scale_orders: float) -> list[FarScale]:
    """Continuous observed data whose magnitude is beyond 10^``max_scale_orders`` or below its inverse."""
    found = []
    for rv in f.observed:
        if not rv.dtype.startswith("float"):
            continue
        values = np.asarray(f.observed_values[rv.name], dtype=float)
        values = values[np.isfinite(values)]
        if values.size < 2:
            continue
        median, sd = float(np.median(values)), float(values.std())
        magnitude = max(abs(median), sd)
        if magnitude == 0 or abs(math.log10(magnitude)) <= max_scale_orders:
            continue
        found.append(FarScale(rv.name, magnitude, median, sd, source_name(f, f.observed_values[rv.name], rv.name)))
    return found


@model_rule("MOD305", "data-scale", severity="info", params={"max_scale_orders": 3.0})
def data_scale(subject: Subject, max_scale_orders: float) -> Iterator[Finding]:
    """Observed data far from unit scale.

    What it checks: the magnitude (the larger of |median| and sd) of each continuous observed
    variable's data.

    Why it matters: default and weakly informative priors assume quantities of order one;
    data in the millions (or millionths) need priors scaled to match, and the sampler's warm-up
    has to learn extreme scales.

    Threshold: magnitude above 10^`max_scale_orders` or below 10^-`max_scale_orders` (default 3).

    Example: incomes in dollars, `observed=income` with values around 50,000.

    Fix: standardize (or rescale) the data and put priors on the unit scale; transform draws back.
    """
    for found in far_scales(model_facts(subject), max_scale_orders):
        name, array = found.name, identifier(found.source, found.name)
        yield finding(
            "MOD305",
            "info",
            f"The data of `{name}` are on a scale of {found.magnitude:.2g}",
            (
                f"`{name}` observes values of magnitude {found.magnitude:.3g} (median {found.median:.3g}, sd "
                f"{found.sd:.3g}). Priors at unit scale do not fit them, and warm-up has to learn the scale."
            ),
            variables=(name,),
            evidence={"median": found.median, "sd": found.sd},
            fix="Standardize the data and set priors on the unit scale.",
            fix_code=standardize_code(array, found.source if found.source != array else None),
        )
