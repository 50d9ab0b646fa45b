"""The one place that opens input files: regular files only, bounded in size, in known folders.

Every reader of netplan (YAML, CSV tables, GraphML, Topology Zoo, Repetita, SNDlib, saved
runs) gets its bytes from :func:`read_input_bytes` or :func:`read_input_text`, which

- refuse anything that is not a regular file (a directory, a named pipe, a device, a
  socket): the target is checked with ``stat`` before it is opened, opened with
  ``O_NONBLOCK`` so a pipe swapped in meanwhile cannot block, and checked again with
  ``fstat`` once open;
- count the bytes while reading and stop one byte past the limit, so a file whose size the
  system does not report (``/proc``, a growing file) cannot exhaust memory.

A file named *inside* another file (``extends:``, ``topology:``, a CSV table, a batch's
inputs) is described by a :class:`Reference`; its problems are reported at the field that
named it, and :class:`InputFolders` decides whether it may be read at all: only files below
the folder netplan runs from, below the folder above the file the user named (so
``scenarios/x.yaml`` may name ``../topologies/y.yaml``), or below netplan's shipped
``topologies/`` and ``scenarios/`` folders, unless ``--allow-outside``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from netplan.errors import Problem, ValidationError

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest input file read by default (network descriptions are far smaller)."""

_CHUNK_BYTES = 1024 * 1024
_SHOWN_CHARS = 120
OUTSIDE_REASON = "is outside the input folders; pass --allow-outside to read it"

_ALLOW_OUTSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "netplan_allow_outside", default=False
)


@contextlib.contextmanager
def allowing_outside(allow: bool = True) -> Iterator[None]:
    """Within the block, loaders called without ``allow_outside`` use ``allow``.

    The command line's ``--allow-outside`` sets this for the whole command.

    Examples
    --------
    >>> with allowing_outside():
    ...     outside_allowed()
    True
    >>> outside_allowed()
    False
    """
    token = _ALLOW_OUTSIDE.set(bool(allow))
    try:
        yield
    finally:
        _ALLOW_OUTSIDE.reset(token)


def outside_allowed() -> bool:
    """Whether references outside the input folders are read by default just now."""
    return _ALLOW_OUTSIDE.get()


@dataclass(frozen=True)
class Reference:
    """A file named inside another file: where it was named, and what it should be.

    Parameters
    ----------
    file : str
        The file holding the field.
    field : str
        The field that names the file (``extends``, ``topology``, ``links`` …).
    value : str
        The path as written in the field.
    line : int or None
        Line of the field in ``file``.
    kind : str
        What the named file should be, for messages ("netplan scenario file").

    Examples
    --------
    >>> ref = Reference("s.yaml", "extends", "/dev/zero", 2, "netplan scenario file")
    >>> print(ref.problem("is a character device, not a regular file"))
    s.yaml:2: extends: `/dev/zero` is a character device, not a regular file
    >>> print(ref.not_kind("not a mapping of fields"))
    s.yaml:2: extends: `/dev/zero` is not a netplan scenario file (not a mapping of fields)
    """

    file: str
    field: str
    value: str
    line: int | None = None
    kind: str = "netplan input file"

    def problem(self, reason: str) -> Problem:
        """A problem about the named file, reported at the field that named it."""
        return Problem(self.file, self.field, f"`{_shown(self.value)}` {reason}", self.line)

    def not_kind(self, why: str) -> Problem:
        """The named file is not what the field expects; ``why`` must not quote its content."""
        return self.problem(f"is not a {self.kind} ({why})")


def _shown(value: str) -> str:
    text = value if value.isprintable() else repr(value)[1:-1]
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


@dataclass(frozen=True)
class InputFolders:
    """The folders a file named inside another file may lie in (after symbolic links).

    Build one with :meth:`for_file`: the current directory, the folder above the one holding
    the file the user named (that folder itself when above it is the filesystem root), and
    netplan's shipped topology and scenario folders, each with everything below it.

    Examples
    --------
    >>> import netplan
    >>> folders = InputFolders.for_file(netplan.default_scenario_path())
    >>> folders.admits(netplan.default_topology_path()), folders.admits("/dev/zero")
    (True, False)
    >>> InputFolders.for_file(None, allow_outside=True).admits("/dev/zero")
    True
    """

    roots: tuple[Path, ...]
    allow_outside: bool = False

    @classmethod
    def for_file(
        cls, path: str | os.PathLike | None, allow_outside: bool | None = None
    ) -> InputFolders:
        """The input folders of a load that starts at ``path`` (None: code, no file).

        ``allow_outside`` None takes the current default (see :func:`allowing_outside`).
        """
        return cls.for_files([] if path is None else [path], allow_outside)

    @classmethod
    def for_files(
        cls, paths: list[str | os.PathLike], allow_outside: bool | None = None
    ) -> InputFolders:
        """The input folders of a load that starts at several files the user named."""
        roots: list[Path] = []
        with contextlib.suppress(OSError):
            roots.append(Path(os.path.realpath(os.getcwd())))
        roots.extend(_project_folder(path) for path in paths)
        roots.extend(_shipped_folders())
        allow = outside_allowed() if allow_outside is None else bool(allow_outside)
        return cls(roots=tuple(dict.fromkeys(roots)), allow_outside=allow)

    def admits(self, target: str | os.PathLike) -> bool:
        """True when ``target`` may be read: inside a root, or outside ones are allowed."""
        if self.allow_outside:
            return True
        real = Path(os.path.realpath(target))
        return any(real.is_relative_to(root) for root in self.roots)

    def check(self, target: str | os.PathLike, ref: Reference) -> None:
        """Raise the outside-folders problem at ``ref`` unless ``target`` may be read."""
        if not self.admits(target):
            raise ValidationError([ref.problem(OUTSIDE_REASON)])


