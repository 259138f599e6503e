"""ENV401: PyMC's core packages installed with pip into a conda environment."""

from __future__ import annotations

import pytest

from pymc_doctor.checks.environment.channels import detect_mixed_channels
from tests.checks.environment.helpers import check, copy_of, facts
from tests.checks.environment.scenarios import assert_only

CONDA_BUILDS = {name: [copy_of("1.0", installer="conda")] for name in ("pymc", "pytensor", "numpy", "scipy")}


@pytest.mark.parametrize(
    ("static", "expected"),
    [
        pytest.param({}, {}, id="pip-in-a-venv"),
        pytest.param({"channel": {"kind": "conda"}, "distributions": CONDA_BUILDS}, {}, id="conda-builds"),
        pytest.param(
            {
                "channel": {"kind": "conda"},
                "distributions": {**CONDA_BUILDS, "numpy": [copy_of("2.3.5", installer="uv")]},
            },
            {"numpy": "uv"},
            id="uv-numpy-in-conda",
        ),
        pytest.param(
            {
                "channel": {"kind": "pixi"},
                "distributions": {**CONDA_BUILDS, "scipy": [copy_of("1.16", installer=None)]},
            },
            {},
            id="installer-unknown",
        ),
    ],
)
def test_detect_mixed_channels(static, expected):
    assert detect_mixed_channels(facts(static)) == expected


@pytest.mark.parametrize(
    ("kind", "install"), [("conda", "conda install -c conda-forge pymc pytensor"), ("pixi", "pixi add pymc pytensor")]
)
def test_pip_packages_are_replaced_by_conda_forge_builds(kind, install):
    env = facts(
        {
            "channel": {"kind": kind},
            "distributions": {**CONDA_BUILDS, "pymc": [copy_of("6.4.0")], "pytensor": [copy_of("3.0")]},
        }
    )
    finding = check("ENV401", env).finding
    assert finding.title == f"pymc, pytensor came from pip into a {kind} environment"
    assert finding.message.startswith(
        f"This is a {kind} environment, but pymc (pip), pytensor (pip) were installed by pip"
    )
    assert finding.evidence == {"installers": {"pymc": "pip", "pytensor": "pip"}, "prefix": "/env"}
    assert finding.fix_code == f"python -m pip uninstall -y pymc pytensor\n{install}"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["conda_environment"], indirect=True)
def test_pip_packages_in_a_conda_environment(scenario):
    assert_only(scenario, {"ENV401", "ENV301", "ENV104", "ENV105", "ENV109"})
    finding = scenario.finding("ENV401")
    assert set(finding["evidence"]["installers"]) == {"pymc", "pytensor", "numpy", "scipy"}
    assert "conda install -c conda-forge pymc pytensor numpy scipy" in finding["fix_code"]
