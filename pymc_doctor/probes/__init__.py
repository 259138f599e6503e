"""Collecting the facts about the environment that the env checks read.

Facts that need no import of the numerical stack (distribution metadata, platform, hardware,
environment variables, files) are read in this process (``static``). Anything that imports
PyTensor or PyMC, compiles or samples runs in a child Python (``child``), started and timed by
``protocol``, each probe with its own time limit: a broken installation can segfault, hang on a
compile lock or print pages of compiler output, and none of that may reach the doctor. The child is
started with the same interpreter and environment as the user's own Python, so it sees what their
code would see. ``facts`` and ``envfacts`` give the checks typed access to it all; ``cache`` reuses
the probes' results while the installation stays as it was; ``collection.collect`` does it all.
"""

from pymc_doctor.probes.collection import collect

__all__ = ["collect"]
