"""Findings and reports: plain data that checks produce and renderers read."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from pymc_doctor.version import __version__

Severity = Literal["error", "warning", "info"]
Category = Literal["env", "model", "sampling", "fit"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SCHEMA = "pymc-doctor/1"


@dataclass(frozen=True)
class RerunStep:
    """One step of a re-run strategy: what to try, and the code that tries it."""

    description: str
    code: str


@dataclass(frozen=True)
class PlotRequest:
    """A plot a renderer may draw for a finding or a diagnosis: ``rank``, ``trace``, ``pair``, ``funnel``,
    ``densities``, ``energy``, ``prior_predictive``, or a fit rule's ``ppc``, ``loo_pit`` or ``khat``.

    ``variables`` are element labels (``tau``, ``theta[Choate]``); for ``pair`` the first is drawn
    on the horizontal axis, divergent draws apart; ``funnel`` draws every element of its second, a
    variable name (``theta``), over its first, a scale; ``densities`` draws each chain's density of
    each element.

    ``data`` holds the few arrays a plot draws that the trace does not (a fit rule's replicates, PIT
    values, k̂): for the HTML report only, never written to JSON or Markdown.
    """

    kind: str
    variables: tuple[str, ...] = ()
    title: str = ""
    data: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Finding:
    """One problem (or note) found by one check.

    ``message`` says what is wrong; ``outlook``, a sentence apart, what a longer run would bring (about
    how many draws would reach the threshold): advice about the symptom, which a diagnosis that explains
    the finding drops. Reports show them together (``text``), and so does the JSON's ``message``.
    """

    code: str
    severity: Severity
    category: Category
    title: str
    message: str
    variables: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""
    fix_code: str = ""
    rerun: tuple[RerunStep, ...] = ()
    docs: str = ""
    plots: tuple[PlotRequest, ...] = ()
    outlook: str = ""

    @property
    def text(self) -> str:
        """The message and its outlook, as a report shows them."""
        return f"{self.message} {self.outlook}" if self.outlook else self.message

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["message"] = self.text
        data["variables"] = list(self.variables)
        data["rerun"] = [dataclasses.asdict(step) for step in self.rerun]
        data["plots"] = [{"kind": p.kind, "variables": list(p.variables), "title": p.title} for p in self.plots]
        return data


Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class PlanStep:
    """One step of a report's treatment plan: what to do, as code in the user's names.

    ``addresses`` are the codes of the diagnoses it treats; ``lasting`` marks a fix of the cause
    (a rewrite) rather than a setting that eases a symptom. ``cost`` orders the plan, cheap first.
    ``action`` says, as data, what ``treat`` applies to a copy of the model (``{"kind": "sample",
    "kwargs": {...}}``, ``{"kind": "noncentered", ...}``); None for a step only a person can take.
    """

    description: str
    code: str
    addresses: tuple[str, ...] = ()
    lasting: bool = False
    cost: int = 0
    action: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "code": self.code,
            "addresses": list(self.addresses),
            "lasting": self.lasting,
        }


@dataclass(frozen=True)
class Diagnosis:
    """A cause that explains several findings: a funnel, multimodality, a ridge, failed adaptation..."""

    code: str
    name: str
    title: str
    cause: str
    variables: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    findings: tuple[str, ...] = ()  # the codes of the findings it explains
    confidence: Confidence = "medium"
    steps: tuple[PlanStep, ...] = ()
    plots: tuple[PlotRequest, ...] = ()  # what shows the cause, for the HTML report; not in a diagnosis' JSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "title": self.title,
            "cause": self.cause,
            "variables": list(self.variables),
            "evidence": self.evidence,
            "findings": list(self.findings),
            "confidence": self.confidence,
        }


Outcome = Literal["cured", "improved", "not cured", "nothing to apply"]


@dataclass(frozen=True)
class TreatmentStep:
    """One plan step that ``treat`` applied to a copy of the model, and what re-sampling showed.

    ``before`` and ``after`` hold the symptoms (``divergences``, ``max_rhat``, ``min_ess_bulk``,
    ``min_ebfmi``, ``diagnoses``) of the run before this step and of the run with it; ``error``
    says why the step could not be applied or sampled; ``sampler`` names the sampler of the run with
    it as its statistics show it (``metropolis``, ``pymc-nuts``, ``compound``, as ``TraceView.sampler``).
    """

    description: str
    code: str
    before: dict[str, Any]
    after: dict[str, Any]
    seconds: float
    cured: bool
    error: str = ""
    sampler: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Treatment:
    """What ``treat`` tried, in order, and the outcome; ``by_hand`` lists what only a person can change."""

    steps: tuple[TreatmentStep, ...]
    outcome: Outcome
    by_hand: tuple[str, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": [step.to_dict() for step in self.steps],
            "outcome": self.outcome,
            "by_hand": list(self.by_hand),
            "note": self.note,
        }


def finding_builder(category: Category):
    """A function that builds the findings of one rule family: its category, and the rule's code as its page."""

    def build(code: str, severity: Severity, title: str, message: str, **fields: Any) -> Finding:
        return Finding(
            code=code, severity=severity, category=category, title=title, message=message, docs=code, **fields
        )

    return build


