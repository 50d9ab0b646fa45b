"""Read measured link counters and node totals (CSV exports from SNMP or telemetry).

Link counters, one row per link, direction and time slot::

    link,from,time,gbps
    ex-wanzhou-1,wanzhou,10,0.412

``from`` is the node at which the traffic enters the link (its direction); ``time`` is an
hour of the day (0-23) or an ISO 8601 timestamp, and may be left out for a single slot;
``gbps`` is the mean rate over the interval. Raw interface counters may be given instead:
an ``octets`` column holding the cumulative octet counter read at ``time``. The rate of each
interval between two readings of a link is then ``8 × Δoctets / Δt``, labelled with the
interval's start; a 32-bit counter that went down wrapped when the wrapped rate fits the
link, and was reset otherwise; a 64-bit counter that went down was reset (a reset interval is
dropped: a gap).

Node totals (optional), per node and time slot::

    node,time,in_gbps,out_gbps

``in_gbps`` is the traffic entering the network at the node (what it originates), and
``out_gbps`` the traffic leaving the network there (what it terminates). A ``plane`` column
says which plane a row belongs to when the node is in several.

Rows repeated with the same value are dropped; repeated with different values, unknown
links or nodes, bad numbers and missing columns are bad input: every problem is reported
with its file and line (exit code 2). Other columns are ignored.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.io.safe_read import read_input_text
from netplan.measured.routing_matrix import MeasuredNetwork

__all__ = ["LinkCounters", "NodeTotals", "parse_time", "read_link_counters", "read_node_totals"]

MAX_PROBLEMS = 50
"""Most problems listed for one file (the rest are counted)."""

WRAP_SLACK = 1.05
"""A wrapped counter's rate may exceed the link's capacity by this factor (rounding)."""


@dataclass(frozen=True)
class SlotTime:
    """One time label: its kind, sort key, canonical text and hour of day."""

    kind: str
    key: float
    label: str
    hour: int | None


def parse_time(text: str) -> SlotTime | None:
    """The time of a row: empty, an hour 0-23, or an ISO 8601 timestamp; None when neither.

    Examples
    --------
    >>> parse_time("7").label, parse_time("7").hour
    ('7', 7)
    >>> t = parse_time("2024-04-03T10:05:00Z")
    >>> t.kind, t.hour, t.label
    ('iso', 10, '2024-04-03T10:05:00+00:00')
    >>> parse_time("24") is None, parse_time("noon") is None
    (True, True)
    """
    text = text.strip()
    if not text:
        return SlotTime("none", 0.0, "", None)
    if text.isdigit():
        hour = int(text)
        return SlotTime("hour", hour * 3600.0, str(hour), hour) if hour < 24 else None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    naive = moment.replace(tzinfo=None)
    key = (naive - datetime(1970, 1, 1)).total_seconds()
    if moment.utcoffset() is not None:
        key -= moment.utcoffset().total_seconds()
    return SlotTime("iso", key, moment.isoformat(), moment.hour)


@dataclass(frozen=True)
class LinkCounters:
    """Measured arc loads of every plane, per time slot.

    Attributes
    ----------
    file : str
    slots : tuple of str
        Time labels in time order ("" for a single slot without a time).
    slot_hours : tuple of int or None
        Hour of day of every slot.
    loads : dict of str to tuple of ndarray
        Per plane: ``(slot, arc, gbps)``, one entry per measured (slot, arc).
    stats : dict
        Rows read, duplicates dropped, counter wraps and resets, gaps.
    """

    file: str
    slots: tuple[str, ...]
    slot_hours: tuple[int | None, ...]
    loads: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    stats: dict = field(default_factory=dict)

    def arrays(self, plane: str, n_arcs: int) -> tuple[np.ndarray, np.ndarray]:
        """``(gbps, measured)`` of ``plane``, both of shape (n_slots, n_arcs).

        Examples
        --------
        >>> c = LinkCounters("f", ("",), (None,), {"p": (np.array([0]), np.array([1]),
        ...                  np.array([2.5]))})
        >>> gbps, seen = c.arrays("p", 2)
        >>> gbps.tolist(), seen.tolist()
        ([[0.0, 2.5]], [[False, True]])
        """
        gbps = np.zeros((len(self.slots), n_arcs))
        seen = np.zeros((len(self.slots), n_arcs), dtype=bool)
        if plane in self.loads:
            slot, arc, value = self.loads[plane]
            gbps[slot, arc] = value
            seen[slot, arc] = True
        return gbps, seen


@dataclass(frozen=True)
class NodeTotals:
    """Measured node totals per plane: ``(slot, node, in_gbps, out_gbps)`` arrays."""

    file: str
    totals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def arrays(self, plane: str, n_slots: int, n_nodes: int):
        """``(in_gbps, out_gbps, measured)`` of ``plane``, each (n_slots, n_nodes)."""
        into = np.zeros((n_slots, n_nodes))
        out = np.zeros((n_slots, n_nodes))
        seen = np.zeros((n_slots, n_nodes), dtype=bool)
        if plane in self.totals:
            slot, node, vin, vout = self.totals[plane]
            into[slot, node], out[slot, node], seen[slot, node] = vin, vout, True
        return into, out, seen


class _Problems:
    """Problems of one file, capped at :data:`MAX_PROBLEMS`."""

    def __init__(self, file: str):
        self.file, self.items, self.more = file, [], 0

    def add(self, line: int | None, fld: str, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(self.file, fld, message, line))
        else:
            self.more += 1

    def raise_any(self) -> None:
        if self.more:
            self.items.append(Problem(self.file, "", f"and {self.more} more problems"))
        if self.items:
            raise ValidationError(self.items)


def _rows(path: str | os.PathLike, required: tuple[str, ...], one_of: tuple[str, ...],
          problems: _Problems) -> tuple[list[tuple[int, dict]], list[str]]:
    """The data rows of a CSV file with their line numbers, and its header."""
    text = read_input_text(path, what="counter file")
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, dict]] = []
    header: list[str] = []
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record) or record[0].startswith("#"):
                continue
            if not header:
                header = [cell.strip().lower() for cell in record]
                continue
            if len(record) != len(header):
                problems.add(line, "", f"expected {len(header)} cells as in the header, "
                             f"got {len(record)}")
                continue
            rows.append((line, dict(zip(header, (c.strip() for c in record), strict=True))))
    except csv.Error as exc:
        problems.add(reader.line_num, "", f"not a readable CSV file: {exc}")
    missing = [c for c in required if c not in header]
    if header and one_of and not any(c in header for c in one_of):
        missing.append(" or ".join(one_of))
    if not header:
        problems.add(1, "", f"empty: expected a header with {', '.join(required)}")
        problems.raise_any()
    elif missing:
        problems.add(1, "", f"missing column {', '.join(missing)} (header: {', '.join(header)})")
        problems.raise_any()
    return rows, header


def _number(text: str, line: int, fld: str, problems: _Problems) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.add(line, fld, f"expected a number, got {text!r}")
        return None
    if not math.isfinite(value) or value < 0:
        problems.add(line, fld, f"must be a finite number >= 0, got {text!r}")
        return None
    return value


def _slot_time(text: str, line: int, problems: _Problems) -> SlotTime | None:
    slot = parse_time(text)
    if slot is None:
        problems.add(line, "time", f"expected an hour 0-23 or an ISO 8601 timestamp, got {text!r}")
    return slot


def _order_slots(times: dict[str, SlotTime], problems: _Problems) -> list[SlotTime]:
    kinds = {t.kind for t in times.values()}
    if len(kinds) > 1:
        problems.add(None, "time", "mixes kinds of time (" + ", ".join(sorted(kinds))
                     + "): give every row an hour, or every row a timestamp")
        problems.raise_any()
    return sorted(times.values(), key=lambda t: t.key)


@dataclass
class _Reading:
    """Rows of one link direction: (time, value, line) in file order."""

    plane: str
    arc: int
    capacity_gbps: float
    values: list[tuple[SlotTime, float, int]] = field(default_factory=list)


def read_link_counters(path: str | os.PathLike, network: MeasuredNetwork) -> LinkCounters:
    """Read a link-counter CSV file for ``network`` (module docstring: the format).

    Raises
    ------
    ValidationError
        Every problem with its file and line: unknown links, a ``from`` node that is not an
        end of the link, bad numbers or times, conflicting duplicate rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("p", ["A", "B"], ["ab"], ["A"], ["B"], 10.0)
    >>> net = MeasuredNetwork("n", {"p": g})
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = f.write_text("link,from,time,gbps\\nab,A,9,1.5\\nab,B,9,0.5\\nab,B,9,0.5\\nab,A,10,2\\n")
    >>> c = read_link_counters(f, net)
    >>> c.slots, c.arrays("p", 2)[0].tolist(), c.stats["duplicates"]
    (('9', '10'), [[1.5, 0.5], [2.0, 0.0]], 1)
    >>> _ = f.write_text("link,from,gbps\\nab,A,1\\nzz,A,2\\n")
    >>> try:
    ...     read_link_counters(f, net)
    ... except ValidationError as err:
    ...     print(err.problems[0].line, err.problems[0].message)
    3 unknown link 'zz'
    """
    file = str(path)
    problems = _Problems(file)
    rows, header = _rows(path, ("link", "from"), ("gbps", "octets"), problems)
    octets = "octets" in header and "gbps" not in header
    readings: dict[tuple[str, str], _Reading] = {}
    times: dict[str, SlotTime] = {}
    for line, row in rows:
        reading = _reading_of(row, line, network, readings, problems)
        slot = _slot_time(row.get("time", ""), line, problems)
        value = _number(row["octets" if octets else "gbps"], line,
                        "octets" if octets else "gbps", problems)
        if reading is None or slot is None or value is None:
            continue
        times[slot.label] = slot
        reading.values.append((slot, value, line))
    if octets:
        _check_octet_times(times, problems)
    stats = {"rows": len(rows), "duplicates": 0, "wraps": 0, "resets": 0, "intervals": 0}
    per_arc: dict[tuple[str, int], dict[str, float]] = {}
    for reading in readings.values():
        unique = _unique(reading.values, problems, stats)
        rates = _rates(unique, reading.capacity_gbps, stats) if octets else unique
        per_arc[(reading.plane, reading.arc)] = rates
    problems.raise_any()
    ordered = _order_slots(times, problems)
    if octets:  # the last reading starts no interval
        used = {label for rates in per_arc.values() for label in rates}
        ordered = [t for t in ordered if t.label in used]
    index = {t.label: i for i, t in enumerate(ordered)}
    stats["gaps"] = len(ordered) * len(per_arc) - sum(len(r) for r in per_arc.values())
    loads = _loads_by_plane(per_arc, index)
    return LinkCounters(file, tuple(t.label for t in ordered), tuple(t.hour for t in ordered),
                        loads, stats)


def _reading_of(row: dict, line: int, network: MeasuredNetwork,
                readings: dict[tuple[str, str], _Reading], problems: _Problems) -> _Reading | None:
    link, source = row["link"], row["from"]
    found = network.arc_of(link, source)
    if found is None:
        ends = network.link_ends(link)
        if ends is None:
            problems.add(line, "link", f"unknown link {link!r}")
        else:
            problems.add(line, "from", f"traffic enters link {link!r} at "
                         f"{' or '.join(repr(e) for e in ends)}, not {source!r}")
        return None
    plane, arc = found
    if (link, source) not in readings:
        capacity = float(network.planes[plane].arc_capacity_gbps[arc])
        readings[(link, source)] = _Reading(plane, arc, capacity)
    return readings[(link, source)]


def _unique(values: list[tuple[SlotTime, float, int]], problems: _Problems,
            stats: dict) -> dict[str, float]:
    """One value per time: repeats with the same value dropped, conflicting ones refused."""
    kept: dict[str, tuple[float, int]] = {}
    for slot, value, line in values:
        if slot.label in kept:
            first, first_line = kept[slot.label]
            if math.isclose(first, value, rel_tol=1e-9, abs_tol=0.0):
                stats["duplicates"] += 1
            else:
                problems.add(line, "", f"repeats time {slot.label!r} of line {first_line} with "
                             f"a different value ({value:g}, not {first:g})")
            continue
        kept[slot.label] = (value, line)
    return {label: value for label, (value, _) in kept.items()}


def _check_octet_times(times: dict[str, SlotTime], problems: _Problems) -> None:
    if "" in times:
        problems.add(None, "time", "octet counters need the time of every reading")
        problems.raise_any()


def _rates(readings: dict[str, float], capacity_gbps: float, stats: dict) -> dict[str, float]:
    """Gbit/s of every interval between consecutive readings of one cumulative counter.

    A counter that ever reads 2^32 or more is a 64-bit one: it does not wrap in practice, so
    a decrease is a reset. Below that it is taken as 32-bit: a decrease is a wrap when the
    wrapped rate fits the link, a reset otherwise (at 10 Gbit/s a 32-bit counter wraps every
    3.4 s, so on fast links the two cannot be told apart: export 64-bit counters).
    """
    keys = {label: parse_time(label) for label in readings}
    ordered = sorted(readings, key=lambda label: keys[label].key)
    bits = 64 if max(readings.values(), default=0.0) >= 2.0**32 else 32
    rates: dict[str, float] = {}
    for start, end in zip(ordered[:-1], ordered[1:], strict=True):
        seconds = keys[end].key - keys[start].key
        delta = readings[end] - readings[start]
        stats["intervals"] += 1
        if delta < 0:
            delta = _unwrapped(readings[start], readings[end], seconds, capacity_gbps, bits)
            if delta is None:
                stats["resets"] += 1
                continue
            stats["wraps"] += 1
        rates[start] = 8.0 * delta / seconds / 1e9
    return rates


def _unwrapped(before: float, after: float, seconds: float, capacity_gbps: float,
               bits: int = 32) -> float | None:
    """The octets of an interval whose counter wrapped, or None when it was reset.

    Examples
    --------
    >>> _unwrapped(2**32 - 1000, 500, 1.0, 10.0)
    1500.0
    >>> _unwrapped(2**32 - 1000, 500, 1.0, 1e-6) is None  # faster than the link: a reset
    True
    >>> _unwrapped(2**40, 500, 1.0, 10.0, bits=64) is None
    True
    """
    if bits == 64:
        return None
    delta = after + 2.0**32 - before
    if 8.0 * delta / seconds / 1e9 <= capacity_gbps * WRAP_SLACK:
        return delta
    return None


def _loads_by_plane(per_arc: dict[tuple[str, int], dict[str, float]],
                    index: dict[str, int]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    collected: dict[str, list[tuple[int, int, float]]] = {}
    for (plane, arc), rates in per_arc.items():
        for label, gbps in rates.items():
            if label in index:
                collected.setdefault(plane, []).append((index[label], arc, gbps))
    out = {}
    for plane, items in collected.items():
        slot, arc, gbps = zip(*sorted(items), strict=True)
        out[plane] = (np.array(slot, dtype=np.int64), np.array(arc, dtype=np.int64),
                      np.array(gbps, dtype=float))
    return out


def read_node_totals(path: str | os.PathLike, network: MeasuredNetwork,
                     slots: tuple[str, ...]) -> NodeTotals:
    """Read a node-totals CSV file for ``network``, on the link counters' ``slots``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("p", ["A", "B"], ["ab"], ["A"], ["B"], 10.0)
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "n.csv"
    >>> _ = f.write_text("node,in_gbps,out_gbps\\nA,1.5,0.5\\n")
    >>> t = read_node_totals(f, MeasuredNetwork("n", {"p": g}), ("",))
    >>> [a.tolist() for a in t.arrays("p", 1, 2)]
    [[[1.5, 0.0]], [[0.5, 0.0]], [[True, False]]]
    """
    file = str(path)
    problems = _Problems(file)
    rows, header = _rows(path, ("node", "in_gbps", "out_gbps"), (), problems)
    index = {label: i for i, label in enumerate(slots)}
    seen: dict[tuple[str, int, int], tuple[float, float, int]] = {}
    for line, row in rows:
        plane = _node_plane(row, line, network, problems)
        slot = _slot_time(row.get("time", ""), line, problems)
        vin = _number(row["in_gbps"], line, "in_gbps", problems)
        vout = _number(row["out_gbps"], line, "out_gbps", problems)
        if plane is None or slot is None or vin is None or vout is None:
            continue
        if slot.label not in index:
            problems.add(line, "time", f"time {slot.label!r} has no link counters")
            continue
        key = (plane, index[slot.label], network.planes[plane].node_index[row["node"]])
        if key in seen:
            if (seen[key][0], seen[key][1]) != (vin, vout):
                problems.add(line, "", f"repeats node {row['node']!r} at time {slot.label!r} "
                             f"of line {seen[key][2]} with different values")
            continue
        seen[key] = (vin, vout, line)
    problems.raise_any()
    grouped: dict[str, list] = {}
    for (plane, slot, node), (vin, vout, _) in sorted(seen.items()):
        grouped.setdefault(plane, []).append((slot, node, vin, vout))
    totals = {plane: tuple(np.array(col) for col in zip(*items, strict=True))
              for plane, items in grouped.items()}
    return NodeTotals(file, totals)


def _node_plane(row: dict, line: int, network: MeasuredNetwork, problems: _Problems) -> str | None:
    node = row["node"]
    wanted = row.get("plane", "")
    planes = [p for p, g in network.planes.items() if node in g.node_index]
    if wanted:
        if wanted not in network.planes:
            problems.add(line, "plane", f"unknown plane {wanted!r}")
            return None
        planes = [p for p in planes if p == wanted]
    if not planes:
        problems.add(line, "node", f"unknown node {node!r}"
                     + (f" in plane {wanted!r}" if wanted else ""))
        return None
    if len(planes) > 1:
        problems.add(line, "plane", f"node {node!r} is in planes {', '.join(planes)}: "
                     "add a plane column")
        return None
    return planes[0]
