"""Starting the probes' child processes, with a time limit each, and reading what they report.

A child reports facts as marked JSON lines on stdout as it goes (``pymc_doctor.probes.child``), so
a probe that crashes or times out still returns what it learned before. A child that runs out of
time is killed with everything it started (PyMC's sampling workers, a compiler).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARK = "@@pymc-doctor-probe@@"

# Seconds each probe may run. `base` imports PyTensor and PyMC (slow on a cold disk), `compile`
# may wait for PyTensor's compile lock, `smoke` compiles and samples a model.
PROBE_TIMEOUTS = {"base": 180.0, "samplers": 120.0, "compile": 240.0, "smoke": 300.0}

# The folder that holds the `pymc_doctor` package, for the child's import path.
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass
class ProbeResult:
    """What one child process reported, and how it ended."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    returncode: int | None = None
    timed_out: bool = False
    timeout: float = 0.0
    start_error: str | None = None
    stderr_tail: str = ""

    @property
    def failure(self) -> str | None:
        """Why the probe did not finish, as a phrase, or None when it did."""
        if self.start_error:
            return f"could not start ({self.start_error})"
        if self.timed_out:
            return f"did not finish within {self.timeout:.0f} s"
        if self.returncode:
            return f"crashed ({describe_returncode(self.returncode)})"
        if not self.data.get("done"):
            return "ended without reporting"
        return None

    def summary(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 2), "failure": self.failure}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def describe_returncode(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def error_text(exc: BaseException) -> str:
    """An exception as a probe reports it: its type and message, cut to a length a report can show."""
    return f"{type(exc).__name__}: {exc}"[:4000]


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return output or ""


def run_command(argv: list[str], *, timeout: float) -> tuple[int | None, str, str, bool, str | None]:
    """Run a command with a time limit; never raises. Returns (returncode, stdout, stderr, timed_out, start_error)."""
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:  # run() has killed the child; what it printed so far is kept
        return None, _text(exc.stdout), _text(exc.stderr), True, None
    except OSError as exc:
        return None, "", "", False, f"{type(exc).__name__}: {exc}"
    return completed.returncode, completed.stdout, completed.stderr, False, None


def parse_mark(line: str) -> dict[str, Any]:
    """The facts a child reported on one line of its output, or nothing for any other line."""
    if line.startswith(MARK):
        with contextlib.suppress(ValueError):
            mark = json.loads(line[len(MARK) :])
            if isinstance(mark, dict):
                return mark
    return {}


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _drain(stream, chunks: list[str]) -> None:
    chunks.extend(stream)


def _kill(process: subprocess.Popen) -> None:
    """Kill the child and what it started (PyMC's sampling workers, a compiler) where the platform allows."""
    with contextlib.suppress(OSError):
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()


# The probe children running now: each started in its own session, so the terminal's Ctrl-C does
# not reach them, and ``kill_running`` ends them (and what they started) when the doctor is interrupted.
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()


def _start(argv: list[str]) -> subprocess.Popen:
    with _RUNNING_LOCK:
        process = subprocess.Popen(
            [sys.executable, *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            # Its own process group, so that a kill reaches what it started.
            start_new_session=os.name == "posix",
        )
        _RUNNING.add(process)
    return process


def kill_running() -> None:
    """Kill every probe child still running, with what each started: the doctor was interrupted."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for process in running:
        _kill(process)


def _child_argv(names: Sequence[str]) -> list[str]:
    # Appended, not prepended: the child resolves every other import exactly as the user's Python does.
    call = f"probe_main({', '.join(map(repr, names))})"
    return [
        "-c",
        f"import sys; sys.path.append({PACKAGE_ROOT!r}); from pymc_doctor.probes.child import probe_main; {call}",
    ]


# What each probe is doing, for the progress a terminal shows while it runs.
PROBE_DOING = {
    "base": "importing PyTensor and PyMC",
    "samplers": "importing the sampler backends",
    "compile": "compiling a C op with PyTensor",
    "smoke": "compiling and sampling a tiny model",
}

Progress = Callable[[str], None]


def _announce(progress: Progress | None, mark: dict[str, Any]) -> None:
    if progress is None:
        return
    if isinstance(mark.get("probe"), str):
        progress(PROBE_DOING.get(mark["probe"], f"the {mark['probe']} probe"))
    elif isinstance(mark.get("importing"), str):
        progress(f"importing {mark['importing']}")


def _follow(
    process: subprocess.Popen, first: ProbeResult, timeouts: Mapping[str, float], progress: Progress | None = None
) -> tuple[dict[str, ProbeResult], ProbeResult, str | None]:
    """Read the child's marks until it ends or the current probe runs out of time. Returns the results
    by probe, the probe that ran last, and the reason a probe gave for stopping the ones after it."""
    lines: queue.Queue[str | None] = queue.Queue()
    stderr: list[str] = []
    readers = [
        threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True),
        threading.Thread(target=_drain, args=(process.stderr, stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    current, results = first, {first.name: first}
    stage_start = time.perf_counter()
    stop_reason = None
    while True:
        try:
            line = lines.get(timeout=max(stage_start + current.timeout - time.perf_counter(), 0.0))
        except queue.Empty:
            current.timed_out = True
            _kill(process)
            break
        if line is None:
            break
        mark = parse_mark(line)
        _announce(progress, mark)
        if mark.get("probe") not in (None, current.name):
            current.seconds = time.perf_counter() - stage_start
            stage_start = time.perf_counter()
            current = results[mark["probe"]] = ProbeResult(mark["probe"], timeout=timeouts[mark["probe"]])
        mark.pop("probe", None)
        stop_reason = mark.pop("stop", stop_reason)
        current.data.update(mark)
    process.wait()
    for reader in readers:
        reader.join(timeout=5)  # a grandchild that outlived the kill may hold the pipes open
    current.seconds = time.perf_counter() - stage_start
    current.returncode = None if current.timed_out else process.returncode
    current.stderr_tail = "".join(stderr)[-3000:]
    return results, current, stop_reason


def run_probes(
    names: Sequence[str],
    *,
    timeouts: Mapping[str, float] | None = None,
    argv: list[str] | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, ProbeResult], dict[str, str]]:
    """Run the probes ``names`` one after another in one child of this interpreter, each within its
    own time limit, so that PyTensor and PyMC are imported once for all of them.

    Returns the result of each probe that started, and why each of the others did not: the child
    stopped early (a stuck compile lock), or crashed or ran out of time in an earlier probe.
    ``argv`` replaces the child's arguments (after the interpreter); the default runs
    ``probe_main(*names)``. ``progress`` is told what the child does as it goes (from its thread).
    """
    timeouts = {**PROBE_TIMEOUTS, **(timeouts or {})}
    first = ProbeResult(names[0], timeout=timeouts[names[0]])
    try:
        process = _start(argv if argv is not None else _child_argv(names))
    except OSError as exc:
        first.start_error = f"{type(exc).__name__}: {exc}"
        return {first.name: first}, {
            name: f"the probe process could not start ({first.start_error})" for name in names[1:]
        }
    try:
        results, last, stop_reason = _follow(process, first, timeouts, progress)
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(process)
    reason = stop_reason or (f"the probe process {last.failure} during the {last.name} probe" if last.failure else None)
    return results, {name: reason or "the probe process ended early" for name in names if name not in results}
