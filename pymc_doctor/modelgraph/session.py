"""One ``ModelFacts`` per run, shared by its checks; the model left exactly as it was."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymc_doctor.modelgraph.compile import preserved
from pymc_doctor.modelgraph.constraints import ModelConstraints
from pymc_doctor.modelgraph.prior import PriorDraws


class ModelFacts(PriorDraws, ModelConstraints):
    """Lazily computed facts about a model: its variables and graph, its values and log-densities at
    the initial point, shapes and data, prior draws, and the constraints its priors must meet. Each
    property may raise for models it cannot read."""


_CURRENT: contextvars.ContextVar[ModelFacts | None] = contextvars.ContextVar("pymc_doctor_model", default=None)


@contextmanager
def session(model, namespace: dict[str, Any] | None = None) -> Iterator[ModelFacts]:
    """Share one ModelFacts between the checks of a run; leave the model exactly as it was."""
    facts_ = ModelFacts(model, namespace)
    token = _CURRENT.set(facts_)
    try:
        with preserved(model):
            yield facts_
    finally:
        _CURRENT.reset(token)


def facts(model) -> ModelFacts:
    """The current run's facts about ``model``, or fresh ones outside a session."""
    current = _CURRENT.get()
    return current if current is not None and current.model is model else ModelFacts(model)
