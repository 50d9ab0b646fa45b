"""Minimum maximum utilisation: the fractional multicommodity-flow lower bound.

No routing, however clever, can load the network's busiest arc less than this LP allows:
it is the yardstick for ECMP and for the optimizer. Flows are aggregated per source (one
commodity per origin node), which gives the same optimum as one commodity per od with far
fewer variables.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse import csgraph

from netplan.analysis.shortest_paths import active_arcs, failure_indices, od_arrays, prepare
from netplan.errors import Problem, RunError, ValidationError
from netplan.model.plane_graph import PlaneGraph

__all__ = ["MinMluResult", "min_max_utilisation"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class MinMluResult:
    """Optimum of the min-max-utilisation LP.

    Attributes
    ----------
    mlu : float
        Smallest achievable maximum arc utilisation (load / capacity).
    arc_flow_gbps : ndarray, shape (n_arcs,)
        An optimal total flow per arc. Among optimal flows, one with the least total
        arc flow is chosen, so it carries no pointless cycles.
    status : str
        Solver message.
    """

    mlu: float
    arc_flow_gbps: np.ndarray
    status: str


def min_max_utilisation(
    graph: PlaneGraph,
    od_src,
    od_dst,
    demand_gbps,
    failed_links: Sequence = (),
) -> MinMluResult:
    """Route the demand fractionally so that the maximum arc utilisation is smallest.

    Parameters
    ----------
    graph : PlaneGraph
    od_src, od_dst : array_like of int or str
        Origin and destination of every od.
    demand_gbps : array_like, shape (n_od,)
        Demand of every od, >= 0.
    failed_links : sequence of int or str, optional
        Links removed before solving.

    Returns
    -------
    MinMluResult

    Raises
    ------
    ValidationError
        Bad ods or negative demand.
    RunError
        A positive demand whose destination cannot be reached, or a solver failure.

    Examples
    --------
    3 Gbit/s from A to C: the direct arc has 1 Gbit/s, the way over B has 2 Gbit/s; the
    best split sends 1 direct and 2 over B, everything at utilisation 1.

    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ac", "ab", "bc"], list("AAB"),
    ...                           list("CBC"), capacity_gbps=[1.0, 2.0, 2.0])
    >>> res = min_max_utilisation(g, ["A"], ["C"], [3.0])
    >>> round(res.mlu, 6), res.arc_flow_gbps.round(6).tolist()
    (1.0, [1.0, 0.0, 2.0, 0.0, 2.0, 0.0])
    """
    src, dst = od_arrays(graph, od_src, od_dst)
    demand = np.asarray(demand_gbps, dtype=np.float64).reshape(-1)
    if demand.size != src.size:
        raise ValidationError(
            [Problem(graph.source, "demand_gbps", f"expected {src.size} values, got {demand.size}")]
        )
    bad = ~np.isfinite(demand) | (demand < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            [
                Problem(
                    graph.source, f"demand_gbps[{i}]", f"must be finite and >= 0, got {demand[i]}"
                )
            ]
        )
    links, _ = failure_indices(graph, failed_links, ())
    active = active_arcs(graph, links, ())
    m, n = graph.n_arcs, graph.n_nodes
    pos = demand > 0
    if not pos.any():
        return MinMluResult(0.0, np.zeros(m), "no demand")
    sources = np.unique(src[pos])
    dist = csgraph.dijkstra(
        prepare(graph).matrix(graph, active, reverse=False), directed=True, indices=sources
    )
    row_of = {int(s): i for i, s in enumerate(sources)}
    for i in np.flatnonzero(pos):
        if not np.isfinite(dist[row_of[int(src[i])], dst[i]]):
            raise RunError(
                f"{graph.name}: no path from {graph.node_ids[src[i]]!r} to "
                f"{graph.node_ids[dst[i]]!r} for {demand[i]:g} Gbit/s"
            )

    k = sources.size
    arcs = np.flatnonzero(active)
    ma = arcs.size
    # node balance per (source commodity, node): out - in = supply
    supply = np.zeros((k, n))
    sidx = np.searchsorted(sources, src[pos])
    np.add.at(supply, (sidx, dst[pos]), -demand[pos])
    np.add.at(supply, (sidx, src[pos]), demand[pos])
    commodity = np.repeat(np.arange(k), ma)
    arc_of_var = np.tile(arcs, k)
    var = np.arange(k * ma)
    rows = np.r_[
        commodity * n + graph.arc_src[arc_of_var], commodity * n + graph.arc_dst[arc_of_var]
    ]
    vals = np.r_[np.ones(k * ma), -np.ones(k * ma)]
    a_eq = sp.csr_matrix((vals, (rows, np.r_[var, var])), shape=(k * n, k * ma + 1))
    # capacity: sum over commodities of the arc flow <= capacity * U
    col_u = np.full(ma, k * ma)
    a_ub = sp.csr_matrix(
        (
            np.r_[np.ones(k * ma), -graph.arc_capacity_gbps[arcs]],
            (np.r_[np.tile(np.arange(ma), k), np.arange(ma)], np.r_[var, col_u]),
        ),
        shape=(ma, k * ma + 1),
    )
    b_ub = np.zeros(ma)
    cost = np.zeros(k * ma + 1)
    cost[-1] = 1.0
    res = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=supply.ravel(), bounds=(0, None), method="highs"
    )
    if res.status != 0:
        raise RunError(f"{graph.name}: min-max-utilisation LP failed: {res.message}")
    mlu = float(res.x[-1])
    # second pass: among optimal routings take the least total flow (no cycles)
    cost2 = np.r_[np.ones(k * ma), 0.0]
    upper = mlu * (1 + 1e-9) + 1e-12
    res2 = linprog(
        cost2,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=supply.ravel(),
        bounds=[(0, None)] * (k * ma) + [(0, upper)],
        method="highs",
    )
    x = res2.x if res2.status == 0 else res.x
    if res2.status != 0:
        log.warning(
            "%s: flow clean-up LP failed (%s); keeping the first solution", graph.name, res2.message
        )
    flow = np.zeros(m)
    flow[arcs] = x[:-1].reshape(k, ma).sum(axis=0)
    flow.setflags(write=False)
    return MinMluResult(mlu=mlu, arc_flow_gbps=flow, status=str(res.message))
