"""Installation checks: what in this Python environment stops PyMC from working, or slows it down.

Each check reads the facts that ``pymc_doctor.probes`` gathered (``subject.env``); none of them
imports PyTensor or PyMC here, runs code, or changes the user's environment. Fixes are spelled for
the user's platform and install channel: conda-forge or pixi commands, m2w64 on Windows, MKL on an
Intel Mac, Accelerate or OpenBLAS on Apple silicon.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from packaging.version import InvalidVersion, Version

from pymc_doctor import remedies
from pymc_doctor.finding import Finding, Severity
from pymc_doctor.probes import (
    JAX_GPU_PLUGINS,
    LEGACY,
    LOCK_WAIT_S,
    SAMPLER_MODULES,
    THREAD_VARIABLES,
    EnvFacts,
    ProbeResult,
)
from pymc_doctor.registry import CannotCheck, rule
from pymc_doctor.subject import Subject

ENV = "env"

# The newest PyMC major line as of this release, and the oldest Python it installs on.
CURRENT_PYMC_MAJOR = 6
CURRENT_PYMC_MIN_PYTHON = (3, 12)

# PyTensor backends that compile without a C++ compiler and without the BLAS flags.
NON_C_LINKERS = ("NumbaLinker", "JAXLinker", "PytorchLinker", "MLXLinker")

# Messages of an extension built against another NumPy than the one installed.
NUMPY_ABI_PATTERNS = (
    r"compiled using NumPy \d",
    r"compiled against ABI version",
    r"numpy\.dtype size changed",
    r"numpy\.(_core|core)\.multiarray failed to import",
    r"_ARRAY_API not found",
    r"needs NumPy [\d.]+ or (less|greater)",
)
_NUMPY_ABI = re.compile("|".join(NUMPY_ABI_PATTERNS))

MKL_THREADING_LAYERS = ("INTEL", "SEQUENTIAL", "GNU", "TBB")
# The variables that set how many threads the BLAS libraries start.
BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CORE_PACKAGES = ("pymc", "pytensor", "numpy", "scipy")
MAIN_GUARD = 'def main():\n    with model:\n        idata = pm.sample()\n\n\nif __name__ == "__main__":\n    main()'
SMOKE_CODE = 'import pymc as pm\n\nwith pm.Model():\n    pm.Normal("mu")\n    idata = pm.sample(draws=200, tune=200)'
# The module each legacy distribution installs.
LEGACY_PROVIDERS = {"pymc3": "pymc3", "theano": "theano", "theano-pymc": "theano", "aesara": "aesara"}


# The rules that read each optional probe: `doctor.env` runs a probe only when one of them is selected.
PROBE_READERS = {
    "samplers": ("ENV106", "ENV501", "ENV502", "ENV503"),
    "compile": ("ENV202", "ENV302"),
    "smoke": ("ENV801",),
}


# ---------------------------------------------------------------------------------------------
# Reading the facts


def _facts(subject: Subject) -> EnvFacts:
    return subject.env


def _probe(subject: Subject, name: str) -> dict[str, Any]:
    """A probe's data; CannotCheck when it was skipped or did not report."""
    facts = _facts(subject)
    result = facts.probes.get(name)
    if result is None:
        raise CannotCheck(facts.not_run.get(name, f"the {name} probe did not run"))
    return result.data


def _reused_note(facts: EnvFacts, name: str) -> str:
    """A sentence saying that a probe's result comes from an earlier run, or nothing when it ran now."""
    if name not in facts.reused:
        return ""
    when = datetime.fromtimestamp(facts.reused[name]).strftime("%Y-%m-%d %H:%M")
    return (
        f" (Run at {when} and reused: nothing in this installation has changed since; "
        "`pymc-doctor env --fresh` runs it again.)"
    )


def _pytensor(subject: Subject) -> dict[str, Any]:
    """PyTensor's configuration as the base probe read it; CannotCheck when PyTensor did not import."""
    data = _probe(subject, "base")
    if "pytensor" in data:
        return data["pytensor"]
    if data.get("pytensor_import", {}).get("ok"):
        failure = _facts(subject).probes["base"].failure
        raise CannotCheck(f"the probe {failure or 'did not report'} while reading PyTensor's configuration")
    raise CannotCheck("PyTensor could not be imported (see ENV107)")


def _flag(pytensor: dict[str, Any], name: str) -> Any:
    if name not in pytensor["flags"]:
        raise CannotCheck(f"PyTensor could not read its `{name}` flag: {pytensor['errors'].get(name, 'unknown')}")
    return pytensor["flags"][name]


def _c_default(pytensor: dict[str, Any]) -> bool:
    """Whether PyTensor's default backend compiles C (PyTensor 2.x), rather than Numba (3.x) or JAX."""
    return pytensor.get("default_linker") not in NON_C_LINKERS


def _c_severity(pytensor: dict[str, Any], when_c: Severity, otherwise: Severity) -> Severity:
    return when_c if _c_default(pytensor) else otherwise


def _system(facts: EnvFacts) -> str:
    return facts.static["platform"]["system"]


def _apple_silicon(facts: EnvFacts) -> bool:
    platform = facts.static["platform"]
    return platform["system"] == "Darwin" and (platform["machine"] == "arm64" or platform["rosetta"])


def _intel_mac(facts: EnvFacts) -> bool:
    platform = facts.static["platform"]
    return platform["system"] == "Darwin" and platform["machine"] == "x86_64" and not platform["rosetta"]


def _channel(facts: EnvFacts) -> str:
    return facts.static["channel"]["kind"]


def _major(version: str | None) -> int | None:
    try:
        return Version(version).major if version else None
    except InvalidVersion:
        return None


def _cores(facts: EnvFacts) -> int:
    hardware = facts.static["hardware"]
    return hardware["usable_cores"] or hardware["logical_cores"]


