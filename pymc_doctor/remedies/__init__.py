"""Fixes as code: the one place that spells ``pm.sample`` options and rewrites for the installed PyMC."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from packaging.version import InvalidVersion, Version

from pymc_doctor.compat import distribution_version

# The model's name in generated snippets; traces do not record what the user called it.
MODEL = "model"


@cache
def pymc_major() -> int:
    try:
        return Version(distribution_version("pymc") or "5").major
    except InvalidVersion:
        return 5


def _nuts_sampler(sampler: str | None) -> str | None:
    return sampler if sampler in ("nutpie", "numpyro", "blackjax") else None


def _max_depth_option(sampler: str | None, depth: int) -> str:
    """How the installed PyMC passes a maximum tree depth to each NUTS implementation."""
    if pymc_major() >= 6:
        key = "max_tree_depth" if sampler in ("numpyro", "blackjax") else "max_treedepth"
        return f'nuts={{"{key}": {depth}}}'
    if sampler == "nutpie":
        return f'nuts_sampler_kwargs={{"maxdepth": {depth}}}'
    if sampler in ("numpyro", "blackjax"):
        return f'nuts_sampler_kwargs={{"nuts_kwargs": {{"max_tree_depth": {depth}}}}}'
    return f'nuts={{"max_treedepth": {depth}}}'


def sample_call(
    sampler: str | None = None,
    *,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    target_accept: float | None = None,
    max_treedepth: int | None = None,
    init: str | None = None,
    initvals: str | None = None,
) -> str:
    """A runnable ``pm.sample`` call inside the model's context, keeping the sampler the trace used.

    PyMC 6 picks nutpie when it is installed (and then ignores ``init``), so there a run of PyMC's
    own NUTS, or one that asks for ``init``, pins ``nuts_sampler="pymc"``.
    """
    external = _nuts_sampler(sampler)
    args: list[str] = []
    if draws is not None:
        args.append(f"draws={draws}")
    if tune is not None:
        args.append(f"tune={tune}")
    if chains is not None:
        args.append(f"chains={chains}")
    if target_accept is not None:
        args.append(f"target_accept={target_accept}")
    if init is not None:
        external = None
        args.append(f'init="{init}"')
    if initvals is not None:
        args.append(f"initvals={initvals}")
    if max_treedepth is not None:
        args.append(_max_depth_option(external, max_treedepth))
    if external:
        args.insert(0, f'nuts_sampler="{external}"')
    elif pymc_major() >= 6 and (init is not None or sampler == "pymc-nuts"):
        args.insert(0, 'nuts_sampler="pymc"')
    return f"with {MODEL}:\n    idata = pm.sample({', '.join(args)})"


def dims_argument(dims: Sequence[str]) -> str:
    if not dims:
        return ""
    if len(dims) == 1:
        return f', dims="{dims[0]}"'
    return f", dims={tuple(dims)!r}"


def noncentered_code(group: str, scale: str, location: str | None, dims: Sequence[str]) -> str:
    """The non-centered rewrite of ``group ~ Normal(location, scale)`` in the user's names."""
    offset = f"{group}_offset"
    mean = f"{location} + " if location else ""
    dims_arg = dims_argument(dims)
    return (
        f'# replace  {group} = pm.Normal("{group}", mu={location or "0"}, sigma={scale}{dims_arg})  with:\n'
        f'{offset} = pm.Normal("{offset}", mu=0, sigma=1{dims_arg})\n'
        f'{group} = pm.Deterministic("{group}", {mean}{scale} * {offset}{dims_arg})'
    )


def ordered_code(variable: str, size: int, dims: Sequence[str]) -> str:
    """Break label switching by ordering a vector of exchangeable components."""
    return (
        "import numpy as np\n\n"
        f"ordered = dict(transform=pm.distributions.transforms.ordered, initval=np.linspace(-1, 1, {size}))\n"
        f"# declare {variable} with these arguments added to its own, e.g.\n"
        f"# {variable} = pm.Normal({variable!r}, mu=0, sigma=10{dims_argument(dims)}, **ordered)"
    )


# ---------------------------------------------------------------------------------------------
# Model rewrites (linting a model); every name comes from the user's model or namespace


def prior_code(name: str, distribution: str, params: dict[str, str], dims: Sequence[str] = ()) -> str:
    """``name = pm.Distribution("name", param=value, dims=...)``."""
    args = ", ".join(f"{key}={value}" for key, value in params.items())
    return f'{name} = pm.{distribution}("{name}", {args}{dims_argument(dims)})'


def data_container_code(name: str, source: str, dims: Sequence[str] = ()) -> str:
    """Declare data as a container, so that ``pm.set_data`` can swap it for predictions."""
    return f'{name} = pm.Data("{name}", {source}{dims_argument(dims)})'


def set_data_code(name: str) -> str:
    return (
        f"with {MODEL}:\n"
        f'    pm.set_data({{"{name}": {name}_new}})\n'
        "    predictions = pm.sample_posterior_predictive(idata)"
    )


def standardize_code(array: str) -> str:
    """Fit on the unit scale; map draws back with the saved mean and sd."""
    return (
        f"{array}_mean, {array}_sd = {array}.mean(), {array}.std()\n"
        f"{array}_std = ({array} - {array}_mean) / {array}_sd  # observe this instead\n"
        f"# back on the original scale: {array}_mean + {array}_sd * draws"
    )
