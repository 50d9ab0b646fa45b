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


SCHEMA_CHOICES = ("topology", "scenario")


@click.command()
@click.argument("what", required=False, type=click.Choice(SCHEMA_CHOICES))
def schema(what: str | None) -> None:
    """Print the JSON Schema of topology or scenario files (for editors).

    Without KIND, list the kinds. The scenario schema takes a scenario that extends another
    (`extends: baseline.yaml`) with only the fields it changes.
    """
    import json

    from netplan.io.validate import SCHEMA_KINDS, schema_document

    if what is None:
        click.echo("The JSON Schema of an input file, for editors: egov-netplan schema KIND")
        for kind, text in SCHEMA_KINDS.items():
            click.echo(f"  {kind:<9} {text}")
        return
    click.echo(json.dumps(schema_document(what), indent=2, ensure_ascii=False))


LINK_COLUMNS = ("id", "plane", "a", "b", "tier×modules", "capacity_gbps", "length_km",
                "candidate")
NODE_COLUMNS = ("id", "kind", "name", "name_zh", "planes")


@click.command()
@click.argument("topology", required=False, type=click.Path(dir_okay=False))
@click.option("--links", "list_links", is_flag=True,
              help="List every link: id, plane, a, b, tier×modules, capacity_gbps, length_km, "
                   "candidate (the ids a scenario's overrides name).")
@click.option("--nodes", "list_nodes", is_flag=True,
              help="List every node: id, kind, name, name_zh, planes.")
@click.option("--plane", type=click.Choice(["extranet", "intranet"]), default=None,
              help="Only this plane's links and nodes (with --links or --nodes).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead.")
def show(topology: str | None, list_links: bool, list_nodes: bool, plane: str | None,
         as_json: bool) -> None:
    """Summarise a topology (the default Chongqing network when none is given).

    With --links and/or --nodes, list them one a line instead (--plane for one plane).
    """
    from netplan.io.text import terminal_safe, terminal_safe_lines
    from netplan.model.describe import topology_document, topology_summary

    if plane is not None and not (list_links or list_nodes):
        raise click.UsageError("--plane filters --links and --nodes; give one of them too")
    topo = load_topology_arg(topology)
    # Names come from the file: control and bidi characters are shown as escapes.
    if list_links or list_nodes:
        _echo_lists(topo, list_links, list_nodes, plane, as_json)
    elif as_json:
        import json

        document = with_failure_rates(topo, topology_document(topo))
        text = json.dumps(document, indent=2, ensure_ascii=False)
        click.echo(terminal_safe(text, for_json=True))
    else:
        click.echo(terminal_safe_lines(topology_summary(topo)))


def _echo_lists(topo, links: bool, nodes: bool, plane: str | None, as_json: bool) -> None:
    """``show --links/--nodes``: the rows as aligned columns, or as one JSON document."""
    from netplan.io.text import terminal_safe

    node_rows = [node_row(n) for n in topo.nodes if plane is None or plane in n.planes]
    link_rows = [link_row(lk) for lk in topo.links if plane is None or lk.plane == plane]
    if as_json:
        import json

        document = {"topology": topo.name, "plane": plane}
        if nodes:
            document["nodes"] = node_rows
        if links:
            document["links"] = link_rows
        text = json.dumps(document, indent=2, ensure_ascii=False)
        click.echo(terminal_safe(text, for_json=True))
        return
    if nodes:
        cells = [[r["id"], r["kind"], r["name"], r["name_zh"], ",".join(r["planes"])]
                 for r in node_rows]
        click.echo(terminal_safe_table(NODE_COLUMNS, cells))
        click.echo(f"{len(node_rows)} nodes")
    if nodes and links:
        click.echo("")
    if links:
        cells = [[r["id"], r["plane"], r["a"], r["b"], tier_modules(r["tier"], r["modules"]),
                  _number(r["capacity_gbps"], "g"), _number(r["length_km"], ".1f"),
                  "candidate" if r["candidate"] else ""] for r in link_rows]
        click.echo(terminal_safe_table(LINK_COLUMNS, cells))
        candidates = sum(r["candidate"] for r in link_rows)
        click.echo(terminal_safe(f"{len(link_rows)} links ({candidates} candidates); a "
                                 "scenario's overrides name them by id"))


def with_failure_rates(topo, document: dict) -> dict:
    """``document`` with the failure rates of every node, link and shared-risk group.

    Nodes and links get ``mtbf_h``, ``mttr_h`` and ``failure_rate_estimate``; the groups'
    rates are listed under ``srlgs``. The topology's own values where it gives them, else the defaults of
    ``topologies/data/failure_rates.csv`` (estimates); ``mtbf_h`` is null for an element
    that never fails.
    """
    from netplan.availability.rates import element_rates

    rates = element_rates(topo)

    def fields(rate) -> dict:
        finite = rate.mtbf_h != float("inf")
        return {"mtbf_h": rate.mtbf_h if finite else None, "mttr_h": rate.mttr_h,
                "failure_rate_estimate": rate.estimate}

    for section in ("nodes", "links"):
        for item in document.get(section, []):
            rate = rates[section].get(item.get("id")) if isinstance(item, dict) else None
            if rate is not None:
                item.update(fields(rate))
    if rates["srlgs"]:
        document["srlgs"] = [{"group": group, **fields(rate), "source": rate.source}
                             for group, rate in rates["srlgs"].items()]
    return document


def node_row(node) -> dict:
    """One node as ``show --nodes --json`` gives it."""
    return {"id": node.id, "kind": node.kind, "name": node.name, "name_zh": node.name_zh,
            "planes": list(node.planes)}


def link_row(link) -> dict:
    """One link as ``show --links --json`` gives it (capacity and length as loaded)."""
    return {"id": link.id, "plane": link.plane, "a": link.a, "b": link.b, "tier": link.tier,
            "modules": link.modules, "capacity_gbps": link.capacity_gbps,
            "length_km": link.length_km, "candidate": link.candidate}


def tier_modules(tier: str | None, modules: int) -> str:
    """``10G×2``: the tier and how many of its modules are installed.

    Examples
    --------
    >>> tier_modules("10G", 2), tier_modules(None, 1)
    ('10G×2', '—')
    """
    return f"{tier}×{modules}" if tier else "—"


def _number(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def terminal_safe_table(header, rows) -> str:
    """Columns aligned for the terminal, with wide (CJK) characters counted twice.

    Every cell is made :func:`~netplan.io.text.terminal_safe` first.

    Examples
    --------
    >>> print(terminal_safe_table(("id", "name_zh", "kind"), [["wz", "万州区", "district"]]))
    id  name_zh  kind
    wz  万州区   district
    """
    from netplan.io.text import terminal_safe

    table = [[terminal_safe(str(c)) for c in row] for row in [list(header), *rows]]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row))
             for row in table]
    return "\n".join(line.rstrip() for line in lines)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
