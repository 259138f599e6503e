"""Everything the env checks read: the facts read in this process and each probe's result, typed.

``EnvFacts`` keeps what was gathered as plain data (the probes' results are cached as such) and
reads it through the records of ``pymc_doctor.probes.facts``: ``facts.platform.system``,
``facts.base.threadpools``, ``facts.pytensor.cxx``. A fact or probe that is missing raises
``CannotCheck`` with the reason, so a check that needs it is skipped rather than failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pymc_doctor.probes.facts import (
    Channel,
    CompileDir,
    Distribution,
    Hardware,
    LegacyImport,
    Note,
    NumpyConflict,
    Outcome,
    Platform,
    PyTensorConfig,
    Record,
    Requirement,
    SmokeError,
    SmokeSample,
    StaticFacts,
    ThreadPool,
    flag_setting,
    normalize,
)
from pymc_doctor.probes.protocol import ProbeResult
from pymc_doctor.registry import CannotCheck

Value = TypeVar("Value")


class StaticFact(Generic[Value]):
    """A fact read in this process (``EnvFacts.static``), typed by ``convert``."""

    def __init__(self, convert: Callable[[Any], Value]) -> None:
        self.convert = convert

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, facts: Any, owner: type | None = None) -> Value:
        if facts is None:  # looked up on the class, as help() does
            return self  # type: ignore[return-value]
        # StaticFacts raises CannotCheck for a fact that could not be read.
        return self.convert(facts.static[self.name])


class Reported(Generic[Value]):
    """A fact a probe reported, read by ``convert``; None when the probe did not report it."""

    def __init__(self, convert: Callable[[Any], Value]) -> None:
        self.convert = convert

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, probe: Any, owner: type | None = None) -> Value | None:
        if probe is None:  # looked up on the class, as help() does
            return self  # type: ignore[return-value]
        data = probe.data.get(self.name)
        return None if data is None else self.convert(data)


def _each(cls: type[Record]) -> Callable[[Any], list[Any]]:
    return lambda items: [cls.of(item) for item in items]


@dataclass
class ProbeView:
    """One probe's result, read: how it ended, and the facts every probe reports."""

    result: ProbeResult

    @property
    def data(self) -> dict[str, Any]:
        return self.result.data

    @property
    def failure(self) -> str | None:
        return self.result.failure

    @property
    def stderr_tail(self) -> str:
        return self.result.stderr_tail

    def summary(self) -> dict[str, Any]:
        return self.result.summary()

    @property
    def imports(self) -> dict[str, Outcome]:
        """Every import the probe tried: those it lists, then PyTensor's and PyMC's (the base probe's)."""
        imports = dict(self.data.get("imports", {}))
        for key in ("pytensor_import", "pymc_import"):
            if key in self.data:
                imports[key.removesuffix("_import")] = self.data[key]
        return {module: Outcome.of(outcome) for module, outcome in imports.items()}

    @property
    def notes(self) -> list[Note]:
        return [Note.of(note) for note in self.data.get("notes", [])]

    @property
    def crashed_import(self) -> str | None:
        """The module whose import was under way when the probe crashed or ran out of time."""
        if not self.failure:
            return None
        module = self.data.get("importing")
        done = set(self.data.get("imports", {})) | {key.removesuffix("_import") for key in self.data}
        return module if module and module not in done else None


class BaseProbe(ProbeView):
    """The probe that imports NumPy, SciPy, PyTensor and PyMC and reads PyTensor's configuration."""

    start_method = Reported(str)
    pytensor_import = Reported(Outcome.of)
    pymc_import = Reported(Outcome.of)
    pytensor = Reported(PyTensorConfig.of)
    compiledir = Reported(CompileDir.of)
    # The BLAS and OpenMP libraries loaded after the imports; None when the probe did not get that far.
    threadpools = Reported(_each(ThreadPool))


class SamplersProbe(ProbeView):
    """The probe that imports the sampler backends and asks JAX for its devices."""

    @property
    def reported(self) -> bool:
        return "imports" in self.data

    @property
    def jax_platforms(self) -> list[str] | None:
        """The platforms of the devices JAX sees (``cpu``, ``gpu``); None when JAX did not import."""
        jax = self.data.get("jax")
        return None if jax is None else [device["platform"] for device in jax.get("devices", [])]


class CompileProbe(ProbeView):
    """The probe that compiles a C op, and a BLAS product when PyTensor has BLAS flags."""

    c_op = Reported(Outcome.of)
    blas_op = Reported(Outcome.of)


class SmokeProbe(ProbeView):
    """The probe that samples a tiny model."""

    sample = Reported(SmokeSample.of)
    error = Reported(SmokeError.of)


