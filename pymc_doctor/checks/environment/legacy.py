"""PyMC3, Theano and Aesara: their packages, code that imports them, and settings only they read."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import env_rule, finding
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.facts import evidence
from pymc_doctor.probes.static import LEGACY
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject
from pymc_doctor.wording import count, join_and

# The module each legacy distribution installs.
LEGACY_PROVIDERS = {"pymc3": "pymc3", "theano": "theano", "theano-pymc": "theano", "aesara": "aesara"}
LEGACY_VARIABLES = ("THEANO_FLAGS", "THEANORC", "AESARA_FLAGS", "AESARARC")


def detect_legacy_packages(facts: EnvFacts) -> dict[str, dict[str, Any]]:
    """The legacy distributions installed (their first copy), and legacy modules importable without
    metadata (a copied folder, an egg), by name."""
    dists = facts.distributions
    found = {name: dataclasses.asdict(dists[name][0]) for name in LEGACY if name in dists}
    for module, where in facts.legacy_modules.items():
        if not any(LEGACY_PROVIDERS[name] == module for name in found):
            found[module] = {"version": "of unknown version", "location": where}
    return found


@env_rule("ENV101", "legacy-packages", severity="error")
def legacy_packages(subject: Subject) -> Iterator[Finding]:
    """PyMC3, Theano or Aesara installed beside PyMC.

    What it checks: whether the distributions `pymc3`, `theano`, `theano-pymc` or `aesara` are
    installed, or their modules importable, in the environment that has `pymc`.

    Why it matters: `pymc3` is PyMC before 2022 and runs on Theano; tutorials that say
    `pip install pymc3` or `import pymc3 as pm` lead to the old library, old API and old bugs,
    silently mixed with the new one. Theano and Aesara are PyTensor's retired predecessors.

    Threshold: any of them installed.

    Example: `pip install pymc3` in an environment that already has `pymc`.

    Fix: uninstall them (the commands, for the installer that installed each, are the fix's code) and
    write `import pymc as pm` and `import pytensor.tensor as pt`.
    """
    facts: EnvFacts = subject.env
    found = detect_legacy_packages(facts)
    if not found:
        return
    listed = join_and([f"{name} {info['version']}" for name, info in found.items()])
    pymc = facts.version("pymc")
    beside = f" beside pymc {pymc}" if pymc else ""
    managed = [name for name in found if name in facts.distributions]
    conda = [name for name in managed if found[name].get("installer") == "conda"]
    # No installer knows a module without metadata: it goes by hand.
    unmanaged = [f"{module} from {info['location']}" for module, info in found.items() if module not in managed]
    by_hand = f" (remove {join_and(unmanaged)} by hand)" if unmanaged else ""
    yield finding(
        "ENV101",
        "error",
        "Legacy PyMC3/Theano packages are installed",
        (
            f"{listed} {'is' if len(found) == 1 else 'are'} installed{beside}. PyMC3 is PyMC before 2022 and "
            "runs on Theano; Theano and Aesara are PyTensor's retired predecessors. Code that imports them "
            "runs the old library with its old API and bugs, not the PyMC you installed."
        ),
        evidence={"packages": found},
        fix=f"Uninstall the legacy packages{by_hand}, and write `import pymc as pm` and `import pytensor.tensor as pt` "
        "in your code.",
        fix_code=fixes.uninstall_legacy(pip=[name for name in managed if name not in conda], conda=conda),
    )


def detect_legacy_code(facts: EnvFacts) -> list[dict[str, Any]]:
    """The files under the working folder that import pymc3, theano or aesara, with the modules."""
    return evidence(facts.legacy_imports)


@env_rule("ENV102", "legacy-code", severity="warning")
def legacy_code(subject: Subject) -> Iterator[Finding]:
    """Code in the current folder that imports pymc3, theano or aesara.

    What it checks: `.py` files and notebooks under the folder the doctor runs in (a bounded
    scan: 4 levels, 2,000 files, 2 seconds; hidden folders and virtual environments skipped) for lines that
    import `pymc3`, `theano` or `aesara`.

    Why it matters: those imports fail once the legacy packages are gone, and the usual reaction,
    `pip install pymc3`, brings back the pre-2022 library.

    Threshold: any such import.

    Example: a notebook cell `import pymc3 as pm` copied from an old tutorial.

    Fix: `import pymc as pm` and `import pytensor.tensor as pt`; most PyMC3 model code runs after
    small changes (see PyMC's migration notes).
    """
    facts: EnvFacts = subject.env
    hits = detect_legacy_code(facts)
    if not hits:
        return
    shown = ", ".join(f"{hit['file']} ({', '.join(hit['modules'])})" for hit in hits[:5])
    more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
    yield finding(
        "ENV102",
        "warning",
        f"{count(len(hits), 'file')} here import{'s' if len(hits) == 1 else ''} PyMC3, Theano or Aesara",
        (
            f"{shown}{more} import the pre-2022 libraries. With PyMC installed they fail or, if the legacy "
            "packages are installed too, run the old library instead of PyMC."
        ),
        evidence={"files": hits[:20], "folder": facts.cwd},
        fix="Import PyMC and PyTensor instead; the model code itself mostly carries over.",
        fix_code=fixes.MODERN_IMPORTS,
    )


def detect_legacy_config(facts: EnvFacts) -> dict[str, Any] | None:
    """The Theano and Aesara variables set, and their settings files in the home folder."""
    variables = {name: value for name, value in facts.env_vars.items() if name in LEGACY_VARIABLES}
    files = facts.legacy_rc_files
    if not variables and not files:
        return None
    return {"variables": variables, "files": files}


@env_rule("ENV103", "legacy-config", severity="warning")
def legacy_config(subject: Subject) -> Iterator[Finding]:
    """Theano or Aesara settings that PyTensor ignores.

    What it checks: the environment variables `THEANO_FLAGS`, `THEANORC`, `AESARA_FLAGS`,
    `AESARARC`, and the files `~/.theanorc` and `~/.aesararc`.

    Why it matters: PyTensor reads only `PYTENSOR_FLAGS` and `~/.pytensorrc`. Settings left in the
    old places (a BLAS library, a compiler, a compile folder) silently have no effect.

    Threshold: any of them present.

    Example: `THEANO_FLAGS=blas__ldflags=-lopenblas` kept in a shell profile since PyMC3.

    Fix: move the settings you still need to `PYTENSOR_FLAGS` or `~/.pytensorrc`, then remove the
    old ones.
    """
    facts: EnvFacts = subject.env
    found = detect_legacy_config(facts)
    if found is None:
        return
    named = [f"{name}={value}" for name, value in found["variables"].items()] + found["files"]
    yield finding(
        "ENV103",
        "warning",
        "Theano/Aesara settings are present, and PyTensor ignores them",
        (
            f"{'; '.join(named)}: PyTensor reads only PYTENSOR_FLAGS and ~/.pytensorrc, so these settings "
            "have no effect."
        ),
        evidence=found,
        fix="Move the settings you still want to PYTENSOR_FLAGS or ~/.pytensorrc and remove the old ones.",
        fix_code=fixes.retire_legacy_settings(facts, found["variables"], found["files"]),
    )
