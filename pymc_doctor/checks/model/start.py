"""The starting point: terms whose log-probability is not finite where the sampler starts (MOD201)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from pymc_doctor.checks.model.common import finding, labels_of, model_facts, model_rule, shown_values
from pymc_doctor.checks.model.dims import dims_mismatches
from pymc_doctor.finding import Finding
from pymc_doctor.modelgraph import ModelFacts, dist_params
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import sample_call
from pymc_doctor.remedies.model import debug_code
from pymc_doctor.subject import Subject
from pymc_doctor.wording import names

JITTER_SEED = 20261125


def _why_nonfinite(f: ModelFacts, rv, point: dict, bad: np.ndarray) -> str:
    """Why a term is not finite: PyMC's own parameter check (as ``model.debug`` reports it), a
    parameter that is itself NaN or infinite there, or values outside the distribution's support."""
    from pymc.logprob.utils import ParameterValueError

    params = dist_params(rv)
    labels = labels_of(rv, len(params))
    values = f.evaluate(params, point)
    try:
        f.check_term(rv, point)
    except ParameterValueError as exc:
        shown = "; ".join(f"{n} = {shown_values(v, 3)}" for n, v in zip(labels, values, strict=True))
        return f"its parameters break PyMC's check `{str(exc).splitlines()[0]}` ({shown})"
    except Exception as exc:
        return f"it cannot be evaluated ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    for label, value in zip(labels, values, strict=True):
        value = np.asarray(value, dtype=float)
        if value.size and not np.isfinite(value).all():
            where = np.broadcast_to(value, bad.shape)[bad] if value.ndim else value
            shown = shown_values(where[~np.isfinite(where)], 1)
            return f"its `{label}` is {shown} there (NaN or inf in the data it is built from)"
    if rv in f.model.observed_RVs:
        return "those observed values lie outside the support of its distribution"
    return "its starting value lies outside the support of its distribution"


def nonfinite_terms(f: ModelFacts) -> list[dict[str, Any]]:
    """Each term whose log-probability is not finite at the initial point: how many elements, the values
    there, and why."""
    model, point = f.model, f.initial_point
    failing = []
    for index, (rv, value) in enumerate(zip(f.terms, f.start_logps, strict=True)):
        bad = ~np.isfinite(value)
        if not bad.any():
            continue
        name = rv.name or f"potential {index}"
        detail: dict[str, Any] = {"term": name, "nonfinite": int(bad.sum()), "size": int(bad.size)}
        if rv in model.observed_RVs:
            observed = np.broadcast_to(f.observed_values[name], bad.shape)
            detail["observed_values"] = np.unique(observed[bad])[:5].tolist()
        elif rv in model.free_RVs:
            detail["start"] = shown_values(f.start_values[name])
        detail["value"] = "nan" if np.isnan(value).any() else "-inf"
        detail["why"] = _why_nonfinite(f, rv, point, bad) if rv in model.basic_RVs else "the potential is not finite"
        failing.append(detail)
    return failing


def jittered_failures(f: ModelFacts, starts: int) -> int:
    """Of ``starts`` seeded starts jittered as ``pm.sample`` jitters them (continuous variables only,
    uniform in [-1, 1] on the sampler's scale), how many have a non-finite log-probability."""
    rng = np.random.default_rng(JITTER_SEED)
    failures = 0
    for _ in range(starts):
        jittered = {
            k: v + rng.uniform(-1, 1, size=np.shape(v)) if np.issubdtype(np.asarray(v).dtype, np.floating) else v
            for k, v in f.initial_point.items()
        }
        if not np.isfinite(sum(float(np.sum(logp)) for logp in f.logp_terms(jittered))):
            failures += 1
    return failures


