"""The ``egov-netplan`` command-line tool: ``load → API call → save``, a few lines per verb.

Only click is imported at module level, so ``egov-netplan --help`` starts fast; every verb
imports what it needs when it runs.
"""

from __future__ import annotations

import sys

import click

from netplan import __version__

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class NetplanGroup(click.Group):
    """A click group that prints netplan's errors without a traceback and sets the exit code."""

    def invoke(self, ctx: click.Context):
        from netplan.errors import NetplanError

        try:
            return super().invoke(ctx)
        except NetplanError as exc:
            _print_error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; no output was changed", err=True)
            ctx.exit(130)


def _print_error(exc: Exception) -> None:
    from netplan.errors import ValidationError

    if isinstance(exc, ValidationError):
        count = len(exc.problems)
        click.echo(f"error: {count} problem{'s' if count != 1 else ''} found", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)


@click.group(cls=NetplanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="egov-netplan")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Capacity planning for the Chongqing e-government extranet and intranet.

    Start with `egov-netplan show` on the default network, then `egov-netplan validate`
    on your own topology and scenario files.
    """
    import logging

    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _topology_arg(value: str | None):
    import netplan

    return netplan.load_topology(value or netplan.default_topology_path())


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check topology, scenario and network files; report every problem at once.

    Exit code 0 when every file is valid, 2 when any is not.
    """
    from netplan.errors import NetplanError, Problem, ValidationError
    from netplan.io.detect import validate_file

    problems = []
    for path in files:
        try:
            summary = validate_file(path)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        except NetplanError as exc:
            problems.append(Problem(path, "", str(exc)))
            continue
        click.echo(f"ok  {path}: {summary}")
    if problems:
        raise ValidationError(problems)


@cli.command()
@click.argument("what", type=click.Choice(["topology", "scenario"]))
def schema(what: str) -> None:
    """Print the JSON Schema of topology or scenario files (for editors)."""
    import json

    from netplan.model.scenario import Scenario
    from netplan.model.topology import Topology

    model = {"topology": Topology, "scenario": Scenario}[what]
    document = model.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = f"netplan {what}"
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@cli.command()
@click.argument("topology", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead.")
def show(topology: str | None, as_json: bool) -> None:
    """Summarise a topology (the default Chongqing network when none is given)."""
    from netplan.summary import topology_document, topology_summary

    topo = _topology_arg(topology)
    if as_json:
        import json

        click.echo(json.dumps(topology_document(topo), indent=2, ensure_ascii=False))
    else:
        click.echo(topology_summary(topo))


def main() -> None:
    """Entry point of the ``egov-netplan`` console script."""
    cli.main(prog_name="egov-netplan")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
