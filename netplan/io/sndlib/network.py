"""Read SNDlib network files: nodes, links with their modules, demands, admissible paths."""

from __future__ import annotations

import math
import os
from pathlib import Path

from netplan.errors import Problem, ValidationError
from netplan.io.sndlib.data import SndlibDemand, SndlibLink, SndlibNetwork, SndlibNode
from netplan.io.sndlib.lexer import (
    Atom,
    Group,
    ItemReader,
    ParseStop,
    iter_sections,
    keyed_items,
    parse_groups,
    read_ident,
    read_text,
    split_items,
    strip_header,
    to_number,
)


def _parse_node(r: ItemReader) -> SndlibNode | None:
    nid = read_ident(r, r.atom("id"), "id")
    g = r.group("coordinates")
    x = y = math.nan
    if g is not None:
        nums = [x for x in g.items if isinstance(x, Atom)]
        if len(g.items) != 2 or len(nums) != 2:
            r.fail("coordinates", "expected '( x y )' with two numbers", g.line)
        else:
            x = to_number(nums[0], "coordinates.x", False, -math.inf, r.fail)
            y = to_number(nums[1], "coordinates.y", False, -math.inf, r.fail)
    # Optional node design ids and node options (future use in SNDlib): ignored.
    r.group("node_design_ids", optional=True)
    r.group("node_options", optional=True)
    r.done()
    if not r.ok or nid is None:
        return None
    return SndlibNode(nid, float(x), float(y))  # type: ignore[arg-type]


def _parse_endpoints(r: ItemReader) -> tuple[str | None, str | None]:
    g = r.group("endpoints")
    if g is None:
        return None, None
    atoms = [x for x in g.items if isinstance(x, Atom)]
    if len(g.items) != 2 or len(atoms) != 2:
        r.fail("endpoints", "expected '( source target )'", g.line)
        return None, None
    return read_ident(r, atoms[0], "source"), read_ident(r, atoms[1], "target")


def _parse_link(r: ItemReader) -> SndlibLink | None:
    lid = read_ident(r, r.atom("id"), "id")
    src, tgt = _parse_endpoints(r)
    pre_cap = r.number("pre_installed_capacity")
    pre_cost = r.number("pre_installed_capacity_cost")
    rc = r.number("routing_cost")
    sc = r.number("setup_cost")
    g = r.group("modules")
    caps: list[float] = []
    costs: list[float] = []
    if g is not None:
        atoms = [x for x in g.items if isinstance(x, Atom)]
        if len(atoms) != len(g.items):
            r.fail("modules", "nested '(' inside the module list", g.line)
        elif len(atoms) % 2:
            r.fail("modules", "expected pairs '( capacity cost ... )', found an odd count", g.line)
        else:
            for k in range(0, len(atoms), 2):
                c = to_number(atoms[k], f"modules[{k // 2}].capacity", True, 0.0, r.fail)
                p = to_number(atoms[k + 1], f"modules[{k // 2}].cost", False, 0.0, r.fail)
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


def _parse_demand(r: ItemReader) -> SndlibDemand | None:
    did = read_ident(r, r.atom("id"), "id")
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


def _parse_paths(r: ItemReader) -> tuple[str | None, list[tuple[str, tuple[str, ...]]]]:
    did = read_ident(r, r.atom("id"), "id")
    g = r.group("paths")
    paths: list[tuple[str, tuple[str, ...]]] = []
    if g is None:
        return did, paths
    els = g.items
    if els and all(isinstance(x, Atom) for x in els):
        # Short form without path ids: one path.
        paths.append(("P1", tuple(x.text for x in els)))  # type: ignore[union-attr]
    else:
        k = 0
        while k < len(els):
            pid = els[k]
            body = els[k + 1] if k + 1 < len(els) else None
            if not isinstance(pid, Atom) or not isinstance(body, Group):
                r.fail("paths", "expected 'path_id ( link_id+ )'", pid.line)
                break
            links = [x for x in body.items if isinstance(x, Atom)]
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
        body = strip_header(text, file, "network", problems)
        top = parse_groups(body, file, problems)
        for key, extra, group in iter_sections(top, file, problems):
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
                for els in keyed_items(group):
                    r = ItemReader(els, file, key, problems)
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
            for els in split_items(group, key, file, problems):
                obj = parser(ItemReader(els, file, key, problems))
                if obj is not None:
                    target.append(obj)
                    item_lines[(key, obj.id)] = els[0].line
    except ParseStop:
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
    for section, members in (("LINKS", links), ("DEMANDS", demands)):
        for x in members:
            for end, nid in (("source", x.source), ("target", x.target)):
                if nid not in node_ids:
                    problems.append(
                        Problem(
                            file,
                            f"{section}[{x.id}].{end}",
                            f"unknown node {nid!r}",
                            at(section, x.id),
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
    text = read_text(p)
    return parse_network(text, file=str(p), name=p.stem)
