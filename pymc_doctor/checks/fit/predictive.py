"""Posterior predictive checks: data the model cannot reproduce (FIT101 spread, FIT102 zeros, FIT103 mean).

Each compares a test statistic of the data with its distribution over data replicated from the
posterior (Gelman et al., BDA3 6.3), per observed variable, as a mid p-value (``fitstats``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from pymc_doctor import fitdata, fitstats
from pymc_doctor.checks.fit.common import finding, likelihood
from pymc_doctor.finding import Finding, PlotRequest
from pymc_doctor.registry import CannotCheck, rule_family
from pymc_doctor.remedies import fit as fixes
from pymc_doctor.subject import Subject
from pymc_doctor.wording import names

_rule = rule_family("fit", needs=("trace", "predictive"))

# Two-sided, per statistic: a well-specified model's predictive p-values gather near 0.5 (they are
# conservative: the posterior was fitted to these data), so 1% in either tail is rare among the few
# statistics checked, and a model that misses the data by far reaches it with a few hundred draws.
TAIL = 0.01
# Replicated datasets kept for the report's overlay plot: enough to show their spread, few enough to draw.
PLOTTED_REPLICATES = 50


def checked_variables(subject: Subject, seconds: float = fitdata.DRAW_SECONDS) -> list[dict[str, Any]]:
    """Per observed variable with replicates: its name, dims, whether it holds counts, the observed values
    and the p-value of each statistic; draws the replicates from the model when the trace has none, within
    ``seconds``. Computed once per trace and model for the three rules."""
    return fitdata.once(subject.trace, subject.model, "pvalues", lambda: _checked_variables(subject, seconds))


def _checked_variables(subject: Subject, seconds: float) -> list[dict[str, Any]]:
    groups = fitdata.predictive(subject.trace, subject.model, seconds, subject.progress)
    found = []
    for name in map(str, groups["observed_data"].data_vars):
        if name not in groups["posterior_predictive"]:
            continue
        replicated, observed, dims = fitdata.observations(groups, name)
        if observed.dtype.kind not in "biuf":
            continue
        kept = np.isfinite(observed)  # imputed (missing) observations are not data
        if kept.sum() < 2 or replicated.shape[1] != observed.size:
            continue
        observed, replicated = observed[kept], replicated[:, kept]
        by_group = [
            {
                "label": label,
                "observed": observed[mask[kept]],
                "pvalues": fitstats.predictive_pvalues(replicated[:, mask[kept]], observed[mask[kept]]),
            }
            for label, mask in fitdata.groups_of(groups["observed_data"][name])
            if mask[kept].sum() >= 2
        ]
        found.append(
            {
                "name": name,
                "dims": dims,
                "counts": fitstats.is_count(observed),
                "observed": observed,
                "pvalues": fitstats.predictive_pvalues(replicated, observed),
                "drawn": groups["drawn"],
                "groups": by_group,
                "replicates": _plotted(replicated),
            }
        )
    if not found:
        raise CannotCheck("no observed variable has posterior predictive draws")
    return found


def _plotted(replicated: np.ndarray) -> np.ndarray:
    """A seeded choice of at most ``PLOTTED_REPLICATES`` replicated datasets (rows)."""
    rows = np.random.default_rng(0).choice(len(replicated), min(len(replicated), PLOTTED_REPLICATES), replace=False)
    return replicated[np.sort(rows)]


def _overlay(variable: dict[str, Any]) -> tuple[PlotRequest, ...]:
    """The posterior predictive overlay of the variable: its data over some of its replicates."""
    name, data = variable["name"], {"observed": variable["observed"], "replicates": variable["replicates"]}
    return (PlotRequest("ppc", (name,), f"Posterior predictive `{name}` against the data", data=data),)


def _shown(pvalues: dict[str, dict[str, float]], statistics: list[str]) -> str:
    parts = []
    for name in statistics:
        found = pvalues[name]
        parts.append(
            f"{name}: observed {found['observed']:.3g}, replicated {found['replicated']:.3g} (p = {found['p']:.3f})"
        )
    return "; ".join(parts)


def _rounded(pvalues: dict[str, dict[str, float]], statistics: list[str]) -> dict[str, Any]:
    return {s: {k: round(v, 4) for k, v in pvalues[s].items()} for s in statistics}


def _evidence(variable: dict[str, Any], statistics: list[str]) -> dict[str, Any]:
    return {
        "variable": variable["name"],
        "drawn_by_doctor": variable["drawn"],
        "statistics": _rounded(variable["pvalues"], statistics),
        "groups": {g["label"]: _rounded(g["pvalues"], g["statistics"]) for g in variable.get("extreme_groups", [])},
    }


def extreme_groups(variable: dict[str, Any], tail: float, test: Any) -> list[dict[str, Any]]:
    """The variable's groups (``county = X``) whose statistics ``test(group, tail)`` flags, at the tail
    shared among the groups (Bonferroni), so that twenty healthy groups do not fire by chance."""
    shared = tail / max(len(variable["groups"]), 1)
    found = []
    for group in variable["groups"]:
        statistics = test(group, shared)
        if statistics:
            found.append({**group, "statistics": statistics})
    return found


def _by_group(variable: dict[str, Any]) -> str:
    """The extreme groups in words, after the whole variable's statistics."""
    parts = [f"`{g['label']}`: {_shown(g['pvalues'], g['statistics'])}" for g in variable["extreme_groups"]]
    return f" By group, {'; '.join(parts)}." if parts else ""


