"""Candidate paths for the routed (traffic-engineered) plan, and what each failure does to them.

Every origin-destination pair (od) may use a few explicit paths, as MPLS-TE or segment
routing tunnels are configured: its ``k`` shortest paths by link weight and, for every
failure state that cuts all of them (for single link failures: every link the ``k`` paths
share), the shortest path that survives that state. A failure state then

* *kills* the paths through a failed link or node,
* *drops* the ods that start or end at a failed node (their traffic has nowhere to go), and
* *disconnects* (``lost``) the ods left with no surviving path, which happens only when the
  state cuts the two ends apart in the graph itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from netplan.analysis.failure_states import FailureState
from netplan.analysis.routing import k_shortest_paths, shortest_path_avoiding
from netplan.model.plane_graph import PlaneGraph

log = logging.getLogger(__name__)

__all__ = ["CandidatePaths", "candidate_paths"]


@dataclass(frozen=True, eq=False)
class CandidatePaths:
    """The candidate paths of every od of one plane and their fate in every failure state.

    Attributes
    ----------
    od_src, od_dst : (D,) int
        Origin and destination node of every od.
    path_od : (P,) int
        The od of every path; paths of one od are contiguous, ods in order.
    od_ptr : (D + 1,) int
        Paths of od ``i`` are ``od_ptr[i]:od_ptr[i + 1]``.
    path_arcs : tuple of ndarray
        Arc indices along every path.
    path_weight : (P,) float
        Routing metric of every path (sum of its arcs' weights).
    arc_incidence : (P, n_arcs) csr_matrix
        1 where a path uses an arc.
    states : tuple of FailureState
        The failure states (without the no-failure state).
    dead : (S, P) csr_matrix of bool
        Paths each state kills.
    dropped : (S, D) bool
        Ods each state drops (an end node failed).
    lost : (S, D) bool
        Ods a state disconnects although both ends survive.
    unreachable : (D,) bool
        Ods with no path at all without failures.
    """

    od_src: np.ndarray
    od_dst: np.ndarray
    path_od: np.ndarray
    od_ptr: np.ndarray
    path_arcs: tuple[np.ndarray, ...]
    path_weight: np.ndarray
    arc_incidence: sp.csr_matrix
    states: tuple[FailureState, ...]
    dead: sp.csr_matrix
    dropped: np.ndarray
    lost: np.ndarray
    unreachable: np.ndarray

    @property
    def n_paths(self) -> int:
        """Number of candidate paths."""
        return int(self.path_od.size)

    def paths_of(self, od: int) -> range:
        """Indices of the paths of one od."""
        return range(int(self.od_ptr[od]), int(self.od_ptr[od + 1]))


def _symmetric(graph: PlaneGraph) -> bool:
    """True when arc 2i+1 is arc 2i reversed with the same weight (full-duplex links)."""
    if graph.n_arcs % 2:
        return False
    return bool(
        np.array_equal(graph.arc_src[0::2], graph.arc_dst[1::2])
        and np.array_equal(graph.arc_dst[0::2], graph.arc_src[1::2])
        and np.array_equal(graph.arc_weight[0::2], graph.arc_weight[1::2])
        and np.array_equal(graph.arc_link[0::2], graph.arc_link[1::2])
    )


def _state_arcs(graph: PlaneGraph, state: FailureState) -> np.ndarray:
    """Links a path must avoid to survive ``state`` (failed links and those at failed nodes)."""
    links = set(state.links)
    if state.nodes:
        links |= set(graph.arc_link[graph.arcs_at_nodes(list(state.nodes))].tolist())
    return np.asarray(sorted(links), dtype=np.int64)


def _path_nodes(graph: PlaneGraph, arcs: np.ndarray) -> np.ndarray:
    return np.r_[graph.arc_src[arcs], graph.arc_dst[arcs[-1:]]]


def _kill_matrix(
    graph: PlaneGraph, path_arcs: Sequence[np.ndarray], states: Sequence[FailureState]
) -> sp.csr_matrix:
    """(S, P) bool: paths through a failed link or node of each state."""
    P, S = len(path_arcs), len(states)
    if P == 0 or S == 0:
        return sp.csr_matrix((S, P), dtype=bool)
    lens = np.array([a.size for a in path_arcs])
    flat = np.concatenate(path_arcs)
    rows = np.repeat(np.arange(P), lens)
    path_link = sp.csr_matrix(
        (np.ones(flat.size), (rows, graph.arc_link[flat])), shape=(P, graph.n_links)
    )
    nodes = [_path_nodes(graph, a) for a in path_arcs]
    path_node = sp.csr_matrix(
        (
            np.ones(sum(n.size for n in nodes)),
            (np.repeat(np.arange(P), [n.size for n in nodes]), np.concatenate(nodes)),
        ),
        shape=(P, graph.n_nodes),
    )
    s_link = sp.csr_matrix(
        (
            np.ones(sum(len(s.links) for s in states)),
            (
                np.repeat(np.arange(S), [len(s.links) for s in states]),
                np.asarray([i for s in states for i in s.links], dtype=np.int64),
            ),
        ),
        shape=(S, graph.n_links),
    )
    s_node = sp.csr_matrix(
        (
            np.ones(sum(len(s.nodes) for s in states)),
            (
                np.repeat(np.arange(S), [len(s.nodes) for s in states]),
                np.asarray([i for s in states for i in s.nodes], dtype=np.int64),
            ),
        ),
        shape=(S, graph.n_nodes),
    )
    hits = s_link @ path_link.T + s_node @ path_node.T
    out = (hits > 0).tocsr()
    out.eliminate_zeros()
    return out


def _dropped(states: Sequence[FailureState], src: np.ndarray, dst: np.ndarray, n_nodes: int):
    out = np.zeros((len(states), src.size), dtype=bool)
    for s, state in enumerate(states):
        if state.nodes:
            down = np.zeros(n_nodes, dtype=bool)
            down[list(state.nodes)] = True
            out[s] = down[src] | down[dst]
    return out


def _cover(graph, per_od, src, dst, states, dropped, removed, excluded, avoid_of) -> None:
    """Add paths so that every state leaves each od a path avoiding ``excluded`` links."""
    excluded_a = np.asarray(excluded, dtype=np.int64)
    bad_link = np.zeros(graph.n_links, dtype=bool)
    bad_link[excluded_a] = True
    base_avoid = np.union1d(np.asarray(removed, dtype=np.int64), excluded_a).astype(np.int64)
    D = src.size
    if excluded_a.size:
        for od in range(D):
            if per_od[od] and all(bad_link[graph.arc_link[p]].any() for p in per_od[od]):
                path = shortest_path_avoiding(graph, int(src[od]), int(dst[od]), base_avoid)
                if path is not None:
                    per_od[od].append(path)
    for _round in range(3):
        usable = [[p for p in paths if not bad_link[graph.arc_link[p]].any()] for paths in per_od]
        flat = [p for paths in usable for p in paths]
        owner = np.repeat(np.arange(D), [len(p) for p in usable])
        npaths = np.array([len(p) for p in usable])
        if not flat or not states:
            return
        dead = _kill_matrix(graph, flat, states)
        od_of = sp.csr_matrix(
            (np.ones(owner.size), (np.arange(owner.size), owner)), shape=(owner.size, D)
        )
        counts = (dead.astype(np.float64) @ od_of).toarray()
        cut = (counts >= npaths[None, :]) & (npaths[None, :] > 0) & ~dropped
        added = 0
        for s, od in zip(*np.nonzero(cut), strict=True):
            if avoid_of[s] is None:
                avoid_of[s] = _state_arcs(graph, states[s])
            avoid = np.union1d(avoid_of[s], base_avoid).astype(np.int64)
            path = shortest_path_avoiding(graph, int(src[od]), int(dst[od]), avoid)
            if path is None or any(np.array_equal(path, p) for p in per_od[od]):
                continue
            per_od[od].append(path)
            added += 1
        if not added:
            return


def candidate_paths(
    graph: PlaneGraph,
    od_src,
    od_dst,
    states: Sequence[FailureState] = (),
    *,
    k: int = 3,
    removed_links: Sequence[int] = (),
    optional_links: Sequence[int] = (),
) -> CandidatePaths:
    """The candidate paths of every od: ``k`` shortest, plus one surviving each cutting state.

    Parameters
    ----------
    graph : PlaneGraph
        The plane, candidate links included when they may be built.
    od_src, od_dst : array_like of int
        Node indices of every od's ends.
    states : sequence of FailureState
        Failure states to survive (the no-failure state is ignored if present).
    k : int
        Shortest paths per od before the failure-driven additions.
    removed_links : sequence of int
        Links no path may use at all (links at nodes the scenario fails for good).
    optional_links : sequence of int
        Links that may be left unbuilt (candidates). Paths over them are kept, and the
        covering rule is applied a second time to the paths that avoid them: every od gets
        a path on the other links (when one exists) and, for every state cutting all of
        those, the shortest one surviving it.

    Returns
    -------
    CandidatePaths

    Examples
    --------
    A square A-B-C-D-A with a diagonal A-C. From A to B with ``k=1`` the only path is the
    link A-B, so its failure adds the shortest path avoiding it (over the diagonal):

    >>> from netplan.analysis.failure_states import failure_states
    >>> g = PlaneGraph.from_links("sq", list("ABCD"), ["ab", "bc", "cd", "da", "ac"],
    ...                           list("ABCDA"), list("BCDAC"), 1.0, weight=[1, 1, 1, 1, 1.5])
    >>> cp = candidate_paths(g, [0], [1], failure_states(g, "n-1")[1:], k=1)
    >>> [g.arc_link[a].tolist() for a in cp.path_arcs]
    [[0], [4, 1]]
    >>> cp.dead.toarray().astype(int).tolist()  # rows: states ab, bc, cd, da, ac
    [[1, 0], [0, 1], [0, 0], [0, 0], [0, 1]]
    """
    src = np.asarray(od_src, dtype=np.int64).reshape(-1)
    dst = np.asarray(od_dst, dtype=np.int64).reshape(-1)
    states = tuple(s for s in states if s.links or s.nodes)
    removed = [int(x) for x in removed_links]
    D = src.size
    mirror = _symmetric(graph)
    found: dict[tuple[int, int], list[np.ndarray]] = {}
    per_od: list[list[np.ndarray]] = []
    for o, d in zip(src.tolist(), dst.tolist(), strict=True):
        if mirror and (d, o) in found:
            # Full-duplex links with equal weights: the reverse od's paths, reversed.
            paths = [np.ascontiguousarray(p[::-1] ^ 1) for p in found[(d, o)]]
        else:
            paths = k_shortest_paths(graph, o, d, k, failed_links=removed)
            found[(o, d)] = paths
        per_od.append(list(paths))

    dropped = _dropped(states, src, dst, graph.n_nodes)
    avoid_of: list[np.ndarray | None] = [None] * len(states)
    # For every state that cuts all of an od's paths, add the shortest surviving path; then
    # the same over the built links alone, so that building a candidate link stays a
    # choice and is never forced by the path set.
    _cover(graph, per_od, src, dst, states, dropped, removed, (), avoid_of)
    optional = sorted({int(x) for x in optional_links} - set(removed))
    if optional:
        _cover(graph, per_od, src, dst, states, dropped, removed, optional, avoid_of)

    flat = [p for paths in per_od for p in paths]
    owner = np.repeat(np.arange(D), [len(p) for p in per_od]).astype(np.int64)
    dead = _kill_matrix(graph, flat, states)
    npaths = np.array([len(p) for p in per_od], dtype=np.int64)
    counts = np.zeros((len(states), D))
    if flat and states:
        od_of = sp.csr_matrix(
            (np.ones(owner.size), (np.arange(owner.size), owner)), shape=(owner.size, D)
        )
        counts = (dead.astype(np.float64) @ od_of).toarray()
    lost = (counts >= npaths[None, :]) & (npaths[None, :] > 0) & ~dropped
    lens = np.array([p.size for p in flat], dtype=np.int64)
    cols = np.concatenate(flat) if flat else np.zeros(0, dtype=np.int64)
    incidence = sp.csr_matrix(
        (np.ones(cols.size), (np.repeat(np.arange(len(flat)), lens), cols)),
        shape=(len(flat), graph.n_arcs),
    )
    weight = np.array([float(graph.arc_weight[p].sum()) for p in flat])
    log.debug("%s: %d ods, %d candidate paths", graph.name, D, len(flat))
    return CandidatePaths(
        od_src=src,
        od_dst=dst,
        path_od=owner,
        od_ptr=np.r_[0, np.cumsum(npaths)].astype(np.int64),
        path_arcs=tuple(flat),
        path_weight=weight,
        arc_incidence=incidence,
        states=states,
        dead=dead,
        dropped=dropped,
        lost=lost,
        unreachable=npaths == 0,
    )
