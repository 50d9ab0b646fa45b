"""Analysis of imported test networks (Repetita): link loads under ECMP or min-MLU routing.

These networks were built by nobody here, so running the core on them checks it against
published numbers (Repetita's Abilene: a minimum achievable maximum utilisation of 0.9).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netplan.analysis.min_mlu import min_max_utilisation
from netplan.analysis.records import link_loads
from netplan.analysis.routing import ecmp_routing
from netplan.io.repetita import read_repetita_demands, read_repetita_graph
from netplan.io.tables import records_to_csv

LINK_LOAD_COLUMNS = ("link", "src", "dst", "capacity_gbps", "load_gbps", "utilisation")


@dataclass(frozen=True)
class ImportedResult:
    """Per-link loads of an imported network and a summary."""

    rows: tuple[dict, ...]
    summary: dict

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``link_loads.csv`` and ``summary.json``."""
        from netplan.io.atomic import write_text_atomic

        directory = Path(directory)
        return [
            write_text_atomic(directory / "link_loads.csv",
                              records_to_csv(list(self.rows), LINK_LOAD_COLUMNS, digits=6)),
            write_text_atomic(directory / "summary.json",
                              json.dumps(self.summary, indent=2) + "\n"),
        ]


def analyze_imported(graph_path: str | os.PathLike, demands_path: str | os.PathLike,
                     routing: str = "ecmp") -> ImportedResult:
    """Route a Repetita demand matrix over its network and report every arc's load.

    Parameters
    ----------
    graph_path, demands_path : path
        Repetita ``.graph`` and ``.demands`` files.
    routing : {"ecmp", "min-mlu"}
        Shortest paths by the file's IGP weights with per-hop ECMP, or the
        multicommodity-flow LP that minimises the maximum utilisation.

    Examples
    --------
    >>> from pathlib import Path
    >>> data = Path("tests/data/repetita")
    >>> r = analyze_imported(data / "Abilene.graph", data / "Abilene.0000.demands", "min-mlu")
    >>> round(r.summary["max_utilisation"], 3)
    0.9
    """
    graph = read_repetita_graph(graph_path)
    od_src, od_dst, demand = read_repetita_demands(demands_path, graph)
    if routing == "ecmp":
        loads = link_loads(ecmp_routing(graph, od_src, od_dst), demand)
    elif routing == "min-mlu":
        loads = min_max_utilisation(graph, od_src, od_dst, demand).arc_flow_gbps
    else:
        raise ValueError(f"unknown routing {routing!r}")
    util = loads / graph.arc_capacity_gbps
    rows = tuple(
        {
            "link": graph.link_ids[graph.arc_link[i]],
            "src": graph.node_ids[graph.arc_src[i]],
            "dst": graph.node_ids[graph.arc_dst[i]],
            "capacity_gbps": float(graph.arc_capacity_gbps[i]),
            "load_gbps": float(loads[i]),
            "utilisation": float(util[i]),
        }
        for i in range(graph.n_arcs)
    )
    summary = {
        "network": graph.name,
        "routing": routing,
        "nodes": graph.n_nodes,
        "arcs": graph.n_arcs,
        "demands": int(np.asarray(od_src).size),
        "total_demand_gbps": float(np.sum(demand)),
        "max_utilisation": float(util.max()) if util.size else 0.0,
    }
    return ImportedResult(rows=rows, summary=summary)
