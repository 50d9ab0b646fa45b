"""Write SNDlib solution files in the native format."""

from __future__ import annotations

import math
import os
from pathlib import Path

from netplan.io.atomic import write_text_atomic
from netplan.io.sndlib.data import SndlibSolution


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
    >>> from netplan.io.sndlib import read_solution
    >>> sol = SndlibSolution({"L1": ()}, {"NOS": {}})
    >>> read_solution(write_solution(p, sol)).link_configurations
    {'L1': ()}
    """
    return write_text_atomic(path, format_solution(solution))