@dataclass(frozen=True)
class SkippedCheck:
    code: str
    name: str
    reason: str


def _printable(text: str) -> str:
    """``text`` with what would drive a terminal (escape sequences, newlines) shown escaped."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


@dataclass
class Report:
    """Everything one doctor run found, with what it could and could not check."""

    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    checks_skipped: list[SkippedCheck] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    plan: list[PlanStep] = field(default_factory=list)
    treatment: Treatment | None = None
    # The normalized trace the findings came from, for renderers that draw plots; never serialized.
    trace: Any = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        """A short summary for a plain REPL: the verdict, then one line per diagnosis and per finding."""
        lines = [f"<pymc-doctor Report: {self.verdict()}"]
        lines += [f"  {d.code} {_printable(d.title)}" for d in self.diagnoses]
        lines += [f"  {f.severity} {f.code} {_printable(f.title)}" for f in self.findings]
        return "\n".join(lines) + ">"

    def by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 1 if self.has_errors else 0

    def counts(self) -> dict[str, int]:
        return {severity: len(self.by_severity(severity)) for severity in SEVERITIES}

    def verdict(self) -> str:
        counts = self.counts()
        if not self.findings:
            return f"No problems found ({len(self.checks_run)} checks ran)."
        parts = [
            f"{counts[severity]} {label}{'' if counts[severity] == 1 else 's'}"
            for severity, label in (("error", "error"), ("warning", "warning"), ("info", "note"))
            if counts[severity]
        ]
        return ", ".join(parts) + f" ({len(self.checks_run)} checks ran)."

    def redacted(self, redactor=None) -> Report:
        """A copy safe to post publicly: no home directory, user or host name, or secret values."""
        from pymc_doctor.redact import Redactor

        redactor = redactor or Redactor.from_environment()
        return dataclasses.replace(
            self,
            findings=redactor.value(self.findings),
            checks_skipped=redactor.value(self.checks_skipped),
            context=redactor.value(self.context),
            diagnoses=redactor.value(self.diagnoses),
            plan=redactor.value(self.plan),
            treatment=redactor.value(self.treatment),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tool": {"name": "pymc-doctor", "version": __version__},
            "context": self.context,
            "verdict": self.verdict(),
            "counts": self.counts(),
            "diagnoses": [d.to_dict() for d in self.diagnoses],
            "plan": [step.to_dict() for step in self.plan],
            "findings": [f.to_dict() for f in self.findings],
            "checks_run": list(self.checks_run),
            "checks_skipped": [dataclasses.asdict(s) for s in self.checks_skipped],
            **({"treatment": self.treatment.to_dict()} if self.treatment else {}),
        }
