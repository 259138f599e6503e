"""Diagnoses: the causes that explain several findings at once, and the one treatment plan they make.

Each diagnosis is a registered unit (``DX…``) with a detector, which reads the findings and the
subject, and a writer, whose docstring is its page. ``diagnose`` runs them after the checks.
"""

from pymc_doctor.diagnoses.core import DiagnosisResult, UnitFailure, all_units, diagnose, find_unit

__all__ = ["DiagnosisResult", "UnitFailure", "all_units", "diagnose", "find_unit"]
