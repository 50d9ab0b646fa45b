"""The shortest-path DAG core under ECMP routing and the failure sweep.

Distances come from :func:`scipy.sparse.csgraph.dijkstra` on the reversed graph (one call
gives the distance of every node to many destinations); the split fractions of all sources
towards a destination are then pushed through the DAG in topological order, for many
(failure state, destination) pairs at once. :mod:`netplan.analysis.routing` builds whole
routings from it; :mod:`netplan.analysis.failures` re-routes the columns a failure touches.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from netplan.errors import Problem, RunError, ValidationError
from netplan.model.plane_graph import PlaneGraph

log = logging.getLogger(__name__)

ON_PATH_RTOL = 1e-9
"""Relative tolerance for 'this arc lies on a shortest path' (sums of float weights)."""

_BLOCK_ELEMENTS = 1 << 21
"""Working-array budget (float64 elements) for one chunk of (state, destination) pairs."""



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
        # arcs grouped by tail and by head (CSR), for the compiled kernel
        self.out_arc = np.argsort(graph.arc_src, kind="stable").astype(np.int64)
        self.out_ptr = np.r_[0, np.cumsum(np.bincount(graph.arc_src, minlength=n))]
        self.in_arc = np.argsort(graph.arc_dst, kind="stable").astype(np.int64)
        self.in_ptr = np.r_[0, np.cumsum(np.bincount(graph.arc_dst, minlength=n))]

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


def prepare(graph: PlaneGraph) -> _Prep:
    prep = _PREP.get(graph)
    if prep is None:
        prep = _Prep(graph)
        _PREP[graph] = prep
    return prep


def dest_distances(graph: PlaneGraph, active: np.ndarray, dests: np.ndarray) -> np.ndarray:
    """Distance of every node to each destination, shape (len(dests), n_nodes)."""
    if dests.size == 0:
        return np.zeros((0, graph.n_nodes))
    mat = prepare(graph).matrix(graph, active, reverse=True)
    dist = csgraph.dijkstra(mat, directed=True, indices=dests)
    return np.atleast_2d(dist)


def distances_many(
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
    prep = prepare(graph)
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


def active_arcs(graph: PlaneGraph, failed_links, failed_nodes) -> np.ndarray:
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


def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups (start, count): the owner of every expanded item and its flat index."""
    owner = np.repeat(np.arange(counts.size), counts)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, starts[owner] + offset


def solve_pairs(
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
    dag = active & np.isfinite(d_head) & (dist[:, src] >= (graph.arc_weight + d_head) * (1 - ON_PATH_RTOL))
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


_ENGINE: ContextVar[str] = ContextVar("netplan_ecmp_engine", default="compiled")


@contextmanager
def array_routing() -> Iterator[None]:
    """Within the block, route with the array version only (the reference for benchmarks).

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.analysis.routing import ecmp_routing
    >>> g = PlaneGraph.from_links("sq", list("ABCD"), ["ab", "bd", "ac", "cd"],
    ...                           list("ABAC"), list("BDCD"), capacity_gbps=10.0)
    >>> with array_routing():
    ...     slow = ecmp_routing(g, ["A"], ["D"]).split.toarray()
    >>> (slow == ecmp_routing(g, ["A"], ["D"]).split.toarray()).all()
    np.True_
    """
    token = _ENGINE.set("array")
    try:
        yield
    finally:
        _ENGINE.reset(token)


def route_pairs(
    graph: PlaneGraph,
    active_rows: np.ndarray,
    pair_row: np.ndarray,
    pair_dest: np.ndarray,
    slot_ptr: np.ndarray,
    slot_cols: np.ndarray,
    od_src: np.ndarray,
    base_dist: np.ndarray,
    pair_base: np.ndarray,
) -> _PairResult:
    """Routes of the slots of many (state, destination) pairs: the compiled kernel.

    Same arguments and result as :func:`solve_pairs`, but instead of each pair's distances
    in its own state, ``base_dist[pair_base[p]]``: its destination's distances with every
    arc of every row up (:func:`dest_distances`, no failures). The kernel
    (:mod:`netplan.analysis.ecmp_kernel`) repairs them for the state and walks only the
    part of each DAG the slots' sources reach. Where a shortest-path arc does not get
    strictly nearer its destination, the array version routes the pairs (and reports a
    cycle if there is one); within :func:`array_routing` it routes them all.
    """
    from netplan.analysis.ecmp_kernel import OK
    from netplan.analysis.ecmp_kernel import route_pairs as kernel

    if _ENGINE.get() != "array":
        prep = prepare(graph)
        active_rows = np.ascontiguousarray(active_rows, dtype=bool)
        down_row, down_arc = np.nonzero(~active_rows)
        down_ptr = np.r_[0, np.cumsum(np.bincount(down_row, minlength=active_rows.shape[0]))]
        i64, f64 = np.int64, np.float64
        arc, slot, val, reach, lat, hops, status = kernel(
            graph.n_nodes, prep.out_ptr.astype(i64), prep.out_arc, prep.in_ptr.astype(i64),
            prep.in_arc, graph.arc_src.astype(i64), graph.arc_dst.astype(i64),
            np.asarray(graph.arc_weight, dtype=f64), np.asarray(graph.arc_latency_ms, dtype=f64),
            active_rows, down_ptr.astype(i64), down_arc.astype(i64),
            np.ascontiguousarray(base_dist, dtype=f64), pair_base.astype(i64),
            pair_row.astype(i64), pair_dest.astype(i64), slot_ptr.astype(i64),
            slot_cols.astype(i64), od_src.astype(i64), ON_PATH_RTOL,
        )
        if status == OK:
            return _PairResult(arc, slot, val, reach, lat, hops)
        log.debug("%s: a shortest-path arc does not get nearer; array routing", graph.name)
    dist = distances_many(graph, active_rows, pair_row, pair_dest)
    return solve_pairs(graph, active_rows, pair_row, pair_dest, dist, slot_ptr, slot_cols,
                       od_src)


# ---------------------------------------------------------------------- input checks
def od_arrays(graph: PlaneGraph, od_src, od_dst) -> tuple[np.ndarray, np.ndarray]:
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


def failure_indices(graph: PlaneGraph, failed_links, failed_nodes):
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


def route_columns(
    graph: PlaneGraph,
    active: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    cols: np.ndarray,
    dest_dist: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Split matrix, reachability, latency and hops of the given od columns in one state.

    ``dest_dist`` is (destinations, their :func:`dest_distances` in this state), when the
    caller has them already.
    """
    n_od = src.size
    dests, slot_ptr, slot_cols = _group_by_dest(dst, cols)
    if dest_dist is None:
        base_dist, pair_base = dest_distances(graph, active, dests), np.arange(dests.size)
    else:
        base_dist, pair_base = dest_dist[1], np.searchsorted(dest_dist[0], dests)
    res = route_pairs(
        graph, active[None, :], np.zeros(dests.size, dtype=np.int64), dests, slot_ptr,
        slot_cols, src, base_dist, pair_base,
    )
    split = sp.csr_matrix((res.val, (res.arc, slot_cols[res.slot])), shape=(graph.n_arcs, n_od))
    reachable = np.zeros(n_od, dtype=bool)
    latency = np.full(n_od, np.inf)
    hops = np.full(n_od, -1, dtype=np.int32)
    reachable[slot_cols] = res.slot_reachable
    latency[slot_cols] = res.slot_latency_ms
    hops[slot_cols] = res.slot_hops
    return split, reachable, latency, hops
