"""An error as the explain rules read it: its text, type and message, and the line of the user's code it came from.

It is read from an exception or from the text of a traceback (pasted, or saved to a file), and
both give the same facts. This module imports nothing heavy: ``pymc-doctor explain`` starts fast.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from typing import Any

LIBRARY_PATHS = ("site-packages", "dist-packages", "<frozen", "/pymc/", "/pytensor/", "/arviz", "/xarray/")
_STANDARD_LIBRARY = re.compile(r"/lib/python\d+\.\d+/|/Lib/[^/]+\.py$")  # POSIX and Windows layouts
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)\s*$')
_LAST = re.compile(r"^(?P<kind>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Interrupt|Exit))(?::\s?(?P<message>.*))?$")
_COLUMN = re.compile(r"\b([A-Za-z_]\w*)\[(['\"])([^'\"]+)\2\]")


def _message(exc: BaseException) -> str:
    """``str(exc)``, or what Python's traceback prints when that raises: an exception's ``__str__`` is
    the user's code, and the doctor must read any error."""
    try:
        return str(exc)
    except Exception:  # whatever a broken __str__ raises
        return "<exception str() failed>"


def _is_library(path: str) -> bool:
    """A frame of an installed package or of Python itself, not of the user's code."""
    path = path.replace("\\", "/")
    return any(part in path for part in LIBRARY_PATHS) or bool(_STANDARD_LIBRARY.search(path))


@dataclass(frozen=True)
class ErrorText:
    """An error as the recognizers read it: the whole text, its type and message, the user's line."""

    text: str
    kind: str  # the exception's type name, "" when unknown
    message: str
    where: str | None  # "script.py:12", the last frame outside the libraries
    line: str | None  # that frame's source line

    @classmethod
    def from_error(cls, error: BaseException | str) -> ErrorText:
        """From an exception, or from the text of a traceback."""
        return cls.from_exception(error) if isinstance(error, BaseException) else cls.from_text(str(error))

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorText:
        # The traceback module prints a broken __str__ as "<exception str() failed>" by itself.
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        where = line = None
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if not _is_library(frame.filename):
                where, line = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}", (frame.line or None)
                break
        return cls(text, type(exc).__name__, _message(exc), where, line)

    @classmethod
    def from_text(cls, text: str) -> ErrorText:
        lines = text.rstrip().splitlines()
        kind, message, where, line = "", text.strip(), None, None
        for index in range(len(lines) - 1, -1, -1):
            match = _LAST.match(lines[index].strip())
            if match:
                kind = match.group("kind").rsplit(".", 1)[-1]
                message = "\n".join([match.group("message") or "", *lines[index + 1 :]]).strip()
                break
        for index, raw in enumerate(lines):
            frame = _FRAME.match(raw)
            if frame and not _is_library(frame.group("file")):
                where = f"{frame.group('file').rsplit('/', 1)[-1]}:{frame.group('line')}"
                following = lines[index + 1].strip() if index + 1 < len(lines) else ""
                line = following if following and not _FRAME.match(lines[index + 1]) else None
        return cls(text, kind, message, where, line)

    def has(self, *patterns: str) -> re.Match | None:
        """The first of ``patterns`` found in the text (case-insensitive, ``^`` at each line), or None."""
        for pattern in patterns:
            match = re.search(pattern, self.text, flags=re.IGNORECASE | re.MULTILINE)
            if match:
                return match
        return None

    def at(self) -> str:
        """`` (at script.py:12: `line`)`` for a message, or "" when the user's line is unknown."""
        return f" (at {self.where}: `{self.line}`)" if self.where and self.line else ""

    def column(self) -> str | None:
        """A DataFrame column on the user's failing line, such as ``df["x"]``."""
        if not self.line:
            return None
        match = _COLUMN.search(self.line)
        return f'{match.group(1)}["{match.group(3)}"]' if match else None

    def summary(self) -> dict[str, Any]:
        """What a report's context says about the error."""
        return {"type": self.kind, "message": self.message[:500], "where": self.where}
