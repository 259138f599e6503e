"""Errors at the start of sampling: a log-probability that is not finite where a chain begins."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pymc_doctor.errortext import ErrorText
from pymc_doctor.finding import Finding, finding_builder
from pymc_doctor.registry import rule_family
from pymc_doctor.subject import Subject

_finding = finding_builder("model")
_rule = rule_family("model", needs=("error",))


def failed_start(error: ErrorText) -> dict[str, Any] | None:
    """The terms whose log-probability is not finite at the starting point, and the starting values."""
    if not error.has(r"Initial evaluation of model at starting point failed"):
        return None
    results = error.text.split("Logp initial evaluation results", 1)[-1]
    failing = re.findall(r"'([^']+)':\s*(?:np\.float\d+\()?(-inf|inf|nan)", results)
    starts = re.findall(r"'([^']+)':\s*array\(([^)]*)\)", error.text.split("Logp initial evaluation", 1)[0])
    return {"terms": dict(failing), "start": {name: value.strip() for name, value in starts}}


@_rule("EXP102", "start-failed", severity="error")
def start_failed(subject: Subject) -> Iterator[Finding]:
    """The starting point failed: "Initial evaluation of model at starting point failed!".

    What it checks: PyMC's `SamplingError` raised when a term's log-probability is -inf or nan at
    the starting point; the terms and starting values are read from the message.

    Why it matters: the message names the term but not why: an observed value outside the
    likelihood's support (a negative count, a proportion of 1.2), a parameter that starts at an
    invalid value (a scale at 0 from a `Normal` prior), NaN in the data.

    Threshold: the error text.

    Example: `pm.Poisson("y", lam, observed=[1, -2, 3])`.

    Fix: `model.debug()` prints the parameters behind each failing term; `pymc_doctor.lint(model)`
    names the cause (MOD201, MOD101, MOD306).
    """
    found = failed_start(subject.error)
    if found is None:
        return
    terms = found["terms"]
    named = ", ".join(f"`{term}` ({value})" for term, value in terms.items()) or "some terms"
    yield _finding(
        "EXP102",
        "error",
        f"Starting point failed: {', '.join(f'`{t}`' for t in terms) or 'non-finite log-probability'}",
        (
            f"At the starting point the log-probability of {named} is not finite. For an observed variable, "
            "some data lie outside its distribution's support (a negative count, a value above 1 for a "
            "probability) or are NaN; for a parameter, its prior lets it start where another term is invalid "
            "(a scale at or below 0)."
        ),
        variables=tuple(terms),
        evidence=found,
        fix="Find the cause with model.debug() or pymc_doctor.lint(model), then fix that data or prior.",
        fix_code="model.debug(verbose=True)\n\nimport pymc_doctor\n\npymc_doctor.lint(model).show()",
    )


def bad_initial_energy(error: ErrorText) -> dict[str, str | None] | None:
    """NUTS's "Bad initial energy", with the terms it lists (None when it lists none)."""
    if not error.has(r"Bad initial energy"):
        return None
    values = re.search(r"very small:\s*\\?n?\s*\[([^\]]*)\]", error.text)
    return {"terms": values.group(1).strip() if values else None}


@_rule("EXP103", "bad-energy", severity="error")
def bad_energy(subject: Subject) -> Iterator[Finding]:
    """A chain started where the log-probability is not finite: "Bad initial energy".

    What it checks: NUTS's `SamplingError` when the energy at a chain's start is not finite.

    Why it matters: some chain started (after jitter) where the log-probability is -inf or nan,
    typically a prior that allows values another term forbids (a `Normal` prior on a scale), data
    outside the likelihood's support, or extreme priors that overflow.

    Threshold: the error text.

    Example: `sigma = pm.Normal("sigma", 0, 1)` as the scale of a likelihood.

    Fix: priors with the right support (HalfNormal for scales, Beta for probabilities); then, if
    needed, start without jitter (`init="adapt_diag"`).
    """
    found = bad_initial_energy(subject.error)
    if found is None:
        return
    yield _finding(
        "EXP103",
        "error",
        "Bad initial energy",
        (
            "A chain started where the log-probability is not finite"
            + (f" (terms: {found['terms']})" if found["terms"] is not None else "")
            + ". Usually a prior allows values that another term forbids (a Normal prior on a scale), or "
            "data lie outside the likelihood's support."
        ),
        evidence=found,
        fix="Give scales and probabilities priors with the right support; then retry without jitter.",
        fix_code=(
            "import pymc_doctor\n\npymc_doctor.lint(model).show()  # names the prior (MOD101, MOD102, MOD201)\n"
            'with model:\n    idata = pm.sample(init="adapt_diag")'
        ),
    )
