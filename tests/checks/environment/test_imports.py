"""ENV107, ENV108 and ENV110: PyTensor or PyMC that do not import, flags PyTensor does not know, and
files that hide a library."""

from __future__ import annotations

import pytest

from pymc_doctor.checks.environment.imports import detect_import_fails, detect_shadowed_module, detect_unknown_flag
from pymc_doctor.probes.protocol import ProbeResult
from tests.checks.environment.helpers import DROP, OK, check, facts, failed
from tests.checks.environment.scenarios import assert_only

SEGFAULT = "Fatal Python error: Segmentation fault\n\nCurrent thread 0x01 (most recent call first):\n  File x"


def crashed_base(**data) -> dict:
    """A base probe killed by a segmentation fault while it imported PyTensor."""
    imports = {"numpy": OK, "scipy.linalg": OK}
    result = ProbeResult("base", data={"imports": imports, **data}, returncode=-11, stderr_tail=SEGFAULT)
    return {"base": result}


@pytest.mark.parametrize(
    ("base", "results", "expected"),
    [
        pytest.param({}, None, [], id="none"),
        pytest.param(
            {"pytensor_import": failed("ModuleNotFoundError: No module named 'filelock'"), "pymc_import": failed("x")},
            None,
            [{"module": "pytensor", "error": "ModuleNotFoundError: No module named 'filelock'"}],
            id="pytensor-fails-and-pymc-with-it",
        ),
        pytest.param(
            {"pymc_import": failed("ImportError: numpy.core.multiarray failed to import")}, None, [], id="numpy-abi"
        ),
        pytest.param(
            DROP,
            crashed_base(importing="pytensor"),
            [
                {
                    "module": "pytensor",
                    "error": "the import crashed (killed by SIGSEGV): Fatal Python error: Segmentation fault",
                }
            ],
            id="crash-inside-the-import",
        ),
        pytest.param(
            DROP,
            crashed_base(importing="pymc", pytensor_import=OK, pymc_import=OK),
            [
                {
                    "module": "pytensor",
                    "error": "the probe crashed (killed by SIGSEGV): Fatal Python error: Segmentation fault",
                }
            ],
            id="crash-after-the-imports-before-the-libraries-were-read",
        ),
    ],
)
def test_detect_import_fails(base, results, expected):
    assert detect_import_fails(facts(base=base, results=results)) == expected


def test_a_missing_module_is_installed():
    env = facts(base={"pymc_import": failed("ModuleNotFoundError: No module named 'pytensor.tensor'")})
    finding = check("ENV107", env).finding
    assert finding.title == "`import pymc` fails"
    assert finding.message == "`import pymc` fails with ModuleNotFoundError: No module named 'pytensor.tensor'."
    assert (finding.fix, finding.fix_code) == (
        "Install the missing module `pytensor` (a dependency removed or never installed).",
        "python -m pip install pytensor",
    )


def test_a_file_that_hides_the_library_is_renamed():
    env = facts(
        {"shadowing": ["random", "pymc"]},
        base={"pymc_import": failed("AttributeError: partially initialized module 'pymc' has no attribute 'Model'")},
    )
    assert check("ENV107", env).finding.fix_code == "mv pymc.py my_pymc.py"


def test_any_other_failure_gets_a_fresh_environment():
    env = facts(base={"pytensor_import": failed("OSError: libstdc++.so.6: cannot open shared object file")})
    finding = check("ENV107", env).finding
    assert finding.fix.startswith("Read the error")
    assert finding.fix_code.startswith("conda create -c conda-forge -n pymc_env pymc\n")


def test_imports_silent_when_they_work():
    assert check("ENV107", facts()).findings == []


def flag_warning(flag: str) -> dict:
    return {"source": "PyTensorConfigWarning", "message": f"PyTensor does not recognise this flag: {flag}"}


def test_detect_unknown_flag():
    assert detect_unknown_flag(facts()) is None
    env = facts({"env_vars": {"PYTENSOR_FLAGS": "cxxflags=-O2"}}, base={"notes": [flag_warning("cxxflags")] * 2})
    assert detect_unknown_flag(env) == {
        "unknown": ["cxxflags"],
        "suggestions": {"cxxflags": ["gcc__cxxflags"]},
        "PYTENSOR_FLAGS": "cxxflags=-O2",
    }


def test_a_misspelt_flag_is_respelt_in_place():
    env = facts(
        {"env_vars": {"PYTENSOR_FLAGS": "blas__ldflags=,cxxflags=-O2"}}, base={"notes": [flag_warning("cxxflags")]}
    )
    finding = check("ENV108", env).finding
    assert finding.message == "PyTensor does not recognise `cxxflags` (did you mean `gcc__cxxflags`?), and ignores it."
    assert finding.fix_code == "export PYTENSOR_FLAGS=blas__ldflags=,gcc__cxxflags=-O2"


def test_a_flag_without_a_likely_spelling_points_to_the_list():
    env = facts({"env_vars": {"PYTENSOR_FLAGS": "zzz=1"}}, base={"notes": [flag_warning("zzz"), flag_warning("qqq")]})
    finding = check("ENV108", env).finding
    assert finding.message == "PyTensor does not recognise `zzz`, `qqq`, and ignores them."
    assert finding.fix_code == 'python -c "import pytensor; print(pytensor.config)"  # every flag PyTensor knows'


def test_detect_shadowed_module():
    assert detect_shadowed_module(facts()) == []
    assert detect_shadowed_module(facts({"shadowing": ["pymc"]})) == ["pymc"]


def test_files_that_hide_modules_are_renamed():
    finding = check("ENV110", facts({"shadowing": ["pymc", "random"]})).finding
    assert finding.title == "pymc.py, random.py in this folder hide the real module"
    assert finding.message.startswith("pymc.py, random.py in /home/ada/project come before the installed libraries")
    assert finding.fix_code == "mv pymc.py my_pymc.py\nmv random.py my_random.py"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["shadowed_pymc"], indirect=True)
def test_a_file_named_pymc_py_breaks_the_import(scenario):
    # nutpie imports PyMC too, so it may fail the same way (ENV501).
    assert_only(scenario, {"ENV107", "ENV110"}, also=frozenset({"ENV501"}))
    failure = scenario.finding("ENV107")
    assert failure["title"] == "`import pymc` fails"
    assert "partially initialized module 'pymc'" in failure["message"]
    assert failure["fix_code"] == "mv pymc.py my_pymc.py"
    assert scenario.finding("ENV110")["evidence"]["names"] == ["pymc"]


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["pytensor_crashes"], indirect=True)
def test_a_crashing_pytensor_import_becomes_a_finding(scenario):
    failure = scenario.finding("ENV107")
    assert failure["evidence"]["failures"][0]["module"] == "pytensor"
    assert "killed by SIGSEGV" in failure["message"]
    # Checks that need PyTensor's configuration say why they could not run.
    assert "PyTensor could not be imported" in scenario.skipped("ENV201")
    assert scenario.returncode == 1
