"""Findings and reports: plain data that checks produce and renderers read."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Category = Literal["env", "model", "sampling"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SCHEMA = "pymc-doctor/1"


@dataclass(frozen=True)
class RerunStep:
    """One step of a re-run strategy: what to try, and the code that tries it."""

    description: str
    code: str


@dataclass(frozen=True)
class Finding:
    """One problem (or note) found by one check."""

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

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["variables"] = list(self.variables)
        data["rerun"] = [dataclasses.asdict(step) for step in self.rerun]
        return data


@dataclass(frozen=True)
class SkippedCheck:
    code: str
    name: str
    reason: str


@dataclass
class Report:
    """Everything one doctor run found, with what it could and could not check."""

    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    checks_skipped: list[SkippedCheck] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

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

    def to_json(self) -> str:
        from pymc_doctor.reports.json import render_json

        return render_json(self)

    def show(self) -> None:
        """Print the terminal form."""
        from pymc_doctor.reports.terminal import render_terminal

        print(render_terminal(self))

    def to_dict(self) -> dict[str, Any]:
        from pymc_doctor import __version__

        return {
            "schema": SCHEMA,
            "tool": {"name": "pymc-doctor", "version": __version__},
            "context": self.context,
            "verdict": self.verdict(),
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
            "checks_run": list(self.checks_run),
            "checks_skipped": [dataclasses.asdict(s) for s in self.checks_skipped],
        }
