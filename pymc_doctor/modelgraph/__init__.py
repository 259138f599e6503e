"""Reading a ``pm.Model``: how each variable is used in the graph, its data, and cheap evaluations.

The model is treated as read-only. Evaluations compile small functions of their own (``compile``),
never the gradient; prior draws come from generators of their own, seeded as PyMC seeds the model's
(``prior``), and ``session`` restores every shared variable and NumPy's global random state when the
doctor is done. Free scalars drawn the same way are evaluated together (``families``); the rest of the
model is compiled once per question, and graph walks are done once per model (``variables``).
"""

from pymc_doctor.modelgraph.compile import compile_function
from pymc_doctor.modelgraph.constraints import Constraint
from pymc_doctor.modelgraph.graph import (
    batch_shape,
    constant_value,
    dist_params,
    distribution_name,
    expression,
    nice,
    parameter_names,
    plain_scalar_rv,
    transparent_base,
)
from pymc_doctor.modelgraph.prior import PRIOR_DRAWS, PRIOR_SEED, PRIOR_VALUES
from pymc_doctor.modelgraph.provenance import Source, matching_sources, sources
from pymc_doctor.modelgraph.session import ModelFacts, facts, session
from pymc_doctor.modelgraph.summary import describe

__all__ = [
    "PRIOR_DRAWS",
    "PRIOR_SEED",
    "PRIOR_VALUES",
    "Constraint",
    "ModelFacts",
    "Source",
    "batch_shape",
    "compile_function",
    "constant_value",
    "describe",
    "dist_params",
    "distribution_name",
    "expression",
    "facts",
    "matching_sources",
    "nice",
    "parameter_names",
    "plain_scalar_rv",
    "session",
    "sources",
    "transparent_base",
]