def _where(variable: dict[str, Any]) -> str:
    """Where the whole variable is not extreme: the groups that are (`` (county = B)``)."""
    if variable["statistics"] or not variable["extreme_groups"]:
        return ""
    return f" ({', '.join(g['label'] for g in variable['extreme_groups'])})"


def _wider(entry: dict[str, Any], tail: float) -> list[str]:
    """The statistics of a variable or group (``entry``) that spread wider than its replicates."""
    p = entry["pvalues"]
    wider = [s for s in ("sd", "max") if s in p and p[s]["p"] < tail]
    return wider + (["min"] if "min" in p and p["min"]["p"] > 1 - tail else [])


def _shifted(entry: dict[str, Any], tail: float) -> list[str]:
    return ["mean"] if not tail <= entry["pvalues"]["mean"]["p"] <= 1 - tail else []


def detect_spread(subject: Subject, tail: float, seconds: float = fitdata.DRAW_SECONDS) -> list[dict[str, Any]]:
    """Observed variables whose data, or one of whose groups, spread wider than the replicates: a larger sd
    or max, a smaller min."""
    found = []
    for variable in checked_variables(subject, seconds):
        wider, groups = _wider(variable, tail), extreme_groups(variable, tail, _wider)
        if wider or groups:
            found.append({**variable, "statistics": wider, "extreme_groups": groups})
    return found


