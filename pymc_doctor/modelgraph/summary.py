"""What a report says about the model it checked."""

from __future__ import annotations

from typing import Any

from pymc_doctor.modelgraph.compile import compile_function, static_shape
from pymc_doctor.modelgraph.graph import distribution_name


def _shapes(model, variables) -> dict[str, tuple[int, ...]]:
    """Every variable's shape: what PyTensor knows statically, the rest from one small compiled function
    of the shapes alone (no values drawn)."""
    shapes = {var.name: static_shape(var) for var in variables}
    unknown = [var for var in variables if shapes[var.name] is None]
    if unknown:
        values = compile_function([], [var.shape for var in unknown])()
        shapes.update({var.name: tuple(int(n) for n in shape) for var, shape in zip(unknown, values, strict=True)})
    return shapes


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
