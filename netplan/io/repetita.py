"""Read Repetita topologies (``.graph``) and traffic matrices (``.demands``).

Repetita (Gay, Schaus, Vissicchio, arXiv:1710.08665) stores a topology as::

    NODES <n>
    label x y                 # x = longitude, y = latitude
    <label> <x> <y>           # n lines
                              # blank line
    EDGES <m>
    label src dest weight bw delay
    <label> <src> <dest> <weight> <bw> <delay>   # m lines, one per direction

with ``src``/``dest`` the 0-based positions of nodes in the node list, ``bw`` in kbit/s and
``delay`` in microseconds (the conventions of the Repetita data set). A demands file is::

    DEMANDS <k>
    label src dest bw
    <label> <src> <dest> <bw>  # kbit/s
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.io.yamlfile import read_text
from netplan.model.plane_graph import PlaneGraph

__all__ = ["read_repetita_demands", "read_repetita_graph"]

log = logging.getLogger(__name__)

KBPS_PER_GBPS = 1e6
US_PER_MS = 1e3


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        raise ValidationError([Problem(str(path), "", "cannot read file: file not found")])
    # The shared reader names the file and reason for directories, pipes and devices, and
    # for huge, binary or non-UTF-8 files.
    return read_text(path).splitlines()


def _is_count(text: str) -> bool:
    # str.isdigit() also accepts superscripts such as '³', which int() refuses.
    return text.isascii() and text.isdigit()


def _section(
    lines: list[str], start: int, keyword: str, columns: int, file: str, problems: list[Problem]
) -> tuple[list[tuple[int, list[str]]], int]:
    """Rows of one ``KEYWORD <count>`` section: (1-based line, fields); and the next line."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        problems.append(Problem(file, keyword, f"missing '{keyword} <count>' section"))
        return [], i
    head = lines[i].split()
    if len(head) != 2 or head[0] != keyword or not _is_count(head[1]):
        problems.append(
            Problem(
                file, keyword, f"expected '{keyword} <count>', got {lines[i].strip()!r}", line=i + 1
            )
        )
        return [], len(lines)
    count = int(head[1])
    i += 2  # skip the column-name memo line
    rows: list[tuple[int, list[str]]] = []
    while i < len(lines) and len(rows) < count:
        fields = lines[i].split()
        if fields:
            if len(fields) != columns:
                problems.append(
                    Problem(
                        file,
                        f"{keyword.lower()}[{len(rows)}]",
                        f"expected {columns} fields, got {len(fields)}",
                        line=i + 1,
                    )
                )
            rows.append((i + 1, fields))
        elif rows:
            break  # a blank line ends the section
        i += 1
    if len(rows) != count:
        problems.append(
            Problem(
                file, keyword, f"header announces {count} rows, found {len(rows)}", line=start + 1
            )
        )
    return rows, i


def _number(
    text: str, kind: type, file: str, field: str, line: int, problems: list[Problem]
) -> float | int | None:
    try:
        value = kind(text)
    except ValueError:
        problems.append(
            Problem(
                file, field, f"{text!r} is not {'an integer' if kind is int else 'a number'}", line
            )
        )
        return None
    if kind is float and not np.isfinite(value):
        problems.append(Problem(file, field, f"{text!r} is not finite", line))
        return None
    return value


def _unique_labels(labels: list[str]) -> list[str]:
    """Repetita does not require unique labels; append the position to repeated ones."""
    counts: dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    repeated = {lab for lab, c in counts.items() if c > 1}
    if repeated:
        log.warning("repeated labels %s: made unique with '#<position>'", sorted(repeated)[:5])
    return [f"{lab}#{i}" if lab in repeated else lab for i, lab in enumerate(labels)]


def _check_endpoints(s, t, n: int, file: str, fld: str, line: int,
                     problems: list[Problem], same_message: str) -> None:
    """Both ends must be node indices in 0..n-1, and differ."""
    for value, label in ((s, "src"), (t, "dest")):
        if value is not None and not 0 <= value < n:
            problems.append(
                Problem(file, f"{fld}.{label}", f"node {value} is not in 0..{n - 1}", line)
            )
    if s is not None and s == t:
        problems.append(Problem(file, fld, same_message, line))


