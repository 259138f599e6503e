"""How the environment was installed: pip packages inside a conda environment."""

from __future__ import annotations

from collections.abc import Iterator

from pymc_doctor.checks.environment.common import env_rule, finding
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject

CORE_PACKAGES = ("pymc", "pytensor", "numpy", "scipy")


def detect_mixed_channels(facts: EnvFacts) -> dict[str, str]:
    """PyMC's core packages that an installer other than conda put into a conda-style environment,
    with that installer."""
    if not facts.channel.conda:
        return {}
    dists = facts.distributions
    return {
        name: dists[name][0].installer
        for name in CORE_PACKAGES
        if name in dists and dists[name][0].installer not in (None, "conda")
    }


@env_rule("ENV401", "mixed-channels", severity="warning")
def mixed_channels(subject: Subject) -> Iterator[Finding]:
    """PyMC's core packages installed with pip into a conda environment.

    What it checks: in a conda, mamba or pixi environment (one with `conda-meta`), which installer
    put PyMC, PyTensor, NumPy and SciPy there (their `INSTALLER` record).

    Why it matters: pip's wheels bring their own BLAS (or none for PyTensor) and shadow the
    conda-forge builds that link one; conda cannot update or resolve what pip installed, so the
    environment drifts into mismatched versions.

    Threshold: any of those packages installed by pip or uv in a conda environment.

    Example: `conda create -n env python` followed by `pip install pymc`.

    Fix: uninstall them with pip and install them from conda-forge.
    """
    facts: EnvFacts = subject.env
    foreign = detect_mixed_channels(facts)
    if not foreign:
        return
    names = list(foreign)
    kind = facts.channel.kind
    yield finding(
        "ENV401",
        "warning",
        f"{', '.join(names)} came from pip into a {kind} environment",
        (
            f"This is a {kind} environment, but {', '.join(f'{n} ({i})' for n, i in foreign.items())} "
            "were installed by pip: they shadow conda-forge's builds (which link BLAS) and conda cannot manage them."
        ),
        evidence={"installers": foreign, "prefix": facts.platform.prefix},
        fix="Replace them with conda-forge's packages.",
        fix_code=fixes.replace_pip_packages(facts, names),
    )
