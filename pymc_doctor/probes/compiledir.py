"""PyTensor's compile folder as it is now: writable, free space, and its compile lock.

Needs no PyTensor (its lock is a ``filelock`` on ``<compiledir>/.lock``), so that the base probe in
its child and a report built from reused probe results both read the folder live.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from pymc_doctor.probes.protocol import error_text

# How long the probe waits for PyTensor's compile lock before calling it held by another process:
# longer than most single compilations of a concurrent Python, short enough not to stall the doctor.
LOCK_WAIT_S = 5.0

STUCK_LOCK = "PyTensor's compile lock is held by a stuck process (see ENV305)"

COMPILER_NAMES = ("g++", "gcc", "cc1plus", "cc1", "c++", "clang", "clang++", "ld", "collect2", "cl.exe")


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def compiledir_state(identity: dict[str, Any]) -> dict[str, Any]:
    """The compile folder named by ``identity`` (its ``base``, and its ``path`` when PyTensor could
    make it) as it is now."""
    facts = dict(identity)
    if "path" not in facts:
        ancestor = _nearest_existing(Path(facts["base"]))
        facts["existing_ancestor"] = str(ancestor)
        facts["ancestor_is_dir"] = ancestor.is_dir()
        with contextlib.suppress(OSError):
            facts["free_bytes"] = shutil.disk_usage(ancestor if ancestor.is_dir() else ancestor.parent).free
        return facts
    path = facts["path"]
    if not os.path.isdir(path):
        # Deleted since PyTensor made it (a common remedy), or named by stale facts: never made here,
        # and its lock never taken (filelock creates a lock file's missing folders).
        facts["missing"] = True
        return facts
    try:
        handle, name = tempfile.mkstemp(dir=path, prefix="pymc-doctor-")
        os.close(handle)
        os.remove(name)
        facts["writable"] = True
    except OSError as exc:
        facts["writable"] = False
        facts["write_error"] = error_text(exc)
    with contextlib.suppress(OSError):
        facts["free_bytes"] = shutil.disk_usage(path).free
    facts["lock"] = _lock_state(path)
    return facts


def _lock_state(path: str) -> dict[str, Any]:
    """Try PyTensor's own compile lock briefly: a lock another process holds makes every compile here wait."""
    from filelock import FileLock

    lock_file = Path(path) / ".lock"
    if not lock_file.is_file():  # no process holds a lock whose file does not exist; none is made here
        return {"held_by_other": False, "stuck": False, "file": str(lock_file)}
    lock = FileLock(lock_file)
    try:
        lock.acquire(timeout=LOCK_WAIT_S)
    except Exception as exc:  # filelock.Timeout when held; OSError when the lock file cannot be made
        held = type(exc).__name__ == "Timeout"
        state: dict[str, Any] = {"held_by_other": held, "file": str(lock_file), "error": str(exc)}
    else:
        lock.release()
        return {"held_by_other": False, "stuck": False, "file": str(lock_file)}
    holder = _lock_holder(lock_file) if held else None
    state["holder"] = holder
    # A holder running a compiler is busy, not stuck: a compile here just waits its turn.
    state["stuck"] = held and not (holder and holder["compiling"])
    return state


def _lock_holder(lock_file: Path) -> dict[str, Any] | None:
    """The process that has the lock file open, and whether it is running a compiler."""
    import psutil

    target = str(lock_file.resolve())
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        try:
            if process.pid == os.getpid() or not any(f.path == target for f in process.open_files()):
                continue
            children = process.children(recursive=True)
            return {
                "pid": process.pid,
                "command": " ".join(" ".join(process.info["cmdline"] or [process.info["name"] or ""]).split())[:300],
                "compiling": any(child.name() in COMPILER_NAMES for child in children),
                "seconds_running": round(time.time() - process.create_time()),
            }
        except (psutil.Error, OSError):  # a process that ended, or one we may not inspect
            continue
    return None