def _key_lines(text: str, limit: int = 3) -> str:
    """The lines of a compiler or import error that say what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [
        line
        for line in lines
        if re.search(r"error|cannot find|not found|undefined reference|No such file|denied", line, re.IGNORECASE)
        and len(line) < 400  # not the compiler's command line
    ]
    chosen = (wanted or lines)[-limit:]
    return " | ".join(chosen)[:600]


def _crashed_import(probe: ProbeResult) -> str | None:
    """The module whose import was under way when the probe crashed or ran out of time."""
    if not probe.failure:
        return None
    module = probe.data.get("importing")
    done = set(probe.data.get("imports", {})) | {key.removesuffix("_import") for key in probe.data}
    return module if module and module not in done else None


def _first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _finding(code: str, severity: Severity, title: str, message: str, **fields) -> Finding:
    return Finding(code=code, severity=severity, category=ENV, title=title, message=message, docs=code, **fields)


# ---------------------------------------------------------------------------------------------
# Fixes, spelled for the platform and the install channel


def _quote(spec: str) -> str:
    return f'"{spec}"' if any(c in spec for c in "<>=*! ") else spec


def _install(facts: EnvFacts, *specs: str, reinstall: bool = False, upgrade: bool = False) -> str:
    """The command that installs ``specs`` into this environment with its own installer."""
    quoted = " ".join(_quote(spec) for spec in specs)
    kind = _channel(facts)
    if kind == "pixi":
        return f"pixi add {quoted}"
    flags = "--force-reinstall " if reinstall else ""
    if kind == "conda":
        return f"conda {'update' if upgrade else 'install'} -c conda-forge {flags}{quoted}"
    flags += "--upgrade " if upgrade else ""
    if kind == "uv":
        return f"uv pip install {flags}{quoted}"
    return f"python -m pip install {flags}{quoted}"


def _blas_variant(facts: EnvFacts) -> str | None:
    if _intel_mac(facts):
        return "libblas=*=*mkl"
    if _apple_silicon(facts):
        return "libblas=*=*accelerate"
    return None


def _conda_forge_env(facts: EnvFacts, *extra: str) -> str:
    """A fresh conda-forge environment with PyMC: the cure for a pip install without BLAS or compiler."""
    specs = " ".join(_quote(spec) for spec in ("pymc", *extra))
    return (
        f"conda create -c conda-forge -n pymc_env {specs}\n"
        "conda activate pymc_env\n"
        "# or, with pixi, in your project folder:\n"
        f"pixi init && pixi add {specs}"
    )


def _set_variable(facts: EnvFacts, name: str, value: str) -> str:
    if _system(facts) == "Windows":
        return f'$env:{name} = "{value}"'
    if re.fullmatch(r"[\w@%+=:,./-]*", value):
        return f"export {name}={value}"
    # Double quotes, so that $HOME in a suggested value expands.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'export {name}="{escaped}"'


def _unset_variable(facts: EnvFacts, name: str) -> str:
    if _system(facts) == "Windows":
        return f"Remove-Item Env:{name}"
    return f"unset {name}"


def _compiler_fix(facts: EnvFacts) -> tuple[str, str]:
    """How to get a C++ compiler PyTensor can use, here."""
    system = _system(facts)
    conda = _channel(facts) in ("conda", "pixi")
    if system == "Windows":
        fix = (
            "Install the MinGW-w64 toolchain from conda-forge into this environment (PyTensor on Windows "
            "compiles with its g++); or run PyMC under WSL, where Linux's g++ just works."
        )
        code = (
            _install(facts, "m2w64-toolchain", "libpython")
            if conda
            else _conda_forge_env(facts, "m2w64-toolchain", "libpython")
        )
        return fix, code
    if system == "Darwin":
        fix = "Install Apple's command line tools (clang++), or conda-forge's clang into a conda environment."
        code = "xcode-select --install"
        if conda:
            code += "\n# or\n" + _install(facts, "clangxx")
        return fix, code
    fix = "Install a C++ compiler: conda-forge's gxx into a conda environment, or your system's g++."
    if conda:
        return fix, _install(facts, "gxx")
    return fix, "sudo apt-get install g++    # Debian/Ubuntu; Fedora: sudo dnf install gcc-c++\n# or\n" + (
        _conda_forge_env(facts, "gxx")
    )


def _pytensor_flags_without(facts: EnvFacts, flag: str) -> str | None:
    """PYTENSOR_FLAGS with one flag removed, or None when it does not set it."""
    value = facts.static["env_vars"].get("PYTENSOR_FLAGS")
    if not value:
        return None
    parts = [part for part in value.split(",") if part.strip()]
    kept = [part for part in parts if part.split("=", 1)[0].strip() != flag]
    return ",".join(kept) if len(kept) != len(parts) else None


def _flags_fix_code(facts: EnvFacts, flag: str, fallback: str) -> str:
    rest = _pytensor_flags_without(facts, flag)
    if rest is None:
        return fallback
    if rest:
        return _set_variable(facts, "PYTENSOR_FLAGS", rest)
    return _unset_variable(facts, "PYTENSOR_FLAGS")


# ---------------------------------------------------------------------------------------------
# Versions and packages


@rule("ENV101", "legacy-packages", category=ENV, severity="error", needs=("env",))
def legacy_packages(subject: Subject) -> Iterator[Finding]:
    """PyMC3, Theano or Aesara installed beside PyMC.

    What it checks: whether the distributions `pymc3`, `theano`, `theano-pymc` or `aesara` are
    installed, or their modules importable, in the environment that has `pymc`.

    Why it matters: `pymc3` is PyMC before 2022 and runs on Theano; tutorials that say
    `pip install pymc3` or `import pymc3 as pm` lead to the old library, old API and old bugs,
    silently mixed with the new one. Theano and Aesara are PyTensor's retired predecessors.

    Threshold: any of them installed.

    Example: `pip install pymc3` in an environment that already has `pymc`.

    Fix: uninstall them and write `import pymc as pm` and `import pytensor.tensor as pt`.
    """
    facts = _facts(subject)
    dists = facts.static["distributions"]
    found = {name: dists[name][0] for name in LEGACY if name in dists}
    # A module on the path without metadata (a copied folder, an egg) counts too.
    for module, where in facts.static["legacy_modules"].items():
        if not any(LEGACY_PROVIDERS[name] == module for name in found):
            found[module] = {"version": "of unknown version", "location": where}
    if not found:
        return
    listed = _and([f"{name} {info['version']}" for name, info in found.items()])
    pymc = facts.version("pymc")
    beside = f" beside pymc {pymc}" if pymc else ""
    removable = [name for name in found if name in dists]
    conda = [name for name in removable if dists[name][0].get("installer") == "conda"]
    pip = [name for name in removable if name not in conda]
    commands = []
    if pip:
        commands.append("python -m pip uninstall -y " + " ".join(pip))
    if conda:
        commands.append("conda remove " + " ".join(conda))
    commands += [f"# remove {module} from {info['location']}" for module, info in found.items() if module not in dists]
    commands.append("# and in your code:\nimport pymc as pm\nimport pytensor.tensor as pt")
    yield _finding(
        "ENV101",
        "error",
        "Legacy PyMC3/Theano packages are installed",
        (
            f"{listed} {'is' if len(found) == 1 else 'are'} installed{beside}. PyMC3 is PyMC before 2022 and "
            "runs on Theano; Theano and Aesara are PyTensor's retired predecessors. Code that imports them "
            "runs the old library with its old API and bugs, not the PyMC you installed."
        ),
        evidence={"packages": found},
        fix="Uninstall the legacy packages, and import `pymc` and `pytensor` in your code.",
        fix_code="\n".join(commands),
    )


@rule("ENV102", "legacy-code", category=ENV, severity="warning", needs=("env",))
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
    hits = _facts(subject).static["legacy_imports"]
    if not hits:
        return
    shown = ", ".join(f"{hit['file']} ({', '.join(hit['modules'])})" for hit in hits[:5])
    more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
    yield _finding(
        "ENV102",
        "warning",
        f"{_count(len(hits), 'file')} here import{'s' if len(hits) == 1 else ''} PyMC3, Theano or Aesara",
        (
            f"{shown}{more} import the pre-2022 libraries. With PyMC installed they fail or, if the legacy "
            "packages are installed too, run the old library instead of PyMC."
        ),
        evidence={"files": hits[:20], "folder": _facts(subject).static["cwd"]},
        fix="Import PyMC and PyTensor instead; the model code itself mostly carries over.",
        fix_code=(
            "import pymc as pm            # was: import pymc3 as pm\n"
            "import pytensor.tensor as pt  # was: import theano.tensor as tt / import aesara.tensor as at"
        ),
    )


@rule("ENV103", "legacy-config", category=ENV, severity="warning", needs=("env",))
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
    facts = _facts(subject)
    variables = {
        name: value
        for name, value in facts.static["env_vars"].items()
        if name in ("THEANO_FLAGS", "THEANORC", "AESARA_FLAGS", "AESARARC")
    }
    files = facts.static["legacy_rc_files"]
    if not variables and not files:
        return
    named = [f"{name}={value}" for name, value in variables.items()] + files
    code = ["# move what you still need to PYTENSOR_FLAGS or ~/.pytensorrc, then:"]
    code += [_unset_variable(facts, name) for name in variables]
    code += [f"mv {shlex.quote(path)} {shlex.quote(path + '.old')}" for path in files]
    yield _finding(
        "ENV103",
        "warning",
        "Theano/Aesara settings are present, and PyTensor ignores them",
        (
            f"{'; '.join(named)}: PyTensor reads only PYTENSOR_FLAGS and ~/.pytensorrc, so these settings "
            "have no effect."
        ),
        evidence={"variables": variables, "files": files},
        fix="Move the settings you still want to PYTENSOR_FLAGS or ~/.pytensorrc and remove the old ones.",
        fix_code="\n".join(code),
    )


@rule("ENV104", "old-pymc", category=ENV, severity="warning", needs=("env",))
def old_pymc(subject: Subject) -> Iterator[Finding]:
    """A PyMC older than the current major line.

    What it checks: the installed PyMC's major version against the newest line this release of
    the doctor knows (PyMC 6, which needs Python 3.12 or newer).

    Why it matters: fixes, speed-ups and the documentation follow the current line; PyMC before
    5 is no longer supported at all.

    Threshold: a major version below 5 is an error; PyMC 5 on a Python that could install PyMC 6
    is a warning; PyMC 5 on Python 3.11 is the newest possible there and passes.

    Example: `pymc 5.28` on Python 3.12.

    Fix: upgrade PyMC with the installer that installed it.
    """
    facts = _facts(subject)
    version = facts.version("pymc")
    major = _major(version)
    if major is None:
        raise CannotCheck("PyMC's version is unknown")
    python = tuple(int(part) for part in facts.static["platform"]["python"].split(".")[:2])
    if major >= CURRENT_PYMC_MAJOR:
        return
    can_upgrade = python >= CURRENT_PYMC_MIN_PYTHON
    if major >= 5 and not can_upgrade:
        return
    severity: Severity = "error" if major < 5 else "warning"
    python_version = facts.static["platform"]["python"]
    if can_upgrade:
        newest, target = (
            f"PyMC {CURRENT_PYMC_MAJOR} is the current line and installs on this Python {python_version}",
            CURRENT_PYMC_MAJOR,
        )
    else:
        newest, target = (
            f"PyMC 5 is the newest line for Python {python_version} (PyMC {CURRENT_PYMC_MAJOR} needs 3.12)",
            5,
        )
    unsupported = (
        " PyMC before 5 is unsupported: current documentation and answers will not match it." if major < 5 else ""
    )
    yield _finding(
        "ENV104",
        severity,
        f"PyMC {version} is older than the current PyMC {target} line",
        f"PyMC {version} is installed; {newest}.{unsupported}",
        evidence={"installed": version, "current_major": CURRENT_PYMC_MAJOR, "python": python_version},
        fix=f"Upgrade to PyMC {target}.",
        fix_code=_install(facts, f"pymc>={target}", upgrade=True),
    )


@rule("ENV105", "version-conflict", category=ENV, severity="error", needs=("env",))
def version_conflict(subject: Subject) -> Iterator[Finding]:
    """A dependency outside the range the installed PyMC declares.

    What it checks: every requirement in PyMC's own metadata (PyTensor, ArviZ, NumPy, SciPy,
    ...; and optional ones such as nutpie when they are installed) against the installed version,
    read with `packaging` without importing anything.

    Why it matters: PyMC is tested against the PyTensor and ArviZ ranges it declares; outside
    them it fails on import or, worse, mid-way through a model (ArviZ 1.x under PyMC 5, a
    PyTensor from another minor line). A forced install (`pip install --no-deps`, or two
    installers) leaves such combinations behind.

    Threshold: any required package missing or out of range is an error; an installed optional
    one out of range is a warning (PyMC falls back or refuses that feature).

    Example: `pytensor 2.37` under `pymc 5.28`, which requires `pytensor>=2.38.2,<2.39`.

    Fix: install the versions PyMC asks for.
    """
    facts = _facts(subject)
    broken = [req for req in facts.static["pymc_requirements"] if not req["satisfied"]]
    if not broken:
        return
    required = [req for req in broken if req["extra"] is None]
    severity: Severity = "error" if required else "warning"
    parts = []
    for req in broken:
        have = f"{req['installed']} is installed" if req["installed"] else "it is not installed"
        optional = f" (optional, for `{req['extra']}`)" if req["extra"] else ""
        parts.append(f"{req['name']}{req['specifier']}{optional}, but {have}")
    specs = [f"{req['name']}{req['specifier']}" for req in broken]
    yield _finding(
        "ENV105",
        severity,
        f"PyMC {facts.version('pymc')} requires other versions of {', '.join(r['name'] for r in broken)}",
        f"PyMC {facts.version('pymc')} declares {'; '.join(parts)}.",
        evidence={"requirements": broken},
        fix="Install the versions PyMC declares, with the installer that installed PyMC.",
        fix_code=_install(facts, *specs),
    )


def _abi_failures(subject: Subject) -> list[dict[str, str]]:
    failures = []
    for probe in ("base", "samplers"):
        result = _facts(subject).probes.get(probe)
        if result is None:
            continue
        imports = dict(result.data.get("imports", {}))
        for key in ("pytensor_import", "pymc_import"):
            if key in result.data:
                imports[key.removesuffix("_import")] = result.data[key]
        for module, outcome in imports.items():
            # What NumPy printed first: it names the ABI versions; the exception only says the import failed.
            text = f"{outcome.get('stderr') or ''}\n{outcome.get('error') or ''}"
            if not outcome.get("ok") and _NUMPY_ABI.search(text):
                match = next(line for line in text.splitlines() if _NUMPY_ABI.search(line))
                failures.append({"module": module, "error": match.strip()[:300]})
    return failures


@rule("ENV106", "numpy-abi", category=ENV, severity="error", needs=("env",))
def numpy_abi(subject: Subject) -> Iterator[Finding]:
    """A compiled package built for another NumPy than the one installed.

    What it checks: packages with compiled extensions whose metadata excludes the installed NumPy
    (e.g. `numpy<2` with NumPy 2.x installed), and imports in the probes that fail with NumPy's
    binary-incompatibility messages ("compiled using NumPy 1.x cannot be run in NumPy 2",
    "numpy.dtype size changed", "Numba needs NumPy 2.3 or less").

    Why it matters: an extension built against another NumPy major cannot load, or loads and
    crashes; PyMC, PyTensor, SciPy, Numba and nutpie all sit on NumPy's binary interface.

    Threshold: any such package or import failure.

    Example: an old SciPy wheel kept after `pip install -U numpy` brought NumPy 2.

    Fix: upgrade the package to a release built for the installed NumPy, or install the NumPy it
    was built for.
    """
    facts = _facts(subject)
    conflicts = [c for c in facts.static["numpy_conflicts"] if c["compiled"]]
    failures = _abi_failures(subject)
    if not conflicts and not failures:
        return
    numpy = facts.version("numpy")
    parts = [f"{c['name']} {c['version']} declares {c['requires']}" for c in conflicts]
    parts += [f"`import {f['module']}` fails: {f['error']}" for f in failures]
    upgrade = sorted({c["name"] for c in conflicts} | {f["module"].split(".")[0] for f in failures})
    upper = next((c["requires"] for c in conflicts if "<" in c["requires"]), None)
    code = _install(facts, *upgrade, upgrade=True)
    if upper:
        code += f"\n# or, if no release supports NumPy {numpy} yet:\n" + _install(facts, upper)
    yield _finding(
        "ENV106",
        "error",
        f"Compiled packages do not match the installed NumPy {numpy}",
        (
            f"NumPy {numpy} is installed, but {'; '.join(parts)}. An extension built for another NumPy "
            "cannot load, or crashes when it does."
        ),
        evidence={"numpy": numpy, "conflicts": conflicts, "import_failures": failures},
        fix="Upgrade these packages to releases built for the installed NumPy, or install the NumPy they need.",
        fix_code=code,
    )


@rule("ENV107", "import-fails", category=ENV, severity="error", needs=("env",))
def import_fails(subject: Subject) -> Iterator[Finding]:
    """PyTensor or PyMC cannot be imported.

    What it checks: `import pytensor` and `import pymc` in a fresh Python with your environment
    variables and working folder, with a time limit; a crash, a hang or an exception is reported
    with its message.

    Why it matters: nothing else works until these imports do.

    Threshold: any failure (NumPy binary mismatches are reported by ENV106 instead).

    Example: a `PYTENSOR_FLAGS` value PyTensor cannot parse, or a missing dependency after a
    partial uninstall.

    Fix: the message names the cause; when in doubt, a fresh conda-forge environment.
    """
    facts = _facts(subject)
    base = facts.probes["base"]
    failures = []
    for key, module in (("pytensor_import", "pytensor"), ("pymc_import", "pymc")):
        outcome = base.data.get(key)
        if outcome and not outcome["ok"] and not _NUMPY_ABI.search(f"{outcome['error']}\n{outcome['stderr']}"):
            failures.append({"module": module, "error": outcome["error"]})
            break  # PyMC imports PyTensor: its failure is the same one
    crashed = _crashed_import(base)
    if crashed:
        failures.append({"module": crashed, "error": f"the import {base.failure}: {_key_lines(base.stderr_tail)}"})
    elif base.failure and "threadpools" not in base.data:
        failures.append({"module": "pytensor", "error": f"the probe {base.failure}: {_key_lines(base.stderr_tail)}"})
    if not failures:
        return
    first = failures[0]
    shadowing = [name for name in facts.static["shadowing"] if name in ("pymc", "pytensor", "numpy", "scipy")]
    fix = "Read the error: it names the missing or broken piece. If it is not clear, start from a fresh environment."
    code = _conda_forge_env(facts)
    if re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", first["error"]):
        missing = re.search(r"No module named '([\w]+)", first["error"]).group(1)
        fix = f"Install the missing module `{missing}` (a dependency removed or never installed)."
        code = _install(facts, missing)
    elif shadowing:
        fix = f"Rename the file {shadowing[0]}.py in this folder: it hides the real `{shadowing[0]}` (see ENV110)."
        code = f"mv {shadowing[0]}.py my_{shadowing[0]}.py"
    yield _finding(
        "ENV107",
        "error",
        f"`import {first['module']}` fails",
        "; ".join(f"`import {f['module']}` fails with {_key_lines(f['error'], 2)}" for f in failures) + ".",
        evidence={"failures": failures, "stderr": base.stderr_tail[-1500:]},
        fix=fix,
        fix_code=code,
    )


@rule("ENV108", "unknown-flag", category=ENV, severity="warning", needs=("env",))
def unknown_flag(subject: Subject) -> Iterator[Finding]:
    """A PyTensor flag that PyTensor does not know, and so ignores.

    What it checks: PyTensor's own warning "PyTensor does not recognise this flag" when it reads
    `PYTENSOR_FLAGS` and `~/.pytensorrc`, with the closest flag it does know.

    Why it matters: a misspelt flag (`blas_ldflags` for `blas__ldflags`, or a Theano-era name) is
    ignored after one easily missed warning, so the setting you think you made is not in effect.

    Threshold: any unrecognised flag.

    Example: `PYTENSOR_FLAGS=blas_ldflags=-lopenblas`.

    Fix: spell the flag as PyTensor names it (`python -c "import pytensor; print(pytensor.config)"`).
    """
    base = _probe(subject, "base")
    unknown = []
    for note in base.get("notes", []):
        match = re.search(r"does not recognise this flag: (\S+)", note["message"])
        if match and match.group(1) not in unknown:
            unknown.append(match.group(1))
    if not unknown:
        return
    known = base.get("pytensor", {}).get("known_flags", [])
    suggestions = {flag: difflib.get_close_matches(flag, known, n=1, cutoff=0.6) for flag in unknown}
    parts = [
        f"`{flag}`" + (f" (did you mean `{suggestions[flag][0]}`?)" if suggestions[flag] else "") for flag in unknown
    ]
    facts = _facts(subject)
    value = facts.static["env_vars"].get("PYTENSOR_FLAGS", "")
    code = 'python -c "import pytensor; print(pytensor.config)"  # every flag PyTensor knows'
    if value:
        fixed = value
        for flag, match in suggestions.items():
            if match:
                fixed = re.sub(rf"(^|,)\s*{re.escape(flag)}\s*=", rf"\g<1>{match[0]}=", fixed)
        if fixed != value:
            code = _set_variable(facts, "PYTENSOR_FLAGS", fixed)
    yield _finding(
        "ENV108",
        "warning",
        "PyTensor ignores flags it does not recognise",
        f"PyTensor does not recognise {', '.join(parts)}, and ignores {'it' if len(unknown) == 1 else 'them'}.",
        evidence={"unknown": unknown, "suggestions": suggestions, "PYTENSOR_FLAGS": value},
        fix="Spell the flags as PyTensor names them (double underscores for sections: `blas__ldflags`).",
        fix_code=code,
    )


@rule("ENV109", "duplicate-install", category=ENV, severity="warning", needs=("env",))
def duplicate_install(subject: Subject) -> Iterator[Finding]:
    """The same package installed twice, in two places on the import path.

    What it checks: PyMC, PyTensor, ArviZ, NumPy, SciPy, Numba, JAX and the sampler packages for
    more than one installed copy (metadata folders) on `sys.path`.

    Why it matters: Python imports the first copy on the path, installers and version reports
    may look at the other; upgrades then seem to have no effect, and versions mismatch. Typical
    sources: `pip install --user` beside a virtual environment, a folder on `PYTHONPATH`, pip
    and conda installing into the same environment.

    Threshold: two or more copies of one package.

    Example: NumPy in `~/.local/lib/python3.12/site-packages` and in the conda environment.

    Fix: uninstall the copy you did not mean to have.
    """
    facts = _facts(subject)
    duplicates = {name: copies for name, copies in facts.static["distributions"].items() if len(copies) > 1}
    duplicates = {name: copies for name, copies in duplicates.items() if name not in LEGACY}
    if not duplicates:
        return
    parts = []
    for name, copies in duplicates.items():
        where = "; ".join(f"{copy['version']} in {copy['location']}" for copy in copies)
        parts.append(f"{name}: {where}")
    names = list(duplicates)
    yield _finding(
        "ENV109",
        "warning",
        f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} installed more than once",
        (
            f"{'. '.join(parts)}. Python uses the first copy on its path (listed first); the others "
            "confuse upgrades and version reports."
        ),
        evidence={"duplicates": duplicates},
        fix="Remove the copies you did not mean to have (a `--user` install, a PYTHONPATH folder); reinstall once.",
        fix_code="\n".join(
            f"python -m pip uninstall -y {name}   # repeat until `pip show {name}` finds none, then reinstall"
            for name in names
        ),
    )


@rule("ENV110", "shadowed-module", category=ENV, severity="warning", needs=("env",))
def shadowed_module(subject: Subject) -> Iterator[Finding]:
    """A file in the current folder that hides a library.

    What it checks: files or folders in the current folder named like PyMC, PyTensor, ArviZ,
    NumPy, SciPy, pandas, xarray, or a standard module they import (`math.py`, `random.py`,
    `statistics.py`, `typing.py`, ...).

    Why it matters: notebooks and `python -c` import from the current folder first, so
    `import pymc` picks up your `pymc.py`, and NumPy picks up your `random.py`: errors that make
    no sense ("partially initialized module", "has no attribute").

    Threshold: any such name.

    Example: a script saved as `pymc.py` while learning PyMC.

    Fix: rename the file (and delete its `__pycache__`).
    """
    facts = _facts(subject)
    names = facts.static["shadowing"]
    if not names:
        return
    files = [f"{name}.py" for name in names]
    yield _finding(
        "ENV110",
        "warning",
        f"{', '.join(files)} in this folder hide{'s' if len(files) == 1 else ''} the real module",
        (
            f"{', '.join(files)} in {facts.static['cwd']} come before the installed libraries on the import path "
            "of a notebook or `python -c` started here."
        ),
        evidence={"names": names, "folder": facts.static["cwd"]},
        fix="Rename these files, and remove the `__pycache__` folder beside them.",
        fix_code="\n".join(f"mv {name}.py my_{name}.py" for name in names),
    )


# ---------------------------------------------------------------------------------------------
# BLAS


def _blas_fix(facts: EnvFacts, pytensor_installer: str | None) -> tuple[str, str]:
    variant = _blas_variant(facts)
    kind = _channel(facts)
    if kind in ("conda", "pixi"):
        if pytensor_installer not in (None, "conda"):
            fix = "PyTensor here came from pip, which brings no BLAS link: replace it with conda-forge's."
            return fix, "python -m pip uninstall -y pytensor pymc\n" + _install(facts, "pymc", variant or "libblas")
        return "Install a BLAS library into this conda environment.", _install(facts, variant or "libblas")
    where = {"uv": "a uv environment", "venv": "a pip virtual environment", "system": "a pip install"}[kind]
    fix = (
        f"This is {where}: PyPI's PyTensor cannot link a BLAS. Create a conda-forge (or pixi) environment, "
        "which ships PyTensor with a BLAS it links to"
    )
    if _intel_mac(facts):
        fix += " (MKL, the fast choice on an Intel Mac)"
    elif _apple_silicon(facts):
        fix += " (Accelerate on Apple silicon; conda-forge's default OpenBLAS works too)"
    return fix + ".", _conda_forge_env(facts, *([variant] if variant else []))


@rule("ENV201", "blas-fallback", category=ENV, severity="warning", needs=("env",))
def blas_fallback(subject: Subject) -> Iterator[Finding]:
    """PyTensor links no BLAS library and falls back to NumPy's C API.

    What it checks: PyTensor's `blas__ldflags` flag as PyTensor itself resolved it; empty means
    the fallback PyTensor warns about: "PyTensor could not link to a BLAS installation ... This
    usually happens when PyTensor is installed via pip" (older: "Using NumPy C-API based
    implementation for BLAS functions").

    Why it matters: matrix products and solves in compiled models run without an optimized BLAS,
    several times slower for models with matrix algebra (regressions with many predictors,
    Gaussian processes). It is a warning where the C backend is PyTensor's default (PyTensor 2.x)
    and a note where it is Numba (PyTensor 3.x), which does not use the flag.

    Threshold: `blas__ldflags == ""` while a C++ compiler is configured.

    Example: `pip install pymc` in a virtual environment on Linux or macOS.

    Fix: install PyMC from conda-forge (or with pixi), which ships a BLAS PyTensor links;
    MKL on an Intel Mac, Accelerate or OpenBLAS on Apple silicon.
    """
    facts = _facts(subject)
    pytensor = _pytensor(subject)
    if not _flag(pytensor, "cxx"):
        raise CannotCheck("no C++ compiler is configured, so PyTensor compiles nothing to link BLAS to (see ENV301)")
    if _flag(pytensor, "blas__ldflags"):
        return
    said = next((note["message"] for note in _probe(subject, "base").get("notes", []) if "BLAS" in note["message"]), "")
    installer = (facts.static["distributions"].get("pytensor") or [{}])[0].get("installer")
    fix, code = _blas_fix(facts, installer)
    told = _pytensor_flags_without(facts, "blas__ldflags") is not None
    cause = "PYTENSOR_FLAGS sets it so" if told else "it found no BLAS to link"
    if told:
        fix = f"PYTENSOR_FLAGS empties blas__ldflags: remove it so PyTensor looks for a BLAS. {fix}"
        code = f"{_flags_fix_code(facts, 'blas__ldflags', '')}\n# if PyTensor still finds no BLAS:\n{code}"
    c_default = _c_default(pytensor)
    consequence = (
        "matrix products and linear algebra in compiled models run without an optimized BLAS."
        if c_default
        else "this only slows PyTensor's C backend, as the default Numba backend here does not use the flag."
    )
    if c_default:
        fix += ' Meanwhile, `nuts_sampler="nutpie"` or `pytensor.config.mode = "NUMBA"` avoid the C backend.'
    yield _finding(
        "ENV201",
        _c_severity(pytensor, "warning", "info"),
        "PyTensor links no BLAS library (NumPy C-API fallback)",
        (
            f"PyTensor's blas__ldflags is empty: {cause}, "
            f"and its compiled code calls BLAS through NumPy's C API instead; {consequence}"
            + (f' PyTensor says: "{_first_line(said)}"' if said else "")
        ),
        evidence={
            "blas__ldflags": "",
            "pytensor_warning": _first_line(said),
            "channel": _channel(facts),
            "pytensor_installer": installer,
            "default_linker": pytensor.get("default_linker"),
        },
        fix=fix,
        fix_code=code,
    )


@rule("ENV202", "blas-link", category=ENV, severity="error", needs=("env",))
def blas_link(subject: Subject) -> Iterator[Finding]:
    """PyTensor's BLAS flags do not link.

    What it checks: the compile probe builds a matrix-vector product with PyTensor's C BLAS op,
    which links the libraries named in `blas__ldflags`.

    Why it matters: every compiled function with a matrix product then fails to compile
    ("cannot find -lblas"), or falls back to slow code.

    Threshold: the build fails (only checked when `blas__ldflags` is set and the C compiler works).

    Example: `PYTENSOR_FLAGS=blas__ldflags=-lopenblas` on a machine without OpenBLAS's
    development library.

    Fix: point `blas__ldflags` at a BLAS that exists, or remove the flag and let PyTensor detect one.
    """
    facts = _facts(subject)
    data = _probe(subject, "compile")
    pytensor = _pytensor(subject)
    if not _flag(pytensor, "blas__ldflags"):
        raise CannotCheck("PyTensor has no BLAS flags to link (see ENV201)")
    if not data.get("c_op", {}).get("ok"):
        raise CannotCheck("the C compiler itself does not work (see ENV302)")
    outcome = data.get("blas_op")
    if outcome is None:
        raise CannotCheck(f"the compile probe {facts.probes['compile'].failure or 'did not reach the BLAS step'}")
    if outcome["ok"]:
        return
    ldflags = _flag(pytensor, "blas__ldflags")
    yield _finding(
        "ENV202",
        _c_severity(pytensor, "error", "warning"),
        "PyTensor's BLAS flags do not link",
        (f"Compiling a matrix-vector product with blas__ldflags={ldflags!r} fails: {_key_lines(outcome['error'])}."),
        evidence={"blas__ldflags": ldflags, "error": _key_lines(outcome["error"], 6)},
        fix="Install the BLAS these flags name, or remove `blas__ldflags` from your flags so PyTensor detects one.",
        fix_code=_flags_fix_code(facts, "blas__ldflags", _install(facts, _blas_variant(facts) or "libblas")),
    )


@rule("ENV203", "blas-runtime", category=ENV, severity="warning", needs=("env",))
def blas_runtime(subject: Subject) -> Iterator[Finding]:
    """The BLAS that actually runs: missing, mixed OpenMP runtimes, or the slow choice for this Mac.

    What it checks: the BLAS and OpenMP libraries loaded after importing NumPy, SciPy, PyTensor and
    PyMC, as threadpoolctl reports them (OpenBLAS, MKL, Accelerate, BLIS; their threading layer).

    Why it matters: two OpenMP runtimes in one process (Intel's libiomp with GNU's libgomp, as
    MKL next to pip wheels loads them) can crash or deadlock; MKL itself then asks for
    `MKL_THREADING_LAYER=GNU`. An Intel Mac runs much faster on MKL than on OpenBLAS.

    Threshold: no BLAS loaded; more than one OpenMP runtime; an Intel Mac without MKL (a note).

    Example: conda's MKL NumPy with a pip-installed SciPy that brings libgomp.

    Fix: one BLAS and one OpenMP runtime from one channel (conda-forge); on an Intel Mac, MKL.
    """
    facts = _facts(subject)
    pools = _probe(subject, "base").get("threadpools")
    if pools is None:
        raise CannotCheck("the probe did not report the loaded libraries")
    blas = [pool for pool in pools if pool["user_api"] == "blas"]
    openmp = sorted({pool["internal_api"] for pool in pools if pool["user_api"] == "openmp"})
    evidence = {"blas": blas, "openmp": openmp}
    if not blas:
        yield _finding(
            "ENV203",
            "warning",
            "No BLAS library is loaded",
            "After importing NumPy, SciPy, PyTensor and PyMC, threadpoolctl finds no BLAS library.",
            evidence=evidence,
            fix="NumPy without BLAS is an unusual build: reinstall NumPy and SciPy from one channel.",
            fix_code=_install(facts, "numpy", "scipy"),
        )
    elif len(openmp) > 1:
        yield _finding(
            "ENV203",
            "warning",
            f"{len(openmp)} OpenMP runtimes are loaded at once ({', '.join(openmp)})",
            (
                f"The process loads {', '.join(openmp)}: BLAS libraries from different builds share one process. "
                "Two OpenMP runtimes can crash or deadlock; MKL then asks for MKL_THREADING_LAYER=GNU."
            ),
            evidence=evidence,
            fix="Install NumPy, SciPy and PyTensor from one channel; until then set MKL_THREADING_LAYER=GNU.",
            fix_code=_set_variable(facts, "MKL_THREADING_LAYER", "GNU")
            + "\n# lasting fix:\n"
            + _conda_forge_env(facts),
        )
    elif _intel_mac(facts) and not any(pool["internal_api"] == "mkl" for pool in blas):
        running = ", ".join(sorted({pool["internal_api"] for pool in blas}))
        yield _finding(
            "ENV203",
            "info",
            "An Intel Mac running without MKL",
            f"This Intel Mac runs {running}; Intel's MKL is markedly faster on Intel CPUs.",
            evidence=evidence,
            fix="Use conda-forge's MKL builds.",
            fix_code=_install(facts, "libblas=*=*mkl")
            if _channel(facts) in ("conda", "pixi")
            else _conda_forge_env(facts, "libblas=*=*mkl"),
        )


# ---------------------------------------------------------------------------------------------
# C++ compiler and compile directory


@rule("ENV301", "no-compiler", category=ENV, severity="error", needs=("env",))
def no_compiler(subject: Subject) -> Iterator[Finding]:
    """PyTensor has no C++ compiler.

    What it checks: PyTensor's `cxx` flag as PyTensor resolved it; empty means PyTensor found no
    compiler ("g++ not detected!  PyTensor will be unable to compile C-implementations and will
    default to Python") or was told not to use one (`cxx=` in `PYTENSOR_FLAGS`).

    Why it matters: where the C backend is the default (PyTensor 2.x, i.e. PyMC 5) every model
    then runs in pure Python, often 10 to 100 times slower: an error. Where Numba is the default
    (PyTensor 3.x) only the C backend is lost: a note.

    Threshold: `cxx == ""`.

    Example: Windows without the m2w64 toolchain; a slim Docker image without g++.

    Fix: on Windows `conda install -c conda-forge m2w64-toolchain libpython` (or use WSL); on
    macOS `xcode-select --install`; on Linux conda-forge's `gxx` or the system's g++. If a
    compiler is on `PATH`, remove `cxx=` from your PyTensor flags.
    """
    facts = _facts(subject)
    pytensor = _pytensor(subject)
    if _flag(pytensor, "cxx"):
        return
    on_path = facts.static["compilers"]
    flags = facts.static["env_vars"].get("PYTENSOR_FLAGS", "")
    told = _pytensor_flags_without(facts, "cxx") is not None
    c_default = _c_default(pytensor)
    impact = (
        "every model falls back to Python code, often 10-100x slower"
        if c_default
        else "the C backend is unavailable; the default Numba backend is unaffected"
    )
    if told:
        reason = "PYTENSOR_FLAGS sets `cxx=`" + (f" ({flags})" if flags.strip() != "cxx=" else "")
        fix = "Remove `cxx=` from PYTENSOR_FLAGS so PyTensor uses the compiler it finds."
        code = _flags_fix_code(facts, "cxx", "")
        if on_path:
            reason += f", although {', '.join(on_path.values())} is on PATH"
        else:
            reason += ", and no C++ compiler (g++, clang++) is on PATH either"
            install_fix, install_code = _compiler_fix(facts)
            fix = f"{install_fix} Then remove `cxx=` from PYTENSOR_FLAGS."
            code = f"{install_code}\n# then:\n{code}"
    elif on_path:
        reason = f"{', '.join(on_path.values())} is on PATH, but PyTensor's configuration (~/.pytensorrc?) sets no cxx"
        fix = f"Set PyTensor's cxx flag to {next(iter(on_path.values()))}, or remove `cxx` from ~/.pytensorrc."
        code = _set_variable(facts, "PYTENSOR_FLAGS", f"cxx={next(iter(on_path.values()))}")
    else:
        reason = "no C++ compiler (g++, clang++) is on PATH"
        fix, code = _compiler_fix(facts)
    yield _finding(
        "ENV301",
        _c_severity(pytensor, "error", "info"),
        "PyTensor has no C++ compiler",
        f"PyTensor's cxx is empty: {reason}. So {impact}.",
        evidence={
            "cxx": "",
            "compilers_on_path": on_path,
            "PYTENSOR_FLAGS": flags,
            "default_linker": pytensor.get("default_linker"),
        },
        fix=fix,
        fix_code=code,
    )


@rule("ENV302", "compile-fails", category=ENV, severity="error", needs=("env",))
def compile_fails(subject: Subject) -> Iterator[Finding]:
    """The C++ compiler does not build a PyTensor op.

    What it checks: the compile probe really builds and runs a tiny PyTensor C op (uncached, so
    the compiler runs every time) in your compile directory, in a child process with a time limit.

    Why it matters: a compiler that is found but broken (missing Python headers, a mismatched
    toolchain, an antivirus locking files, a folder g++ cannot write) makes every model fail to
    compile or fall back to slow code.

    Threshold: the build fails, crashes or does not finish in time. Skipped by `--quick`.

    Example: `PYTENSOR_FLAGS=cxx=/usr/bin/false`.

    Fix: follow the compiler's message; reinstall the toolchain for your platform.
    """
    facts = _facts(subject)
    data = _probe(subject, "compile")
    probe = facts.probes["compile"]
    pytensor = _pytensor(subject)
    if not _flag(pytensor, "cxx"):
        raise CannotCheck("no C++ compiler is configured (see ENV301)")
    outcome = data.get("c_op")
    if outcome is not None and outcome["ok"]:
        return
    if outcome is None:
        problem = f"the compile probe {probe.failure or 'ended early'}"
        detail = _key_lines(probe.stderr_tail)
    else:
        problem = "building the op fails"
        detail = _key_lines(outcome["error"])
    fix, code = _compiler_fix(facts)
    if "compiledir" in detail or "lock" in detail.lower():
        fix += " If the message names the compile folder, clear PyTensor's cache."
        code += "\npytensor-cache clear"
    yield _finding(
        "ENV302",
        _c_severity(pytensor, "error", "warning"),
        "PyTensor cannot compile C code",
        f"PyTensor's compiler {_flag(pytensor, 'cxx')}: {problem}: {detail}.",
        evidence={"cxx": _flag(pytensor, "cxx"), "error": detail, "probe": probe.summary()},
        fix=fix,
        fix_code=code,
    )


def _compiledir(subject: Subject) -> dict[str, Any]:
    _pytensor(subject)
    facts = _probe(subject, "base").get("compiledir")
    if facts is None:
        raise CannotCheck("the probe did not reach the compile directory")
    return facts


def _compiledir_suggestion(facts: EnvFacts, current: str) -> str:
    """A plain local folder for PyTensor's cache, other than the current one."""
    if _system(facts) == "Windows":
        return "C:\\pytensor_cache"
    return "$HOME/.pytensor" if current.rstrip("/") != facts.static["home"] + "/.pytensor" else "/tmp/pytensor-$USER"


@rule("ENV303", "compiledir-unusable", category=ENV, severity="error", needs=("env",))
def compiledir_unusable(subject: Subject) -> Iterator[Finding]:
    """PyTensor cannot create or write its compile directory.

    What it checks: PyTensor's `compiledir` (under `base_compiledir`): that PyTensor can create it,
    and that a file can be written in it.

    Why it matters: PyTensor (C backend) and Numba (PyTensor 3.x) cache compiled code there; without
    it every compile fails ("Unable to create the compiledir directory", "compiledir ... exists but
    you don't have read, write or listing permissions").

    Threshold: the directory cannot be created or written.

    Example: `base_compiledir` on a read-only share, under a file, or owned by another user after
    a `sudo` run.

    Fix: point `base_compiledir` at a folder you own, or fix the folder's permissions.
    """
    facts = _facts(subject)
    compiledir = _compiledir(subject)
    if "error" not in compiledir and compiledir.get("writable", True):
        return
    base = compiledir.get("base", "")
    ancestor = compiledir.get("existing_ancestor")
    if "error" in compiledir and ancestor and not compiledir.get("ancestor_is_dir"):
        reason = f"it cannot be created, because {ancestor} is a file, not a folder"
    elif "error" in compiledir:
        reason = f"it cannot be created ({_first_line(compiledir['error'].split(': ', 1)[-1])})"
    else:
        reason = f"it exists but cannot be written ({_first_line(compiledir.get('write_error'))})"
    yield _finding(
        "ENV303",
        "error",
        "PyTensor cannot use its compile directory",
        f"PyTensor's compile directory in {base}: {reason}. Every compilation will fail.",
        evidence={key: compiledir.get(key) for key in ("base", "path", "error", "existing_ancestor", "write_error")},
        fix="Point PyTensor's base_compiledir at a folder you own (or fix this folder's permissions).",
        fix_code=_set_variable(facts, "PYTENSOR_FLAGS", f"base_compiledir={_compiledir_suggestion(facts, base)}"),
    )


@rule("ENV304", "compiledir-space", category=ENV, severity="warning", needs=("env",), params={"min_free_mb": 500})
def compiledir_space(subject: Subject, min_free_mb: int) -> Iterator[Finding]:
    """Little free disk space where PyTensor compiles.

    What it checks: the free space on the disk that holds PyTensor's compile directory.

    Why it matters: each compiled model adds modules of a few hundred KB to a few MB; a full disk
    makes compilation fail with confusing linker errors.

    Threshold: less than `min_free_mb` (default 500) MB free.

    Example: a small home partition on a cluster.

    Fix: free space (`pytensor-cache clear` removes PyTensor's cached modules), or move
    `base_compiledir` to a bigger disk.
    """
    facts = _facts(subject)
    compiledir = _compiledir(subject)
    free = compiledir.get("free_bytes")
    if free is None:
        raise CannotCheck("the free space of the compile directory's disk is unknown")
    if free >= min_free_mb * 2**20:
        return
    yield _finding(
        "ENV304",
        "warning",
        f"Only {free / 2**20:.0f} MB free where PyTensor compiles",
        f"The disk holding {compiledir.get('path') or compiledir.get('base')} has {free / 2**20:.0f} MB free.",
        evidence={"free_mb": round(free / 2**20, 1), "path": compiledir.get("path") or compiledir.get("base")},
        fix="Free disk space or move PyTensor's compile directory to a bigger disk.",
        fix_code="pytensor-cache clear\n# or\n"
        + _set_variable(facts, "PYTENSOR_FLAGS", "base_compiledir=/path/on/a/bigger/disk"),
    )


@rule("ENV305", "compile-lock", category=ENV, severity="warning", needs=("env",))
def compile_lock(subject: Subject) -> Iterator[Finding]:
    """Another process holds PyTensor's compile lock.

    What it checks: whether PyTensor's own lock on the compile directory (`.lock`, the lock every
    compilation takes) can be acquired within 5 seconds, on every run (never from reused results).

    Why it matters: while another process holds it, every compilation here waits, then fails after
    `compile__timeout` (120 s) with "The file lock '...' could not be acquired". A stuck Jupyter
    kernel or a crashed job on a shared file system is the usual holder. The doctor skips its
    compile probe and smoke test while the lock is held.

    Threshold: the lock is not free within 5 s and its holder runs no compiler (a busy holder is
    normal: a compile here waits its turn).

    Example: a notebook kernel hung in a compilation, with a second notebook trying to sample.

    Fix: finish or restart the other Python process; if none is running, `pytensor-cache unlock`;
    or give this job its own `base_compiledir`.
    """
    facts = _facts(subject)
    lock = _compiledir(subject).get("lock")
    if lock is None:
        raise CannotCheck("the compile directory is unusable (see ENV303)")
    if not lock["stuck"]:
        return
    holder = lock.get("holder")
    who = (
        f"process {holder['pid']} ({holder['command']}, running for {holder['seconds_running']} s) holds it "
        "without compiling anything"
        if holder
        else "another process holds it (on another machine, if this folder is shared)"
    )
    yield _finding(
        "ENV305",
        "warning",
        "Another process holds PyTensor's compile lock",
        (
            f"PyTensor's compile lock {lock['file']} stayed held for {LOCK_WAIT_S:.0f} s: {who}. Compilations "
            "here wait for it, then fail after compile__timeout seconds."
        ),
        evidence=lock,
        fix="Finish or restart the process holding it (often a Jupyter kernel); if none runs, unlock the cache.",
        fix_code=(
            f"{'Stop-Process -Id' if _system(facts) == 'Windows' else 'kill'} {holder['pid']}    # if stuck\n"
            if holder
            else ""
        )
        + "pytensor-cache unlock\n# or give this job its own cache:\n"
        + _set_variable(facts, "PYTENSOR_FLAGS", "base_compiledir=/a/folder/of/its/own"),
    )


@rule("ENV306", "compiledir-path", category=ENV, severity="warning", needs=("env",))
def compiledir_path(subject: Subject) -> Iterator[Finding]:
    """A compile directory in a synced, network or (on Windows) space or non-ASCII path.

    What it checks: the path of PyTensor's compile directory for OneDrive, Dropbox, iCloud or
    Google Drive folders, network paths, and on Windows spaces and non-ASCII characters.

    Why it matters: sync clients lock and re-upload the thousands of small files PyTensor writes
    (compile failures, slow compiles, a huge sync queue); network file systems make compile locks
    unreliable; on Windows, MinGW g++ fails on paths with spaces or non-ASCII characters, which
    a user name can put into the default path.

    Threshold: any of those in the path.

    Example: `C:\\Users\\José Pérez\\OneDrive\\...`.

    Fix: move `base_compiledir` to a plain local folder.
    """
    facts = _facts(subject)
    compiledir = _compiledir(subject)
    path = compiledir.get("path") or compiledir.get("base", "")
    reasons = []
    if re.search(r"onedrive|dropbox|icloud|mobile documents|google ?drive", path, re.IGNORECASE):
        reasons.append("a synced cloud folder")
    if path.startswith(("\\\\", "//")):
        reasons.append("a network path")
    if _system(facts) == "Windows":
        if " " in path:
            reasons.append("spaces, which MinGW's g++ mishandles")
        if not path.isascii():
            reasons.append("non-ASCII characters, which MinGW's g++ mishandles")
    if not reasons:
        return
    yield _finding(
        "ENV306",
        "warning",
        "PyTensor compiles into a problematic folder",
        f"PyTensor's compile directory {path} is in {' and '.join(reasons)}.",
        evidence={"path": path, "reasons": reasons},
        fix="Move PyTensor's compile directory to a plain local folder.",
        fix_code=_set_variable(
            facts, "PYTENSOR_FLAGS", f"base_compiledir={_compiledir_suggestion(facts, compiledir.get('base', ''))}"
        ),
    )


# ---------------------------------------------------------------------------------------------
# Install channel


@rule("ENV401", "mixed-channels", category=ENV, severity="warning", needs=("env",))
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
    facts = _facts(subject)
    if _channel(facts) not in ("conda", "pixi"):
        return
    dists = facts.static["distributions"]
    foreign = {
        name: dists[name][0]["installer"]
        for name in CORE_PACKAGES
        if name in dists and dists[name][0].get("installer") not in (None, "conda")
    }
    if not foreign:
        return
    names = list(foreign)
    yield _finding(
        "ENV401",
        "warning",
        f"{', '.join(names)} came from pip into a {_channel(facts)} environment",
        (
            f"This is a {_channel(facts)} environment, but {', '.join(f'{n} ({i})' for n, i in foreign.items())} "
            "were installed by pip: they shadow conda-forge's builds (which link BLAS) and conda cannot manage them."
        ),
        evidence={"installers": foreign, "prefix": facts.static["platform"]["prefix"]},
        fix="Replace them with conda-forge's packages.",
        fix_code=f"python -m pip uninstall -y {' '.join(names)}\n{_install(facts, *names)}",
    )


# ---------------------------------------------------------------------------------------------
# Sampler backends


def _samplers(subject: Subject) -> dict[str, Any]:
    data = _probe(subject, "samplers")
    if "imports" not in data:
        raise CannotCheck(f"the sampler probe {_facts(subject).probes['samplers'].failure}")
    return data


@rule("ENV501", "sampler-broken", category=ENV, severity="warning", needs=("env",))
def sampler_broken(subject: Subject) -> Iterator[Finding]:
    """An installed sampler backend that cannot be imported.

    What it checks: `import` of nutpie, numpyro, blackjax, JAX and Numba where installed, in a
    child process with a time limit.

    Why it matters: `pm.sample(nuts_sampler=...)` fails with that backend; PyMC 6 picks nutpie by
    default when it is installed, so a broken nutpie breaks plain `pm.sample()` there.

    Threshold: any installed backend whose import fails, crashes or hangs (NumPy binary
    mismatches are reported by ENV106).

    Example: a nutpie wheel for another Python, or a JAX whose jaxlib has another version.

    Fix: reinstall the backend with the installer of the rest of the environment.
    """
    facts = _facts(subject)
    probe = facts.probes["samplers"]
    failures = {
        name: outcome["error"]
        for name, outcome in probe.data.get("imports", {}).items()
        if not outcome["ok"] and not _NUMPY_ABI.search(f"{outcome['error']}\n{outcome['stderr']}")
    }
    crashed = _crashed_import(probe)
    if crashed:
        failures[crashed] = f"the import {probe.failure}: {_key_lines(probe.stderr_tail)}"
    elif probe.failure and "jax" not in probe.data:
        failures["jax devices" if "imports" in probe.data else "backends"] = f"the probe {probe.failure}"
    if not failures:
        return
    names = list(failures)
    pymc6_nutpie = "nutpie" in failures and (_major(facts.version("pymc")) or 0) >= 6
    yield _finding(
        "ENV501",
        "error" if pymc6_nutpie else "warning",
        f"Sampler backend{'s' if len(names) > 1 else ''} installed but not importable: {', '.join(names)}",
        "; ".join(f"`import {name}` fails with {_key_lines(error, 2)}" for name, error in failures.items())
        + (
            ". PyMC 6 uses nutpie by default when it is installed, so plain pm.sample() fails too."
            if pymc6_nutpie
            else "."
        ),
        evidence={"failures": failures},
        fix="Reinstall these backends with the installer that made this environment (or uninstall them).",
        fix_code=_install(facts, *[n for n in names if n in SAMPLER_MODULES] or ["nutpie", "numpyro"], reinstall=True),
    )


def _jax_devices(data: dict[str, Any]) -> list[str]:
    return [device["platform"] for device in data.get("jax", {}).get("devices", [])]


@rule("ENV502", "jax-devices", category=ENV, severity="warning", needs=("env",))
def jax_devices(subject: Subject) -> Iterator[Finding]:
    """JAX and the GPU disagree: a GPU that JAX does not use, or a GPU build of JAX without a GPU.

    What it checks: the devices JAX sees (`jax.devices()`) against the NVIDIA GPUs the machine has
    (`nvidia-smi`, `/proc/driver/nvidia`) and the JAX GPU plugins installed.

    Why it matters: `nuts_sampler="numpyro"` or `"blackjax"` run on JAX's default device; with a
    CPU-only JAX the GPU sits idle. A CUDA build without a usable GPU falls back to the CPU after
    a warning, and can fail when `JAX_PLATFORMS=cuda` is set.

    Threshold: a GPU present with only CPU devices in JAX (warning); a JAX GPU plugin installed
    with no GPU device (a note).

    Example: `pip install jax` (CPU build) on a machine with an NVIDIA card.

    Fix: `pip install -U "jax[cuda12]"` (or conda-forge's `jaxlib=*=*cuda*`); or remove the GPU
    plugin where no GPU is present.
    """
    facts = _facts(subject)
    data = _samplers(subject)
    if "jax" not in data:
        raise CannotCheck("JAX is not installed or does not import")
    devices = _jax_devices(data)
    gpus = facts.static["hardware"]["gpus"]
    plugins = [name for name in JAX_GPU_PLUGINS if name in facts.static["distributions"]]
    on_gpu = [d for d in devices if d not in ("cpu",)]
    if gpus and not on_gpu:
        conda = _channel(facts) in ("conda", "pixi")
        yield _finding(
            "ENV502",
            "warning",
            "This machine has a GPU, but JAX runs on the CPU only",
            f"The machine has {', '.join(gpus)}; JAX sees only {', '.join(devices) or 'no devices'}.",
            evidence={"gpus": gpus, "jax_devices": devices, "jax_plugins": plugins},
            fix="Install JAX's CUDA build so numpyro and blackjax can sample on the GPU.",
            fix_code=_install(facts, "jaxlib=*=*cuda*") if conda else 'python -m pip install -U "jax[cuda12]"',
        )
    elif plugins and not on_gpu:
        yield _finding(
            "ENV502",
            "info",
            "A GPU build of JAX is installed, but JAX finds no GPU",
            f"{', '.join(plugins)} {'is' if len(plugins) == 1 else 'are'} installed; JAX sees only "
            f"{', '.join(devices) or 'no devices'} and falls back to the CPU.",
            evidence={"gpus": gpus, "jax_devices": devices, "jax_plugins": plugins},
            fix="Check the GPU driver (`nvidia-smi`), or uninstall the GPU plugin on a machine without a GPU.",
            fix_code="nvidia-smi\n# or\npython -m pip uninstall -y " + " ".join(plugins),
        )


def _default_sampler(facts: EnvFacts, pytensor: dict[str, Any], working: set[str]) -> str:
    """What `pm.sample()` uses here: PyMC 6 takes nutpie when installed and the backend is Numba or JAX."""
    if (_major(facts.version("pymc")) or 0) >= 6 and "nutpie" in working and not _c_default(pytensor):
        return "nutpie"
    return "pymc"


@rule("ENV503", "faster-sampler", category=ENV, severity="info", needs=("env",))
def faster_sampler(subject: Subject) -> Iterator[Finding]:
    """A faster `nuts_sampler=` than the default is available here.

    What it checks: which NUTS implementations import here (nutpie, numpyro, blackjax), whether
    JAX sees a GPU, and which one `pm.sample()` uses by default on the installed PyMC.

    Why it matters: nutpie (Rust, on a Numba-compiled model) is usually several times faster than
    PyMC's own NUTS on a CPU, and adapts better to hard geometry; numpyro on a GPU is fastest for
    big models. PyMC 5 uses its own NUTS unless asked.

    Threshold: a note when the fastest available choice is not the default, or when no faster
    backend is installed at all.

    Example: PyMC 5 with nutpie installed, sampling with `pm.sample()`.

    Fix: pass `nuts_sampler="nutpie"` (or `"numpyro"` on a GPU); or install nutpie.
    """
    facts = _facts(subject)
    data = _samplers(subject)
    pytensor = _pytensor(subject)
    working = {name for name, outcome in data["imports"].items() if outcome["ok"]}
    gpu = [d for d in _jax_devices(data) if d != "cpu"]
    if gpu and "numpyro" in working:
        best, why = "numpyro", f"JAX sees a GPU ({gpu[0]}), where numpyro samples big models fastest"
    elif "nutpie" in working:
        best, why = "nutpie", "nutpie is usually several times faster than PyMC's own NUTS on a CPU"
    elif "numpyro" in working:
        best, why = "numpyro", "numpyro's JAX-compiled NUTS is usually faster than PyMC's own on a CPU"
    elif "blackjax" in working:
        best, why = "blackjax", "blackjax's JAX-compiled NUTS is usually faster than PyMC's own on a CPU"
    else:
        best, why = None, "no faster NUTS backend (nutpie, numpyro, blackjax) is installed"
    default = _default_sampler(facts, pytensor, working)
    if best == default:
        return
    if best is None:
        yield _finding(
            "ENV503",
            "info",
            "Only PyMC's own NUTS sampler is available",
            f"{why}; nutpie is usually several times faster on a CPU.",
            evidence={"working": sorted(working), "default": default},
            fix='Install nutpie and sample with nuts_sampler="nutpie".',
            fix_code=_install(facts, "nutpie") + "\n" + remedies.sample_call("nutpie"),
        )
        return
    yield _finding(
        "ENV503",
        "info",
        f"The {best} sampler would sample faster here than the default",
        f"pm.sample() uses {'PyMC' if default == 'pymc' else default}'s NUTS by default here; {why}.",
        evidence={"working": sorted(working), "default": default, "fastest": best, "jax_gpu": gpu},
        fix=f'Pass nuts_sampler="{best}" to pm.sample.',
        fix_code=remedies.sample_call(best),
    )


# ---------------------------------------------------------------------------------------------
# Hardware and threads


def _start_method(facts: EnvFacts, base: dict[str, Any]) -> str | None:
    """The multiprocessing start method PyMC uses here: on macOS PyMC picks it (fork on arm64, forkserver on Intel)."""
    if _system(facts) == "Darwin":
        return "fork" if facts.static["platform"]["machine"] == "arm64" else "forkserver"
    return base.get("start_method")


def _chains_at_once(facts: EnvFacts) -> int:
    """How many chains `pm.sample` runs in parallel by default here: `min(4, CPUs // 2)`, at least one."""
    return max(1, min(4, facts.static["hardware"]["logical_cores"] // 2))


def _threads_per_chain(facts: EnvFacts) -> int:
    """The threads each parallel chain can have without more threads than usable cores."""
    return max(1, _cores(facts) // _chains_at_once(facts))


@rule(
    "ENV601",
    "oversubscription",
    category=ENV,
    severity="warning",
    needs=("env",),
    params={"max_oversubscription": 1.0},
)
def oversubscription(subject: Subject, max_oversubscription: float) -> Iterator[Finding]:
    """More BLAS threads than cores while PyMC samples chains in parallel.

    What it checks: the BLAS thread count (threadpoolctl, after your `OMP_NUM_THREADS`,
    `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS`) times the chains PyMC runs at once by default
    (`min(4, CPUs // 2)`), against the usable cores. Under the `fork` start method (Linux, Apple
    silicon) PyMC's `blas_cores` limit is not applied (pymc#7354), so each chain keeps the full count.

    Why it matters: oversubscribed BLAS threads fight over the cores; users report sampling 6x
    slower, cured by `OPENBLAS_NUM_THREADS=1`.

    Threshold: total threads above `max_oversubscription` (default 1.0) times the usable cores.

    Example: 16 cores, 4 parallel chains, OpenBLAS with 16 threads each: 64 threads.

    Fix: limit BLAS to cores / chains threads per process, by environment variable before Python
    starts or with threadpoolctl around `pm.sample`.
    """
    facts = _facts(subject)
    base = _probe(subject, "base")
    pools = [pool for pool in base.get("threadpools", []) if pool["user_api"] == "blas"]
    if not pools:
        raise CannotCheck("no BLAS thread pool was reported")
    threads = max(int(pool["num_threads"] or 1) for pool in pools)
    cores = _cores(facts)
    chains_at_once = _chains_at_once(facts)
    start_method = _start_method(facts, base)
    # Other start methods get PyMC's default blas_cores="auto": one BLAS thread per parallel chain.
    per_chain = threads if start_method == "fork" or chains_at_once == 1 else 1
    total = per_chain * chains_at_once
    if total <= max_oversubscription * cores:
        return
    suggested = _threads_per_chain(facts)
    variables = {name: value for name, value in facts.static["env_vars"].items() if name in BLAS_THREAD_VARIABLES}
    parallel = (
        f"PyMC runs {chains_at_once} chains at once here, each in a {start_method}ed process with "
        f"{threads} BLAS threads"
        if chains_at_once > 1
        else f"PyMC samples one chain at a time here, with {threads} BLAS threads"
    )
    env_lines = [_set_variable(facts, name, str(suggested)) for name in BLAS_THREAD_VARIABLES]
    yield _finding(
        "ENV601",
        "warning",
        f"{total} BLAS threads compete for {cores} cores while sampling",
        (
            f"{parallel}: {total} threads on {cores} usable cores. Oversubscribed BLAS threads can make "
            "sampling several times slower."
        ),
        evidence={
            "blas_threads": threads,
            "chains_at_once": chains_at_once,
            "usable_cores": cores,
            "start_method": start_method,
            "variables": variables,
        },
        fix=f"Limit BLAS to {suggested} thread{'s' if suggested > 1 else ''} per process before Python starts, "
        "or with threadpoolctl around pm.sample.",
        fix_code="\n".join(env_lines) + "\n# or, in Python:\nfrom threadpoolctl import threadpool_limits\n\n"
        f'with model, threadpool_limits(limits={suggested}, user_api="blas"):\n    idata = pm.sample()',
    )


@rule("ENV602", "thread-variables", category=ENV, severity="warning", needs=("env",))
def thread_variables(subject: Subject) -> Iterator[Finding]:
    """Thread-count variables that the libraries cannot use, or that ask for more threads than cores.

    What it checks: `OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS`,
    `VECLIB_MAXIMUM_THREADS`, `BLIS_NUM_THREADS`, `NUMBA_NUM_THREADS` (a positive whole number,
    or OpenMP's comma list, at most the usable cores) and `MKL_THREADING_LAYER` (INTEL,
    SEQUENTIAL, GNU or TBB).

    Why it matters: BLAS libraries silently ignore a value they cannot parse (`four`, `0`, `1.5`),
    so the limit you set to stop oversubscription is not in effect. A count above the cores makes
    OpenMP code (GNU libgomp, MKL's OpenMP layer) and Numba's parallel code run more threads than
    there are cores in every process, before PyMC multiplies it by its parallel chains (OpenBLAS
    alone caps itself at the core count).

    Threshold: any unusable value, or a count above the usable cores.

    Example: `OMP_NUM_THREADS=auto`; `OMP_NUM_THREADS=64` on an 8-core laptop.

    Fix: set a whole number of threads no larger than cores / parallel chains, or unset the variable.
    """
    facts = _facts(subject)
    variables = facts.static["env_vars"]
    cores = _cores(facts)
    unusable: dict[str, str] = {}
    too_many: dict[str, str] = {}
    for name, value in variables.items():
        if name not in THREAD_VARIABLES:
            continue
        if not re.fullmatch(r"\s*\d+(\s*,\s*\d+)*\s*", value) or any(int(v) <= 0 for v in value.split(",")):
            unusable[name] = value
        elif int(value.split(",")[0]) > cores:
            too_many[name] = value
    layer = variables.get("MKL_THREADING_LAYER")
    if layer is not None and layer.strip().upper() not in MKL_THREADING_LAYERS:
        unusable["MKL_THREADING_LAYER"] = layer
    if not unusable and not too_many:
        return
    parts = []
    if unusable:
        parts.append(
            ", ".join(f"{name}={value!r}" for name, value in unusable.items())
            + ": BLAS and OpenMP ignore values they cannot parse, so these limits are not in effect"
        )
    if too_many:
        parts.append(
            ", ".join(f"{name}={value}" for name, value in too_many.items())
            + f": more threads per process than the {cores} usable cores, before PyMC runs chains in parallel"
        )
    suggested = str(_threads_per_chain(facts))
    code = [
        _set_variable(facts, name, "GNU" if name == "MKL_THREADING_LAYER" else suggested)
        + "    # or: "
        + _unset_variable(facts, name)
        for name in {**unusable, **too_many}
    ]
    yield _finding(
        "ENV602",
        "warning",
        "Thread settings that do not fit this machine",
        "; ".join(parts) + ".",
        evidence={"unusable": unusable, "above_cores": too_many, "usable_cores": cores},
        fix=f"Set at most {suggested} thread{'s' if suggested != '1' else ''} per process (MKL_THREADING_LAYER: "
        "INTEL, SEQUENTIAL, GNU or TBB), or unset the variables.",
        fix_code="\n".join(code),
    )


@rule("ENV603", "low-memory", category=ENV, severity="warning", needs=("env",), params={"min_available_gb": 2.0})
def low_memory(subject: Subject, min_available_gb: float) -> Iterator[Finding]:
    """Little free memory for sampling.

    What it checks: the memory available now (psutil) and the machine's total.

    Why it matters: every chain keeps its draws in memory, and each parallel chain is a process
    with its own copy of the compiled model; short of memory, sampling swaps or is killed
    ("BrokenPipeError", "Killed").

    Threshold: less than `min_available_gb` (default 2.0) GB available.

    Example: a notebook holding large data frames on an 8 GB laptop.

    Fix: close other programs or kernels, sample fewer chains at once (`cores=1`), or store fewer
    draws (`pm.sample(..., var_names=[...])`, thinning).
    """
    facts = _facts(subject)
    hardware = facts.static["hardware"]
    available = hardware["memory_available"] / 2**30
    if available >= min_available_gb:
        return
    yield _finding(
        "ENV603",
        "warning",
        f"Only {available:.1f} GB of memory available",
        f"{available:.1f} GB of {hardware['memory_total'] / 2**30:.1f} GB memory is available for sampling.",
        evidence={"available_gb": round(available, 2), "total_gb": round(hardware["memory_total"] / 2**30, 2)},
        fix="Free memory, or run fewer chains at once.",
        fix_code="with model:\n    idata = pm.sample(cores=1)",
    )


@rule("ENV604", "start-method", category=ENV, severity="info", needs=("env",))
def start_method(subject: Subject) -> Iterator[Finding]:
    """Parallel chains start with `spawn` or `forkserver`: scripts need a main guard.

    What it checks: the multiprocessing start method PyMC uses for parallel chains here (spawn on
    Windows, forkserver on Intel Macs, Python's default elsewhere; what `sitecustomize` or
    `multiprocessing.set_start_method` chose).

    Why it matters: each chain then starts a fresh Python that re-imports your script: a script
    that calls `pm.sample` outside `if __name__ == "__main__":` fails with "An attempt has been made
    to start a new process before the current process has finished its bootstrapping phase", and
    each chain pays seconds of start-up.

    Threshold: a start method other than `fork` (a note).

    Example: any script on Windows.

    Fix: put the sampling code of scripts under a main guard (notebooks need nothing).
    """
    facts = _facts(subject)
    method = _start_method(facts, _probe(subject, "base"))
    if method in (None, "fork"):
        return
    where = {"Windows": "on Windows", "Darwin": "on an Intel Mac"}.get(_system(facts), "in this Python")
    notebook = (
        " In a notebook nothing is needed, but what the model uses must pickle (cloudpickle sends it to each chain)."
        if facts.static["in_notebook"]
        else ""
    )
    yield _finding(
        "ENV604",
        "info",
        f"Parallel chains start with {method!r}: scripts need a main guard",
        (
            f"PyMC starts parallel chains with {method!r} {where}: each chain starts a fresh Python that re-imports "
            'your script, so a script must call pm.sample under `if __name__ == "__main__":`.' + notebook
        ),
        evidence={"start_method": method, "system": _system(facts)},
        fix="Put the sampling code of scripts under a main guard.",
        fix_code=MAIN_GUARD,
    )


@rule("ENV605", "rosetta", category=ENV, severity="warning", needs=("env",))
def rosetta(subject: Subject) -> Iterator[Finding]:
    """An Intel (x86_64) Python running under Rosetta on Apple silicon.

    What it checks: on macOS, whether this x86_64 Python is translated by Rosetta
    (`sysctl.proc_translated`).

    Why it matters: translated numerical code runs much slower, cannot use Accelerate or arm64
    builds, and mixes badly with arm64 packages.

    Threshold: a translated Python.

    Example: an old Intel Anaconda installer used on an M1 Mac.

    Fix: install an arm64 Python distribution (Miniforge for arm64, or pixi) and recreate the
    environment.
    """
    facts = _facts(subject)
    if not facts.static["platform"]["rosetta"]:
        return
    yield _finding(
        "ENV605",
        "warning",
        "An Intel Python runs under Rosetta on Apple silicon",
        (
            f"{facts.static['platform']['executable']} is an x86_64 Python, translated by Rosetta on this Apple "
            "silicon Mac."
        ),
        evidence={"executable": facts.static["platform"]["executable"]},
        fix="Install an arm64 Python (Miniforge for arm64, or pixi) and recreate the environment there.",
        fix_code="# install Miniforge3-MacOSX-arm64 from https://github.com/conda-forge/miniforge, then:\n"
        + _conda_forge_env(facts, "libblas=*=*accelerate"),
    )


# ---------------------------------------------------------------------------------------------
# Smoke test


@rule("ENV801", "smoke-test", category=ENV, severity="error", needs=("env",), params={"slow_seconds": 120.0})
def smoke_test(subject: Subject, slow_seconds: float) -> Iterator[Finding]:
    """Build a tiny model and sample it: the "test your installation" step.

    What it checks: in a child process with a time limit, `import pymc`, a two-parameter normal
    model, and `pm.sample(draws=200, tune=200)` with the default sampler and chains; how long
    compiling (everything before the first draw) and sampling took.

    Why it matters: it is the end-to-end proof that the installation works, and the timings show a
    slow compiler or backend before a real model does.

    Threshold: a failure, crash or time-out is an error; compile and sampling together above
    `slow_seconds` (default 120) a warning; otherwise a note with the timings. Skipped by `--quick`.
    A passed test is reused, and says so, while nothing in the installation changes (for a day at
    most); `pymc-doctor env --fresh` runs it again.

    Example: PyMC 5 on Linux compiles and samples this model in a few seconds.

    Fix: the finding names the failing stage; start with the other env findings.
    """
    facts = _facts(subject)
    data = _probe(subject, "smoke")
    probe = facts.probes["smoke"]
    sample = data.get("sample")
    if sample is None:
        error = data.get("error")
        if error:
            stage = {"import": "import pymc", "model": "building the model", "sample": "pm.sample"}[error["stage"]]
            problem = f"{stage} failed: {_key_lines(error['error'], 2)}"
        else:
            problem = f"the smoke test {probe.failure or 'ended early'}: {_key_lines(probe.stderr_tail)}"
        yield _finding(
            "ENV801",
            "error",
            "The smoke test failed: PyMC cannot sample a tiny model",
            f"{problem}.",
            evidence={"error": error, "probe": probe.summary(), "stderr": probe.stderr_tail[-1500:]},
            fix="Fix the other environment findings first; if none explains it, post this report on discourse.pymc.io.",
            fix_code=SMOKE_CODE,
        )
        return
    import_seconds = facts.probes["base"].data.get("pymc_import", {}).get("seconds", 0.0)
    total = sample["seconds"]
    sampling = sample.get("sampling_seconds")
    compiling = total - sampling if sampling is not None else None
    sampler = {"pymc": "PyMC's NUTS"}.get(sample["sampler"], sample["sampler"] or "the default sampler")
    timing = (
        f"{compiling:.1f} s compiling and setting up, {sampling:.1f} s sampling"
        if compiling is not None
        else f"{total:.1f} s in all"
    )
    slow = total > slow_seconds
    yield _finding(
        "ENV801",
        "warning" if slow else "info",
        f"Smoke test {'passed, slowly' if slow else 'passed'}: {sampler} sampled a tiny model in {total:.1f} s",
        (
            f"pm.sample drew {sample['chains']} chains x {sample['draws']} draws with {sampler} ({timing}; "
            f"`import pymc` took {import_seconds:.1f} s)."
            + (
                f" Above {slow_seconds:.0f} s for a two-parameter model: see the compiler and BLAS findings."
                if slow
                else ""
            )
            + _reused_note(facts, "smoke")
        ),
        evidence={
            "sampler": sample["sampler"],
            "sampler_version": sample.get("sampler_version"),
            "import_seconds": round(import_seconds, 2),
            "compile_seconds": round(compiling, 2) if compiling is not None else None,
            "sampling_seconds": round(sampling, 2) if sampling is not None else None,
            "total_seconds": round(total, 2),
            "chains": sample["chains"],
            "draws": sample["draws"],
            "divergences": sample.get("divergences"),
            "reused_from": facts.reused_from("smoke"),
        },
        fix="Look at the compiler, BLAS and thread findings above." if slow else "",
    )
