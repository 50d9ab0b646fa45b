"""Per-hop ECMP routes of many (failure state, destination) pairs, compiled with numba.

This is the hot loop of the failure sweep. It does not search the network again for every
failure: it starts from the distances to each destination without failures and repairs
them. Only nodes whose every shortest path used a failed arc can be farther away in the
failure state; they are found nearest first, and Dijkstra runs among them alone, started
from their arcs to nodes that kept their distance (an incremental shortest-path update).
Then, for every source, the kernel walks only the part of the shortest-path DAG that
source reaches: equal shares over the DAG arcs leaving each node, pushed in order of
decreasing distance, and the worst latency and most hops to the destination (longest DAG
paths, kept per pair so sources that share a stretch of DAG compute it once).

The work per pair is the size of the repaired region and of the sources' DAGs, not of the
network: this replaces a full search and the dense (pairs x arcs) masks and repeated sweeps
over all DAG arcs of the array version (:func:`netplan.analysis.shortest_paths.solve_pairs`),
which grew quadratically with the network. Both define the DAG the same way
(``ON_PATH_RTOL``) and compute distances (the same minima of the same sums), latencies and
hops with the same floating-point operations; the split fractions are sums taken in
another order, so they agree to rounding. When a shortest-path arc does not get strictly
nearer to the destination (weights close to 0 relative to path lengths), the kernel gives
up and the array version, which checks for cycles, routes those pairs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["OK", "NOT_STRICT", "route_pairs"]

OK = 0
NOT_STRICT = 1
"""Status of :func:`route_pairs`: a DAG arc does not get strictly nearer its destination."""


# ---------------------------------------------------------------------- binary heap
@njit(cache=True, inline="always")
def _heap_push(keys, nodes, size, key, node):
    """Push (key, node) on a min-heap held in ``keys``/``nodes``; return the new size."""
    i = size
    keys[i], nodes[i] = key, node
    while i > 0:
        parent = (i - 1) // 2
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        nodes[parent], nodes[i] = nodes[i], nodes[parent]
        i = parent
    return size + 1


@njit(cache=True, inline="always")
def _heap_pop(keys, nodes, size):
    """Remove the top of the heap; return the new size (the top was ``keys[0], nodes[0]``)."""
    size -= 1
    keys[0], nodes[0] = keys[size], nodes[size]
    i = 0
    while True:
        left, best = 2 * i + 1, i
        if left < size and keys[left] < keys[best]:
            best = left
        if left + 1 < size and keys[left + 1] < keys[best]:
            best = left + 1
        if best == i:
            break
        keys[best], keys[i] = keys[i], keys[best]
        nodes[best], nodes[i] = nodes[i], nodes[best]
        i = best
    return size


# ---------------------------------------------------------------------- distances
@njit(cache=True, inline="always")
def _tight(a, arc_src, arc_dst, weight, base):
    """Whether arc ``a`` gives its tail its distance without failures (exactly)."""
    return base[arc_src[a]] == base[arc_dst[a]] + weight[a]


@njit(cache=True)
def _lost_support(down, out_ptr, out_arc, in_ptr, in_arc, arc_src, arc_dst, weight, active,
                  base, keys, nodes, mark, tag, lost):
    """Nodes whose every shortest path without failures uses a failed arc (into ``lost``).

    Only they can be farther from the destination in the failure state; every other node
    keeps its distance. Candidates are checked nearest first, so a node's nearer
    neighbours are decided before it. Returns how many, or -1 when a tight arc does not
    get strictly nearer (ties in float distances: the caller falls back).
    """
    size = 0
    for a in down:
        u = arc_src[a]
        if mark[u] < tag and np.isfinite(base[u]) and _tight(a, arc_src, arc_dst, weight, base):
            mark[u] = tag
            size = _heap_push(keys, nodes, size, base[u], u)
    n_lost = 0
    while size > 0:
        u = nodes[0]
        size = _heap_pop(keys, nodes, size)
        supported = False
        for k in range(out_ptr[u], out_ptr[u + 1]):
            a = out_arc[k]
            v = arc_dst[a]
            if not _tight(a, arc_src, arc_dst, weight, base):
                continue
            if base[v] >= base[u]:
                return -1
            if active[a] and mark[v] != tag + 1:
                supported = True
                break
        if supported:
            continue
        mark[u] = tag + 1  # lost
        lost[n_lost] = u
        n_lost += 1
        for k in range(in_ptr[u], in_ptr[u + 1]):
            a = in_arc[k]
            x = arc_src[a]
            if active[a] and mark[x] < tag and _tight(a, arc_src, arc_dst, weight, base):
                mark[x] = tag
                size = _heap_push(keys, nodes, size, base[x], x)
    return n_lost


@njit(cache=True)
def _repair(lost, out_ptr, out_arc, in_ptr, in_arc, arc_src, arc_dst, weight, active,
            dist, keys, nodes, mark, tag):
    """New distances of the ``lost`` nodes (marked ``tag``): Dijkstra among them, started
    from their active arcs to nodes that kept their distance (already in ``dist``)."""
    for u in lost:
        dist[u] = np.inf
    size = 0
    for u in lost:
        best = np.inf
        for k in range(out_ptr[u], out_ptr[u + 1]):
            a = out_arc[k]
            v = arc_dst[a]
            if active[a] and mark[v] != tag:
                best = min(best, dist[v] + weight[a])
        if best < np.inf:
            dist[u] = best
            size = _heap_push(keys, nodes, size, best, u)
    while size > 0:
        d, v = keys[0], nodes[0]
        size = _heap_pop(keys, nodes, size)
        if d > dist[v]:
            continue
        for k in range(in_ptr[v], in_ptr[v + 1]):
            a = in_arc[k]
            u = arc_src[a]
            if active[a] and mark[u] == tag:
                cand = d + weight[a]
                if cand < dist[u]:
                    dist[u] = cand
                    size = _heap_push(keys, nodes, size, cand, u)


@njit(cache=True, inline="always")
def _on_dag(a, active, arc_src, arc_dst, weight, dist, rtol):
    """Whether arc ``a`` lies on a shortest path (within ``rtol``), as the array version."""
    if not active[a]:
        return False
    head = arc_dst[a]
    if not np.isfinite(dist[head]):
        return False
    return dist[arc_src[a]] >= (weight[a] + dist[head]) * (1.0 - rtol)


# ---------------------------------------------------------------------- one source
@njit(cache=True)
def _reach(s, out_ptr, out_arc, arc_src, arc_dst, weight, active, dist, rtol,
           stamp, tag, outdeg, found):
    """Nodes of the DAG reachable from ``s`` (marked ``tag`` in ``stamp``, listed in
    ``found``), their DAG out-degrees in ``outdeg``; and whether every DAG arc gets
    strictly nearer."""
    found[0] = s
    n_found = 1
    stamp[s] = tag
    strict = True
    i = 0
    while i < n_found:
        u = found[i]
        i += 1
        deg = 0
        for k in range(out_ptr[u], out_ptr[u + 1]):
            a = out_arc[k]
            if not _on_dag(a, active, arc_src, arc_dst, weight, dist, rtol):
                continue
            deg += 1
            v = arc_dst[a]
            if dist[v] >= dist[u]:
                strict = False
            if stamp[v] != tag:
                stamp[v] = tag
                found[n_found] = v
                n_found += 1
        outdeg[u] = deg
    return found[:n_found].copy(), strict


@njit(cache=True)
def _longest(members, dest, out_ptr, out_arc, arc_src, arc_dst, weight, latency, active,
             dist, rtol, lat, hop, done, pair_tag):
    """Worst latency and most hops to ``dest`` of DAG nodes not yet done for this pair."""
    by_dist = members[np.argsort(dist[members], kind="mergesort")]
    for u in by_dist:
        if done[u] == pair_tag:
            continue
        done[u] = pair_tag
        if u == dest:
            lat[u], hop[u] = 0.0, 0.0
            continue
        worst_lat, worst_hop = -np.inf, -np.inf
        for k in range(out_ptr[u], out_ptr[u + 1]):
            a = out_arc[k]
            if not _on_dag(a, active, arc_src, arc_dst, weight, dist, rtol):
                continue
            v = arc_dst[a]
            worst_lat = max(worst_lat, latency[a] + lat[v])
            worst_hop = max(worst_hop, 1.0 + hop[v])
        lat[u], hop[u] = worst_lat, worst_hop


@njit(cache=True)
def _grow(arr, need):
    """``arr`` with room for at least ``need`` items (doubling), its items kept."""
    if need <= arr.size:
        return arr
    out = np.empty(max(need, 2 * arr.size), dtype=arr.dtype)
    out[: arr.size] = arr
    return out


@njit(cache=True)
def _shares(s, slot, members, out_ptr, out_arc, arc_src, arc_dst, weight, active, dist, rtol,
            outdeg, frac, e_arc, e_slot, e_val, n_e):
    """Split entries of one source: equal shares over the DAG arcs leaving each node,
    pushed farthest node first; returns the new number of entries."""
    frac[s] = 1.0
    for u in members[np.argsort(-dist[members], kind="mergesort")]:
        if outdeg[u] == 0:
            continue
        share = 1.0 / outdeg[u]
        for k in range(out_ptr[u], out_ptr[u + 1]):
            a = out_arc[k]
            if not _on_dag(a, active, arc_src, arc_dst, weight, dist, rtol):
                continue
            val = frac[u] * share
            e_arc[n_e], e_slot[n_e], e_val[n_e] = a, slot, val
            n_e += 1
            frac[arc_dst[a]] += val
    for u in members:
        frac[u] = 0.0
    return n_e


# ---------------------------------------------------------------------- the batch
@njit(cache=True)
def route_pairs(n_nodes, out_ptr, out_arc, in_ptr, in_arc, arc_src, arc_dst, weight,
                latency, active_rows, down_ptr, down_arc, base_dist, pair_base, pair_row,
                pair_dest, slot_ptr, slot_cols, od_src, rtol):
    """Split entries, reachability, latency and hops of every slot of every pair.

    Parameters
    ----------
    out_ptr, out_arc, in_ptr, in_arc : arcs grouped by tail and by head (CSR).
    active_rows : (n_rows, n_arcs) bool; ``pair_row`` picks each pair's row, whose down
        arcs are ``down_arc[down_ptr[row]:down_ptr[row + 1]]``.
    base_dist : (n_base, n_nodes) distances to each destination with every arc of any
        row up (at least); ``pair_base`` picks each pair's row of it.
    pair_dest : destination node of each pair.
    slot_ptr, slot_cols : the od columns of pair ``p`` are
        ``slot_cols[slot_ptr[p]:slot_ptr[p + 1]]``; ``od_src`` their sources.

    Returns
    -------
    arc, slot, val, reachable, latency_ms, hops, status
        Split entries (slot ``i`` is the i-th entry of ``slot_cols``), per-slot results,
        and :data:`OK` or :data:`NOT_STRICT`.
    """
    n_slots = slot_cols.size
    reach = np.zeros(n_slots, dtype=np.bool_)
    slot_lat = np.full(n_slots, np.inf)
    slot_hop = np.full(n_slots, -1, dtype=np.int32)
    e_arc = np.empty(1024, dtype=np.int64)
    e_slot = np.empty(1024, dtype=np.int64)
    e_val = np.empty(1024)
    n_e = 0
    dist = np.empty(n_nodes)
    keys = np.empty(n_nodes + arc_src.size + 1)  # a heap entry per node and per relaxation
    nodes = np.empty(n_nodes + arc_src.size + 1, dtype=np.int64)
    mark = np.full(n_nodes, -1, dtype=np.int64)
    lost = np.empty(n_nodes, dtype=np.int64)
    stamp = np.full(n_nodes, -1, dtype=np.int64)
    done = np.full(n_nodes, -1, dtype=np.int64)
    outdeg = np.zeros(n_nodes, dtype=np.int64)
    frac = np.zeros(n_nodes)
    lat = np.full(n_nodes, -np.inf)
    hop = np.full(n_nodes, -np.inf)
    found = np.empty(n_nodes, dtype=np.int64)
    for p in range(pair_dest.size):
        row = pair_row[p]
        active = active_rows[row]
        dest = pair_dest[p]
        base = base_dist[pair_base[p]]
        n_lost = _lost_support(down_arc[down_ptr[row] : down_ptr[row + 1]], out_ptr, out_arc,
                               in_ptr, in_arc, arc_src, arc_dst, weight, active, base, keys,
                               nodes, mark, 2 * p, lost)
        if n_lost < 0:
            return e_arc[:0], e_slot[:0], e_val[:0], reach, slot_lat, slot_hop, NOT_STRICT
        dist[:] = base
        _repair(lost[:n_lost], out_ptr, out_arc, in_ptr, in_arc, arc_src, arc_dst, weight,
                active, dist, keys, nodes, mark, 2 * p + 1)
        for i in range(slot_ptr[p], slot_ptr[p + 1]):
            s = od_src[slot_cols[i]]
            if not np.isfinite(dist[s]):
                continue  # unreachable: no routes, infinite latency
            members, strict = _reach(s, out_ptr, out_arc, arc_src, arc_dst, weight, active,
                                     dist, rtol, stamp, i, outdeg, found)
            if not strict:
                return e_arc[:0], e_slot[:0], e_val[:0], reach, slot_lat, slot_hop, NOT_STRICT
            _longest(members, dest, out_ptr, out_arc, arc_src, arc_dst, weight, latency,
                     active, dist, rtol, lat, hop, done, p)
            reach[i] = True
            slot_lat[i] = lat[s]
            slot_hop[i] = np.int32(hop[s])
            need = n_e + out_ptr[n_nodes]
            if need > e_arc.size:
                e_arc, e_slot, e_val = _grow(e_arc, need), _grow(e_slot, need), _grow(e_val, need)
            n_e = _shares(s, i, members, out_ptr, out_arc, arc_src, arc_dst, weight, active,
                          dist, rtol, outdeg, frac, e_arc, e_slot, e_val, n_e)
    return e_arc[:n_e], e_slot[:n_e], e_val[:n_e], reach, slot_lat, slot_hop, OK
