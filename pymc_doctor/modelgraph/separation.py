"""Separation in a binary regression: a predictor column that splits the observed 0s and 1s by a threshold.

Read from the model's data alone (its observed outcomes and the constant or ``pm.Data`` predictors
that multiply a free coefficient in the linear predictor); nothing is compiled or sampled.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pymc_doctor.modelgraph.graph import dist_params, distribution_name, transparent_base


def _data_value(var) -> np.ndarray | None:
    """The value of a constant or a shared (``pm.Data``) variable, seen through indexing and casts."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant

    base, _ = transparent_base(var)
    if isinstance(base, Constant):
        return np.asarray(base.data)
    if isinstance(base, SharedVariable):
        return np.asarray(base.get_value(borrow=False))
    return None


def _data_name(var) -> str | None:
    base, _ = transparent_base(var)
    return base.name if base.owner is None and base.name else None


def binary_outcomes(model, rv) -> np.ndarray | None:
    """The observed 0/1 outcomes of a Bernoulli likelihood, or of a Binomial with one trial each."""
    name = distribution_name(rv)
    if name == "Binomial":
        trials = _data_value(dist_params(rv)[0])
        if trials is None or not np.all(trials == 1):
            return None
    elif name != "Bernoulli":
        return None
    y = _data_value(model.rvs_to_values[rv])
    if y is None or y.ndim != 1 or not np.isin(y, (0, 1)).all() or len(np.unique(y)) < 2:
        return None
    return y.astype(int)


def _is_product(node) -> bool:
    import pytensor.scalar as ps
    from pytensor.tensor.elemwise import Elemwise
    from pytensor.tensor.math import Dot

    op = node.op
    return (
        isinstance(op, Dot)
        or isinstance(getattr(op, "core_op", None), Dot)
        or (isinstance(op, Elemwise) and isinstance(op.scalar_op, ps.Mul))
    )


def _columns(data: np.ndarray, rows: int) -> Iterator[tuple[int | None, np.ndarray]]:
    """The predictor columns of ``data``: itself when it is one per outcome, each column of a design matrix."""
    data = np.squeeze(data)
    if data.ndim == 1 and len(data) == rows:
        yield None, data.astype(float)
    elif data.ndim == 2 and data.shape[0] == rows:
        for j in range(data.shape[1]):
            yield j, data[:, j].astype(float)


def linear_terms(parameter, free) -> Iterator[tuple[str, np.ndarray, str | None]]:
    """(coefficient, data, predictor name) for each product of data and a free coefficient
    in the graph of ``parameter``."""
    from pytensor.graph.traversal import ancestors

    free_ids = {id(rv): rv.name for rv in free}
    seen = set()
    for var in ancestors([parameter]):
        node = var.owner
        if node is None or id(node) in seen or not _is_product(node) or len(node.inputs) != 2:
            continue
        seen.add(id(node))
        for coefficient, data in (node.inputs, node.inputs[::-1]):
            name = free_ids.get(id(transparent_base(coefficient)[0]))
            value = _data_value(data)
            if name is not None and value is not None:
                yield name, value, _data_name(data)


def _split(x: np.ndarray, y: np.ndarray) -> dict | None:
    """How ``x`` splits the outcomes: a threshold with all 0s on one side, all 1s on the other (ties at
    the threshold make it quasi-complete)."""
    if not np.all(np.isfinite(x)) or np.ptp(x) == 0:
        return None
    zeros, ones = x[y == 0], x[y == 1]
    for low, high, side in ((zeros, ones, "above"), (ones, zeros, "below")):
        if low.max() <= high.min():
            complete = bool(low.max() < high.min())
            return {
                "threshold": float((low.max() + high.min()) / 2),
                "ones": side,
                "complete": complete,
            }
    return None


def find_separations(model) -> list[dict]:
    """Every (outcome, coefficient, predictor column) whose predictor separates the binary outcomes."""
    found = []
    for rv in model.observed_RVs:
        y = binary_outcomes(model, rv)
        if y is None:
            continue
        for coefficient, value, predictor in linear_terms(dist_params(rv)[-1], model.free_RVs):
            for column, x in _columns(value, len(y)):
                split = _split(x, y)
                if split is not None:
                    found.append(
                        {"outcome": rv.name, "coefficient": coefficient, "column": column, "predictor": predictor}
                        | split
                    )
    return found
