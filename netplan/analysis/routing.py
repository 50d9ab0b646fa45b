"""Shortest-path routing with per-hop ECMP, and loopless k-shortest paths.

ECMP here is what routers do: at every node, the traffic towards a destination is split
equally over all outgoing arcs that lie on a shortest path to it (the shortest-path DAG).
This is *not* an equal split over paths: in a DAG where one branch fans out again, the
paths through that branch each get a smaller share.

The hot path is array code. Distances come from :func:`scipy.sparse.csgraph.dijkstra` on the
reversed graph (one call gives the distance of every node to many destinations); the split
fractions of all sources towards a destination are then pushed through the DAG in
topological order, for many (failure state, destination) pairs at once.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from netplan.analysis.shortest_paths import (
    active_arcs,
    failure_indices,
    od_arrays,
    prepare,
    route_columns,
)
from netplan.errors import Problem, ValidationError
from netplan.model.plane_graph import PlaneGraph

__all__ = [
    "Routing",
    "ecmp_routing",
    "k_shortest_paths",
    "shortest_path_avoiding",
]
log = logging.getLogger(__name__)


# ---------------------------------------------------------------------- result type
@dataclass(frozen=True, eq=False)
class Routing:
    """How every origin-destination pair (od) is routed in one failure state.

    Attributes
    ----------
    split : scipy.sparse.csr_matrix, shape (n_arcs, n_od)
        Fraction of each od's demand carried by each arc.
    reachable : ndarray of bool, shape (n_od,)
        False where the destination cannot be reached or an end node has failed; such
        demand is dropped (and must be reported as lost).
    latency_ms : ndarray of float64, shape (n_od,)
        Worst one-way latency over the od's ECMP paths; ``inf`` when unreachable.
    hops : ndarray of int32, shape (n_od,)
        Most hops over the od's ECMP paths; -1 when unreachable.
    od_src, od_dst : ndarray of int32
        Node indices of the ods.
    failed_links, failed_nodes : tuple of int
        The failure state this routing belongs to.
    """

    split: sp.csr_matrix
    reachable: np.ndarray
    latency_ms: np.ndarray
    hops: np.ndarray
    od_src: np.ndarray
    od_dst: np.ndarray
    failed_links: tuple[int, ...] = ()
    failed_nodes: tuple[int, ...] = ()

    @property
    def n_od(self) -> int:
        """Number of ods."""
        return int(self.od_src.size)


# ---------------------------------------------------------------------- public API
def ecmp_routing(
    graph: PlaneGraph,
    od_src,
    od_dst,
    failed_links: Sequence = (),
    failed_nodes: Sequence = (),
) -> Routing:
    """Route every od over shortest paths with per-hop equal-cost multipath.

    Parameters
    ----------
    graph : PlaneGraph
    od_src, od_dst : array_like of int or str
        Origin and destination of every od, as node indices or node ids.
    failed_links : sequence of int or str, optional
        Links that are down (indices or ids): none of their arcs is used.
    failed_nodes : sequence of int or str, optional
        Nodes that are down. Traffic to or from them is dropped (``reachable`` False),
        not rerouted; traffic through them takes other shortest paths.

    Returns
    -------
    Routing

    Examples
    --------
    A square A-B-D, A-C-D with unit weights: A's traffic to D splits half and half.

    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("sq", list("ABCD"), ["ab", "bd", "ac", "cd"],
    ...                           list("ABAC"), list("BDCD"), capacity_gbps=10.0)
    >>> r = ecmp_routing(g, ["A"], ["D"])
    >>> r.split.toarray()[:, 0].tolist()  # arcs ab, ba, bd, db, ac, ca, cd, dc
    [0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0]
    >>> r.hops.tolist(), r.reachable.tolist()
    ([2], [True])
    >>> ecmp_routing(g, ["A"], ["D"], failed_links=["ab"]).split.toarray()[:, 0].tolist()
    [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    """
    src, dst = od_arrays(graph, od_src, od_dst)
    links, nodes = failure_indices(graph, failed_links, failed_nodes)
    active = active_arcs(graph, links, nodes)
    n_od = src.size
    dropped = np.isin(src, nodes) | np.isin(dst, nodes)
    live = np.flatnonzero(~dropped)
    split, reachable, latency, hops = route_columns(graph, active, src, dst, live)
    n_lost = int(n_od - reachable.sum())
    if n_lost:
        log.debug("%s: %d of %d ods unreachable", graph.name, n_lost, n_od)
    for arr in (reachable, latency, hops, src, dst):
        arr.setflags(write=False)
    return Routing(
        split=split,
        reachable=reachable,
        latency_ms=latency,
        hops=hops,
        od_src=src,
        od_dst=dst,
        failed_links=tuple(int(x) for x in links),
        failed_nodes=tuple(int(x) for x in nodes),
    )


def _shortest_arcs(
    graph: PlaneGraph, active: np.ndarray, src: int, dst: int
) -> tuple[float, np.ndarray] | None:
    """Cheapest active path src -> dst as arc indices, or None."""
    prep = prepare(graph)
    mat = prep.matrix(graph, active, reverse=False)
    dist, pred = csgraph.dijkstra(mat, directed=True, indices=src, return_predecessors=True)
    if not np.isfinite(dist[dst]):
        return None
    nodes = [dst]
    while nodes[-1] != src:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    arcs = []
    w = np.where(active, graph.arc_weight, np.inf)
    for u, v in zip(nodes[:-1], nodes[1:], strict=True):
        cand = np.flatnonzero((graph.arc_src == u) & (graph.arc_dst == v) & active)
        arcs.append(int(cand[np.argmin(w[cand])]))  # cheapest parallel arc, lowest index
    arcs_arr = np.asarray(arcs, dtype=np.int64)
    return float(graph.arc_weight[arcs_arr].sum()), arcs_arr


def _single_node(graph: PlaneGraph, node, name: str) -> int:
    return int(graph.node_positions([node], name)[0])


def shortest_path_avoiding(
    graph: PlaneGraph, src, dst, avoid_links: Sequence = ()
) -> np.ndarray | None:
    """One shortest path from ``src`` to ``dst`` that uses none of ``avoid_links``.

    Parameters
    ----------
    graph : PlaneGraph
    src, dst : int or str
        Node index or node id.
    avoid_links : sequence of int or str
        Links the path must not use.

    Returns
    -------
    ndarray of int64 or None
        Arc indices along the path, or None when no such path exists. Ties between
        equal-cost paths are broken deterministically.

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ac"], list("ABA"),
    ...                           list("BCC"), 1.0, weight=[1, 1, 5])
    >>> shortest_path_avoiding(g, "A", "C").tolist()
    [0, 2]
    >>> shortest_path_avoiding(g, "A", "C", avoid_links=["bc"]).tolist()
    [4]
    >>> shortest_path_avoiding(g, "A", "C", avoid_links=["bc", "ac"]) is None
    True
    """
    s, t = _single_node(graph, src, "src"), _single_node(graph, dst, "dst")
    links, _ = failure_indices(graph, avoid_links, ())
    if s == t:
        return np.zeros(0, dtype=np.int64)
    found = _shortest_arcs(graph, active_arcs(graph, links, ()), s, t)
    return None if found is None else found[1]


def k_shortest_paths(
    graph: PlaneGraph, src, dst, k: int, failed_links: Sequence = ()
) -> list[np.ndarray]:
    """The ``k`` cheapest loopless paths from ``src`` to ``dst`` (Yen's algorithm).

    Parameters
    ----------
    graph : PlaneGraph
    src, dst : int or str
        Node index or node id (different nodes).
    k : int
        How many paths, >= 1. Fewer are returned when fewer exist.
    failed_links : sequence of int or str, optional
        Links no path may use.

    Returns
    -------
    list of ndarray of int64
        Arc-index paths in non-decreasing cost (sum of ``arc_weight``), ties broken
        deterministically. Parallel arcs give distinct paths.

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("t", list("ABCD"), ["ab", "bd", "ac", "cd", "ad"],
    ...                           list("ABACA"), list("BDCDD"), 1.0, weight=[1, 1, 1, 2, 4])
    >>> [p.tolist() for p in k_shortest_paths(g, "A", "D", 5)]
    [[0, 2], [4, 6], [8]]
    """
    if int(k) < 1:
        raise ValidationError([Problem(graph.source, "k", f"must be >= 1, got {k}")])
    s, t = _single_node(graph, src, "src"), _single_node(graph, dst, "dst")
    if s == t:
        raise ValidationError(
            [Problem(graph.source, "dst", f"source and destination are both {graph.node_ids[s]!r}")]
        )
    links, _ = failure_indices(graph, failed_links, ())
    base_active = active_arcs(graph, links, ())
    first = _shortest_arcs(graph, base_active, s, t)
    if first is None:
        return []
    weight = graph.arc_weight
    accepted: list[tuple[int, ...]] = [tuple(first[1].tolist())]
    seen = {accepted[0]}
    candidates: list[tuple[float, int, tuple[int, ...]]] = []
    while len(accepted) < k:
        prev = accepted[-1]
        prev_nodes = [s] + [int(graph.arc_dst[a]) for a in prev]
        for j in range(len(prev)):
            root = prev[:j]
            spur = prev_nodes[j]
            active = base_active.copy()
            for path in accepted:
                if path[:j] == root:
                    active[path[j]] = False  # the next arc of an accepted path with this root
            if j:
                active[graph.arcs_at_nodes(prev_nodes[:j])] = False  # keep the path loopless
            found = _shortest_arcs(graph, active, spur, t)
            if found is None:
                continue
            path = root + tuple(found[1].tolist())
            if path in seen:
                continue
            seen.add(path)
            cost = float(weight[list(path)].sum())
            heapq.heappush(candidates, (cost, len(path), path))
        if not candidates:
            break
        accepted.append(heapq.heappop(candidates)[2])
    return [np.asarray(p, dtype=np.int64) for p in accepted]
