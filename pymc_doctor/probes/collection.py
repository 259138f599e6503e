"""Gathering everything the env checks read: the facts read in this process, and the probes run in
child processes beside it, or reused from an earlier run of the unchanged installation."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from pymc_doctor.probes import cache
from pymc_doctor.probes.compiledir import STUCK_LOCK, compiledir_state
from pymc_doctor.probes.envfacts import EnvFacts
from pymc_doctor.probes.protocol import ProbeResult, Progress, kill_running, run_probes
from pymc_doctor.probes.static import static_facts

PROBE_ORDER = ("base", "samplers", "compile", "smoke")
OPTIONAL_PROBES = ("samplers", "compile", "smoke")
# Probes that share a child, in this order: the later ones reuse its PyTensor and PyMC imports.
PYMC_LANE = ("base", "compile", "smoke")


def _relive_base(reused: dict[str, tuple[ProbeResult, float]], wanted: set[str], not_run: dict[str, str]) -> bool:
    """Read the compile folder of a reused base probe anew; drop the reused compile and smoke results
    when a stuck process holds its lock. Returns whether the lock is stuck."""
    stored = reused["base"][0]
    base = dataclasses.replace(stored, data=dict(stored.data))
    identity = {name: base.data["compiledir"][name] for name in ("base", "path")}
    base.data["compiledir"] = compiledir_state(identity)
    reused["base"] = (base, reused["base"][1])
    if not base.data["compiledir"].get("lock", {}).get("stuck"):
        return False
    for name in ("compile", "smoke"):
        reused.pop(name, None)
        if name in wanted:
            not_run[name] = STUCK_LOCK
    return True


def _reuse_note(reused: dict[str, tuple[ProbeResult, float]]) -> str:
    """Which results are reused, and from when (local time: it is read on the user's own terminal)."""
    names = [name for name in PROBE_ORDER if name in reused]
    oldest = min(examined_at for _, examined_at in reused.values())
    when = datetime.fromtimestamp(oldest).strftime("%Y-%m-%d %H:%M")
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    probes = "probe" if len(names) == 1 else "probes"
    return f"reusing the cached results of the {listed} {probes} from {when} (--fresh runs them again)"


def collect(
    *,
    quick: bool = False,
    probes: Iterable[str] = OPTIONAL_PROBES,
    fresh: bool = False,
    progress: Progress | None = None,
) -> EnvFacts:
    """Gather the facts: the base probe always, the ``probes`` asked for (``quick`` drops compile
    and smoke). Results of an unchanged installation are reused (``probes.cache``) unless ``fresh``.
    ``progress``, when given, is told what is reused and what each probe does as it runs.

    Two children run side by side: one imports PyTensor and PyMC once for the base probe, the
    compile probe and the smoke test; the other imports the sampler backends.
    """
    wanted = {"base", *probes} - ({"compile", "smoke"} if quick else set())
    key = cache.fingerprint()
    reused = {} if fresh else cache.load(key, wanted)
    not_run = {name: "skipped by --quick" for name in ("compile", "smoke") if quick and name in probes}
    # The compile folder is read live: a stuck lock there stops this run's compile and smoke test too.
    stuck = "base" in reused and _relive_base(reused, wanted, not_run)
    pymc_lane = [] if stuck else [name for name in PYMC_LANE if name in wanted and name not in reused]
    lanes = [lane for lane in (pymc_lane, ["samplers"] if "samplers" in wanted - set(reused) else []) if lane]
    results = {name: result for name, (result, _) in reused.items()}
    if progress and reused:
        progress(_reuse_note(reused))
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = [pool.submit(run_probes, lane, progress=progress) for lane in lanes]
        try:
            static = static_facts()
            for future in pending:
                ran, skipped = future.result()
                results.update(ran)
                not_run.update(skipped)
        except BaseException:  # Ctrl-C: the children end now, not at their time limits
            kill_running()
            raise
    cache.store(key, {name: result for name, result in results.items() if name not in reused})
    return EnvFacts(
        static=static,
        probes={name: results[name] for name in PROBE_ORDER if name in results},
        quick=quick,
        not_run=not_run,
        reused={name: examined_at for name, (_, examined_at) in reused.items()},
    )
