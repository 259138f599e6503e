"""Reading a file the doctor did not make, without ever blocking on it.

A FIFO, a device or a socket can sit where a script, a configuration file or the probe cache is
expected (a FIFO named ``*.py`` in the working directory, a cache file replaced by one). Opening a
FIFO for reading waits for a writer, forever; reading a device may never end. So a file is opened
without blocking, and read only when it turns out to be a regular file, and never beyond a limit.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

# Where the platform has it: an open that never waits for a FIFO's writer (Windows has no FIFOs).
_NONBLOCK = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def read_regular(path: str | Path, limit: int) -> bytes | None:
    """The first ``limit`` bytes of ``path`` when it is a regular file (after links), else None; never raises."""
    try:
        handle = os.open(path, os.O_RDONLY | _NONBLOCK)
    except OSError:
        return None
    with contextlib.closing(os.fdopen(handle, "rb", buffering=0)) as file:
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                return None
            return file.read(limit)
        except OSError:
            return None


def read_regular_text(path: str | Path, limit: int) -> str | None:
    """``read_regular`` decoded as UTF-8, odd bytes replaced."""
    data = read_regular(path, limit)
    return None if data is None else data.decode("utf-8", errors="replace")
