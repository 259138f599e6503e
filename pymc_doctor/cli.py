"""The ``pymc-doctor`` command. Exit status: 0 no error-level finding, 1 at least one, 2 unusable input."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pymc_doctor import __version__


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


def _emit(report, fmt: str, output: Path | None) -> None:
    from pymc_doctor.reports import RENDERERS

    if output is not None:
        output.write_text(RENDERERS[fmt](report, color=False) + "\n", encoding="utf-8")
        click.echo(f"Report written to {output}", err=True)
    else:
        click.echo(RENDERERS[fmt](report, color=sys.stdout.isatty()))


def _fail(message: str) -> None:
    click.echo(f"pymc-doctor: {message}", err=True)
    sys.exit(2)


format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Report format."
)
output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pymc-doctor")
def main() -> None:
    """Find what is wrong with a PyMC trace, and how to fix it."""


@main.command()
@click.argument("trace", type=click.Path(path_type=Path))
@format_option
@output_option
@click.option("--select", multiple=True, help="Only these rules: codes, prefixes or names, comma-separated.")
@click.option("--ignore", multiple=True, help="Skip these rules: codes, prefixes or names, comma-separated.")
@click.option("--threshold", multiple=True, metavar="NAME=VALUE", help="Override a rule's threshold (see `rules`).")
def check(trace: Path, fmt: str, output: Path | None, select, ignore, threshold) -> None:
    """Check a sampled trace (netCDF or zarr, as written by InferenceData.to_netcdf or DataTree.to_netcdf)."""
    from pymc_doctor import check as run_check
    from pymc_doctor.compat import TraceError

    try:
        report = run_check(trace, select=_split(select), ignore=_split(ignore), thresholds=_thresholds(threshold))
    except (TraceError, ValueError) as exc:
        _fail(str(exc))
    _emit(report, fmt, output)
    sys.exit(report.exit_code)


@main.command()
@click.argument("code", required=False)
def rules(code: str | None) -> None:
    """List the rules, or print one rule's page (by code or name)."""
    from pymc_doctor.registry import all_rules, find_rule

    if code is None:
        for rule in all_rules():
            click.echo(f"{rule.code}  {rule.name:<20} {rule.severity:<8} {rule.summary}")
        return
    try:
        rule = find_rule(code)
    except KeyError:
        _fail(f"no rule {code!r} (see `pymc-doctor rules`)")
    click.echo(f"{rule.code} ({rule.name}) · {rule.category} · default severity {rule.severity}\n")
    click.echo(rule.page)
    if rule.params:
        click.echo("\nThresholds (override with --threshold NAME=VALUE):")
        for name, value in rule.params.items():
            click.echo(f"  {name} = {value}")


@main.command()
@format_option
@click.option("--seed", default=20261125, show_default=True, help="Random seed for sampling.")
@click.option("--draws", default=1000, show_default=True, help="Draws per chain.")
@click.option("--tune", default=1000, show_default=True, help="Tuning steps per chain.")
def demo(fmt: str, seed: int, draws: int, tune: int) -> None:
    """Sample the talk's bioassay model and the centered eight schools, and report on both."""
    from pymc_doctor import check as run_check
    from pymc_doctor.demo import sample_example

    for name in ("bioassay", "centered_eight"):
        click.echo(f"Sampling the {name.replace('_', ' ')} example…", err=True)
        idata = sample_example(name, seed=seed, draws=draws, tune=tune)
        report = run_check(idata, source=f"example: {name}")
        _emit(report, fmt, None)
        click.echo("")
