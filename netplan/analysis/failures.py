"""The worst-case failure sweep.

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
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from netplan.analysis.failure_states import POLICIES, FailureState, check_states, failure_states
from netplan.analysis.reroute import BatchRoutes, NoFailureRoutes, no_failure_routes, route_batch
from netplan.analysis.routing import Routing
from netplan.analysis.shortest_paths import od_arrays
from netplan.analysis.state_changes import StateChanges, row_blocks
from netplan.errors import Problem, ValidationError
from netplan.model.plane_graph import PlaneGraph

__all__ = ["FailureState", "FailureSweep", "POLICIES", "StepProgress", "failure_states",
           "sweep_failures"]

log = logging.getLogger(__name__)

StepProgress = Callable[[int, int, str], None]
"""``progress(done, total, message)`` from inside a long step: ``done`` of ``total`` units are
finished and ``message`` says what is under way. Every long step reports in this shape: the
failure sweep (states), the routed planner (solves) and the simulator (replications)."""

_STATE_SPREAD: ContextVar[Callable | None] = ContextVar("netplan_state_spread", default=None)
"""When set (:func:`netplan.analysis.distributed.spread_states`), the failure pass hands its
states to it in parts (same arguments as ``_failure_pass``, same result)."""

_TIE_RTOL = 1e-9
"""Loads within this relative margin of the maximum count as ties; the earliest state wins."""


@dataclass(frozen=True, eq=False)
class FailureSweep:
    """Worst-case loads over failure states and demand samples.

    Per-state results are kept as their changes from the no-failure routes
    (:class:`~netplan.analysis.state_changes.StateChanges`): a failure changes the loads of
    the arcs and the latencies of the ods it re-routes, and nothing else, so memory follows
    the size of the changes, not states x arcs or states x ods. The dense per-state arrays
    are still there (``state_arc_load_gbps``, ``reachable`` ...), built on first use and
    kept; code meant for large networks reads the reductions, :meth:`state_rows`,
    :meth:`od_rows` and the pair lists instead.

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
    arc_normal_load_gbps, arc_failure_load_gbps : ndarray, shape (n_arcs,)
        Worst load of each arc in state 0 (no failure), and over the other states (zeros
        when there are none).
    link_normal_utilisation, link_failure_utilisation : ndarray, shape (n_links,)
        The same for the utilisation of each link (rows of ``impact_utilisation``).
    peak_demand_gbps : ndarray, shape (n_od,)
        Maximum demand of every od over the samples.
    base_load_gbps : ndarray, shape (n_samples, n_arcs)
        Arc loads without failures.
    base_routing : Routing
        The no-failure routing.
    graph : PlaneGraph
        The graph swept.
    arc_changes : StateChanges
        Worst load and its sample of every arc in every state, as changes from the worst
        over the samples with nothing failed (a failed arc carries 0).
    od_changes : StateChanges
        Reachability and worst ECMP latency of every od in every state (inf when
        unreachable), as changes from the no-failure routing.
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
    arc_normal_load_gbps: np.ndarray
    arc_failure_load_gbps: np.ndarray
    link_normal_utilisation: np.ndarray
    link_failure_utilisation: np.ndarray
    peak_demand_gbps: np.ndarray
    base_load_gbps: np.ndarray
    base_routing: Routing
    graph: PlaneGraph
    arc_changes: StateChanges
    od_changes: StateChanges

    # --- per state, a range of states at a time ---------------------------------------
    def state_rows(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Worst load of every arc in states ``lo:hi`` and its sample, (hi - lo, n_arcs) each."""
        return self.arc_changes.rows(lo, hi)

    def od_rows(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Reachability and worst latency of every od in states ``lo:hi``, (hi - lo, n_od)."""
        return self.od_changes.rows(lo, hi)

    def impact_rows(self, lo: int, hi: int) -> np.ndarray:
        """Worst utilisation of every link in states ``lo:hi``, shape (hi - lo, n_links)."""
        load = self.arc_changes.rows(lo, hi)[0]
        return self.graph.link_max(load / self.graph.arc_capacity_gbps)

    def state_blocks(self, row_size: int, max_elements: int = 1 << 22
                     ) -> Iterator[tuple[int, int]]:
        """Ranges of states whose dense rows of ``row_size`` stay within ``max_elements``."""
        return row_blocks(len(self.states), row_size, max_elements)

    # --- pairs ------------------------------------------------------------------------
    def unreachable_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (state, od) the state disconnects, in state then od order (a sparse list).

        Examples
        --------
        >>> from netplan.model.plane_graph import PlaneGraph
        >>> g = PlaneGraph.from_links("l", list("ABC"), ["ab", "bc"], list("AB"), list("BC"),
        ...                           10.0)
        >>> sw = sweep_failures(g, ["A", "B"], ["C", "A"], [[1.0, 2.0]],
        ...                     failure_states(g, "n-1"))
        >>> [(sw.states[s].name, int(o)) for s, o in zip(*sw.unreachable_pairs())]
        [('link:ab', 0), ('link:ab', 1), ('link:bc', 0)]
        """
        reach = self.od_changes.base[0]
        return self.od_changes.pairs_where(~reach, ~self.od_changes.values[0])

    def lost_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (state, od) whose demand a state disconnects, with its peak: (states, ods,
        Gbit/s), in state then od order; ods without demand are left out."""
        si, oi = self.unreachable_pairs()
        gbps = self.peak_demand_gbps[oi]
        keep = gbps > 0
        return si[keep], oi[keep], gbps[keep]

    def latency_pairs(self, target_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (state, od) unreachable or slower than ``target_ms`` (per od), in order."""
        reach, lat = self.od_changes.base
        ch_reach, ch_lat = self.od_changes.values
        cols = self.od_changes.cols
        return self.od_changes.pairs_where(~reach | (lat > target_ms),
                                           ~ch_reach | (ch_lat > target_ms[cols]))

    # --- dense, for small networks (built on first use, kept) --------------------------
    @cached_property
    def state_arc_load_gbps(self) -> np.ndarray:
        """Worst load of every arc in every state (over samples), shape (n_states, n_arcs);
        a failed arc carries 0."""
        return _frozen(self.arc_changes.rows(0, len(self.states))[0])

    @cached_property
    def state_arc_sample(self) -> np.ndarray:
        """Sample of that worst load, int64, shape (n_states, n_arcs)."""
        return _frozen(self.arc_changes.rows(0, len(self.states))[1])

    @cached_property
    def impact_utilisation(self) -> np.ndarray:
        """Worst utilisation of every link in every state, shape (n_states, n_links)."""
        return _frozen(self.impact_rows(0, len(self.states)))

    @cached_property
    def reachable(self) -> np.ndarray:
        """Reachability of every od in every state, bool, shape (n_states, n_od)."""
        return _frozen(self.od_changes.rows(0, len(self.states))[0])

    @cached_property
    def latency_ms(self) -> np.ndarray:
        """Worst ECMP latency of every od in every state (inf when unreachable)."""
        return _frozen(self.od_changes.rows(0, len(self.states))[1])

    @property
    def lost_gbps(self) -> np.ndarray:
        """Demand each state disconnects, shape (n_states, n_od): its maximum over samples."""
        return np.where(self.reachable, 0.0, self.peak_demand_gbps[None, :])

    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the states, in order."""
        return tuple(s.name for s in self.states)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


# ---------------------------------------------------------------------- helpers
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
    progress: StepProgress | None = None,
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
    progress : callable, optional
        ``progress(done, total, message)`` after every batch of failure states (a
        :data:`StepProgress`): ``done`` of the ``total`` states are swept.

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

    Progress comes after every batch of states, here one state a batch:

    >>> seen = []
    >>> _ = sweep_failures(g, ["A"], ["B"], [[1.0]], failure_states(g, "n-1"), batch_size=1,
    ...                    progress=lambda done, total, message: seen.append((done, total)))
    >>> seen
    [(1, 4), (2, 4), (3, 4), (4, 4)]
    """
    src, dst = od_arrays(graph, od_src, od_dst)
    demand = _check_demand(demand_gbps, src.size, graph.source)
    n_samples = int(demand.shape[0])
    states = _checked_states(graph, states)
    base = no_failure_routes(graph, src, dst)
    batch_size, first_chunk = _block_sizes(
        graph.n_arcs,
        src.size,
        base.routing.split.nnz,
        len(states),
        n_samples,
        batch_size,
        sample_chunk,
        max_block_elements,
    )
    no_failure = _no_failure_pass(graph, base, demand, n_samples, first_chunk)
    per_state = _failure_pass(
        graph,
        base,
        states,
        src,
        dst,
        demand,
        no_failure,
        batch_size,
        sample_chunk,
        max_block_elements,
        progress,
    )
    return _sweep_result(graph, states, src, dst, base, no_failure, per_state,
                         max_block_elements)


def _checked_states(
    graph: PlaneGraph, states: Sequence[FailureState] | None
) -> tuple[FailureState, ...]:
    """The states as a non-empty, checked tuple; the no-failure state alone by default."""
    states = tuple(states) if states is not None else (FailureState("none", "none"),)
    if not states:
        raise ValidationError([Problem(graph.source, "states", "give at least one state")])
    check_states(graph, states)
    return states


def _block_sizes(
    m: int,
    n_od: int,
    split_nnz: int,
    n_states: int,
    n_samples: int,
    batch_size: int | None,
    sample_chunk: int | None,
    max_block_elements: int,
) -> tuple[int, int]:
    """States per batch and samples per chunk of the no-failure pass."""
    if batch_size is None:
        # a state changes at most every entry of the no-failure split, twice (old and new)
        per_state = m + 2 * split_nnz + n_od
        batch_size = max_block_elements // max(per_state, 1)
    batch_size = int(max(1, min(batch_size, n_states)))
    # a chunk holds (samples x ods) of demand and (samples x arcs) of loads
    first_chunk = sample_chunk or max(1, max_block_elements // (m + n_od + 1))
    first_chunk = int(max(1, min(first_chunk, max(n_samples, 1))))
    return batch_size, first_chunk


@dataclass
class _NoFailure:
    peak: np.ndarray  # (n_od,) maximum demand over the samples
    load_t: np.ndarray  # (n_arcs, n_samples) arc-major: loads of one arc are contiguous
    best: np.ndarray  # (n_arcs,) worst load over the samples
    arg: np.ndarray  # (n_arcs,) sample of that worst load


def _no_failure_pass(
    graph: PlaneGraph, base: NoFailureRoutes, demand, n_samples: int, chunk_rows: int
) -> _NoFailure:
    """Pass 1: validate the demand; peak demand per od; no-failure loads and their worst."""
    split0 = base.routing.split
    m, n_od = graph.n_arcs, base.routing.od_src.size
    peak = np.zeros(n_od)
    base_load_t = np.zeros((m, n_samples))
    base_best = np.zeros(m)
    base_arg = np.zeros(m, dtype=np.int64)
    for lo in range(0, n_samples, chunk_rows):
        hi = min(lo + chunk_rows, n_samples)
        chunk = _demand_rows(demand, lo, hi)
        _bad_demand(chunk, lo, graph.source)
        np.maximum(peak, chunk.max(axis=0), out=peak)
        load = split0 @ np.ascontiguousarray(chunk.T)
        base_load_t[:, lo:hi] = load
        top, where = load.max(axis=1), load.argmax(axis=1) + lo
        better = (top > base_best) | (lo == 0)
        base_best[better], base_arg[better] = top[better], where[better]
    return _NoFailure(peak=peak, load_t=base_load_t, best=base_best, arg=base_arg)


@dataclass
class _PerState:
    arcs: StateChanges  # worst load and its sample per (state, arc)
    ods: StateChanges  # reachability and latency per (state, od)


def _failure_pass(
    graph: PlaneGraph,
    base: NoFailureRoutes,
    states: tuple[FailureState, ...],
    src: np.ndarray,
    dst: np.ndarray,
    demand,
    no_failure: _NoFailure,
    batch_size: int,
    sample_chunk: int | None,
    max_block_elements: int,
    progress: StepProgress | None = None,
) -> _PerState:
    """Pass 2: per batch of failure states, re-routed loads and their worst case.

    Each batch's dense results are cut down at once to their changes from the no-failure
    routes, so what the pass holds grows with the changes, not with states x arcs."""
    spread = _STATE_SPREAD.get()
    if spread is not None and len(states) > batch_size:
        return spread(graph, base, states, src, dst, demand, no_failure, batch_size,
                      sample_chunk, max_block_elements, progress)
    m, n_od, n_states = graph.n_arcs, src.size, len(states)
    arc_base = (no_failure.best, no_failure.arg)
    od_base = (base.routing.reachable, base.routing.latency_ms)
    arc_parts, od_parts = [], []
    for b0 in range(0, n_states, batch_size):
        batch_states = states[b0 : b0 + batch_size]
        n_b = len(batch_states)
        batch = route_batch(graph, base, batch_states, src, dst)
        od_parts.append(StateChanges.from_rows(od_base, (batch.reachable, batch.latency_ms)))
        best, arg = _batch_worst(
            batch, no_failure, demand, m, n_od, n_b, sample_chunk, max_block_elements
        )
        arc_parts.append(StateChanges.from_rows(arc_base, (best, arg),
                                                (np.float64, _sample_dtype(no_failure))))
        log.debug("%s: states %d-%d of %d done", graph.name, b0, b0 + n_b - 1, n_states)
        if progress is not None:
            progress(b0 + n_b, n_states, f"failure states of {graph.name}")
    return _PerState(arcs=StateChanges.concat(arc_parts), ods=StateChanges.concat(od_parts))


def _sample_dtype(no_failure: _NoFailure) -> type:
    """Narrowest integer that holds every sample index (most sweeps: a few dozen hours)."""
    return np.int32 if no_failure.load_t.shape[1] < 2**31 else np.int64


def _batch_worst(
    batch: BatchRoutes,
    no_failure: _NoFailure,
    demand,
    m: int,
    n_od: int,
    n_b: int,
    sample_chunk: int | None,
    max_block_elements: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Worst load of every arc in every state of a batch, and its sample: (n_b, n_arcs) each."""
    n_samples = no_failure.load_t.shape[1]
    # arcs whose routes did not change keep their no-failure worst case
    best = np.repeat(no_failure.best[None, :], n_b, axis=0)
    arg = np.repeat(no_failure.arg[None, :], n_b, axis=0)
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
            load += no_failure.load_t[arc_of, lo:hi]
            top, where = load.max(axis=1), load.argmax(axis=1) + lo
            better = top > top_all
            top_all[better], arg_all[better] = top[better], where[better]
        best.ravel()[live] = top_all
        arg.ravel()[live] = arg_all
    # a failed arc carries nothing; rounding must not report a negative load
    best[~batch.active] = 0.0
    arg[~batch.active] = 0
    np.maximum(best, 0.0, out=best)
    return best, arg


def _link_causes(
    graph: PlaneGraph,
    arc_util: np.ndarray,
    link_util: np.ndarray,
    arc_state: np.ndarray,
    arc_sample: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """State and sample of each link's worst utilisation: its arcs reaching it, earliest state."""
    link_of = graph.arc_link
    reach_worst = arc_util >= link_util[link_of] - _TIE_RTOL * np.abs(link_util[link_of])
    cand = np.flatnonzero(reach_worst)
    cand = cand[np.lexsort((cand, arc_state[cand], link_of[cand]))]
    first = cand[np.r_[True, np.diff(link_of[cand]) != 0]] if cand.size else cand
    link_state = np.zeros(graph.n_links, dtype=np.int64)
    link_sample = np.zeros(graph.n_links, dtype=np.int64)
    link_state[link_of[first]] = arc_state[first]
    link_sample[link_of[first]] = arc_sample[first]
    return link_state, link_sample


def _sweep_result(
    graph: PlaneGraph,
    states: tuple[FailureState, ...],
    src: np.ndarray,
    dst: np.ndarray,
    base: NoFailureRoutes,
    no_failure: _NoFailure,
    per_state: _PerState,
    max_block_elements: int = 1 << 22,
) -> FailureSweep:
    """The final reductions over states and links, frozen into a :class:`FailureSweep`.

    They stream over blocks of states rebuilt from the changes, so they need no dense
    (states x arcs) array; the results are those of the dense reductions, bit for bit."""
    arcs = per_state.arcs
    cap = graph.arc_capacity_gbps
    blocks = list(row_blocks(len(states), graph.n_arcs, max_block_elements))
    red = _state_reductions(graph, arcs, blocks)
    arc_load, arc_state = red["arc_load"], red["arc_state"]
    arc_sample = arcs.values_at(arc_state, np.arange(graph.n_arcs))[1].astype(np.int64)
    arc_util = arc_load / cap
    link_util = graph.link_max(arc_util)
    link_load = graph.link_max(arc_load)
    link_state, link_sample = _link_causes(graph, arc_util, link_util, arc_state, arc_sample)

    out = dict(
        arc_worst_load_gbps=arc_load,
        arc_worst_utilisation=arc_util,
        arc_cause_state=arc_state.astype(np.int64),
        arc_cause_sample=arc_sample,
        link_worst_load_gbps=link_load,
        link_worst_utilisation=link_util,
        link_cause_state=link_state.astype(np.int64),
        link_cause_sample=link_sample.astype(np.int64),
        arc_normal_load_gbps=red["arc_normal"],
        arc_failure_load_gbps=red["arc_failure"],
        link_normal_utilisation=red["link_normal"],
        link_failure_utilisation=red["link_failure"],
        peak_demand_gbps=no_failure.peak,
        base_load_gbps=no_failure.load_t.T,
    )
    for arr in out.values():
        arr.setflags(write=False)
    return FailureSweep(
        states=states,
        od_src=src,
        od_dst=dst,
        n_samples=no_failure.load_t.shape[1],
        base_routing=base.routing,
        graph=graph,
        arc_changes=arcs,
        od_changes=per_state.ods,
        **out,
    )


def _state_reductions(graph: PlaneGraph, arcs: StateChanges,
                      blocks: list[tuple[int, int]]) -> dict[str, np.ndarray]:
    """Reductions over states, block by block: each arc's worst load and its first state
    (within ``_TIE_RTOL``), and state 0 against the worst of the others, per arc and link."""
    m, n_states = graph.n_arcs, arcs.n_states
    cap = graph.arc_capacity_gbps
    best = np.full(m, -np.inf)
    arc_failure = np.full(m, -np.inf) if n_states > 1 else np.zeros(m)
    link_failure = np.full(graph.n_links, -np.inf) if n_states > 1 else np.zeros(graph.n_links)
    arc_normal = link_normal = None
    for lo, hi in blocks:
        load = arcs.rows(lo, hi)[0]
        np.maximum(best, load.max(axis=0), out=best)
        impact = graph.link_max(load / cap)
        if lo == 0:
            arc_normal, link_normal = load[0].copy(), impact[0].copy()
        rest = slice(1 if lo == 0 else 0, None)
        if load[rest].shape[0]:
            np.maximum(arc_failure, load[rest].max(axis=0), out=arc_failure)
            np.maximum(link_failure, impact[rest].max(axis=0), out=link_failure)
    # the earliest state within the tie margin of the maximum (so ties name "none")
    threshold = best - _TIE_RTOL * np.abs(best)
    first = np.full(m, -1, dtype=np.int64)
    for lo, hi in blocks:
        open_ = first < 0
        if not open_.any():
            break
        reach = arcs.rows(lo, hi)[0][:, open_] >= threshold[open_]
        found = reach.any(axis=0)
        first[np.flatnonzero(open_)[found]] = lo + np.argmax(reach[:, found], axis=0)
    first[first < 0] = 0
    return {"arc_load": best, "arc_state": first, "arc_normal": arc_normal,
            "link_normal": link_normal, "arc_failure": arc_failure,
            "link_failure": link_failure}
