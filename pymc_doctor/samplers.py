"""What each sampler calls things: its statistics, its default tree depth, its transformed variables.

PyMC's NUTS, nutpie, numpyro and blackjax (through PyMC) and Stan name the same statistics
differently; ``compat`` maps them to the canonical names below, and ``trace`` reads them.
"""

from __future__ import annotations

import re

# Canonical statistic -> names used by PyMC's NUTS, nutpie, numpyro/blackjax (through PyMC) and Stan.
STAT_ALIASES: dict[str, tuple[str, ...]] = {
    "diverging": ("diverging", "divergent__"),
    "tree_depth": ("tree_depth", "depth", "treedepth__"),
    "max_depth_hit": ("reached_max_treedepth", "maxdepth_reached"),
    "energy": ("energy", "energy__"),
    "energy_error": ("energy_error",),
    "step_size": ("step_size", "stepsize__"),
    "accept": ("acceptance_rate", "mean_tree_accept", "accept_stat__", "accept"),
    "n_steps": ("n_steps", "n_leapfrog__"),
    "lp": ("lp", "logp", "lp__"),
}

DEFAULT_MAX_TREE_DEPTH = {"pymc-nuts": 10, "nutpie": 10, "numpyro": 10, "blackjax": 10, "stan": 10}
NUTS_SAMPLERS = frozenset(DEFAULT_MAX_TREE_DEPTH)

# PyMC names a transformed free variable `<name>_<transform>__` (nutpie's `tau_log__` is `tau`).
_TRANSFORMED_NAME = re.compile(r"^(?P<name>.+?)_(?P<transform>[a-z]+)__$")


def untransformed_name(name: str) -> str:
    match = _TRANSFORMED_NAME.match(name)
    return match.group("name") if match else name
