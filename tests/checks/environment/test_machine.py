"""ENV603 and ENV605: little memory for sampling, and an Intel Python under Rosetta."""

from __future__ import annotations

import pytest

from pymc_doctor.checks.environment.machine import detect_low_memory, detect_rosetta
from tests.checks.environment.helpers import GB, check, facts
from tests.checks.environment.scenarios import assert_only


@pytest.mark.parametrize(
    ("available", "limit", "expected"),
    [
        (8 * GB, 2.0, None),
        (int(1.25 * GB), 2.0, {"available_gb": 1.25, "total_gb": 16.0}),
        (int(1.25 * GB), 1.0, None),
    ],
)
def test_detect_low_memory(available, limit, expected):
    assert detect_low_memory(facts({"hardware": {"memory_available": available}}), limit) == expected


def test_low_memory_runs_one_chain_at_a_time():
    finding = check("ENV603", facts({"hardware": {"memory_available": int(1.25 * GB)}})).finding
    assert finding.title == "Only 1.2 GB of memory available"
    assert finding.message == "1.2 GB of 16.0 GB memory is available for sampling."
    assert finding.fix_code == "with model:\n    idata = pm.sample(cores=1)"
    assert (
        check("ENV603", facts({"hardware": {"memory_available": int(1.25 * GB)}}), min_available_gb=1.0).findings == []
    )


def test_detect_rosetta():
    assert detect_rosetta(facts()) is None
    translated = facts({"platform": {"system": "Darwin", "rosetta": True, "executable": "/opt/anaconda3/bin/python"}})
    assert detect_rosetta(translated) == {"executable": "/opt/anaconda3/bin/python"}
    finding = check("ENV605", translated).finding
    assert (
        finding.message
        == "/opt/anaconda3/bin/python is an x86_64 Python, translated by Rosetta on this Apple silicon Mac."
    )
    assert finding.fix_code.endswith(
        'conda create -c conda-forge -n pymc_env pymc "libblas=*=*accelerate"\n'
        "conda activate pymc_env\n# or, with pixi, in your project folder:\n"
        'pixi init && pixi add pymc "libblas=*=*accelerate"'
    )


def test_the_machine_read_nothing():
    unread = facts(unread={"hardware": "PermissionError: /proc/meminfo"})
    assert check("ENV603", unread).skipped == "the hardware could not be read: PermissionError: /proc/meminfo"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["threads_and_disk"], indirect=True)
def test_low_memory_for_real(scenario):
    # The scenario asks for a million GB.
    assert_only(scenario, {"ENV601", "ENV602", "ENV603", "ENV303", "ENV304"})
    assert scenario.finding("ENV603")["evidence"]["available_gb"] > 0
