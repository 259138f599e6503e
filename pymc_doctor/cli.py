"""The ``pymc-doctor`` command. Exit status: 0 no error-level finding, 1 at least one, 2 unusable input."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from pymc_doctor.commandline import (
    ProgressLine,
    color,
    deliver,
    emit,
    fail,
    format_option,
    interrupted,
    output_option,
    output_path,
    redacts,
    rule_options,
    seconds_option,
    share_options,
    shared_format,
    shown,
    trace_option,
)
from pymc_doctor.version import __version__

DEMO_REPORT = "pymc-doctor-report.html"
# How long a script or module may take to load and be checked.
DEFAULT_TIMEOUT = 300.0
# The most of an error file `explain` reads: a traceback's end, where the error is, is what matters.
MAX_ERROR_TEXT = 4 * 2**20


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _thresholds(values: tuple[str, ...]) -> dict[str, str]:
    thresholds = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or not name.strip() or not number.strip():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint="--threshold")
        thresholds[name.strip()] = number.strip()
    return thresholds


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pymc-doctor")
def main() -> None:
    """Find what is wrong with a PyMC installation, model or trace, and how to fix it."""
    # The command draws plots for its HTML report only: never a window, even where a display exists.
    os.environ.setdefault("MPLBACKEND", "Agg")
    # The libraries the command imports (PyMC, which imports ArviZ) speak through the doctor, not past it.
    from pymc_doctor.quiet import mute_arviz_banner

    mute_arviz_banner()


@main.command()
@click.argument("target")
@trace_option("With a script: the trace its model produced (netCDF or zarr), checked together with the model.")
@seconds_option("--timeout", DEFAULT_TIMEOUT, "With a script or module: stop loading and checking it after this long.")
@format_option
@output_option
@rule_options
@share_options
def check(
    target: str,
    trace_path: Path | None,
    timeout: float,
    fmt: str,
    output: Path | None,
    select,
    ignore,
    threshold,
    share,
    keep_private,
) -> None:
    """Check a trace file, or lint the models of a script.

    TARGET is a trace (netCDF or zarr, as written by InferenceData.to_netcdf or DataTree.to_netcdf),
    a script (`model.py`, whose `if __name__ == "__main__":` block does not run), or
    `module:attribute` (a model, a trace, or a function returning them). A script or module is loaded
    and checked in a child process, stopped after --timeout seconds.
    """
    from pymc_doctor.target import is_target

    output = output_path(output, [Path(target), *([trace_path] if trace_path else [])])
    options = {"select": _split(select), "ignore": _split(ignore), "thresholds": _thresholds(threshold)}
    if not is_target(target):
        reports = [_check_trace(target, trace_path, options)]
        emit(reports, fmt, output, redact=not keep_private, share=share)
        sys.exit(max(report.exit_code for report in reports))
    _in_child(target, trace_path, {"options": options}, shared_format(share, fmt), output, keep_private, timeout)


def _in_child(spec, trace_path, work: dict, fmt: str, output, keep_private: bool, timeout: float) -> NoReturn:
    """Load a script or module and do ``work`` (check it, or treat its model) in a child process."""
    request = {
        "spec": spec,
        "trace": str(trace_path.resolve()) if trace_path else None,
        **work,
        "format": fmt,
        "redact": redacts(fmt, output, not keep_private),
        "color": output is None and color(),
    }
    if "treatment" in work:  # treat samples for minutes: each step, and when its sampling starts and ends
        with ProgressLine(f"Treating {shown(spec)}", fmt) as progress:
            exit_code, text = _check_in_child(request, timeout, progress)
    else:
        exit_code, text = _check_in_child(request, timeout)
    deliver(text, output)
    sys.exit(exit_code)


def _check_trace(target: str, trace_path: Path | None, options: dict):
    from pymc_doctor import check as run_check
    from pymc_doctor.compat import TraceError

    if trace_path is not None:
        fail("--trace goes with a script or module:attribute, not with a trace file")
    try:
        return run_check(Path(target), **options)
    except (TraceError, ValueError) as exc:
        fail(str(exc))


def _relay(text: str) -> None:
    click.echo(text, nl=False, err=True)


def _check_in_child(request: dict, timeout: float, progress: ProgressLine | None = None) -> tuple[int, str]:
    """Load and check a script or module in a child process; what it prints is shown on standard error,
    and its progress lines (``treat``'s) on ``progress``."""
    from pymc_doctor.target import PROGRESS_EVERY, TargetError, check_in_child

    try:
        # A progress line on a terminal ticks the seconds itself.
        every = math.inf if progress is not None and progress.terminal else PROGRESS_EVERY
        result = check_in_child(request, timeout, _relay, progress, every)
    except TargetError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        click.echo("\npymc-doctor: interrupted", err=True)
        sys.exit(130)
    if "error" in result:
        fail(result["error"])
    return result["exit"], result["text"]


@main.command()
@click.argument("target")
@click.option("--model", "model_name", help="The model to treat, where the script defines several.")
@trace_option("The trace the model produced (netCDF or zarr); without it the model is sampled first.")
@seconds_option("--budget", 600.0, "Stop trying further steps after this long.")
@click.option("--seed", default=20261202, show_default=True, help="Random seed for every re-sampling.")
@seconds_option("--timeout", 3600.0, "Stop the whole run (loading, sampling, every step) after this long.")
@format_option
@output_option
@share_options
def treat(target, model_name, trace_path, budget, seed, timeout, fmt, output, share, keep_private) -> None:
    """Prove the cure: apply the plan's steps to a copy of a script's model, re-sample, re-check.

    Each mechanical step of the treatment plan (sampler settings, the non-centered rewrite, an
    ordered transform) is applied on top of the ones before, to a copy of the model, which is sampled
    again with the same sampler, chains, draws and seed; it stops at the first step after which every
    symptom is gone together. The report shows each step's symptoms before and after. Exit status 0
    when cured (or nothing was wrong), 1 otherwise.
    """
    output = output_path(output, [Path(target), *([trace_path] if trace_path else [])])
    treatment = {"treatment": {"model": model_name, "budget": budget, "seed": seed}}
    _in_child(target, trace_path, treatment, shared_format(share, fmt), output, keep_private, timeout)


@main.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("script", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def run(script: Path, arguments: tuple[str, ...]) -> None:
    """Run SCRIPT.py (with its ARGUMENTS) as `python SCRIPT.py` would, with the doctor watching: every
    sampling run in it is checked with its model, and a compact verdict is shown on standard error.
    The exit status is the script's."""
    import runpy

    from pymc_doctor import unwatch, watch

    watch()
    sys.argv = [str(script), *arguments]
    sys.path.insert(0, str(script.resolve().parent))  # as python puts the script's folder first
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        unwatch()


@main.command()
@click.option("--quick", is_flag=True, help="Skip the compile probe and the smoke test.")
@click.option("--fresh", is_flag=True, help="Run every probe again, even where the installation has not changed.")
@format_option
@output_option
@rule_options
@share_options
def env(
    quick: bool, fresh: bool, fmt: str, output: Path | None, select, ignore, threshold, share, keep_private
) -> None:
    """Check this Python installation for PyMC: versions, BLAS, compiler, samplers, threads, and a smoke test.

    The first run imports every backend, compiles and samples: seconds on an idle machine, a minute
    or more on a small busy one; what each probe is doing is shown while it runs. The probes'
    results are reused while nothing in the installation changes (for a day at most, and only
    results that found nothing wrong); --fresh runs them all again.
    """
    from pymc_doctor import env as run_env

    output = output_path(output, [])
    options = {"select": _split(select), "ignore": _split(ignore), "thresholds": _thresholds(threshold)}
    try:
        with ProgressLine("Examining this Python environment" + (" (quick)" if quick else ""), fmt) as progress:
            report = run_env(quick=quick, fresh=fresh, progress=progress, **options)
    except ValueError as exc:
        fail(str(exc))
    except KeyboardInterrupt:  # the probes' children are already killed
        interrupted()
    emit([report], fmt, output, redact=not keep_private, share=share)
    sys.exit(report.exit_code)


@main.command()
@click.argument("source", default="-", required=False)
@format_option
@output_option
@share_options
def explain(source: str, fmt: str, output: Path | None, share, keep_private) -> None:
    """Explain a PyMC or PyTensor error: the traceback in SOURCE, a file, or standard input (`-`)."""
    from pymc_doctor import explain as run_explain

    output = output_path(output, [] if source == "-" else [Path(source)])
    text = _error_text(source)
    if not text.strip():
        fail("no error text given (pass a file with the traceback, or pipe it in)")
    report = run_explain(text)
    emit([report], fmt, output, redact=not keep_private, share=share)
    sys.exit(report.exit_code)


def _error_text(source: str) -> str:
    """The traceback in a file or on standard input, whatever its encoding; of a long one, its end."""
    if source == "-":
        if sys.stdin.isatty():
            click.echo("Paste the traceback, then press Ctrl-D (Ctrl-Z and Enter on Windows):", err=True)
        data = sys.stdin.buffer.read()[-MAX_ERROR_TEXT:]
    else:
        path = Path(source)
        if not path.exists():
            fail(f"{source}: no such file")
        if not path.is_file():
            fail(f"{source}: not a regular file")
        try:
            with path.open("rb") as file:
                file.seek(max(0, os.fstat(file.fileno()).st_size - MAX_ERROR_TEXT))
                data = file.read(MAX_ERROR_TEXT)
        except OSError as exc:
            fail(f"{source}: cannot be read ({exc.strerror or type(exc).__name__})")
    return data.decode("utf-8", errors="replace")


@main.command()
@click.argument("code", required=False)
def rules(code: str | None) -> None:
    """List the rules and the diagnoses (DX), those of a code prefix (`MOD`, `SMP2`, `DX`), or print one's page
    (by code or name)."""
    from pymc_doctor.catalog import find_page, pages_of

    try:
        page = find_page(code) if code else None
    except KeyError:
        page = None
    if page is None:
        listed = pages_of(code)
        if not listed:
            fail(f"no rule or diagnosis {code!r} (see `pymc-doctor rules`)")
        for entry in listed:
            click.echo(f"{entry.code:<6}  {entry.name:<20} {entry.kind:<9} {entry.summary}")
        return
    click.echo(f"{page.code} ({page.name}) · {page.header}\n")
    click.echo(page.text)
    if page.params:
        click.echo("\nThresholds (override with --threshold NAME=VALUE):")
        for name, value in page.params.items():
            click.echo(f"  {name} = {value}")


@main.command()
@format_option
@click.option("--seed", default=20261125, show_default=True, help="Random seed for sampling.")
@click.option("--draws", type=click.IntRange(min=1), default=1000, show_default=True, help="Draws per chain.")
@click.option("--tune", type=click.IntRange(min=0), default=1000, show_default=True, help="Tuning steps per chain.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(DEMO_REPORT),
    show_default=True,
    help="Where to write the HTML report.",
)
def demo(fmt: str, seed: int, draws: int, tune: int, html_path: Path) -> None:
    """Sample two examples and report on both: the bioassay model of PyMC's getting-started talk
    (healthy) and the centered eight schools (a funnel)."""
    from pymc_doctor import check as run_check
    from pymc_doctor.demo import sample_example

    html_path = output_path(html_path, [])
    reports = []
    names = ("bioassay", "centered_eight")
    for number, name in enumerate(names, 1):
        heading = f"Sampling the {name.replace('_', ' ')} example ({number} of {len(names)})"
        with ProgressLine(heading, fmt) as progress:
            progress(f"compiling: 4 chains × {draws} draws after {tune} tuning steps")
            # A line per quarter in a log; a terminal's line is rewritten in place.
            every = 10 if progress.terminal else 25
            idata = sample_example(name, seed=seed, draws=draws, tune=tune, progress=progress, every=every)
            progress("checking the trace")
            reports.append(run_check(idata, source=f"example: {name}"))
        if fmt not in ("json", "html"):  # text forms come as each example is done; documents come whole
            emit(reports[-1:], fmt, None)
            click.echo("")
    if fmt in ("json", "html"):
        emit(reports, fmt, None)
    emit(reports, "html", html_path)
    click.echo(f"Open {html_path.resolve().as_uri()} in a browser for the full report with plots.", err=True)
