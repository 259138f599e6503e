"""Renderers: each reads a Report and nothing else."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pymc_doctor import finding
from pymc_doctor.reports.html import render_html
from pymc_doctor.reports.json import render_json
from pymc_doctor.reports.markdown import render_markdown
from pymc_doctor.reports.terminal import render_terminal

RENDERERS = {"text": render_terminal, "json": render_json, "markdown": render_markdown, "html": render_html}
SUFFIXES = {".txt": "text", ".json": "json", ".md": "markdown", ".html": "html", ".htm": "html"}


class Report(finding.Report):
    """The report the API returns: the plain data of ``finding.Report``, able to render itself.

    Every form meant to be shared (JSON, a saved file, the notebook display) is redacted by default.
    """

    @classmethod
    def of(cls, report: finding.Report) -> Report:
        return cls(**{f.name: getattr(report, f.name) for f in dataclasses.fields(report)})

    def to_json(self, *, redact: bool = True) -> str:
        return render_json(self.redacted() if redact else self)

    def show(self) -> None:
        """Print the terminal form."""
        print(render_terminal(self))

    def save(self, path, *, redact: bool = True) -> Path:
        """Write the report in the format its extension names (.html, .md, .json, .txt); redacted by default."""
        path = Path(path)
        fmt = SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(f"cannot tell the format from {path.name!r}: use one of {', '.join(SUFFIXES)}")
        report = self.redacted() if redact else self
        path.write_text(RENDERERS[fmt](report).rstrip("\n") + "\n", encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return render_html(self.redacted(), compact=True)

    def _repr_markdown_(self) -> str:
        return render_markdown(self.redacted())


__all__ = ["RENDERERS", "SUFFIXES", "Report", "render_html", "render_json", "render_markdown", "render_terminal"]
