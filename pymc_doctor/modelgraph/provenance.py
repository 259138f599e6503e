"""Where the data came from: the user's DataFrames, Series and arrays (a script's globals, the caller's
variables), and the code that passes them to PyMC."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

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


def matching_sources(
    values: np.ndarray, candidates: Sequence[Source], *, library: str | None = None, truncated: bool = False
) -> list[Source]:
    """The sources holding exactly ``values`` (NaN equal to NaN); with ``truncated``, the sources that
    hold ``values`` once truncated to integers, as PyMC casts what a discrete likelihood observes."""
    target = _as_floats(values)
    if target is None:
        return []
    found = []
    for source in candidates:
        if library is not None and source.library != library:
            continue
        if source.values is None or source.values.size != target.size:
            continue
        given = np.trunc(source.values) if truncated else source.values
        if np.array_equal(given.reshape(target.shape), target, equal_nan=True):
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
