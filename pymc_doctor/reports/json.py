"""The machine-readable report (schema ``pymc-doctor/1``, documented in the README)."""

from __future__ import annotations

import json
import math
from typing import Any

from pymc_doctor.finding import Report
from pymc_doctor.reports.safety import prepare


def _plain(value: Any) -> Any:
    # Only reached for what json cannot write itself; an environment report never holds arrays.
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def render_json(report: Report | list[Report], *, color: bool = False) -> str:
    """One JSON document: a report's object, or a list of them for several (a script's models, the demo).

    Names keep every character (JSON escapes them), but text that is not valid Unicode is written as
    escapes, and a fix that would splice a name which is not a Python identifier is withheld.
    """
    if isinstance(report, list):
        content = [prepare(r, controls=False).to_dict() for r in report]
    else:
        content = prepare(report, controls=False).to_dict()
    data = json.loads(json.dumps(content, default=_plain))
    return json.dumps(_finite(data), indent=2, allow_nan=False)
