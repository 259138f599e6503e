"""Leave-one-out cross-validation (PSIS-LOO, ArviZ's ``loo``): observations the model cannot predict
without having seen them (FIT201), and more effective parameters than the model has (FIT202).

The pointwise log-likelihood comes from the trace's ``log_likelihood`` group or, when it has none
(nutpie traces never do), is computed from the model on a copy of the trace.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from pymc_doctor import fitdata, fitstats
from pymc_doctor.checks.fit.common import finding, likelihood
from pymc_doctor.finding import Finding, PlotRequest
from pymc_doctor.registry import rule_family
from pymc_doctor.remedies import fit as fixes
from pymc_doctor.subject import Subject
from pymc_doctor.wording import count, names

_rule = rule_family("fit", needs=("trace", "log_likelihood"))


def observation_labels(pareto_k, name: str) -> list[tuple[str, str]]:
    """Per observation of a pointwise DataArray, in its flattened order: its element label (``y[17]``)
    and its coordinates in words (``obs_id = 17``)."""
    dims = [str(d) for d in pareto_k.dims]
    if not dims:
        return [(name, "")]
    values = [
        [str(v) for v in pareto_k.coords[d].values]
        if d in pareto_k.coords
        else [str(i) for i in range(pareto_k.sizes[d])]
        for d in dims
    ]
    return [
        (f"{name}[{', '.join(combo)}]", ", ".join(f"{d} = {v}" for d, v in zip(dims, combo, strict=True)))
        for combo in itertools.product(*values)
    ]


def _cost(result: dict[str, Any]) -> str:
    """The estimate, its errors (of the data's sampling, and Monte Carlo) and what it cost to compute."""
    computed = f", its log-likelihood computed from the model in {result['seconds']:.1f} s" if result["drawn"] else ""
    if result["mcse"] is None:
        mcse = f"its Monte Carlo error not estimable with k̂ above {fitstats.khat_threshold(result['draws']):.2f}"
    else:
        mcse = f"Monte Carlo se {result['mcse']:.2g}"
    return f"elpd_loo {result['elpd']:.1f} (se {result['se']:.1f}, {mcse}) from {result['draws']} draws{computed}"


def _mcse(result: dict[str, Any]) -> float | None:
    return None if result["mcse"] is None else round(result["mcse"], 4)


def detect_high_pareto_k(subject: Subject, max_k: float, seconds: float = fitdata.DRAW_SECONDS) -> list[dict[str, Any]]:
    """Per observed variable with observations whose Pareto k̂ exceeds ``max_k``: those observations
    (label, coordinates, k̂), worst first, and the LOO result."""
    found = []
    for result in fitdata.loo(subject.trace, subject.model, seconds, subject.progress):
        k = np.asarray(result["pareto_k"].values, dtype=np.float64).reshape(-1)
        high = np.flatnonzero(k > max_k)
        if high.size:
            labels = observation_labels(result["pareto_k"], result["name"])
            order = high[np.argsort(-k[high])]
            observations = [{"label": labels[i][0], "coords": labels[i][1], "k": round(float(k[i]), 3)} for i in order]
            found.append({**result, "observations": observations, "count": k.size, "k": k, "order": order})
    return found


@_rule("FIT201", "pareto-k", severity="warning", params={"max_pareto_k": 0.7, "draw_seconds": fitdata.DRAW_SECONDS})
def high_pareto_k(subject: Subject, max_pareto_k: float, draw_seconds: float) -> Iterator[Finding]:
    """Observations the model cannot predict without having seen them: Pareto k̂ above 0.7 in PSIS-LOO.

    What it checks: ArviZ's PSIS-LOO of each observed variable, from the trace's `log_likelihood`
    group or, when it has none (nutpie traces), the log-likelihood computed from the model on a copy of
    the trace; it names each observation whose Pareto k̂ exceeds the threshold by its coordinates.
    Computing from the model takes at most `draw_seconds` (default 30 s, for all the fit rules
    together) on a seeded subset of the draws; when it is spent, the rules left say so in the
    report's not-checked list.

    Why it matters: a high k̂ means the posterior changes a lot when that observation is left out: it
    is an outlier for this likelihood, or highly influential, and the LOO estimate for it (and the
    model comparison built on it) is unreliable.

    Threshold: k̂ above `max_pareto_k` (default 0.7, Vehtari et al. 2024); above 1 is an error.

    Cost and precision: the message gives elpd_loo with its standard error (the data's sampling
    variation), the number of draws it read and, where the doctor computed the log-likelihood, how
    long that took; and the Monte Carlo standard error of elpd_loo as R's loo package computes it
    (`mcse_elpd_loo`). With normalized PSIS weights w_s and likelihoods p_s = p(y_i | θ_s), the
    variance of the estimate of E_loo[p] = exp(elpd_loo_i) is V_i = Σ_s w_s² (p_s - E_loo[p])²; the
    variance of its log is that of log z over 1,000 seeded normal draws z ~ N(E_loo[p], V_i) (z > 0);
    divided by ArviZ's relative efficiency r_eff (the posterior's mean ESS over the draws) it is the
    squared MCSE of elpd_loo_i, and their sum's root is that of elpd_loo. Where any k̂ exceeds
    min(1 - 1/log10(S), 0.7) for S draws the estimate is not reliable, and, as R's `mcse_loo`, none
    is given. Neither ArviZ line computes it. As R's, the sum treats the observations' errors as
    independent; they share the draws, so elpd_loo spreads somewhat more over reruns than it says.

    Example: a Normal regression of 150 points of which three sit 20 noise sds off the line: k̂ above
    0.7 for exactly those three.

    Fix: a robust likelihood (`StudentT` in place of `Normal`, `NegativeBinomial` in place of
    `Poisson`) when the observations are outliers; otherwise moment matching (`loo_moment_match`) or
    K-fold cross-validation for those observations.
    """
    for result in detect_high_pareto_k(subject, max_pareto_k, draw_seconds):
        flagged = result["observations"]
        lik = likelihood(subject.model, result["name"], tuple(map(str, result["pareto_k"].dims)))
        robust = fixes.WIDER_SPREAD.get(lik.distribution or "")
        shown = "; ".join(
            f"`{o['label']}` ({o['coords']}) k̂ = {o['k']:.2f}" if o["coords"] else f"`{o['label']}` k̂ = {o['k']:.2f}"
            for o in flagged[:10]
        )
        more = f" and {len(flagged) - 10} more" if len(flagged) > 10 else ""
        robust_fix = f"`{robust}` in place of `{lik.distribution}`" if robust else "a heavier-tailed likelihood"
        yield finding(
            "FIT201",
            "error" if flagged[0]["k"] > 1 else "warning",
            f"`{result['name']}`: {count(len(flagged), 'observation')} the model cannot predict when left out",
            f"PSIS-LOO gives Pareto k̂ above {max_pareto_k} for {len(flagged)} of {result['count']} observations "
            f"of `{result['name']}`: {shown}{more}. Each is an outlier for this likelihood or very influential; "
            f"their LOO estimates are unreliable ({_cost(result)}).",
            variables=tuple(o["label"] for o in flagged[:20]),
            evidence={
                "variable": result["name"],
                "observations": flagged[:50],
                "count": len(flagged),
                "elpd_loo": round(result["elpd"], 3),
                "se": round(result["se"], 3),
                "mcse_elpd_loo": _mcse(result),
                "p_loo": round(result["p_loo"], 3),
                "draws": result["draws"],
                "seconds": round(result["seconds"], 2),
            },
            fix=f"If {names(o['label'] for o in flagged)} are outliers, use a robust likelihood ({robust_fix}); "
            "otherwise refit without them (K-fold cross-validation) or use moment matching for their LOO.",
            fix_code=lik.swap_code(robust) if robust else "",
            plots=(_khat_plot(result, max_pareto_k),),
        )


def _khat_plot(result: dict[str, Any], max_k: float) -> PlotRequest:
    """k̂ per observation against the threshold, the worst ten flagged ones labelled."""
    shown = result["order"][:10]
    data = {
        "k": result["k"],
        "flagged": shown,
        "labels": np.array([o["label"] for o in result["observations"][:10]]),
        "threshold": np.array(max_k),
    }
    return PlotRequest("khat", (result["name"],), f"Pareto k̂ per observation of `{result['name']}`", data=data)


def parameter_count(subject: Subject) -> int:
    """The number of scalar parameters: the model's free variables, or without a model every posterior
    element (Deterministics included, so that the comparison errs towards silence)."""
    trace = subject.trace
    if subject.model is not None:
        free = [rv.name for rv in subject.model.free_RVs if rv.name in trace.posterior]
        if free:
            return int(sum(trace.posterior[name].size // (trace.chains * trace.draws) for name in free))
    return int(sum(trace.posterior[name].size // (trace.chains * trace.draws) for name in trace.variable_names()))


@_rule(
    "FIT202",
    "loo-complexity",
    severity="warning",
    params={"max_ploo_ratio": 1.0, "min_ploo_excess": 1.0, "draw_seconds": fitdata.DRAW_SECONDS},
)
def loo_complexity(
    subject: Subject, max_ploo_ratio: float, min_ploo_excess: float, draw_seconds: float
) -> Iterator[Finding]:
    """More effective parameters than the model has: p_loo above the parameter count.

    What it checks: the effective number of parameters `p_loo` of ArviZ's PSIS-LOO, summed over the
    observed variables, against the number of scalar parameters (the model's free variables; without
    a model, every posterior element).

    Why it matters: p_loo measures how much the fit to each observation depends on that observation.
    It cannot exceed the number of parameters when the model describes the data; above it, the model
    is badly misspecified (Vehtari et al., LOO glossary), usually by outliers the likelihood cannot
    accommodate. A p_loo close to the count with more than one parameter per five observations means a
    model so flexible, or priors so weak, that left-out observations are hard to predict.

    Threshold: p_loo above `max_ploo_ratio` (default 1) times the number of parameters by more than
    `min_ploo_excess` (default 1): a well-specified model's p_loo, an estimate from finite data and
    draws, lands a fraction of a parameter on either side of the count (3.05 for a 500-observation
    regression of 3 parameters), while a misspecified one exceeds it by whole parameters.
    Computed from the model, the draws share `draw_seconds` (default 30 s; see FIT201).

    Example: a Normal regression (3 parameters) of data with three gross outliers: p_loo near 8.

    Fix: find the observations with high Pareto k̂ (FIT201) and use a likelihood that accommodates
    them (`StudentT` in place of `Normal`, `NegativeBinomial` in place of `Poisson`).
    """
    results = fitdata.loo(subject.trace, subject.model, draw_seconds, subject.progress)
    p_loo = sum(r["p_loo"] for r in results)
    parameters = parameter_count(subject)
    if p_loo - max_ploo_ratio * parameters <= min_ploo_excess:
        return
    observations = sum(int(r["pareto_k"].size) for r in results)
    costs = "; ".join(f"`{r['name']}`: {_cost(r)}" for r in results)
    yield finding(
        "FIT202",
        "warning",
        f"p_loo {p_loo:.1f} exceeds the model's {count(parameters, 'parameter')}",
        f"PSIS-LOO estimates {p_loo:.1f} effective parameters for {count(observations, 'observation')}, more "
        f"than the {parameters} the model has: the model is misspecified for these data ({costs}).",
        variables=tuple(r["name"] for r in results),
        evidence={
            "p_loo": round(p_loo, 3),
            "parameters": parameters,
            "observations": observations,
            "elpd_loo": {r["name"]: round(r["elpd"], 3) for r in results},
            "mcse_elpd_loo": {r["name"]: _mcse(r) for r in results},
        },
        fix="Look at the observations with high Pareto k̂ (FIT201) and the posterior predictive checks "
        "(FIT101): a likelihood with heavier tails or a free dispersion usually brings p_loo down.",
    )
