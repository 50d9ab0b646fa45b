"""Read and write topologies: YAML (with optional CSV tables) and GraphML."""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
from pathlib import Path
from typing import Any

from netplan.errors import Problem, ValidationError
from netplan.io.safe_read import InputFolders, Reference
from netplan.io.validate import located_findings, validate_model
from netplan.io.yamlfile import Located, dump_yaml, load_yaml, read_text
from netplan.model.checks import check_topology
from netplan.model.derive import derive_topology
from netplan.model.topology import DataCentre, Link, Node, Tier, Topology

TABLES = ("nodes", "links", "data_centres", "tiers")
# Fields that hold several values: written in one CSV cell separated by ';'.
LIST_FIELDS = {"planes", "srlg", "estimate_fields"}
MAX_ROWS = 1_000_000  # a national network of 100,000 sites has ~300,000 link rows
TABLE_MODELS = {"nodes": Node, "links": Link, "data_centres": DataCentre, "tiers": Tier}


def _read_csv_table(doc: Located, table: str, ref: str,
                    folders: InputFolders) -> list[dict[str, Any]]:
    base = Path(doc.file).parent
    target = Path(ref)
    line = doc.where((table,))[1]
    if target.is_absolute() or ".." in target.parts:
        raise ValidationError(
            [Problem(doc.file, table, f"table file {ref!r} must be a path inside {base}", line)]
        )
    path = base / target
    reference = Reference(doc.file, table, ref, line, f"netplan {table} table")
    folders.check(path, reference)  # a symbolic link may lead elsewhere
    if not path.exists():
        raise ValidationError(
            [Problem(doc.file, table, f"table file {str(path)!r} does not exist", line)]
        )
    text = read_text(path, "table file", ref=reference)
    return _parse_csv_table(one_line_ending(text), str(path), table, reference, doc)


