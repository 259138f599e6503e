"""Priors against the support their use requires: positive parameters, probabilities (MOD101, MOD102)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import (
    HALF_NORMAL_MEDIAN,
    finding,
    model_facts,
    model_rule,
    typical_magnitude,
)
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import Constraint, ModelFacts, distribution_name, nice
from pymc_doctor.modelgraph.positivity import domain_error
from pymc_doctor.remedies.model import prior_code
from pymc_doctor.subject import Subject

SCALE_PARAMETERS = {"sigma", "tau", "sd", "b", "s", "scale"}
CAUCHY_LIKE = {"Cauchy", "HalfCauchy", "Gumbel"}  # whose `beta` is a scale


@dataclass(frozen=True)
class ParameterUse:
    """A parameter that a free variable feeds: ``parameter`` of ``term`` (a ``distribution``), which
    PyMC checks as ``check`` (``sigma > 0``)."""

    parameter: str | None
    term: str
    distribution: str
    check: str

    @classmethod
    def of(cls, constraint: Constraint) -> ParameterUse:
        term = constraint.term
        return cls(constraint.parameter, term.name, distribution_name(term), constraint.message)

    def role(self) -> str:
        if self.parameter:
            return f"the `{self.parameter}` of `{self.term}` ({self.distribution})"
        return f"a parameter of `{self.term}` ({self.distribution})"


def _example(values: Sequence[float]) -> float:
    """A readable one among the test values a prior allows: not the one a hair past the bound."""
    ordered = sorted(values, key=abs)
    return ordered[min(1, len(ordered) - 1)]


def _probability_pairs(f: ModelFacts) -> set[tuple[int, int]]:
    """(term, variable) pairs whose constraint bounds the variable above by 1: a probability."""
    return {
        (id(c.term), id(c.variable))
        for c in f.constraints
        if c.relation in ("<", "<=") and c.bound == 1 and not c.sign_only
    }


# --- MOD101


@dataclass(frozen=True)
class PositivePrior:
    """A free variable that must be positive where it is used, whose prior allows values that are not."""

    name: str
    prior: str
    dims: tuple[str, ...]
    uses: tuple[ParameterUse, ...]
    allowed: list[float]
    kind: str  # "scale" or "rate"
    size: float  # the scale (a HalfNormal's sigma) or the rate's mean that the fix gives
    basis: str  # where ``size`` comes from: "data" (the sd of ``basis_term``'s data), "prior" or "unit"
    basis_term: str | None = None


def _positive_kind(constraint: Constraint) -> str:
    parameter = constraint.parameter or ""
    if parameter in SCALE_PARAMETERS or (parameter == "beta" and distribution_name(constraint.term) in CAUCHY_LIKE):
        return "scale"
    return "rate"


def _positive_prior(f: ModelFacts, uses: list[Constraint], allowed: list[float]) -> PositivePrior:
    variable = uses[0].variable
    name = variable.name
    found = dict(
        name=name,
        prior=distribution_name(variable),
        dims=f.dims_of(name),
        uses=tuple(dict.fromkeys(ParameterUse.of(c) for c in uses)),
        allowed=allowed,
    )
    if _positive_kind(uses[0]) == "rate":
        return PositivePrior(**found, kind="rate", size=typical_magnitude(f, name) or 1.0, basis="prior")
    observed = [c.term.name for c in uses if c.term in f.observed]
    data_scale = f.data_scale(observed[0]) if observed else None
    if data_scale:
        return PositivePrior(**found, kind="scale", size=data_scale, basis="data", basis_term=observed[0])
    magnitude = typical_magnitude(f, name)
    if magnitude:
        return PositivePrior(**found, kind="scale", size=magnitude / HALF_NORMAL_MEDIAN, basis="prior")
    return PositivePrior(**found, kind="scale", size=1.0, basis="unit")


def positive_priors(f: ModelFacts) -> list[PositivePrior]:
    """Free variables feeding a parameter PyMC requires to be positive, whose prior allows a value below 0."""
    probabilities = _probability_pairs(f)
    flagged: dict[int, list[Constraint]] = {}
    for constraint in f.constraints:
        if constraint.relation not in (">", ">=") or constraint.bound != 0:
            continue
        if (id(constraint.term), id(constraint.variable)) in probabilities:
            continue
        flagged.setdefault(id(constraint.variable), []).append(constraint)
    found = []
    for uses in flagged.values():
        allowed = f.allows(uses[0].variable, uses[0].violations())
        if allowed:
            found.append(_positive_prior(f, uses, allowed))
    return found


@model_rule("MOD101", "scale-prior-sign", severity="error")
def scale_prior_sign(subject: Subject) -> Iterator[Finding]:
    """A scale, rate or other positive parameter whose prior allows negative values.

    What it checks: every parameter that PyMC requires to be positive (it checks `sigma > 0`,
    `mu >= 0` for a Poisson rate, `alpha > 0, beta > 0` for a Gamma), found in the graph from how
    a variable is used, not from its name; the check fires when the free variable feeding it
    (directly, indexed, broadcast or rescaled) has a prior that puts mass below zero. The few
    constraints PyMC enforces only when it draws (a StudentT's or SkewNormal's `sigma`, whose
    density checks `sigma**-2 > 0`) come from a table tested against every scalar distribution in
    `pm.distributions`. When the prior predictive itself fails to draw ("The `scale` parameter must
    be positive"), that failure is quoted as evidence.

    Why it matters: wherever the sampler proposes a negative value the log-probability is -inf.
    PyMC's jitter often finds a positive start, so the model may run, with divergences, or stop
    with "Bad initial energy" (the talk's `Normal` prior on `sigma`).

    Threshold: any prior that gives a finite density to a value below the bound.

    Example: `sigma = pm.Normal("sigma", 0, 1)` used as `pm.Normal("y", mu, sigma, observed=y)`.

    Fix: a prior on positive values: `HalfNormal` (or `Exponential`) for a scale, `Gamma` for a
    rate, at a scale read from the data or from the prior you gave.
    """
    f = model_facts(subject)
    flagged = positive_priors(f)
    failure = None
    if flagged:  # PyMC's own draws refusing a parameter confirm it
        _ = f.prior  # drawing records why the full prior predictive failed
        failure = f.prior_error if domain_error(f.prior_error) else None
    for found in flagged:
        name = found.name
        if found.kind == "scale":
            reason = {
                "data": f"the sd of the data of `{found.basis_term}`",
                "prior": "the magnitude of the prior you gave",
                "unit": "unit scale",
            }[found.basis]
            code = prior_code(name, "HalfNormal", {"sigma": nice(found.size)}, found.dims)
            fix = f"Give `{name}` a prior on positive values: HalfNormal (or Exponential), here at {reason}."
        else:
            code = prior_code(name, "Gamma", {"alpha": "2", "beta": nice(2 / found.size)}, found.dims)
            fix = (
                f"Give `{name}` a prior on positive values: a Gamma with the mean of the prior you gave "
                f"({nice(found.size)})."
            )
        roles = "; ".join(f"{use.role()}, which must satisfy {use.check}" for use in found.uses)
        yield finding(
            "MOD101",
            "error",
            f"`{name}` must be positive but its prior allows negative values",
            (
                f"`{name}` has a {found.prior} prior, which allows values such as {_example(found.allowed):g}, but "
                f"it is {roles}. Wherever the sampler proposes such a value the log-probability is -inf: expect "
                'divergences or "Bad initial energy".'
                + (f" The prior predictive itself fails to draw: {failure}" if failure else "")
            ),
            variables=(name,),
            evidence={
                "prior": found.prior,
                "used_by": sorted({use.term for use in found.uses}),
                "constraints": sorted({use.check for use in found.uses}),
                "allowed_values": found.allowed,
                **({"prior_predictive_error": failure} if failure else {}),
            },
            fix=fix,
            fix_code=code,
        )


# --- MOD102


@dataclass(frozen=True)
class ProbabilityPrior:
    """A free variable used as a probability whose prior allows values outside [0, 1]."""

    name: str
    prior: str
    dims: tuple[str, ...]
    use: ParameterUse  # the first use
    used_by: list[str]
    allowed: list[float]
    beta_params: tuple[float, float]  # a Beta with the mean and sd of the prior given, else Beta(1, 1)


def _matching_beta(f: ModelFacts, name: str) -> tuple[float, float]:
    """The Beta with the mean and sd of ``name``'s prior draws; Beta(1, 1), uniform on [0, 1], without them."""
    if name not in f.prior:
        return 1.0, 1.0
    draws = np.clip(np.asarray(f.prior[name], dtype=float), 1e-3, 1 - 1e-3)
    mean, var = float(draws.mean()), float(draws.var())
    common = mean * (1 - mean) / var - 1 if var > 0 else 0
    return (mean * common, (1 - mean) * common) if common > 0 else (1.0, 1.0)


def probability_priors(f: ModelFacts) -> list[ProbabilityPrior]:
    """Free variables feeding a parameter PyMC requires to lie in [0, 1], whose prior allows a value outside."""
    pairs = _probability_pairs(f)
    grouped: dict[int, list[Constraint]] = {}
    for constraint in f.constraints:
        if (id(constraint.term), id(constraint.variable)) in pairs:
            grouped.setdefault(id(constraint.variable), []).append(constraint)
    found = []
    for uses in grouped.values():
        variable = uses[0].variable
        allowed = sorted({v for c in uses for v in f.allows(variable, c.violations())})
        if not allowed:
            continue
        name = variable.name
        used_by = sorted({c.term.name for c in uses})
        prior = distribution_name(variable)
        beta = _matching_beta(f, name)
        found.append(ProbabilityPrior(name, prior, f.dims_of(name), ParameterUse.of(uses[0]), used_by, allowed, beta))
    return found


@model_rule("MOD102", "probability-prior", severity="error")
def probability_prior_range(subject: Subject) -> Iterator[Finding]:
    """A probability whose prior leaves [0, 1].

    What it checks: every parameter PyMC requires to lie in [0, 1] (`p` of a Bernoulli, Binomial,
    Geometric, ...) that a free variable feeds directly (indexed or broadcast), and whether that
    variable's prior puts mass below 0 or above 1.

    Why it matters: outside [0, 1] the likelihood is -inf; the sampler diverges or cannot start.

    Threshold: any prior with a finite density outside [0, 1].

    Example: `p = pm.Normal("p", 0.5, 0.2)` used as `pm.Binomial("k", n=10, p=p, observed=k)`.

    Fix: a `Beta` prior (with the mean and sd of the prior you gave), or a real-valued variable
    passed through `pm.math.invlogit`.
    """
    for found in probability_priors(model_facts(subject)):
        name = found.name
        below, above = [v for v in found.allowed if v < 0], [v for v in found.allowed if v > 1]
        examples = " and ".join(f"{_example(side):g}" for side in (below, above) if side)
        alpha, beta = found.beta_params
        yield finding(
            "MOD102",
            "error",
            f"Probability `{name}` has a prior outside [0, 1]",
            (
                f"`{name}` is used as {found.use.role()}, a probability (PyMC checks {found.use.check}), but its "
                f"{found.prior} prior allows values such as {examples}. Outside [0, 1] the log-probability is -inf."
            ),
            variables=(name,),
            evidence={"prior": found.prior, "used_by": found.used_by, "allowed_values": found.allowed},
            fix=f"Give `{name}` a Beta prior (here with the mean and sd of the prior you gave).",
            fix_code=prior_code(name, "Beta", {"alpha": nice(alpha), "beta": nice(beta)}, found.dims),
        )
