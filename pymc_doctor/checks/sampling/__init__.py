"""Post-sampling checks: what the trace says about how well the sampler explored the posterior.

One module per topic; importing this package registers the rules of all of them.
"""

from pymc_doctor.checks.sampling import bounds, convergence, divergences, efficiency, finite, hmc, setup

__all__ = ["bounds", "convergence", "divergences", "efficiency", "finite", "hmc", "setup"]
