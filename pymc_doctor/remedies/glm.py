"""Fixes for generalized linear models: a weakly informative prior on the standardized scale."""

from __future__ import annotations

from collections.abc import Sequence

from pymc_doctor.remedies.model import prior_code
from pymc_doctor.spelling import comment, python_name

# Gelman et al. (2008): a coefficient of a predictor scaled to sd 1 rarely exceeds 5 on the logit scale.
WEAKLY_INFORMATIVE_SD = 2.5


def standardized_prior_code(coefficient: str, predictor: str | None, dims: Sequence[str] = ()) -> str:
    """Standardize the separating predictor (when its name is known), then a ``Normal(0, 2.5)`` prior on
    ``coefficient``, in the user's names."""
    prior = prior_code(coefficient, "Normal", {"mu": "0", "sigma": str(WEAKLY_INFORMATIVE_SD)}, dims)
    if predictor is None:
        return f"{comment(f'with the predictor multiplying {coefficient} scaled to mean 0, sd 1:')}\n{prior}"
    x = python_name(predictor)
    return (
        f"{comment(f'scale {predictor} to mean 0, sd 1 (per column) before it enters the model:')}\n"
        f"{x} = ({x} - {x}.mean(axis=0)) / {x}.std(axis=0)\n{prior}"
    )
