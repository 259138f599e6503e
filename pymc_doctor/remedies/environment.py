"""Fixes for the installation, spelled for the user's platform, shell and install channel.

Commands install with the environment's own installer (conda-forge, pixi, uv or pip), variables
are set in PowerShell on Windows and in a POSIX shell elsewhere, and a BLAS is the fast one for
the machine: MKL on an Intel Mac, Accelerate (or conda-forge's OpenBLAS) on Apple silicon.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.facts import flag_setting
from pymc_doctor.probes.static import BLAS_THREAD_VARIABLES
from pymc_doctor.remedies import model_variable

MODERN_IMPORTS = (
    "import pymc as pm            # was: import pymc3 as pm\n"
    "import pytensor.tensor as pt  # was: import theano.tensor as tt / import aesara.tensor as at"
)
# `explain`'s installation fixes: shell commands, since an error text tells nothing of the platform.
CONDA_FORGE_PYMC = 'conda create -c conda-forge -n pymc_env "pymc>=5"\nconda activate pymc_env'
CONDA_FORGE_COMPILER = "conda install -c conda-forge cxx-compiler"
REPLACE_PYMC3 = "python -m pip uninstall -y pymc3 theano theano-pymc\npython -m pip install pymc"
UNLOCK_COMPILE_CACHE = (
    'pytensor-cache unlock\npytensor-cache clear\nexport PYTENSOR_FLAGS="base_compiledir=$HOME/.pytensor"'
)
# The environment is checked without a model, so these name it ``model``.
MAIN_GUARD = 'def main():\n    with model:\n        idata = pm.sample()\n\n\nif __name__ == "__main__":\n    main()'
SMOKE_CODE = 'import pymc as pm\n\nwith pm.Model():\n    pm.Normal("mu")\n    idata = pm.sample(draws=200, tune=200)'
# `sample_call` has no `cores`; one chain at a time is the point of this fix.
ONE_CHAIN_AT_A_TIME = "with model:\n    idata = pm.sample(cores=1)"


def _quote(spec: str) -> str:
    return f'"{spec}"' if any(c in spec for c in "<>=*! ") else spec


def install(facts: EnvFacts, *specs: str, reinstall: bool = False, upgrade: bool = False) -> str:
    """The command that installs ``specs`` into this environment with its own installer."""
    quoted = " ".join(_quote(spec) for spec in specs)
    kind = facts.channel.kind
    if kind == "pixi":
        return f"pixi add {quoted}"
    flags = "--force-reinstall " if reinstall else ""
    if kind == "conda":
        return f"conda {'update' if upgrade else 'install'} -c conda-forge {flags}{quoted}"
    flags += "--upgrade " if upgrade else ""
    if kind == "uv":
        return f"uv pip install {flags}{quoted}"
    return f"python -m pip install {flags}{quoted}"


def conda_forge_env(*extra: str) -> str:
    """A fresh conda-forge environment with PyMC: the cure for a pip install without BLAS or compiler."""
    specs = " ".join(_quote(spec) for spec in ("pymc", *extra))
    return (
        f"conda create -c conda-forge -n pymc_env {specs}\n"
        "conda activate pymc_env\n"
        "# or, with pixi, in your project folder:\n"
        f"pixi init && pixi add {specs}"
    )


def install_or_new_env(facts: EnvFacts, *specs: str) -> str:
    """Install ``specs`` into a conda-style environment, or make a conda-forge one with them."""
    return install(facts, *specs) if facts.channel.conda else conda_forge_env(*specs)


def set_variable(facts: EnvFacts, name: str, value: str) -> str:
    if facts.platform.windows:
        return f'$env:{name} = "{value}"'
    if re.fullmatch(r"[\w@%+=:,./-]*", value):
        return f"export {name}={value}"
    # Double quotes, so that $HOME in a suggested value expands.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'export {name}="{escaped}"'


def unset_variable(facts: EnvFacts, name: str) -> str:
    if facts.platform.windows:
        return f"Remove-Item Env:{name}"
    return f"unset {name}"


# ---------------------------------------------------------------------------------------------
# PyTensor's flags


def _pytensor_flags_without(facts: EnvFacts, flag: str) -> str | None:
    """PYTENSOR_FLAGS without the parts that set ``flag``, or None when none does."""
    value = facts.env_vars.get("PYTENSOR_FLAGS")
    if not value:
        return None
    parts = [part for part in value.split(",") if part.strip()]
    kept = [part for part in parts if (flag_setting(part) or ("",))[0] != flag]
    return ",".join(kept) if len(kept) != len(parts) else None


def flags_fix_code(facts: EnvFacts, flag: str, fallback: str) -> str:
    """Remove ``flag`` from PYTENSOR_FLAGS (unset it when nothing else is left); ``fallback`` when it
    does not set the flag."""
    rest = _pytensor_flags_without(facts, flag)
    if rest is None:
        return fallback
    if rest:
        return set_variable(facts, "PYTENSOR_FLAGS", rest)
    return unset_variable(facts, "PYTENSOR_FLAGS")


def respell_flags(facts: EnvFacts, suggestions: dict[str, list[str]]) -> str:
    """PYTENSOR_FLAGS with each flag PyTensor does not know renamed to its suggestion; or, when that
    changes nothing, how to list the flags PyTensor knows."""
    value = facts.env_vars.get("PYTENSOR_FLAGS", "")
    fixed = value
    for flag, match in suggestions.items():
        if match:
            fixed = re.sub(rf"(^|,)\s*{re.escape(flag)}\s*=", rf"\g<1>{match[0]}=", fixed)
    if value and fixed != value:
        return set_variable(facts, "PYTENSOR_FLAGS", fixed)
    return 'python -c "import pytensor; print(pytensor.config)"  # every flag PyTensor knows'


def set_compiledir(facts: EnvFacts, folder: str) -> str:
    return set_variable(facts, "PYTENSOR_FLAGS", f"base_compiledir={folder}")


def compiledir_suggestion(facts: EnvFacts, current: str) -> str:
    """A plain local folder for PyTensor's cache, other than the current one."""
    if facts.platform.windows:
        return "C:\\pytensor_cache"
    return "$HOME/.pytensor" if current.rstrip("/") != facts.home + "/.pytensor" else "/tmp/pytensor-$USER"


