"""Prior sensitivity by power-scaling (Kallioinen et al. 2024; priorsense, ArviZ's ``psense``): parameters
whose posterior the prior and the data pull apart (FIT401, prior-data conflict), and parameters whose
posterior the prior decides while the data barely inform them (FIT402).

The log prior and the log-likelihood of each draw come from the trace's ``log_prior`` and
``log_likelihood`` groups or, when it lacks them, are computed from the model on a copy of the trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from pymc_doctor import sensitivitydata
from pymc_doctor.checks.fit.common import finding
from pymc_doctor.finding import Finding
from pymc_doctor.registry import rule_family
from pymc_doctor.remedies import fit as fixes
from pymc_doctor.subject import Subject
from pymc_doctor.wording import count, names

# Above this Pareto k̂ the power-scaling weights, and so the sensitivities, are rough (Vehtari et al. 2024).
MAX_KHAT = 0.7
SHOWN = 10

_rule = rule_family("fit", needs=("trace", "log_prior", "log_likelihood"))


def detect_prior_sensitivity(subject: Subject, threshold: float, *, conflict: bool) -> dict[str, Any] | None:
    """The parameter elements whose prior sensitivity reaches ``threshold`` and whose likelihood sensitivity
    does too (``conflict``: ArviZ's "prior-data conflict") or stays below it ("strong prior / weak
    likelihood"), most prior-sensitive first, with how they were computed; None when there are none."""
    result = sensitivitydata.sensitivities(subject.trace, subject.model)
    if conflict:
        flagged = [e for e in result["elements"] if e["prior"] >= threshold and e["likelihood"] >= threshold]
    else:
        flagged = [e for e in result["elements"] if e["prior"] > threshold > e["likelihood"]]
    if not flagged:
        return None
    return {**result, "flagged": sorted(flagged, key=lambda e: -e["prior"])}


def prior_of(model: Any, name: str) -> tuple[str, dict[str, str | None], tuple[str, ...]] | None:
    """A free variable's prior as the model declares it: distribution, parameters as code, dims."""
    if model is None or name not in getattr(model, "named_vars", {}):
        return None
    from pymc_doctor.modelgraph import dist_params, distribution_name, expression, facts, parameter_names

    try:
        rv, model_facts = model[name], facts(model)
        values = dist_params(rv)
        keys = parameter_names(rv) or [f"param{i}" for i in range(len(values))]
        params = {key: expression(value, model_facts.names) for key, value in zip(keys, values, strict=True)}
        return distribution_name(rv), params, tuple(model_facts.dims_of(name))
    except Exception:  # an unusual graph: the fix is then given in words only
        return None


def _fix_code(subject: Subject, result: dict[str, Any]) -> str:
    """A weaker prior for each variable flagged whose own prior was power-scaled, in the model's spelling;
    none without a model. A hierarchical child moves with its hyperpriors: their code is the fix."""
    variables = [v for v in dict.fromkeys(e["variable"] for e in result["flagged"]) if v in result["priors"]]
    found = [(variable, prior_of(subject.model, variable)) for variable in variables]
    return "\n".join(fixes.weaker_prior_code(variable, *prior) for variable, prior in found if prior is not None)


def _shown(flagged: list[dict[str, Any]]) -> str:
    listed = "; ".join(
        f"`{e['label']}` (prior {e['prior']:.3f}, likelihood {e['likelihood']:.3f})" for e in flagged[:SHOWN]
    )
    return listed + (f" and {len(flagged) - SHOWN} more" if len(flagged) > SHOWN else "")


def _how(result: dict[str, Any]) -> str:
    computed = f", the log densities computed from the model in {result['seconds']:.1f} s" if result["drawn"] else ""
    rough = [k for k, v in result["khat"].items() if np.isfinite(v) and v > MAX_KHAT]
    caveat = (
        f" The {' and '.join(rough)} weights have Pareto k̂ above {MAX_KHAT}: the values are rough." if rough else ""
    )
    return (
        f"Values are the CJS distance per unit of log2(alpha) between the posterior and the posterior with the "
        f"prior ({names(result['priors'])}) or the likelihood raised to the power 0.99 and 1.01, over "
        f"{result['draws']} draws{computed}.{caveat}"
    )


def _evidence(result: dict[str, Any], threshold: float) -> dict[str, Any]:
    return {
        "parameters": [
            {"label": e["label"], "prior": round(e["prior"], 4), "likelihood": round(e["likelihood"], 4)}
            for e in result["flagged"][:50]
        ],
        "count": len(result["flagged"]),
        "threshold": threshold,
        "priors_scaled": list(result["priors"]),
        "pareto_k": {k: round(v, 3) if np.isfinite(v) else None for k, v in result["khat"].items()},
        "draws": result["draws"],
        "seconds": round(result["seconds"], 2),
    }


def _priors(flagged: list[dict[str, Any]]) -> str:
    return names(dict.fromkeys(e["variable"] for e in flagged))


def _sensitivity_finding(
    subject: Subject,
    result: dict[str, Any],
    threshold: float,
    code: str,
    severity: str,
    title: str,
    message: str,
    *,
    fix: str,
) -> Finding:
    """FIT401's or FIT402's finding: the flagged elements, the measured sensitivities and the weaker priors."""
    return finding(
        code,
        severity,
        title,
        message,
        variables=tuple(e["label"] for e in result["flagged"][:20]),
        evidence=_evidence(result, threshold),
        fix=fix,
        fix_code=_fix_code(subject, result),
    )


@_rule(
    "FIT401",
    "prior-data-conflict",
    severity="warning",
    params={"sensitivity_threshold": 0.05, "conflict_warning_sensitivity": 0.25},
)
def prior_data_conflict(
    subject: Subject, sensitivity_threshold: float, conflict_warning_sensitivity: float
) -> Iterator[Finding]:
    """Prior-data conflict: parameters whose posterior moves both when the prior and when the likelihood is
    power-scaled.

    What it checks: power-scaling sensitivity (Kallioinen et al. 2024, priorsense; ArviZ's `psense`):
    the posterior draws are reweighted, by Pareto-smoothed importance sampling, as if the prior (or the
    likelihood) were raised to the power 0.99 and 1.01, and the cumulative Jensen-Shannon distance between
    each parameter's posterior and its reweighted posterior, per unit of log2(alpha), is its sensitivity.
    The log prior and log-likelihood come from the trace's `log_prior` and `log_likelihood` groups, or are
    computed from the model on a copy of the trace (then only the top-level priors are scaled, those whose
    parameters are constants, less the zero-mean offsets of non-centered hierarchies, as brms's `lprior`).
    The numbers are ArviZ 1.x's `psense`; above 4 million draws x parameter elements, every k-th draw.

    Why it matters: a posterior that is sensitive to both is a compromise between a prior and data that
    disagree: the prior says one thing, the data another, and the estimate lands between, believed by
    neither. Conclusions then depend on a prior the data contradict.

    Threshold: both sensitivities at or above `sensitivity_threshold` (default 0.05, as `psense_summary`,
    which calls it a potential conflict); a warning when a prior sensitivity reaches
    `conflict_warning_sensitivity` (default 0.25: in a Normal model whose prior and data weigh alike, a
    prior that pulls the posterior mean about three posterior sds from the data's estimate), information
    below it (a weakly informative prior that still shapes the posterior: Normal(0, 10) on the bioassay
    slope gives 0.12).

    Example: `mu = pm.Normal("mu", 10, 0.1)` for the mean of 20 observations centred at 0: the posterior
    of `mu` sits near 8, prior sensitivity 2.4 and likelihood sensitivity 2.4.

    Fix: if the prior encodes real knowledge, the data contradict it: check the data and the likelihood.
    If it was a guess, weaken it (a wider spread); the finding writes the wider prior.
    """
    result = detect_prior_sensitivity(subject, sensitivity_threshold, conflict=True)
    if result is None:
        return
    flagged = result["flagged"]
    strong = flagged[0]["prior"] >= conflict_warning_sensitivity
    yield _sensitivity_finding(
        subject,
        result,
        sensitivity_threshold,
        "FIT401",
        "warning" if strong else "info",
        f"{'Prior-data' if strong else 'Possible prior-data'} conflict on {names(e['label'] for e in flagged[:SHOWN])}",
        f"The posterior of {count(len(flagged), 'parameter')} moves both when the prior and when the likelihood "
        f"is power-scaled (sensitivity at or above {sensitivity_threshold}): {_shown(flagged)}. The prior and "
        f"the data disagree, and the estimate is a compromise between them. {_how(result)}",
        fix=f"Reconsider the prior of {_priors(flagged)}: if it encodes knowledge, the data contradict it (check "
        "the data and the likelihood); if it was a guess, use a weaker prior and refit.",
    )


@_rule("FIT402", "prior-dominated", severity="info", params={"sensitivity_threshold": 0.05})
def prior_dominated(subject: Subject, sensitivity_threshold: float) -> Iterator[Finding]:
    """Conclusions driven by the prior: parameters whose posterior moves when the prior is power-scaled but
    hardly when the likelihood is (a strong prior, a weak likelihood).

    What it checks: the power-scaling sensitivities of FIT401 (ArviZ's `psense`): prior sensitivity above
    the threshold while the likelihood sensitivity stays below it.

    Why it matters: the data barely inform these parameters; their posterior is, nearly, their prior.
    That is fine when the prior encodes real knowledge, and a problem when it was a convenience: the
    conclusions about them are then the analyst's assumption, not a finding.

    Threshold: prior sensitivity above `sensitivity_threshold` (default 0.05, as `psense_summary`) and
    likelihood sensitivity below it.

    Example: `mu = pm.Normal("mu", 0, 1)` for the mean of three observations with noise sd 20: prior
    sensitivity 0.10, likelihood sensitivity 0.03.

    Fix: state the prior as the analysis' assumption and show how conclusions change under a weaker one;
    more data (or a more informative design) for these parameters; a weaker prior if it was a guess.
    """
    result = detect_prior_sensitivity(subject, sensitivity_threshold, conflict=False)
    if result is None:
        return
    flagged = result["flagged"]
    yield _sensitivity_finding(
        subject,
        result,
        sensitivity_threshold,
        "FIT402",
        "info",
        f"The prior decides the posterior of {names(e['label'] for e in flagged[:SHOWN])}",
        f"The posterior of {count(len(flagged), 'parameter')} moves when the prior is power-scaled (sensitivity "
        f"above {sensitivity_threshold}) but hardly when the likelihood is: {_shown(flagged)}. The data barely "
        f"inform them; their conclusions are their prior's. {_how(result)}",
        fix=f"Report the prior of {_priors(flagged)} as an assumption and check how the conclusions change under "
        "a weaker prior (below), or collect more data that inform them.",
    )
