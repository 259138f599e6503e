"""What the fit rules read from the model about an observed variable: its likelihood, its parameters as
code, the data it observes and its dims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymc_doctor.finding import finding_builder
from pymc_doctor.remedies import fit as fixes

finding = finding_builder("fit")


@dataclass(frozen=True)
class Likelihood:
    """An observed variable's likelihood as the model declares it; ``distribution`` is None without a model."""

    name: str
    distribution: str | None = None
    params: tuple[tuple[str, str | None], ...] = ()
    observed: str | None = None
    dims: tuple[str, ...] = ()

    def swap_code(self, new: str) -> str:
        """This likelihood rewritten as ``new``, in the user's names."""
        return fixes.likelihood_code(
            self.name, self.distribution or "", new, dict(self.params), self.observed, self.dims
        )


def likelihood(model: Any, name: str, dims: tuple[str, ...]) -> Likelihood:
    """What the model says about observed variable ``name``; only its name and dims without a model, or
    when the model cannot be read."""
    if model is None or name not in getattr(model, "named_vars", {}):
        return Likelihood(name, dims=dims)
    from pymc_doctor.modelgraph import dist_params, distribution_name, expression, facts, parameter_names

    try:
        rv = model[name]
        model_facts = facts(model)
        values = dist_params(rv)
        keys = parameter_names(rv) or [f"param{i}" for i in range(len(values))]
        params = tuple((key, expression(value, model_facts.names)) for key, value in zip(keys, values, strict=True))
        observed = model_facts.observed_sources.get(name)
        return Likelihood(name, distribution_name(rv), params, observed, tuple(model_facts.dims_of(name)) or dims)
    except Exception:  # an unusual graph: the fix is then written without the model's spelling
        return Likelihood(name, dims=dims)
