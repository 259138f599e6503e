"""How the environment fixes are spelled for platforms, shells and install channels this machine is
not (``pymc_doctor.remedies.environment``), and that every fix written in Python parses."""

from __future__ import annotations

import ast

import pytest

from pymc_doctor.catalog import all_rules
from pymc_doctor.remedies import environment as fixes
from tests.checks.environment.helpers import GB, check, facts


def on(system: str, machine: str = "x86_64", channel: str = "venv", rosetta: bool = False):
    return facts({"platform": {"system": system, "machine": machine, "rosetta": rosetta}, "channel": {"kind": channel}})


@pytest.mark.parametrize(
    ("channel", "kwargs", "command"),
    [
        ("venv", {}, 'python -m pip install "pymc>=6" nutpie'),
        ("system", {"upgrade": True}, 'python -m pip install --upgrade "pymc>=6" nutpie'),
        ("uv", {"reinstall": True}, 'uv pip install --force-reinstall "pymc>=6" nutpie'),
        ("conda", {"upgrade": True}, 'conda update -c conda-forge "pymc>=6" nutpie'),
        ("conda", {"reinstall": True}, 'conda install -c conda-forge --force-reinstall "pymc>=6" nutpie'),
        ("pixi", {"upgrade": True}, 'pixi add "pymc>=6" nutpie'),
    ],
)
def test_install_with_the_environments_own_installer(channel, kwargs, command):
    assert fixes.install(on("Linux", channel=channel), "pymc>=6", "nutpie", **kwargs) == command


def test_compiler_fix_per_platform():
    fix, code = fixes.compiler_fix(on("Windows", channel="conda"))
    assert "WSL" in fix and code == "conda install -c conda-forge m2w64-toolchain libpython"
    _, code = fixes.compiler_fix(on("Windows"))
    assert code.startswith("conda create -c conda-forge -n pymc_env pymc m2w64-toolchain libpython")
    _, code = fixes.compiler_fix(on("Darwin", "arm64", channel="pixi"))
    assert code == "xcode-select --install\n# or\npixi add clangxx"
    _, code = fixes.compiler_fix(on("Darwin", "arm64"))
    assert code == "xcode-select --install"
    _, code = fixes.compiler_fix(on("Linux", channel="conda"))
    assert code == "conda install -c conda-forge gxx"


def test_blas_fix_per_platform_and_channel():
    fix, code = fixes.blas_fix(on("Darwin", "x86_64"), "pip")
    assert "MKL" in fix and 'conda create -c conda-forge -n pymc_env pymc "libblas=*=*mkl"' in code
    fix, code = fixes.blas_fix(on("Darwin", "arm64"), "pip")
    assert "Accelerate" in fix and '"libblas=*=*accelerate"' in code
    fix, _ = fixes.blas_fix(on("Darwin", "x86_64", rosetta=True), "pip")
    assert "Accelerate" in fix  # translated on Apple silicon: the arm64 advice
    fix, _ = fixes.blas_fix(on("Linux", channel="uv"), "uv")
    assert fix.startswith("This is a uv environment: PyPI's PyTensor cannot link a BLAS.")
    _, code = fixes.blas_fix(on("Linux", channel="conda"), "pip")
    assert code == "python -m pip uninstall -y pytensor pymc\nconda install -c conda-forge pymc libblas"
    _, code = fixes.blas_fix(on("Linux", channel="pixi"), "conda")
    assert code == "pixi add libblas"


def test_environment_variables_are_spelled_for_the_shell():
    assert fixes.set_variable(on("Windows"), "OMP_NUM_THREADS", "1") == '$env:OMP_NUM_THREADS = "1"'
    assert fixes.unset_variable(on("Windows"), "PYTENSOR_FLAGS") == "Remove-Item Env:PYTENSOR_FLAGS"
    assert (
        fixes.set_variable(on("Linux"), "PYTENSOR_FLAGS", "cxx=/usr/bin/g++")
        == "export PYTENSOR_FLAGS=cxx=/usr/bin/g++"
    )
    assert fixes.set_variable(on("Linux"), "X", 'say "hi" $HOME') == 'export X="say \\"hi\\" $HOME"'
    assert fixes.unset_variable(on("Darwin"), "X") == "unset X"


@pytest.mark.parametrize(
    ("flags", "code"),
    [
        (None, "fallback"),
        ("floatX=float32", "fallback"),
        ("cxx", "fallback"),  # PyTensor ignores a flag without a value: there is nothing to remove
        ("cxx=", "unset PYTENSOR_FLAGS"),
        ("cxx=,floatX=float32", "export PYTENSOR_FLAGS=floatX=float32"),
        ("cxx=g++,device=cpu,cxx=", "export PYTENSOR_FLAGS=device=cpu"),
    ],
)
def test_a_flag_is_removed_from_pytensor_flags(flags, code):
    env = facts({"env_vars": {} if flags is None else {"PYTENSOR_FLAGS": flags}})
    assert fixes.flags_fix_code(env, "cxx", "fallback") == code


PYTHON_FIXES = {"ENV102", "ENV503", "ENV603", "ENV604", "ENV801"}


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def test_every_python_fix_parses():
    # Facts on which every rule with a Python fix fires.
    env = facts(
        {
            "legacy_imports": [{"file": "model.py", "modules": ["pymc3"]}],
            "distributions": {"pymc": [{"version": "5.28.5", "location": "/env", "installer": "pip"}]},
            "hardware": {"memory_available": GB},
        },
        base={"start_method": "spawn"},
        smoke={"sample": None, "error": {"stage": "import", "error": "ImportError: x", "traceback": ""}},
    )
    python = {}
    for rule in all_rules(["ENV"]):
        for finding in check(rule.code, env).findings:
            if finding.fix_code.startswith(("import ", "with ", "def ", "from ")):
                python[finding.code] = finding.fix_code
    assert set(python) == PYTHON_FIXES
    assert [code for code, fix in python.items() if not _parses(fix)] == []


def test_the_thread_limit_is_shell_and_its_python_apart():
    assert fixes.limit_blas_threads(on("Windows"), 2).splitlines()[0] == '$env:OMP_NUM_THREADS = "2"'
    assert _parses(fixes.threadpool_limits_code(2))
    assert not _parses("with model:\nidata = pm.sample()")  # the check itself can fail
