"""Installation checks: what in this Python environment stops PyMC from working, or slows it down.

Each check reads the facts that ``pymc_doctor.probes`` gathered (``subject.env``, typed by
``EnvFacts``); none of them imports PyTensor or PyMC here, runs code, or changes the user's
environment. Each rule is a detector, which returns its evidence as plain data, and a registered
function that writes the finding from it; the fixes are spelled for the user's platform and install
channel in ``pymc_doctor.remedies.environment``. One module per topic; importing this package
registers them all.
"""

from pymc_doctor.checks.environment import (
    blas,
    channels,
    compiledir,
    compiler,
    imports,
    legacy,
    machine,
    samplers,
    smoke,
    threads,
    versions,
)

__all__ = [
    "PROBE_READERS",
    "blas",
    "channels",
    "compiledir",
    "compiler",
    "imports",
    "legacy",
    "machine",
    "samplers",
    "smoke",
    "threads",
    "versions",
]

# The rules that read each optional probe: `doctor.env` runs a probe only when one of them is selected.
PROBE_READERS = {
    "samplers": ("ENV106", "ENV501", "ENV502", "ENV503"),
    "compile": ("ENV202", "ENV302"),
    "smoke": ("ENV801",),
}
