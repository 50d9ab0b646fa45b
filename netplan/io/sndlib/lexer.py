"""Tokens and nested groups of SNDlib native files, and the item reader the parsers share.

A file is a header line, then ``KEYWORD [extra words] ( ... )`` sections whose bodies are
atoms and nested ``( ... )`` groups. The helpers here collect every problem they find as a
:class:`netplan.errors.Problem`; :class:`ParseStop` ends parsing when the structure is
broken beyond recovery.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from netplan.errors import Problem, ValidationError
from netplan.io.safe_read import read_input_bytes

log = logging.getLogger("netplan.io.sndlib")

_HEADER = re.compile(
    r"^\?SNDlib native format;\s*type:\s*(?P<type>\w+);\s*version:\s*(?P<version>[\w.]+)\s*$"
)
_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.]*$")
UNLIMITED = "UNLIMITED"


@dataclass(frozen=True)
class Atom:
    """A word of the file (a keyword, identifier or number) and its line."""

    text: str
    line: int


@dataclass
class Group:
    """A ``( ... )`` group: its atoms and nested groups, and the lines it opens and closes on."""

    line: int
    items: list[Atom | Group] = field(default_factory=list)
    end_line: int = 0


class ParseStop(Exception):
    """Stop parsing: the structure is broken beyond recovery."""


def strip_header(text: str, file: str, want: str, problems: list[Problem]) -> list[str]:
    """The file's lines with the header line blanked, after checking it names ``want``.

    Parameters
    ----------
    text : str
        The file's text.
    file : str
        File name used in problems.
    want : str
        The file type the header must name: ``network``, ``model`` or ``solution``.
    problems : list of Problem
        Where problems are appended.

    Returns
    -------
    list of str
        Every line of the file (so line numbers hold), the header replaced by ``""``.

    Raises
    ------
    ParseStop
        The header is missing, malformed or names another type.
    """
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
            raise ParseStop
        if m["type"] != want:
            problems.append(
                Problem(
                    file, "header", f"this is a {m['type']!r} file, expected a {want!r} file", i + 1
                )
            )
            raise ParseStop
        if m["version"] != "1.0":
            log.warning("%s: SNDlib format version %s, reading as 1.0", file, m["version"])
        body = list(lines)
        body[i] = ""
        return body
    problems.append(Problem(file, "header", f"empty file: expected an SNDlib {want} file"))
    raise ParseStop


def parse_groups(lines: list[str], file: str, problems: list[Problem]) -> list[Atom | Group]:
    """The top-level atoms and ``( ... )`` groups of ``lines`` (``#`` starts a comment).

    Parameters
    ----------
    lines : list of str
        The file's lines (see :func:`strip_header`).
    file : str
        File name used in problems.
    problems : list of Problem
        Where problems are appended.

    Returns
    -------
    list of Atom and Group

    Raises
    ------
    ParseStop
        The parentheses do not balance.

    Examples
    --------
    >>> top = parse_groups(["NODES ( A ( 0 0 ) )"], "", [])
    >>> top[0].text, [x.text for x in top[1].items if isinstance(x, Atom)]
    ('NODES', ['A'])
    """
    top: list[Atom | Group] = []
    stack: list[Group] = []
    for lineno, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0]
        for tok in _TOKEN.findall(text):
            if tok == "(":
                g = Group(lineno)
                (stack[-1].items if stack else top).append(g)
                stack.append(g)
            elif tok == ")":
                if not stack:
                    problems.append(Problem(file, "", "')' without a matching '('", lineno))
                    raise ParseStop
                stack.pop().end_line = lineno
            else:
                (stack[-1].items if stack else top).append(Atom(tok, lineno))
    if stack:
        problems.append(Problem(file, "", "'(' is never closed", stack[-1].line))
        raise ParseStop
    return top


def iter_sections(
    top: list[Atom | Group], file: str, problems: list[Problem]
) -> Iterator[tuple[str, list[Atom], Group]]:
    """Yield ``(keyword, extra atoms, group)``: e.g. ``ROUTINGS NOS ( ... )``.

    Parameters
    ----------
    top : list of Atom and Group
        What :func:`parse_groups` returns.
    file : str
        File name used in problems.
    problems : list of Problem
        Where problems are appended (a stray group, a keyword without a body).

    Yields
    ------
    keyword : str
    extra : list of Atom
        Words between the keyword and its body.
    group : Group
        The section's body.
    """
    i = 0
    while i < len(top):
        head = top[i]
        if isinstance(head, Group):
            problems.append(
                Problem(file, "", "'(' where a section keyword was expected", head.line)
            )
            i += 1
            continue
        extra: list[Atom] = []
        j = i + 1
        while j < len(top) and isinstance(top[j], Atom):
            extra.append(top[j])  # type: ignore[arg-type]
            j += 1
        if j >= len(top):
            problems.append(
                Problem(file, head.text, "section keyword without a '( ... )' body", head.line)
            )
            return
        yield head.text, extra, top[j]  # type: ignore[misc]
        i = j + 1


SHAPES: dict[str, tuple[tuple[str, ...], int]] = {
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


def split_items(group: Group, section: str, file: str, problems: list[Problem]):
    """Split a NODES, LINKS or DEMANDS body into items by the section's field layout.

    A malformed item is reported and skipped up to the next line.

    Parameters
    ----------
    group : Group
        The section's body.
    section : str
        ``NODES``, ``LINKS`` or ``DEMANDS`` (a key of :data:`SHAPES`).
    file : str
        File name used in problems.
    problems : list of Problem
        Where problems are appended.

    Returns
    -------
    list of list of Atom and Group
        The elements of each well-formed item.
    """
    shape, n_optional = SHAPES[section]
    els = group.items
    items: list[list[Atom | Group]] = []
    i = 0
    while i < len(els):
        start = i
        first = els[i]
        name = first.text if isinstance(first, Atom) else "?"
        bad = None
        for fname in shape:
            want_group = fname.startswith("(")
            if i >= len(els):
                bad = (fname.lstrip("("), "missing", first.line)
                break
            el = els[i]
            if isinstance(el, Group) != want_group:
                found = "'( ... )'" if isinstance(el, Group) else repr(el.text)
                what = "'( ... )'" if want_group else "a value"
                bad = (fname.lstrip("("), f"expected {what}, found {found}", el.line)
                break
            i += 1
        if bad is None:
            k = 0
            while k < n_optional and i < len(els) and isinstance(els[i], Group):
                i += 1
                k += 1
            items.append(els[start:i])
            continue
        problems.append(Problem(file, f"{section}[{name}].{bad[0]}", bad[1], bad[2]))
        # Resynchronise on the next identifier that starts a later line.
        i = max(i, start + 1)
        while i < len(els) and not (isinstance(els[i], Atom) and els[i].line > first.line):
            i += 1
    return items


class ItemReader:
    """Sequential access to one item's elements with problem reporting."""

    def __init__(self, els: list[Atom | Group], file: str, section: str, problems: list):
        self.els = els
        self.pos = 0
        self.file = file
        self.section = section
        self.problems = problems
        self.line = els[0].line if els else 0
        self.name = els[0].text if els and isinstance(els[0], Atom) else "?"
        self.ok = True

    def fail(self, fieldname: str, message: str, line: int | None = None) -> None:
        """Report a problem with ``fieldname`` of this item (at the item's line by default)."""
        self.ok = False
        self.problems.append(
            Problem(
                self.file,
                f"{self.section}[{self.name}].{fieldname}",
                message,
                self.line if line is None else line,
            )
        )

    def atom(self, fieldname: str) -> Atom | None:
        """The next element if it is an atom (else report ``fieldname`` missing: None)."""
        if self.pos >= len(self.els) or not isinstance(self.els[self.pos], Atom):
            self.fail(fieldname, "missing value")
            return None
        a = self.els[self.pos]
        self.pos += 1
        return a  # type: ignore[return-value]

    def group(self, fieldname: str, optional: bool = False) -> Group | None:
        """The next element if it is a group (else None, reported unless ``optional``)."""
        if self.pos >= len(self.els) or not isinstance(self.els[self.pos], Group):
            if not optional:
                self.fail(fieldname, "missing '( ... )'")
            return None
        g = self.els[self.pos]
        self.pos += 1
        return g  # type: ignore[return-value]

    def number(
        self, fieldname: str, allow_unlimited: bool = False, minimum: float = 0.0
    ) -> float | None:
        """The next element as a number (see :func:`to_number`)."""
        a = self.atom(fieldname)
        if a is None:
            return None
        return to_number(a, fieldname, allow_unlimited, minimum, self.fail)

    def done(self) -> None:
        """Report elements left over at the end of a well-formed item."""
        if self.ok and self.pos < len(self.els):
            extra = self.els[self.pos]
            text = extra.text if isinstance(extra, Atom) else "( ... )"
            self.fail("", f"unexpected {text!r} at the end of the item", extra.line)


def to_number(
    a: Atom, fieldname: str, allow_unlimited: bool, minimum: float, fail
) -> float | None:
    """The number an atom holds, or None after reporting why it holds none.

    Parameters
    ----------
    a : Atom
    fieldname : str
        The field named in the problem.
    allow_unlimited : bool
        Whether ``UNLIMITED`` is accepted (read as ``math.inf``).
    minimum : float
        Smallest value accepted.
    fail : callable
        ``fail(fieldname, message, line)`` reports a problem (e.g. :meth:`ItemReader.fail`).

    Returns
    -------
    float or None

    Examples
    --------
    >>> to_number(Atom("UNLIMITED", 1), "capacity", True, 0.0, print)
    inf
    >>> to_number(Atom("-2", 3), "capacity", False, 0.0, print)
    capacity must be >= 0, found -2 3
    """
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


def read_ident(r: ItemReader, a: Atom | None, fieldname: str) -> str | None:
    """The identifier an atom holds, or None (an invalid one is reported through ``r``).

    Parameters
    ----------
    r : ItemReader
        The item being read.
    a : Atom or None
        The atom (None when it was missing: nothing more is reported).
    fieldname : str
        The field named in the problem.

    Returns
    -------
    str or None
    """
    if a is None:
        return None
    if not _IDENT.match(a.text):
        r.fail(fieldname, f"invalid identifier {a.text!r}", a.line)
        return None
    return a.text


def keyed_items(group: Group) -> list[list[Atom | Group]]:
    """Split a body of ``id ( ... )`` items (paths, link configurations, routings) per item.

    A new item starts at every atom that follows a group.

    Parameters
    ----------
    group : Group
        The section's body.

    Returns
    -------
    list of list of Atom and Group

    Examples
    --------
    >>> body = parse_groups(["( D1 ( L1 ) D2 ( L2 ) )"], "", [])[0]
    >>> [[x.text for x in item if isinstance(x, Atom)] for item in keyed_items(body)]
    [['D1'], ['D2']]
    """
    out: list[list[Atom | Group]] = []
    current: list[Atom | Group] = []
    for el in group.items:
        if isinstance(el, Atom) and current and isinstance(current[-1], Group):
            out.append(current)
            current = []
        current.append(el)
    if current:
        out.append(current)
    return out


MAX_FILE_BYTES = 200 * 1024 * 1024
"""Largest SNDlib file the readers accept."""


def read_text(p: Path) -> str:
    """The text of ``p``; unreadable, huge or non-UTF-8 files raise a ValidationError.

    Parameters
    ----------
    p : Path

    Returns
    -------
    str
        The text, a UTF-8 byte-order mark removed.

    Raises
    ------
    ValidationError
        The file cannot be read, is larger than :data:`MAX_FILE_BYTES` or is not UTF-8.
    """
    if not p.exists():
        raise ValidationError([Problem(str(p), "", "cannot read: No such file or directory")])
    # Regular files only, counted while read (see netplan.io.safe_read).
    raw = read_input_bytes(p, limit=MAX_FILE_BYTES)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationError(
            [Problem(str(p), "", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                     line)]
        ) from None
