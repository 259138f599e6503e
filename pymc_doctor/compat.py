"""The one place that knows library lines and trace containers (sampler names: ``samplers``).

PyMC 5 + ArviZ 0.x return ``InferenceData``; PyMC 6 + ArviZ 1.x return ``xarray.DataTree``;
nutpie, numpyro and blackjax name their statistics differently. Everything downstream sees a
``TraceView`` with canonical names and never branches on versions.

NumPy and xarray are imported where a trace is read, not here: ``pymc-doctor env`` reads only
versions from this module and starts faster without them.
"""

from __future__ import annotations

import itertools
import json
import os
import stat
import warnings
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from pymc_doctor.samplers import DEFAULT_MAX_TREE_DEPTH, STAT_ALIASES

if TYPE_CHECKING:
    import xarray as xr

    from pymc_doctor.trace import TraceView

TRACKED_DISTRIBUTIONS = (
    "pymc",
    "pytensor",
    "arviz",
    "arviz-base",
    "arviz-stats",
    "numpy",
    "scipy",
    "xarray",
    "nutpie",
    "numpyro",
    "blackjax",
    "jax",
)


FIT_GROUPS = ("posterior_predictive", "observed_data", "log_likelihood")


class TraceError(ValueError):
    """The input cannot be read as a trace; the message is one line for the user."""


def distribution_version(name: str) -> str | None:
    """Installed version of a distribution, read from its metadata without importing it."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def library_versions() -> dict[str, str]:
    versions = {name: distribution_version(name) for name in TRACKED_DISTRIBUTIONS}
    return {name: version for name, version in versions.items() if version}


@cache
def arviz_major() -> int:
    try:
        return Version(distribution_version("arviz") or "0").major
    except InvalidVersion:
        return 0


# ---------------------------------------------------------------------------------------------
# Containers


def trace_groups(data: Any) -> dict[str, xr.Dataset]:
    """The groups of an InferenceData, a DataTree, a Dataset (taken as the posterior) or a trace file."""
    import xarray as xr

    if isinstance(data, (str, Path)):
        return trace_groups(open_trace_file(Path(data)))
    if isinstance(data, xr.DataTree):
        return {name: node.to_dataset() for name, node in data.children.items() if node.has_data}
    if isinstance(data, xr.Dataset):
        return {"posterior": data}
    groups = getattr(data, "groups", None)
    if callable(groups):  # arviz.InferenceData (ArviZ 0.x)
        return {name: getattr(data, name) for name in groups()}
    raise TraceError(
        f"cannot read a trace from a {type(data).__name__}: pass an InferenceData, a DataTree, "
        "or the path of a netCDF or zarr file"
    )


def _is_regular(entry: Path, root: Path) -> bool:
    """Not a FIFO, device, socket, link to one or linked folder, whose reading could block or never end."""
    try:
        mode = entry.stat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) or (stat.S_ISDIR(mode) and (entry == root or not entry.is_symlink()))


def open_trace_file(path: Path) -> xr.DataTree:
    """Open a netCDF file or a zarr store, reading only regular files."""
    import xarray as xr

    if not path.exists():
        raise TraceError(f"{path}: no such file")
    is_zarr = path.is_dir() or path.suffix == ".zarr"
    inside = (Path(folder, name) for folder, folders, files in os.walk(path) for name in (*folders, *files))
    irregular = next((entry for entry in itertools.chain([path], inside) if not _is_regular(entry, path)), None)
    if irregular is not None:
        raise TraceError(f"{irregular}: not a regular file or folder, which a trace is read from")
    try:
        if is_zarr:
            return xr.open_datatree(path, engine="zarr")
        if path.stat().st_size == 0:
            raise TraceError(f"{path}: the file is empty")
        return xr.open_datatree(path)
    except TraceError:
        raise
    except Exception as exc:  # xarray raises many types for unreadable files
        kind = "zarr store" if is_zarr else "netCDF file"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TraceError(f"{path}: not a readable {kind} ({reason[:160]})") from exc


# ---------------------------------------------------------------------------------------------
# Sampler statistics


def _attrs(groups: Mapping[str, xr.Dataset]) -> dict[str, Any]:
    found = [groups[name].attrs for name in ("sample_stats", "posterior") if name in groups]
    return {key: value for attrs in found for key, value in attrs.items()}


def detect_sampler(stats: xr.Dataset | None, attrs: Mapping[str, Any]) -> str:
    library = str(attrs.get("inference_library", "")).lower()
    if stats is None or not stats.data_vars:
        return "unknown"
    names = set(stats.data_vars)
    if {"log_marginal_likelihood", "beta"} <= names:
        return "smc"
    if library == "nutpie" or "maxdepth_reached" in names:
        return "nutpie"
    if library in ("numpyro", "blackjax"):
        return library
    if "divergent__" in names:
        return "stan"
    has_nuts = {"diverging", "energy"} <= names
    has_metropolis = {"accept", "scaling"} <= names
    has_slice = "nstep_in" in names
    if has_nuts and (has_metropolis or has_slice):
        return "compound"
    if has_nuts:
        return "pymc-nuts"
    if has_metropolis:
        return "metropolis"
    if has_slice:
        return "slice"
    return "unknown"


def _canonical_stats(stats: xr.Dataset | None, posterior: xr.Dataset) -> xr.Dataset:
    """The sampler's statistics under canonical names. One of another type (text, objects), shape or length
    than the posterior's is left out, as if not recorded: the checks that need it say so and are skipped."""
    import xarray as xr

    coords = {dim: posterior[dim] for dim in ("chain", "draw") if dim in posterior.coords}
    canonical = {}
    for name, aliases in STAT_ALIASES.items():
        found = [stats[alias] for alias in aliases if stats is not None and alias in stats.data_vars]
        usable = [v for v in found if set(v.dims) == {"chain", "draw"} and v.dtype.kind in "biuf"]
        if usable and all(usable[0].sizes[dim] == posterior.sizes[dim] for dim in ("chain", "draw")):
            values = usable[0].transpose("chain", "draw").values
            if name in ("diverging", "max_depth_hit") and values.dtype.kind != "b":  # flags stored as 0/1
                values = values == 1
            canonical[name] = xr.DataArray(values, dims=("chain", "draw"), coords=coords)
    return xr.Dataset(canonical)


