"""The diagnosis registry: each cause is a unit with a code, a name, a detector and a writer.

The writer's docstring is the diagnosis page (What it means / Evidence / Treatment), as a rule's
docstring is its rule page.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymc_doctor.finding import Confidence, Diagnosis, Finding, PlanStep, PlotRequest
from pymc_doctor.subject import Subject
from pymc_doctor.wording import join_and


@dataclass(frozen=True)
class Evidence:
    """What a detector found: the findings the cause explains and what it measured (JSON-ready)."""

    findings: tuple[Finding, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    variables: tuple[str, ...] = ()

    @property
    def codes(self) -> list[str]:
        """The codes of the findings explained, each once, in code order (whatever order the rules ran in)."""
        return sorted({f.code for f in self.findings})

    def diagnosis(
        self,
        *,
        title: str,
        cause: str,
        steps: Sequence[PlanStep],
        confidence: Confidence | None = None,
        plots: Sequence[PlotRequest] = (),
    ) -> Diagnosis:
        """The diagnosis of this evidence, with the plots that show its cause; the registry stamps its
        code and name (``Unit.diagnose``). Unless the writer judges otherwise, the confidence is high
        when two findings or more agree on the cause, and medium on one."""
        return Diagnosis(
            code="",
            name="",
            title=title,
            cause=f"{cause} It explains {join_and(self.codes)}.",
            variables=self.variables,
            evidence=self.facts,
            findings=tuple(self.codes),
            confidence=confidence or ("high" if len(self.findings) >= 2 else "medium"),
            steps=tuple(steps),
            plots=tuple(plots),
        )


Detector = Callable[[Sequence[Finding], Subject], Evidence | None]
Writer = Callable[[Evidence, Subject], Diagnosis]


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    precedence: int
    detect: Detector = field(repr=False, compare=False)
    write: Writer = field(repr=False, compare=False)

    @property
    def page(self) -> str:
        return inspect.cleandoc(self.write.__doc__ or "")

    def diagnose(self, evidence: Evidence, subject: Subject) -> Diagnosis:
        written = self.write(evidence, subject)
        steps = tuple(dataclasses.replace(step, addresses=(self.code,)) for step in written.steps)
        return dataclasses.replace(written, code=self.code, name=self.name, steps=steps)


UNITS: dict[str, Unit] = {}


def diagnosis(code: str, name: str, *, detect: Detector, precedence: int) -> Callable[[Writer], Writer]:
    """Register a diagnosis: ``detect`` finds its evidence among the findings not yet explained.

    Units run by ``precedence``, lowest first: a more specific cause claims its findings before a
    broader one can (label switching before multimodality, a funnel before failed adaptation).
    """

    def register(write: Writer) -> Writer:
        if code in UNITS:
            raise ValueError(f"diagnosis code {code} registered twice")
        if any(existing.name == name for existing in UNITS.values()):
            raise ValueError(f"diagnosis name {name} registered twice")
        UNITS[code] = Unit(code, name, precedence, detect, write)
        return write

    return register
