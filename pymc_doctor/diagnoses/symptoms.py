"""Reading the findings a diagnosis explains: by code, and by the variables they name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pymc_doctor.finding import Finding

# R-hat, ESS and Monte Carlo error: what any slow or split exploration shows, whatever its cause.
CONVERGENCE = ("SMP201", "SMP203", "SMP204")


def of(findings: Sequence[Finding], *codes: str) -> list[Finding]:
    return [f for f in findings if f.code in codes]


def first(findings: Sequence[Finding], code: str) -> Finding | None:
    return next((f for f in findings if f.code == code), None)


def base(label: str) -> str:
    """The variable an element label belongs to: ``theta`` for ``theta[Choate]``."""
    return label.split("[", 1)[0]


def worst_among(finding: Finding, names: Iterable[str]) -> bool:
    """Whether the finding's worst element (the first it names) belongs to one of the variables ``names``."""
    return bool(finding.variables) and base(finding.variables[0]) in set(names)


def convergence_about(findings: Sequence[Finding], names: Iterable[str]) -> list[Finding]:
    """The R-hat, ESS and MCSE findings whose worst element belongs to one of the variables ``names``."""
    names = set(names)
    return [f for f in of(findings, *CONVERGENCE) if worst_among(f, names)]


def divergences_at(findings: Sequence[Finding], names: Iterable[str]) -> Finding | None:
    """The divergence finding, when the element its divergences sit furthest from the rest belongs to ``names``."""
    divergences = first(findings, "SMP101")
    return divergences if divergences is not None and worst_among(divergences, names) else None
