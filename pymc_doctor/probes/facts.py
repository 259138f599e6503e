"""The environment's facts as typed records: what the env checks read.

The probes report plain dicts (JSON across the process boundary and in the cache). The records
read them with a default for every field a probe may not have reported, so a check reads
``facts.pytensor.blas_ldflags`` or ``facts.hardware.cores``. A fact or probe that is missing
raises ``CannotCheck`` in these records and in ``EnvFacts``, not in the checks: the check that
needs it is skipped with the reason. Records are made anew from the plain data on every read, so
nothing a check does to one reaches another check.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from pymc_doctor.registry import CannotCheck

# PyTensor backends that compile without a C++ compiler and without the BLAS flags.
NON_C_LINKERS = ("NumbaLinker", "JAXLinker", "PytorchLinker", "MLXLinker")


def normalize(name: str) -> str:
    """A distribution's name as the package index compares them: ``Theano_PyMC`` is ``theano-pymc``."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Record:
    """A record read from a probe's dict (``Record.of``): fields it did not report keep their
    defaults, and fields the records do not know are ignored."""

    @classmethod
    def of(cls, data: Any) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        items = data.items() if isinstance(data, Mapping) else ()
        return cls(**{key: value for key, value in items if key in names})


def evidence(records) -> list[dict[str, Any]]:
    """Records as the plain data a finding's evidence holds."""
    return [dataclasses.asdict(item) for item in records]


def flag_setting(part: str) -> tuple[str, str] | None:
    """The flag and value that one comma-separated part of PYTENSOR_FLAGS sets, as PyTensor reads it:
    the part stripped, split at its first `=`; a part without `=` sets nothing."""
    part = part.strip()
    if "=" not in part:
        return None
    key, value = part.split("=", 1)
    return key, value


# ---------------------------------------------------------------------------------------------
# Read in this process


@dataclass
class Platform(Record):
    system: str = ""
    release: str = ""
    machine: str = ""
    python: str = ""
    implementation: str = ""
    executable: str = ""
    prefix: str = ""
    mac_version: str | None = None
    rosetta: bool = False  # an x86_64 Python translated on Apple silicon

    @property
    def windows(self) -> bool:
        return self.system == "Windows"

    @property
    def apple_silicon(self) -> bool:
        return self.system == "Darwin" and (self.machine == "arm64" or self.rosetta)

    @property
    def intel_mac(self) -> bool:
        return self.system == "Darwin" and self.machine == "x86_64" and not self.rosetta

    @property
    def python_version(self) -> tuple[int, ...]:
        """``(3, 12)``; empty when the version is unknown."""
        return tuple(int(part) for part in self.python.split(".")[:2] if part.isdigit())


@dataclass
class Channel(Record):
    """How the environment was made: ``conda``, ``pixi``, ``uv``, ``venv`` or ``system``."""

    kind: str = "system"
    conda_meta: bool = False
    venv: bool = False
    base_prefix_conda: bool = False
    tools: dict[str, str] = field(default_factory=dict)

    @property
    def conda(self) -> bool:
        """A conda-style environment (conda, mamba, pixi), which installs from conda-forge."""
        return self.kind in ("conda", "pixi")


@dataclass
class Hardware(Record):
    logical_cores: int = 1
    physical_cores: int | None = None
    usable_cores: int | None = None  # the CPU affinity; None where the platform has none
    memory_total: int = 0
    memory_available: int = 0
    gpus: list[str] = field(default_factory=list)

    @property
    def cores(self) -> int:
        return self.usable_cores or self.logical_cores


@dataclass
class Distribution(Record):
    """One installed copy of a distribution."""

    version: str = ""
    location: str = ""
    installer: str | None = None


@dataclass
class Requirement(Record):
    """One of PyMC's declared requirements, with the installed version."""

    name: str = ""
    specifier: str = ""
    installed: str | None = None
    extra: str | None = None  # the optional feature it serves; None for a required package
    satisfied: bool = False


