"""The prior predictive against the data: far outside its range, or of impossible sign (MOD601, MOD602)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import (
    HALF_NORMAL_MEDIAN,
    finding,
    model_facts,
    model_rule,
    top_level,
    typical_magnitude,
)
from pymc_doctor.finding import Finding, PlotRequest
from pymc_doctor.modelgraph import ModelFacts, dist_params, distribution_name, nice, transparent_base
from pymc_doctor.quiet import quiet
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies.model import (
    prior_code,
    prior_predictive_code,
)
from pymc_doctor.subject import Subject


def _prior_predictive(f: ModelFacts, rv) -> tuple[np.ndarray, np.ndarray]:
    """The prior predictive draws of an observed variable, and its finite data."""
    draws = f.prior.get(rv.name)
    if draws is None:
        raise CannotCheck(f"the prior predictive cannot be drawn ({f.prior_error}); fix the errors above first")
    observed = np.asarray(f.observed_values[rv.name], dtype=float)
    return np.asarray(draws, dtype=float), observed[np.isfinite(observed)]


def _finite(values: np.ndarray) -> np.ndarray:
    """The finite values, flattened: a view when all are (copying a large prior predictive is slow)."""
    keep = np.isfinite(values)
    return values.ravel() if keep.all() else values[keep]


# --- MOD601

SuggestedPrior = tuple[str, dict[str, float], tuple[str, ...]]  # distribution, parameters, dims


@dataclass(frozen=True)
class PredictiveRange:
    """An observed variable's prior predictive, ``wide`` (its 90% far wider than the data's range) or
    excluding most of the data; the top-level prior to blame, and the prior it should have instead."""

    name: str
    interval_90: tuple[float, float]
    interval_998: tuple[float, float]
    observed_range: tuple[float, float]
    span: float  # the data's range (else their magnitude, else 1)
    share_outside: float
    wide: bool
    culprit: str | None
    prior: SuggestedPrior | None  # the culprit's


def _culprit(f: ModelFacts, spread: np.ndarray) -> str | None:
    """The top-level prior whose draws most drive the predictive spread (rank correlation)."""
    from scipy import stats

    best, best_name = 0.3, None
    for rv in f.free:
        draws = f.prior.get(rv.name)
        if draws is None or not top_level(f, rv):
            continue
        magnitude = np.abs(np.asarray(draws, dtype=float)).reshape(len(spread), -1).mean(axis=1)
        correlation = stats.spearmanr(magnitude, spread).statistic
        if np.isfinite(correlation) and correlation > best:
            best, best_name = float(correlation), rv.name
    return best_name


def _spreading_prior(
    f: ModelFacts, draws: np.ndarray, center: float, shrink: float
) -> tuple[str | None, SuggestedPrior | None]:
    """The top-level prior that drives the predictive spread, and its prior ``shrink`` times narrower."""
    culprit = _culprit(f, np.abs(draws.reshape(draws.shape[0], -1) - center).mean(axis=1))
    if culprit is None:
        return None, None
    support = f.support(f.model[culprit])
    scale = (typical_magnitude(f, culprit) or 1.0) / HALF_NORMAL_MEDIAN / shrink
    if support is not None and support[0] >= 0:
        return culprit, ("HalfNormal", {"sigma": scale}, f.dims_of(culprit))
    return culprit, ("Normal", {"mu": 0.0, "sigma": scale}, f.dims_of(culprit))


def _locating_prior(f: ModelFacts, rv, center: float, spread: float) -> tuple[str | None, SuggestedPrior | None]:
    """The top-level prior the likelihood's location is, and that prior centered on the data."""
    location = next((p for p in dist_params(rv) if f.depends_on_free(p)), None)
    base = transparent_base(location)[0] if location is not None else None
    if base is None or base not in f.free or not top_level(f, base):
        return None, None
    return base.name, ("Normal", {"mu": center, "sigma": 2.5 * spread}, f.dims_of(base.name))


