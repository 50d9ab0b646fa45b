"""Safe YAML reading that remembers where every value came from.

Files are parsed once with ``yaml.CSafeLoader`` (the C parser, safe constructors only) into a
node tree; the tree gives the line of every field, so validation messages can say
``file:line: field: reason``. Inputs that would blow up in memory (alias bombs, huge files)
are refused before they are expanded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from netplan.errors import Problem, ValidationError
from netplan.io.safe_read import MAX_FILE_BYTES, Reference, read_input_text

MAX_EXPANDED_NODES = 2_000_000

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """A parsed document with the line (and file) of every field path."""

    data: Any
    file: str
    lines: dict[Path_, tuple[str, int]] = field(default_factory=dict)

    def where(self, path: Path_) -> tuple[str, int | None]:
        """File and line of ``path``, or of its closest parent that has one."""
        probe = tuple(path)
        while True:
            if probe in self.lines:
                return self.lines[probe]
            if not probe:
                return self.file, None
            probe = probe[:-1]


def format_path(path: Path_) -> str:
    """Dotted field path with list indices in brackets.

    Examples
    --------
    >>> format_path(("links", 3, "capacity_gbps"))
    'links[3].capacity_gbps'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def read_text(path: str | os.PathLike, what: str = "file", *,
              ref: Reference | None = None) -> str:
    """Read a UTF-8 text file (a BOM is accepted), refusing missing, huge or binary files.

    The file is read through :func:`netplan.io.safe_read.read_input_text`: regular files
    only, at most :data:`MAX_FILE_BYTES`. With ``ref``, problems are reported at the field
    that named the file.
    """
    return read_input_text(path, limit=MAX_FILE_BYTES, what=what, ref=ref)


def load_yaml(path: str | os.PathLike) -> Located:
    """Parse one YAML file into plain Python data with a field → line map.

    Raises
    ------
    ValidationError
        Missing, empty, non-UTF-8 or malformed files, duplicate keys, and documents that
        expand beyond a safe size.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.yaml"
    >>> _ = f.write_text("name: x\\nlinks:\\n  - id: l1\\n    a: n1\\n")
    >>> doc = load_yaml(f)
    >>> doc.data["links"][0]["a"], doc.where(("links", 0, "a"))[1]
    ('n1', 4)
    """
    name = str(path)
    text = read_text(path)
    return parse_yaml(text, name)


def load_reference(path: str | os.PathLike, ref: Reference, kind: str) -> Located:
    """Parse a YAML file named inside another file, expecting a ``kind:`` netplan document.

    Until the file is known to be netplan input, whatever is wrong with it — not text, not
    YAML, not a mapping, another ``kind:`` — is reported at the field that named it, and
    its content is never quoted (the field may name any file on the machine).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "hosts"
    >>> _ = p.write_text("127.0.0.1 localhost\\n")
    >>> ref = Reference("s.yaml", "extends", str(p), 2, "netplan scenario file")
    >>> try:
    ...     load_reference(p, ref, "scenario")
    ... except ValidationError as err:
    ...     print(err.problems[0].message.split("` ")[1])
    is not a netplan scenario file (not a mapping of fields)
    """
    text = read_text(path, ref=ref)
    if not text.strip():
        raise ValidationError([ref.not_kind("it is empty")])
    try:
        doc = parse_yaml(text, str(path))
    except ValidationError as exc:
        line = next((p.line for p in exc.problems if p.line), None)
        where = f" (line {line})" if line else ""
        raise ValidationError(
            [ref.not_kind(f"not valid YAML{where}; validate it on its own for details")]
        ) from None
    if not isinstance(doc.data, dict):
        raise ValidationError([ref.not_kind("not a mapping of fields")])
    if doc.data.get("kind", kind) != kind:
        raise ValidationError([ref.not_kind(f"it does not say `kind: {kind}`")])
    return doc


def parse_yaml(text: str, name: str) -> Located:
    """Parse YAML ``text`` (see :func:`load_yaml`); ``name`` is used in messages."""
    if not text.strip():
        raise ValidationError([Problem(name, "", "file is empty")])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ValidationError([Problem(name, "", "file holds no YAML document")])
        lines: dict[Path_, tuple[str, int]] = {}
        problems: list[Problem] = []
        _walk(node, (), lines, problems, name, [0])
        if problems:
            raise ValidationError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ValidationError([Problem(name, "", f"YAML syntax error: {reason}", line)]) from None
    except yaml.YAMLError as exc:
        raise ValidationError([Problem(name, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ValidationError([Problem(name, "", "YAML nesting is too deep")]) from None
    finally:
        loader.dispose()
    return Located(data=data, file=name, lines=lines)


def _walk(
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, tuple[str, int]],
    problems: list[Problem],
    name: str,
    count: list[int],
) -> None:
    # Count nodes as they would be expanded, so aliases cannot multiply memory unseen.
    count[0] += 1
    if count[0] > MAX_EXPANDED_NODES:
        raise ValidationError(
            [
                Problem(
                    name,
                    "",
                    f"document expands to more than {MAX_EXPANDED_NODES} values "
                    "(an alias bomb or a file far larger than a network description)",
                )
            ]
        )
    if path not in lines:
        lines[path] = (name, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    Problem(name, format_path(path), "keys must be plain names",
                            key_node.start_mark.line + 1)
                )
                continue
            key = key_node.value
            if key == "<<":
                _walk(value_node, path, lines, problems, name, count)
                continue
            if key in seen:
                problems.append(
                    Problem(
                        name,
                        format_path((*path, key)),
                        f"duplicate key (first given on line {seen[key]})",
                        key_node.start_mark.line + 1,
                    )
                )
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, problems, name, count)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, problems, name, count)


def dump_yaml(data: Any) -> str:
    """Serialise plain data as block-style YAML that keeps Chinese text readable."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)
