"""Session-wide test settings."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def private_probe_cache(tmp_path_factory):
    """`pymc-doctor env` reuses probe results from a cache in the user's folders; the tests keep
    theirs apart, so that they neither read the developer's nor leave one behind."""
    previous = os.environ.get("PYMC_DOCTOR_CACHE_DIR")
    os.environ["PYMC_DOCTOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("probe-cache"))
    yield
    if previous is None:
        del os.environ["PYMC_DOCTOR_CACHE_DIR"]
    else:
        os.environ["PYMC_DOCTOR_CACHE_DIR"] = previous


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run the slow end-to-end tests (as .ci/run does)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: an end-to-end test (live sampling, browser, subprocess scenarios)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow end-to-end test: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
