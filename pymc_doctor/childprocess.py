"""Watching the child process that loads and checks a script: passing on what it writes as it comes, and
ending it with everything it started."""

from __future__ import annotations

import codecs
import os
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path


class Tail:
    """What a file the child writes has gained since the last look: as it comes, or in whole lines."""

    def __init__(self, path: Path, *, lines: bool = False) -> None:
        self.path, self.lines, self.position, self.pending = path, lines, 0, ""
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self, final: bool) -> list[str]:
        chunk = b""
        with suppress(FileNotFoundError), open(self.path, "rb") as file:
            file.seek(self.position)
            chunk = file.read()
        self.position += len(chunk)
        text = self.decoder.decode(chunk, final=final)
        if not self.lines:
            return [text] if text else []
        *complete, self.pending = (self.pending + text).split("\n")
        return [line for line in complete if line]


def wait(process: subprocess.Popen, outputs: list, timeout: float, note_to: Callable[[str], None], every) -> None:
    """Wait for the child, passing on what it writes and saying every ``every`` seconds that it still runs."""
    started, note = time.monotonic(), every
    while True:
        try:
            process.wait(timeout=0.2)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
        for tail, hear in outputs:
            for text in tail.read(finished):
                hear(text)
        elapsed = time.monotonic() - started
        if finished:
            return
        if elapsed >= timeout:
            raise TimeoutError
        if elapsed >= note:
            note_to(f"… still running ({elapsed:.0f} s; stopped at {timeout:g} s)")
            note += every


def stop(process: subprocess.Popen) -> None:
    """End the child and everything it started (its whole process group), if still running."""
    if os.name == "posix":
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()
    process.wait()
