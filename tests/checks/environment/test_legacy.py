"""ENV101-ENV103: PyMC3, Theano and Aesara packages, code and settings."""

from __future__ import annotations

import pytest

from pymc_doctor.checks.environment.legacy import detect_legacy_code, detect_legacy_config, detect_legacy_packages
from tests.checks.environment.helpers import check, copy_of, facts
from tests.checks.environment.scenarios import assert_only

PYMC3 = copy_of("3.11.5")
THEANO_PYMC = copy_of("1.1.2", installer="conda")


@pytest.mark.parametrize(
    ("static", "expected"),
    [
        pytest.param({}, {}, id="none"),
        pytest.param({"distributions": {"pymc3": [PYMC3]}}, {"pymc3": PYMC3}, id="pymc3"),
        pytest.param(
            {"distributions": {"theano-pymc": [THEANO_PYMC]}, "legacy_modules": {"theano": "/env/theano"}},
            {"theano-pymc": THEANO_PYMC},
            id="module-of-an-installed-distribution",
        ),
        pytest.param(
            {"legacy_modules": {"aesara": "/opt/aesara"}},
            {"aesara": {"version": "of unknown version", "location": "/opt/aesara"}},
            id="module-without-metadata",
        ),
    ],
)
def test_detect_legacy_packages(static, expected):
    assert detect_legacy_packages(facts(static)) == expected


def test_legacy_packages_are_removed_with_their_own_installer():
    static = {
        "distributions": {"pymc3": [PYMC3], "theano-pymc": [THEANO_PYMC]},
        "legacy_modules": {"aesara": "/opt/aesara"},
    }
    finding = check("ENV101", facts(static)).finding
    assert finding.severity == "error"
    assert finding.message.startswith(
        "pymc3 3.11.5, theano-pymc 1.1.2 and aesara of unknown version are installed beside pymc 6.4.0."
    )
    # Shell commands alone: the imports are Python, and the module without metadata goes by hand.
    assert finding.fix_code == "python -m pip uninstall -y pymc3\nconda remove theano-pymc"
    assert finding.fix == (
        "Uninstall the legacy packages (remove aesara from /opt/aesara by hand), and write `import pymc as pm` "
        "and `import pytensor.tensor as pt` in your code."
    )
    unmanaged_only = check("ENV101", facts({"legacy_modules": {"aesara": "/opt/aesara"}})).finding
    assert unmanaged_only.fix_code == "" and "remove aesara from /opt/aesara by hand" in unmanaged_only.fix


def test_legacy_packages_silent_without_them():
    assert check("ENV101", facts()).findings == []


@pytest.mark.parametrize(
    ("hits", "title", "named"),
    [
        (1, "1 file here imports PyMC3, Theano or Aesara", "0.py (pymc3) import"),
        (
            7,
            "7 files here import PyMC3, Theano or Aesara",
            "0.py (pymc3), 1.py (pymc3), 2.py (pymc3), 3.py (pymc3), 4.py (pymc3) and 2 more import",
        ),
    ],
)
def test_legacy_code_names_five_files_and_counts_the_rest(hits, title, named):
    imports = [{"file": f"{index}.py", "modules": ["pymc3"]} for index in range(hits)]
    finding = check("ENV102", facts({"legacy_imports": imports})).finding
    assert finding.title == title
    assert finding.message.startswith(f"{named} the pre-2022 libraries.")
    assert finding.evidence == {"files": imports, "folder": "/home/ada/project"}


def test_legacy_code_evidence_keeps_twenty_files():
    imports = [{"file": f"{index}.py", "modules": ["theano"]} for index in range(25)]
    assert len(detect_legacy_code(facts({"legacy_imports": imports}))) == 25
    assert len(check("ENV102", facts({"legacy_imports": imports})).finding.evidence["files"]) == 20


def test_legacy_code_silent_and_skipped():
    assert check("ENV102", facts()).findings == []
    unread = check("ENV102", facts(unread={"legacy_imports": "PermissionError: /home/ada/project"}))
    assert unread.skipped == "the legacy imports could not be read: PermissionError: /home/ada/project"


@pytest.mark.parametrize(
    ("static", "expected"),
    [
        pytest.param({"env_vars": {"OMP_NUM_THREADS": "1"}}, None, id="none"),
        pytest.param(
            {"env_vars": {"THEANO_FLAGS": "floatX=float32", "PYTENSOR_FLAGS": "cxx="}},
            {"variables": {"THEANO_FLAGS": "floatX=float32"}, "files": []},
            id="variable",
        ),
        pytest.param(
            {"legacy_rc_files": ["/home/ada/.aesararc"]},
            {"variables": {}, "files": ["/home/ada/.aesararc"]},
            id="file",
        ),
    ],
)
def test_detect_legacy_config(static, expected):
    assert detect_legacy_config(facts(static)) == expected


@pytest.mark.parametrize(
    ("system", "unset"), [("Linux", "unset AESARA_FLAGS"), ("Windows", "Remove-Item Env:AESARA_FLAGS")]
)
def test_legacy_config_fix_per_shell(system, unset):
    static = {
        "platform": {"system": system},
        "env_vars": {"AESARA_FLAGS": "mode=FAST_RUN"},
        "legacy_rc_files": ["/home/ada/my files/.theanorc"],
    }
    finding = check("ENV103", facts(static)).finding
    assert finding.message.startswith("AESARA_FLAGS=mode=FAST_RUN; /home/ada/my files/.theanorc: PyTensor reads only")
    assert finding.fix_code == (
        "# move what you still need to PYTENSOR_FLAGS or ~/.pytensorrc, then:\n"
        f"{unset}\nmv '/home/ada/my files/.theanorc' '/home/ada/my files/.theanorc.old'"
    )


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["packages_and_settings"], indirect=True)
def test_legacy_packages_code_and_settings(scenario):
    # With nutpie broken, numpyro may become the faster choice (ENV503).
    expected = {"ENV101", "ENV102", "ENV103", "ENV106", "ENV108", "ENV109", "ENV201", "ENV501", "ENV502"}
    assert_only(scenario, expected, also=frozenset({"ENV503"}))
    packages = scenario.finding("ENV101")
    assert packages["severity"] == "error"
    assert set(packages["evidence"]["packages"]) == {"pymc3", "theano-pymc"}
    assert "pip uninstall -y pymc3 theano-pymc" in packages["fix_code"]
    code = scenario.finding("ENV102")
    assert {hit["file"] for hit in code["evidence"]["files"]} == {"model.py", "notebooks/old.ipynb"}
    config = scenario.finding("ENV103")
    assert config["evidence"]["variables"] == {"THEANO_FLAGS": "floatX=float32"}
    assert config["evidence"]["files"][0].endswith(".theanorc")
