"""Posterior mass piled against a hard bound of the prior's support (SMP402)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pymc_doctor.checks.model.common import model_facts
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import ModelFacts, distribution_name, nice
from pymc_doctor.modelgraph.graph import depends_on
from pymc_doctor.registry import rule_family
from pymc_doctor.remedies.model import prior_code
from pymc_doctor.subject import Subject

_rule = rule_family("sampling", needs=("trace", "model"))

EDGE = 0.05  # the band next to a bound, as a share of the support's width: the prior alone puts 5% there


@dataclass(frozen=True)
class PiledAtBound:
    """A free variable with a prior bounded on both sides whose draws sit mostly next to one bound."""

    name: str
    prior: str
    support: tuple[float, float]
    bound: float
    share: float  # of the draws (of its worst element) within EDGE of the bound
    scale: float  # a scale for a prior without the bound: the sd of the data it explains, else twice the bound


def piled_at_bounds(f: ModelFacts, posterior, min_share: float) -> list[PiledAtBound]:
    """Free variables bounded on both sides (Uniform, Beta, truncated) whose posterior draws of some element
    lie within EDGE of the width from a bound more than ``min_share`` of the time."""
    found = []
    for rv in f.free:
        support = f.support(rv)
        if support is None or rv.name not in posterior or not all(map(math.isfinite, support)):
            continue
        low, high = support
        draws = np.asarray(posterior[rv.name], dtype=float)
        draws = draws.reshape(draws.shape[0] * draws.shape[1], -1)
        band = EDGE * (high - low)
        for bound, near in ((high, draws >= high - band), (low, draws <= low + band)):
            share = float(near.mean(axis=0).max())
            if share > min_share:
                observed = [f.data_scale(term.name) for term in f.observed if depends_on(term, [rv])]
                scale = next((s for s in observed if s), 2 * max(abs(low), abs(high)))
                found.append(PiledAtBound(rv.name, distribution_name(rv), support, bound, share, scale))
                break
    return found


@_rule("SMP402", "posterior-at-bound", severity="warning", params={"min_share": 0.5})
def posterior_at_bound(subject: Subject, min_share: float) -> Iterator[Finding]:
    """Posterior mass piled against a hard bound of the prior's support.

    What it checks: for every free variable whose prior is bounded on both sides (`Uniform`,
    `Beta`, a truncated prior), the share of posterior draws (of its worst element) within 5% of
    the support's width from either bound; the prior alone puts 5% there.

    Why it matters: the data push the parameter beyond a bound that the prior set, often an
    arbitrary one (`Uniform(0, 10)` on a scale): the posterior is cut off by the prior, not
    informed by the data, and the sampler works against a wall (divergences, poor mixing).

    Threshold: more than `min_share` (default 50%) of the draws next to a bound.

    Example: `sigma = pm.Uniform("sigma", 0, 10)` for data whose sd is 30: draws nearly all
    above 9.5.

    Fix: a prior without the artificial bound, at a scale read from the data: `HalfNormal` with the
    data's sd for a scale; for a probability near 0 or 1, check the data or model it on the logit
    scale.
    """
    f = model_facts(subject)
    for found in piled_at_bounds(f, subject.trace.posterior, min_share):
        name, (low, high) = found.name, found.support
        side = "upper" if found.bound == high else "lower"
        code = ""
        if low == 0 and high != 1:  # a scale; a probability's bounds are real ones
            code = prior_code(name, "HalfNormal", {"sigma": nice(found.scale)}, f.dims_of(name))
        yield Finding(
            code="SMP402",
            severity="warning",
            category="sampling",
            title=f"The posterior of `{name}` piles up at its prior's {side} bound",
            message=(
                f"{found.share:.0%} of the draws of `{name}` lie within {EDGE:.0%} of the width of its "
                f"{found.prior}({nice(low)}, {nice(high)}) prior from the bound {nice(found.bound)}: the prior, "
                "not the data, stops the posterior there."
            ),
            variables=(name,),
            evidence={"prior": found.prior, "support": [low, high], "bound": found.bound, "share": found.share},
            fix=f"Give `{name}` a prior without the artificial bound, at a scale read from the data.",
            fix_code=code,
        )
