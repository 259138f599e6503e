"""Reusing the environment probes' results while the installation stays as it was.

Importing PyMC, compiling and sampling cost seconds (nutpie's Numba compile alone takes about
5 s), and give the same answer until something in the installation changes. ``fingerprint``
hashes what the probes' results depend on: the interpreter, the folders on ``sys.path`` (pip,
uv and conda add or remove entries in them on every install, which changes their modification
times), conda's metadata, the variables and files that configure PyTensor, JAX and the BLAS,
the compilers, the system's library cache, the GPU driver and the cores, and the code of this
package. A result is reused only under the same fingerprint, for at most ``MAX_AGE_S``, only
when the probe finished and found nothing wrong (whatever looked wrong is examined again on the
next run), and only while its facts still hold on the live system (``still_true``).
``pymc-doctor env --fresh`` ignores the cache.

The cache is one JSON file in the user's cache folder (``PYMC_DOCTOR_CACHE_DIR`` overrides it);
a cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pymc_doctor.probes.files import read_regular_text
from pymc_doctor.probes.protocol import ProbeResult
from pymc_doctor.probes.static import ENV_VARS, installed_version, shadowing

CACHE_VERSION = 1
CACHE_FILE = "env-probes.json"
MAX_AGE_S = 24 * 3600.0
MAX_ENTRIES = 8  # fingerprints kept: a few virtual environments, each with a few settings
MAX_BYTES = 8 * 2**20  # far above what MAX_ENTRIES entries take; a longer file is not ours

# Variables beside ENV_VARS that change what a probe finds: where commands, libraries and headers
# are looked up, which compiler and flags a build uses, which environment is active.
LOOKUP_VARIABLES = (
    "PATH",
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "LD_PRELOAD",
    "CPATH",
    "LIBRARY_PATH",
    "CC",
    "CXX",
    "CFLAGS",
    "CXXFLAGS",
    "LDFLAGS",
    "CONDA_PREFIX",
    "PYTHONHOME",
    "HOME",
)
COMPILERS = ("g++", "clang++", "c++", "cl")
PYTENSOR_RC_FILES = (".pytensorrc", ".pytensorrc.txt")
# The dynamic linker's cache (rebuilt by ldconfig when a system package installs a library) and
# the text that names the NVIDIA driver's version.
SYSTEM_FILES = ("/etc/ld.so.cache", "/proc/driver/nvidia/version")


def cache_path() -> Path:
    override = os.environ.get("PYMC_DOCTOR_CACHE_DIR")
    if override:
        return Path(override) / CACHE_FILE
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    return base / "pymc-doctor" / CACHE_FILE


def _stamp(path: str | Path | None) -> list[Any]:
    """A file's or folder's path, modification time and size; the path alone when it does not exist."""
    if not path:
        return [None]
    try:
        status = os.stat(path)
    except OSError:
        return [str(path)]
    return [str(path), status.st_mtime_ns, status.st_size]


def _content(path: str) -> str | None:
    return read_regular_text(path, 1000)


def _pytensor_rc_files() -> list[str]:
    home = Path.home()
    named = [entry for entry in os.environ.get("PYTENSORRC", "").split(os.pathsep) if entry]
    return [*(str(home / name) for name in PYTENSOR_RC_FILES), *named]


def _code_hash() -> str:
    """The probes' code: a new release, or an edit, examines again."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()


def _shadowing_here() -> list[str] | None:
    try:
        return shadowing(Path.cwd())
    except OSError:  # a working directory that was removed
        return None


