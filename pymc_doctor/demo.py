"""Sampling the built-in examples, quietly, with PyMC's own NUTS on either PyMC line."""

from __future__ import annotations

from pymc_doctor.examples import EXAMPLES
from pymc_doctor.quiet import quiet


def sample_example(name: str, *, seed: int, draws: int = 1000, tune: int = 1000, chains: int = 4):
    """Sample a built-in example; PyMC's own logs and convergence warnings are muted (the doctor reports)."""
    import pymc as pm

    model = EXAMPLES[name]()
    with quiet("pymc"), model:
        return pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=seed,
            nuts_sampler="pymc",
            progressbar=False,
            compute_convergence_checks=False,
        )
