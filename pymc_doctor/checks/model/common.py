"""What the model rules share: the run's facts, the finding builder, and the user's names for arrays."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from pymc_doctor.finding import finding_builder
from pymc_doctor.modelgraph import (
    ModelFacts,
    batch_shape,
    dist_params,
    distribution_name,
    expression,
    facts,
    matching_sources,
    parameter_names,
    sources,
)
from pymc_doctor.registry import CannotCheck, rule_family
from pymc_doctor.subject import Subject

MODEL = "model"
HALF_NORMAL_MEDIAN = 0.674  # the median of |Normal(0, 1)|: turns a typical magnitude into a sigma

finding = finding_builder(MODEL)


model_rule = rule_family(MODEL, needs=("model",))


def model_facts(subject: Subject) -> ModelFacts:
    return facts(subject.model)


def shown_values(values: np.ndarray, limit: int = 4) -> str:
    """The first values, for prose: ``1.5, 2.7, …``."""
    shown = ", ".join(f"{v:.4g}" for v in np.ravel(values)[:limit])
    return shown + (", …" if np.size(values) > limit else "")


def typical_magnitude(f: ModelFacts, name: str) -> float | None:
    """How large a variable's prior draws typically are (their median absolute value)."""
    draws = f.prior.get(name)
    if draws is None:
        return None
    values = np.abs(np.asarray(draws, dtype=float))
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size and np.median(values) > 0 else None


def top_level(f: ModelFacts, rv) -> bool:
    """A prior whose parameters are constants (not a hierarchical child)."""
    return not any(f.depends_on_free(param) for param in dist_params(rv))


def source_name(f: ModelFacts, values: np.ndarray, fallback: str) -> str:
    """The user's name for an array of the model, from their namespace; ``fallback`` when not found."""
    found = matching_sources(values, sources(f.namespace))
    return found[0].expr if found else fallback


def as_array(f: ModelFacts, values: np.ndarray, fallback: str) -> str:
    """The user's spelling of an array of the model as a NumPy array (DataFrame columns get ``.to_numpy()``)."""
    found = matching_sources(values, sources(f.namespace))
    if not found:
        return fallback
    return found[0].expr if found[0].library == "numpy" else f"{found[0].expr}.to_numpy()"


def identifier(expr: str, fallback: str) -> str:
    """A Python name for an array the user spells ``expr``: itself, a DataFrame column's name, or ``fallback``."""
    if expr.isidentifier():
        return expr
    column = re.fullmatch(r'\w+\["(\w+)"\]', expr)
    return column.group(1) if column and column.group(1).isidentifier() else fallback


def dims_for_length(f: ModelFacts, length: int) -> list[str]:
    """The model's dims with ``length`` coordinates."""
    return [dim for dim, size in f.coord_lengths.items() if size == length]


def spelled_parameters(f: ModelFacts, rv) -> dict[str, str] | None:
    """A random variable's parameters by PyMC's names, spelled in the user's names; None when one is not."""
    names = parameter_names(rv)
    spelled = [expression(param, f.names) for param in dist_params(rv)]
    return dict(zip(names, spelled, strict=True)) if names and all(spelled) else None


def likelihood(f: ModelFacts, rv) -> tuple[str, dict[str, str] | None]:
    """What a likelihood's declaration needs: its distribution and its parameters as the user spells them."""
    return distribution_name(rv), spelled_parameters(f, rv)


def needs_start(f: ModelFacts) -> None:
    if f.start_error:
        raise CannotCheck(f"the model cannot be evaluated at its initial point ({f.start_error}; see MOD201)")


def needs_namespace(f: ModelFacts) -> None:
    if f.namespace is None:
        raise CannotCheck("the user's variables were not given (pass namespace=, or lint from a script)")


def labels_of(rv, count: int) -> Sequence[str]:
    """PyMC's names for a random variable's parameters, or ``parameter i``."""
    return parameter_names(rv) or [f"parameter {i}" for i in range(count)]


def variable_shape(f: ModelFacts, name: str) -> tuple[int, ...] | None:
    """A variable's shape: its data's for observed and imputed variables, else its shape at the start."""
    if name in f.observed_values:
        return tuple(np.shape(f.observed_values[name]))
    return f.imputed_shapes.get(name, f.shapes.get(name))


def misfit_parameters(f: ModelFacts, rv, shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...], object]]:
    """(label, shape, parameter) of each parameter of ``rv`` whose shape at the start (without core dims)
    does not broadcast to ``shape``; none when a parameter's shape fails (MOD201 reports it)."""
    params = dist_params(rv)
    labels = labels_of(rv, len(params))
    misfits = []
    for index, (label, param, pshape) in enumerate(
        zip(labels, params, f.param_shapes.get(rv.name) or [], strict=False)
    ):
        pshape = batch_shape(rv, index, pshape)
        try:
            fits = np.broadcast_shapes(pshape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            misfits.append((label, pshape, param))
    return misfits
