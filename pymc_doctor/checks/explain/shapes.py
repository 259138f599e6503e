"""Errors of shapes and dims: arrays of different lengths in one operation, dims that disagree with the data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pymc_doctor.errortext import ErrorText
from pymc_doctor.finding import Finding, finding_builder
from pymc_doctor.registry import rule_family
from pymc_doctor.subject import Subject

_finding = finding_builder("model")
_rule = rule_family("model", needs=("error",))

SHAPE_PATTERNS = (
    r"Incompatible Elemwise input shapes",
    r"Size length is incompatible with batched dimensions",
    r"Alloc static input type and target shape are incompatible",
    r"Input dimension mis-?match",
    r"shape mismatch",
    r"could not be broadcast",
    r"operands could not be broadcast together",
)


def shape_mismatch(error: ErrorText) -> dict[str, Any] | None:
    """The shape error's wording and the first shapes its message names, or None."""
    match = error.has(*SHAPE_PATTERNS)
    if not match:
        return None
    return {"pattern": match.group(0), "shapes": re.findall(r"\((\d+(?:,\s*\d*)*)\)", error.message)[:3]}


@_rule("EXP101", "shape-error", severity="error")
def shape_error(subject: Subject) -> Iterator[Finding]:
    """Shape mismatches and broadcasting errors.

    What it checks: PyTensor's and NumPy's shape errors: "Incompatible Elemwise input shapes",
    "Size length is incompatible with batched dimensions", "shape mismatch", "could not be
    broadcast", "Input dimension mismatch", an `Alloc` whose target shape does not fit.

    Why it matters: shapes are the most common modeling error (the talk's "shapes are hard"):
    two arrays of different lengths meet in one operation, typically group-level parameters
    used per observation without an index, or observed data of another length than the mean.

    Threshold: the error text.

    Example: `mu` of shape (3,) as the mean of `observed` of shape (4,).

    Fix: give every per-observation term one value per observation (index group values with a
    group code, `mu[group_idx]`), and check shapes before sampling with `pymc_doctor.lint(model)`.
    """
    found = shape_mismatch(subject.error)
    if found is None:
        return
    shown = " and ".join(f"({s})" for s in found["shapes"]) if found["shapes"] else "different shapes"
    yield _finding(
        "EXP101",
        "error",
        "Shape mismatch",
        (
            f"Two arrays of shapes {shown} met in one operation{subject.error.at()}. A typical cause is a group-level "
            "parameter used per observation without its index, or data of another length than the term it "
            "goes with."
        ),
        evidence=found,
        fix="Give each per-observation term one value per observation: index group-level values with a group code.",
        fix_code=(
            "mu_obs = mu[group_idx]  # group_idx: the group code (0..k-1) of each observation\n"
            "# before sampling, pymc_doctor.lint(model) names the variable whose shapes disagree"
        ),
    )


_DOT_SHAPES = (
    r"Incompatible shared dimension for dot product: \((\d+), ?(\d+)\), \((\d+)(?:, ?\d+)?,?\)",
    r"shapes \((\d+), ?(\d+)\) and \((\d+)(?:, ?\d+)?,?\) not aligned",
)
_DOT_WORDING = (r"mismatched contraction dimensions", r"has a mismatch in its core dimension")


def dot_mismatch(error: ErrorText) -> dict[str, Any] | None:
    """A matrix product whose left operand's columns differ from the right one's rows: those counts, or None."""
    match = error.has(*_DOT_SHAPES)
    if match:
        return {"rows": int(match.group(1)), "columns": int(match.group(2)), "coefficients": int(match.group(3))}
    return {"rows": None, "columns": None, "coefficients": None} if error.has(*_DOT_WORDING) else None


