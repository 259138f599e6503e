"""Parameterization: centered hierarchies, and parameters the data cannot tell apart (MOD501, MOD502)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import (
    HALF_NORMAL_MEDIAN,
    finding,
    model_facts,
    model_rule,
    needs_start,
    typical_magnitude,
)
from pymc_doctor.checks.model.information import (
    NO_LOCATION,
    Parameters,
    element_labels,
    location_terms,
    precision_at_start,
    weighted_locations,
)
from pymc_doctor.finding import Finding
from pymc_doctor.hierarchy import centered_groups
from pymc_doctor.modelgraph import ModelFacts, nice
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import noncentered_code
from pymc_doctor.remedies.model import keep_one_code, zero_sum_code
from pymc_doctor.subject import Subject
from pymc_doctor.wording import names


@model_rule("MOD501", "centered-hierarchy", severity="warning")
def centered_hierarchy(subject: Subject) -> Iterator[Finding]:
    """A centered hierarchical parameterization.

    What it checks: free `Normal(mu, sigma)` variables whose `sigma` depends on another free
    variable (a hierarchical scale), found in the graph.

    Why it matters: with little data per group, the posterior of the group values and their
    scale is a funnel: NUTS diverges at small scales and cannot reach the funnel's neck, so the
    sample is biased (the eight schools' divergences). With much data per group the centered form
    is fine, even better.

    Threshold: any such variable.

    Example: `theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")`.

    Fix: the non-centered form: a standard normal offset, scaled and shifted deterministically.
    """
    f = model_facts(subject)
    for group in centered_groups(subject.model):
        yield finding(
            "MOD501",
            "warning",
            f"`{group.group}` is centered on a free scale `{group.scale}`",
            (
                f"`{group.group}` ~ Normal({group.location or 0}, {group.scale}) and `{group.scale}` is itself "
                "sampled: with few data per group the posterior is a funnel that NUTS cannot enter (divergences "
                f"at small `{group.scale}`). Keep the centered form only if every group has plenty of data."
            ),
            variables=(group.group, *group.scale_variables),
            evidence={
                "group": group.group,
                "scale": group.scale,
                "location": group.location,
                "size": f.shapes.get(group.group),
            },
            fix=f"Rewrite `{group.group}` non-centered.",
            fix_code=noncentered_code(
                group.group,
                group.scale,
                group.location,
                group.dims,
                () if group.dims else f.shapes.get(group.group) or (),
            ),
        )


@dataclass(frozen=True)
class Ridge:
    """A parameter (``variable``, an element label) that others nearly determine: its multiple correlation
    with them, and the partners that move it most, with how much (its regression on them)."""

    variable: str
    multiple_correlation: float
    partners: list[tuple[str, float]]
    sum_to_zero: tuple[str, tuple[str, ...], int] | None  # (vector, its dims, its size) that can sum to zero
    spread: str  # the fix's sigma

    @property
    def others(self) -> list[str]:
        return [label for label, _ in self.partners]

    @property
    def bases(self) -> list[str]:
        return _bases([self.variable, *self.others])


def _bases(labels: Sequence[str]) -> list[str]:
    """The variables of element labels (``theta[0]`` is of ``theta``), in order."""
    return list(dict.fromkeys(label.split("[")[0] for label in labels))


def _strongest_dependence(precision: np.ndarray) -> tuple[int, float, np.ndarray]:
    """The parameter most determined by the others: its index, its multiple correlation with them, and its
    regression on them (how it moves when each other one moves)."""
    scale = np.sqrt(np.diag(precision))
    normalized = precision / np.outer(scale, scale)
    try:
        covariance = np.linalg.inv(normalized)
    except np.linalg.LinAlgError as exc:
        raise CannotCheck("the data and priors leave a direction with no information at all") from exc
    # With a unit-diagonal precision, covariance[i, i] is i's variance inflation: 1 / (1 - R_i^2), R_i its
    # multiple correlation with all the others; this also catches ridges shared among many parameters.
    inflation = np.diag(covariance)
    i = int(np.argmax(inflation))
    slopes = -normalized[i] / normalized[i, i]
    slopes[i] = 0
    return i, float(np.sqrt(max(0.0, 1 - 1 / inflation[i]))), slopes


def _fix_spread(f: ModelFacts, bases: list[str]) -> tuple[tuple[str, tuple[str, ...], int] | None, str]:
    """The vector among ``bases`` that can sum to zero (with its dims and size) and its sigma; else the sd of
    the prior of the sum of ``bases``, for the one parameter kept."""
    vector = next((n for n in bases if f.start_values.get(n) is not None and f.start_values[n].size > 1), None)
    if vector:
        spread = nice((typical_magnitude(f, vector) or HALF_NORMAL_MEDIAN) / HALF_NORMAL_MEDIAN)
        return (vector, f.dims_of(vector), int(f.start_values[vector].size)), spread
    combined = sum(np.asarray(f.prior[n], dtype=float) for n in bases) if all(n in f.prior for n in bases) else None
    return None, nice(float(combined.std())) if combined is not None else "1"


def ridge(f: ModelFacts, max_correlation: float, max_parameters: int) -> Ridge | None:
    """The parameter with the highest multiple correlation with the others, when it exceeds
    ``max_correlation``, as the data (the likelihoods' locations, weighted by their information) and the
    priors' curvature see them at the initial point."""
    needs_start(f)
    parameters = Parameters.at_start(f)
    total = sum(parameters.sizes)
    if total > max_parameters:
        raise CannotCheck(f"{total} scalar parameters exceed max_parameters={max_parameters}")
    terms = list(location_terms(f))
    if total < 2 or not f.observed:
        return None
    if not terms:
        raise CannotCheck(NO_LOCATION)
    jacobian, precision = precision_at_start(f, parameters, *weighted_locations(f, terms))
    keep = (np.abs(jacobian).sum(axis=0) > 0) & (np.diag(precision) > 0)
    if keep.sum() < 2:
        return None
    labels = [
        label
        for name, shape in zip(parameters.names, parameters.shapes, strict=True)
        for label in element_labels(f, name, shape)
    ]
    labels = [label for label, kept in zip(labels, keep, strict=True) if kept]
    i, multiple, slopes = _strongest_dependence(precision[np.ix_(keep, keep)])
    if multiple <= max_correlation:
        return None
    strongest = [int(k) for k in np.argsort(-np.abs(slopes)) if abs(slopes[k]) >= 0.5 * np.abs(slopes).max()]
    partners = [(labels[k], float(slopes[k])) for k in strongest]
    sum_to_zero, spread = _fix_spread(f, _bases([labels[i], *(label for label, _ in partners)]))
    return Ridge(labels[i], multiple, partners, sum_to_zero, spread)


# --- MOD502


@model_rule("MOD502", "non-identified", severity="warning", params={"max_correlation": 0.95, "max_parameters": 200})
def non_identified(subject: Subject, max_correlation: float, max_parameters: int) -> Iterator[Finding]:
    """Highly correlated or non-identified parameters.

    What it checks: what the data see of each parameter at the initial point: how the
    likelihood's location (the mean, the probability) moves with each parameter (finite
    differences of a compiled forward function, no gradient), weighted by the likelihood's
    information and added to the priors' curvature. A parameter that the others nearly determine
    is one the data cannot tell apart from them.

    Why it matters: when the data inform only a combination (two intercepts whose sum is all the
    likelihood sees, collinear predictors, group effects beside an intercept with wide priors), the
    posterior is a long ridge held only by the priors: NUTS needs tiny steps and long
    trajectories, R-hat and ESS suffer, and each parameter's posterior is mostly its prior.

    Threshold: a parameter whose multiple correlation with the others exceeds `max_correlation`
    (default 0.95; for two parameters, their correlation); models with more than `max_parameters`
    (default 200) scalar parameters are skipped.

    Example: `a = pm.Normal("a", 0, 10); b = pm.Normal("b", 0, 10)` with `observed=y` of mean `a + b`.

    Fix: remove the redundancy (one intercept; group effects that sum to zero beside an intercept),
    or combine collinear predictors.
    """
    found = ridge(model_facts(subject), max_correlation, max_parameters)
    if found is None:
        return
    a, others = found.variable, found.others
    if len(others) == 1:
        together = "+" if found.partners[0][1] < 0 else "-"
        informed = f"the data inform little more than `{a} {together} {others[0]}`"
    else:
        informed = f"shifting `{a}` against {names(others)} leaves the fit almost unchanged"
    if found.sum_to_zero:
        vector, dims, size = found.sum_to_zero
        fix = f"Let `{vector}` sum to zero, so that the intercept carries the overall level."
        code = zero_sum_code(vector, found.spread, dims, size)
    else:
        fix = f"Keep one parameter for what the data see instead of `{a}` and {names(others)}."
        code = keep_one_code(a, others, found.spread)
    yield finding(
        "MOD502",
        "warning",
        f"`{a}` is nearly non-identified beside {names(others, 2)}",
        (
            f"At the initial point `{a}` is determined by {names(others)} up to a multiple correlation of "
            f"{found.multiple_correlation:.4f}: {informed}, and only the priors hold the rest. "
            "NUTS will crawl along the ridge."
        ),
        variables=tuple(found.bases),
        evidence={
            "multiple_correlation": round(found.multiple_correlation, 6),
            "variable": a,
            "partners": {label: round(slope, 3) for label, slope in found.partners},
        },
        fix=fix,
        fix_code=code,
    )
