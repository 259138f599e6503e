"""The symptoms ``treat`` compares before and after each step, read from a trace and its report."""

from __future__ import annotations

from typing import Any

import numpy as np

from pymc_doctor import engine
from pymc_doctor.diagnostics import diagnostics_of
from pymc_doctor.finding import Report
from pymc_doctor.trace import TraceView


def _rounded(value: float, digits: int) -> float | None:
    return round(float(value), digits) if np.isfinite(value) else None


def measure(trace: TraceView, report: Report) -> dict[str, Any]:
    """Divergences, the worst R-hat, bulk ESS and E-BFMI, and the diagnoses and sampling findings left."""
    table = diagnostics_of(trace).table
    diverging = trace.stat("diverging")
    energy = trace.stat("energy")
    rhat = table["rhat"].to_numpy(dtype=float)
    ess = table["ess_bulk"].to_numpy(dtype=float)
    return {
        "divergences": int(np.sum(diverging)) if diverging is not None else None,
        "max_rhat": _rounded(np.nanmax(rhat), 3) if np.isfinite(rhat).any() else None,
        "min_ess_bulk": _rounded(np.nanmin(ess), 0) if np.isfinite(ess).any() else None,
        "min_ebfmi": _rounded(np.nanmin(engine.bfmi(energy)), 3) if energy is not None else None,
        "diagnoses": [diagnosis.code for diagnosis in report.diagnoses],
        "findings": sorted({f.code for f in _symptoms(report)}),
    }


def _symptoms(report: Report):
    # A run's set-up (too few chains or draws) is the user's choice and unchanged by any step.
    return [f for f in report.findings if f.category == "sampling" and f.severity != "info" and f.code[:4] != "SMP3"]


def is_cured(report: Report) -> bool:
    """Every symptom gone together: no diagnosis, and no sampling finding at warning or error level."""
    return not report.diagnoses and not _symptoms(report)


def is_better(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Fewer diagnoses or symptoms, and no symptom worse."""
    fewer = len(after["diagnoses"]) + len(after["findings"]) < len(before["diagnoses"]) + len(before["findings"])
    worse = any(
        before[key] is not None and after[key] is not None and compare(after[key], before[key])
        for key, compare in (
            ("divergences", lambda a, b: a > b),
            ("max_rhat", lambda a, b: a > b + 0.01),
            ("min_ess_bulk", lambda a, b: a < 0.8 * b),
        )
    )
    return fewer and not worse
