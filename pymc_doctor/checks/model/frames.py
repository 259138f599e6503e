"""Data taken from pandas or polars DataFrames: a dropped index, DataFrame objects handed to PyMC,
categorical and nullable columns (MOD301, MOD302)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import (
    finding,
    likelihood,
    model_facts,
    model_rule,
    needs_namespace,
    shown_values,
)
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import ModelFacts
from pymc_doctor.modelgraph.provenance import (
    Source,
    data_arguments,
    matching_sources,
    passed_directly,
    source_texts,
    sources,
)
from pymc_doctor.remedies.model import (
    category_codes_code,
    data_container_code,
    index_coords_comment,
    likelihood_code,
    nullable_column_code,
)
from pymc_doctor.subject import Subject


def _model_arrays(f: ModelFacts) -> dict[str, tuple[str, np.ndarray]]:
    """What the user passed as data: data containers and observed values, by model name."""
    arrays = {name: ("data", value) for name, value in f.data_values.items()}
    for name, value in f.observed_raw.items():
        if name not in f.observed_sources:
            arrays[name] = ("observed", value)
    return arrays


def frame_matches(f: ModelFacts) -> list[tuple[str, str, Source]]:
    """(model name, "data" or "observed", the DataFrame column or Series holding exactly its values)."""
    candidates = [s for s in sources(f.namespace) if s.library in ("pandas", "polars")]
    if not candidates:
        return []
    matches = []
    for name, (kind, value) in _model_arrays(f).items():
        found = matching_sources(value, candidates)
        if not found and kind == "observed":  # fractional counts, which PyMC truncated
            found = matching_sources(value, candidates, truncated=True)
        if found:
            matches.append((name, kind, found[0]))
    return matches


# --- MOD301


@dataclass(frozen=True)
class FrameColumn:
    """A model variable read from a DataFrame column (or Series) spelled ``expr``."""

    name: str
    expr: str
    dims: tuple[str, ...]
    likelihood: tuple[str, dict[str, str] | None] | None  # for observed values: distribution, parameters


@dataclass(frozen=True)
class FrameRead:
    """The columns the model reads from the DataFrame or Series ``owner``, whose index (when it is not
    0..n-1) the coordinates may not follow."""

    owner: str
    library: str
    series: bool
    index: str | None
    misaligned: bool
    columns: tuple[FrameColumn, ...]


def _follows_index(f: ModelFacts, name: str, owner: str) -> bool:
    """Whether the variable's first dim is labeled with the DataFrame's own index."""
    dims = f.dims_of(name)
    frame = (f.namespace or {}).get(owner)
    coords = f.model.coords.get(dims[0]) if dims else None
    index = getattr(frame, "index", None)
    return coords is not None and index is not None and list(coords) == list(index)


def frame_reads(f: ModelFacts) -> list[FrameRead]:
    """The DataFrames the model reads, where their index is not followed or the column itself is passed."""
    arguments = data_arguments(source_texts(f.namespace))
    by_owner: dict[str, list[tuple[str, str, Source]]] = {}
    for name, kind, source in frame_matches(f):
        misaligned = source.index is not None and not _follows_index(f, name, source.owner)
        if misaligned or passed_directly(source, arguments):
            by_owner.setdefault(source.owner, []).append((name, kind, source))
    found = []
    for owner, matches in by_owner.items():
        first = matches[0][2]
        columns = tuple(
            FrameColumn(
                name, source.expr, f.dims_of(name), likelihood(f, f.model[name]) if kind == "observed" else None
            )
            for name, kind, source in matches
        )
        misaligned = first.index is not None and any(not _follows_index(f, n, owner) for n, _, _ in matches)
        found.append(FrameRead(owner, first.library, first.expr == owner, first.index, misaligned, columns))
    return found


def _to_numpy_code(read: FrameRead) -> str:
    """The columns as NumPy arrays in data containers (observed values in their likelihoods), with a
    pandas index as the coordinates."""
    lines = []
    for column in read.columns:
        dims, values = column.dims or ("obs",), f"{column.expr}.to_numpy()"
        if column.likelihood is None:
            lines.append(data_container_code(column.name, values, dims))
        else:
            lines.append(likelihood_code(column.name, *column.likelihood, values, dims))
    if read.library == "pandas":
        dims = next((column.dims for column in read.columns if column.dims), ("obs",))
        lines.insert(0, index_coords_comment(dims[0], read.owner))
    return "\n".join(lines)


@model_rule("MOD301", "dataframe-input", severity="warning")
def dataframe_input(subject: Subject) -> Iterator[Finding]:
    """Data taken from pandas or polars: a dropped index, or DataFrame objects handed to PyMC.

    What it checks: which data containers and observed values hold exactly the values of a
    DataFrame column or Series (pandas or polars) in the user's variables (the script's, or the
    caller's for `doctor.lint`); whether such a DataFrame's index is not 0..n-1 while the
    variable's coordinates do not follow it; and, where the code is at hand (a script, an IPython
    session), whether the column itself is passed to `pm.Data` or `observed=`.

    Why it matters: PyMC keeps only the values, so rows align by position. After filtering or
    sorting, the index no longer matches the positions, and data and coordinates can silently
    disagree. The talk's advice: extract NumPy arrays (`.to_numpy()`), with coordinates taken
    from the index.

    Threshold: a warning for an index that the coordinates do not follow; a note for a column
    passed as it is.

    Example: `pm.Normal("y", mu, sigma, observed=df["y"], dims="obs")` after
    `df = df[df.year > 2000]`, with `coords={"obs": range(len(df))}`.

    Fix: `.to_numpy()` inside `pm.Data`, and the index as the coordinates.
    """
    f = model_facts(subject)
    needs_namespace(f)
    for read in frame_reads(f):
        owner, kind_name = read.owner, "Series" if read.series else "DataFrame"
        uses = ", ".join(f"`{column.name}` (`{column.expr}`)" for column in read.columns)
        if read.misaligned:
            note = (
                f" Its index {read.index}, but the coordinates do not follow it and PyMC aligns rows by "
                "position only: data and coordinates can silently disagree."
            )
        else:
            note = " PyMC keeps only the values, aligned by position: pass NumPy arrays, with the index as coordinates."
        come = "come" if len(read.columns) > 1 else "comes"
        yield finding(
            "MOD301",
            "warning" if read.misaligned else "info",
            f"The model reads the {read.library} {kind_name} `{owner}`",
            f"{uses} {come} from the {read.library} {kind_name} `{owner}`." + note,
            variables=tuple(column.name for column in read.columns),
            evidence={
                "source": owner,
                "library": read.library,
                "columns": {column.name: column.expr for column in read.columns},
                "index": read.index,
            },
            fix="Pass NumPy arrays (.to_numpy()) in data containers, with the index as coordinates.",
            fix_code=_to_numpy_code(read),
        )


# --- MOD302


@dataclass(frozen=True)
class ColumnDtype:
    """A model variable read from a categorical or nullable column."""

    name: str
    column: str
    dtype: str
    categorical: bool
    values: np.ndarray | None  # what PyMC received, as floats
    dims: tuple[str, ...]


def special_dtypes(f: ModelFacts) -> list[ColumnDtype]:
    """Data and observed values read from a pandas column of categorical or nullable dtype."""
    return [
        ColumnDtype(name, source.expr, source.dtype, source.categorical, source.values, f.dims_of(name))
        for name, _kind, source in frame_matches(f)
        if source.categorical or source.nullable
    ]


@model_rule("MOD302", "data-dtype", severity="warning")
def data_dtype(subject: Subject) -> Iterator[Finding]:
    """Categorical or nullable columns passed to the model.

    What it checks: data and observed values that come from a pandas column of categorical dtype
    or of a nullable dtype (`Int64`, `Float64`, `boolean`); object columns never get this far
    (PyMC raises "Unsupported dtype for TensorType: object", which `pymc-doctor explain` reads).

    Why it matters: PyMC receives a categorical's values, not its codes: categories 10, 20, 30
    used as an index reach far past the three groups. A nullable column's missing values become
    NaN or an error depending on how it is converted.

    Threshold: any such column.

    Example: `group_idx = pm.Data("group_idx", df["school"])` with `df["school"]` categorical.

    Fix: `.cat.codes.to_numpy()` for a categorical used as an index, with its categories as
    coordinates; `.to_numpy(dtype=float, na_value=np.nan)` (and a decision about the NaNs) for a
    nullable column.
    """
    f = model_facts(subject)
    needs_namespace(f)
    for found in special_dtypes(f):
        name, column = found.name, found.column
        if found.categorical:
            message = (
                f"`{name}` is `{column}`, a categorical column: PyMC received its category values "
                f"({shown_values(np.unique(found.values))}), not its codes 0..k-1."
            )
            fix = "Pass the codes, and the categories as coordinates."
            code = category_codes_code(name, column, found.dims)
        else:
            message = (
                f"`{name}` is `{column}`, of nullable dtype {found.dtype}: how its missing values convert "
                "depends on the call (NaN, an error, or object arrays)."
            )
            fix = "Convert explicitly and decide what a missing value means."
            code = nullable_column_code(name, column, found.dims)
        yield finding(
            "MOD302",
            "warning",
            f"`{name}` comes from a {'categorical' if found.categorical else 'nullable'} column",
            message,
            variables=(name,),
            evidence={"source": column, "dtype": found.dtype},
            fix=fix,
            fix_code=code,
        )
