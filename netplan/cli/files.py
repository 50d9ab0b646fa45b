"""Verbs about input files: ``validate``, ``schema`` and ``show``."""

from __future__ import annotations

import click

from netplan.cli.options import load_topology_arg


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check topology, scenario and network files; report every problem at once.

    Exit code 0 when every file is valid, 2 when any is not.
    """
    from netplan.cli.file_kinds import validate_file
    from netplan.errors import NetplanError, Problem, ValidationError
    from netplan.io.text import terminal_safe

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
        click.echo(terminal_safe(f"ok  {path}: {summary}"))
    if problems:
        raise ValidationError(problems)


@click.command()
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


@click.command()
@click.argument("topology", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead.")
def show(topology: str | None, as_json: bool) -> None:
    """Summarise a topology (the default Chongqing network when none is given)."""
    from netplan.io.text import terminal_safe, terminal_safe_lines
    from netplan.model.describe import topology_document, topology_summary

    topo = load_topology_arg(topology)
    # Names come from the file: control and bidi characters are shown as escapes.
    if as_json:
        import json

        text = json.dumps(topology_document(topo), indent=2, ensure_ascii=False)
        click.echo(terminal_safe(text, for_json=True))
    else:
        click.echo(terminal_safe_lines(topology_summary(topo)))
