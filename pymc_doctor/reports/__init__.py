"""Renderers: each reads a Report and nothing else."""

from pymc_doctor.reports.json import render_json
from pymc_doctor.reports.terminal import render_terminal

RENDERERS = {"text": render_terminal, "json": render_json}

__all__ = ["RENDERERS", "render_json", "render_terminal"]