def fingerprint() -> str:
    """A hash of everything the probes' results depend on (see the module's docstring)."""
    compilers = [shutil.which(name) for name in COMPILERS]
    parts = {
        "version": CACHE_VERSION,
        "code": _code_hash(),
        "python": [sys.executable, sys.version, sys.prefix],
        # sys.path[0] is the script's folder or the working directory, which differ between
        # `pymc-doctor` and `python -m pymc_doctor`; what the working directory can shadow is below.
        "path": [_stamp(entry) for entry in sys.path[1:] if entry],
        "conda": _stamp(Path(sys.prefix, "conda-meta")),
        "variables": {name: os.environ.get(name) for name in (*ENV_VARS, *LOOKUP_VARIABLES)},
        "pytensorrc": [_stamp(path) for path in _pytensor_rc_files()],
        # A compiler swapped behind the same name (update-alternatives) changes its target's stamp.
        "compilers": [_stamp(os.path.realpath(path) if path else None) for path in compilers],
        "system": [_stamp(SYSTEM_FILES[0]), _content(SYSTEM_FILES[1])],
        "cores": os.cpu_count(),
        "shadowing": _shadowing_here(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def healthy(result: ProbeResult) -> bool:
    """Whether a probe finished and everything it tried worked: only such results are reused."""
    data = result.data
    if result.failure:
        return False
    if result.name == "base":
        # The compile folder's state is read anew on every run (``probes.compiledir.compiledir_state``).
        return (
            data.get("pytensor_import", {}).get("ok") is True
            and data.get("pymc_import", {}).get("ok") is True
            and "path" in data.get("compiledir", {})
        )
    if result.name == "samplers":
        return all(outcome.get("ok") for outcome in data.get("imports", {}).values())
    if result.name == "compile":
        steps = [data.get("c_op"), data.get("blas_op")]
        return data.get("cxx") is not None and all(step is None or step.get("ok") for step in steps)
    if result.name == "smoke":
        return "sample" in data and "error" not in data
    return False


def still_true(result: ProbeResult) -> bool:
    """Whether a stored result's facts still hold on the live system, checked before it is trusted:
    the base probe's interpreter, its PyTensor and PyMC versions, and its compile folder, which
    must still exist (deleting it is a common remedy; PyTensor makes it again, the doctor never does)."""
    if result.name != "base":
        return True
    data = result.data
    folder = data.get("compiledir")
    if not isinstance(folder, dict) or not all(isinstance(folder.get(key), str) for key in ("base", "path")):
        return False
    pytensor = data.get("pytensor")
    return (
        data.get("interpreter") == sys.executable
        and isinstance(pytensor, dict)
        and pytensor.get("version") == installed_version("pytensor")
        and data.get("pymc_version") == installed_version("pymc")
        and os.path.isdir(folder["path"])
    )


def _read(path: Path) -> dict[str, Any]:
    """The cache's entries: only those shaped as ``store`` writes them, none from a file that is not
    a regular file (a FIFO there would block the read forever), too long, or damaged."""
    text = read_regular_text(path, MAX_BYTES)
    try:
        stored = json.loads(text) if text is not None and len(text) < MAX_BYTES else None
    except (ValueError, RecursionError):
        return {}
    if not isinstance(stored, dict) or stored.get("version") != CACHE_VERSION:
        return {}
    entries = stored.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {
        key: entry
        for key, entry in entries.items()
        if isinstance(entry, dict) and isinstance(entry.get("probes"), dict) and _number(entry.get("used", 0))
    }


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def load(key: str, names: set[str]) -> dict[str, tuple[ProbeResult, float]]:
    """The reusable results among ``names`` stored under ``key``, each with when it was examined."""
    entry = _read(cache_path()).get(key, {})
    now = time.time()
    reused = {}
    for name in names:
        stored = entry.get("probes", {}).get(name)
        if not isinstance(stored, dict):
            continue
        with contextlib.suppress(TypeError, KeyError, ValueError, AttributeError):
            examined_at = float(stored["examined_at"])
            result = ProbeResult(**stored["result"])
            if not isinstance(result.data, dict):
                continue
            fresh = 0 <= now - examined_at <= MAX_AGE_S
            if fresh and result.name == name and healthy(result) and still_true(result):
                reused[name] = (result, examined_at)
    return reused


def store(key: str, results: dict[str, ProbeResult]) -> None:
    """Keep the healthy ``results`` under ``key`` beside what is already kept; never raises."""
    keep = {name: result for name, result in results.items() if healthy(result)}
    if not keep:
        return
    path = cache_path()
    entries = _read(path)
    entry = entries.pop(key, {"probes": {}})
    now = time.time()
    for name, result in keep.items():
        entry["probes"][name] = {"examined_at": now, "result": result.to_dict()}
    entry["used"] = now
    entries[key] = entry
    newest = sorted(entries, key=lambda k: entries[k].get("used", 0), reverse=True)[:MAX_ENTRIES]
    payload = json.dumps({"version": CACHE_VERSION, "entries": {k: entries[k] for k in newest}}, default=str)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed over, so that a concurrent run never reads half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".env-probes-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(payload)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.remove(temporary)