def _number(value: Any, kind: type, low: float, high: float) -> Any:
    """``value`` as an ``int`` or ``float`` in [low, high], or None for anything else a trace may hold."""
    try:
        number = float(value.item() if hasattr(value, "item") else value)  # a NumPy scalar or array
    except (TypeError, ValueError, OverflowError):
        return None
    return kind(number) if low <= number <= high and (kind is float or number.is_integer()) else None


def _mapping(value: Any, *keys: str) -> Mapping[str, Any]:
    """``value[key1][key2]...`` where each level is a mapping; an empty mapping where one is not."""
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _sampler_settings(attrs: Mapping[str, Any]) -> Mapping[str, Any]:
    """nutpie's settings, as far as they are the mapping it writes."""
    try:
        return _mapping(json.loads(attrs.get("inference_library_settings")), "settings")
    except (TypeError, ValueError, RecursionError):
        return {}


def _tuning_steps(groups: Mapping[str, xr.Dataset], attrs: Mapping[str, Any]) -> int | None:
    steps = [_number(attrs.get(key), int, 0, 10**9) for key in ("tuning_steps", "num_tune")]
    warmup = [groups[name].sizes.get("draw") for name in ("warmup_sample_stats", "warmup_posterior") if name in groups]
    return next((int(n) for n in (*steps, *warmup) if n is not None), None)


def trace_view(data: Any, *, source: str | None = None) -> TraceView:
    """Normalize any supported trace into a ``TraceView``; raises ``TraceError`` for unusable input."""
    from pymc_doctor.trace import TraceView

    groups = trace_groups(data)
    posterior = groups.get("posterior")
    if posterior is None or not posterior.data_vars:
        raise TraceError("the trace has no posterior group with variables")
    if not {"chain", "draw"} <= set(posterior.sizes):
        raise TraceError("the posterior has no chain and draw dimensions")
    if posterior.sizes["chain"] == 0 or posterior.sizes["draw"] == 0:
        raise TraceError("the posterior has no draws")
    raw_stats = groups.get("sample_stats")
    attrs = _attrs(groups)
    sampler = detect_sampler(raw_stats, attrs)
    stats = _canonical_stats(raw_stats, posterior)
    settings = _sampler_settings(attrs)
    max_depth = _number(settings.get("maxdepth", DEFAULT_MAX_TREE_DEPTH.get(sampler)), int, 1, 1000)
    if "max_depth_hit" not in stats and "tree_depth" in stats and max_depth is not None:
        stats["max_depth_hit"] = stats["tree_depth"] >= max_depth
    accept = _mapping(settings, "adapt_options", "step_size_settings").get("target_accept")
    return TraceView(
        posterior=posterior,
        sample_stats=stats if stats.data_vars else None,
        raw_stat_names=tuple(raw_stats.data_vars) if raw_stats is not None else (),
        sampler=sampler,
        tuning_steps=_tuning_steps(groups, attrs),
        max_tree_depth=max_depth,
        target_accept=_number(accept, float, 0, 1),
        library=str(attrs.get("inference_library", "")) or None,
        library_version=str(attrs.get("inference_library_version", "")) or None,
        groups=tuple(groups),
        source=source,
        fit_groups={name: groups[name] for name in FIT_GROUPS if name in groups},
    )


