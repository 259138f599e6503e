"""The real-command scenarios run once per session, and only those the selected tests read: the
first test that needs one starts them all, two at a time, so that `pytest -k NAME` starts only the
scenario NAME."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.checks.environment.scenarios import SCENARIOS, Run, run_doctor


def _build_and_run(name: str, tmp: Path) -> Run:
    return run_doctor(SCENARIOS[name](tmp), tmp)


class ScenarioRuns:
    def __init__(self, tmp_path_factory: pytest.TempPathFactory, wanted: set[str]) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.wanted = wanted
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.futures: dict[str, Future[Run]] = {}

    def _start(self, name: str) -> None:
        if name not in self.futures:
            self.futures[name] = self.pool.submit(_build_and_run, name, self.tmp_path_factory.mktemp(name))

    def get(self, name: str) -> Run:
        for wanted in sorted(self.wanted | {name}):
            self._start(wanted)
        return self.futures[name].result()


@pytest.fixture(scope="session")
def scenario_runs(request, tmp_path_factory):
    items = request.session.items
    wanted = {item.callspec.params["scenario"] for item in items if "scenario" in getattr(item, "fixturenames", ())}
    runs = ScenarioRuns(tmp_path_factory, wanted)
    yield runs
    runs.pool.shutdown(cancel_futures=True)


@pytest.fixture
def scenario(request, scenario_runs) -> Run:
    """The run of the scenario this test is parametrized with (``indirect=True``)."""
    return scenario_runs.get(request.param)