def read_repetita_graph(path: str | os.PathLike, name: str | None = None) -> PlaneGraph:
    """Read a Repetita ``.graph`` file as a directed :class:`PlaneGraph`.

    Parameters
    ----------
    path : str or path-like
    name : str, optional
        Plane name; defaults to the file stem.

    Returns
    -------
    PlaneGraph
        One arc (and link) per EDGES row: capacity = ``bw`` / 1e6 (kbit/s to Gbit/s),
        weight = ``weight``, latency = ``delay`` / 1000 (microseconds to ms); node
        coordinates from ``y`` (latitude) and ``x`` (longitude).

    Raises
    ------
    ValidationError
        Naming the file, line and field of every problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = ("NODES 2\\nlabel x y\\nA 0 0\\nB 1 0\\n\\nEDGES 2\\nlabel src dest weight bw delay\\n"
    ...         "e0 0 1 1 1000000 500\\ne1 1 0 1 1000000 500\\n")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "tiny.graph"); _ = p.write_text(text)
    ...     g = read_repetita_graph(p)
    >>> g.n_arcs, g.arc_capacity_gbps.tolist(), g.arc_latency_ms.tolist()
    (2, [1.0, 1.0], [0.5, 0.5])
    """
    path = Path(path)
    file = str(path)
    lines = _read_lines(path)
    problems: list[Problem] = []
    node_rows, nxt = _section(lines, 0, "NODES", 3, file, problems)
    edge_rows, _ = _section(lines, nxt, "EDGES", 6, file, problems)
    labels, lon, lat = [], [], []
    for k, (line, f) in enumerate(node_rows):
        labels.append(f[0] if f else f"node{k}")
        x = _number(f[1], float, file, f"nodes[{k}].x", line, problems) if len(f) > 1 else None
        y = _number(f[2], float, file, f"nodes[{k}].y", line, problems) if len(f) > 2 else None
        lon.append(np.nan if x is None else x)
        lat.append(np.nan if y is None else y)
    n = len(labels)
    arc_ids, src, dst, wgt, cap, lat_ms = [], [], [], [], [], []
    for k, (line, f) in enumerate(edge_rows):
        if len(f) != 6:
            continue
        fld = f"edges[{k}]"
        s = _number(f[1], int, file, f"{fld}.src", line, problems)
        t = _number(f[2], int, file, f"{fld}.dest", line, problems)
        w = _number(f[3], float, file, f"{fld}.weight", line, problems)
        bw = _number(f[4], float, file, f"{fld}.bw", line, problems)
        dl = _number(f[5], float, file, f"{fld}.delay", line, problems)
        _check_endpoints(s, t, n, file, fld, line, problems, "edge joins a node to itself")
        if w is not None and w <= 0:
            problems.append(Problem(file, f"{fld}.weight", f"must be > 0, got {f[3]}", line))
        if bw is not None and bw <= 0:
            problems.append(Problem(file, f"{fld}.bw", f"must be > 0, got {f[4]}", line))
        if dl is not None and dl < 0:
            problems.append(Problem(file, f"{fld}.delay", f"must be >= 0, got {f[5]}", line))
        arc_ids.append(f[0])
        src.append(s or 0)
        dst.append(t or 0)
        wgt.append(w or 1.0)
        cap.append((bw or KBPS_PER_GBPS) / KBPS_PER_GBPS)
        lat_ms.append((dl or 0.0) / US_PER_MS)
    if problems:
        raise ValidationError(problems)
    return PlaneGraph.from_arcs(
        name or path.stem,
        _unique_labels(labels),
        _unique_labels(arc_ids),
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
        capacity_gbps=cap,
        weight=wgt,
        latency_ms=lat_ms,
        node_lat=lat,
        node_lon=lon,
        source=file,
    )


def read_repetita_demands(
    path: str | os.PathLike, graph: PlaneGraph
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a Repetita ``.demands`` file for ``graph`` (from :func:`read_repetita_graph`).

    Returns
    -------
    od_src, od_dst : ndarray of int32
        Node indices (the positions in the topology's node list).
    demand_gbps : ndarray of float64
        ``bw`` / 1e6 (kbit/s to Gbit/s), one value per row; repeated pairs stay separate.

    Raises
    ------
    ValidationError
        Naming the file, line and field of every problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_arcs("t", ["A", "B"], ["e0", "e1"], [0, 1], [1, 0], 1.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "t.demands")
    ...     _ = p.write_text("DEMANDS 1\\nlabel src dest bw\\nd0 1 0 250000\\n")
    ...     read_repetita_demands(p, g)
    (array([1], dtype=int32), array([0], dtype=int32), array([0.25]))
    """
    path = Path(path)
    file = str(path)
    lines = _read_lines(path)
    problems: list[Problem] = []
    rows, _ = _section(lines, 0, "DEMANDS", 4, file, problems)
    n = graph.n_nodes
    src, dst, bw_out = [], [], []
    for k, (line, f) in enumerate(rows):
        if len(f) != 4:
            continue
        fld = f"demands[{k}]"
        s = _number(f[1], int, file, f"{fld}.src", line, problems)
        t = _number(f[2], int, file, f"{fld}.dest", line, problems)
        bw = _number(f[3], float, file, f"{fld}.bw", line, problems)
        _check_endpoints(s, t, n, file, fld, line, problems,
                         "source and destination are the same node")
        if bw is not None and bw < 0:
            problems.append(Problem(file, f"{fld}.bw", f"must be >= 0, got {f[3]}", line))
        src.append(s or 0)
        dst.append(t or 0)
        bw_out.append((bw or 0.0) / KBPS_PER_GBPS)
    if problems:
        raise ValidationError(problems)
    return (
        np.asarray(src, dtype=np.int32),
        np.asarray(dst, dtype=np.int32),
        np.asarray(bw_out, dtype=np.float64),
    )
