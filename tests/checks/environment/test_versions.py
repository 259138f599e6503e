"""ENV104-ENV106 and ENV109: an old PyMC, requirements out of range, builds for another NumPy, and
packages installed twice."""

from __future__ import annotations

import pytest

from pymc_doctor.checks.environment.versions import (
    detect_duplicate_install,
    detect_numpy_abi,
    detect_old_pymc,
    detect_version_conflict,
)
from tests.checks.environment.helpers import check, copy_of, facts, failed
from tests.checks.environment.scenarios import assert_only


def pymc(version: str, python: str = "3.12.1", channel: str = "venv") -> dict:
    return {"distributions": {"pymc": [copy_of(version)]}, "platform": {"python": python}, "channel": {"kind": channel}}


@pytest.mark.parametrize(
    ("static", "fires"),
    [
        pytest.param(pymc("6.4.0"), False, id="current"),
        pytest.param(pymc("5.28.5", python="3.11.7"), False, id="newest-for-python-3.11"),
        pytest.param(pymc("5.28.5"), True, id="5-on-python-3.12"),
        pytest.param(pymc("4.4.0", python="3.11.7"), True, id="4-on-python-3.11"),
    ],
)
def test_detect_old_pymc(static, fires):
    assert (detect_old_pymc(facts(static)) is not None) == fires


def test_pymc_5_where_pymc_6_installs_is_a_warning():
    finding = check("ENV104", facts(pymc("5.28.5", channel="conda"))).finding
    assert finding.severity == "warning"
    assert finding.title == "PyMC 5.28.5 is older than the current PyMC 6 line"
    assert finding.message == "PyMC 5.28.5 is installed; PyMC 6 is the current line and installs on this Python 3.12.1."
    assert finding.evidence == {"installed": "5.28.5", "current_major": 6, "python": "3.12.1"}
    assert finding.fix_code == 'conda update -c conda-forge "pymc>=6"'


def test_pymc_before_5_is_an_error_with_the_newest_line_for_this_python():
    finding = check("ENV104", facts(pymc("4.4.0", python="3.11.7"))).finding
    assert finding.severity == "error"
    assert "PyMC 5 is the newest line for Python 3.11.7 (PyMC 6 needs 3.12)." in finding.message
    assert finding.message.endswith(
        "PyMC before 5 is unsupported: current documentation and answers will not match it."
    )
    assert finding.fix_code == 'python -m pip install --upgrade "pymc>=5"'


def test_an_unknown_pymc_version_is_not_checked():
    assert check("ENV104", facts({"distributions": {"pymc": []}})).skipped == "PyMC's version is unknown"


def requirement(name: str, specifier: str, installed: str | None, extra: str | None = None) -> dict:
    return {"name": name, "specifier": specifier, "installed": installed, "extra": extra, "satisfied": False}


def test_detect_version_conflict():
    assert detect_version_conflict(facts()) == []
    broken = requirement("arviz", ">=0.13.0", "1.0.0")
    static = {"pymc_requirements": [broken, {**broken, "name": "numpy", "satisfied": True}]}
    assert detect_version_conflict(facts(static)) == [broken]


def test_a_missing_required_package_is_an_error():
    static = {
        "pymc_requirements": [requirement("aesara", "==2.8.7", None), requirement("nutpie", ">=0.15", "0.9", "nutpie")]
    }
    finding = check("ENV105", facts(static)).finding
    assert finding.severity == "error"
    assert finding.title == "PyMC 6.4.0 requires other versions of aesara, nutpie"
    assert finding.message == (
        "PyMC 6.4.0 declares aesara==2.8.7, but it is not installed; "
        "nutpie>=0.15 (optional, for `nutpie`), but 0.9 is installed."
    )
    assert finding.fix_code == 'python -m pip install "aesara==2.8.7" "nutpie>=0.15"'


def test_an_optional_package_out_of_range_is_a_warning():
    static = {"pymc_requirements": [requirement("nutpie", ">=0.15", "0.9", "nutpie")]}
    assert check("ENV105", facts(static)).finding.severity == "warning"


CONFLICT = {"name": "old-extension", "version": "0.9", "requires": "numpy<2", "compiled": True, "location": "/env"}
ABI_ERROR = "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.3.5 as it may crash."


