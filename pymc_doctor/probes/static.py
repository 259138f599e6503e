"""Facts about the environment read in this process, without importing the numerical stack:
distribution metadata, platform, hardware, environment variables, files.

Each fact is read on its own: one that cannot be read (an odd installation or file system) is left
out with the reason, and only the checks that need it are skipped (``StaticFacts``).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from pymc_doctor.probes.facts import StaticFacts, normalize
from pymc_doctor.probes.files import read_regular, read_regular_text
from pymc_doctor.probes.protocol import run_command

STACK = ("pymc", "pytensor", "arviz", "numpy", "scipy", "numba", "nutpie", "numpyro", "blackjax", "jax", "jaxlib")
LEGACY = ("pymc3", "theano", "theano-pymc", "aesara")
LEGACY_MODULES = ("pymc3", "theano", "aesara")
SAMPLER_MODULES = ("numba", "jax", "numpyro", "blackjax", "nutpie")
JAX_GPU_PLUGINS = ("jax-cuda12-plugin", "jax-cuda13-plugin", "jax-rocm-plugin", "jax-metal")
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)
# The variables that set how many threads the BLAS libraries start.
BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
ENV_VARS = (
    *THREAD_VARIABLES,
    "MKL_THREADING_LAYER",
    "PYTENSOR_FLAGS",
    "PYTENSORRC",
    "THEANO_FLAGS",
    "THEANORC",
    "AESARA_FLAGS",
    "AESARARC",
    "CUDA_VISIBLE_DEVICES",
    "JAX_PLATFORMS",
    "XLA_FLAGS",
)
LEGACY_RC_FILES = (".theanorc", ".theanorc.txt", ".aesararc", ".aesararc.txt")

# Limits of the scan for `import pymc3` habits in the current directory: levels, files, file size, time.
SCAN_MAX_FILES = 2000
SCAN_MAX_DEPTH = 4
SCAN_MAX_BYTES = 2_000_000
SCAN_MAX_SECONDS = 2.0
SCAN_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "build", "dist"})
_LEGACY_IMPORT = re.compile(r"^\s*(?:import|from)\s+(pymc3|theano|aesara)\b", re.MULTILINE)


def _installer(dist: metadata.Distribution) -> str | None:
    text = (dist.read_text("INSTALLER") or "").strip()
    return text or None


def _location(dist: metadata.Distribution) -> str:
    return str(Path(str(dist.locate_file(""))))


def _has_extensions(dist: metadata.Distribution) -> bool:
    return any(str(file).endswith((".so", ".pyd", ".dylib")) for file in dist.files or ())


def distributions() -> dict[str, list[dict[str, Any]]]:
    """Every installed copy of the stack's and the legacy distributions, in sys.path order (the first wins)."""
    wanted = {normalize(name) for name in (*STACK, *LEGACY, *JAX_GPU_PLUGINS)}
    found: dict[str, list[dict[str, Any]]] = {}
    for dist in metadata.distributions():
        name = normalize(dist.metadata["Name"] or "")
        if name in wanted:
            found.setdefault(name, []).append(
                {"version": dist.version, "location": _location(dist), "installer": _installer(dist)}
            )
    return found


