"""The normalized view of a trace that sampling checks read."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from pymc_doctor.samplers import NUTS_SAMPLERS, untransformed_name

# Draws read from the trace at a time (about 1,000 parameters of 4 x 1,000 draws): large enough
# for storage reads to be efficient, small enough to hold a few while they are computed on.
READ_BYTES = 32 * 2**20
# Draws computed on at a time (in float64): small enough to stay in cache.
BLOCK_BYTES = 2**20


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
    # The groups that judge the fit (``posterior_predictive``, ``observed_data``, ``log_likelihood``, ``log_prior``),
    # when present.
    fit_groups: dict[str, xr.Dataset] = field(default_factory=dict)

    @property
    def chains(self) -> int:
        return int(self.posterior.sizes["chain"])

    @property
    def draws(self) -> int:
        return int(self.posterior.sizes["draw"])

    @property
    def is_nuts(self) -> bool:
        return self.sampler in NUTS_SAMPLERS or self.sampler == "compound"

    def stat(self, name: str) -> np.ndarray | None:
        """A canonical statistic as a (chain, draw) array, or None when the sampler did not record it."""
        if self.sample_stats is None or name not in self.sample_stats:
            return None
        return self.sample_stats[name].transpose("chain", "draw").values

    def variable_names(self) -> list[str]:
        """Posterior variables worth diagnosing: numeric, not empty, with chain and draw, not a transformed copy."""
        present = set(self.posterior.data_vars)
        names = []
        for name, variable in self.posterior.data_vars.items():
            if not {"chain", "draw"} <= set(variable.dims):
                continue
            if variable.dtype.kind not in "biuf" or variable.size == 0:
                continue
            if untransformed_name(str(name)) != name and untransformed_name(str(name)) in present:
                continue
            names.append(str(name))
        return names

    def draws_of(
        self, name: str, elements: tuple[int, int] | None = None, dtype: np.dtype | type | None = np.float64
    ) -> np.ndarray:
        """A variable's draws as (chain, draw, element), as ``dtype`` (``None``: as stored).

        ``elements`` = ``(start, stop)`` reads only those flattened elements, a run given by
        ``element_blocks``: a lazily opened trace (zarr, netCDF, dask) loads just that block.
        """
        variable = self.posterior[name]
        other_dims = [d for d in variable.dims if d not in ("chain", "draw")]
        variable = variable.transpose("chain", "draw", *other_dims)
        if elements is not None:
            variable = variable[(slice(None), slice(None), *_block_index(variable.shape[2:], *elements))]
        values = variable.values.reshape(self.chains, self.draws, -1)
        return values if dtype is None else values.astype(dtype)

    def element_blocks(self, names: list[str], max_bytes: int = READ_BYTES) -> Iterator[tuple[str, int, int]]:
        """``(name, start, stop)``: runs of each variable's flattened elements, whose float64 draws
        take at most ``max_bytes`` (or one element), that ``draws_of`` reads as one rectangular
        block. A run never splits a storage chunk of a lazily opened trace (zarr, netCDF, dask),
        which would read that chunk again for every part."""
        max_elements = max(1, max_bytes // (8 * self.chains * self.draws))
        for name in names:
            variable = self.posterior[name]
            shape = tuple(variable.sizes[dim] for dim in self.dims_of(name))
            yield from ((name, start, stop) for start, stop in _runs(shape, max_elements, self._storage_chunk(name)))

    def draw_blocks(self, names: list[str], max_bytes: int = BLOCK_BYTES) -> Iterator[tuple[str, int, np.ndarray]]:
        """``(name, start, draws)``: the (chain, draw, element) draws of elements ``start`` onwards,
        as stored, at most ``max_bytes`` in float64 at a time, read in ``element_blocks`` runs."""
        max_elements = max(1, max_bytes // (8 * self.chains * self.draws))
        for name, start, stop in self.element_blocks(names):
            values = self.draws_of(name, (start, stop), dtype=None)  # a view of draws held in memory
            for first in range(0, stop - start, max_elements):
                yield name, start + first, values[..., first : first + max_elements]

    def _storage_chunk(self, name: str) -> int | None:
        """The chunk length of a variable's first element dimension on disk or in dask, if chunked."""
        dims = self.dims_of(name)
        if not dims:
            return None
        variable = self.posterior[name]
        if variable.chunks is not None:
            return int(variable.chunksizes[dims[0]][0])
        chunk = variable.encoding.get("preferred_chunks", {}).get(dims[0])
        return int(chunk) if chunk else None

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
            name = self.owner_of(label)
            index = self.element_labels(name).index(label)
            # Only that element is read and converted: a plot must not copy a whole large variable.
            data[label] = (("chain", "draw"), self.draws_of(name, (index, index + 1))[:, :, 0])
        return xr.Dataset(data, coords={"chain": self.posterior["chain"], "draw": self.posterior["draw"]})

    def owner_of(self, label: str) -> str:
        """The variable an element label belongs to; a name may itself hold brackets (``a[0]1``)."""
        if label in self.posterior.data_vars:
            return label
        candidates = sorted((str(n) for n in self.posterior.data_vars if label.startswith(f"{n}[")), key=len)
        for name in reversed(candidates):
            if label in self.element_labels(name):
                return name
        raise KeyError(f"no variable has an element labelled {label!r}")

    def dims_of(self, name: str) -> tuple[str, ...]:
        return tuple(str(d) for d in self.posterior[name].dims if d not in ("chain", "draw"))

    def declared_shape(self, name: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """A variable's dims as its model could have declared them, and its shape. ArviZ names the dims
        of a variable declared without any ``name_dim_0``...: those stand for none, and code that
        declares the variable again must give its shape instead."""
        dims = self.dims_of(name)
        shape = tuple(int(self.posterior[name].sizes[dim]) for dim in dims)
        if all(re.fullmatch(rf"{re.escape(name)}_dim_\d+", dim) for dim in dims):
            dims = ()
        return dims, shape


def _runs(shape: tuple[int, ...], limit: int, chunk: int | None = None, offset: int = 0) -> Iterator[tuple[int, int]]:
    """Runs of flattened elements of an array of ``shape``, each a rectangular block of at most ``limit``."""
    total = math.prod(shape)
    if total <= limit:
        yield offset, offset + total
        return
    row = math.prod(shape[1:])
    if row <= limit:
        rows = limit // row
        if chunk:
            rows = max(chunk, rows - rows % chunk)
        for start in range(0, total, rows * row):
            yield offset + start, offset + min(start + rows * row, total)
        return
    for index in range(shape[0]):
        yield from _runs(shape[1:], limit, None, offset + index * row)


def _block_index(shape: tuple[int, ...], start: int, stop: int) -> tuple[slice, ...]:
    """The index of flattened elements ``[start, stop)``, a run that ``_runs`` made rectangular."""
    index = []
    for axis in range(len(shape)):
        row = math.prod(shape[axis + 1 :])
        if start % row == 0 and stop % row == 0:
            index.append(slice(start // row, stop // row))
            break
        first = start // row
        if first != (stop - 1) // row:
            raise ValueError(f"elements [{start}, {stop}) of shape {shape} are not a rectangular block")
        index.append(slice(first, first + 1))
        start, stop = start - first * row, stop - first * row
    return tuple(index)