def predictive_ranges(f: ModelFacts, max_range_ratio: float) -> list[PredictiveRange]:
    """Observed variables whose prior predictive 90% interval is more than ``max_range_ratio`` times wider
    than the data's range, or whose 99.8% interval leaves out most of the data."""
    found = []
    for rv in f.observed:
        draws, observed = _prior_predictive(f, rv)
        finite = _finite(draws)
        if observed.size < 2 or finite.size == 0:
            continue
        span = float(observed.max() - observed.min()) or float(np.abs(observed).max()) or 1.0
        outer_low, low, high, outer_high = np.quantile(finite, [0.001, 0.05, 0.95, 0.999])  # one pass over them
        wide = bool((high - low) > max_range_ratio * span)
        outside = float(np.mean((observed < outer_low) | (observed > outer_high)))
        if not wide and outside <= 0.5:
            continue
        center, spread = float(np.median(observed)), float(observed.std()) or span
        if wide:  # shrink the prior until the implied range is a few times the data's
            culprit, prior = _spreading_prior(f, draws, center, (high - low) / span / 5)
        else:
            culprit, prior = _locating_prior(f, rv, center, spread)
        intervals = (float(low), float(high)), (float(outer_low), float(outer_high))
        observed_range = (float(observed.min()), float(observed.max()))
        found.append(PredictiveRange(rv.name, *intervals, observed_range, span, outside, wide, culprit, prior))
    return found


def _range_message(found: PredictiveRange) -> str:
    name, (low, high), (outer_low, outer_high) = found.name, found.interval_90, found.interval_998
    data_low, data_high = found.observed_range
    if found.wide:
        message = (
            f"Before seeing data, the model implies `{name}` between {low:.3g} and {high:.3g} (90%), "
            f"{(high - low) / found.span:.3g} times the observed range ({data_low:.3g} to {data_high:.3g})."
        )
    else:
        message = (
            f"{found.share_outside:.0%} of the observed `{name}` ({data_low:.3g} to {data_high:.3g}) lie "
            f"outside what the prior predictive produces ({outer_low:.3g} to {outer_high:.3g}): the priors "
            "exclude the data."
        )
    if found.culprit:
        blame = "drives most of it" if found.wide else "sets where the data should be"
        message += f" The prior of `{found.culprit}` {blame}."
    return message


@model_rule("MOD601", "predictive-range", severity="warning", params={"max_range_ratio": 100.0})
def prior_predictive_range(subject: Subject, max_range_ratio: float) -> Iterator[Finding]:
    """Prior predictive data far outside the observed range.

    What it checks: 300 seeded prior predictive draws of each observed variable (the model's
    random state is left untouched; fewer, at least 50, when a variable of the model has more than
    33,000 values, to keep to 10 million values): the width of their central 90% against the
    observed range, and whether the observed data fall inside the prior predictive at all.

    Why it matters: the prior predictive is what the model says before seeing data (the talk's
    dose-response curves). Data implied thousands of times wider than anything plausible, or a
    prior that cannot produce the observed values, mean priors on the wrong scale: slow warm-up,
    divergences, or a posterior dragged by the prior.

    Threshold: a 90% prior predictive interval wider than `max_range_ratio` (default 100) times
    the observed range, or most observed values outside the prior predictive's 99.8% interval.

    Example: `beta = pm.Normal("beta", 0, 1000)` in a regression whose data span 10.

    Fix: priors at the data's scale; the finding names the prior that drives the spread.
    """
    for found in predictive_ranges(model_facts(subject), max_range_ratio):
        name, culprit = found.name, found.culprit
        prior_fix = ""
        if found.prior is not None:
            distribution, params, dims = found.prior
            prior_fix = prior_code(culprit, distribution, {key: nice(value) for key, value in params.items()}, dims)
        yield finding(
            "MOD601",
            "warning",
            f"Prior predictive `{name}` is far from the data's range",
            _range_message(found),
            variables=(name, *((culprit,) if culprit else ())),
            evidence={
                "prior_predictive_90": list(found.interval_90),
                "prior_predictive_998": list(found.interval_998),
                "observed_range": list(found.observed_range),
                "share_outside": found.share_outside,
                "culprit": culprit,
            },
            plots=(PlotRequest("prior_predictive", (name,), f"Prior predictive `{name}` against the data"),),
            fix="Set priors at the data's scale, then look at the prior predictive again.",
            fix_code=prior_predictive_code(prior_fix),
        )


