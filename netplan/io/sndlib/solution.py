"""Read SNDlib solution files: the modules installed on each link and every demand's paths."""

from __future__ import annotations

import os
from pathlib import Path

from netplan.errors import Problem, ValidationError
from netplan.io.sndlib.data import SndlibSolution
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
    strip_header,
    to_number,
)


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
        body = strip_header(text, file, "solution", problems)
        top = parse_groups(body, file, problems)
        for key, extra, group in iter_sections(top, file, problems):
            if key in ("LINK-CONFIGURATIONS", "LINK_CONFIGURATIONS"):
                for els in keyed_items(group):
                    r = ItemReader(els, file, "LINK-CONFIGURATIONS", problems)
                    lid = read_ident(r, r.atom("id"), "id")
                    g = r.group("modules")
                    r.done()
                    if g is None or lid is None:
                        continue
                    atoms = [x for x in g.items if isinstance(x, Atom)]
                    if len(atoms) != len(g.items) or len(atoms) % 2:
                        r.fail("modules", "expected '( capacity count ... )' pairs", g.line)
                        continue
                    pairs = []
                    for k in range(0, len(atoms), 2):
                        c = to_number(atoms[k], "capacity", True, 0.0, r.fail)
                        n = to_number(atoms[k + 1], "count", False, 0.0, r.fail)
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
                for els in keyed_items(group):
                    r = ItemReader(els, file, f"ROUTINGS {state}", problems)
                    did = read_ident(r, r.atom("id"), "id")
                    g = r.group("paths")
                    r.done()
                    if g is None or did is None:
                        continue
                    plist = []
                    k = 0
                    while k + 1 < len(g.items) or k < len(g.items):
                        fv, pg = g.items[k], (g.items[k + 1] if k + 1 < len(g.items) else None)
                        if not isinstance(fv, Atom) or not isinstance(pg, Group):
                            r.fail("paths", "expected 'flow ( link_id+ )'", fv.line)
                            break
                        flow = to_number(fv, "flow", False, 0.0, r.fail)
                        lids = [x.text for x in pg.items if isinstance(x, Atom)]
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
    except ParseStop:
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
    text = read_text(p)
    return parse_solution(text, file=str(p))
