"""The normalized view of a trace that sampling checks read."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from pymc_doctor.diagnostics import Diagnostics


@dataclass(eq=False)
class TraceView:
    """A trace with canonical sampler statistics.

    ``sample_stats`` holds only canonical names (``diverging``, ``tree_depth``, ``max_depth_hit``,
    ``energy``, ``energy_error``, ``step_size``, ``accept``, ``n_steps``, ``lp``), each present only
    when the sampler recorded it; it is ``None`` when the trace has no usable statistics.
    """

    posterior: xr.Dataset
    sample_stats: xr.Dataset | None
    sampler: str
    raw_stat_names: tuple[str, ...] = ()
    tuning_steps: int | None = None
    max_tree_depth: int | None = None
    target_accept: float | None = None
    library: str | None = None
    library_version: str | None = None
    groups: tuple[str, ...] = ()
    source: str | None = field(default=None)

    @property
    def chains(self) -> int:
        return int(self.posterior.sizes["chain"])

    @property
    def draws(self) -> int:
        return int(self.posterior.sizes["draw"])

    @property
    def is_nuts(self) -> bool:
        from pymc_doctor.compat import NUTS_SAMPLERS

        return self.sampler in NUTS_SAMPLERS or self.sampler == "compound"

    def stat(self, name: str) -> np.ndarray | None:
        """A canonical statistic as a (chain, draw) array, or None when the sampler did not record it."""
        if self.sample_stats is None or name not in self.sample_stats:
            return None
        return self.sample_stats[name].transpose("chain", "draw").values

    def variable_names(self) -> list[str]:
        """Posterior variables worth diagnosing: numeric, with chain and draw, not a transformed copy."""
        from pymc_doctor.compat import untransformed_name

        present = set(self.posterior.data_vars)
        names = []
        for name, variable in self.posterior.data_vars.items():
            if not {"chain", "draw"} <= set(variable.dims):
                continue
            if variable.dtype.kind not in "biuf":
                continue
            if untransformed_name(str(name)) != name and untransformed_name(str(name)) in present:
                continue
            names.append(str(name))
        return names

    def draws_of(self, name: str) -> np.ndarray:
        """A variable's draws as (chain, draw, element) float64."""
        variable = self.posterior[name]
        other_dims = [d for d in variable.dims if d not in ("chain", "draw")]
        values = variable.transpose("chain", "draw", *other_dims).values
        return values.reshape(self.chains, self.draws, -1).astype(np.float64)

    def element_labels(self, name: str) -> list[str]:
        """ArviZ-style labels for each flattened element: ``theta[Choate]``, ``beta[0, 1]``."""
        variable = self.posterior[name]
        other_dims = [d for d in variable.dims if d not in ("chain", "draw")]
        if not other_dims:
            return [name]
        coords = []
        for dim in other_dims:
            if dim in variable.coords:
                coords.append([str(v) for v in variable.coords[dim].values])
            else:
                coords.append([str(i) for i in range(variable.sizes[dim])])
        return [f"{name}[{', '.join(combo)}]" for combo in itertools.product(*coords)]

    def elements(self, labels) -> xr.Dataset:
        """The draws of single elements as scalar variables named by their labels (for plots)."""
        data = {}
        for label in labels:
            name = label if label in self.posterior else label.split("[", 1)[0]
            index = self.element_labels(name).index(label)
            data[label] = (("chain", "draw"), self.draws_of(name)[:, :, index])
        return xr.Dataset(data, coords={"chain": self.posterior["chain"], "draw": self.posterior["draw"]})

    def dims_of(self, name: str) -> tuple[str, ...]:
        return tuple(str(d) for d in self.posterior[name].dims if d not in ("chain", "draw"))

    @cached_property
    def diagnostics(self) -> Diagnostics:
        from pymc_doctor.diagnostics import compute_diagnostics

        return compute_diagnostics(self)
