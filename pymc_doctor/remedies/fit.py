"""Fixes for a likelihood that does not fit the data, as code in the user's names.

Every name from the model or trace is spelled through ``spelling``: a variable called anything at
all is a string literal in the code, and a Python name only where it is a valid identifier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pymc_doctor import compat, spelling
from pymc_doctor.remedies.model import model_variable
from pymc_doctor.remedies.model import prior_code as _prior_code

# The likelihood with room for what the data show, per likelihood the model uses.
WIDER_SPREAD = {"Poisson": "NegativeBinomial", "Binomial": "BetaBinomial", "Normal": "StudentT"}
ZERO_INFLATED = {
    "Poisson": "ZeroInflatedPoisson",
    "NegativeBinomial": "ZeroInflatedNegativeBinomial",
    "Binomial": "ZeroInflatedBinomial",
}
# The new parameter each replacement adds, and a weakly informative prior for it.
_ADDED = {
    "NegativeBinomial": ("alpha", "pm.Exponential({name}, 0.5)"),
    "BetaBinomial": ("alpha", "pm.Exponential({name}, 0.1)"),
    "StudentT": ("nu", "pm.Gamma({name}, alpha=2, beta=0.1)"),
    "ZeroInflatedPoisson": ("psi", "pm.Beta({name}, 2, 2)"),
    "ZeroInflatedNegativeBinomial": ("psi", "pm.Beta({name}, 2, 2)"),
    "ZeroInflatedBinomial": ("psi", "pm.Beta({name}, 2, 2)"),
}
# Parameters renamed by the replacement (a BetaBinomial spells the Binomial's p through alpha and beta).
_RENAMED = {("Binomial", "BetaBinomial"): {"p": None}}


def likelihood_code(
    name: str,
    old: str,
    new: str,
    params: Mapping[str, str | None],
    observed: str | None,
    dims: Sequence[str],
) -> str:
    """``old("name", ...)`` rewritten as ``new``: its parameters kept (``params``: each parameter's code, or
    None where the model spells it in a way the doctor cannot), the new one given a prior."""
    variable = spelling.python_name(name, "y")
    kept = {key: value for key, value in params.items() if _RENAMED.get((old, new), {}).get(key, key) is not None}
    unknown = [key for key, value in kept.items() if value is None]
    lines = [spelling.comment(f"in place of pm.{old}({spelling.python_string(name)}, ...):")]
    if unknown:
        lines.append(spelling.comment(f"{', '.join(unknown)}: as your pm.{old} has them"))
    arguments = [f"{key}={value if value is not None else key}" for key, value in kept.items()]
    added = _ADDED.get(new)
    if added is not None:
        parameter, prior = added
        added_name = f"{variable}_{parameter}"
        lines.append(f"{added_name} = {prior.format(name=spelling.python_string(added_name))}")
        arguments.append(f"{parameter}={added_name}")
    if (old, new) == ("Binomial", "BetaBinomial"):
        lines.append(spelling.comment("p becomes the BetaBinomial's mean alpha / (alpha + beta)"))
        p = params.get("p") or "p"
        arguments.append(f"beta={variable}_alpha * (1 - ({p})) / ({p})")
    arguments.append(f"observed={observed or 'observed'}")
    if not observed:
        lines.append(spelling.comment("observed: the data your likelihood observes now"))
    with_dims = ", ".join(arguments) + spelling.dims_argument(tuple(dims))
    lines.append(f"pm.{new}({spelling.python_string(name)}, {with_dims})")
    return "\n".join(lines)


def predictive_check_code(name: str) -> str:
    """Draw the posterior predictive and compare it with the data, to see the misfit."""
    plot = (
        f"azp.plot_ppc_dist(idata, var_names=[{spelling.python_string(name)}])"
        if compat.arviz_major() >= 1
        else f"az.plot_ppc(idata, var_names=[{spelling.python_string(name)}])"
    )
    return f"with {model_variable()}:\n    pm.sample_posterior_predictive(idata, extend_inferencedata=True)\n{plot}"


# The parameter that sets a prior's width, per distribution, and whether a larger value widens it.
PRIOR_WIDTH = {
    "Normal": ("sigma", True),
    "StudentT": ("sigma", True),
    "HalfNormal": ("sigma", True),
    "HalfStudentT": ("sigma", True),
    "LogNormal": ("sigma", True),
    "Laplace": ("b", True),
    "Cauchy": ("beta", True),
    "HalfCauchy": ("beta", True),
    "Exponential": ("lam", False),
}
WIDER_BY = 10


def weaker_prior_code(name: str, distribution: str, params: Mapping[str, str | None], dims: Sequence[str]) -> str:
    """The prior of ``name`` ``WIDER_BY`` times wider, its other parameters kept; a comment where the doctor
    does not know which parameter sets its width or cannot spell the model's parameters."""
    width = PRIOR_WIDTH.get(distribution)
    if width is None or any(value is None for value in params.values()) or width[0] not in params:
        return spelling.comment(
            f"give {spelling.python_string(name)} a weaker prior than pm.{distribution}: a wider spread, "
            "or a location where the data put it if the prior was a guess"
        )
    key, larger = width
    value = str(params[key])
    try:
        widened = f"{float(value) * WIDER_BY:g}" if larger else f"{float(value) / WIDER_BY:g}"
    except ValueError:
        widened = f"{WIDER_BY} * ({value})" if larger else f"({value}) / {WIDER_BY}"
    new = {**params, key: widened}
    return _prior_code(name, distribution, {k: str(v) for k, v in new.items()}, dims)
