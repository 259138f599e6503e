"""``watch()``: its hooks on PyMC's sampling functions, and the capture of what a model is built from.

A package, not a module ``pymc_doctor.watch``: importing that would replace the function
``pymc_doctor.watch`` with the module.
"""
