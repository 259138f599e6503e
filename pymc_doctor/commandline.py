"""What every command shares: its options, and how a report reaches the terminal or a file."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click


def color() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (no-color.org) or the terminal is dumb."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def emit(reports: list, fmt: str, output: Path | None, *, redact: bool = True, share: bool = False) -> None:
    """Render and print or write one or several reports.

    Everything that may be shared, which is every form but the plain terminal one, is redacted
    unless ``redact`` is False.
    """
    from pymc_doctor.reports import render

    fmt = "markdown" if share else fmt
    deliver(render(reports, fmt, redact=redacts(fmt, output, redact), color=output is None and color()), output)


def redacts(fmt: str, output: Path | None, redact: bool) -> bool:
    return redact and (fmt != "text" or output is not None)


def deliver(text: str, output: Path | None) -> None:
    """Print the report, or write it to ``output`` whole (an existing file is replaced only once it is)."""
    from pymc_doctor.reports import write_atomically

    if output is None:
        click.echo(text)
        return
    try:
        write_atomically(output, text)
    except OSError as exc:
        fail(f"cannot write the report to {output}: {exc.strerror or exc}")
    click.echo(f"Report written to {shown(str(output))}", err=True)


def fail(message: str) -> NoReturn:
    """One line on standard error, whatever a path or a name in it holds, and exit status 2."""
    click.echo(f"pymc-doctor: {shown(message)}", err=True)
    sys.exit(2)


def interrupted() -> NoReturn:
    """Ctrl-C: one line, and exit status 130 (128 + SIGINT), as a shell reports it."""
    click.echo("\npymc-doctor: interrupted", err=True)
    sys.exit(130)


def shown(text: str) -> str:
    """``text`` (a path, a name) as it may reach a terminal: control characters and odd bytes escaped."""
    from pymc_doctor.reports.safety import visible

    return visible(text)


def output_path(output: Path | None, inputs: list[Path]) -> Path | None:
    """``output`` as an absolute path, fixed before anything runs (a script may change the working folder),
    and never one of the inputs or inside one (a zarr store): the report would replace the trace."""
    if output is None:
        return None
    absolute = Path(os.path.abspath(output))
    try:
        resolved = absolute.resolve()
        for source in (path.resolve() for path in inputs if path.exists()):
            if resolved == source or source in resolved.parents or same_file(resolved, source):
                fail(f"--output {output} is an input of this command and would be overwritten: write elsewhere")
    except (OSError, RuntimeError) as exc:
        fail(f"--output {output}: {exc}")
    if not absolute.parent.is_dir():
        fail(f"cannot write the report to {output}: no such folder {absolute.parent}")
    return absolute


def same_file(path: Path, other: Path) -> bool:
    return path.exists() and os.path.samefile(path, other)


FORMATS = ["text", "json", "markdown", "html"]
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format."
)
output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE."
)


def rule_options(command):
    """--select, --ignore and --threshold, shared by every command that runs checks."""
    command = click.option(
        "--threshold", multiple=True, metavar="NAME=VALUE", help="Override a rule's threshold (see `rules`)."
    )(command)
    command = click.option(
        "--ignore", multiple=True, help="Skip these rules: codes, prefixes or names, comma-separated."
    )(command)
    return click.option("--select", multiple=True, help="Only these rules: codes, prefixes or names, comma-separated.")(
        command
    )


def share_options(command):
    """--share (Markdown ready to paste into a Discourse post) and --no-redact."""
    command = click.option(
        "--no-redact", "keep_private", is_flag=True, help="Keep home directory, user, host and secret values."
    )(command)
    return click.option(
        "--share", is_flag=True, help="Print Markdown ready to paste into a PyMC Discourse post or GitHub issue."
    )(command)


def trace_option(help: str):
    """--trace: the trace a script's model produced."""
    return click.option("--trace", "trace_path", type=click.Path(path_type=Path), help=help)


def seconds_option(name: str, default: float, help: str):
    """A positive number of seconds: a time limit or a budget."""
    return click.option(
        name,
        type=click.FloatRange(min=0, min_open=True),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help=help,
    )
