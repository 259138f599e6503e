"""Hand-built environment facts for the rules' unit tests: a healthy installation where every rule
is silent, and overrides merged into it (``DROP`` removes a key), so that a test states only what
is broken."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pymc_doctor.catalog import find_rule
from pymc_doctor.finding import Finding
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.facts import StaticFacts
from pymc_doctor.probes.protocol import ProbeResult
from pymc_doctor.registry import CannotCheck
from pymc_doctor.subject import Subject

DROP = object()
OK = {"ok": True, "seconds": 0.5, "error": None, "stderr": ""}
GB = 2**30


def failed(error: str, stderr: str = "") -> dict[str, Any]:
    return {"ok": False, "seconds": 0.1, "error": error, "stderr": stderr}


def copy_of(version: str, location: str = "/env/lib/site-packages", installer: str | None = "pip") -> dict[str, Any]:
    return {"version": version, "location": location, "installer": installer}


def pool(user_api: str, internal_api: str, threads: int = 1) -> dict[str, Any]:
    return {
        "user_api": user_api,
        "internal_api": internal_api,
        "prefix": f"lib{internal_api}",
        "version": "0.3.30",
        "num_threads": threads,
        "threading_layer": "pthreads",
        "filepath": f"/env/lib/lib{internal_api}.so",
    }


# PyMC 6 on Linux in a pip virtual environment: PyTensor links OpenBLAS, nutpie (the default
# sampler there) imports, the compile probe and the smoke test pass.
HEALTHY_STATIC: dict[str, Any] = {
    "platform": {
        "system": "Linux",
        "release": "6.8",
        "machine": "x86_64",
        "python": "3.12.1",
        "implementation": "CPython",
        "executable": "/env/bin/python",
        "prefix": "/env",
        "mac_version": None,
        "rosetta": False,
    },
    "channel": {"kind": "venv", "conda_meta": False, "venv": True, "base_prefix_conda": False, "tools": {}},
    "hardware": {
        "logical_cores": 8,
        "physical_cores": 4,
        "usable_cores": 8,
        "memory_total": 16 * GB,
        "memory_available": 8 * GB,
        "gpus": [],
    },
    "distributions": {
        "pymc": [copy_of("6.4.0")],
        "pytensor": [copy_of("3.0.2")],
        "numpy": [copy_of("2.3.5")],
        "scipy": [copy_of("1.16.3")],
        "nutpie": [copy_of("0.16.2")],
    },
    "pymc_requirements": [
        {"name": "pytensor", "specifier": ">=3.0,<3.1", "installed": "3.0.2", "extra": None, "satisfied": True}
    ],
    "legacy_modules": {},
    "cwd": "/home/ada/project",
    "home": "/home/ada",
    "env_vars": {},
    "compilers": {"g++": "/usr/bin/g++"},
    "in_notebook": False,
    "numpy_conflicts": [],
    "shadowing": [],
    "legacy_imports": [],
    "legacy_rc_files": [],
}
COMPILEDIR = "/home/ada/.pytensor/compiledir_Linux-x86_64"
HEALTHY_PROBES: dict[str, dict[str, Any]] = {
    "base": {
        "start_method": "fork",
        "imports": {"numpy": OK, "scipy.linalg": OK},
        "pytensor_import": OK,
        "pytensor": {
            "version": "3.0.2",
            "flags": {"cxx": "g++", "blas__ldflags": "-lopenblas", "linker": "numba", "mode": "NUMBA"},
            "errors": {},
            "default_linker": "NumbaLinker",
            "known_flags": ["blas__ldflags", "cxx", "gcc__cxxflags", "linker", "mode"],
        },
        "compiledir": {
            "base": "/home/ada/.pytensor",
            "path": COMPILEDIR,
            "writable": True,
            "free_bytes": 100 * GB,
            "lock": {"held_by_other": False, "stuck": False, "file": f"{COMPILEDIR}/.lock"},
        },
        "pymc_import": {**OK, "seconds": 2.5},
        "threadpools": [pool("blas", "openblas")],
        "notes": [],
        "done": True,
    },
    "samplers": {
        "imports": {"numba": OK, "jax": OK, "nutpie": OK},
        "jax": {"default_backend": "cpu", "devices": [{"platform": "cpu", "kind": "cpu"}]},
        "notes": [],
        "done": True,
    },
    "compile": {"cxx": "g++", "c_op": OK, "blas_op": OK, "notes": [], "done": True},
    "smoke": {
        "sample": {
            "seconds": 6.0,
            "sampling_seconds": 1.5,
            "sampler": "nutpie",
            "sampler_version": "0.16.2",
            "chains": 4,
            "draws": 200,
            "divergences": 0,
            "mu_mean": 0.3,
        },
        "notes": [],
        "done": True,
    },
}


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in, dict into dict; a change of ``DROP`` removes the key."""
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if value is DROP:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict) and value:
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def facts(
    static: dict[str, Any] | None = None,
    *,
    unread: dict[str, str] | None = None,
    results: dict[str, ProbeResult] | None = None,
    not_run: dict[str, str] | None = None,
    reused: dict[str, float] | None = None,
    **probes: dict[str, Any] | object,
) -> EnvFacts:
    """A healthy installation with ``static`` facts and each probe's data (``base={...}``) changed;
    ``probe=DROP`` leaves a probe out, ``unread`` names static facts that could not be read, and
    ``results`` gives whole probe results (for how a probe ended)."""
    static_data = merged(HEALTHY_STATIC, static or {})
    for name in unread or {}:
        static_data.pop(name)
    runs = {}
    for name, data in HEALTHY_PROBES.items():
        change = probes.get(name, {})
        if change is not DROP:
            runs[name] = ProbeResult(name, data=merged(data, change), seconds=1.0, returncode=0)
    runs.update(results or {})
    return EnvFacts(
        static=StaticFacts(static_data, dict(unread or {})),
        probes=runs,
        not_run=dict(not_run or {}),
        reused=dict(reused or {}),
    )


@dataclass
class Checked:
    """What one rule said about some facts: its findings, or why it was skipped."""

    findings: list[Finding]
    skipped: str | None

    @property
    def finding(self) -> Finding:
        assert len(self.findings) == 1, self.findings
        return self.findings[0]


def check(code: str, env: EnvFacts, **thresholds: Any) -> Checked:
    """Run the rule ``code`` on ``env`` with its default thresholds or ``thresholds``; any exception
    but CannotCheck (which the runner turns into a skip) fails the test."""
    rule = find_rule(code)
    try:
        findings = list(rule.function(Subject(env=env), **{**rule.params, **thresholds}))
    except CannotCheck as exc:
        return Checked([], str(exc))
    return Checked(findings, None)
