"""Read and write SNDlib native files: network, model and solution.

SNDlib (the Survivable fixed telecommunication Network Design library, ZIB) describes an
instance by a *network* file (nodes, links with pre-installed capacity and installable
modules, demands, optional admissible paths) and a *model* file (``KEY = VALUE`` lines that
fix the problem variant). A *solution* file lists the modules installed on each link and the
flow paths of every demand in each network state.

SNDlib quantities are unitless: capacities and flows share one abstract unit (the "base unit
1"), costs one abstract currency. Field names therefore carry no unit suffix.

Every reader reports all problems it can find at once as a
:class:`netplan.errors.ValidationError` naming the file, the line and the field.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from netplan.errors import Problem, ValidationError
from netplan.io.atomic import write_text_atomic

log = logging.getLogger(__name__)

__all__ = [
    "SndlibDemand",
    "SndlibLink",
    "SndlibModel",
    "SndlibNetwork",
    "SndlibNode",
    "SndlibSolution",
    "format_solution",
    "parse_model",
    "parse_network",
    "parse_solution",
    "read_model",
    "read_network",
    "read_solution",
    "write_solution",
]

_HEADER = re.compile(
    r"^\?SNDlib native format;\s*type:\s*(?P<type>\w+);\s*version:\s*(?P<version>[\w.]+)\s*$"
)
_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]*$")
UNLIMITED = "UNLIMITED"


# --------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class SndlibNode:
    """A node: identifier and the coordinates used for drawing (longitude, latitude or x, y)."""

    id: str
    x: float
    y: float


@dataclass(frozen=True)
class SndlibLink:
    """A link with its pre-installed capacity and the modules that may be added.

    ``module_capacities[i]`` may be ``math.inf`` (the file's ``UNLIMITED``), used by SNDlib
    for pure fixed-charge links.
    """

    id: str
    source: str
    target: str
    pre_capacity: float
    pre_cost: float
    routing_cost: float
    setup_cost: float
    module_capacities: tuple[float, ...]
    module_costs: tuple[float, ...]


@dataclass(frozen=True)
class SndlibDemand:
    """A demand; ``routing_unit * value`` units must be routed. ``max_hops`` None = unlimited."""

    id: str
    source: str
    target: str
    routing_unit: float
    value: float
    max_hops: int | None

    @property
    def volume(self) -> float:
        """Traffic to route, in the base unit (routing unit × demand value)."""
        return self.routing_unit * self.value


@dataclass(frozen=True)
class SndlibNetwork:
    """The contents of an SNDlib network file.

    ``admissible_paths`` maps a demand id to its ``(path_id, link_ids)`` pairs; it is empty
    when the file's ADMISSIBLE_PATHS section is empty or absent.
    """

    name: str
    nodes: tuple[SndlibNode, ...]
    links: tuple[SndlibLink, ...]
    demands: tuple[SndlibDemand, ...]
    admissible_paths: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(
        default_factory=dict
    )
    file: str = ""

    def node_index(self) -> dict[str, int]:
        """Map node id to its position in :attr:`nodes`."""
        return {n.id: i for i, n in enumerate(self.nodes)}

    def link_index(self) -> dict[str, int]:
        """Map link id to its position in :attr:`links`."""
        return {lk.id: i for i, lk in enumerate(self.links)}

    def demand_index(self) -> dict[str, int]:
        """Map demand id to its position in :attr:`demands`."""
        return {d.id: i for i, d in enumerate(self.demands)}


# Allowed values of each model key, in the order of the SNDlib model code letters.
MODEL_KEYS: dict[str, dict[str, str]] = {
    "DEMAND_MODEL": {"UNDIRECTED": "U", "DIRECTED": "D"},
    "LINK_MODEL": {"UNDIRECTED": "U", "BIDIRECTED": "B", "DIRECTED": "D"},
    "LINK_CAPACITY_MODEL": {
        "MODULAR_LINK_CAPACITIES": "M",
        "EXPLICIT_LINK_CAPACITIES": "E",
        "LINEAR_LINK_CAPACITIES": "L",
    },
    "FIXED_CHARGE_MODEL": {"NO": "N", "YES": "Y"},
    "ROUTING_MODEL": {
        "CONTINUOUS": "C",
        "INTEGER": "I",
        "SINGLE_PATH": "S",
        "OSPF_SINGLE_PATH": "O",
        "OSPF_EQUAL_SPLIT_PATH": "Q",
    },
    "ADMISSIBLE_PATH_MODEL": {"ALL_PATHS": "A", "EXPLICIT_LIST": "E"},
    "HOP_LIMIT_MODEL": {"IGNORE_HOP_LIMITS": "N", "INDIVIDUAL_HOP_LIMITS": "I"},
    "SURVIVABILITY_MODEL": {
        "NO_SURVIVABILITY": "N",
        "ONE_PLUS_ONE_PROTECTION": "P",
        "SHARED_PATH_PROTECTION": "S",
        "UNRESTRICTED_FLOW_RECONFIGURATION": "U",
    },
}
_OTHER_MODEL_KEYS: dict[str, tuple[str, ...]] = {
    "NODE_MODEL": ("NO_NODE_HARDWARE", "NODE_HARDWARE"),
    "OBJECTIVE_MODEL": ("MINIMIZE_TOTAL_COST",),
}


@dataclass(frozen=True)
class SndlibModel:
    """The contents of an SNDlib model file (each attribute holds the file's keyword).

    Examples
    --------
    >>> m = parse_model('''?SNDlib native format; type: model; version: 1.0
    ... LINK_MODEL = UNDIRECTED
    ... NODE_MODEL = NO_NODE_HARDWARE
    ... DEMAND_MODEL = UNDIRECTED
    ... LINK_CAPACITY_MODEL = MODULAR_LINK_CAPACITIES
    ... ROUTING_MODEL = CONTINUOUS
    ... ADMISSIBLE_PATH_MODEL = ALL_PATHS
    ... HOP_LIMIT_MODEL = IGNORE_HOP_LIMITS
    ... SURVIVABILITY_MODEL = NO_SURVIVABILITY
    ... FIXED_CHARGE_MODEL = NO
    ... OBJECTIVE_MODEL = MINIMIZE_TOTAL_COST''')
    >>> m.code
    'U-U-M-N-C-A-N-N'
    """

    demand_model: str
    link_model: str
    link_capacity_model: str
    fixed_charge_model: str
    routing_model: str
    admissible_path_model: str
    hop_limit_model: str
    survivability_model: str
    node_model: str = "NO_NODE_HARDWARE"
    objective_model: str = "MINIMIZE_TOTAL_COST"
    file: str = ""

    @property
    def code(self) -> str:
        """The eight-letter model code, e.g. ``U-U-M-N-C-A-N-N``."""
        values = (
            self.demand_model,
            self.link_model,
            self.link_capacity_model,
            self.fixed_charge_model,
            self.routing_model,
            self.admissible_path_model,
            self.hop_limit_model,
            self.survivability_model,
        )
        return "-".join(MODEL_KEYS[k][v] for k, v in zip(MODEL_KEYS, values, strict=True))


@dataclass(frozen=True)
class SndlibSolution:
    """An SNDlib solution: link configurations and routings per network state.

    ``link_configurations`` maps a link id to ``(capacity, count)`` pairs that *include* the
    pre-installed capacity (as the SNDlib format requires). ``routings`` maps a state name
    (``"NOS"``, a failing link id or ``"DEFAULT_BACKUP"``) to, per demand id, the
    ``(flow, link_ids)`` paths; flows are in the demand's routing unit.
    """

    link_configurations: dict[str, tuple[tuple[float, float], ...]]
    routings: dict[str, dict[str, tuple[tuple[float, tuple[str, ...]], ...]]]
    name: str = ""
    file: str = ""


# --------------------------------------------------------------------------------------------
# Tokens and nested groups


@dataclass(frozen=True)
class _Atom:
    text: str
    line: int


@dataclass
class _Group:
    line: int
    items: list[_Atom | _Group] = field(default_factory=list)
    end_line: int = 0


class _Fatal(Exception):
    """Stop parsing: the structure is broken beyond recovery."""


def _strip_header(text: str, file: str, want: str, problems: list[Problem]) -> list[str]:
    lines = text.splitlines()
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        m = _HEADER.match(s)
        if m is None:
            problems.append(
                Problem(
                    file,
                    "header",
                    "first line must be '?SNDlib native format; type: "
                    f"{want}; version: 1.0', found {s[:60]!r}",
                    i + 1,
                )
            )
            raise _Fatal
        if m["type"] != want:
            problems.append(
                Problem(
                    file, "header", f"this is a {m['type']!r} file, expected a {want!r} file", i + 1
                )
            )
            raise _Fatal
        if m["version"] != "1.0":
            log.warning("%s: SNDlib format version %s, reading as 1.0", file, m["version"])
        body = list(lines)
        body[i] = ""
        return body
    problems.append(Problem(file, "header", f"empty file: expected an SNDlib {want} file"))
    raise _Fatal


def _parse_groups(lines: list[str], file: str, problems: list[Problem]) -> list[_Atom | _Group]:
    top: list[_Atom | _Group] = []
    stack: list[_Group] = []
    for lineno, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0]
        for tok in _TOKEN.findall(text):
            if tok == "(":
                g = _Group(lineno)
                (stack[-1].items if stack else top).append(g)
                stack.append(g)
            elif tok == ")":
                if not stack:
                    problems.append(Problem(file, "", "')' without a matching '('", lineno))
                    raise _Fatal
                stack.pop().end_line = lineno
            else:
                (stack[-1].items if stack else top).append(_Atom(tok, lineno))
    if stack:
        problems.append(Problem(file, "", "'(' is never closed", stack[-1].line))
        raise _Fatal
    return top


def _sections(
    top: list[_Atom | _Group], file: str, problems: list[Problem]
) -> Iterator[tuple[str, list[_Atom], _Group]]:
    """Yield ``(keyword, extra atoms, group)``: e.g. ``ROUTINGS NOS ( ... )``."""
    i = 0
    while i < len(top):
        head = top[i]
        if isinstance(head, _Group):
            problems.append(
                Problem(file, "", "'(' where a section keyword was expected", head.line)
            )
            i += 1
            continue
        extra: list[_Atom] = []
        j = i + 1
        while j < len(top) and isinstance(top[j], _Atom):
            extra.append(top[j])  # type: ignore[arg-type]
            j += 1
        if j >= len(top):
            problems.append(
                Problem(file, head.text, "section keyword without a '( ... )' body", head.line)
            )
            return
        yield head.text, extra, top[j]  # type: ignore[misc]
        i = j + 1


_SHAPES: dict[str, tuple[tuple[str, ...], int]] = {
    # Mandatory fields in order (a group field is named with a leading "("), then how many
    # optional trailing groups (future-use option lists in SNDlib 1.0) may follow.
    "NODES": (("id", "(coordinates"), 2),
    "LINKS": (
        (
            "id",
            "(endpoints",
            "pre_installed_capacity",
            "pre_installed_capacity_cost",
            "routing_cost",
            "setup_cost",
            "(modules",
        ),
        1,
    ),
    "DEMANDS": (
        ("id", "(endpoints", "routing_unit", "demand_value", "max_path_length"),
        1,
    ),
}


def _items(group: _Group, section: str, file: str, problems: list[Problem]):
    """Split a NODES, LINKS or DEMANDS body into items by the section's field layout.

    A malformed item is reported and skipped up to the next line.
    """
    shape, n_optional = _SHAPES[section]
    els = group.items
    items: list[list[_Atom | _Group]] = []
    i = 0
    while i < len(els):
        start = i
        first = els[i]
        name = first.text if isinstance(first, _Atom) else "?"
        bad = None
        for fname in shape:
            want_group = fname.startswith("(")
            if i >= len(els):
                bad = (fname.lstrip("("), "missing", first.line)
                break
            el = els[i]
            if isinstance(el, _Group) != want_group:
                found = "'( ... )'" if isinstance(el, _Group) else repr(el.text)
                what = "'( ... )'" if want_group else "a value"
                bad = (fname.lstrip("("), f"expected {what}, found {found}", el.line)
                break
            i += 1
        if bad is None:
            k = 0
            while k < n_optional and i < len(els) and isinstance(els[i], _Group):
                i += 1
                k += 1
            items.append(els[start:i])
            continue
        problems.append(Problem(file, f"{section}[{name}].{bad[0]}", bad[1], bad[2]))
        # Resynchronise on the next identifier that starts a later line.
        i = max(i, start + 1)
        while i < len(els) and not (isinstance(els[i], _Atom) and els[i].line > first.line):
            i += 1
    return items


class _ItemReader:
    """Sequential access to one item's elements with problem reporting."""

    def __init__(self, els: list[_Atom | _Group], file: str, section: str, problems: list):
        self.els = els
        self.pos = 0
        self.file = file
        self.section = section
        self.problems = problems
        self.line = els[0].line if els else 0
        self.name = els[0].text if els and isinstance(els[0], _Atom) else "?"
        self.ok = True

    def fail(self, fieldname: str, message: str, line: int | None = None) -> None:
        self.ok = False
        self.problems.append(
            Problem(
                self.file,
                f"{self.section}[{self.name}].{fieldname}",
                message,
                self.line if line is None else line,
            )
        )

    def atom(self, fieldname: str) -> _Atom | None:
        if self.pos >= len(self.els) or not isinstance(self.els[self.pos], _Atom):
            self.fail(fieldname, "missing value")
            return None
        a = self.els[self.pos]
        self.pos += 1
        return a  # type: ignore[return-value]

    def group(self, fieldname: str, optional: bool = False) -> _Group | None:
        if self.pos >= len(self.els) or not isinstance(self.els[self.pos], _Group):
            if not optional:
                self.fail(fieldname, "missing '( ... )'")
            return None
        g = self.els[self.pos]
        self.pos += 1
        return g  # type: ignore[return-value]

    def number(
        self, fieldname: str, allow_unlimited: bool = False, minimum: float = 0.0
    ) -> float | None:
        a = self.atom(fieldname)
        if a is None:
            return None
        return _to_number(a, fieldname, allow_unlimited, minimum, self.fail)

    def done(self) -> None:
        if self.ok and self.pos < len(self.els):
            extra = self.els[self.pos]
            text = extra.text if isinstance(extra, _Atom) else "( ... )"
            self.fail("", f"unexpected {text!r} at the end of the item", extra.line)


def _to_number(
    a: _Atom, fieldname: str, allow_unlimited: bool, minimum: float, fail
) -> float | None:
    if allow_unlimited and a.text == UNLIMITED:
        return math.inf
    if not _NUMBER.match(a.text):
        allowed = "a number or UNLIMITED" if allow_unlimited else "a number"
        fail(fieldname, f"expected {allowed}, found {a.text!r}", a.line)
        return None
    v = float(a.text)
    if v < minimum:
        fail(fieldname, f"must be >= {minimum:g}, found {a.text}", a.line)
        return None
    return v


def _ident(r: _ItemReader, a: _Atom | None, fieldname: str) -> str | None:
    if a is None:
        return None
    if not _IDENT.match(a.text):
        r.fail(fieldname, f"invalid identifier {a.text!r}", a.line)
        return None
    return a.text


# --------------------------------------------------------------------------------------------
# Network


def _parse_node(r: _ItemReader) -> SndlibNode | None:
    nid = _ident(r, r.atom("id"), "id")
    g = r.group("coordinates")
    x = y = math.nan
    if g is not None:
        nums = [x for x in g.items if isinstance(x, _Atom)]
        if len(g.items) != 2 or len(nums) != 2:
            r.fail("coordinates", "expected '( x y )' with two numbers", g.line)
        else:
            x = _to_number(nums[0], "coordinates.x", False, -math.inf, r.fail)
            y = _to_number(nums[1], "coordinates.y", False, -math.inf, r.fail)
    # Optional node design ids and node options (future use in SNDlib): ignored.
    r.group("node_design_ids", optional=True)
    r.group("node_options", optional=True)
    r.done()
    if not r.ok or nid is None:
        return None
    return SndlibNode(nid, float(x), float(y))  # type: ignore[arg-type]


def _parse_endpoints(r: _ItemReader) -> tuple[str | None, str | None]:
    g = r.group("endpoints")
    if g is None:
        return None, None
    atoms = [x for x in g.items if isinstance(x, _Atom)]
    if len(g.items) != 2 or len(atoms) != 2:
        r.fail("endpoints", "expected '( source target )'", g.line)
        return None, None
    return _ident(r, atoms[0], "source"), _ident(r, atoms[1], "target")


def _parse_link(r: _ItemReader) -> SndlibLink | None:
    lid = _ident(r, r.atom("id"), "id")
    src, tgt = _parse_endpoints(r)
    pre_cap = r.number("pre_installed_capacity")
    pre_cost = r.number("pre_installed_capacity_cost")
    rc = r.number("routing_cost")
    sc = r.number("setup_cost")
    g = r.group("modules")
    caps: list[float] = []
    costs: list[float] = []
    if g is not None:
        atoms = [x for x in g.items if isinstance(x, _Atom)]
        if len(atoms) != len(g.items):
            r.fail("modules", "nested '(' inside the module list", g.line)
        elif len(atoms) % 2:
            r.fail("modules", "expected pairs '( capacity cost ... )', found an odd count", g.line)
        else:
            for k in range(0, len(atoms), 2):
                c = _to_number(atoms[k], f"modules[{k // 2}].capacity", True, 0.0, r.fail)
                p = _to_number(atoms[k + 1], f"modules[{k // 2}].cost", False, 0.0, r.fail)
                if c is not None and c <= 0:
                    r.fail(f"modules[{k // 2}].capacity", "must be > 0", atoms[k].line)
                if c is not None and p is not None:
                    caps.append(c)
                    costs.append(p)
    r.group("link_options", optional=True)
    r.done()
    if not r.ok or None in (lid, src, tgt, pre_cap, pre_cost, rc, sc):
        return None
    if src == tgt:
        r.fail("endpoints", f"a link cannot join {src!r} to itself")
        return None
    return SndlibLink(lid, src, tgt, pre_cap, pre_cost, rc, sc, tuple(caps), tuple(costs))  # type: ignore[arg-type]


def _parse_demand(r: _ItemReader) -> SndlibDemand | None:
    did = _ident(r, r.atom("id"), "id")
    src, tgt = _parse_endpoints(r)
    ru = r.number("routing_unit")
    value = r.number("demand_value")
    hops = r.number("max_path_length", allow_unlimited=True)
    r.group("demand_options", optional=True)
    r.done()
    if ru is not None and ru <= 0:
        r.fail("routing_unit", "must be > 0")
    if hops is not None and not math.isinf(hops) and (hops != int(hops) or hops < 1):
        r.fail("max_path_length", f"must be a positive integer or UNLIMITED, found {hops:g}")
    if not r.ok or None in (did, src, tgt, ru, value, hops):
        return None
    if src == tgt:
        r.fail("endpoints", f"a demand cannot join {src!r} to itself")
        return None
    max_hops = None if math.isinf(hops) else int(hops)  # type: ignore[arg-type]
    return SndlibDemand(did, src, tgt, ru, value, max_hops)  # type: ignore[arg-type]


def _parse_paths(r: _ItemReader) -> tuple[str | None, list[tuple[str, tuple[str, ...]]]]:
    did = _ident(r, r.atom("id"), "id")
    g = r.group("paths")
    paths: list[tuple[str, tuple[str, ...]]] = []
    if g is None:
        return did, paths
    els = g.items
    if els and all(isinstance(x, _Atom) for x in els):
        # Short form without path ids: one path.
        paths.append(("P1", tuple(x.text for x in els)))  # type: ignore[union-attr]
    else:
        k = 0
        while k < len(els):
            pid = els[k]
            body = els[k + 1] if k + 1 < len(els) else None
            if not isinstance(pid, _Atom) or not isinstance(body, _Group):
                r.fail("paths", "expected 'path_id ( link_id+ )'", pid.line)
                break
            links = [x for x in body.items if isinstance(x, _Atom)]
            if len(links) != len(body.items) or not links:
                r.fail(f"paths[{pid.text}]", "expected one or more link ids", body.line)
            else:
                paths.append((pid.text, tuple(x.text for x in links)))
            k += 2
    r.done()
    return did, paths


def parse_network(text: str, file: str = "", name: str | None = None) -> SndlibNetwork:
    """Parse the text of an SNDlib native network file.

    Parameters
    ----------
    text : str
        File contents.
    file : str
        File name used in error messages.
    name : str, optional
        Network name; defaults to the file stem.

    Returns
    -------
    SndlibNetwork

    Raises
    ------
    ValidationError
        With every problem found (file, line, field).

    Examples
    --------
    >>> net = parse_network('''?SNDlib native format; type: network; version: 1.0
    ... NODES ( A ( 0 0 ) B ( 1 0 ) )
    ... LINKS ( L1 ( A B ) 0 0 0 0 ( 10 5 ) )
    ... DEMANDS ( D1 ( A B ) 1 7 UNLIMITED )''', name="tiny")
    >>> net.links[0].module_capacities, net.demands[0].volume
    ((10.0,), 7.0)
    """
    problems: list[Problem] = []
    nodes: list[SndlibNode] = []
    links: list[SndlibLink] = []
    demands: list[SndlibDemand] = []
    paths: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
    seen_sections: set[str] = set()
    item_lines: dict[tuple[str, str], int] = {}
    try:
        body = _strip_header(text, file, "network", problems)
        top = _parse_groups(body, file, problems)
        for key, extra, group in _sections(top, file, problems):
            if extra:
                problems.append(
                    Problem(
                        file, key, f"unexpected {extra[0].text!r} after the keyword", extra[0].line
                    )
                )
            if key in seen_sections:
                problems.append(Problem(file, key, "section appears twice", group.line))
                continue
            seen_sections.add(key)
            if key == "META":
                continue
            parser = {
                "NODES": _parse_node,
                "LINKS": _parse_link,
                "DEMANDS": _parse_demand,
            }.get(key)
            if key == "ADMISSIBLE_PATHS":
                for els in _path_items(group):
                    r = _ItemReader(els, file, key, problems)
                    did, plist = _parse_paths(r)
                    if did is not None:
                        paths[did] = tuple(plist)
                        item_lines[(key, did)] = els[0].line
                continue
            if parser is None:
                problems.append(
                    Problem(
                        file,
                        key,
                        "unknown section; expected NODES, LINKS, DEMANDS or ADMISSIBLE_PATHS",
                        group.line,
                    )
                )
                continue
            target = {"NODES": nodes, "LINKS": links, "DEMANDS": demands}[key]
            for els in _items(group, key, file, problems):
                obj = parser(_ItemReader(els, file, key, problems))
                if obj is not None:
                    target.append(obj)
                    item_lines[(key, obj.id)] = els[0].line
    except _Fatal:
        raise ValidationError(problems) from None
    for key in ("NODES", "LINKS", "DEMANDS"):
        if key not in seen_sections:
            problems.append(Problem(file, key, "section is missing"))
    _check_network_refs(file, nodes, links, demands, paths, item_lines, problems)
    if problems:
        raise ValidationError(problems)
    if name is None:
        name = Path(file).stem if file else "network"
    return SndlibNetwork(name, tuple(nodes), tuple(links), tuple(demands), paths, file)


def _path_items(group: _Group) -> list[list[_Atom | _Group]]:
    # demand_id ( ... ) pairs.
    out: list[list[_Atom | _Group]] = []
    current: list[_Atom | _Group] = []
    for el in group.items:
        if isinstance(el, _Atom) and current and isinstance(current[-1], _Group):
            out.append(current)
            current = []
        current.append(el)
    if current:
        out.append(current)
    return out


def _check_network_refs(
    file, nodes, links, demands, paths, item_lines, problems: list[Problem]
) -> None:
    def at(section: str, ident: str) -> int | None:
        return item_lines.get((section, ident))

    def unique(section: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                problems.append(
                    Problem(file, f"{section}[{i}].id", "duplicate identifier", at(section, i))
                )
            seen.add(i)

    unique("NODES", [n.id for n in nodes])
    unique("LINKS", [lk.id for lk in links])
    unique("DEMANDS", [d.id for d in demands])
    node_ids = {n.id for n in nodes}
    for lk in links:
        for end, nid in (("source", lk.source), ("target", lk.target)):
            if nid not in node_ids:
                problems.append(
                    Problem(
                        file, f"LINKS[{lk.id}].{end}", f"unknown node {nid!r}", at("LINKS", lk.id)
                    )
                )
    for d in demands:
        for end, nid in (("source", d.source), ("target", d.target)):
            if nid not in node_ids:
                problems.append(
                    Problem(
                        file, f"DEMANDS[{d.id}].{end}", f"unknown node {nid!r}", at("DEMANDS", d.id)
                    )
                )
    link_by_id = {lk.id: lk for lk in links}
    dem_by_id = {d.id: d for d in demands}
    for did, plist in paths.items():
        d = dem_by_id.get(did)
        if d is None:
            problems.append(
                Problem(
                    file, f"ADMISSIBLE_PATHS[{did}]", "unknown demand", at("ADMISSIBLE_PATHS", did)
                )
            )
            continue
        for pid, lids in plist:
            where = f"ADMISSIBLE_PATHS[{did}].{pid}"
            unknown = [x for x in lids if x not in link_by_id]
            if unknown:
                problems.append(
                    Problem(
                        file, where, f"unknown link {unknown[0]!r}", at("ADMISSIBLE_PATHS", did)
                    )
                )
                continue
            if _walk_path(d.source, d.target, [link_by_id[x] for x in lids]) is None:
                problems.append(
                    Problem(
                        file,
                        where,
                        f"links {' '.join(lids)} do not form a path from {d.source} to {d.target}",
                        at("ADMISSIBLE_PATHS", did),
                    )
                )


def _walk_path(source: str, target: str, links: list[SndlibLink]) -> list[str] | None:
    """Node sequence of a path given as links (orientation free); None if not a path."""
    at = source
    seq = [at]
    for lk in links:
        if lk.source == at:
            at = lk.target
        elif lk.target == at:
            at = lk.source
        else:
            return None
        seq.append(at)
    return seq if at == target else None


MAX_FILE_BYTES = 200 * 1024 * 1024


def _read_text(p: Path) -> str:
    """The text of ``p``; unreadable, huge or non-UTF-8 files raise a ValidationError."""
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ValidationError(
                [Problem(str(p), "", f"file is larger than {MAX_FILE_BYTES} bytes")]
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise ValidationError([Problem(str(p), "", f"cannot read: {exc.strerror}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationError(
            [Problem(str(p), "", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                     line)]
        ) from None


def read_network(path: str | os.PathLike) -> SndlibNetwork:
    """Read an SNDlib native network file (see :func:`parse_network`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bad.txt"
    >>> _ = p.write_text('''?SNDlib native format; type: network; version: 1.0
    ... NODES ( A ( 0 0 ) B ( 1 0 ) )
    ... LINKS (
    ...   L1 ( A B ) 0 0 zero 0 ( 10 5 )
    ...   L2 ( A C ) 0 0 0 0 ( 10 5 )
    ... )
    ... DEMANDS ( D1 ( A B ) 1 7 UNLIMITED )''')
    >>> try:
    ...     read_network(p)
    ... except ValidationError as err:
    ...     for prob in err.problems:
    ...         print(prob.line, prob.field, "-", prob.message)
    4 LINKS[L1].routing_cost - expected a number, found 'zero'
    5 LINKS[L2].target - unknown node 'C'
    """
    p = Path(path)
    text = _read_text(p)
    return parse_network(text, file=str(p), name=p.stem)


# --------------------------------------------------------------------------------------------
# Model


def parse_model(text: str, file: str = "") -> SndlibModel:
    """Parse the text of an SNDlib model file (``KEY = VALUE`` lines).

    Examples
    --------
    >>> try:
    ...     parse_model("?SNDlib native format; type: model; version: 1.0\\nLINK_MODEL = ROUND")
    ... except ValidationError as err:
    ...     print(err.problems[0])
    <input>:2: LINK_MODEL: 'ROUND' is not one of UNDIRECTED, BIDIRECTED, DIRECTED
    """
    problems: list[Problem] = []
    try:
        lines = _strip_header(text, file, "model", problems)
    except _Fatal:
        raise ValidationError(problems) from None
    values: dict[str, str] = {}
    for lineno, raw in enumerate(lines, start=1):
        s = raw.split("#", 1)[0].strip()
        if not s:
            continue
        if "=" not in s:
            problems.append(Problem(file, "", f"expected 'KEY = VALUE', found {s[:60]!r}", lineno))
            continue
        key, value = (x.strip() for x in s.split("=", 1))
        allowed = tuple(MODEL_KEYS.get(key, {})) or _OTHER_MODEL_KEYS.get(key)
        if allowed is None:
            known = ", ".join([*MODEL_KEYS, *_OTHER_MODEL_KEYS])
            problems.append(Problem(file, key, f"unknown key; expected one of {known}", lineno))
            continue
        if value not in allowed:
            problems.append(
                Problem(file, key, f"{value!r} is not one of {', '.join(allowed)}", lineno)
            )
            continue
        if key in values:
            problems.append(Problem(file, key, "key given twice", lineno))
        values[key] = value
    for key in MODEL_KEYS:
        if key not in values and not any(p.field == key for p in problems):
            problems.append(Problem(file, key, "key is missing"))
    if problems:
        raise ValidationError(problems)
    return SndlibModel(
        demand_model=values["DEMAND_MODEL"],
        link_model=values["LINK_MODEL"],
        link_capacity_model=values["LINK_CAPACITY_MODEL"],
        fixed_charge_model=values["FIXED_CHARGE_MODEL"],
        routing_model=values["ROUTING_MODEL"],
        admissible_path_model=values["ADMISSIBLE_PATH_MODEL"],
        hop_limit_model=values["HOP_LIMIT_MODEL"],
        survivability_model=values["SURVIVABILITY_MODEL"],
        node_model=values.get("NODE_MODEL", "NO_NODE_HARDWARE"),
        objective_model=values.get("OBJECTIVE_MODEL", "MINIMIZE_TOTAL_COST"),
        file=file,
    )


def read_model(path: str | os.PathLike) -> SndlibModel:
    """Read an SNDlib model file (see :func:`parse_model`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> try:
    ...     read_model(pathlib.Path(tempfile.mkdtemp()) / "missing.txt")
    ... except ValidationError as err:
    ...     print(err.problems[0].message)
    cannot read: No such file or directory
    """
    p = Path(path)
    text = _read_text(p)
    return parse_model(text, file=str(p))


# --------------------------------------------------------------------------------------------
# Solution


def _fmt(x: float) -> str:
    """Shortest exact-enough decimal: integers without a point, others with up to 12 digits."""
    if math.isfinite(x) and abs(x - round(x)) < 1e-9 * max(1.0, abs(x)):
        return str(int(round(x)))
    return f"{x:.12g}"


def format_solution(solution: SndlibSolution) -> str:
    """Render a solution in SNDlib's native solution format.

    Examples
    --------
    >>> sol = SndlibSolution({"L1": ((10.0, 2.0),)}, {"NOS": {"D1": ((7.0, ("L1",)),)}})
    >>> print(format_solution(sol))
    ?SNDlib native format; type: solution; version: 1.0
    <BLANKLINE>
    LINK-CONFIGURATIONS (
      L1 ( 10 2 )
    )
    <BLANKLINE>
    ROUTINGS NOS (
      D1 (
        7 ( L1 )
      )
    )
    <BLANKLINE>
    """
    out = ["?SNDlib native format; type: solution; version: 1.0"]
    if solution.name:
        out.append(f"# solution {solution.name}")
    out += ["", "LINK-CONFIGURATIONS ("]
    for lid, pairs in solution.link_configurations.items():
        body = " ".join(f"{_fmt(c)} {_fmt(n)}" for c, n in pairs)
        out.append(f"  {lid} ( {body} )" if body else f"  {lid} ( )")
    out.append(")")
    for state, per_demand in solution.routings.items():
        out += ["", f"ROUTINGS {state} ("]
        for did, plist in per_demand.items():
            out.append(f"  {did} (")
            for flow, lids in plist:
                out.append(f"    {_fmt(flow)} ( {' '.join(lids)} )")
            out.append("  )")
        out.append(")")
    return "\n".join(out) + "\n"


def write_solution(path: str | os.PathLike, solution: SndlibSolution) -> Path:
    """Write a solution file atomically (see :func:`format_solution`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "sol.txt"
    >>> sol = SndlibSolution({"L1": ()}, {"NOS": {}})
    >>> read_solution(write_solution(p, sol)).link_configurations
    {'L1': ()}
    """
    return write_text_atomic(path, format_solution(solution))


def parse_solution(text: str, file: str = "") -> SndlibSolution:
    """Parse an SNDlib native solution file.

    Accepts the keyword spellings used by SNDlib's example and description
    (``LINK-CONFIGURATIONS`` / ``LINK_CONFIGURATIONS``, ``ROUTINGS`` / ``ROUTING``).

    Examples
    --------
    >>> sol = parse_solution('''?SNDlib native format; type: solution; version: 1.0
    ... LINK-CONFIGURATIONS ( L1 ( 63 1 252.00 1 ) L2 ( ) )
    ... ROUTINGS NOS ( D1 ( 50 ( L1 L2 ) ) )''')
    >>> sol.link_configurations["L1"], sol.routings["NOS"]["D1"]
    (((63.0, 1.0), (252.0, 1.0)), ((50.0, ('L1', 'L2')),))
    """
    problems: list[Problem] = []
    configs: dict[str, tuple[tuple[float, float], ...]] = {}
    routings: dict[str, dict[str, tuple[tuple[float, tuple[str, ...]], ...]]] = {}
    try:
        body = _strip_header(text, file, "solution", problems)
        top = _parse_groups(body, file, problems)
        for key, extra, group in _sections(top, file, problems):
            if key in ("LINK-CONFIGURATIONS", "LINK_CONFIGURATIONS"):
                for els in _path_items(group):
                    r = _ItemReader(els, file, "LINK-CONFIGURATIONS", problems)
                    lid = _ident(r, r.atom("id"), "id")
                    g = r.group("modules")
                    r.done()
                    if g is None or lid is None:
                        continue
                    atoms = [x for x in g.items if isinstance(x, _Atom)]
                    if len(atoms) != len(g.items) or len(atoms) % 2:
                        r.fail("modules", "expected '( capacity count ... )' pairs", g.line)
                        continue
                    pairs = []
                    for k in range(0, len(atoms), 2):
                        c = _to_number(atoms[k], "capacity", True, 0.0, r.fail)
                        n = _to_number(atoms[k + 1], "count", False, 0.0, r.fail)
                        if c is not None and n is not None:
                            pairs.append((c, n))
                    configs[lid] = tuple(pairs)
            elif key in ("ROUTINGS", "ROUTING"):
                if len(extra) != 1:
                    problems.append(
                        Problem(file, key, "expected 'ROUTINGS <state> ( ... )'", group.line)
                    )
                    continue
                state = extra[0].text
                per_demand: dict[str, tuple[tuple[float, tuple[str, ...]], ...]] = {}
                for els in _path_items(group):
                    r = _ItemReader(els, file, f"ROUTINGS {state}", problems)
                    did = _ident(r, r.atom("id"), "id")
                    g = r.group("paths")
                    r.done()
                    if g is None or did is None:
                        continue
                    plist = []
                    k = 0
                    while k + 1 < len(g.items) or k < len(g.items):
                        fv, pg = g.items[k], (g.items[k + 1] if k + 1 < len(g.items) else None)
                        if not isinstance(fv, _Atom) or not isinstance(pg, _Group):
                            r.fail("paths", "expected 'flow ( link_id+ )'", fv.line)
                            break
                        flow = _to_number(fv, "flow", False, 0.0, r.fail)
                        lids = [x.text for x in pg.items if isinstance(x, _Atom)]
                        if len(lids) != len(pg.items) or not lids:
                            r.fail("paths", "expected one or more link ids", pg.line)
                        elif flow is not None:
                            plist.append((flow, tuple(lids)))
                        k += 2
                    per_demand[did] = tuple(plist)
                if state in routings:
                    problems.append(Problem(file, key, f"state {state!r} given twice", group.line))
                routings[state] = per_demand
            else:
                problems.append(
                    Problem(
                        file,
                        key,
                        "unknown section; expected LINK-CONFIGURATIONS or ROUTINGS",
                        group.line,
                    )
                )
    except _Fatal:
        raise ValidationError(problems) from None
    if problems:
        raise ValidationError(problems)
    return SndlibSolution(configs, routings, file=file)


def read_solution(path: str | os.PathLike) -> SndlibSolution:
    """Read an SNDlib native solution file (see :func:`parse_solution`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.txt"
    >>> _ = p.write_text("?SNDlib native format; type: network; version: 1.0")
    >>> try:
    ...     read_solution(p)
    ... except ValidationError as err:
    ...     print(err.problems[0].message)
    this is a 'network' file, expected a 'solution' file
    """
    p = Path(path)
    text = _read_text(p)
    return parse_solution(text, file=str(p))
