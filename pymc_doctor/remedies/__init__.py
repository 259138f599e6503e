"""Fixes as code: the one place that spells ``pm.sample`` options and rewrites for the installed PyMC.

One module per family of rules (``model``: a model's declaration); the ``pm.sample`` spellings and the
reparameterizations the sampling rules suggest stand here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pymc_doctor.remedies.glm import WEAKLY_INFORMATIVE_SD, standardized_prior_code
from pymc_doctor.remedies.lines import pymc_major
from pymc_doctor.remedies.model import model_variable, naming_model, prior_code
from pymc_doctor.remedies.sampling import GRADIENT_FREE_STEPS, kept_step, sample_options, step_note
from pymc_doctor.spelling import comment, dims_argument, name_note, python_name, python_string

__all__ = [
    "WEAKLY_INFORMATIVE_SD",
    "dims_argument",
    "model_variable",
    "naming_model",
    "noncentered_code",
    "noncentered_of_neck_code",
    "nuts_instead_call",
    "ordered_code",
    "prior_code",
    "pymc_major",
    "rescaled_code",
    "sample_call",
    "shape_argument",
    "standardized_prior_code",
]


def _spelled(value: Any) -> str:
    """A keyword argument's value as code: strings quoted, dicts (of options) as literals."""
    if isinstance(value, str):
        return python_string(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def sample_call(sampler: str | None = None, **options: Any) -> str:
    """A runnable ``pm.sample`` call inside the model's context, keeping the sampler the trace used (a
    Metropolis or slice trace's ``step=``, with a comment saying so), with
    ``options`` (``draws``, ``tune``, ``chains``, ``target_accept``, ``max_treedepth``, ``init``) spelled as
    ``sample_options`` gives them for the installed PyMC line."""
    if sampler in GRADIENT_FREE_STEPS and kept_step(sampler, options) is None:
        return nuts_instead_call(sampler, **options)
    arguments = [f"{key}={_spelled(value)}" for key, value in sample_options(sampler, **options).items()]
    note, step = step_note(sampler)
    if step:
        arguments.append(f"step={step}")
    call = f"with {model_variable()}:\n    idata = pm.sample({', '.join(arguments)})"
    return f"{note}\n{call}" if note else call


def nuts_instead_call(sampler: str | None, **options: Any) -> str:
    """``sample_call`` with PyMC's default NUTS step in place of the ``sampler`` the trace used, saying so."""
    call = sample_call(None, **options)
    if sampler in (None, "pymc-nuts"):
        return call
    return (
        f"# no step=: this samples with NUTS, not {sampler} as the trace did (NUTS suits continuous variables)\n{call}"
    )


def shape_argument(shape: Sequence[int]) -> str:
    """``, shape=9`` or ``, shape=(2, 3)``; nothing for a scalar."""
    if not len(shape):
        return ""
    return f", shape={int(shape[0])}" if len(shape) == 1 else f", shape={tuple(int(n) for n in shape)}"


def noncentered_code(
    group: str, scale: str, location: str | None, dims: Sequence[str], shape: Sequence[int] = ()
) -> str:
    """The non-centered rewrite of ``group ~ Normal(location, scale)``: ``group`` and ``dims`` as the model
    names them, ``scale`` and ``location`` as code. The offset keeps the group's dims, or its ``shape``
    when it has none; the deterministic takes its shape from them."""
    spelled = python_name(group)
    offset = f"{spelled}_offset"
    mean = f"{location} + " if location else ""
    dims_arg = dims_argument(dims)
    size_arg = dims_arg or shape_argument(shape)
    centered = f"{spelled} = pm.Normal({python_string(group)}, mu={location or '0'}, sigma={scale}{size_arg})"
    lines = [
        name_note(group),
        comment(f"replace  {centered}  with:"),
        f"{offset} = pm.Normal({python_string(group + '_offset')}, mu=0, sigma=1{size_arg})",
        f"{spelled} = pm.Deterministic({python_string(group)}, {mean}{scale} * {offset}{dims_arg})",
    ]
    return "\n".join(line for line in lines if line)


def noncentered_of_neck_code(
    group: str, neck: str, location: str | None, dims: Sequence[str], shape: Sequence[int] = ()
) -> str:
    """``noncentered_code`` for a ``group`` whose scale is an unknown function of ``neck`` (a log-scale, say):
    the draws show that the spread follows ``neck``, not how, so the scale stands as ``<group>_scale``."""
    scale = f"{python_name(group)}_scale"
    note = comment(f"{scale}: the scale the declaration of {group} gives it, a function of {neck} (not {neck} itself)")
    return note + "\n" + noncentered_code(group, scale, location, dims, shape)


def ordered_code(variable: str, size: int, dims: Sequence[str]) -> str:
    """Break label switching by ordering a vector of exchangeable components."""
    spelled = python_name(variable)
    lines = [
        "import numpy as np\n",
        f"ordered = dict(transform=pm.distributions.transforms.ordered, initval=np.linspace(-1, 1, {size}))",
        name_note(variable),
        f"# declare {spelled} with these arguments added to its own, e.g.",
        comment(f"{spelled} = pm.Normal({python_string(variable)}, mu=0, sigma=10{dims_argument(dims)}, **ordered)"),
    ]
    return "\n".join(line for line in lines if line)


def rescaled_code(variable: str, factor: str, dims: Sequence[str], shape: Sequence[int] = ()) -> str:
    """``variable`` declared on the unit scale and scaled back by ``factor`` (code)."""
    spelled = python_name(variable)
    size_arg = dims_argument(dims) or shape_argument(shape)
    lines = [
        name_note(variable),
        f"{spelled}_unit = pm.Normal({python_string(variable + '_unit')}, mu=0, sigma=1{size_arg})",
        f"{spelled} = pm.Deterministic({python_string(variable)}, {factor} * {spelled}_unit{dims_argument(dims)})",
    ]
    return "\n".join(line for line in lines if line)
