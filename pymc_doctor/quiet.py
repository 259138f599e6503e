"""Silencing libraries whose logs and warnings would repeat, noisily, what the doctor reports."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet(*logger_names: str) -> Iterator[None]:
    """Raise the named loggers (and so their children) to ERROR and mute warnings inside the block."""
    loggers = [logging.getLogger(name) for name in logger_names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


# ArviZ 0.22+ warns, once a day, on import, of its coming refactor (a FutureWarning); PyMC 5 imports ArviZ.
ARVIZ_BANNER = r"\s*ArviZ is undergoing a major refactor"


def mute_arviz_banner() -> None:
    """Ignore ArviZ's refactor banner from now on: for the ``pymc-doctor`` command's own process, whose
    imports are the doctor's, never in a user's session (there, ``quiet`` mutes it for a block)."""
    warnings.filterwarnings("ignore", message=ARVIZ_BANNER, category=FutureWarning)