def unlock_compiledir(facts: EnvFacts, holder_pid: int | None) -> str:
    """Stop the process that holds the compile lock (when known), or unlock it, or use another folder."""
    stop = (
        f"{'Stop-Process -Id' if facts.platform.windows else 'kill'} {holder_pid}    # if stuck\n"
        if holder_pid is not None
        else ""
    )
    return (
        stop
        + "pytensor-cache unlock\n# or give this job its own cache:\n"
        + set_compiledir(facts, "/a/folder/of/its/own")
    )


# ---------------------------------------------------------------------------------------------
# Compiler and BLAS


def compiler_fix(facts: EnvFacts) -> tuple[str, str]:
    """How to get a C++ compiler PyTensor can use, here: the advice, and the commands."""
    system = facts.platform.system
    conda = facts.channel.conda
    if system == "Windows":
        fix = (
            "Install the MinGW-w64 toolchain from conda-forge into this environment (PyTensor on Windows "
            "compiles with its g++); or run PyMC under WSL, where Linux's g++ just works."
        )
        return fix, install_or_new_env(facts, "m2w64-toolchain", "libpython")
    if system == "Darwin":
        fix = "Install Apple's command line tools (clang++), or conda-forge's clang into a conda environment."
        code = "xcode-select --install"
        if conda:
            code += "\n# or\n" + install(facts, "clangxx")
        return fix, code
    fix = "Install a C++ compiler: conda-forge's gxx into a conda environment, or your system's g++."
    if conda:
        return fix, install(facts, "gxx")
    return fix, "sudo apt-get install g++    # Debian/Ubuntu; Fedora: sudo dnf install gcc-c++\n# or\n" + (
        conda_forge_env("gxx")
    )


def blas_variant(facts: EnvFacts) -> str | None:
    """The conda-forge BLAS build to ask for on this machine, or None for the default (OpenBLAS)."""
    if facts.platform.intel_mac:
        return "libblas=*=*mkl"
    if facts.platform.apple_silicon:
        return "libblas=*=*accelerate"
    return None