# ---------------------------------------------------------------------------------------------
# ArviZ (for plots, LOO, and its tail quantiles on the 1.x line)


def arviz_stats():
    """ArviZ's statistics: the ``arviz`` module on the 0.x line, ``arviz_stats`` on 1.x."""
    if arviz_major() >= 1:
        import arviz_stats

        return arviz_stats
    with warnings.catch_warnings():  # ArviZ 0.23 warns about its coming refactor on import
        warnings.simplefilter("ignore", FutureWarning)
        import arviz

    return arviz


def arviz_container(groups: Mapping[str, xr.Dataset]):
    """The groups as the installed ArviZ line's container (``InferenceData`` or ``DataTree``), for its functions."""
    import xarray as xr

    if arviz_major() >= 1:
        return xr.DataTree.from_dict(dict(groups))
    return arviz_stats().InferenceData(**groups)


def tail_probs() -> tuple[float, float]:
    """The quantiles whose indicators give ArviZ's tail ESS.

    5% and 95% on ArviZ 0.x; ``1 - ci_prob`` and ``ci_prob`` (rcParams, 0.89 by default) on 1.x.
    """
    if arviz_major() >= 1:
        from arviz_base import rcParams

        prob = rcParams["stats.ci_prob"]
        low, high = sorted((prob, 1 - prob))  # as arviz_stats' _ess_tail orders them
        return float(low), float(high)
    return 0.05, 0.95


# ---------------------------------------------------------------------------------------------
# ArviZ plots (matplotlib, never a window)


def plot_figure(kind: str, posterior: xr.Dataset, sample_stats: xr.Dataset | None):
    """Draw an ArviZ ``rank``, ``trace`` or ``energy`` plot; return the Figure.

    ``posterior`` holds scalar variables only (see ``TraceView.elements``).
    """
    import numpy as np
    import xarray as xr

    groups = {"posterior": posterior}
    if sample_stats is not None:
        groups["sample_stats"] = sample_stats
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if arviz_major() >= 1:
            import arviz_plots

            tree = xr.DataTree.from_dict(groups)
            options = {"backend": "matplotlib"}
            if kind == "rank":
                collection = arviz_plots.plot_rank(tree, **options)
            elif kind == "trace":
                collection = arviz_plots.plot_trace(tree, **options)
            elif kind == "energy":
                collection = arviz_plots.plot_energy(tree, **options)
            else:
                raise ValueError(f"unknown plot kind {kind!r}")
            return collection.viz["figure"].item()
        arviz = arviz_stats()
        idata = arviz.InferenceData(**groups)
        if kind == "rank":
            axes = arviz.plot_rank(idata)
        elif kind == "trace":
            axes = arviz.plot_trace(idata)
        elif kind == "energy":
            axes = arviz.plot_energy(idata)
        else:
            raise ValueError(f"unknown plot kind {kind!r}")
        return np.ravel(axes)[0].figure


# ---------------------------------------------------------------------------------------------
# PyTensor graphs (2.x with PyMC 5, 3.x with PyMC 6)


def extra_index_ops() -> tuple[type, ...]:
    """Integer-vector indexing ops besides ``AdvancedSubtensor``: PyTensor 2.x has ``AdvancedSubtensor1``."""
    from pytensor.tensor import subtensor

    return tuple(op for op in (getattr(subtensor, "AdvancedSubtensor1", None),) if op is not None)


def integer_index_axes(node) -> list[tuple[int, Any]]:
    """``(axis, index)`` for each integer-array index of an indexing node; empty for other nodes.

    PyTensor 3.x records the layout in ``idx_list`` (an integer is the position of an index input,
    a slice's bounds are inputs too); 2.x passes one input per axis, slices as ``MakeSlice``.
    """
    from pytensor.tensor.subtensor import AdvancedSubtensor

    op = node.op
    if isinstance(op, extra_index_ops()):
        return [(0, node.inputs[1])]
    if not isinstance(op, AdvancedSubtensor):
        return []
    layout = getattr(op, "idx_list", None)
    if layout is None:
        entries = list(enumerate(node.inputs[1:]))
    else:
        entries = [(axis, node.inputs[1 + entry]) for axis, entry in enumerate(layout) if isinstance(entry, int)]
    return [
        (axis, index)
        for axis, index in entries
        if getattr(index.type, "dtype", "").startswith(("int", "uint")) and getattr(index.type, "ndim", 0) >= 1
    ]


def sigmoid_op() -> type | None:
    """PyTensor's scalar sigmoid (``pm.math.invlogit``)."""
    from pytensor.scalar import math as scalar_math

    return getattr(scalar_math, "Sigmoid", None)
