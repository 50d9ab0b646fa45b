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
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from netplan.errors import Problem, ValidationError
from netplan.graph import PlaneGraph

__all__ = [
    "Routing",
    "ecmp_routing",
    "k_shortest_paths",
    "shortest_path_avoiding",
]

log = logging.getLogger(__name__)

_RTOL = 1e-9
"""Relative tolerance for 'this arc lies on a shortest path' (sums of float weights)."""

_BLOCK_ELEMENTS = 1 << 21
"""Working-array budget (float64 elements) for one chunk of (state, destination) pairs."""


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


# ---------------------------------------------------------------------- graph preparation
class _Prep:
    """Per-graph index structures, built once and cached."""

    def __init__(self, graph: PlaneGraph):
        n = graph.n_nodes
        key = graph.arc_src.astype(np.int64) * n + graph.arc_dst
        # arcs grouped by (src, dst) so parallel arcs collapse to their cheapest one
        self.order = np.argsort(key, kind="stable")
        skey = key[self.order]
        self.starts = np.flatnonzero(np.r_[True, np.diff(skey) != 0])
        self.pair_src = (skey[self.starts] // max(n, 1)).astype(np.int32)
        self.pair_dst = (skey[self.starts] % max(n, 1)).astype(np.int32)
        self.has_parallel = self.starts.size < graph.n_arcs
        self.pair_of_arc = np.empty(graph.n_arcs, dtype=np.int64)
        self.pair_of_arc[self.order] = np.repeat(
            np.arange(self.starts.size), np.diff(np.r_[self.starts, graph.n_arcs])
        )

    def matrix(self, graph: PlaneGraph, active: np.ndarray, *, reverse: bool) -> sp.csr_matrix:
        """Weighted adjacency (cheapest active arc per node pair), optionally reversed."""
        w = np.where(active, graph.arc_weight, np.inf)[self.order]
        if self.has_parallel:
            w = np.minimum.reduceat(w, self.starts)
        keep = np.isfinite(w)
        rows, cols = (self.pair_dst, self.pair_src) if reverse else (self.pair_src, self.pair_dst)
        n = graph.n_nodes
        return sp.csr_matrix((w[keep], (rows[keep], cols[keep])), shape=(n, n))


_PREP: weakref.WeakKeyDictionary[PlaneGraph, _Prep] = weakref.WeakKeyDictionary()


def _prep(graph: PlaneGraph) -> _Prep:
    prep = _PREP.get(graph)
    if prep is None:
        prep = _Prep(graph)
        _PREP[graph] = prep
    return prep


def _distances_to(graph: PlaneGraph, active: np.ndarray, dests: np.ndarray) -> np.ndarray:
    """Distance of every node to each destination, shape (len(dests), n_nodes)."""
    if dests.size == 0:
        return np.zeros((0, graph.n_nodes))
    mat = _prep(graph).matrix(graph, active, reverse=True)
    dist = csgraph.dijkstra(mat, directed=True, indices=dests)
    return np.atleast_2d(dist)


def _active_arcs(graph: PlaneGraph, failed_links, failed_nodes) -> np.ndarray:
    active = np.ones(graph.n_arcs, dtype=bool)
    if len(failed_links):
        active[graph.arcs_of_links(failed_links)] = False
    if len(failed_nodes):
        active[graph.arcs_at_nodes(failed_nodes)] = False
    return active


# ---------------------------------------------------------------------- the ECMP engine
@dataclass
class _PairResult:
    """Routes of a batch of (state, destination) pairs; ``slots`` name od columns."""

    arc: np.ndarray  # split entries: arc index
    pair: np.ndarray  # split entries: pair index
    col: np.ndarray  # split entries: od column
    val: np.ndarray  # split entries: fraction
    slot_col: np.ndarray  # (n_slots,) od column of every slot, pairs in input order
    slot_reachable: np.ndarray
    slot_latency_ms: np.ndarray
    slot_hops: np.ndarray
    dag: np.ndarray | None  # (n_pairs, n_arcs) when requested


def _solve_pairs(
    graph: PlaneGraph,
    active_rows: np.ndarray,
    pair_row: np.ndarray,
    pair_dest: np.ndarray,
    dist: np.ndarray,
    slots: list[np.ndarray],
    od_src: np.ndarray,
    *,
    want_dag: bool = False,
) -> _PairResult:
    """Per-hop ECMP splits, worst latencies and hops for many (state, destination) pairs.

    Parameters
    ----------
    active_rows : (n_rows, n_arcs) bool
        Arc availability per failure state; ``pair_row`` picks the row of every pair.
    pair_dest : (n_pairs,) destination node of every pair.
    dist : (n_pairs, n_nodes) distance of every node to the pair's destination.
    slots : list of arrays, one per pair: the od columns routed in that pair.
    """
    n_pairs = pair_dest.size
    n, m = graph.n_nodes, graph.n_arcs
    counts = np.array([s.size for s in slots], dtype=np.int64)
    # group pairs with similar slot counts so the padded source axis stays tight
    order = np.argsort(counts, kind="stable")
    parts: list[_PairResult] = []
    dag_all = np.zeros((n_pairs, m), dtype=bool) if want_dag else None
    i = 0
    while i < n_pairs:
        width = max(int(counts[order[min(i, n_pairs - 1)]]), 1)
        per_pair = n * width + 2 * m
        take = max(1, _BLOCK_ELEMENTS // per_pair)
        chunk = order[i : i + take]
        # widen the chunk's padding to its largest member
        width = max(int(counts[chunk].max()), 1)
        res = _solve_chunk(
            graph, active_rows[pair_row[chunk]], pair_dest[chunk], dist[chunk],
            [slots[j] for j in chunk], width, od_src,
        )
        res.pair = chunk[res.pair]
        if dag_all is not None:
            dag_all[chunk] = res.dag
        res.dag = None
        parts.append(res)
        i += take
    if not parts:
        e = np.zeros(0)
        ei = np.zeros(0, dtype=np.int64)
        return _PairResult(ei, ei, ei, e, ei, np.zeros(0, bool), e, ei.astype(np.int32), dag_all)
    # chunks were solved in slot-count order: put the per-slot results back in input order
    first = np.r_[0, np.cumsum(counts)[:-1]]
    done = order[counts[order] > 0]
    back = np.repeat(first[done] - np.r_[0, np.cumsum(counts[done])[:-1]], counts[done])
    back += np.arange(back.size)

    def slot_values(name: str) -> np.ndarray:
        got = np.concatenate([getattr(p, name) for p in parts])
        out = np.empty_like(got)
        out[back] = got
        return out

    return _PairResult(
        arc=np.concatenate([p.arc for p in parts]),
        pair=np.concatenate([p.pair for p in parts]),
        col=np.concatenate([p.col for p in parts]),
        val=np.concatenate([p.val for p in parts]),
        slot_col=slot_values("slot_col"),
        slot_reachable=slot_values("slot_reachable"),
        slot_latency_ms=slot_values("slot_latency_ms"),
        slot_hops=slot_values("slot_hops"),
        dag=dag_all,
    )


def _solve_chunk(
    graph: PlaneGraph,
    active: np.ndarray,
    dest: np.ndarray,
    dist: np.ndarray,
    slots: list[np.ndarray],
    width: int,
    od_src: np.ndarray,
) -> _PairResult:
    n_p = dest.size
    n = graph.n_nodes
    src, dst = graph.arc_src, graph.arc_dst
    # slot table: od column per (pair, slot), -1 for padding
    slot_col = np.full((n_p, width), -1, dtype=np.int64)
    for p, cols in enumerate(slots):
        slot_col[p, : cols.size] = cols
    valid = slot_col >= 0
    slot_node = np.where(valid, od_src[np.maximum(slot_col, 0)], 0)

    # shortest-path DAG towards each pair's destination
    d_tail = dist[:, src]
    d_head = dist[:, dst]
    through = graph.arc_weight + d_head
    dag = active & np.isfinite(d_head) & (d_tail >= through * (1.0 - _RTOL))
    p_e, a_e = np.nonzero(dag)
    u_e = src[a_e]
    v_e = dst[a_e]
    outdeg = np.zeros((n_p, n), dtype=np.float64)
    np.add.at(outdeg, (p_e, u_e), 1.0)
    coef = 1.0 / outdeg[p_e, u_e]

    # topological order: farthest from the destination first
    rank = np.empty((n_p, n), dtype=np.int64)
    rows = np.arange(n_p)[:, None]
    rank[rows, np.argsort(-dist, axis=1, kind="stable")] = np.arange(n)[None, :]
    step = rank[p_e, u_e]
    by_step = np.argsort(step, kind="stable")
    p_s, u_s, v_s, a_s, c_s, st_s = (
        p_e[by_step], u_e[by_step], v_e[by_step], a_e[by_step], coef[by_step], step[by_step]
    )
    bounds = np.flatnonzero(np.r_[True, np.diff(st_s) != 0, True]) if st_s.size else np.zeros(1, int)

    # node-visit fractions: flow[p, u, j] of slot j's traffic passing node u
    flow = np.zeros((n_p, n, width), dtype=np.float64)
    pp, jj = np.nonzero(valid)
    flow[pp, slot_node[pp, jj], jj] = 1.0
    parallel = _prep(graph).has_parallel
    for k in range(bounds.size - 1):
        lo, hi = bounds[k], bounds[k + 1]
        p_k, u_k, v_k = p_s[lo:hi], u_s[lo:hi], v_s[lo:hi]
        push = flow[p_k, u_k, :] * c_s[lo:hi, None]
        if parallel:
            np.add.at(flow, (p_k, v_k), push)
        else:
            # one tail per pair per step and no parallel arcs: (pair, head) are unique
            flow[p_k, v_k, :] += push

    # worst latency and most hops to the destination, nearest nodes first
    lat_max = np.full((n_p, n), -np.inf)
    hop_max = np.full((n_p, n), -np.inf)
    lat_max[np.arange(n_p), dest] = 0.0
    hop_max[np.arange(n_p), dest] = 0.0
    lat_arc = graph.arc_latency_ms
    for k in range(bounds.size - 2, -1, -1):
        lo, hi = bounds[k], bounds[k + 1]
        p_k, u_k, v_k, a_k = p_s[lo:hi], u_s[lo:hi], v_s[lo:hi], a_s[lo:hi]
        np.maximum.at(lat_max, (p_k, u_k), lat_arc[a_k] + lat_max[p_k, v_k])
        np.maximum.at(hop_max, (p_k, u_k), 1.0 + hop_max[p_k, v_k])

    # split entries: arc fraction = flow at the tail / number of DAG arcs leaving it
    vals = flow[p_e, u_e, :] * coef[:, None]
    e_idx, j_idx = np.nonzero(vals > 0.0)
    reach = np.isfinite(dist[pp, slot_node[pp, jj]])
    lat = np.where(reach, lat_max[pp, slot_node[pp, jj]], np.inf)
    hops = np.where(reach, hop_max[pp, slot_node[pp, jj]], -1).astype(np.int32)
    return _PairResult(
        arc=a_e[e_idx].astype(np.int64),
        pair=p_e[e_idx].astype(np.int64),
        col=slot_col[p_e[e_idx], j_idx],
        val=vals[e_idx, j_idx],
        slot_col=slot_col[pp, jj],
        slot_reachable=reach,
        slot_latency_ms=lat,
        slot_hops=hops,
        dag=dag,
    )


# ---------------------------------------------------------------------- input checks
def _od_arrays(graph: PlaneGraph, od_src, od_dst) -> tuple[np.ndarray, np.ndarray]:
    src = graph.node_positions(od_src, "od_src")
    dst = graph.node_positions(od_dst, "od_dst")
    problems: list[Problem] = []
    if src.size != dst.size:
        problems.append(
            Problem(graph.source, "od_dst", f"expected {src.size} destinations, got {dst.size}")
        )
    else:
        for i in np.flatnonzero(src == dst)[:20]:
            problems.append(
                Problem(graph.source, f"od[{i}]",
                        f"source and destination are both {graph.node_ids[src[i]]!r}")
            )
    if problems:
        raise ValidationError(problems)
    return src, dst


def _failure_indices(graph: PlaneGraph, failed_links, failed_nodes):
    links = np.unique(graph.link_positions(failed_links, "failed_links"))
    nodes = np.unique(graph.node_positions(failed_nodes, "failed_nodes")).astype(np.int64)
    return links, nodes


def _group_by_dest(od_dst: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Unique destinations of the given od columns and the columns of each."""
    if cols.size == 0:
        return np.zeros(0, dtype=np.int64), []
    d = od_dst[cols]
    order = np.argsort(d, kind="stable")
    cols_sorted, d_sorted = cols[order], d[order]
    cut = np.flatnonzero(np.r_[True, np.diff(d_sorted) != 0])
    groups = np.split(cols_sorted, cut[1:])
    return d_sorted[cut].astype(np.int64), groups


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

    >>> from netplan.graph import PlaneGraph
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
    src, dst = _od_arrays(graph, od_src, od_dst)
    links, nodes = _failure_indices(graph, failed_links, failed_nodes)
    active = _active_arcs(graph, links, nodes)
    n_od = src.size
    dropped = np.isin(src, nodes) | np.isin(dst, nodes)
    live = np.flatnonzero(~dropped)
    dests, groups = _group_by_dest(dst, live)
    dist = _distances_to(graph, active, dests)
    res = _solve_pairs(
        graph, active[None, :], np.zeros(dests.size, dtype=np.int64), dests, dist, groups, src
    )
    split = sp.csr_matrix((res.val, (res.arc, res.col)), shape=(graph.n_arcs, n_od))
    reachable = np.zeros(n_od, dtype=bool)
    latency = np.full(n_od, np.inf)
    hops = np.full(n_od, -1, dtype=np.int32)
    reachable[res.slot_col] = res.slot_reachable
    latency[res.slot_col] = res.slot_latency_ms
    hops[res.slot_col] = res.slot_hops
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
    prep = _prep(graph)
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
    >>> from netplan.graph import PlaneGraph
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
    links, _ = _failure_indices(graph, avoid_links, ())
    if s == t:
        return np.zeros(0, dtype=np.int64)
    found = _shortest_arcs(graph, _active_arcs(graph, links, ()), s, t)
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
    >>> from netplan.graph import PlaneGraph
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
    links, _ = _failure_indices(graph, failed_links, ())
    base_active = _active_arcs(graph, links, ())
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
