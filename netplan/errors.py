"""The netplan error family.

Every error a user can cause with bad input is a :class:`NetplanError`. The command-line
tool prints these without a traceback and exits with :attr:`NetplanError.exit_code`
(2 for bad input, 1 for a run that could not finish). Their text may quote names from input
files, so it comes with control and bidi characters written as visible escapes
(:func:`netplan.io.text.terminal_safe`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Parameters
    ----------
    file : str
        The file the problem is in ("" for objects built in code).
    field : str
        Dotted path of the offending field, e.g. ``links[3].capacity_gbps``.
    message : str
        What is wrong and what is allowed.
    line : int or None
        1-based line in ``file`` where the loader can tell.

    Examples
    --------
    >>> print(Problem("net.yaml", "links[0].a", "unknown node 'X'", line=12))
    net.yaml:12: links[0].a: unknown node 'X'
    >>> print(Problem("net.yaml", "nodes[0].name", "unknown node 'X\x1b[2J'"))
    net.yaml: nodes[0].name: unknown node 'X\\x1b[2J'
    """

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        from netplan.io.text import terminal_safe

        # Every part may come from an input file (its name, a key, a quoted value).
        where = terminal_safe(self.file or "<input>")
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.field:
            return f"{where}: {terminal_safe(self.field)}: {terminal_safe(self.message)}"
        return f"{where}: {terminal_safe(self.message)}"


class NetplanError(Exception):
    """Base class of every error netplan raises on purpose.

    Its text is safe to print: each line has its control and bidi characters escaped.

    Examples
    --------
    >>> print(NetplanError("node 'a\u202eb' is unknown"))
    node 'a\\u202eb' is unknown
    """

    exit_code = 2

    def __str__(self) -> str:
        from netplan.io.text import terminal_safe_lines

        return terminal_safe_lines(super().__str__())


class ValidationError(NetplanError):
    """One or more problems with input files, reported all at once.

    Examples
    --------
    >>> err = ValidationError([Problem("a.yaml", "x", "must be > 0")])
    >>> print(err)
    a.yaml: x: must be > 0
    >>> err.exit_code
    2
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RunError(NetplanError):
    """A run that could not finish (infeasible model, solver failure, killed worker)."""

    exit_code = 1


class OutputExistsError(NetplanError):
    """The output directory holds results: another run's without ``--overwrite``, or files
    netplan did not write (never replaced, even with ``--overwrite``)."""


class OutputPathError(NetplanError):
    """The output path cannot be used: a file, a dangling link, a folder one cannot write in.

    Found before any work starts; the message names the path and the reason.
    """


class OutputWriteError(RunError):
    """Writing the outputs failed part-way (disk full, device busy, permissions changed).

    The run could not finish (exit code 1). Nothing is left behind: no staging folder and
    no partial output; an earlier run in the output directory is as it was.
    """
