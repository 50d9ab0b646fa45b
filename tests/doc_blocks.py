"""The fenced examples of the user documentation, read the way tests/test_doc_examples.py runs them.

A page's ```sh, ```bash, ```shell and ```console blocks hold commands, its ```python blocks
scripts and its ```yaml blocks netplan files. A line ``<!-- file: PATH -->`` just above a
YAML block names the file the block is (a new file that later commands read, or an excerpt
of a shipped one). An untagged block right after a command block shows what its last
command prints, as do the lines after a ``$ `` prompt in a ```console block. A comment
``# exits N`` on a command line gives the exit code it ends with.

Blocks of one page that read what an earlier block wrote (a path under ``out/`` given to
``-o``, ``output_dir=`` or ``.save(``, or a marked YAML file) form one group, run in order
in one folder.
"""

from __future__ import annotations

import ast
import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^(\s*)```([\w-]*)\s*$")
FILE_MARKER = re.compile(r"^<!--\s*file:\s*(\S+)\s*-->\s*$")
SHELL_LANGS = frozenset({"sh", "bash", "shell", "console"})
# Shell syntax the runner does not emulate: a page using it fails loudly.
UNSUPPORTED = frozenset({"|", "||", "&", ">", ">>", "<", "(", ")", ";;"})
SEPARATORS = frozenset({"&&", ";"})
EXITS = re.compile(r"\bexits (\d+)\b")
PATH = re.compile(r"(?<![\w./-])((?:out|scenarios|topologies)/[\w./-]*\w)")
PY_OUTPUT = re.compile(r"(?:output_dir\s*=\s*|\.save\(\s*)[\"'](out/[^\"']+)[\"']")
OUTPUT_FLAGS = frozenset({"-o", "--output"})


@dataclass(frozen=True)
class Command:
    """One command of a page: its words, the exit codes it may end with, what it shows."""

    line: int
    words: tuple[str, ...]
    exits: frozenset[int] = frozenset({0})
    shown: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return shlex.join(self.words)


@dataclass(frozen=True)
class Block:
    """A fenced block: page, line of its opening fence (1-based), language and text."""

    page: str
    line: int
    lang: str
    text: str
    file: str | None = None
    shown: str | None = None
    commands: tuple[Command, ...] = field(default=(), compare=False)

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def read_blocks(text: str, page: str) -> list[Block]:
    """The fenced blocks of a Markdown page, with their markers and shown output.

    Examples
    --------
    >>> page = "<!-- file: scenarios/a.yaml -->\\n```yaml\\nkind: scenario\\n```\\n"
    >>> page += "```sh\\negov-netplan validate scenarios/a.yaml\\n```\\n\\n```\\nok\\n```\\n"
    >>> [(b.line, b.lang, b.file, b.shown) for b in read_blocks(page, "p.md")]
    [(2, 'yaml', 'scenarios/a.yaml', None), (5, 'sh', None, 'ok\\n')]
    >>> read_blocks(page, "p.md")[1].commands[0].shown
    ('ok',)
    >>> read_blocks("1. Run\\n   ```sh\\n   egov-netplan show\\n   ```\\n", "p.md")[0].text
    'egov-netplan show\\n'
    """
    lines = text.splitlines()
    raw: list[tuple[int, str, str, int]] = []  # (fence line, lang, text, closing line)
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
        if end is None:
            raise ValueError(f"{page}:{i + 1}: a fence that is never closed")
        indent = len(opening.group(1))  # a fence inside a list item: its lines are indented
        body = "".join(s[indent:] + "\n" if not s[:indent].strip() else s + "\n"
                       for s in lines[i + 1 : end])
        raw.append((i + 1, opening.group(2), body, end))
        i = end + 1
    blocks: list[Block] = []
    for k, (line, lang, body, _) in enumerate(raw):
        if not lang and blocks and _right_after(lines, raw[k - 1][3], line):
            previous = blocks[-1]
            if previous.lang in SHELL_LANGS and previous.line == raw[k - 1][0]:
                blocks[-1] = _with_commands(
                    Block(previous.page, previous.line, previous.lang, previous.text,
                          previous.file, body)
                )
                continue
        marker = FILE_MARKER.match(_line_before(lines, line))
        blocks.append(_with_commands(Block(page, line, lang, body, marker and marker.group(1))))
    return blocks


def _right_after(lines: list[str], closing: int, opening: int) -> bool:
    """Only blank lines between a closing fence (0-based index) and an opening (1-based)."""
    return all(not s.strip() for s in lines[closing + 1 : opening - 1])


def _line_before(lines: list[str], opening: int) -> str:
    before = [s for s in lines[: opening - 1] if s.strip()]
    return before[-1] if before else ""


def _with_commands(block: Block) -> Block:
    if block.lang not in SHELL_LANGS:
        return block
    found = read_commands(block.text, block.line + 1, console=block.lang == "console")
    if block.shown is not None and found:
        found[-1] = Command(found[-1].line, found[-1].words, found[-1].exits,
                            tuple(block.shown.splitlines()))
    return Block(block.page, block.line, block.lang, block.text, block.file, block.shown,
                 tuple(found))


def split_comment(line: str) -> tuple[str, str]:
    """Split a shell line into code and the comment after an unquoted ``#``.

    Examples
    --------
    >>> split_comment("egov-netplan plan -o 'out/#1'  # exits 3: misses targets")
    ("egov-netplan plan -o 'out/#1'", 'exits 3: misses targets')
    >>> split_comment("echo a#b")
    ('echo a#b', '')
    """
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def split_words(code: str) -> list[str]:
    """Shell words of one line, with ``&&`` and ``;`` kept as words of their own.

    Examples
    --------
    >>> split_words("python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'")
    ['python3', '-m', 'venv', '.venv', '&&', '.venv/bin/pip', 'install', '-e', '.[dev]']
    """
    lexer = shlex.shlex(code, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def read_commands(text: str, first_line: int, console: bool = False) -> list[Command]:
    """The commands of a shell block, continuation lines joined, comments read for ``exits N``.

    In a console block only ``$ `` lines are commands; the lines after one are what it shows.

    Examples
    --------
    >>> block = "egov-netplan analyze t.yaml s.yaml \\\\\\n    -o out/x   # exits 3\\n\\n"
    >>> block += "python3 -m venv .venv && egov-netplan show\\n"
    >>> [(c.line, c.words[1], sorted(c.exits)) for c in read_commands(block, 10)]
    [(10, 'analyze', [3]), (13, '-m', [0]), (13, 'show', [0])]
    >>> cmds = read_commands("$ egov-netplan show\\nextranet: …\\n\\n$ egov-netplan x\\n", 1, True)
    >>> [(c.words, c.shown) for c in cmds]
    [(('egov-netplan', 'show'), ('extranet: …',)), (('egov-netplan', 'x'), ())]
    """
    commands: list[Command] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=first_line):
        if console and not pending:
            if not raw.startswith("$ "):
                if commands and raw.strip():
                    last = commands[-1]
                    commands[-1] = Command(last.line, last.words, last.exits,
                                           (*last.shown, raw.rstrip()))
                continue
            raw = raw[2:]
        code, comment = split_comment(raw)
        if not pending:
            start = number
        if code.endswith("\\"):
            pending += code[:-1] + " "
            continue
        code, pending = pending + code, ""
        if code.strip():
            commands.extend(_segments(split_words(code), start, comment))
    if pending:
        raise ValueError(f"line {start}: a continuation line ends the block")
    return commands


def _segments(words: list[str], line: int, comment: str) -> list[Command]:
    bad = UNSUPPORTED.intersection(words)
    if bad:
        raise ValueError(f"line {line}: shell syntax {sorted(bad)} is not run by the doc tests")
    found = EXITS.search(comment)
    code = int(found.group(1)) if found else 0
    exits = frozenset({code})
    segments: list[list[str]] = [[]]
    for word in words:
        if word in SEPARATORS:
            segments.append([])
        else:
            segments[-1].append(word)
    # The exit code in a comment belongs to the last command of the line.
    return [
        Command(line, tuple(seg), exits if k == len(segments) - 1 else frozenset({0}))
        for k, seg in enumerate(segments)
        if seg
    ]


def shown_lines_missing(shown: tuple[str, ...], output: str) -> list[str]:
    """The shown lines that the output does not contain, in order.

    ``…`` stands for anything, runs of blanks count as one, and a time in parentheses,
    such as ``(0.3 s)``, matches any time.

    Examples
    --------
    >>> out = "[1/6] validate (0.1 s)\\nplan  optimal: 3 purchases\\nwrote out/x/a.csv"
    >>> shown_lines_missing(("[1/6] validate (0.0 s)", "plan optimal: …", "wrote …"), out)
    []
    >>> shown_lines_missing(("wrote …", "plan optimal: …"), out)
    ['plan optimal: …']
    """
    actual = [_blanks(s) for s in output.splitlines()]
    missing: list[str] = []
    at = 0
    for want in shown:
        if not want.strip():
            continue
        pattern = re.compile(_pattern(_blanks(want)))
        hit = next((k for k in range(at, len(actual)) if pattern.search(actual[k])), None)
        if hit is None:
            missing.append(want)
        else:
            at = hit + 1
    return missing


def _blanks(line: str) -> str:
    return " ".join(line.split())


def _pattern(line: str) -> str:
    pattern = re.escape(line).replace("…", ".*")
    return re.sub(r"\\\(\d+(?:\\\.\d+)?\\ s\\\)", r"\\([\\d.]+ s\\)", pattern)


def written_paths(block: Block, shipped) -> set[str]:
    """Paths a block writes: ``-o`` folders, ``output_dir=``/``.save(`` folders, new files.

    ``shipped(path)`` tells whether a marked file already exists in the repository (then
    the block shows it and writes nothing).

    Examples
    --------
    >>> b = read_blocks("```sh\\negov-netplan plan a b -o out/p --overwrite\\n```\\n", "p")[0]
    >>> written_paths(b, lambda path: False)
    {'out/p'}
    """
    if block.lang == "yaml":
        return {block.file} if block.file and not shipped(block.file) else set()
    if block.lang == "python":
        return set(PY_OUTPUT.findall(block.text))
    paths = set()
    for command in block.commands:
        words = command.words
        paths.update(words[k + 1] for k in range(len(words) - 1) if words[k] in OUTPUT_FLAGS)
    return paths


def groups(blocks: list[Block], shipped) -> list[list[Block]]:
    """Blocks joined with the earlier blocks of their page whose outputs they read.

    Examples
    --------
    >>> page = "<!-- file: scenarios/s.yaml -->\\n```yaml\\nkind: scenario\\n```\\n"
    >>> page += "```sh\\negovnetplan-a -o out/a\\n```\\n```sh\\nx out/a/b.csv -o out/c\\n```\\n"
    >>> page += "```sh\\nx scenarios/s.yaml\\n```\\n```sh\\nx out/c2\\n```\\n"
    >>> [[b.line for b in g] for g in groups(read_blocks(page, "p"), lambda path: False)]
    [[2, 11], [5, 8], [14]]
    """
    parent = list(range(len(blocks)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    writes = [written_paths(b, shipped) for b in blocks]
    for j, block in enumerate(blocks):
        reads = set(PATH.findall(block.text)) - writes[j]
        for i in range(j):
            if blocks[i].page == block.page and any(
                r == w or r.startswith(w + "/") for r in reads for w in writes[i]
            ):
                parent[root(j)] = root(i)
    joined: dict[int, list[Block]] = {}
    for i, block in enumerate(blocks):
        joined.setdefault(root(i), []).append(block)
    return list(joined.values())


def shown_values(source: str) -> list[tuple[int, str, str]]:
    """Single-line expression statements whose comment shows their value as a literal.

    Returns ``(line, expression, literal)``; a comment that is not a Python literal, or that
    starts with "e.g.", is an explanation and is left alone.

    Examples
    --------
    >>> shown_values("x = 1  # one\\nx + 1   # 2\\nx  # e.g. 1\\nx  # the answer\\n")
    [(2, 'x + 1', '2')]
    >>> shown_values("print(x)  # 3\\n")
    []
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for node in tree.body:
        if not isinstance(node, ast.Expr) or node.lineno != node.end_lineno:
            continue
        if isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "print":
            continue
        code, comment = split_comment(lines[node.lineno - 1])
        if not comment or comment.startswith("e.g."):
            continue
        try:
            ast.literal_eval(comment)
        except (ValueError, SyntaxError):
            continue
        found.append((node.lineno, ast.get_source_segment(source, node), comment))
    return found


def same_value(found, shown) -> bool:
    """Whether a value equals the literal a page shows (floats to a relative 1e-6).

    Examples
    --------
    >>> same_value(("optimal", 23619.000001, [1, 2]), ("optimal", 23619.0, [1, 2]))
    True
    >>> same_value((1.0, 2.0), (1.0,))
    False
    """
    if isinstance(shown, float) or isinstance(found, float):
        try:
            return math.isclose(float(found), float(shown), rel_tol=1e-6, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    if isinstance(shown, (tuple, list)):
        return (
            isinstance(found, (tuple, list))
            and len(found) == len(shown)
            and all(same_value(a, b) for a, b in zip(found, shown, strict=True))
        )
    if isinstance(shown, dict):
        return isinstance(found, dict) and found.keys() == shown.keys() and all(
            same_value(found[k], shown[k]) for k in shown
        )
    return found == shown


def check_shown(found, shown, line: int) -> None:
    """Raise when a value differs from what the page shows on that line."""
    if not same_value(found, shown):
        raise AssertionError(f"line {line}: the page shows {shown!r}, the code gives {found!r}")


def script(block: Block) -> str:
    """The block as a script whose line numbers are the page's, shown values checked.

    Examples
    --------
    >>> b = Block("p.md", 3, "python", "x = 2\\nx * 2  # 4\\n")
    >>> script(b).splitlines()[3:]
    ['x = 2', '__shown__((x * 2), (4), 5)']
    """
    lines = block.text.splitlines()
    for line, expression, literal in shown_values(block.text):
        lines[line - 1] = f"__shown__(({expression}), ({literal}), {block.line + line})"
    head = "from tests.doc_blocks import check_shown as __shown__"
    return "\n".join([head, *[""] * (block.line - 1), *lines]) + "\n"


def yaml_excerpt_differences(shown, shipped, where: str = "") -> list[str]:
    """Where a YAML excerpt differs from the shipped file (which may hold more keys).

    Examples
    --------
    >>> yaml_excerpt_differences({"a": {"b": 1}, "c": 2}, {"a": {"b": 1, "x": 0}, "c": 3})
    ['c: shown 2, shipped 3']
    """
    if isinstance(shown, dict) and isinstance(shipped, dict):
        found = []
        for key, value in shown.items():
            path = f"{where}.{key}" if where else str(key)
            if key not in shipped:
                found.append(f"{path}: not in the shipped file")
            else:
                found.extend(yaml_excerpt_differences(value, shipped[key], path))
        return found
    return [] if shown == shipped else [f"{where}: shown {shown!r}, shipped {shipped!r}"]


def read_page(root: Path, page: str) -> list[Block]:
    return read_blocks((root / page).read_text(encoding="utf-8"), page)