def one_line_ending(text: str) -> str:
    r"""``text`` with every line ending (``\r\n``, ``\r``, ``\n``, mixed) as ``\n``.

    Examples
    --------
    >>> one_line_ending("a,b\r\n1,2\r3,4\n")
    'a,b\n1,2\n3,4\n'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parse_csv_table(text: str, file: str, table: str, reference: Reference,
                     doc: Located) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    rows: list[dict[str, Any]] = []
    problems = []
    try:
        if reader.fieldnames is None:
            return rows
        _check_header([name.strip() for name in reader.fieldnames], file, table, reference)
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise ValidationError([Problem(file, "", f"more than {MAX_ROWS} rows")])
            line = reader.line_num
            if None in row:
                problems.append(Problem(file, f"{table}[{len(rows)}]",
                                        "row has more cells than the header", line))
                continue
            item = _table_item(row)
            index = len(rows)
            doc.lines[(table, index)] = (file, line)
            for key in item:
                doc.lines[(table, index, key)] = (file, line)
            rows.append(item)
    except csv.Error as exc:
        # The csv module's messages describe the fault, never the cell's text.
        problems.append(Problem(file, table, f"not a valid CSV table: {exc}", reader.line_num))
    if problems:
        raise ValidationError(problems)
    return rows


def _table_item(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None or value.strip() == "":
            continue
        key = key.strip()
        item[key] = (
            [v.strip() for v in value.split(";") if v.strip()] if key in LIST_FIELDS else value
        )
    return item


def _check_header(columns: list[str], file: str, table: str, reference: Reference) -> None:
    """Refuse a header naming a column twice or a column the table does not have."""
    known = sorted(TABLE_MODELS[table].model_fields)
    named = [name for name in columns if name]
    if named and not set(named) & set(known):
        # Nothing in it is a column of ours: do not quote what may be any file's first line.
        raise ValidationError([reference.not_kind(f"its first line names no {table} column")])
    problems = []
    first: dict[str, int] = {}
    for position, name in enumerate(columns, 1):
        if not name:
            continue
        if name in first:
            problems.append(Problem(file, table, f"column {name!r} is named twice in the header "
                                    f"(columns {first[name]} and {position})", 1))
            continue
        first[name] = position
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the columns are {', '.join(known)}"
            problems.append(Problem(file, table, f"unknown column {name!r}; {hint}", 1))
    if problems:
        raise ValidationError(problems)


def _inline_tables(doc: Located, folders: InputFolders) -> None:
    if not isinstance(doc.data, dict):
        return
    problems: list[Problem] = []
    for table in TABLES:
        ref = doc.data.get(table)
        if isinstance(ref, str) and ref.endswith(".csv"):
            try:
                doc.data[table] = _read_csv_table(doc, table, ref, folders)
            except ValidationError as exc:
                problems.extend(exc.problems)
                doc.data[table] = []
    if problems:
        raise ValidationError(problems)


def _expect_kind(doc: Located, kind: str) -> None:
    if isinstance(doc.data, dict) and doc.data.get("kind", kind) != kind:
        raise ValidationError(
            [Problem(doc.file, "kind", f"this is a {doc.data.get('kind')!r} file, expected {kind!r}",
                     doc.where(("kind",))[1])]
        )


def topology_from_document(doc: Located, *, folders: InputFolders | None = None) -> Topology:
    """Validate a parsed topology document, check it, and derive link quantities.

    CSV tables it names must lie in the input ``folders`` (default: those of ``doc.file``).
    """
    _expect_kind(doc, "topology")
    _inline_tables(doc, folders if folders is not None else InputFolders.for_file(doc.file))
    try:
        topology = validate_model(Topology, doc)
    except ValidationError as exc:
        # Report the cross-reference problems of the parts that did validate too,
        # so a user fixes everything in one pass.
        problems = list(exc.problems)
        lenient = _lenient_topology(doc.data)
        seen = {(p.field, p.message) for p in problems}
        for extra in located_findings(doc, _lenient_findings(lenient)):
            if (extra.field, extra.message) not in seen:
                problems.append(extra)
        raise ValidationError(sorted(problems, key=_problem_order)) from None
    problems = located_findings(doc, check_topology(topology))
    if problems:
        raise ValidationError(problems)
    return derive_topology(topology)


def _lenient_findings(lenient: Topology | None) -> list[tuple[str, str]]:
    if lenient is None:
        return []
    try:
        return check_topology(lenient, connectivity=False)
    except (AttributeError, TypeError, KeyError, ValueError):
        # An item too broken to inspect: its field problems are reported already.
        return []


def _problem_order(problem: Problem) -> tuple:
    return (problem.file, problem.line or 0, problem.field)


def _lenient_topology(data: Any) -> Topology | None:
    """A topology holding the items that validate on their own (for cross-reference checks)."""
    from pydantic import ValidationError as PydanticError

    if not isinstance(data, dict):
        return None
    parts: dict[str, list[Any]] = {}
    for table, model in (("nodes", Node), ("links", Link), ("data_centres", DataCentre),
                         ("tiers", Tier)):
        items = data.get(table)
        parts[table] = []
        if not isinstance(items, list):
            continue
        for item in items:
            try:
                parts[table].append(model.model_validate(item))
            except PydanticError:
                # Keep what identifies the item so references to it are not reported as unknown.
                if isinstance(item, dict) and isinstance(item.get("id", item.get("name")), str):
                    parts[table].append(model.model_construct(**{
                        k: v for k, v in item.items() if k in model.model_fields
                    }))
    try:
        return Topology.model_construct(name="lenient", **parts)
    except Exception:  # noqa: BLE001 - best effort only; the field problems are already reported
        return None


def load_topology(path: str | os.PathLike, *, allow_outside: bool | None = None) -> Topology:
    """Load, validate and derive a topology from a YAML file (tables may be CSV files).

    A CSV table must lie below the topology's folder and, after symbolic links, in the input
    folders (:class:`netplan.io.safe_read.InputFolders`), unless ``allow_outside``
    (default: as the command line's ``--allow-outside`` says, otherwise no).

    Raises
    ------
    netplan.errors.ValidationError
        With every problem found: file, line, field and reason.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> sum(node.kind == "district" for node in topo.nodes)
    40
    """
    folders = InputFolders.for_file(path, allow_outside)
    return topology_from_document(load_yaml(path), folders=folders)


def build_topology(data: dict[str, Any] | Topology, name: str = "<code>") -> Topology:
    """Validate and derive a topology built in code (a dict as in the YAML, or a model).

    Examples
    --------
    >>> topo = build_topology({
    ...     "name": "two sites",
    ...     "tiers": [{"name": "10G", "capacity_gbps": 10, "capex_cny": 1, "opex_cny_per_year": 1}],
    ...     "nodes": [
    ...         {"id": "a", "name": "A", "kind": "core", "lat": 29.56, "lon": 106.55},
    ...         {"id": "b", "name": "B", "kind": "district", "lat": 30.81, "lon": 108.41}],
    ...     "links": [{"id": "a-b", "a": "a", "b": "b", "plane": "extranet", "tier": "10G"}]})
    >>> link = topo.links[0]
    >>> link.capacity_gbps, round(link.length_km)
    (10.0, 294)
    """
    if isinstance(data, Topology):
        data = data.model_dump(mode="json")
    return topology_from_document(Located(data=dict(data), file=name))


def topology_to_dict(topology: Topology) -> dict[str, Any]:
    """Plain data for YAML or JSON, leaving out fields at their defaults."""
    return topology.model_dump(mode="json", exclude_defaults=True) | {"kind": "topology"}


def save_topology(topology: Topology, path: str | os.PathLike) -> Path:
    """Write ``topology`` as YAML (atomically)."""
    from netplan.io.atomic import write_text_atomic

    return write_text_atomic(path, dump_yaml(topology_to_dict(topology)))


# --- GraphML -----------------------------------------------------------------------------

_JSON_GRAPH_ATTRS = ("tiers", "data_centres", "notes", "notes_zh")


def topology_to_graphml(topology: Topology, path: str | os.PathLike) -> Path:
    """Write ``topology`` as GraphML (a networkx MultiGraph: one edge per link, keyed by id).

    Lists and nested records are stored as JSON strings, since GraphML holds scalars only.
    """
    import networkx as nx

    from netplan.io.atomic import write_bytes_atomic

    graph = nx.MultiGraph()
    data = topology_to_dict(topology)
    for key, value in data.items():
        if key in ("nodes", "links"):
            continue
        graph.graph[key] = json.dumps(value, ensure_ascii=False) if key in _JSON_GRAPH_ATTRS else value
    for node in data["nodes"]:
        attrs = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v)
                 for k, v in node.items() if k != "id"}
        graph.add_node(node["id"], **attrs)
    for link in data["links"]:
        # a and b are kept as attributes too: an undirected graph does not keep their order.
        attrs = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v)
                 for k, v in link.items()}
        graph.add_edge(link["a"], link["b"], key=link["id"], **attrs)
    graph.graph["link_order"] = ",".join(link["id"] for link in data["links"])
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return write_bytes_atomic(path, buffer.getvalue())


def read_topology_graphml(path: str | os.PathLike) -> Topology:
    """Read a topology written by :func:`topology_to_graphml`."""
    import xml.etree.ElementTree as ET

    import networkx as nx

    name = str(path)
    # Read once through the shared reader (regular file, size, encoding), parse those bytes.
    text = read_text(path)
    try:
        graph = nx.read_graphml(io.BytesIO(text.encode("utf-8")), force_multigraph=True)
    except (ET.ParseError, nx.NetworkXError, ValueError, KeyError) as exc:
        raise ValidationError([Problem(name, "", f"not valid GraphML: {exc}")]) from None

    def _decode(value: Any, key: str) -> Any:
        if key in _JSON_GRAPH_ATTRS or key in ("planes", "srlg", "estimate_fields"):
            try:
                return json.loads(value) if isinstance(value, str) else value
            except json.JSONDecodeError:
                raise ValidationError(
                    [Problem(name, key, "expected a JSON list in this GraphML attribute")]
                ) from None
        return value

    # networkx adds its own graph keys (edge_default, node_default); they are not netplan's.
    data: dict[str, Any] = {
        k: _decode(v, k) for k, v in graph.graph.items() if k not in ("edge_default", "node_default")
    }
    data["nodes"] = [
        {"id": node_id, **{k: _decode(v, k) for k, v in attrs.items()}}
        for node_id, attrs in graph.nodes(data=True)
    ]
    links = []
    for a, b, key, attrs in graph.edges(keys=True, data=True):
        item = {k: _decode(v, k) for k, v in attrs.items()}
        links.append({"id": key, "a": a, "b": b} | item)
    order = {lid: i for i, lid in enumerate(graph.graph.get("link_order", "").split(",")) if lid}
    data.pop("link_order", None)
    if order:
        links.sort(key=lambda item: order.get(item["id"], len(order)))
    data["links"] = links
    return topology_from_document(Located(data=data, file=name))
