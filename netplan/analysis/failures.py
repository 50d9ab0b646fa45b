"""Failure states and the worst-case failure sweep.

:func:`sweep_failures` answers, for every arc and link: what is the worst load it will ever
carry, over every demand sample (scenario x year x hour, flattened by the caller) and every
failure state, and which state and sample cause it. It routes the no-failure state once,
then for each failure re-routes only the od columns whose shortest-path DAG touches a failed
element, and evaluates a whole batch of failures over a chunk of samples with one sparse
product. Reductions stream over sample chunks, so memory does not grow with the number of
samples (beyond the no-failure loads it returns).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import scipy.sparse as sp

from netplan.analysis.routing import Routing
from netplan.analysis.shortest_paths import (
    distances_many,
    expand_ranges,
    od_arrays,
    route_columns,
    solve_pairs,
)
from netplan.errors import Problem, ValidationError
from netplan.model.plane_graph import PlaneGraph

__all__ = ["FailureState", "FailureSweep", "POLICIES", "failure_states", "sweep_failures"]

log = logging.getLogger(__name__)

POLICIES = ("none", "n-1", "n-1-nodes", "srlg", "n-2")
"""Failure policies understood by :func:`failure_states`."""

_TIE_RTOL = 1e-9
"""Loads within this relative margin of the maximum count as ties; the earliest state wins."""


@dataclass(frozen=True)
class FailureState:
    """One combination of failed links and nodes.

    Attributes
    ----------
    name : str
        ``"none"``, ``"link:<id>"``, ``"node:<id>"``, ``"srlg:<group>"`` or
        ``"links:<id>+<id>"``.
    kind : str
        ``"none"``, ``"link"``, ``"node"``, ``"srlg"`` or ``"link-pair"``.
    links, nodes : tuple of int
        Failed link and node indices.
    """

    name: str
    kind: str
    links: tuple[int, ...] = ()
    nodes: tuple[int, ...] = ()


def failure_states(graph: PlaneGraph, policy: str | Sequence[str]) -> tuple[FailureState, ...]:
    """Enumerate failure states; the no-failure state always comes first.

    Parameters
    ----------
    graph : PlaneGraph
    policy : str or sequence of str
        One of :data:`POLICIES`, or several to combine: ``"none"``, ``"n-1"`` (every single
        link), ``"n-1-nodes"`` (every single node), ``"srlg"`` (every shared-risk group),
        ``"n-2"`` (every pair of links). A state reached twice (an SRLG holding one link,
        say) is kept once, under its first name.

    Returns
    -------
    tuple of FailureState

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"),
    ...                           list("BCA"), 1.0, srlgs=[["duct1"], ["duct1"], []])
    >>> [s.name for s in failure_states(g, ["n-1", "srlg"])]
    ['none', 'link:ab', 'link:bc', 'link:ca', 'srlg:duct1']
    >>> len(failure_states(g, "n-2"))
    4
    """
    policies = [policy] if isinstance(policy, str) else list(policy)
    bad = [p for p in policies if p not in POLICIES]
    if bad:
        raise ValidationError(
            [
                Problem(
                    graph.source,
                    "failure_policy",
                    f"unknown policy {p!r}; choose from {', '.join(POLICIES)}",
                )
                for p in bad
            ]
        )
    out = [FailureState("none", "none")]
    seen = {((), ())}

    def add(state: FailureState) -> None:
        key = (tuple(sorted(set(state.links))), tuple(sorted(set(state.nodes))))
        if key not in seen:
            seen.add(key)
            out.append(FailureState(state.name, state.kind, key[0], key[1]))

    lid, nid = graph.link_ids, graph.node_ids
    for p in policies:
        if p == "n-1":
            for i in range(graph.n_links):
                add(FailureState(f"link:{lid[i]}", "link", (i,)))
        elif p == "n-1-nodes":
            for i in range(graph.n_nodes):
                add(FailureState(f"node:{nid[i]}", "node", (), (i,)))
        elif p == "srlg":
            for group, links in graph.srlg_links.items():
                add(FailureState(f"srlg:{group}", "srlg", links))
        elif p == "n-2":
            for i, j in combinations(range(graph.n_links), 2):
                add(FailureState(f"links:{lid[i]}+{lid[j]}", "link-pair", (i, j)))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class FailureSweep:
    """Worst-case loads over failure states and demand samples.

    Attributes
    ----------
    states : tuple of FailureState
    od_src, od_dst : ndarray of int32, shape (n_od,)
    n_samples : int
    arc_worst_load_gbps, arc_worst_utilisation : ndarray, shape (n_arcs,)
        Worst load (and load / capacity) of each arc over all states and samples.
    arc_cause_state, arc_cause_sample : ndarray of int64, shape (n_arcs,)
        State and sample where that worst case occurs (the earliest state on ties, so a
        link that is worst without any failure names state 0, ``"none"``).
    link_worst_load_gbps, link_worst_utilisation : ndarray, shape (n_links,)
        Maximum over each link's arcs.
    link_cause_state, link_cause_sample : ndarray of int64, shape (n_links,)
        Cause of the link's worst utilisation.
    state_arc_load_gbps : ndarray, shape (n_states, n_arcs)
        Worst load of every arc in every state (over samples); a failed arc carries 0.
    state_arc_sample : ndarray of int64, shape (n_states, n_arcs)
        Sample of that worst load.
    impact_utilisation : ndarray, shape (n_states, n_links)
        Worst utilisation of every link in every state.
    reachable : ndarray of bool, shape (n_states, n_od)
    latency_ms : ndarray, shape (n_states, n_od)
        Worst ECMP latency of every od in every state (inf when unreachable).
    peak_demand_gbps : ndarray, shape (n_od,)
        Maximum demand of every od over the samples.
    base_load_gbps : ndarray, shape (n_samples, n_arcs)
        Arc loads without failures.
    base_routing : Routing
        The no-failure routing.
    """

    states: tuple[FailureState, ...]
    od_src: np.ndarray
    od_dst: np.ndarray
    n_samples: int
    arc_worst_load_gbps: np.ndarray
    arc_worst_utilisation: np.ndarray
    arc_cause_state: np.ndarray
    arc_cause_sample: np.ndarray
    link_worst_load_gbps: np.ndarray
    link_worst_utilisation: np.ndarray
    link_cause_state: np.ndarray
    link_cause_sample: np.ndarray
    state_arc_load_gbps: np.ndarray
    state_arc_sample: np.ndarray
    impact_utilisation: np.ndarray
    reachable: np.ndarray
    latency_ms: np.ndarray
    peak_demand_gbps: np.ndarray
    base_load_gbps: np.ndarray
    base_routing: Routing

    @property
    def lost_gbps(self) -> np.ndarray:
        """Demand each state disconnects, shape (n_states, n_od): its maximum over samples."""
        return np.where(self.reachable, 0.0, self.peak_demand_gbps[None, :])

    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the states, in order."""
        return tuple(s.name for s in self.states)