@dataclass
class EnvFacts:
    """What the env checks read: facts read here, and each probe's result."""

    static: StaticFacts
    probes: dict[str, ProbeResult]
    quick: bool = False
    # Why each probe that was asked for has no result.
    not_run: dict[str, str] = field(default_factory=dict)
    # The probes whose results were reused from an earlier run (``probes.cache``), with when they ran.
    reused: dict[str, float] = field(default_factory=dict)

    platform = StaticFact(Platform.of)
    channel = StaticFact(Channel.of)
    hardware = StaticFact(Hardware.of)
    # Every installed copy of each distribution of the stack, in sys.path order (the first wins).
    distributions = StaticFact(lambda data: {name: _each(Distribution)(copies) for name, copies in data.items()})
    pymc_requirements = StaticFact(_each(Requirement))
    numpy_conflicts = StaticFact(_each(NumpyConflict))
    legacy_imports = StaticFact(_each(LegacyImport))
    legacy_modules = StaticFact(dict)  # module -> where it is
    legacy_rc_files = StaticFact(list)
    shadowing = StaticFact(list)  # modules that files in the working folder hide
    env_vars = StaticFact(dict)
    compilers = StaticFact(dict)  # name -> path of the C++ compilers on PATH
    cwd = StaticFact(str)
    home = StaticFact(str)
    in_notebook = StaticFact(bool)

    def probe(self, name: str) -> ProbeResult:
        """A probe's result; CannotCheck when it was skipped or did not start."""
        result = self.probes.get(name)
        if result is None:
            raise CannotCheck(self.not_run.get(name, f"the {name} probe did not run"))
        return result

    @property
    def base(self) -> BaseProbe:
        return BaseProbe(self.probe("base"))

    @property
    def samplers(self) -> SamplersProbe:
        return SamplersProbe(self.probe("samplers"))

    @property
    def compile_probe(self) -> CompileProbe:
        return CompileProbe(self.probe("compile"))

    @property
    def smoke(self) -> SmokeProbe:
        return SmokeProbe(self.probe("smoke"))

    @property
    def pytensor(self) -> PyTensorConfig:
        """PyTensor's configuration as the base probe read it; CannotCheck when PyTensor did not import."""
        base = self.base
        if base.pytensor is not None:
            return base.pytensor
        if base.pytensor_import and base.pytensor_import.ok:
            raise CannotCheck(f"the probe {base.failure or 'did not report'} while reading PyTensor's configuration")
        raise CannotCheck("PyTensor could not be imported (see ENV107)")

    @property
    def compiledir(self) -> CompileDir:
        # PyTensor's configuration comes first: when it is missing, its reason is the one to give.
        folder = self.base.compiledir if self.pytensor else None
        if folder is None:
            raise CannotCheck("the probe did not reach the compile directory")
        return folder

    @property
    def pytensor_flags(self) -> dict[str, str]:
        """The flags PYTENSOR_FLAGS sets, as PyTensor reads them: a later setting of a flag wins."""
        parts = self.env_vars.get("PYTENSOR_FLAGS", "").split(",")
        return dict(setting for part in parts if (setting := flag_setting(part)))

    def version(self, name: str) -> str | None:
        copies = self.distributions.get(normalize(name))
        return copies[0].version if copies else None

    def reused_from(self, name: str) -> str | None:
        """When a reused probe ran (ISO 8601, UTC), or None when it ran now."""
        if name not in self.reused:
            return None
        return datetime.fromtimestamp(self.reused[name], UTC).isoformat(timespec="seconds")

    def _probe_summary(self, name: str) -> dict[str, Any]:
        summary = self.probes[name].summary()
        if name in self.reused:
            summary["reused_from"] = self.reused_from(name)
        return summary

    def summary(self) -> dict[str, Any]:
        """The facts a report shows as context: platform, install channel, hardware, PyTensor, BLAS, samplers.

        Read from the plain data, each with a default, since a report shows what there is."""
        static = self.static
        hardware = static.get("hardware", {})
        base = self.probes["base"].data
        pytensor = base.get("pytensor", {})
        flags = pytensor.get("flags", {})
        samplers = self.probes["samplers"].data if "samplers" in self.probes else {}
        summary: dict[str, Any] = {
            "platform": static.get("platform"),
            "channel": static.get("channel", {}).get("kind"),
            "hardware": {
                "logical_cores": hardware.get("logical_cores"),
                "physical_cores": hardware.get("physical_cores"),
                "memory_gb": round(hardware.get("memory_total", 0) / 2**30, 1),
                "available_gb": round(hardware.get("memory_available", 0) / 2**30, 1),
                "gpus": hardware.get("gpus", []),
            },
            "pytensor": {
                "default_linker": pytensor.get("default_linker"),
                "cxx": flags.get("cxx"),
                "blas__ldflags": flags.get("blas__ldflags"),
                "compiledir": flags.get("compiledir") or flags.get("base_compiledir"),
            },
            "blas": [
                {
                    "library": pool.get("internal_api"),
                    "version": pool.get("version"),
                    "threading_layer": pool.get("threading_layer"),
                    "threads": pool.get("num_threads"),
                }
                for pool in base.get("threadpools", [])
                if pool.get("user_api") == "blas"
            ],
            "start_method": base.get("start_method"),
            "samplers": {
                name: "ok" if result.get("ok") else "fails to import"
                for name, result in samplers.get("imports", {}).items()
            },
            "jax_devices": [device.get("platform") for device in samplers.get("jax", {}).get("devices", [])],
            "env_vars": static.get("env_vars", {}),
            "probes": {name: self._probe_summary(name) for name in self.probes},
            "unread_facts": static.errors,
        }
        smoke = self.probes.get("smoke")
        if smoke and "sample" in smoke.data:
            summary["smoke_test"] = smoke.data["sample"]
        return summary
