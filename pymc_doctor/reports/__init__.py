"""Renderers: each reads a Report and nothing else."""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from pymc_doctor import finding
from pymc_doctor.reports.html import render_html
from pymc_doctor.reports.json import render_json
from pymc_doctor.reports.markdown import render_github_markdown, render_markdown
from pymc_doctor.reports.terminal import render_terminal

# "github-markdown" is what `--share github` writes; `--format markdown` is the Discourse form.
RENDERERS = {
    "text": render_terminal,
    "json": render_json,
    "markdown": render_markdown,
    "github-markdown": render_github_markdown,
    "html": render_html,
}
SUFFIXES = {".txt": "text", ".json": "json", ".md": "markdown", ".html": "html", ".htm": "html"}


def render(reports: Sequence[finding.Report], fmt: str, *, redact: bool = True, color: bool = False) -> str:
    """One or several reports in one format; HTML and JSON are one document, whatever their number."""
    reports = [r.redacted() for r in reports] if redact else list(reports)
    renderer = RENDERERS[fmt]
    if fmt in ("html", "json"):
        return renderer(reports if len(reports) > 1 else reports[0], color=color)
    return "\n\n".join(renderer(r, color=color) for r in reports)


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all: a temporary file in the same folder, then a rename,
    so that a failure (a full disk, an interruption) never leaves a half-written file or loses the old one.

    A path that is not a regular file (``/dev/stdout``, a FIFO) is written to as it is, never replaced.
    """
    path = Path(path)
    text = text.rstrip("\n") + "\n"
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        return path
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # Created as open() creates files (the umask applies), never over an existing one.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


class Report(finding.Report):
    """The report the API returns: the plain data of ``finding.Report``, able to render itself.

    Every form meant to be shared (JSON, a saved file, the notebook display) is redacted by default.
    """

    @classmethod
    def of(cls, report: finding.Report) -> Report:
        return cls(**{f.name: getattr(report, f.name) for f in dataclasses.fields(report)})

    def to_json(self, *, redact: bool = True) -> str:
        return render([self], "json", redact=redact)

    def show(self) -> None:
        """Print the terminal form."""
        print(render_terminal(self))

    def save(self, path, *, redact: bool = True) -> Path:
        """Write the report in the format its extension names (.html, .md, .json, .txt); redacted by default.

        The file is replaced whole or not at all."""
        path = Path(path)
        fmt = SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(f"cannot tell the format from {path.name!r}: use one of {', '.join(SUFFIXES)}")
        return write_atomically(path, render([self], fmt, redact=redact))

    def _repr_html_(self) -> str:
        return render_html(self.redacted(), compact=True)

    def _repr_markdown_(self) -> str:
        return render([self], "markdown")


__all__ = [
    "RENDERERS",
    "SUFFIXES",
    "Report",
    "render",
    "render_github_markdown",
    "render_html",
    "render_json",
    "render_markdown",
    "render_terminal",
    "write_atomically",
]
