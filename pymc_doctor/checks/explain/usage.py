"""Errors of how the model is written: a variable outside any model, a name used twice, an API
that PyMC has removed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pymc_doctor.errortext import ErrorText
from pymc_doctor.finding import Finding, finding_builder
from pymc_doctor.registry import rule_family
from pymc_doctor.subject import Subject

_finding = finding_builder("model")
_rule = rule_family("model", needs=("error",))


def outside_model(error: ErrorText) -> str | None:
    """The wording of PyMC's error for a variable or a sampler call outside any model, or None."""
    match = error.has(r"No (?:model|context) on (?:the )?context stack")
    return match.group(0) if match else None


@_rule("EXP113", "no-model-context", severity="error")
def no_model_context(subject: Subject) -> Iterator[Finding]:
    """A variable created, or a sampler called, outside a `with model:` block.

    What it checks: PyMC's "No model on context stack" (PyMC3: "No context on context stack").

    Why it matters: a distribution called with a name (`pm.Normal("x", 0, 1)`) adds a variable
    to the model of the enclosing `with` block; outside one there is no model to add it to. The
    same holds for `pm.sample`, `pm.sample_posterior_predictive` and step methods such as
    `pm.NUTS()`. A line that lost its indentation after the `with` block is the usual cause.

    Threshold: the error text.

    Example: `pm.Deterministic("diff", a - b)` on the line after the `with pm.Model():` block.

    Fix: indent the line into the `with model:` block, pass `model=model`, or use
    `pm.Normal.dist(0, 1)` for a distribution that belongs to no model.
    """
    if outside_model(subject.error) is None:
        return
    yield _finding(
        "EXP113",
        "error",
        "No model to add to: outside a `with model:` block",
        (
            f"A PyMC variable or sampler call ran outside any `with model:` block{subject.error.at()}. Named "
            "distributions, Deterministic, Potential, pm.sample and step methods need the model they belong to."
        ),
        evidence={"wording": outside_model(subject.error)},
        fix="Move the line inside the `with model:` block (or re-enter it); use `.dist` for a standalone distribution.",
        fix_code=(
            "with model:  # the model the variable belongs to\n"
            '    diff = pm.Deterministic("diff", a - b)\n'
            "    idata = pm.sample()\n"
            "\n"
            "standalone = pm.Normal.dist(0, 1)  # a distribution outside any model: no name, no `with`"
        ),
    )


def duplicate_name(error: ErrorText) -> dict[str, str] | None:
    """The variable name PyMC found twice in one model, or None."""
    # The message, not the whole text: a traceback's source lines show PyMC's own f-string.
    match = re.search(r"Variable name (.+?) already exists", error.message)
    return {"name": match.group(1).strip("'\"`")} if match else None


@_rule("EXP114", "duplicate-name", severity="error")
def duplicate_variable_name(subject: Subject) -> Iterator[Finding]:
    """Two variables of one model with the same name.

    What it checks: PyMC's "Variable name x already exists".

    Why it matters: names key the trace, so PyMC refuses a second variable of the same name. It
    happens when a helper function that builds variables runs twice, and in notebooks when a
    cell that adds variables to an existing model runs again.

    Threshold: the error text.

    Example: `pm.Normal("x")` twice in one `with pm.Model():` block.

    Fix: give each variable its own name (a prefix argument for a helper that builds several), or
    build the model in one cell, from `with pm.Model() as model:`, and re-run that cell whole.
    """
    found = duplicate_name(subject.error)
    if found is None:
        return
    yield _finding(
        "EXP114",
        "error",
        f"Variable name `{found['name']}` used twice",
        (
            f"The model already has a variable named `{found['name']}`{subject.error.at()}. A helper that "
            "creates variables called twice, or a notebook cell run again on the same model, are the usual causes."
        ),
        evidence=found,
        fix="Give each variable its own name, or rebuild the model from scratch rather than adding to it.",
        fix_code=(
            "def group_effect(prefix, size):  # a helper called twice: its names take a prefix\n"
            '    return pm.Normal(f"{prefix}_effect", 0, 1, shape=size)\n'
            "\n"
            "with pm.Model() as model:  # in a notebook: re-run this whole cell, not a part of it\n"
            '    a = group_effect("school", 8)\n'
            '    b = group_effect("district", 3)'
        ),
    )


# Names PyMC removed (since PyMC 4 or 5.16), and what replaces each.
REMOVED = {
    "MutableData": ("pm.Data", 'x = pm.Data("x", x_values)  # every pm.Data can be changed with pm.set_data'),
    "ConstantData": ("pm.Data", 'x = pm.Data("x", x_values)'),
    "sample_ppc": ("pm.sample_posterior_predictive", "ppc = pm.sample_posterior_predictive(idata)"),
    "traceplot": ("az.plot_trace", "import arviz as az\n\naz.plot_trace(idata)"),
    "sd": ("sigma=", 'y = pm.Normal("y", mu=0, sigma=1)'),
    "testval": ("initval=", 'x = pm.Normal("x", 0, 1, initval=0.5)'),
}
_REMOVED = (
    re.compile(r"module 'pymc' has no attribute '(\w+)'"),
    re.compile(r"unexpected keyword argument '(\w+)'"),
)


def removed_api(error: ErrorText) -> str | None:
    """The removed PyMC name the error is about, or None."""
    for pattern in _REMOVED:
        match = pattern.search(error.message)
        if match and match.group(1) in REMOVED:
            return match.group(1)
    return None


@_rule("EXP115", "removed-api", severity="error")
def removed_pymc_api(subject: Subject) -> Iterator[Finding]:
    """Code written for an older PyMC, calling a name PyMC has removed.

    What it checks: "module 'pymc' has no attribute 'MutableData'" (or `ConstantData`,
    `sample_ppc`, `traceplot`), and "unexpected keyword argument 'sd'" (or `testval`).

    Why it matters: tutorials and answers written for PyMC3 or early PyMC 5 still use them.
    `pm.MutableData` and `pm.ConstantData` were removed after PyMC 5.16 (every `pm.Data` is
    mutable now); `sd=` became `sigma=` and `testval=` became `initval=` in PyMC 4; plots moved
    to ArviZ.

    Threshold: the error text names one of these.

    Example: `pm.MutableData("x", x)` on PyMC 5.26.

    Fix: the current name: `pm.Data`, `sigma=`, `initval=`, `pm.sample_posterior_predictive`,
    `az.plot_trace`.
    """
    name = removed_api(subject.error)
    if name is None:
        return
    replacement, code = REMOVED[name]
    yield _finding(
        "EXP115",
        "error",
        f"`{name}` was removed from PyMC: use `{replacement}`",
        (
            f"This code calls `{name}`{subject.error.at()}, which the installed PyMC no longer has: it was "
            f"written for an older release. Its replacement is `{replacement}`."
        ),
        evidence={"removed": name, "replacement": replacement},
        fix=f"Replace `{name}` with `{replacement}`.",
        fix_code=code,
    )
