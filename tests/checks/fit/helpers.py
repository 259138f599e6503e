"""The committed traces of the FIT rules' models, whole or with groups left out or swapped."""

from __future__ import annotations

import pymc_doctor
from pymc_doctor import compat
from tests.checks.fit.models import MODELS
from tests.support import load


def groups(name: str) -> dict:
    """The groups of the committed trace of model ``name`` (posterior, predictive draws, log-likelihood...)."""
    return compat.trace_groups(load(f"fit_{name}"))


def container(name: str, *, without: tuple[str, ...] = (), **replaced):
    """The trace of model ``name`` as the installed line holds it, less the groups ``without``, with the
    groups ``replaced`` (a group of another trace)."""
    kept = {group: data for group, data in groups(name).items() if group not in without}
    return compat.arviz_container({**kept, **replaced})


def check(trace, model_name: str | None = None, select=("FIT",), **thresholds):
    """The FIT rules' report on ``trace``, with the model ``model_name`` (built afresh) when given."""
    model = MODELS[model_name]() if model_name else None
    return pymc_doctor.check(trace, model=model, select=list(select), thresholds=thresholds or None)


def codes(report) -> list[str]:
    return sorted(f.code for f in report.findings)