def _term_sentence(item: dict[str, Any]) -> str:
    where = f"{item['nonfinite']} of {item['size']} elements" if item["size"] > 1 else "its value"
    extra = ""
    if "observed_values" in item:
        extra = f" (observed values {shown_values(np.asarray(item['observed_values']))})"
    elif "start" in item:
        extra = f" (starting at {item['start']})"
    return f"`{item['term']}` is {item['value']} for {where}{extra}: {item['why']}"


@model_rule("MOD201", "initial-point", severity="error", params={"jitter_starts": 8})
def initial_point(subject: Subject, jitter_starts: int) -> Iterator[Finding]:
    """Terms whose log-probability is -inf or nan at the starting point.

    What it checks: the log-probability of every free, observed and potential term at the model's
    initial point, element by element, and why a term fails (PyMC's own parameter check, such as
    `sigma > 0`, or observed values outside the distribution's support); then the total at
    `jitter_starts` seeded starts jittered as `pm.sample` jitters them (uniform in [-1, 1] on the
    sampler's scale).

    Why it matters: a non-finite term stops `pm.sample` with "Initial evaluation of model at
    starting point failed!" or "Bad initial energy", after compilation and with little
    explanation; jittered starts that fail make some chains fail at random.

    Threshold: any non-finite term at the initial point (error); half or more of the jittered
    starts non-finite (warning).

    Example: a Poisson likelihood observing a negative count; `sigma = pm.Normal("sigma", 0, 1)`,
    which starts at 0.

    When the evaluation fails because a variable's values do not fit the shape its dims give,
    the check is skipped with that reason: MOD401 reports the mismatch.

    Fix: correct the data or the prior the message names; `model.debug()` prints the details.
    """
    f = model_facts(subject)
    try:
        yield from _initial_point_findings(f, jitter_starts)
    except Exception as exc:
        mismatched = [found.name for found in dims_mismatches(f)]
        if not mismatched:
            raise
        # the values do not fit the shapes their dims give: MOD401 names them, evaluating here cannot
        verb = "disagrees with its dims" if len(mismatched) == 1 else "disagree with their dims"
        raise CannotCheck(
            f"{names(mismatched)} {verb} (see MOD401), so the starting point cannot be evaluated ({type(exc).__name__})"
        ) from exc


def _initial_point_findings(f: ModelFacts, jitter_starts: int) -> Iterator[Finding]:
    if f.start_error:
        yield finding(
            "MOD201",
            "error",
            "The model cannot be evaluated at its starting point",
            f"Computing the initial point or the log-probability there raised {f.start_error}.",
            evidence={"exception": f.start_error.split(":", 1)[0]},
            fix="Fix that error first: the other findings (shapes, indices, dims) usually name the variable; "
            "`model.debug()` evaluates each term alone.",
            fix_code=debug_code(verbose=True),
        )
        return
    failing = nonfinite_terms(f)
    if failing:
        yield finding(
            "MOD201",
            "error",
            f"Non-finite log-probability at the starting point: {names([i['term'] for i in failing])}",
            "At the initial point " + "; ".join(map(_term_sentence, failing)) + ". `pm.sample` would stop with "
            '"Initial evaluation of model at starting point failed!" or "Bad initial energy".',
            variables=tuple(i["term"] for i in failing),
            evidence={"terms": failing},
            fix="Correct the data or the prior named above; a scale that starts at or below zero needs a "
            "positive prior (see MOD101).",
            fix_code=debug_code(verbose=False),
        )
        return
    failures = jittered_failures(f, jitter_starts)
    if jitter_starts and failures * 2 >= jitter_starts:
        yield finding(
            "MOD201",
            "warning",
            "Jittered starting points fail",
            (
                f"The initial point is fine, but {failures} of {jitter_starts} starts jittered as `pm.sample` "
                "jitters them have a non-finite log-probability: chains may fail to start."
            ),
            evidence={"jittered_failures": failures, "jitter_starts": jitter_starts},
            fix="Start without jitter, or fix the prior whose support the jitter leaves.",
            fix_code=sample_call(None, init="adapt_diag"),
        )
