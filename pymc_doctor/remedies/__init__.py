"""Fixes as code: the one place that spells ``pm.sample`` options and rewrites for the installed PyMC.

One module per family of rules (``model``: a model's declaration); the ``pm.sample`` spellings and the
reparameterizations the sampling rules suggest stand here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pymc_doctor.remedies.lines import pymc_major
from pymc_doctor.remedies.model import MODEL, dims_argument, prior_code
from pymc_doctor.remedies.sampling import sample_options

__all__ = ["MODEL", "dims_argument", "noncentered_code", "ordered_code", "prior_code", "pymc_major", "sample_call"]


def _spelled(value: Any) -> str:
    """A keyword argument's value as code: strings quoted, dicts (of options) as literals."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def sample_call(sampler: str | None = None, **options: Any) -> str:
    """A runnable ``pm.sample`` call inside the model's context, keeping the sampler the trace used, with
    ``options`` (``draws``, ``tune``, ``chains``, ``target_accept``, ``max_treedepth``, ``init``) spelled as
    ``sample_options`` gives them for the installed PyMC line."""
    arguments = ", ".join(f"{key}={_spelled(value)}" for key, value in sample_options(sampler, **options).items())
    return f"with {MODEL}:\n    idata = pm.sample({arguments})"


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
