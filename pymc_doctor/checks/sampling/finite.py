"""SMP401: draws that are not finite (NaN, +inf, -inf), which every other statistic of a variable rests on."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from pymc_doctor.finding import Finding, finding_builder
from pymc_doctor.registry import rule_family
from pymc_doctor.spelling import posterior_access
from pymc_doctor.subject import Subject
from pymc_doctor.trace import TraceView
from pymc_doctor.wording import count, names

_finding = finding_builder("sampling")
_rule = rule_family("sampling", needs=("trace",))
# What the other checks leave out for an element with a draw that is not finite, as SMP401 says it.
LEFT_OUT = (
    "R-hat, ESS and MCSE (SMP201, SMP203, SMP204), the modes of the chains (SMP202) and where divergences sit (SMP101)"
)

_SCANNED: weakref.WeakKeyDictionary[TraceView, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()


def _scan(trace: TraceView, name: str) -> dict[str, Any] | None:
    """For one variable: which elements hold a draw that is not finite, the share of draws (a draw: one
    chain and iteration) with such a value, and how many values are NaN, +inf and -inf; None when all are finite."""
    finite_elements: list[np.ndarray] = []
    bad_draws = np.zeros((trace.chains, trace.draws), dtype=bool)
    kinds = {"nan": 0, "+inf": 0, "-inf": 0}
    for _, _, values in trace.draw_blocks([name]):
        finite = np.isfinite(values)
        finite_elements.append(finite.all(axis=(0, 1)))
        if finite.all():
            continue
        bad_draws |= ~finite.all(axis=2)
        kinds["nan"] += int(np.isnan(values).sum())
        kinds["+inf"] += int(np.isposinf(values).sum())
        kinds["-inf"] += int(np.isneginf(values).sum())
    elements = np.concatenate(finite_elements)
    if elements.all():
        return None
    return {
        "finite_elements": elements,
        "share": float(bad_draws.mean()),
        "values": {kind: number for kind, number in kinds.items() if number},
    }


def nonfinite_draws(trace: TraceView) -> dict[str, dict[str, Any]]:
    """The variables with a draw that is not finite: for each, ``finite_elements`` (a bool per flattened
    element), ``share`` (of the draws holding such a value) and ``values`` (counts of NaN, +inf and -inf).
    Scanned once per trace, a block at a time, and shared by the checks that must leave such elements out."""
    if trace not in _SCANNED:
        scanned = {name: _scan(trace, name) for name in trace.variable_names()}
        _SCANNED[trace] = {name: found for name, found in scanned.items() if found is not None}
    return _SCANNED[trace]


def finite_labels(trace: TraceView) -> set[str] | None:
    """The element labels whose draws are all finite, or None when every element's are."""
    found = nonfinite_draws(trace)
    if not found:
        return None
    labels = set()
    for name in trace.variable_names():
        element_labels = trace.element_labels(name)
        if name in found:
            keep = found[name]["finite_elements"]
            labels.update(label for label, finite in zip(element_labels, keep, strict=True) if finite)
        else:
            labels.update(element_labels)
    return labels


def _described(name: str, found: dict[str, Any], elements: int) -> str:
    bad = int((~found["finite_elements"]).sum())
    what = " and ".join(f"{number:,} {kind}" for kind, number in found["values"].items())
    where = "all its elements" if bad == elements else f"{bad} of its {elements} elements"
    return f"`{name}`: {found['share']:.1%} of draws ({what}, in {where})"


@_rule("SMP401", "nonfinite-draws", severity="error")
def nonfinite(subject: Subject) -> Iterator[Finding]:
    """Draws that are not finite: NaN, +inf or -inf in the posterior.

    What it checks: every draw of every posterior variable, for NaN and infinite values; per
    variable, the share of draws (one chain and iteration) that hold one, and in which elements.

    Why it matters: a posterior is a set of numbers; a NaN or an infinity is none. Means,
    intervals, R-hat and ESS of such a variable are undefined or wrong, and the other checks
    cannot vouch for it: R-hat, ESS and MCSE (SMP201, SMP203, SMP204), the modes of the chains
    (SMP202) and where divergences sit (SMP101) leave those elements out, and say nothing about
    them. Causes: a deterministic that overflows or divides by zero (``exp`` of a large value,
    ``log`` of 0), a sampler or backend failure, or a trace written or edited wrongly.

    Threshold: any draw that is not finite is an error.

    Example: a trace whose `theta` draws are all NaN, or whose `tau` holds +inf in 2% of draws.

    Fix: find where the values stop being finite (the code shows the share of finite draws per
    chain and element); compute the deterministic on the log scale or guard it, or sample again
    and write the trace anew.
    """
    trace = subject.trace
    found = nonfinite_draws(trace)
    if not found:
        return
    shown = [_described(name, info, len(info["finite_elements"])) for name, info in found.items()]
    check_code = (
        "import numpy as np\n\n"
        f"finite = np.isfinite({posterior_access(next(iter(found)))})\n"
        'print(finite.mean("draw"))  # the share of finite draws, per chain and element'
    )
    yield _finding(
        "SMP401",
        "error",
        f"Draws that are not finite in {count(len(found), 'variable')}",
        (
            f"{'; '.join(shown[:5])}{'; …' if len(shown) > 5 else ''}. These values are no draws from a "
            f"posterior: the statistics of {names(found)} are undefined, and {LEFT_OUT} leave those elements out."
        ),
        variables=tuple(found),
        evidence={
            name: {"share_of_draws": round(info["share"], 4), "values": info["values"]} for name, info in found.items()
        },
        fix="Find where the values stop being finite: a deterministic that overflows or divides by zero (compute "
        "it on the log scale, or guard it), or a trace written or edited wrongly; then sample again.",
        fix_code=check_code,
    )
