"""Priors that are improper, extremely wide, or hard-bounded where nothing bounds the quantity (MOD103, MOD104)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from pymc_doctor.checks.model.common import finding, model_facts, model_rule, top_level
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import ModelFacts, constant_value, dist_params, distribution_name, nice
from pymc_doctor.remedies.model import prior_code
from pymc_doctor.subject import Subject

# --- MOD103


@dataclass(frozen=True)
class FlatPrior:
    """An improper prior (``width`` None), or one whose central 90% is ``width`` wide."""

    name: str
    prior: str
    dims: tuple[str, ...]
    positive: bool  # its support starts at 0
    width: float | None
    reference: float  # the data's scale


def _prior_width(f: ModelFacts, rv) -> float | None:
    """The width of the central 90% of a top-level continuous prior's draws; None for other priors."""
    if not top_level(f, rv) or not rv.dtype.startswith("float") or rv.name not in f.prior:
        return None  # not in the prior draws: it depends on an improper prior
    low, high = np.quantile(np.asarray(f.prior[rv.name], dtype=float), [0.05, 0.95])
    return float(high - low)


def flat_priors(f: ModelFacts, max_width_ratio: float) -> list[FlatPrior]:
    """Flat and HalfFlat priors, and priors of constant parameters wider than ``max_width_ratio`` times the
    data's scale."""
    reference = f.reference_scale
    found = []
    for rv in f.free:
        support = f.support(rv)
        positive = support is not None and support[0] >= 0
        flagged = FlatPrior(rv.name, distribution_name(rv), f.dims_of(rv.name), positive, None, reference)
        if type(rv.owner.op).__name__ in ("FlatRV", "HalfFlatRV"):
            found.append(flagged)
            continue
        width = _prior_width(f, rv)
        if width is not None and width > max_width_ratio * reference:
            found.append(replace(flagged, width=width))
    return found


@model_rule("MOD103", "flat-prior", severity="warning", params={"max_width_ratio": 1000.0})
def flat_prior(subject: Subject, max_width_ratio: float) -> Iterator[Finding]:
    """Flat, improper or extremely wide priors.

    What it checks: `Flat` and `HalfFlat` priors, and priors with constant parameters whose
    central 90% interval (from seeded prior draws) is wider than `max_width_ratio` times the data's
    scale (the largest sd among continuous observed data, at least 1).

    Why it matters: an improper prior leaves the posterior improper unless the data identify the
    parameter; prior predictive checks cannot run; an extremely wide prior (`Normal(0, 1e6)`,
    `Uniform(-1e8, 1e8)`) is not "uninformative": it puts almost all its mass on absurd values,
    slows warm-up and, for scales, can dominate a hierarchy.

    Threshold: 90% prior width above `max_width_ratio` (default 1000) times the data's scale.

    Example: `beta = pm.Normal("beta", 0, 1e6)` with data of sd 10.

    Fix: a weakly informative prior at the data's scale: `Normal(0, 2.5 * sd)` for a coefficient,
    `HalfNormal(sd)` for a scale.
    """
    for found in flat_priors(model_facts(subject), max_width_ratio):
        name, width, reference = found.name, found.width, found.reference
        if width is None:
            why = (
                f"`{name}` has an improper {found.prior} prior: the posterior is improper wherever the "
                "data say little, and the prior predictive cannot be drawn"
            )
        else:
            why = (
                f"`{name}` has a {found.prior} prior whose central 90% spans {width:.3g}, "
                f"{width / reference:.3g} times the data's scale ({reference:.3g}): such a prior is not "
                "uninformative, it puts almost all its mass on absurd values and slows warm-up"
            )
        scale = nice(reference if found.positive else 2.5 * reference)
        if found.positive:
            code = prior_code(name, "HalfNormal", {"sigma": scale}, found.dims)
        else:
            code = prior_code(name, "Normal", {"mu": "0", "sigma": scale}, found.dims)
        yield finding(
            "MOD103",
            "warning",
            f"{'Improper' if width is None else 'Extremely wide'} prior on `{name}`",
            f"{why}.",
            variables=(name,),
            evidence={"prior": found.prior, "width_90": width, "data_scale": reference},
            fix=f"Use a weakly informative prior at the data's scale ({scale}).",
            fix_code=code,
        )


# --- MOD104


@dataclass(frozen=True)
class HardBounds:
    """A ``Uniform`` prior of constant ``bounds`` on a variable nothing in the model bounds."""

    name: str
    dims: tuple[str, ...]
    bounds: tuple[float, float]


def hard_bounds(f: ModelFacts, max_width_ratio: float) -> list[HardBounds]:
    """Top-level ``Uniform`` priors of constant bounds on variables not used as a probability or a scale,
    narrower than ``max_width_ratio`` times the data's scale (wider ones are MOD103's)."""
    bounded = {id(c.variable) for c in f.constraints}
    found = []
    for rv in f.free:
        if type(rv.owner.op).__name__ != "UniformRV" or id(rv) in bounded or not top_level(f, rv):
            continue
        low, high = (constant_value(p) for p in dist_params(rv))
        if low is None or high is None:
            continue
        low, high = float(np.min(low)), float(np.max(high))
        if high - low <= max_width_ratio * f.reference_scale:
            found.append(HardBounds(rv.name, f.dims_of(rv.name), (low, high)))
    return found


@model_rule("MOD104", "uniform-bounds", severity="warning", params={"max_width_ratio": 1000.0})
def uniform_bounds(subject: Subject, max_width_ratio: float) -> Iterator[Finding]:
    """Hard `Uniform` bounds on a quantity that has none.

    What it checks: `Uniform` priors on variables that are not used as a probability or a scale
    (nothing in the graph bounds them), such as regression coefficients and means; priors already
    reported as extremely wide (`max_width_ratio`, as in MOD103) are left to that rule.

    Why it matters: the posterior piles up against an arbitrary wall when the data favour values
    near it, and the sampler works on a logit-transformed scale that stretches near the bounds.

    Threshold: any such `Uniform`.

    Example: `slope = pm.Uniform("slope", -10, 10)`.

    Fix: a `Normal` prior with the same center that keeps about 95% of its mass inside the old bounds.
    """
    for found in hard_bounds(model_facts(subject), max_width_ratio):
        name, (low, high) = found.name, found.bounds
        center = nice((low + high) / 2)
        yield finding(
            "MOD104",
            "warning",
            f"Hard bounds on `{name}`",
            (
                f"`{name}` has a Uniform({low:g}, {high:g}) prior, but nothing in the model bounds it: it is "
                "not used as a probability or a scale. If the data favour values near a bound, the posterior "
                "piles up against it."
            ),
            variables=(name,),
            evidence={"lower": low, "upper": high},
            fix=f"Use a Normal prior centered at {center} that keeps about 95% inside the old bounds.",
            fix_code=prior_code(name, "Normal", {"mu": center, "sigma": nice((high - low) / 4)}, found.dims),
        )