@pytest.mark.parametrize(
    ("static", "base", "expected"),
    [
        pytest.param({}, {}, None, id="none"),
        pytest.param({"numpy_conflicts": [{**CONFLICT, "compiled": False}]}, {}, None, id="pure-python-conflict"),
        pytest.param(
            {"numpy_conflicts": [CONFLICT]},
            {},
            {"numpy": "2.3.5", "conflicts": [CONFLICT], "import_failures": []},
            id="compiled-conflict",
        ),
        pytest.param(
            {},
            {"imports": {"scipy.linalg": failed("ImportError: numpy.core.multiarray failed to import", ABI_ERROR)}},
            {"numpy": "2.3.5", "conflicts": [], "import_failures": [{"module": "scipy.linalg", "error": ABI_ERROR}]},
            id="import-fails-on-the-abi",
        ),
        pytest.param(
            {}, {"imports": {"scipy.linalg": failed("ImportError: libgfortran.so.5")}}, None, id="other-error"
        ),
    ],
)
def test_detect_numpy_abi(static, base, expected):
    assert detect_numpy_abi(facts(static, base=base)) == expected


def test_numpy_abi_fix_upgrades_or_pins_numpy():
    env = facts(
        {"numpy_conflicts": [CONFLICT]},
        samplers={"imports": {"numba": failed("ImportError: Numba needs NumPy 2.2 or less. Got NumPy 2.3.")}},
    )
    finding = check("ENV106", env).finding
    assert finding.message.startswith(
        "NumPy 2.3.5 is installed, but old-extension 0.9 declares numpy<2; `import numba` fails: "
        "ImportError: Numba needs NumPy 2.2 or less. Got NumPy 2.3.. An extension built"
    )
    assert finding.fix_code == (
        "python -m pip install --upgrade numba old-extension\n"
        '# or, if no release supports NumPy 2.3.5 yet:\npython -m pip install "numpy<2"'
    )


def test_detect_duplicate_install():
    assert detect_duplicate_install(facts()) == {}
    copies = [copy_of("2.3.5", "/home/ada/.local/lib"), copy_of("2.1.0", "/env/lib", "conda")]
    legacy = [copy_of("3.11.5"), copy_of("3.11.4")]
    assert detect_duplicate_install(facts({"distributions": {"numpy": copies, "pymc3": legacy}})) == {"numpy": copies}


def test_duplicate_install_names_every_copy():
    copies = [copy_of("2.3.5", "/home/ada/.local/lib"), copy_of("2.1.0", "/env/lib")]
    finding = check("ENV109", facts({"distributions": {"numpy": copies}})).finding
    assert finding.title == "numpy is installed more than once"
    assert finding.message.startswith("numpy: 2.3.5 in /home/ada/.local/lib; 2.1.0 in /env/lib. Python uses")
    assert finding.fix_code.startswith("python -m pip uninstall -y numpy   # repeat until `pip show numpy` finds none")


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["packages_and_settings"], indirect=True)
def test_extension_built_for_numpy_1_and_duplicate_metadata(scenario):
    abi = scenario.finding("ENV106")
    assert [c["name"] for c in abi["evidence"]["conflicts"]] == ["old-extension"]
    assert abi["evidence"]["import_failures"][0]["module"] == "blackjax"
    assert "compiled against ABI version 0x1000009" in abi["message"]
    assert list(scenario.finding("ENV109")["evidence"]["duplicates"]) == ["scipy"]


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["conda_environment"], indirect=True)
def test_old_pymc_metadata_and_its_missing_requirement(scenario):
    assert_only(scenario, {"ENV401", "ENV301", "ENV104", "ENV105", "ENV109"})
    old = scenario.finding("ENV104")
    assert old["severity"] == "error" and old["evidence"]["installed"] == "4.4.0"
    assert "PyMC before 5 is unsupported" in old["message"]
    conflict = scenario.finding("ENV105")
    assert conflict["evidence"]["requirements"] == [
        {"name": "aesara", "specifier": "==2.8.7", "installed": None, "extra": None, "satisfied": False}
    ]
    assert conflict["fix_code"] == 'conda install -c conda-forge "aesara==2.8.7"'
    assert list(scenario.finding("ENV109")["evidence"]["duplicates"]) == ["pymc"]
