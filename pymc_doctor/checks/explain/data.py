"""Errors of data that PyTensor cannot hold: pandas objects in arithmetic, object dtype, NaN in a container.

Each names the DataFrame column on the user's failing line when there is one, and spells the fix
with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pymc_doctor.errortext import ErrorText
from pymc_doctor.finding import Finding, finding_builder
from pymc_doctor.registry import rule_family
from pymc_doctor.subject import Subject

_finding = finding_builder("model")
_rule = rule_family("model", needs=("error",))


def _column_if(error: ErrorText, *patterns: str) -> dict[str, str | None] | None:
    """``{"column": df["x"] or None}`` when the error text matches one of ``patterns``, else None."""
    return {"column": error.column()} if error.has(*patterns) else None


def pandas_in_arithmetic(error: ErrorText) -> dict[str, str | None] | None:
    return _column_if(error, r"setting an array element with a sequence")


@_rule("EXP108", "pandas-sequence", severity="error")
def pandas_sequence(subject: Subject) -> Iterator[Finding]:
    """A pandas object used in model arithmetic.

    What it checks: NumPy's "setting an array element with a sequence", which a pandas Series
    multiplied by a PyMC variable raises.

    Why it matters: pandas tries to build an object array of tensors; the error names neither the
    Series nor the variable.

    Threshold: the error text.

    Example: `mu = alpha + beta * df["x"]`.

    Fix: extract NumPy arrays (`df["x"].to_numpy()`), and declare data that will change with `pm.Data`.
    """
    found = pandas_in_arithmetic(subject.error)
    if found is None:
        return
    column = found["column"]
    source = column or 'df["x"]'
    name = re.sub(r"\W", "", source.split("[", 1)[1]) if column else "x"
    yield _finding(
        "EXP108",
        "error",
        "A pandas object in model arithmetic",
        (
            f"A pandas Series{f' (`{column}`)' if column else ''} met a PyMC variable in an arithmetic "
            f"operation{subject.error.at()}: pandas cannot hold tensors. Work with NumPy arrays inside the model."
        ),
        evidence=found,
        fix="Extract the values with .to_numpy() (inside pm.Data for data that will change).",
        fix_code=f'{name} = pm.Data("{name}", {source}.to_numpy())  # inside the model; then use {name}',
    )


def object_array(error: ErrorText) -> dict[str, str | None] | None:
    return _column_if(
        error, r"Unsupported dtype for TensorType: object", r"ufunc 'isnan' not supported for the input types"
    )


@_rule("EXP109", "object-dtype", severity="error")
def object_dtype(subject: Subject) -> Iterator[Finding]:
    """Data of object dtype (strings, mixed types, pandas NA).

    What it checks: "Unsupported dtype for TensorType: object" and NumPy's `isnan` refusing
    object arrays when PyMC looks for missing observed values.

    Why it matters: PyTensor holds numbers only; an object column (strings, a numeric column read
    with stray text, a nullable column with `pd.NA`) cannot become a tensor.

    Threshold: the error text.

    Example: `pm.Data("group", df["group"])` with group names as strings.

    Fix: code categories as integers (`pd.factorize`) with the labels as coordinates; convert
    numeric columns with `pd.to_numeric`.
    """
    found = object_array(subject.error)
    if found is None:
        return
    column = found["column"]
    source = column or 'df["group"]'
    yield _finding(
        "EXP109",
        "error",
        "Data of object dtype",
        (
            f"An array of Python objects{f' (`{column}`)' if column else ''} reached the model{subject.error.at()}: "
            "strings, mixed types or pandas NA. PyTensor holds numbers only."
        ),
        evidence=found,
        fix="Code categories as integers with the labels as coordinates; convert numeric text with pd.to_numeric.",
        fix_code=(
            f"codes, labels = pd.factorize({source})  # integer codes 0..k-1 and their labels\n"
            'coords = {"group": labels}\n'
            f'values = pd.to_numeric({source}, errors="coerce").to_numpy()  # for a numeric column read as text'
        ),
    )


def nan_in_container(error: ErrorText) -> dict[str, str | None] | None:
    return _column_if(error, r"Masked arrays or arrays with `?nan`? entries are not supported")


@_rule("EXP110", "nan-in-data", severity="error")
def nan_in_data(subject: Subject) -> Iterator[Finding]:
    """NaN passed to `pm.Data`.

    What it checks: "Masked arrays or arrays with `nan` entries are not supported".

    Why it matters: data containers cannot hold missing values; only `observed` arrays trigger
    PyMC's automatic imputation.

    Threshold: the error text.

    Example: `pm.Data("y", df["y"])` with missing values.

    Fix: drop the incomplete rows (from every per-row array), or pass the array to `observed`
    directly if imputing it is intended.
    """
    error = subject.error
    found = nan_in_container(error)
    if found is None:
        return
    column = found["column"]
    source = f"{column}.to_numpy()" if column else "values"
    yield _finding(
        "EXP110",
        "error",
        "NaN in a data container",
        f"`pm.Data` received missing values{error.at()}. Only `observed` arrays can hold NaN (PyMC imputes them).",
        evidence=found,
        fix="Drop the incomplete rows from every per-row array, or pass the array to observed to impute it.",
        fix_code=f"keep = ~np.isnan({source})  # then index every per-row array with keep",
    )
