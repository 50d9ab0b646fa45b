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

from netplan.errors import Problem, RunError, ValidationError
from netplan.model.plane_graph import PlaneGraph

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
        self.rev_order = np.lexsort((self.pair_src, self.pair_dst))

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


def _distances_many(
    graph: PlaneGraph, active_rows: np.ndarray, pair_row: np.ndarray, pair_dest: np.ndarray
) -> np.ndarray:
    """Distances to each pair's destination in its own state, shape (n_pairs, n_nodes).

    States are stacked as disjoint copies of the graph so one Dijkstra call serves many
    states; groups are sized to keep the (sources x stacked nodes) output small.
    """
    n = graph.n_nodes
    n_pairs = pair_dest.size
    out = np.empty((n_pairs, n))
    if n_pairs == 0:
        return out
    prep = _prep(graph)
    w = np.where(active_rows, graph.arc_weight[None, :], np.inf)[:, prep.order]
    if prep.has_parallel:
        w = np.minimum.reduceat(w, prep.starts, axis=1)
    # reversed graph, entries ordered by (head, tail) so CSR rows come out sorted
    rev = prep.rev_order
    w = w[:, rev]
    row_n, col_n = prep.pair_dst[rev], prep.pair_src[rev]
    order = np.argsort(pair_row, kind="stable")
    rows_sorted = pair_row[order]
    cut = np.flatnonzero(np.r_[True, rows_sorted[1:] != rows_sorted[:-1], True])
    lo = 0
    while lo < cut.size - 1:
        # grow the group while (sources x stacked nodes) stays within budget
        hi = lo + 1
        while hi < cut.size - 1 and (cut[hi + 1] - cut[lo]) * (hi + 1 - lo) * n <= _BLOCK_ELEMENTS:
            hi += 1
        states = rows_sorted[cut[lo:hi]]
        wg = w[states]
        keep = np.isfinite(wg)
        block = np.repeat(np.arange(states.size), keep.sum(axis=1))
        r = np.broadcast_to(row_n, wg.shape)[keep] + block * n
        c = np.broadcast_to(col_n, wg.shape)[keep] + block * n
        size = states.size * n
        indptr = np.r_[0, np.cumsum(np.bincount(r, minlength=size))]
        mat = sp.csr_matrix((wg[keep], c, indptr), shape=(size, size))
        sel = order[cut[lo] : cut[hi]]
        local = np.searchsorted(states, pair_row[sel])
        dist = csgraph.dijkstra(mat, directed=True, indices=pair_dest[sel] + local * n)
        dist = np.atleast_2d(dist).reshape(sel.size, states.size, n)
        out[sel] = dist[np.arange(sel.size), local]
        lo = hi
    return out


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
    """Routes of the slots (od columns) of many (state, destination) pairs.

    Split entries are (arc, slot, val): slot ``i`` is the i-th entry of the flat slot list.
    """

    arc: np.ndarray
    slot: np.ndarray
    val: np.ndarray
    slot_reachable: np.ndarray
    slot_latency_ms: np.ndarray
    slot_hops: np.ndarray

    FIELDS = ("arc", "slot", "val", "slot_reachable", "slot_latency_ms", "slot_hops")


