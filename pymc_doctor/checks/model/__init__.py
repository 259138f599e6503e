"""Model checks: what is wrong with a ``pm.Model`` before the sampler runs.

Every check reads the model through ``modelgraph.facts``, which evaluates small pieces of the graph
at the initial point (never the gradient) and leaves the model and every random state as they were.
One module per topic; importing this package registers the rules of all of them.
"""

from pymc_doctor.checks.model import (
    data,
    data_form,
    dims,
    frames,
    parameterization,
    predictive,
    prior_width,
    priors,
    shapes,
    start,
)

__all__ = [
    "data",
    "data_form",
    "dims",
    "frames",
    "parameterization",
    "predictive",
    "prior_width",
    "priors",
    "shapes",
    "start",
]
