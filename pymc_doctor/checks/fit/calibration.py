"""LOO-PIT calibration (FIT301): whether each observation's leave-one-out predictive places it where a
calibrated model would, judged by the ECDF of the PIT values against a simultaneous band of the uniform.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from pymc_doctor import fitdata, fitstats
from pymc_doctor.checks.fit.common import finding, likelihood
from pymc_doctor.finding import Finding, PlotRequest
from pymc_doctor.registry import rule_family
from pymc_doctor.remedies import fit as fixes
from pymc_doctor.subject import Subject

_rule = rule_family("fit", needs=("trace", "predictive", "log_likelihood"))

# What each shape of the PIT's ECDF says about the predictive distribution.
SHAPES = {
    "narrow": "too narrow: the data fall in its tails more often than it allows (PIT values piled at 0 and 1, "
    "a U-shaped histogram; the ECDF above the diagonal, then below)",
    "wide": "too wide: the data gather in its middle (PIT values piled near 0.5, an inverted U; the ECDF "
    "below the diagonal, then above)",
    "high": "shifted up: the data sit low in their predictive distributions (small PIT values; the ECDF "
    "above the diagonal throughout)",
    "low": "shifted down: the data sit high in their predictive distributions (large PIT values; the ECDF "
    "below the diagonal throughout)",
}


TITLES = {"narrow": "too narrow", "wide": "too wide", "high": "shifted up", "low": "shifted down"}


def detect_miscalibration(subject: Subject, prob: float, seconds: float = fitdata.DRAW_SECONDS) -> list[dict[str, Any]]:
    """Observed variables whose LOO-PIT ECDF leaves the simultaneous band at level ``prob``, with its shape."""
    found = []
    for variable in fitdata.loo_pit(subject.trace, subject.model, seconds, subject.progress):
        calibration = fitstats.pit_calibration(variable["pit"], prob)
        if calibration["outside"]:
            found.append({**variable, **calibration})
    return found


def _fix(shape: str, distribution: str | None, name: str) -> tuple[str, str | None]:
    """The fix in words, and the likelihood to swap in (None: no swap fits)."""
    wider = fixes.WIDER_SPREAD.get(distribution or "")
    if shape == "narrow":
        if wider:
            return f"Use a `{wider}` likelihood in place of `{distribution}`: it has a parameter for the spread.", wider
        return "Use a likelihood with a free spread (`NegativeBinomial`, `BetaBinomial`, `StudentT`).", None
    if shape == "wide":
        robust = "StudentT" if distribution == "Normal" else None
        return (
            "A few outliers may inflate the spread for all other observations: use a heavier-tailed "
            "likelihood (`StudentT`), or, for counts, one that allows underdispersion.",
            robust,
        )
    return (
        f"The predictions of `{name}` are biased: check the link function and the intercept's prior, and add the "
        "missing covariate or offset.",
        None,
    )


@_rule("FIT301", "loo-pit", severity="warning", params={"pit_band_prob": 0.99, "draw_seconds": fitdata.DRAW_SECONDS})
def loo_pit_calibration(subject: Subject, pit_band_prob: float, draw_seconds: float) -> Iterator[Finding]:
    """The leave-one-out predictive distributions are miscalibrated: LOO-PIT values far from uniform.

    What it checks: ArviZ's LOO-PIT of each observed variable (the leave-one-out predictive CDF at each
    observation, from the posterior predictive draws weighted by PSIS), and whether their ECDF stays
    inside a simultaneous band of the uniform's ECDF, as ArviZ's ECDF plots draw it (pointwise binomial
    bands widened by simulation until the level holds at every point at once, seeded).

    Why it matters: for a calibrated model the PIT values are uniform. When the predictive distributions
    are too narrow, observations fall in their tails (a U-shaped PIT histogram): the intervals are
    overconfident. Too wide (an inverted U): they are vaguer than the data warrant. Shifted: biased.

    Threshold: the ECDF leaves the band at level `pit_band_prob` (default 0.99) anywhere.
    Computed from the model, the draws share `draw_seconds` (default 30 s; see FIT101).

    Example: negative-binomial counts modelled as Poisson: PIT values pile at 0 and 1; too narrow.

    Fix: too narrow, a likelihood with a free spread (`NegativeBinomial` in place of `Poisson`, `StudentT`
    in place of `Normal`); too wide, a heavier-tailed likelihood so that outliers stop inflating the
    spread; shifted, the link function, the intercept's prior or a missing covariate.
    """
    for variable in detect_miscalibration(subject, pit_band_prob, draw_seconds):
        lik = likelihood(subject.model, variable["name"], variable["dims"])
        fix, swap = _fix(variable["shape"], lik.distribution, variable["name"])
        worst = variable["worst"]
        if swap and lik.distribution:
            code = lik.swap_code(swap)
        elif variable["shape"] in ("high", "low"):
            code = fixes.predictive_check_code(variable["name"])
        else:
            code = ""
        yield finding(
            "FIT301",
            "warning",
            f"`{variable['name']}`: the leave-one-out predictive is {TITLES[variable['shape']]}",
            f"The ECDF of the {variable['count']} LOO-PIT values of `{variable['name']}` leaves the "
            f"{pit_band_prob:.0%} simultaneous band of the uniform at {variable['share_outside']:.0%} of the "
            f"points checked (at {worst['at']:.2f}: {worst['ecdf']:.2f}, band {worst['band'][0]:.2f} to "
            f"{worst['band'][1]:.2f}). "
            f"The predictive distribution is {SHAPES[variable['shape']]}.",
            variables=(variable["name"],),
            evidence={
                "variable": variable["name"],
                "shape": variable["shape"],
                "share_outside": round(variable["share_outside"], 4),
                "worst": {"at": round(worst["at"], 4), "ecdf": round(worst["ecdf"], 4), "band": worst["band"]},
                "observations": variable["count"],
                "prob": pit_band_prob,
            },
            fix=fix,
            fix_code=code,
            plots=(
                PlotRequest(
                    "loo_pit",
                    (variable["name"],),
                    f"LOO-PIT ECDF of `{variable['name']}` in its {pit_band_prob:.0%} simultaneous band",
                    data={**variable["curve"], "prob": np.array(pit_band_prob)},
                ),
            ),
        )
