"""The netplan error family.

Every error a user can cause with bad input is a :class:`NetplanError`. The command-line
tool prints these without a traceback and exits with :attr:`NetplanError.exit_code`
(2 for bad input, 1 for a run that could not finish).
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
    """

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class NetplanError(Exception):
    """Base class of every error netplan raises on purpose."""

    exit_code = 2


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
    """The output directory holds another run's results and ``--overwrite`` was not given."""
