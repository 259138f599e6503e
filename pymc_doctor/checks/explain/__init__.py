"""Explaining errors: what a PyMC or PyTensor exception (or a pasted traceback) means, and the fix.

Each recognizer is a rule (``EXP`` codes) that reads the subject's ``error`` (an ``ErrorText``) and
yields a finding; ``EXP100`` speaks only when none of the others recognizes the error. Importing
this package registers them all; nothing here imports a heavy library.
"""

from pymc_doctor.checks.explain import data, fallback, install, sampling, shapes, usage

__all__ = ["data", "fallback", "install", "sampling", "shapes", "usage"]