def _expand(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups (start, count): the owner of every expanded item and its flat index."""
    owner = np.repeat(np.arange(counts.size), counts)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, starts[owner] + offset


def _solve_pairs(
    graph: PlaneGraph,
    active_rows: np.ndarray,
    pair_row: np.ndarray,
    pair_dest: np.ndarray,
    dist: np.ndarray,
    slot_ptr: np.ndarray,
    slot_cols: np.ndarray,
    od_src: np.ndarray,
) -> _PairResult:
    """Per-hop ECMP splits, worst latencies and hops for many (state, destination) pairs.

    Parameters
    ----------
    active_rows : (n_rows, n_arcs) bool
        Arc availability per failure state; ``pair_row`` picks the row of every pair.
    pair_dest : (n_pairs,) destination node of every pair.
    dist : (n_pairs, n_nodes) distance of every node to the pair's destination.
    slot_ptr, slot_cols : the od columns of pair ``p`` are
        ``slot_cols[slot_ptr[p]:slot_ptr[p + 1]]``.
    """
    n_pairs = pair_dest.size
    take = max(1, _BLOCK_ELEMENTS // (4 * graph.n_arcs + 3 * graph.n_nodes))
    parts: list[_PairResult] = []
    for lo in range(0, n_pairs, take):
        hi = min(lo + take, n_pairs)
        s_lo, s_hi = slot_ptr[lo], slot_ptr[hi]
        res = _solve_chunk(
            graph,
            active_rows[pair_row[lo:hi]],
            pair_dest[lo:hi],
            dist[lo:hi],
            slot_ptr[lo : hi + 1] - s_lo,
            slot_cols[s_lo:s_hi],
            od_src,
        )
        res.slot += s_lo
        parts.append(res)
    if not parts:
        e, ei = np.zeros(0), np.zeros(0, dtype=np.int64)
        return _PairResult(ei, ei, e, np.zeros(0, bool), e, np.zeros(0, np.int32))
    return _PairResult(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in _PairResult.FIELDS)
    )


def _solve_chunk(
    graph: PlaneGraph,
    active: np.ndarray,
    dest: np.ndarray,
    dist: np.ndarray,
    slot_ptr: np.ndarray,
    slot_cols: np.ndarray,
    od_src: np.ndarray,
) -> _PairResult:
    n_p, n = dest.size, graph.n_nodes
    src, dst = graph.arc_src, graph.arc_dst
    size = n_p * n  # one block of nodes per pair

    # shortest-path DAG towards each pair's destination
    d_head = dist[:, dst]
    dag = active & np.isfinite(d_head) & (dist[:, src] >= (graph.arc_weight + d_head) * (1 - _RTOL))
    p_e, a_e = np.nonzero(dag)
    tail = p_e * n + src[a_e]
    head = p_e * n + dst[a_e]
    outdeg = np.bincount(tail, minlength=size)
    share = 1.0 / outdeg[tail]  # per-hop ECMP: equal shares over the DAG arcs leaving a node

    # node-visit fractions: F = X0 (I + T + T^2 + ...), where T moves one hop down the DAG;
    # the series ends because the DAG is acyclic (every arc gets strictly nearer)
    step = sp.csr_matrix((share, (tail, head)), shape=(size, size))
    n_s = slot_cols.size
    slot_pair = np.repeat(np.arange(n_p), np.diff(slot_ptr))
    start = slot_pair * n + od_src[slot_cols]
    wave = sp.csr_matrix((np.ones(n_s), (np.arange(n_s), start)), shape=(n_s, size))
    visits = wave
    for _ in range(n):
        wave = wave @ step
        if wave.nnz == 0:
            break
        visits = visits + wave
    else:
        raise RunError(
            f"{graph.name}: the shortest-path graph has a cycle; are some arc weights close "
            "to 0 relative to path lengths?"
        )
    # arc fraction = visit fraction at its tail x its share
    leave = sp.csr_matrix((share, (tail, np.arange(tail.size))), shape=(size, tail.size))
    split = (visits @ leave).tocoo()

    # worst latency and most hops from every node to the destination (longest DAG paths)
    lat = np.full(size, -np.inf)
    hop = np.full(size, -np.inf)
    lat[np.arange(n_p) * n + dest] = 0.0
    hop[np.arange(n_p) * n + dest] = 0.0
    if tail.size:
        by_tail = np.argsort(tail, kind="stable")
        t_sorted, h_sorted = tail[by_tail], head[by_tail]
        lat_arc = graph.arc_latency_ms[a_e[by_tail]]
        cut = np.flatnonzero(np.r_[True, t_sorted[1:] != t_sorted[:-1]])
        tails = t_sorted[cut]
        for _ in range(n + 1):
            new_lat = np.maximum.reduceat(lat_arc + lat[h_sorted], cut)
            new_hop = np.maximum.reduceat(1.0 + hop[h_sorted], cut)
            if np.array_equal(new_lat, lat[tails]) and np.array_equal(new_hop, hop[tails]):
                break
            lat[tails] = new_lat
            hop[tails] = new_hop

    reach = np.isfinite(dist[slot_pair, od_src[slot_cols]])
    return _PairResult(
        arc=a_e[split.col].astype(np.int64),
        slot=split.row.astype(np.int64),
        val=split.data,
        slot_reachable=reach,
        slot_latency_ms=np.where(reach, lat[start], np.inf),
        slot_hops=np.where(reach, hop[start], -1).astype(np.int32),
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
                Problem(
                    graph.source,
                    f"od[{i}]",
                    f"source and destination are both {graph.node_ids[src[i]]!r}",
                )
            )
    if problems:
        raise ValidationError(problems)
    return src, dst


def _failure_indices(graph: PlaneGraph, failed_links, failed_nodes):
    links = np.unique(graph.link_positions(failed_links, "failed_links"))
    nodes = np.unique(graph.node_positions(failed_nodes, "failed_nodes")).astype(np.int64)
    return links, nodes


def _group_by_dest(
    od_dst: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique destinations of the given od columns, and the columns of each (flat + pointers)."""
    d = od_dst[cols]
    order = np.argsort(d, kind="stable")
    slot_cols, d_sorted = cols[order], d[order]
    cut = np.flatnonzero(np.r_[True, d_sorted[1:] != d_sorted[:-1]]) if cols.size else cols
    slot_ptr = np.r_[cut, cols.size].astype(np.int64)
    return d_sorted[cut].astype(np.int64), slot_ptr, slot_cols.astype(np.int64)


def _route_columns(
    graph: PlaneGraph, active: np.ndarray, src: np.ndarray, dst: np.ndarray, cols: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Split matrix, reachability, latency and hops of the given od columns in one state."""
    n_od = src.size
    dests, slot_ptr, slot_cols = _group_by_dest(dst, cols)
    dist = _distances_to(graph, active, dests)
    res = _solve_pairs(
        graph,
        active[None, :],
        np.zeros(dests.size, dtype=np.int64),
        dests,
        dist,
        slot_ptr,
        slot_cols,
        src,
    )
    split = sp.csr_matrix((res.val, (res.arc, slot_cols[res.slot])), shape=(graph.n_arcs, n_od))
    reachable = np.zeros(n_od, dtype=bool)
    latency = np.full(n_od, np.inf)
    hops = np.full(n_od, -1, dtype=np.int32)
    reachable[slot_cols] = res.slot_reachable
    latency[slot_cols] = res.slot_latency_ms
    hops[slot_cols] = res.slot_hops
    return split, reachable, latency, hops


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
    src, dst = _od_arrays(graph, od_src, od_dst)
    links, nodes = _failure_indices(graph, failed_links, failed_nodes)
    active = _active_arcs(graph, links, nodes)
    n_od = src.size
    dropped = np.isin(src, nodes) | np.isin(dst, nodes)
    live = np.flatnonzero(~dropped)
    split, reachable, latency, hops = _route_columns(graph, active, src, dst, live)
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
