"""The ``pymc-doctor`` command. Exit status: 0 no error-level finding, 1 at least one, 2 unusable input."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pymc_doctor.version import __version__

DEMO_REPORT = "pymc-doctor-report.html"


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


def _emit(report, fmt: str, output: Path | None, *, redact: bool = True, share: bool = False) -> None:
    """Render and print or write a report (or a list of reports, for HTML).

    Everything that may be shared, which is every form but the plain terminal one, is redacted
    unless ``redact`` is False.
    """
    from pymc_doctor.reports import RENDERERS

    if share:
        fmt = "markdown"
    reports = report if isinstance(report, list) else [report]
    if redact and (share or fmt != "text" or output is not None):
        reports = [r.redacted() for r in reports]
    render = RENDERERS[fmt]
    color = output is None and sys.stdout.isatty()
    if fmt in ("html", "json"):  # one document, whatever the number of reports
        text = render(reports if len(reports) > 1 else reports[0], color=color)
    else:
        text = "\n\n".join(render(r, color=color) for r in reports)
    if output is not None:
        output.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        click.echo(f"Report written to {output}", err=True)
    else:
        click.echo(text)


def _fail(message: str) -> None:
    click.echo(f"pymc-doctor: {message}", err=True)
    sys.exit(2)


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pymc-doctor")
def main() -> None:
    """Find what is wrong with a PyMC installation, model or trace, and how to fix it."""
    # The command draws plots for its HTML report only: never a window, even where a display exists.
    os.environ.setdefault("MPLBACKEND", "Agg")


@main.command()
@click.argument("target")
@click.option(
    "--trace",
    "trace_path",
    type=click.Path(path_type=Path),
    help="With a script: the trace its model produced (netCDF or zarr), checked together with the model.",
)
@format_option
@output_option
@rule_options
@share_options
def check(
    target: str, trace_path: Path | None, fmt: str, output: Path | None, select, ignore, threshold, share, keep_private
) -> None:
    """Check a trace file, or lint the models of a script.

    TARGET is a trace (netCDF or zarr, as written by InferenceData.to_netcdf or DataTree.to_netcdf),
    a script (`model.py`, whose `if __name__ == "__main__":` block does not run), or
    `module:attribute` (a model, a trace, or a function returning them).
    """
    from pymc_doctor import check as run_check
    from pymc_doctor.compat import TraceError
    from pymc_doctor.target import is_target

    options = {"select": _split(select), "ignore": _split(ignore), "thresholds": _thresholds(threshold)}
    if is_target(target):
        reports = _check_target(target, trace_path, options)
    else:
        if trace_path is not None:
            _fail("--trace goes with a script or module:attribute, not with a trace file")
        try:
            reports = [run_check(Path(target), **options)]
        except (TraceError, ValueError) as exc:
            _fail(str(exc))
    _emit(reports if len(reports) > 1 else reports[0], fmt, output, redact=not keep_private, share=share)
    sys.exit(max(report.exit_code for report in reports))


def _check_target(spec: str, trace_path: Path | None, options: dict) -> list:
    """Lint each model the target defines; with one model, check it together with its trace."""
    from pymc_doctor import check as run_check
    from pymc_doctor import explain as run_explain
    from pymc_doctor.compat import TraceError
    from pymc_doctor.quiet import quiet
    from pymc_doctor.target import TargetError, TargetRaised, load_target

    click.echo(f"Loading {spec}…", err=True)
    try:
        with quiet("pymc", "pytensor"):
            target = load_target(spec)
    except TargetError as exc:
        _fail(str(exc))
    except TargetRaised as raised:
        report = run_explain(raised.error)
        report.context["source"] = spec
        return [report]
    traces = dict(target.traces)
    if trace_path is not None:
        traces = {trace_path.name: trace_path}
    if trace_path is not None and len(target.models) != 1:
        _fail(f"{spec} defines {len(target.models)} models; --trace needs exactly one")
    reports = []
    try:
        if len(target.models) == 1 and len(traces) == 1:
            (name, model), (trace_name, trace) = *target.models.items(), *traces.items()
            reports.append(run_check(trace, model=model, source=trace_name, namespace=target.namespace, **options))
            reports[-1].context["model"]["name"] = name
            return reports
        for name, model in target.models.items():
            reports.append(run_check(model=model, namespace=target.namespace, **options))
            reports[-1].context["model"]["name"] = name
        for trace_name, trace in traces.items():
            reports.append(run_check(trace, source=trace_name, **options))
    except (TraceError, ValueError) as exc:
        _fail(str(exc))
    return reports


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

    The probes' results are reused while nothing in the installation changes (for a day at most,
    and only results that found nothing wrong); --fresh runs them all again.
    """
    from pymc_doctor import env as run_env

    click.echo(
        "Examining this Python environment" + (" (quick)…" if quick else ": compiling and sampling a tiny model…"),
        err=True,
    )
    try:
        report = run_env(
            quick=quick, fresh=fresh, select=_split(select), ignore=_split(ignore), thresholds=_thresholds(threshold)
        )
    except ValueError as exc:
        _fail(str(exc))
    _emit(report, fmt, output, redact=not keep_private, share=share)
    sys.exit(report.exit_code)


@main.command()
@click.argument("source", default="-", required=False)
@format_option
@output_option
@share_options
def explain(source: str, fmt: str, output: Path | None, share, keep_private) -> None:
    """Explain a PyMC or PyTensor error: the traceback in SOURCE, a file, or standard input (`-`)."""
    from pymc_doctor import explain as run_explain

    if source == "-":
        if sys.stdin.isatty():
            click.echo("Paste the traceback, then press Ctrl-D (Ctrl-Z and Enter on Windows):", err=True)
        text = sys.stdin.read()
    else:
        path = Path(source)
        if not path.is_file():
            _fail(f"{source}: no such file")
        text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        _fail("no error text given (pass a file with the traceback, or pipe it in)")
    report = run_explain(text)
    _emit(report, fmt, output, redact=not keep_private, share=share)
    sys.exit(report.exit_code)


@main.command()
@click.argument("code", required=False)
def rules(code: str | None) -> None:
    """List the rules, those of a code prefix (`MOD`, `SMP2`), or print one rule's page (by code or name)."""
    from pymc_doctor.registry import all_rules, find_rule

    try:
        rule = find_rule(code) if code else None
    except KeyError:
        rule = None
    if rule is None:
        listed = [r for r in all_rules() if code is None or r.code.startswith(code.upper())]
        if not listed:
            _fail(f"no rule {code!r} (see `pymc-doctor rules`)")
        for listed_rule in listed:
            click.echo(f"{listed_rule.code}  {listed_rule.name:<20} {listed_rule.severity:<8} {listed_rule.summary}")
        return
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

    reports = []
    for name in ("bioassay", "centered_eight"):
        click.echo(f"Sampling the {name.replace('_', ' ')} example…", err=True)
        idata = sample_example(name, seed=seed, draws=draws, tune=tune)
        reports.append(run_check(idata, source=f"example: {name}"))
        if fmt not in ("json", "html"):  # text forms come as each example is done; documents come whole
            _emit(reports[-1], fmt, None)
            click.echo("")
    if fmt in ("json", "html"):
        _emit(reports, fmt, None)
    _emit(reports, "html", html_path)
    click.echo(f"Open {html_path.resolve().as_uri()} in a browser for the full report with plots.", err=True)
