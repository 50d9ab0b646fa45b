"""Read Internet Topology Zoo GraphML files as undirected, full-duplex planes.

The Topology Zoo (Knight et al., IEEE JSAC 29(9), 2011) gives node ``Latitude`` and
``Longitude`` in degrees and, on many edges, ``LinkSpeedRaw`` in bit/s. What the files do
not give is filled in as documented on :func:`read_topology_zoo`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.io.safe_read import read_input_bytes
from netplan.model.plane_graph import PlaneGraph, haversine_km

__all__ = [
    "DEFAULT_CAPACITY_GBPS",
    "FIBRE_KM_PER_MS",
    "MIN_LATENCY_MS",
    "read_topology_zoo",
]

log = logging.getLogger(__name__)

DEFAULT_CAPACITY_GBPS = 10.0
"""Capacity given to edges without ``LinkSpeedRaw`` unless the caller chooses another."""

FIBRE_KM_PER_MS = 200.0
"""Signal speed in optical fibre, ~2/3 of c: 200 km per millisecond (5 us/km)."""

MIN_LATENCY_MS = 0.05
"""Latency floor for very short links (co-located nodes): equipment and patching delay."""

REFERENCE_GBPS = 100.0
"""Reference bandwidth of the ``inverse_capacity`` metric (weight = 100 Gbit/s / capacity)."""


@dataclass
class _Element:
    attrs: dict[str, str]
    line: int
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class _GraphML:
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (for, attr.name)
    nodes: list[_Element] = field(default_factory=list)
    edges: list[_Element] = field(default_factory=list)
    edgedefault: str = "undirected"


def _parse(path: Path) -> _GraphML:
    """Stream the GraphML with expat, keeping the line of every node and edge."""
    doc = _GraphML()
    stack: list[str] = []
    current: list[_Element | None] = [None]
    data_key: list[str | None] = [None]
    text: list[str] = []
    parser = expat.ParserCreate()

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1].rsplit(" ", 1)[-1]

    def start(tag, attrs):
        name = local(tag)
        stack.append(name)
        line = parser.CurrentLineNumber
        if name == "key":
            doc.keys[attrs.get("id", "")] = (attrs.get("for", ""), attrs.get("attr.name", ""))
        elif name == "graph" and len([s for s in stack if s == "graph"]) == 1:
            doc.edgedefault = attrs.get("edgedefault", "undirected")
        elif name in ("node", "edge") and current[0] is None:
            element = _Element(dict(attrs), line)
            (doc.nodes if name == "node" else doc.edges).append(element)
            current[0] = element
        elif name == "data" and current[0] is not None:
            data_key[0] = attrs.get("key")
            text.clear()

    def end(tag):
        name = local(tag)
        stack.pop()
        if name == "data" and data_key[0] is not None and current[0] is not None:
            current[0].data[data_key[0]] = "".join(text).strip()
            data_key[0] = None
        elif (
            name in ("node", "edge")
            and current[0] is not None
            and not (set(stack) & {"node", "edge"})
        ):
            current[0] = None

    def chars(data):
        if data_key[0] is not None:
            text.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    # The shared reader refuses directories, pipes, devices and files over its size limit.
    raw = read_input_bytes(path)
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise ValidationError(
            [
                Problem(
                    str(path),
                    "",
                    f"not well-formed GraphML: {expat.ErrorString(exc.code)}",
                    line=exc.lineno,
                )
            ]
        ) from exc
    return doc


def _attr(doc: _GraphML, element: _Element, kind: str, name: str) -> str | None:
    for key, value in element.data.items():
        if doc.keys.get(key) == (kind, name) or doc.keys.get(key) == ("all", name):
            return value
    return None


def _float(
    text: str | None, file: str, field: str, line: int, problems: list[Problem]
) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(file, field, f"{text!r} is not a number", line))
        return None
    if not np.isfinite(value):
        problems.append(Problem(file, field, f"{text!r} is not finite", line))
        return None
    return value


def read_topology_zoo(
    path: str | os.PathLike,
    name: str | None = None,
    *,
    default_capacity_gbps: float | None = DEFAULT_CAPACITY_GBPS,
    weight: str = "latency",
    route_factor: float = 1.0,
    missing_latency_ms: float = 1.0,
) -> PlaneGraph:
    """Read a Topology Zoo GraphML file as a :class:`PlaneGraph` of full-duplex links.

    Parameters
    ----------
    path : str or path-like
    name : str, optional
        Plane name; defaults to the file stem.
    default_capacity_gbps : float or None, optional
        Capacity of edges without ``LinkSpeedRaw`` (10 Gbit/s by default; they are counted
        in a warning). ``None`` makes a missing speed a validation error.
    weight : {"latency", "hops", "inverse_capacity"}, optional
        Routing metric: the latency in ms, 1 per link, or 100 Gbit/s / capacity.
    route_factor : float, optional
        Fibre route length / great-circle distance (>= 1), 1 by default.
    missing_latency_ms : float, optional
        Latency of links with an end node lacking coordinates (1 ms by default).

    Returns
    -------
    PlaneGraph
        Node ids are the GraphML node ids; link ids are ``"<source>-<target>"`` (with
        ``#<k>`` appended to parallel edges). Capacity = ``LinkSpeedRaw`` / 1e9; latency =
        great-circle length x ``route_factor`` / :data:`FIBRE_KM_PER_MS`, at least
        :data:`MIN_LATENCY_MS`. Self-loops are skipped.

    Raises
    ------
    ValidationError
        Naming the file, line and field: malformed XML, unknown edge ends, bad numbers.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
    ... <key attr.name="Latitude" attr.type="double" for="node" id="d0"/>
    ... <key attr.name="Longitude" attr.type="double" for="node" id="d1"/>
    ... <key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="d2"/>
    ... <graph edgedefault="undirected">
    ... <node id="0"><data key="d0">0.0</data><data key="d1">0.0</data></node>
    ... <node id="1"><data key="d0">0.0</data><data key="d1">1.0</data></node>
    ... <edge source="0" target="1"><data key="d2">2500000000.0</data></edge>
    ... </graph></graphml>'''
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "two.graphml"); _ = p.write_text(text)
    ...     g = read_topology_zoo(p)
    >>> g.link_ids, g.arc_capacity_gbps.tolist()
    (('0-1',), [2.5, 2.5])
    >>> round(float(g.arc_latency_ms[0]), 4)  # 111.2 km at 200 km/ms
    0.556
    """
    path = Path(path)
    file = str(path)
    _check_zoo_args(file, weight, route_factor)
    doc = _parse(path)
    if doc.edgedefault != "undirected":
        log.info("%s: edgedefault=%s; edges are read as full-duplex links", file, doc.edgedefault)
    problems: list[Problem] = []
    nodes = _zoo_nodes(doc, file, problems)
    edges = _zoo_edges(doc, file, nodes.index, default_capacity_gbps, problems)
    if problems:
        raise ValidationError(problems)
    if edges.n_default:
        log.warning(
            "%s: %d edges without LinkSpeedRaw get %g Gbit/s",
            file,
            edges.n_default,
            default_capacity_gbps,
        )
    if edges.n_selfloop:
        log.info("%s: skipped %d self-loops", file, edges.n_selfloop)

    lat_arr, lon_arr = np.asarray(nodes.lat), np.asarray(nodes.lon)
    ia, ib = np.asarray(edges.a, dtype=np.int64), np.asarray(edges.b, dtype=np.int64)
    latency = _link_latency_ms(file, lat_arr, lon_arr, ia, ib, route_factor, missing_latency_ms)
    cap_arr = np.asarray(edges.capacity_gbps, dtype=np.float64)
    if weight == "latency":
        wgt = latency
    elif weight == "hops":
        wgt = np.ones(ia.size)
    else:
        wgt = REFERENCE_GBPS / cap_arr
    return PlaneGraph.from_links(
        name or path.stem,
        nodes.ids,
        edges.link_ids,
        ia,
        ib,
        capacity_gbps=cap_arr,
        weight=wgt,
        latency_ms=latency,
        node_lat=lat_arr,
        node_lon=lon_arr,
        source=file,
    )


def _check_zoo_args(file: str, weight: str, route_factor: float) -> None:
    """Reject an unknown routing metric or a route factor below 1."""
    problems: list[Problem] = []
    if weight not in ("latency", "hops", "inverse_capacity"):
        problems.append(Problem(file, "weight", f"unknown metric {weight!r}"))
    if not route_factor >= 1.0:
        problems.append(Problem(file, "route_factor", f"must be >= 1, got {route_factor}"))
    if problems:
        raise ValidationError(problems)


@dataclass
class _ZooNodes:
    ids: list[str] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)  # nan without both coordinates
    lon: list[float] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)  # id -> first position


def _zoo_nodes(doc: _GraphML, file: str, problems: list[Problem]) -> _ZooNodes:
    """Node ids and coordinates; bad ids and coordinates are added to ``problems``."""
    out = _ZooNodes()
    seen = out.index
    for k, el in enumerate(doc.nodes):
        nid = el.attrs.get("id")
        if nid is None:
            problems.append(Problem(file, f"node[{k}].id", "node without an id", el.line))
            nid = f"<missing {k}>"
        elif nid in seen:
            problems.append(Problem(file, f"node[{k}].id", f"duplicate node id {nid!r}", el.line))
        seen.setdefault(nid, k)
        out.ids.append(nid)
        y = _float(
            _attr(doc, el, "node", "Latitude"), file, f"node[{k}].Latitude", el.line, problems
        )
        x = _float(
            _attr(doc, el, "node", "Longitude"), file, f"node[{k}].Longitude", el.line, problems
        )
        if y is not None and abs(y) > 90:
            problems.append(Problem(file, f"node[{k}].Latitude", f"{y} is out of range", el.line))
            y = None
        if x is not None and abs(x) > 180:
            problems.append(Problem(file, f"node[{k}].Longitude", f"{x} is out of range", el.line))
            x = None
        out.lat.append(np.nan if y is None or x is None else y)
        out.lon.append(np.nan if y is None or x is None else x)
    if not doc.nodes:
        problems.append(Problem(file, "graph", "no nodes"))
    return out


@dataclass
class _ZooEdges:
    a: list[int] = field(default_factory=list)
    b: list[int] = field(default_factory=list)
    capacity_gbps: list[float] = field(default_factory=list)
    link_ids: list[str] = field(default_factory=list)
    n_default: int = 0  # edges given the default capacity
    n_selfloop: int = 0  # self-loops skipped


def _zoo_edges(
    doc: _GraphML,
    file: str,
    seen: dict[str, int],
    default_capacity_gbps: float | None,
    problems: list[Problem],
) -> _ZooEdges:
    """Links between known nodes with their capacities and ids; problems go to ``problems``."""
    out = _ZooEdges()
    pair_count: dict[tuple[str, str], int] = {}
    for k, el in enumerate(doc.edges):
        s, t = el.attrs.get("source"), el.attrs.get("target")
        bad_end = False
        for end, label in ((s, "source"), (t, "target")):
            if end not in seen:
                problems.append(
                    Problem(file, f"edge[{k}].{label}", f"unknown node {end!r}", el.line)
                )
                bad_end = True
        speed = _float(
            _attr(doc, el, "edge", "LinkSpeedRaw"),
            file,
            f"edge[{k}].LinkSpeedRaw",
            el.line,
            problems,
        )
        if speed is not None and speed <= 0:
            problems.append(
                Problem(file, f"edge[{k}].LinkSpeedRaw", f"must be > 0 bit/s, got {speed}", el.line)
            )
            speed = None
        if bad_end:
            continue
        if s == t:
            out.n_selfloop += 1
            continue
        if speed is None:
            if default_capacity_gbps is None:
                problems.append(
                    Problem(file, f"edge[{k}].LinkSpeedRaw", "missing link speed", el.line)
                )
                continue
            out.n_default += 1
            gbps = float(default_capacity_gbps)
        else:
            gbps = speed / 1e9
        pair = (s, t) if seen[s] <= seen[t] else (t, s)
        pair_count[pair] = pair_count.get(pair, 0) + 1
        lid = f"{pair[0]}-{pair[1]}"
        if pair_count[pair] > 1:
            lid += f"#{pair_count[pair]}"
        out.a.append(seen[s])
        out.b.append(seen[t])
        out.capacity_gbps.append(gbps)
        out.link_ids.append(lid)
    return out


def _link_latency_ms(
    file: str,
    lat: np.ndarray,
    lon: np.ndarray,
    ia: np.ndarray,
    ib: np.ndarray,
    route_factor: float,
    missing_latency_ms: float,
) -> np.ndarray:
    """Fibre latency of every link; ``missing_latency_ms`` where an end lacks coordinates."""
    length_km = haversine_km(lat[ia], lon[ia], lat[ib], lon[ib])
    length_km = np.atleast_1d(np.asarray(length_km, dtype=np.float64))
    unknown = ~np.isfinite(length_km)
    latency = np.maximum(length_km * route_factor / FIBRE_KM_PER_MS, MIN_LATENCY_MS)
    latency[unknown] = missing_latency_ms
    if unknown.any():
        log.warning(
            "%s: %d links lack end coordinates; latency set to %g ms",
            file,
            int(unknown.sum()),
            missing_latency_ms,
        )
    return latency