# --- MOD602


@dataclass(frozen=True)
class ImpossiblePredictive:
    """A continuous observed variable whose data are never negative (or are proportions), and the share
    of its prior predictive draws that are not."""

    name: str
    distribution: str
    proportion: bool
    share: float


def _likelihood_allows(f: ModelFacts, rv, value: float) -> bool:
    """Whether the likelihood ``rv`` gives ``value`` (every element) a finite density at the initial point."""
    import pymc as pm
    import pytensor.tensor as pt

    probe = pt.tensor("probe", shape=rv.type.shape, dtype=rv.dtype)
    with quiet("pymc"):
        logp = pm.logp(rv, probe, warn_rvs=False)
    try:
        values = np.full(np.shape(f.observed_values[rv.name]), value, dtype=rv.dtype)
        fn = f.compile([logp], extra_inputs=[probe])
        return bool(np.all(np.isfinite(np.asarray(fn(**f.initial_point, probe=values)[0]))))
    except Exception:  # not evaluable alone: nothing shows the support excludes it
        return True


def impossible_predictives(f: ModelFacts, max_impossible_share: float) -> list[ImpossiblePredictive]:
    """Continuous observed variables with nonnegative data (or proportions in [0, 1]) whose prior predictive
    draws are negative (or outside [0, 1]) more than ``max_impossible_share`` of the time, where the
    likelihood's own support excludes those values: data that merely never show a sign are no proof."""
    found = []
    for rv in f.observed:
        if not rv.dtype.startswith("float"):
            continue
        draws, observed = _prior_predictive(f, rv)
        finite = _finite(draws)
        if observed.size < 2 or finite.size == 0 or observed.min() < 0 or observed.max() == 0:
            continue
        distribution = distribution_name(rv)
        proportion = bool(observed.max() <= 1 and distribution != "Beta")
        share = float(((finite < 0) | (finite > 1) if proportion else finite < 0).mean())
        if share <= max_impossible_share:
            continue
        outside = finite[(finite < 0) | (finite > 1)] if proportion else finite[finite < 0]
        if _likelihood_allows(f, rv, float(outside[0])):
            continue  # the likelihood itself allows such data: the data not showing them is no proof
        found.append(ImpossiblePredictive(rv.name, distribution, proportion, share))
    return found


@model_rule("MOD602", "predictive-sign", severity="warning", params={"max_impossible_share": 0.1})
def prior_predictive_sign(subject: Subject, max_impossible_share: float) -> Iterator[Finding]:
    """Prior predictive data of impossible sign or range.

    What it checks: for continuous observed variables whose data are never negative (or are
    proportions in [0, 1]), the share of seeded prior predictive draws below 0 (or outside [0, 1]),
    where the likelihood's own support excludes such values. A sign or range is impossible only when
    the likelihood says so: a Normal regression whose data happen to be positive is not flagged,
    since data that never show a sign do not prove the quantity cannot take it.

    Why it matters: the likelihood allows values the quantity cannot take (negative weights,
    proportions above 1): probability mass is wasted on impossible data, and predictions include them.

    Threshold: more than `max_impossible_share` (default 10%) of the draws impossible.

    Example: a likelihood on positive values whose prior predictive draws still come out negative.

    Fix: make the draws agree with the likelihood's support: a link function (`pm.math.exp`,
    `pm.math.invlogit`) for the mean, or a `random` that draws only values its `logp` allows.
    """
    for found in impossible_predictives(model_facts(subject), max_impossible_share):
        name = found.name
        kind, suggestion = ("proportions in [0, 1]", "[0, 1]") if found.proportion else ("never negative", "positive")
        yield finding(
            "MOD602",
            "warning",
            f"Prior predictive `{name}` takes impossible values",
            (
                f"The data of `{name}` are {kind}, but {found.share:.0%} of the prior predictive draws of its "
                f"{found.distribution} likelihood are not, although its density excludes them: the model spends "
                "probability on impossible data."
            ),
            variables=(name,),
            evidence={"impossible_share": found.share, "data": kind},
            fix=(
                f"Make the likelihood's draws agree with its support ({suggestion}): a link function for the "
                "mean, or a random function that draws only values its density allows."
            ),
        )