@_rule(
    "FIT101", "predictive-spread", severity="warning", params={"ppc_tail": TAIL, "draw_seconds": fitdata.DRAW_SECONDS}
)
def predictive_spread(subject: Subject, ppc_tail: float, draw_seconds: float) -> Iterator[Finding]:
    """Data more spread out than the model can reproduce: overdispersion, or heavier tails.

    What it checks: for each observed variable, the posterior predictive p-values of the standard
    deviation, maximum and minimum of the data (from the trace's `posterior_predictive` group, or
    drawn from the model on a copy of the trace when it has none). Computing from the model takes at
    most `draw_seconds` (default 30 s, for all the fit rules together) on a seeded subset of the
    draws; when it is spent, the rules left say so in the report's not-checked list.

    Why it matters: a Poisson ties the variance to the mean, a Normal has thin tails; when the data
    spread wider, intervals are too narrow, outliers pull the estimates, and effects look surer than
    they are.

    Threshold: a p-value below `ppc_tail` (default 0.01) for the sd or the maximum, or above 1 -
    `ppc_tail` for the minimum (mid p-values, so ties between discrete statistics count half). Where
    the variable has a dim whose coordinate has 2 to 20 levels (`county`), each level with 5
    observations or more is judged too, at `ppc_tail` shared among the groups, and named.

    Example: counts drawn from a negative binomial with mean 5 and alpha 1.5, modelled as Poisson: the
    observed sd is 4.5, the replicates' 2.2 (p = 0.000).

    Fix: a likelihood with a free spread: `NegativeBinomial` in place of `Poisson`, `BetaBinomial` in
    place of `Binomial`, `StudentT` in place of `Normal`.
    """
    for variable in detect_spread(subject, ppc_tail, draw_seconds):
        lik = likelihood(subject.model, variable["name"], variable["dims"])
        kind = "overdispersion" if variable["counts"] else "heavy tails"
        wider = fixes.WIDER_SPREAD.get(lik.distribution or "")
        if wider:
            fix = f"Use a `{wider}` likelihood in place of `{lik.distribution}`: it has a parameter for the spread."
        elif variable["counts"]:
            fix = (
                "Use a likelihood with a free dispersion: `NegativeBinomial` for Poisson counts, "
                "`BetaBinomial` for binomial ones."
            )
        else:
            fix = "Use a likelihood with heavier tails: `StudentT` in place of `Normal`."
        yield finding(
            "FIT101",
            "warning",
            f"`{variable['name']}`{_where(variable)}: more spread than the model reproduces ({kind})",
            f"The data of `{variable['name']}` spread wider than data replicated from the posterior: "
            f"{_shown(variable['pvalues'], variable['statistics']) or 'not as a whole'}.{_by_group(variable)} "
            "The likelihood"
            f"{f' ({lik.distribution})' if lik.distribution else ''} cannot describe such {kind}.",
            variables=(variable["name"],),
            evidence=_evidence(variable, variable["statistics"]),
            fix=fix,
            fix_code=lik.swap_code(wider) if wider else "",
            plots=_overlay(variable),
        )


def zeros_beyond_spread(observed: np.ndarray) -> tuple[float, float]:
    """The share of zeros a negative binomial with the data's mean and variance gives, and the probability of
    seeing at least as many zeros as ``observed`` holds under it (a binomial tail)."""
    from scipy import stats

    share = fitstats.negative_binomial_zeros(float(observed.mean()), float(observed.var()))
    return share, float(stats.binom.sf(int((observed == 0).sum()) - 1, observed.size, share))


def _zeros(entry: dict[str, Any], tail: float) -> list[str]:
    """``["zeros"]`` when a variable or group (``entry``) has more zeros than its replicates, and more than
    overdispersion alone explains."""
    zeros = entry["pvalues"].get("zeros")
    if zeros is None or zeros["p"] >= tail:
        return []
    return ["zeros"] if zeros_beyond_spread(entry["observed"])[1] < tail else []


def detect_excess_zeros(subject: Subject, tail: float, seconds: float = fitdata.DRAW_SECONDS) -> list[dict[str, Any]]:
    """Count variables, or groups of them, with more zeros than the replicates, and more than even a negative
    binomial with the data's mean and variance would give (overdispersion alone, FIT101, explains fewer)."""
    found = []
    for variable in checked_variables(subject, seconds):
        whole, groups = _zeros(variable, tail), extreme_groups(variable, tail, _zeros)
        if whole or groups:
            share = zeros_beyond_spread(variable["observed"])[0]
            found.append({**variable, "statistics": whole, "extreme_groups": groups, "spread_share": share})
    return found


