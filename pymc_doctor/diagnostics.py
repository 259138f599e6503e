"""Per-element convergence diagnostics, computed once per trace and shared by the checks.

ArviZ computes every number (rank-normalized split R-hat, bulk and tail ESS, MCSE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from pymc_doctor import compat
from pymc_doctor.quiet import quiet
from pymc_doctor.trace import TraceView

COLUMNS = ("rhat", "ess_bulk", "ess_tail", "mcse_mean", "mean", "sd")


@dataclass(frozen=True)
class Diagnostics:
    """One row per scalar element: ``variable``, ``label`` and the columns in ``COLUMNS``."""

    table: pd.DataFrame

    def worst(self, column: str, n: int, *, largest: bool) -> pd.DataFrame:
        finite = self.table[np.isfinite(self.table[column])]
        return finite.nlargest(n, column) if largest else finite.nsmallest(n, column)


def _flatten(result: xr.Dataset, trace: TraceView, names: list[str]) -> dict[str, np.ndarray]:
    return {
        name: np.asarray(result[name].transpose(*trace.dims_of(name)).values, dtype=float).ravel() for name in names
    }


def compute_diagnostics(trace: TraceView) -> Diagnostics:
    names = trace.variable_names()
    posterior = trace.posterior[names]
    posterior = posterior.assign({n: posterior[n].astype(float) for n in names if posterior[n].dtype.kind == "b"})
    # Constant or very short chains make ArviZ warn per variable; the checks report those cases.
    with quiet("arviz"), np.errstate(all="ignore"):
        per_column = {
            "rhat": compat.rhat(posterior),
            "ess_bulk": compat.ess(posterior, "bulk"),
            "ess_tail": compat.ess(posterior, "tail"),
            "mcse_mean": compat.mcse(posterior, "mean"),
            "mean": posterior.mean(("chain", "draw")),
            "sd": posterior.std(("chain", "draw"), ddof=1),
        }
    flat = {column: _flatten(result, trace, names) for column, result in per_column.items()}
    rows = {
        "variable": [name for name in names for _ in trace.element_labels(name)],
        "label": [label for name in names for label in trace.element_labels(name)],
    }
    for column in COLUMNS:
        rows[column] = np.concatenate([flat[column][name] for name in names]) if names else np.array([])
    table = pd.DataFrame(rows)
    return Diagnostics(table.set_index("label", drop=False))