@dataclass
class NumpyConflict(Record):
    """An installed distribution whose declared NumPy range excludes the installed NumPy."""

    name: str = ""
    version: str = ""
    requires: str = ""
    compiled: bool = False
    location: str = ""


@dataclass
class LegacyImport(Record):
    file: str = ""
    modules: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Reported by the probes' children


@dataclass
class Outcome(Record):
    """An import, or a step of a probe: whether it worked, how long it took, and its error."""

    ok: bool = False
    seconds: float = 0.0
    error: str | None = None
    stderr: str = ""  # what an import printed (NumPy explains ABI mismatches there)


@dataclass
class Note(Record):
    """A warning or WARNING-level log raised inside a probe."""

    source: str = ""
    message: str = ""


@dataclass
class PyTensorConfig(Record):
    version: str = ""
    flags: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # the flags PyTensor could not read, and why
    default_linker: str | None = None
    known_flags: list[str] = field(default_factory=list)

    def flag(self, name: str) -> Any:
        if name not in self.flags:
            raise CannotCheck(f"PyTensor could not read its `{name}` flag: {self.errors.get(name, 'unknown')}")
        return self.flags[name]

    @property
    def cxx(self) -> str:
        return self.flag("cxx")

    @property
    def blas_ldflags(self) -> str:
        return self.flag("blas__ldflags")

    @property
    def c_default(self) -> bool:
        """Whether PyTensor's default backend compiles C (PyTensor 2.x), rather than Numba (3.x) or JAX."""
        return self.default_linker not in NON_C_LINKERS


@dataclass
class LockHolder(Record):
    pid: int = 0
    command: str = ""
    compiling: bool = False
    seconds_running: int = 0


@dataclass
class LockState(Record):
    """PyTensor's compile lock: held by another process, and stuck when its holder compiles nothing."""

    held_by_other: bool = False
    file: str = ""
    error: str | None = None
    holder: LockHolder | None = None
    stuck: bool = False

    @classmethod
    def of(cls, data: Any) -> Self:
        lock = super().of(data)
        return dataclasses.replace(lock, holder=None if lock.holder is None else LockHolder.of(lock.holder))


@dataclass
class CompileDir(Record):
    """PyTensor's compile folder: ``path`` when PyTensor could make it, else ``error`` and the nearest
    folder that exists."""

    base: str = ""
    path: str | None = None
    error: str | None = None
    existing_ancestor: str | None = None
    ancestor_is_dir: bool = False
    writable: bool | None = None
    write_error: str | None = None
    free_bytes: int | None = None
    lock: LockState | None = None

    @classmethod
    def of(cls, data: Any) -> Self:
        folder = super().of(data)
        return dataclasses.replace(folder, lock=None if folder.lock is None else LockState.of(folder.lock))

    @property
    def where(self) -> str:
        return self.path or self.base


@dataclass
class ThreadPool(Record):
    """A thread pool threadpoolctl found: a BLAS (``user_api == "blas"``) or an OpenMP runtime."""

    user_api: str | None = None
    internal_api: str | None = None
    prefix: str | None = None
    version: str | None = None
    num_threads: int | None = None
    threading_layer: str | None = None
    filepath: str | None = None


@dataclass
class SmokeSample(Record):
    seconds: float = 0.0
    sampling_seconds: float | None = None
    sampler: str | None = None
    sampler_version: str | None = None
    chains: int = 0
    draws: int = 0
    divergences: int | None = None
    mu_mean: float | None = None


@dataclass
class SmokeError(Record):
    stage: str = "sample"  # import, model or sample
    error: str = ""
    traceback: str = ""


class StaticFacts(dict):
    """Facts read in this process, by name. One that could not be read is absent, and reading it
    raises CannotCheck with the reason."""

    def __init__(self, facts: dict[str, Any], errors: dict[str, str]) -> None:
        super().__init__(facts)
        self.errors = errors

    def __missing__(self, key: str) -> Any:
        raise CannotCheck(f"the {key.replace('_', ' ')} could not be read: {self.errors.get(key, 'not collected')}")