@_rule(
    "FIT102", "predictive-zeros", severity="warning", params={"ppc_tail": TAIL, "draw_seconds": fitdata.DRAW_SECONDS}
)
def predictive_zeros(subject: Subject, ppc_tail: float, draw_seconds: float) -> Iterator[Finding]:
    """More zeros in count data than the model reproduces: a zero-inflated process.

    What it checks: for each observed count variable, the posterior predictive p-value of the share of
    zeros, and whether even a negative binomial with the data's own mean and variance would give that
    many zeros (a binomial tail probability).

    Why it matters: zeros from a separate process (never at risk, not detectable) pull a Poisson's rate
    down and its fit everywhere else with it; overdispersion alone (FIT101) does not account for them.

    Threshold: a p-value below `ppc_tail` (default 0.01) for the share of zeros, and a probability
    below `ppc_tail` of seeing that many zeros under the moment-matched negative binomial. Per group
    along a dim of 2 to 20 levels (`county = X`, 5 observations or more), each level is judged the same
    way at `ppc_tail` shared among the groups, against its own mean and variance, and named.
    Computed from the model, the draws share `draw_seconds` (default 30 s; see FIT101).

    Example: counts of which 40% are structural zeros and the rest Poisson(6): 43% zeros observed,
    3% replicated.

    Fix: a zero-inflated likelihood (`ZeroInflatedPoisson`, `ZeroInflatedNegativeBinomial`,
    `ZeroInflatedBinomial`), or a hurdle model when zeros and positive counts arise separately.
    """
    for variable in detect_excess_zeros(subject, ppc_tail, draw_seconds):
        lik = likelihood(subject.model, variable["name"], variable["dims"])
        inflated = fixes.ZERO_INFLATED.get(lik.distribution or "")
        zeros = variable["pvalues"]["zeros"]
        whole = (
            f"{zeros['observed']:.0%} of `{variable['name']}` are zeros; data replicated from the posterior "
            f"have {zeros['replicated']:.1%} (p = {zeros['p']:.3f}), and a negative binomial with the data's "
            f"mean and variance would give {variable['spread_share']:.1%}: more than overdispersion explains."
            if variable["statistics"]
            else f"`{variable['name']}` as a whole has no more zeros than its replicates and overdispersion explain."
        )
        yield finding(
            "FIT102",
            "warning",
            f"`{variable['name']}`{_where(variable)}: more zeros than the model reproduces",
            f"{whole}{_by_group(variable)}",
            variables=(variable["name"],),
            evidence={
                **_evidence(variable, variable["statistics"]),
                "negative_binomial_zero_share": round(variable["spread_share"], 4),
            },
            fix=f"Use a zero-inflated likelihood (`{inflated or 'ZeroInflatedPoisson'}`), or a hurdle model.",
            fix_code=lik.swap_code(inflated) if inflated else "",
            plots=_overlay(variable),
        )


@_rule("FIT103", "predictive-mean", severity="warning", params={"ppc_tail": TAIL, "draw_seconds": fitdata.DRAW_SECONDS})
def predictive_mean(subject: Subject, ppc_tail: float, draw_seconds: float) -> Iterator[Finding]:
    """The mean of the data lies outside what the model reproduces.

    What it checks: for each observed variable, the posterior predictive p-value of the mean.

    Why it matters: a model with an intercept fits the mean of its data almost by construction; when it
    does not, something holds it away: a wrong link function, a strong prior on the intercept, an
    offset or exposure left out, or data on another scale than the model assumes.

    Threshold: a p-value below `ppc_tail` or above 1 - `ppc_tail` (default 0.01); per group along a
    dim of 2 to 20 levels (`county = X`), at `ppc_tail` shared among the groups.
    Computed from the model, the draws share `draw_seconds` (default 30 s; see FIT101).

    Example: a Poisson regression with an identity link whose prior keeps the rate near 1 while the
    counts average 20.

    Fix: check the link function and the prior on the intercept, add the missing covariate or offset,
    and plot the posterior predictive against the data.
    """
    for variable in checked_variables(subject, draw_seconds):
        mean = variable["pvalues"]["mean"]
        whole = _shifted(variable, ppc_tail)
        variable = {**variable, "statistics": whole, "extreme_groups": extreme_groups(variable, ppc_tail, _shifted)}
        if not whole and not variable["extreme_groups"]:
            continue
        side = "above" if mean["p"] < 0.5 else "below"
        title = f"the data's mean is {side} what the model reproduces" if whole else "a group's mean is off"
        yield finding(
            "FIT103",
            "warning",
            f"`{variable['name']}`{_where(variable)}: {title}",
            f"The mean of `{variable['name']}` is {mean['observed']:.3g}; data replicated from the posterior "
            f"average {mean['replicated']:.3g} (p = {mean['p']:.3f}).{_by_group(variable)}",
            variables=(variable["name"],),
            evidence=_evidence(variable, ["mean"]),
            fix="Check the link function and the intercept's prior; add the missing covariate, offset or "
            f"exposure. Plot the posterior predictive of {names([variable['name']])} against the data.",
            fix_code=fixes.predictive_check_code(variable["name"]),
            plots=_overlay(variable),
        )
