"""Code for chains in separate modes: look at the modes, and sample with a method that moves between them."""

from __future__ import annotations

from pymc_doctor.remedies.model import model_variable
from pymc_doctor.spelling import posterior_access


def chain_means_code(name: str) -> str:
    """One mean per chain of a variable: which mode each chain found."""
    return f'print({posterior_access(name)}.mean("draw"))'


def smc_code(chains: int = 4) -> str:
    """Sequential Monte Carlo, whose tempering moves between modes and weights them."""
    return f"with {model_variable()}:\n    idata = pm.sample_smc(chains={chains})"