# ---------------------------------------------------------------------- helpers
def _first_max(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise maximum and the first row reaching it within ``_TIE_RTOL``."""
    best = values.max(axis=0)
    idx = np.argmax(values >= best - _TIE_RTOL * np.abs(best), axis=0)
    return best, idx


def _demand_rows(demand, lo: int, hi: int) -> np.ndarray:
    return np.asarray(demand[lo:hi], dtype=np.float64)


def _check_demand(demand, n_od: int, source: str):
    if not hasattr(demand, "shape") or not hasattr(demand, "__getitem__"):
        demand = np.asarray(demand, dtype=np.float64)
    if demand.ndim == 1:
        demand = np.asarray(demand, dtype=np.float64)[None, :]
    if demand.ndim != 2 or demand.shape[1] != n_od:
        raise ValidationError(
            [
                Problem(
                    source,
                    "demand_gbps",
                    f"expected shape (n_samples, {n_od}), got {tuple(demand.shape)}",
                )
            ]
        )
    return demand


def _bad_demand(chunk: np.ndarray, offset: int, source: str) -> None:
    bad = ~np.isfinite(chunk) | (chunk < 0)
    if bad.any():
        s, o = np.argwhere(bad)[0]
        raise ValidationError(
            [
                Problem(
                    source,
                    f"demand_gbps[{offset + s}, {o}]",
                    f"must be finite and >= 0, got {chunk[s, o]}",
                )
            ]
        )


@dataclass
class _Base:
    routing: Routing
    split_csc: sp.csc_matrix  # (n_arcs, n_od)
    uses: sp.csr_matrix  # (n_od, n_arcs): 1 where an od's routes use an arc
    dests: np.ndarray  # destinations of the ods, sorted
    od_dest: np.ndarray  # (n_od,) position of every od's destination in dests


def _base(graph: PlaneGraph, src: np.ndarray, dst: np.ndarray) -> _Base:
    active = np.ones(graph.n_arcs, dtype=bool)
    split, reachable, latency, hops = route_columns(graph, active, src, dst, np.arange(src.size))
    for arr in (reachable, latency, hops):
        arr.setflags(write=False)
    uses = split.T.tocsr()
    uses.data[:] = 1.0
    dests = np.unique(dst)
    return _Base(
        routing=Routing(split, reachable, latency, hops, src, dst),
        split_csc=split.tocsc(),
        uses=uses,
        dests=dests,
        od_dest=np.searchsorted(dests, dst),
    )


@dataclass
class _Batch:
    delta: sp.csr_matrix  # (n_batch * n_arcs, n_od): change of the split per state
    active: np.ndarray  # (n_batch, n_arcs)
    reachable: np.ndarray  # (n_batch, n_od)
    latency_ms: np.ndarray  # (n_batch, n_od)


def _route_batch(
    graph: PlaneGraph,
    base: _Base,
    states: Sequence[FailureState],
    src: np.ndarray,
    dst: np.ndarray,
) -> _Batch:
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
    pair_dest = base.dests[key[cut] % n_t]
    dist = distances_many(graph, active, pair_row, pair_dest)
    res = solve_pairs(graph, active, pair_row, pair_dest, dist, slot_ptr, slot_cols, src)
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
    return _Batch(delta=delta, active=active, reachable=reach, latency_ms=lat)


# ---------------------------------------------------------------------- the sweep
def sweep_failures(
    graph: PlaneGraph,
    od_src,
    od_dst,
    demand_gbps,
    states: Sequence[FailureState] | None = None,
    *,
    batch_size: int | None = None,
    sample_chunk: int | None = None,
    max_block_elements: int = 1 << 22,
) -> FailureSweep:
    """Worst load of every arc and link over all failure states and demand samples.

    Parameters
    ----------
    graph : PlaneGraph
    od_src, od_dst : array_like of int or str, shape (n_od,)
        Origin and destination of every od (node indices or ids).
    demand_gbps : array_like, shape (n_samples, n_od) or (n_od,)
        Demand of every od in every sample (scenario x year x hour, flattened; the caller
        keeps the labels). Any array supporting row slices works (a ``numpy.memmap`` too);
        it is read in chunks of ``sample_chunk`` rows.
    states : sequence of FailureState, optional
        From :func:`failure_states`; defaults to the no-failure state only.
    batch_size : int, optional
        Failure states evaluated together in one sparse product (default: sized from
        ``max_block_elements``).
    sample_chunk : int, optional
        Samples per chunk (default: sized from ``max_block_elements``).
    max_block_elements : int, optional
        Working-memory target in float64 elements (default 4M, 32 MB): it sizes the chunk
        of demand rows read at a time, the block of changed-arc loads over that chunk, and
        the split changes held for one batch of states. Memory stays near a few times this
        however many samples there are; only ``base_load_gbps`` grows with them.

    Returns
    -------
    FailureSweep
        Routes do not depend on the demand, so a failure disconnects the same ods in
        every sample: their lost demand is reported per state (``lost_gbps``), never
        silently dropped.

    Examples
    --------
    A triangle with 1 Gbit/s from A to B: normally direct, over C when A-B fails.

    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"),
    ...                           list("BCA"), capacity_gbps=[10.0, 2.0, 10.0])
    >>> sw = sweep_failures(g, ["A"], ["B"], [[1.0], [0.5]], failure_states(g, "n-1"))
    >>> sw.link_worst_utilisation.tolist()
    [0.1, 0.5, 0.1]
    >>> [sw.states[i].name for i in sw.link_cause_state], sw.link_cause_sample.tolist()
    (['none', 'link:ab', 'link:ab'], [0, 0, 0])
    >>> sw.lost_gbps.sum()
    np.float64(0.0)
    """
    src, dst = od_arrays(graph, od_src, od_dst)
    n_od, m = src.size, graph.n_arcs
    demand = _check_demand(demand_gbps, n_od, graph.source)
    n_samples = int(demand.shape[0])
    states = tuple(states) if states is not None else (FailureState("none", "none"),)
    if not states:
        raise ValidationError([Problem(graph.source, "states", "give at least one state")])
    n_states = len(states)
    _check_states(graph, states)

    base = _base(graph, src, dst)
    split0 = base.routing.split
    if batch_size is None:
        # a state changes at most every entry of the no-failure split, twice (old and new)
        per_state = m + 2 * split0.nnz + n_od
        batch_size = max_block_elements // max(per_state, 1)
    batch_size = int(max(1, min(batch_size, n_states)))
    # a chunk holds (samples x ods) of demand and (samples x arcs) of loads
    first_chunk = sample_chunk or max(1, max_block_elements // (m + n_od + 1))
    first_chunk = int(max(1, min(first_chunk, max(n_samples, 1))))

    # pass 1: validate demand; peak demand per od; no-failure loads and their worst case
    peak = np.zeros(n_od)
    base_load_t = np.zeros((m, n_samples))  # arc-major: loads of one arc are contiguous
    base_best = np.zeros(m)
    base_arg = np.zeros(m, dtype=np.int64)
    for lo in range(0, n_samples, first_chunk):
        hi = min(lo + first_chunk, n_samples)
        chunk = _demand_rows(demand, lo, hi)
        _bad_demand(chunk, lo, graph.source)
        np.maximum(peak, chunk.max(axis=0), out=peak)
        load = split0 @ np.ascontiguousarray(chunk.T)
        base_load_t[:, lo:hi] = load
        top, where = load.max(axis=1), load.argmax(axis=1) + lo
        better = (top > base_best) | (lo == 0)
        base_best[better], base_arg[better] = top[better], where[better]

    state_load = np.zeros((n_states, m))
    state_sample = np.zeros((n_states, m), dtype=np.int64)
    reachable = np.zeros((n_states, n_od), dtype=bool)
    latency = np.zeros((n_states, n_od))
    for b0 in range(0, n_states, batch_size):
        batch_states = states[b0 : b0 + batch_size]
        n_b = len(batch_states)
        batch = _route_batch(graph, base, batch_states, src, dst)
        reachable[b0 : b0 + n_b] = batch.reachable
        latency[b0 : b0 + n_b] = batch.latency_ms
        # arcs whose routes did not change keep their no-failure worst case
        best = np.repeat(base_best[None, :], n_b, axis=0)
        arg = np.repeat(base_arg[None, :], n_b, axis=0)
        live = np.flatnonzero(np.diff(batch.delta.indptr) > 0)
        live = live[batch.active.ravel()[live]]
        if live.size and n_samples:
            sub = batch.delta[live]
            arc_of = live % m
            top_all = np.full(live.size, -np.inf)
            arg_all = np.zeros(live.size, dtype=np.int64)
            step = sample_chunk or max(1, max_block_elements // (live.size + n_od))
            for lo in range(0, n_samples, step):
                hi = min(lo + step, n_samples)
                chunk_t = np.ascontiguousarray(_demand_rows(demand, lo, hi).T)
                load = np.asarray(sub @ chunk_t)
                load += base_load_t[arc_of, lo:hi]
                top, where = load.max(axis=1), load.argmax(axis=1) + lo
                better = top > top_all
                top_all[better], arg_all[better] = top[better], where[better]
            best.ravel()[live] = top_all
            arg.ravel()[live] = arg_all
        # a failed arc carries nothing; rounding must not report a negative load
        best[~batch.active] = 0.0
        arg[~batch.active] = 0
        np.maximum(best, 0.0, out=best)
        state_load[b0 : b0 + n_b] = best
        state_sample[b0 : b0 + n_b] = arg
        log.debug("%s: states %d-%d of %d done", graph.name, b0, b0 + n_b - 1, n_states)

    cap = graph.arc_capacity_gbps
    state_util = state_load / cap
    arc_load, arc_state = _first_max(state_load)
    cols = np.arange(m)
    arc_sample = state_sample[arc_state, cols]
    arc_util = arc_load / cap
    impact = graph.link_max(state_util)
    link_util = graph.link_max(arc_util)
    link_load = graph.link_max(arc_load)
    # the cause of a link's worst utilisation: among its arcs reaching it, the earliest state
    link_of = graph.arc_link
    reach_worst = arc_util >= link_util[link_of] - _TIE_RTOL * np.abs(link_util[link_of])
    cand = np.flatnonzero(reach_worst)
    cand = cand[np.lexsort((cand, arc_state[cand], link_of[cand]))]
    first = cand[np.r_[True, np.diff(link_of[cand]) != 0]] if cand.size else cand
    link_state = np.zeros(graph.n_links, dtype=np.int64)
    link_sample = np.zeros(graph.n_links, dtype=np.int64)
    link_state[link_of[first]] = arc_state[first]
    link_sample[link_of[first]] = arc_sample[first]

    out = dict(
        arc_worst_load_gbps=arc_load,
        arc_worst_utilisation=arc_util,
        arc_cause_state=arc_state.astype(np.int64),
        arc_cause_sample=arc_sample,
        link_worst_load_gbps=link_load,
        link_worst_utilisation=link_util,
        link_cause_state=link_state.astype(np.int64),
        link_cause_sample=link_sample.astype(np.int64),
        state_arc_load_gbps=state_load,
        state_arc_sample=state_sample,
        impact_utilisation=impact,
        reachable=reachable,
        latency_ms=latency,
        peak_demand_gbps=peak,
        base_load_gbps=base_load_t.T,
    )
    for arr in out.values():
        arr.setflags(write=False)
    return FailureSweep(
        states=states,
        od_src=src,
        od_dst=dst,
        n_samples=n_samples,
        base_routing=base.routing,
        **out,
    )


def _check_states(graph: PlaneGraph, states: Sequence[FailureState]) -> None:
    problems = []
    for i, s in enumerate(states):
        if not isinstance(s, FailureState):
            problems.append(Problem(graph.source, f"states[{i}]", "is not a FailureState"))
            continue
        if any(not 0 <= x < graph.n_links for x in s.links):
            problems.append(Problem(graph.source, f"states[{i}].links", "link index out of range"))
        if any(not 0 <= x < graph.n_nodes for x in s.nodes):
            problems.append(Problem(graph.source, f"states[{i}].nodes", "node index out of range"))
    if problems:
        raise ValidationError(problems)
