"""PyTensor's compile folder: unusable, short of space, locked by another process, or in a path that
breaks compiling."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from pymc_doctor.checks.environment.common import env_rule, finding, first_line
from pymc_doctor.finding import Finding
from pymc_doctor.probes.compiledir import LOCK_WAIT_S
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.facts import CompileDir
from pymc_doctor.registry import CannotCheck
from pymc_doctor.remedies import environment as fixes
from pymc_doctor.subject import Subject

SYNCED_FOLDER = re.compile(r"onedrive|dropbox|icloud|mobile documents|google ?drive", re.IGNORECASE)


def detect_compiledir_unusable(facts: EnvFacts) -> dict[str, Any] | None:
    """The compile folder when PyTensor cannot create it or a file cannot be written in it."""
    folder = facts.compiledir
    if folder.error is None and folder.writable is not False:
        return None
    return {key: getattr(folder, key) for key in ("base", "path", "error", "existing_ancestor", "write_error")}


def _why_unusable(folder: CompileDir) -> str:
    if folder.error is not None and folder.existing_ancestor and not folder.ancestor_is_dir:
        return f"it cannot be created, because {folder.existing_ancestor} is a file, not a folder"
    if folder.error is not None:
        return f"it cannot be created ({first_line(folder.error.split(': ', 1)[-1])})"
    return f"it exists but cannot be written ({first_line(folder.write_error)})"


@env_rule("ENV303", "compiledir-unusable", severity="error")
def compiledir_unusable(subject: Subject) -> Iterator[Finding]:
    """PyTensor cannot create or write its compile directory.

    What it checks: PyTensor's `compiledir` (under `base_compiledir`): that PyTensor can create it,
    and that a file can be written in it.

    Why it matters: PyTensor (C backend) and Numba (PyTensor 3.x) cache compiled code there; without
    it every compile fails ("Unable to create the compiledir directory", "compiledir ... exists but
    you don't have read, write or listing permissions").

    Threshold: the directory cannot be created or written.

    Example: `base_compiledir` on a read-only share, under a file, or owned by another user after
    a `sudo` run.

    Fix: point `base_compiledir` at a folder you own, or fix the folder's permissions.
    """
    facts: EnvFacts = subject.env
    found = detect_compiledir_unusable(facts)
    if found is None:
        return
    base = found["base"]
    yield finding(
        "ENV303",
        "error",
        "PyTensor cannot use its compile directory",
        f"PyTensor's compile directory in {base}: {_why_unusable(facts.compiledir)}. Every compilation will fail.",
        evidence=found,
        fix="Point PyTensor's base_compiledir at a folder you own (or fix this folder's permissions).",
        fix_code=fixes.set_compiledir(facts, fixes.compiledir_suggestion(facts, base)),
    )


def detect_compiledir_space(facts: EnvFacts, min_free_mb: int) -> dict[str, Any] | None:
    """The free space where PyTensor compiles, when it is below ``min_free_mb``."""
    folder = facts.compiledir
    if folder.free_bytes is None:
        raise CannotCheck("the free space of the compile directory's disk is unknown")
    if folder.free_bytes >= min_free_mb * 2**20:
        return None
    return {"free_mb": round(folder.free_bytes / 2**20, 1), "path": folder.where}


@env_rule("ENV304", "compiledir-space", severity="warning", params={"min_free_mb": 500})
def compiledir_space(subject: Subject, min_free_mb: int) -> Iterator[Finding]:
    """Little free disk space where PyTensor compiles.

    What it checks: the free space on the disk that holds PyTensor's compile directory.

    Why it matters: each compiled model adds modules of a few hundred KB to a few MB; a full disk
    makes compilation fail with confusing linker errors.

    Threshold: less than `min_free_mb` (default 500) MB free.

    Example: a small home partition on a cluster.

    Fix: free space (`pytensor-cache clear` removes PyTensor's cached modules), or move
    `base_compiledir` to a bigger disk.
    """
    facts: EnvFacts = subject.env
    found = detect_compiledir_space(facts, min_free_mb)
    if found is None:
        return
    free_mb = f"{facts.compiledir.free_bytes / 2**20:.0f}"
    yield finding(
        "ENV304",
        "warning",
        f"Only {free_mb} MB free where PyTensor compiles",
        f"The disk holding {found['path']} has {free_mb} MB free.",
        evidence=found,
        fix="Free disk space or move PyTensor's compile directory to a bigger disk.",
        fix_code="pytensor-cache clear\n# or\n" + fixes.set_compiledir(facts, "/path/on/a/bigger/disk"),
    )


def detect_compile_lock(facts: EnvFacts) -> dict[str, Any] | None:
    """PyTensor's compile lock when a process that compiles nothing holds it."""
    lock = facts.compiledir.lock
    if lock is None:
        raise CannotCheck("the compile directory is unusable (see ENV303)")
    return dataclasses.asdict(lock) if lock.stuck else None


@env_rule("ENV305", "compile-lock", severity="warning")
def compile_lock(subject: Subject) -> Iterator[Finding]:
    """Another process holds PyTensor's compile lock.

    What it checks: whether PyTensor's own lock on the compile directory (`.lock`, the lock every
    compilation takes) can be acquired within 5 seconds, on every run (never from reused results).

    Why it matters: while another process holds it, every compilation here waits, then fails after
    `compile__timeout` (120 s) with "The file lock '...' could not be acquired". A stuck Jupyter
    kernel or a crashed job on a shared file system is the usual holder. The doctor skips its
    compile probe and smoke test while the lock is held.

    Threshold: the lock is not free within 5 s and its holder runs no compiler (a busy holder is
    normal: a compile here waits its turn).

    Example: a notebook kernel hung in a compilation, with a second notebook trying to sample.

    Fix: finish or restart the other Python process; if none is running, `pytensor-cache unlock`;
    or give this job its own `base_compiledir`.
    """
    facts: EnvFacts = subject.env
    found = detect_compile_lock(facts)
    if found is None:
        return
    holder = found["holder"]
    who = (
        f"process {holder['pid']} ({holder['command']}, running for {holder['seconds_running']} s) holds it "
        "without compiling anything"
        if holder
        else "another process holds it (on another machine, if this folder is shared)"
    )
    yield finding(
        "ENV305",
        "warning",
        "Another process holds PyTensor's compile lock",
        (
            f"PyTensor's compile lock {found['file']} stayed held for {LOCK_WAIT_S:.0f} s: {who}. Compilations "
            "here wait for it, then fail after compile__timeout seconds."
        ),
        evidence=found,
        fix="Finish or restart the process holding it (often a Jupyter kernel); if none runs, unlock the cache.",
        fix_code=fixes.unlock_compiledir(facts, holder["pid"] if holder else None),
    )


def detect_compiledir_path(facts: EnvFacts) -> dict[str, Any] | None:
    """The compile folder's path, and what in it breaks compiling: a synced or network folder; on
    Windows, spaces or non-ASCII characters."""
    path = facts.compiledir.where
    reasons = []
    if SYNCED_FOLDER.search(path):
        reasons.append("a synced cloud folder")
    if path.startswith(("\\\\", "//")):
        reasons.append("a network path")
    if facts.platform.windows:
        if " " in path:
            reasons.append("spaces, which MinGW's g++ mishandles")
        if not path.isascii():
            reasons.append("non-ASCII characters, which MinGW's g++ mishandles")
    return {"path": path, "reasons": reasons} if reasons else None


@env_rule("ENV306", "compiledir-path", severity="warning")
def compiledir_path(subject: Subject) -> Iterator[Finding]:
    """A compile directory in a synced, network or (on Windows) space or non-ASCII path.

    What it checks: the path of PyTensor's compile directory for OneDrive, Dropbox, iCloud or
    Google Drive folders, network paths, and on Windows spaces and non-ASCII characters.

    Why it matters: sync clients lock and re-upload the thousands of small files PyTensor writes
    (compile failures, slow compiles, a huge sync queue); network file systems make compile locks
    unreliable; on Windows, MinGW g++ fails on paths with spaces or non-ASCII characters, which
    a user name can put into the default path.

    Threshold: any of those in the path.

    Example: `C:\\Users\\José Pérez\\OneDrive\\...`.

    Fix: move `base_compiledir` to a plain local folder.
    """
    facts: EnvFacts = subject.env
    found = detect_compiledir_path(facts)
    if found is None:
        return
    yield finding(
        "ENV306",
        "warning",
        "PyTensor compiles into a problematic folder",
        f"PyTensor's compile directory {found['path']} is in {' and '.join(found['reasons'])}.",
        evidence=found,
        fix="Move PyTensor's compile directory to a plain local folder.",
        fix_code=fixes.set_compiledir(facts, fixes.compiledir_suggestion(facts, facts.compiledir.base)),
    )
