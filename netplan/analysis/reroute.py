"""Re-routing under failures: the no-failure routes, and what a batch of states changes.

The no-failure state is routed once (:func:`no_failure_routes`). For a batch of failure
states, only the od columns whose shortest-path DAG uses a failed link, or enters a failed
node, are routed again (:func:`route_batch`); the result is the change of the split matrix
per state, which the sweep multiplies with the demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from netplan.analysis.failure_states import FailureState
from netplan.analysis.routing import Routing
from netplan.analysis.shortest_paths import (
    dest_distances,
    expand_ranges,
    route_columns,
    route_pairs,
)
from netplan.model.plane_graph import PlaneGraph


@dataclass
class NoFailureRoutes:
    """The no-failure routing of a set of ods, with the indexes re-routing needs."""

    routing: Routing
    split_csc: sp.csc_matrix  # (n_arcs, n_od)
    uses: sp.csr_matrix  # (n_od, n_arcs): 1 where an od's routes use an arc
    dests: np.ndarray  # destinations of the ods, sorted
    od_dest: np.ndarray  # (n_od,) position of every od's destination in dests
    dest_dist: np.ndarray  # (n_dests, n_nodes) distance to every destination, nothing failed


def no_failure_routes(graph: PlaneGraph, src: np.ndarray, dst: np.ndarray) -> NoFailureRoutes:
    """Route every od with nothing failed, once for the whole sweep."""
    active = np.ones(graph.n_arcs, dtype=bool)
    dests = np.unique(dst)
    dest_dist = dest_distances(graph, active, dests)
    split, reachable, latency, hops = route_columns(graph, active, src, dst, np.arange(src.size),
                                                    (dests, dest_dist))
    for arr in (reachable, latency, hops):
        arr.setflags(write=False)
    uses = split.T.tocsr()
    uses.data[:] = 1.0
    return NoFailureRoutes(
        routing=Routing(split, reachable, latency, hops, src, dst),
        split_csc=split.tocsc(),
        uses=uses,
        dests=dests,
        od_dest=np.searchsorted(dests, dst),
        dest_dist=dest_dist,
    )


@dataclass
class BatchRoutes:
    """What a batch of failure states does to the routes: split changes, reachability."""

    delta: sp.csr_matrix  # (n_batch * n_arcs, n_od): change of the split per state
    active: np.ndarray  # (n_batch, n_arcs)
    reachable: np.ndarray  # (n_batch, n_od)
    latency_ms: np.ndarray  # (n_batch, n_od)


def route_batch(
    graph: PlaneGraph,
    base: NoFailureRoutes,
    states: Sequence[FailureState],
    src: np.ndarray,
    dst: np.ndarray,
) -> BatchRoutes:
    """Re-route, for every state of a batch, the ods whose routes its failures touch."""
    m, n_od = graph.n_arcs, src.size
    n_b = len(states)
    link_down = np.zeros((n_b, graph.n_links), dtype=bool)
    node_down = np.zeros((n_b, graph.n_nodes), dtype=bool)
    for b, state in enumerate(states):
        link_down[b, list(state.links)] = True
        node_down[b, list(state.nodes)] = True
    active = ~(
        link_down[:, graph.arc_link] | node_down[:, graph.arc_src] | node_down[:, graph.arc_dst]
    )
    # Only ods whose routes use a failed link, or enter a failed node, need new routes: an
    # od whose DAG avoids every failed element keeps its distances and DAG (arcs leaving a
    # failed node only carried that node's own traffic, which is dropped).
    trigger = link_down[:, graph.arc_link] | node_down[:, graph.arc_dst]
    affected = np.asarray(base.uses @ trigger.T.astype(np.float64)).T > 0
    dropped = node_down[:, src] | node_down[:, dst]
    affected &= ~dropped

    # one (state, destination) pair per group of affected ods
    aff_row, aff_col = np.nonzero(affected)
    n_t = max(base.dests.size, 1)
    key = aff_row * n_t + base.od_dest[aff_col]
    order = np.argsort(key, kind="stable")
    key, slot_cols = key[order], aff_col[order].astype(np.int64)
    cut = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.zeros(0, int)
    slot_ptr = np.r_[cut, key.size].astype(np.int64)
    pair_row = key[cut] // n_t
    pair_base = key[cut] % n_t
    pair_dest = base.dests[pair_base]
    res = route_pairs(graph, active, pair_row, pair_dest, slot_ptr, slot_cols, src,
                      base.dest_dist, pair_base)
    slot_row = np.repeat(pair_row, np.diff(slot_ptr))

    # the old split of every changed column, to subtract
    changed = dropped | affected
    ch_row, ch_col = np.nonzero(changed)
    csc = base.split_csc
    owner, e = expand_ranges(csc.indptr[ch_col], np.diff(csc.indptr)[ch_col])
    rows = np.r_[csc.indices[e] + ch_row[owner] * m, res.arc + slot_row[res.slot] * m]
    cols = np.r_[ch_col[owner], slot_cols[res.slot]]
    vals = np.r_[-csc.data[e], res.val]
    delta = sp.csr_matrix((vals, (rows, cols)), shape=(n_b * m, n_od))
    delta.sum_duplicates()
    delta.eliminate_zeros()

    reach = np.repeat(base.routing.reachable[None, :], n_b, axis=0)
    lat = np.repeat(base.routing.latency_ms[None, :], n_b, axis=0)
    reach[dropped] = False
    lat[dropped] = np.inf
    reach[slot_row, slot_cols] = res.slot_reachable
    lat[slot_row, slot_cols] = res.slot_latency_ms
    return BatchRoutes(delta=delta, active=active, reachable=reach, latency_ms=lat)
