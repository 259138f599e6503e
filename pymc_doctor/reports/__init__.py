"""Renderers: each reads a Report and nothing else."""

from pymc_doctor.reports.html import render_html
from pymc_doctor.reports.json import render_json
from pymc_doctor.reports.markdown import render_markdown
from pymc_doctor.reports.terminal import render_terminal

RENDERERS = {"text": render_terminal, "json": render_json, "markdown": render_markdown, "html": render_html}
SUFFIXES = {".txt": "text", ".json": "json", ".md": "markdown", ".html": "html", ".htm": "html"}

__all__ = ["RENDERERS", "SUFFIXES", "render_html", "render_json", "render_markdown", "render_terminal"]
