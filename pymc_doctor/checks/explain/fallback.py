"""The error no other explain rule recognizes: say so, with its type, message and the user's line."""

from __future__ import annotations

from collections.abc import Iterator

from pymc_doctor.finding import Finding, finding_builder
from pymc_doctor.registry import RULES, rule_family
from pymc_doctor.subject import Subject

_finding = finding_builder("model")
_rule = rule_family("model", needs=("error",))
FALLBACK = "EXP100"


def recognizers_of(subject: Subject) -> list[str]:
    """The codes of the other error rules that explain the subject's error.

    Every registered rule that reads an error is asked, so a recognizer added anywhere counts
    without a change here.
    """
    codes = []
    for other in RULES.values():
        if other.code == FALLBACK or "error" not in other.needs:
            continue
        try:
            if any(True for _ in other.function(subject, **other.params)):
                codes.append(other.code)
        except Exception:  # the runner reports a broken recognizer on its own; it explains nothing
            continue
    return codes


@_rule(FALLBACK, "unrecognized-error", severity="info")
def unrecognized_error(subject: Subject) -> Iterator[Finding]:
    """An error no other EXP rule recognizes.

    What it checks: nothing; it runs only when no other `EXP` rule matched, and reports the
    error's type, message and the line in the user's code.

    Why it matters: saying "not recognized" is better than silence: the next step is the
    model's own lint and the community.

    Threshold: no other rule matched.

    Example: an exception from the user's own code.

    Fix: lint the model (`pymc_doctor.lint(model)`), and ask on discourse.pymc.io with the
    Markdown report (`pymc-doctor check script.py --share`).
    """
    if recognizers_of(subject):
        return
    error = subject.error
    first = error.message.strip().splitlines()[0][:300] if error.message.strip() else "(no message)"
    yield _finding(
        FALLBACK,
        "info",
        f"Unrecognized error: {error.kind or 'unknown type'}",
        f"pymc-doctor does not recognize `{error.kind}: {first}`{error.at()}.",
        evidence={"type": error.kind},
        fix="Lint the model, and ask on discourse.pymc.io with the report if the cause stays unclear.",
        fix_code="import pymc_doctor\n\npymc_doctor.lint(model).show()",
    )
