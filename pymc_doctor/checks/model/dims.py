"""Dims: variables whose length disagrees with their coordinates, and variables without dims (MOD401,
MOD402)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import (
    dims_for_length,
    finding,
    misfit_parameters,
    model_facts,
    model_rule,
    variable_shape,
)
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import ModelFacts, plain_scalar_rv
from pymc_doctor.remedies.model import coords_code, dims_to_declare, new_coords_code
from pymc_doctor.subject import Subject
from pymc_doctor.wording import count, names

# --- MOD401


@dataclass(frozen=True)
class DimsMismatch:
    """A variable of ``shape`` that its ``dims`` do not describe."""

    name: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    coord_lengths: dict[str, int | None]
    wrong_rank: bool  # as many dims as axes, or not
    lengths: list[tuple[str, int, int]]  # (dim, the variable's length, the coordinates') that disagree
    parameters: list[tuple[str, tuple[int, ...]]]  # (label, shape) of the parameters that do not fit
    imputed: bool  # its data (observed values and imputed NaN) fill only part of the shape its dims declare


def dims_mismatches(f: ModelFacts) -> list[DimsMismatch]:
    """Variables declared with dims whose rank or lengths disagree with them, or whose parameters do not fit."""
    random_variables = {id(rv) for rv in [*f.free, *f.observed]}
    found = []
    for name, dims in f.dims.items():
        shape = variable_shape(f, name)
        if shape is None or not dims:
            continue
        wrong_rank = len(dims) != len(shape)
        lengths = []
        if not wrong_rank:
            expected = [(dim, length, f.coord_lengths.get(dim)) for dim, length in zip(dims, shape, strict=True)]
            lengths = [(dim, length, n) for dim, length, n in expected if n is not None and n != length]
        parameters = []
        var = f.model[name]
        if not (wrong_rank or lengths) and id(var) in random_variables and plain_scalar_rv(var):
            parameters = [(label, pshape) for label, pshape, _ in misfit_parameters(f, var, shape)]
        if wrong_rank or lengths or parameters:
            coord_lengths = {d: f.coord_lengths.get(d) for d in dims}
            imputed = name in f.imputed_shapes
            found.append(DimsMismatch(name, dims, shape, coord_lengths, wrong_rank, lengths, parameters, imputed))
    return found


def _problems(found: DimsMismatch) -> list[str]:
    dims, shape = found.dims, found.shape
    problems = [f"{len(dims)} dims {dims} for a variable of shape {shape}"] if found.wrong_rank else []
    problems += [f"length {length} along `{dim}`, which has {n} coordinates" for dim, length, n in found.lengths]
    problems += [
        f"its `{label}` has shape {pshape}, which does not fit dims {dims} of shape {shape}"
        for label, pshape in found.parameters
    ]
    return problems


def _consequence(found: DimsMismatch) -> str:
    if found.imputed:
        return (
            "PyMC joins its observed and imputed values into the shape of its dims, which they do not fill: "
            "sampling fails at the first draw (boolean index did not match), or records uninitialized values."
        )
    if not (found.wrong_rank or found.lengths):
        return "The first draw fails (Size length is incompatible with batched dimensions)."
    return "PyMC samples to the end and then fails building the trace (CoordinateValidationError)."


@model_rule("MOD401", "dims-length", severity="error")
def dims_length(subject: Subject) -> Iterator[Finding]:
    """Dims whose coordinates disagree with a variable's length.

    What it checks: for every variable declared with `dims`, its length along each dim against
    the number of coordinate values (or the dim's declared length), and the shapes of a random
    variable's parameters against its dims.

    Why it matters: PyMC only notices after sampling, when ArviZ builds the trace
    (`CoordinateValidationError: conflicting sizes for dimension`, pymc#7891): the whole run is
    lost. A parameter longer than its dims fails at the first draw.

    Threshold: any disagreement.

    Example: `coords={"obs": range(4)}` with `pm.Data("x", np.arange(5.0), dims="obs")`.

    Fix: build the coordinates from the same array as the data (`coords={"obs": df.index}`), or
    correct the dims.
    """
    for found in dims_mismatches(model_facts(subject)):
        name, shape = found.name, found.shape
        yield finding(
            "MOD401",
            "error",
            f"`{name}` disagrees with its dims",
            f"`{name}` has " + "; ".join(_problems(found)) + f". {_consequence(found)}",
            variables=(name,),
            evidence={"dims": list(found.dims), "shape": list(shape), "coord_lengths": found.coord_lengths},
            fix="Build each coordinate from the same array as the data it labels.",
            fix_code=coords_code(name, found.dims[0], shape[0] if shape else 0),
        )


# --- MOD402


@dataclass(frozen=True)
class MissingDims:
    """A non-scalar variable without dims, with the dims to give it: existing ones of its lengths, or
    new ones (``new_coords``, their lengths) where the model has none of a length."""

    name: str
    shape: tuple[int, ...]
    dims: tuple[str, ...]
    new_coords: dict[str, int] | None


def missing_dims_of(f: ModelFacts) -> list[MissingDims]:
    """Non-scalar variables declared without dims in a model that has coordinates (imputation's parts and
    potentials aside)."""
    if not f.model.coords:
        return []
    found = []
    for name, var in f.model.named_vars.items():
        if f.dims.get(name) or name.endswith(("_observed", "_unobserved")) or var in f.model.potentials:
            continue
        shape = variable_shape(f, name)
        if not shape or int(np.prod(shape)) <= 1:
            continue
        candidates = [dims_for_length(f, length) for length in shape]
        if all(candidates):
            found.append(MissingDims(name, shape, tuple(c[0] for c in candidates), None))
            continue
        new = tuple(f"{name}_dim" if len(shape) == 1 else f"{name}_dim_{i}" for i in range(len(shape)))
        found.append(MissingDims(name, shape, new, dict(zip(new, shape, strict=True))))
    return found


@model_rule("MOD402", "missing-dims", severity="info")
def missing_dims(subject: Subject) -> Iterator[Finding]:
    """Variables without dims in a model that uses coordinates.

    What it checks: non-scalar free, observed, deterministic and data variables declared without
    `dims` when the model has `coords`.

    Why it matters: ArviZ labels their axes `x_dim_0` with integer coordinates; plots and
    summaries lose the labels, and a length mistake cannot be caught against coordinates (MOD401).

    Threshold: any such variable (imputation's `_observed`/`_unobserved` parts excepted).

    Example: `pm.Normal("beta", 0, 1, shape=3)` in a model with `coords={"predictor": [...]}`.

    Fix: add `dims=` to each declaration (the fix's text says which); a coordinate of the right
    length is suggested when one exists, and the code adds new ones where none does.
    """
    missing = missing_dims_of(model_facts(subject))
    if not missing:
        return
    labels = [m.name for m in missing]
    declared = [(m.name, m.dims, m.new_coords) for m in missing]
    yield finding(
        "MOD402",
        "info",
        f"{count(len(missing), 'variable')} without dims",
        f"The model uses coordinates, but {names(labels)} "
        f"{'has' if len(missing) == 1 else 'have'} no dims: their axes will be labeled by position.",
        variables=tuple(labels),
        evidence={"variables": {m.name: list(m.shape) for m in missing}},
        fix=f"Declare dims for every non-scalar variable: {dims_to_declare(declared)}.",
        fix_code=new_coords_code(declared),
    )
