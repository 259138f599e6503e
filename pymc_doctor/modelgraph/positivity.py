"""Parameter constraints that PyMC enforces when it draws but that its log-probability cannot check.

Most constraints are read from the ``check_parameters`` of each log-probability (``constraints``).
A few are invisible there: StudentT and SkewNormal check ``lam = sigma**-2 > 0``, which a negative
``sigma`` passes, yet drawing with it fails ("The `scale` parameter must be positive"). This table
lists them, by distribution and parameter position; ``tests/checks/model/test_positivity.py`` probes
every scalar distribution in ``pm.distributions`` with a negative value of each parameter and
asserts that the constraints read from the graph and this table together cover each one PyMC refuses.
"""

from __future__ import annotations

import re

# distribution name -> (parameter position, name, relation, bound, PyMC's constraint)
DRAW_CONSTRAINTS: dict[str, tuple[tuple[int, str, str, float, str], ...]] = {
    "StudentT": ((2, "sigma", ">", 0.0, "sigma > 0"),),
    "SkewNormal": ((1, "sigma", ">", 0.0, "sigma > 0"),),
    "LogitNormal": ((1, "sigma", ">", 0.0, "sigma > 0"),),
    "HyperGeometric": (
        (0, "good", ">=", 0.0, "good >= 0"),
        (1, "bad", ">=", 0.0, "bad >= 0"),
        (2, "n", ">=", 0.0, "n >= 0"),
    ),
    "NegativeBinomial": ((1, "p", ">", 0.0, "0 < p <= 1"), (1, "p", "<=", 1.0, "0 < p <= 1")),
}

# How NumPy and SciPy refuse a parameter out of its domain when the prior predictive draws.
_DOMAIN_ERROR = re.compile(r"must be positive|\b\w+ <= 0\b|\b\w+ < 0\b|Domain error in arguments", re.IGNORECASE)


def domain_error(message: str | None) -> bool:
    """Whether a failed prior predictive draw failed on a parameter out of its domain."""
    return bool(message) and _DOMAIN_ERROR.search(message) is not None
