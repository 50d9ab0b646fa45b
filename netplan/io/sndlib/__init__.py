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

- :mod:`netplan.io.sndlib.data` — the instance and solution types;
- :mod:`netplan.io.sndlib.lexer` — tokens, nested groups and the item reader;
- :mod:`netplan.io.sndlib.network` — :func:`parse_network`, :func:`read_network`;
- :mod:`netplan.io.sndlib.modelfile` — :func:`parse_model`, :func:`read_model`;
- :mod:`netplan.io.sndlib.solution` — :func:`parse_solution`, :func:`read_solution`;
- :mod:`netplan.io.sndlib.writer` — :func:`format_solution`, :func:`write_solution`.
"""

from __future__ import annotations

from netplan.io.sndlib.data import (
    MODEL_KEYS as MODEL_KEYS,
)
from netplan.io.sndlib.data import (
    SndlibDemand,
    SndlibLink,
    SndlibModel,
    SndlibNetwork,
    SndlibNode,
    SndlibSolution,
)
from netplan.io.sndlib.lexer import MAX_FILE_BYTES as MAX_FILE_BYTES
from netplan.io.sndlib.lexer import UNLIMITED as UNLIMITED
from netplan.io.sndlib.modelfile import parse_model, read_model
from netplan.io.sndlib.network import parse_network, read_network
from netplan.io.sndlib.solution import parse_solution, read_solution
from netplan.io.sndlib.writer import format_solution, write_solution

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
