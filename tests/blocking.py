"""Files that block whoever opens them, and a time limit for the code under test that meets one."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest


def make_fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("this platform has no FIFOs")
    os.mkfifo(path)
    return path


def finishes_within(seconds: float, function, *args):
    """``function(*args)``'s result; fails when it has not returned after ``seconds`` (it was blocked)."""
    outcome: dict = {}

    def call() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{function.__name__} blocked for more than {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