def blas_fix(facts: EnvFacts, pytensor_installer: str | None) -> tuple[str, str]:
    """How to give PyTensor a BLAS to link, here: the advice, and the commands."""
    variant = blas_variant(facts)
    kind = facts.channel.kind
    if facts.channel.conda:
        if pytensor_installer not in (None, "conda"):
            fix = "PyTensor here came from pip, which brings no BLAS link: replace it with conda-forge's."
            return fix, "python -m pip uninstall -y pytensor pymc\n" + install(facts, "pymc", variant or "libblas")
        return "Install a BLAS library into this conda environment.", install(facts, variant or "libblas")
    where = {"uv": "a uv environment", "venv": "a pip virtual environment", "system": "a pip install"}[kind]
    fix = (
        f"This is {where}: PyPI's PyTensor cannot link a BLAS. Create a conda-forge (or pixi) environment, "
        "which ships PyTensor with a BLAS it links to"
    )
    if facts.platform.intel_mac:
        fix += " (MKL, the fast choice on an Intel Mac)"
    elif facts.platform.apple_silicon:
        fix += " (Accelerate on Apple silicon; conda-forge's default OpenBLAS works too)"
    return fix + ".", conda_forge_env(*([variant] if variant else []))


def one_openmp_runtime(facts: EnvFacts) -> str:
    return set_variable(facts, "MKL_THREADING_LAYER", "GNU") + "\n# lasting fix:\n" + conda_forge_env()


# ---------------------------------------------------------------------------------------------
# Packages


def uninstall_legacy(pip: list[str], conda: list[str]) -> str:
    """Shell commands that remove legacy packages with the installer that installed them. The imports
    that replace them are Python, a block of their own (``MODERN_IMPORTS``)."""
    commands = []
    if pip:
        commands.append("python -m pip uninstall -y " + " ".join(pip))
    if conda:
        commands.append("conda remove " + " ".join(conda))
    return "\n".join(commands)


def retire_legacy_settings(facts: EnvFacts, variables: Iterable[str], files: Iterable[str]) -> str:
    code = ["# move what you still need to PYTENSOR_FLAGS or ~/.pytensorrc, then:"]
    code += [unset_variable(facts, name) for name in variables]
    code += [f"mv {shlex.quote(path)} {shlex.quote(path + '.old')}" for path in files]
    return "\n".join(code)


def match_numpy(facts: EnvFacts, packages: list[str], numpy: str | None, pin: str | None) -> str:
    """Upgrade ``packages`` to builds for the installed NumPy, or install the NumPy ``pin`` asks for."""
    code = install(facts, *packages, upgrade=True)
    if pin:
        code += f"\n# or, if no release supports NumPy {numpy} yet:\n" + install(facts, pin)
    return code


def rename_modules(names: Iterable[str]) -> str:
    """Rename files that hide the modules ``names``."""
    return "\n".join(f"mv {name}.py my_{name}.py" for name in names)


def uninstall_duplicates(names: Iterable[str]) -> str:
    return "\n".join(
        f"python -m pip uninstall -y {name}   # repeat until `pip show {name}` finds none, then reinstall"
        for name in names
    )


def replace_pip_packages(facts: EnvFacts, names: list[str]) -> str:
    return f"python -m pip uninstall -y {' '.join(names)}\n{install(facts, *names)}"


# ---------------------------------------------------------------------------------------------
# Samplers, threads, the machine


def jax_for_the_gpu(facts: EnvFacts) -> str:
    return install(facts, "jaxlib=*=*cuda*") if facts.channel.conda else 'python -m pip install -U "jax[cuda12]"'


def check_or_remove_gpu_plugins(plugins: list[str]) -> str:
    return "nvidia-smi\n# or\npython -m pip uninstall -y " + " ".join(plugins)


def limit_blas_threads(facts: EnvFacts, threads: int) -> str:
    """Shell commands that limit the BLAS to ``threads`` per process, set before Python starts."""
    return "\n".join(set_variable(facts, name, str(threads)) for name in BLAS_THREAD_VARIABLES)


def threadpool_limits_code(threads: int) -> str:
    """The same limit in Python, around ``pm.sample``."""
    return (
        "from threadpoolctl import threadpool_limits\n\n"
        f'with {model_variable()}, threadpool_limits(limits={threads}, user_api="blas"):\n    idata = pm.sample()'
    )


def fix_thread_variables(facts: EnvFacts, names: Iterable[str], threads: str) -> str:
    """Set each variable to a value that works here, or unset it."""
    return "\n".join(
        set_variable(facts, name, "GNU" if name == "MKL_THREADING_LAYER" else threads)
        + "    # or: "
        + unset_variable(facts, name)
        for name in names
    )


def arm64_python() -> str:
    return "# install Miniforge3-MacOSX-arm64 from https://github.com/conda-forge/miniforge, then:\n" + conda_forge_env(
        "libblas=*=*accelerate"
    )