def numpy_requirement_conflicts(numpy_version: str | None) -> list[dict[str, Any]]:
    """Installed distributions whose declared NumPy range excludes the installed NumPy."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    if numpy_version is None:
        return []
    try:
        installed = Version(numpy_version)
    except InvalidVersion:
        return []
    conflicts = []
    seen = set()
    for dist in metadata.distributions():
        name = dist.metadata["Name"] or ""
        if normalize(name) in seen or normalize(name) == "numpy":
            continue
        seen.add(normalize(name))
        for line in dist.requires or ():
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if normalize(requirement.name) != "numpy" or not requirement.specifier:
                continue
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            if not requirement.specifier.contains(installed, prereleases=True):
                conflicts.append(
                    {
                        "name": name,
                        "version": dist.version,
                        "requires": f"numpy{requirement.specifier}",
                        "compiled": _has_extensions(dist),
                        "location": _location(dist),
                    }
                )
    return conflicts


def installed_version(name: str) -> str | None:
    """A distribution's installed version, read from its metadata; None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pymc_requirements() -> list[dict[str, Any]]:
    """PyMC's declared requirements (optional ones only where installed), each with the installed version."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        dist = metadata.distribution("pymc")
    except metadata.PackageNotFoundError:
        return []
    extras = dist.metadata.get_all("Provides-Extra") or []
    status = []
    for line in dist.requires or ():
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        extra = None
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            extra = next((e for e in extras if requirement.marker.evaluate({"extra": e})), None)
            if extra is None:  # a requirement for another platform or Python
                continue
        installed = installed_version(requirement.name)
        if extra is not None and installed is None:
            continue
        satisfied = installed is not None and requirement.specifier.contains(installed, prereleases=True)
        status.append(
            {
                "name": requirement.name,
                "specifier": str(requirement.specifier),
                "installed": installed,
                "extra": extra,
                "satisfied": satisfied,
            }
        )
    return status


# Modules a file in the working directory can shadow: `import pymc` in a notebook or `python -c`
# finds ./pymc.py first. Beside the stack, standard modules that NumPy and PyMC import themselves.
SHADOWABLE = ("pymc", "pytensor", "arviz", "numpy", "scipy", "pandas", "xarray", "math", "random", "statistics")
SHADOWABLE += ("datetime", "typing", "copy", "numbers", "inspect", "logging", "json", "types", "tokenize")


def shadowing(root: Path) -> list[str]:
    return [name for name in SHADOWABLE if (root / f"{name}.py").is_file() or (root / name / "__init__.py").is_file()]


def legacy_modules() -> dict[str, str]:
    """Legacy top-level modules importable here (found without importing them), with where they live."""
    from importlib.util import find_spec

    found = {}
    for module in LEGACY_MODULES:
        try:
            spec = find_spec(module)
        except (ImportError, ValueError):
            continue
        if spec is not None:
            found[module] = str(spec.origin or next(iter(spec.submodule_search_locations or []), ""))
    return found


def _rosetta() -> bool:
    """An x86_64 Python translated by Rosetta on Apple silicon."""
    if platform.system() != "Darwin" or platform.machine() != "x86_64":
        return False
    returncode, stdout, _, _, _ = run_command(["sysctl", "-n", "sysctl.proc_translated"], timeout=5)
    return returncode == 0 and stdout.strip() == "1"


def platform_facts() -> dict[str, Any]:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "mac_version": platform.mac_ver()[0] or None,
        "rosetta": _rosetta(),
    }


def channel_facts() -> dict[str, Any]:
    """How this Python environment was made: conda/mamba/pixi (conda-meta) or a pip/uv virtual environment."""
    prefix = Path(sys.prefix)
    conda_meta = (prefix / "conda-meta").is_dir()
    venv = sys.prefix != sys.base_prefix
    config = prefix / "pyvenv.cfg"
    uv = False
    if venv:
        uv = bool(re.search(r"^uv\s*=", read_regular_text(config, 100_000) or "", re.MULTILINE))
    if conda_meta and ".pixi" in prefix.parts:
        kind = "pixi"
    elif conda_meta:
        kind = "conda"
    elif uv:
        kind = "uv"
    elif venv:
        kind = "venv"
    else:
        kind = "system"
    tools = {tool: shutil.which(tool) for tool in ("conda", "mamba", "micromamba", "pixi", "uv")}
    return {
        "kind": kind,
        "conda_meta": conda_meta,
        "venv": venv,
        "base_prefix_conda": (Path(sys.base_prefix) / "conda-meta").is_dir(),
        "tools": {tool: path for tool, path in tools.items() if path},
    }


def _gpus() -> list[str]:
    if shutil.which("nvidia-smi"):
        returncode, stdout, _, _, _ = run_command(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"], timeout=15
        )
        if returncode == 0:
            return [line.strip() for line in stdout.splitlines() if line.strip()]
    gpus = Path("/proc/driver/nvidia/gpus")
    if gpus.is_dir():
        return [f"NVIDIA GPU at {entry.name}" for entry in sorted(gpus.iterdir())]
    return []


def hardware_facts() -> dict[str, Any]:
    import psutil

    memory = psutil.virtual_memory()
    try:
        affinity = len(psutil.Process().cpu_affinity())
    except (AttributeError, psutil.Error):  # macOS has no CPU affinity
        affinity = None
    return {
        "logical_cores": psutil.cpu_count(logical=True) or os.cpu_count() or 1,
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": affinity,
        "memory_total": memory.total,
        "memory_available": memory.available,
        "gpus": _gpus(),
    }


def legacy_imports(root: Path) -> list[dict[str, Any]]:
    """Files under ``root`` that import pymc3, theano or aesara (a bounded scan of .py and .ipynb files)."""
    if root == root.parent:  # never walk a whole filesystem
        return []
    hits: list[dict[str, Any]] = []
    scanned = 0
    deadline = time.monotonic() + SCAN_MAX_SECONDS
    for directory, subdirs, files in os.walk(root):
        if time.monotonic() > deadline:  # a home folder full of data: what was found so far is enough
            return hits
        depth = len(Path(directory).relative_to(root).parts)
        subdirs[:] = [
            d
            for d in subdirs
            if depth < SCAN_MAX_DEPTH
            and not d.startswith(".")
            and d not in SCAN_SKIP_DIRS
            and not (Path(directory, d) / "pyvenv.cfg").exists()
        ]
        for filename in files:
            if not filename.endswith((".py", ".ipynb")):
                continue
            scanned += 1
            if scanned > SCAN_MAX_FILES:
                return hits
            path = Path(directory, filename)
            modules = _legacy_imports_in(path)
            if modules:
                hits.append({"file": str(path.relative_to(root)), "modules": modules})
    return hits


def _legacy_imports_in(path: Path) -> list[str]:
    # Regular files only: a FIFO named `*.py` would block the scan forever.
    data = read_regular(path, SCAN_MAX_BYTES + 1)
    if data is None or len(data) > SCAN_MAX_BYTES:
        return []
    text = data.decode("utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            return []
        text = "\n".join(
            "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else str(cell.get("source", ""))
            for cell in cells
            if isinstance(cell, dict) and cell.get("cell_type") == "code"
        )
    return sorted(set(_LEGACY_IMPORT.findall(text)))


def static_facts() -> StaticFacts:
    gatherers = {
        "platform": platform_facts,
        "channel": channel_facts,
        "hardware": hardware_facts,
        "distributions": distributions,
        "pymc_requirements": pymc_requirements,
        "legacy_modules": legacy_modules,
        "cwd": lambda: str(Path.cwd()),
        "home": lambda: str(Path.home()),
        "env_vars": lambda: {name: os.environ[name] for name in ENV_VARS if name in os.environ},
        "compilers": lambda: {name: path for name in ("g++", "clang++", "c++", "cl") if (path := shutil.which(name))},
        "in_notebook": lambda: "ipykernel" in sys.modules,
    }
    facts: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def gather(name: str, read) -> None:
        try:
            facts[name] = read()
        except Exception as exc:  # an odd installation or file system must not stop the doctor
            errors[name] = f"{type(exc).__name__}: {exc}"

    for name, read in gatherers.items():
        gather(name, read)
    numpy = facts.get("distributions", {}).get("numpy")
    gather("numpy_conflicts", lambda: numpy_requirement_conflicts(numpy[0]["version"] if numpy else None))
    if "cwd" in facts:
        gather("shadowing", lambda: shadowing(Path(facts["cwd"])))
        gather("legacy_imports", lambda: legacy_imports(Path(facts["cwd"])))
    if "home" in facts:
        home = Path(facts["home"])
        gather("legacy_rc_files", lambda: [str(home / name) for name in LEGACY_RC_FILES if (home / name).exists()])
    return StaticFacts(facts, errors)
