"""What every command shares: its options, and how a report reaches the terminal or a file."""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from pathlib import Path
from typing import NoReturn

import click


def color() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (no-color.org) or the terminal is dumb."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def emit(reports: list, fmt: str, output: Path | None, *, redact: bool = True, share: str | None = None) -> None:
    """Render and print or write one or several reports; ``share`` ("discourse", "github") asks for its Markdown.

    Everything that may be shared, which is every form but the plain terminal one, is redacted
    unless ``redact`` is False.
    """
    from pymc_doctor.reports import render

    fmt = shared_format(share, fmt)
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


class ProgressLine:
    """What a long command is doing, on standard error while it runs.

    On a terminal, one line rewritten in place with the seconds so far; elsewhere one line per step
    and the seconds it all took, except when the report is JSON (a program reads it, and its logs need
    no steps). Steps may come from several threads.
    """

    def __init__(self, heading: str, fmt: str) -> None:
        self.heading = heading
        self.terminal = sys.stderr.isatty()
        self.shown = self.terminal or fmt != "json"
        self.step = ""
        self.width = 0
        self.start = time.monotonic()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.ticker = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self) -> ProgressLine:
        click.echo(f"{self.heading}…", err=True)
        if self.shown and self.terminal:
            self.ticker.start()
        return self

    def __exit__(self, error_type, *exc) -> None:
        self.done.set()
        if self.ticker.is_alive():
            self.ticker.join()
            with self.lock:  # the line is cleared: the report follows
                click.echo("\r" + " " * self.width + "\r", nl=False, err=True)
        elif self.shown and self.step and error_type is None:  # a log has no ticking seconds: it gets the total
            click.echo(f"  done in {time.monotonic() - self.start:.0f} s", err=True)

    def __call__(self, step: str) -> None:
        if not self.shown:
            return
        with self.lock:
            self.step = shown(step)
            if self.terminal:
                self._draw()
            else:
                click.echo(f"  {self.step}", err=True)

    def _tick(self) -> None:
        while not self.done.wait(0.0 if not self.width else 1.0):
            with self.lock:
                self._draw()

    def _draw(self) -> None:
        line = f"  {self.step or 'starting'}… {time.monotonic() - self.start:.0f} s"
        click.echo("\r" + line.ljust(self.width), nl=False, err=True)
        self.width = max(self.width, len(line))


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


SHARE_TARGETS = {"discourse": "markdown", "github": "github-markdown"}


def shared_format(share: str | None, fmt: str) -> str:
    """The format a command writes: the Markdown of the place it is pasted into, or ``fmt``."""
    return SHARE_TARGETS[share] if share else fmt


def share_options(command):
    """--share, --share-for PLACE and --no-redact; the command receives ``share``: None, "discourse" or "github"."""

    @functools.wraps(command)
    def with_share(*args, share: bool, share_for: str | None, **kwargs):
        return command(*args, share=share_for or ("discourse" if share else None), **kwargs)

    with_share = click.option(
        "--no-redact", "keep_private", is_flag=True, help="Keep home directory, user, host and secret values."
    )(with_share)
    with_share = click.option(
        "--share-for",
        type=click.Choice(list(SHARE_TARGETS)),
        help="Print Markdown for this place: a PyMC Discourse post ([details] blocks) or a GitHub issue (<details>).",
    )(with_share)
    return click.option(
        "--share", is_flag=True, help="Print Markdown ready to paste into a PyMC Discourse post (see --share-for)."
    )(with_share)


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
