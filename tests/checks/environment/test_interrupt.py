"""`pymc-doctor env` interrupted with Ctrl-C while a probe's child is stuck: it ends the child and
everything the child started, and exits at once with status 130."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.checks.environment.scenarios import NO_SAMPLERS, PYTHON, Setup, doctor_environment

# A PyTensor whose import never ends, as on a hung network drive: it starts a grandchild (as a
# compile would) and says who both are, so that the test can look for them afterwards.
STUCK_PYTENSOR = """
import os, subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(os.environ["STUCK_PIDS"] + ".part", "w") as file:
    file.write(f"{os.getpid()} {grandchild.pid}")
os.replace(os.environ["STUCK_PIDS"] + ".part", os.environ["STUCK_PIDS"])
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(path: Path, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"the stuck probe did not start within {seconds} s"
        time.sleep(0.1)
    return path.read_text()


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="Ctrl-C as SIGINT to a process")
def test_ctrl_c_ends_a_stuck_probe_and_its_children_and_exits_130(tmp_path):
    site = tmp_path / "site"
    (site / "pytensor").mkdir(parents=True)
    (site / "pytensor" / "__init__.py").write_text(STUCK_PYTENSOR)
    pids = tmp_path / "pids"
    environ = doctor_environment(Setup(pythonpath=(site,)))
    environ.update({"STUCK_PIDS": str(pids), "PYMC_DOCTOR_CACHE_DIR": str(tmp_path / "cache")})
    doctor = subprocess.Popen(
        [PYTHON, "-m", "pymc_doctor", "env", "--quick", *NO_SAMPLERS, "--format", "json"],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        child, grandchild = map(int, _wait_for(pids, 120).split())
        assert child != doctor.pid  # stuck in the probe's child, not in the doctor itself
        start = time.monotonic()
        doctor.send_signal(signal.SIGINT)
        stdout, stderr = doctor.communicate(timeout=30)
        seconds = time.monotonic() - start
    finally:
        doctor.kill()
    assert doctor.returncode == 130, stderr[-2000:]
    assert seconds < 10, f"took {seconds:.1f} s to stop"
    assert "interrupted" in stderr and "Traceback" not in stderr and stdout == ""
    deadline = time.monotonic() + 5
    while (_alive(child) or _alive(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child) and not _alive(grandchild), "a probe process outlived the doctor"