def _project_folder(path: str | os.PathLike) -> Path:
    """The folder above the one holding ``path``, or that folder when above is the root.

    Input files usually live in sibling folders (``scenarios/`` naming ``../topologies/``).
    """
    folder = Path(os.path.realpath(path)).parent
    above = folder.parent
    return folder if above == above.parent else above


def _shipped_folders() -> list[Path]:
    import netplan

    folders = []
    for where in (netplan.default_topology_path, netplan.default_scenario_path):
        with contextlib.suppress(FileNotFoundError):
            folders.append(Path(os.path.realpath(where().parent)))
    return folders


class _Refused(Exception):
    """Why a file was not read: a message for the file itself and one for a reference."""

    def __init__(self, own: str, referenced: str) -> None:
        super().__init__(own)
        self.own = own
        self.referenced = referenced


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _require_regular(mode: int, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise _Refused(f"{what} is a directory, not a file", "is a directory, not a file")
    kind = _file_type(mode)
    raise _Refused(f"{what} is {kind}, not a regular file; netplan reads only regular files",
                   f"is {kind}, not a regular file")


def _too_large(limit: int, size: int | None = None) -> _Refused:
    own = (f"file is {size} bytes; the limit is {limit} bytes" if size is not None
           else f"file holds more than {limit} bytes; the limit is {limit} bytes")
    return _Refused(own, f"is larger than the limit of {limit} bytes")


def _read_regular(path: str | os.PathLike, limit: int, what: str) -> bytes:
    real = os.path.realpath(path)
    try:
        before = os.stat(real)
    except FileNotFoundError:
        raise _Refused(f"{what} not found", "does not exist") from None
    except OSError as exc:
        raise _Refused(f"cannot read {what}: {exc.strerror}",
                       f"cannot be read: {exc.strerror}") from None
    _require_regular(before.st_mode, what)
    if before.st_size > limit:
        raise _too_large(limit, before.st_size)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(real, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _Refused(f"cannot read {what}: {exc.strerror}",
                       f"cannot be read: {exc.strerror}") from None
    try:
        # The path may have been swapped between stat and open: check what was opened.
        _require_regular(os.fstat(fd).st_mode, what)
        return _read_bounded(fd, limit)
    except OSError as exc:
        raise _Refused(f"cannot read {what}: {exc.strerror}",
                       f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)


def _read_bounded(fd: int, limit: int) -> bytes:
    # Sizes reported by stat can be 0 or stale (/proc, growing files): count while reading.
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = os.read(fd, min(_CHUNK_BYTES, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise _too_large(limit)


def read_input_bytes(path: str | os.PathLike, *, limit: int = MAX_FILE_BYTES,
                     what: str = "file", ref: Reference | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : str or path-like
    limit : int, optional
        Most bytes accepted (:data:`MAX_FILE_BYTES` by default).
    what : str, optional
        What the file is, for messages about the file itself ("file", "table file").
    ref : Reference, optional
        When the file was named inside another file: problems are reported at that field.

    Raises
    ------
    ValidationError
        Missing, unreadable, not a regular file, or larger than ``limit``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_bytes(b"12345")
    >>> read_input_bytes(folder / "a.txt")
    b'12345'
    >>> try:
    ...     read_input_bytes(folder / "a.txt", limit=4)
    ... except ValidationError as err:
    ...     print(err.problems[0].message)
    file is 5 bytes; the limit is 4 bytes
    >>> try:
    ...     read_input_bytes(folder)
    ... except ValidationError as err:
    ...     print(err.problems[0].message)
    file is a directory, not a file
    """
    try:
        return _read_regular(path, limit, what)
    except _Refused as exc:
        if ref is not None:
            raise ValidationError([ref.problem(exc.referenced)]) from None
        raise ValidationError([Problem(str(path), "", exc.own)]) from None


def read_input_text(path: str | os.PathLike, *, limit: int = MAX_FILE_BYTES,
                    what: str = "file", ref: Reference | None = None) -> str:
    """The UTF-8 text of a file (a BOM is dropped); see :func:`read_input_bytes`.

    Text that is not UTF-8 or holds a NUL byte is refused; for a referenced file the
    message says so without quoting the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.yaml"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfname: x\\n")
    >>> read_input_text(p)
    'name: x\\n'
    """
    raw = read_input_bytes(path, limit=limit, what=what, ref=ref)
    name = str(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        if ref is not None:
            raise ValidationError(
                [ref.not_kind(f"not UTF-8 text: byte {exc.start}, line {line}")]
            ) from None
        raise ValidationError(
            [Problem(name, "", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", line)]
        ) from None
    if "\x00" in text:
        if ref is not None:
            raise ValidationError([ref.not_kind("binary content")])
        raise ValidationError([Problem(name, "", "binary content (NUL byte); expected text")])
    return text