@_rule("EXP112", "dot-shape-error", severity="error")
def dot_shape_error(subject: Subject) -> Iterator[Finding]:
    """A matrix product of a design matrix and coefficients whose lengths differ.

    What it checks: PyTensor's "Incompatible shared dimension for dot product: (100, 3), (4, 1)"
    (raised when the model is built), and what the compiled product says when the lengths are
    known only at run time: NumPy's "shapes (100,3) and (4,) not aligned", "gemm: operands have
    mismatched contraction dimensions", matmul's "mismatch in its core dimension".

    Why it matters: `pm.math.dot(X, beta)` needs one coefficient per column of `X`; a coefficient
    vector sized by hand (or for the data before a column was added or dropped) breaks the model.

    Threshold: the error text.

    Example: `X` of shape (100, 3) and `beta = pm.Normal("beta", shape=4)`.

    Fix: size the coefficients from the data, `shape=X.shape[1]`, or name the columns as a dim
    (`coords={"predictor": list(df.columns)}`, `dims="predictor"`).
    """
    found = dot_mismatch(subject.error)
    if found is None:
        return
    columns, coefficients = found["columns"], found["coefficients"]
    if columns is None:
        detail = "the matrix's number of columns differs from the length of the vector it multiplies"
        size = "X.shape[1]"
    else:
        detail = f"the matrix has {columns} columns but the coefficients have {coefficients} rows"
        size = str(columns)
    yield _finding(
        "EXP112",
        "error",
        "Matrix product of mismatched sizes",
        (
            f"A dot product failed{subject.error.at()}: {detail}. A design matrix needs exactly one "
            "coefficient per column."
        ),
        evidence=found,
        fix="Size the coefficients from the design matrix (one per column), or give the columns a dim.",
        fix_code=(
            f'beta = pm.Normal("beta", 0, 1, shape={size})  # one coefficient per column of X\n'
            "mu = pm.math.dot(X, beta)\n"
            '# or: pm.Model(coords={"predictor": list(df.columns)}) and dims="predictor" on beta'
        ),
    )


def coordinate_conflict(error: ErrorText) -> dict[str, str | None] | None:
    """The dim whose coordinates disagree with a variable, and both lengths (None when the text omits them)."""
    match = error.has(r"conflicting sizes for dimension '([^']+)': length (\d+) on the data but length (\d+)")
    if match:
        return {"dim": match.group(1), "data_length": match.group(2), "coord_length": match.group(3)}
    if error.has(r"CoordinateValidationError"):
        return {"dim": None, "data_length": None, "coord_length": None}
    return None


@_rule("EXP107", "coords-conflict", severity="error")
def coords_conflict(subject: Subject) -> Iterator[Finding]:
    """Dims whose coordinates disagree with the data (at the end of sampling).

    What it checks: xarray's `CoordinateValidationError` ("conflicting sizes for dimension"),
    raised when ArviZ builds the trace.

    Why it matters: PyMC does not check dims against coordinates before sampling (pymc#7891): the
    run completes and then fails, and the draws are lost.

    Threshold: the error text.

    Example: `coords={"obs": range(4)}` with a Deterministic of length 5 declared `dims="obs"`.

    Fix: build the coordinates from the same data as the variable; `pymc_doctor.lint(model)`
    finds the variable before sampling (MOD401).
    """
    conflict = coordinate_conflict(subject.error)
    if conflict is None:
        return
    dim, data_length = conflict["dim"], conflict["data_length"]
    if dim is None:
        dim, data_length = "obs", "n"  # placeholders for the fix's snippet
        message = "A variable's length disagrees with the coordinates of one of its dims."
    else:
        message = (
            f"A variable declared with dims `{dim}` has {data_length} values along it, but the model's coordinates "
            f"for `{dim}` have {conflict['coord_length']}. PyMC noticed only after sampling, when building the trace."
        )
    yield _finding(
        "EXP107",
        "error",
        f"Dims `{dim}` disagree with the data",
        message,
        evidence={"dim": dim},
        fix="Build the coordinates from the same table as the data, and lint the model before sampling.",
        fix_code=(
            f'coords = {{"{dim}": range({data_length})}}  # or the labels, from the same table as the data\n'
            "import pymc_doctor\n\npymc_doctor.lint(model).show()  # MOD401 names the variable"
        ),
    )
