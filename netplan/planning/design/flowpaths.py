"""Split arc flows into paths: one commodity's flow, and a solved design's routing per state.

:func:`decompose_flow` splits one commodity's arc flow into paths (cycles cancelled);
:func:`paths_for_state` turns the flow variables of a solved design MILP into the paths of
every demand, and :func:`arc_flow_from_paths` adds them up per link and direction.
"""

from __future__ import annotations

import numpy as np

from netplan.planning.design.formulation import Arcs, BuiltModel, FlowBlock
from netplan.planning.design.problem import DesignProblem

__all__ = ["arc_flow_from_paths", "decompose_flow", "paths_for_state"]


def _find_cycle(n_nodes: int, tail, head, f, tol) -> list[int] | None:
    """Arcs of one directed cycle among arcs with flow > tol, or None."""
    out: list[list[int]] = [[] for _ in range(n_nodes)]
    for a in np.flatnonzero(f > tol):
        out[tail[a]].append(int(a))
    color = np.zeros(n_nodes, np.int8)
    via = np.full(n_nodes, -1)
    for root in range(n_nodes):
        if color[root]:
            continue
        stack = [(root, 0)]
        color[root] = 1
        while stack:
            v, i = stack[-1]
            if i < len(out[v]):
                stack[-1] = (v, i + 1)
                a = out[v][i]
                w = head[a]
                if color[w] == 0:
                    color[w] = 1
                    via[w] = a
                    stack.append((w, 0))
                elif color[w] == 1:
                    cycle = [a]
                    u = v
                    while u != w:
                        cycle.append(int(via[u]))
                        u = tail[via[u]]
                    return cycle[::-1]
            else:
                color[v] = 2
                stack.pop()
    return None


def decompose_flow(
    n_nodes: int,
    tail,
    head,
    flow,
    source: int,
    sink_amount: dict[int, float],
    tol: float = 1e-9,
) -> list[tuple[int, float, tuple[int, ...]]]:
    """Split a single-source arc flow into paths to its sinks.

    Cycles are cancelled first, so every path is simple.

    Parameters
    ----------
    n_nodes : int
    tail, head : int arrays (A,)
    flow : float array (A,)
        Non-negative arc flows satisfying conservation.
    source : int
    sink_amount : dict
        Flow each sink receives.
    tol : float
        Flows below this are treated as zero.

    Returns
    -------
    list of (sink, amount, arc indices)

    Examples
    --------
    >>> decompose_flow(3, [0, 0, 1], [1, 2, 2], [3.0, 2.0, 1.0], 0, {1: 2.0, 2: 3.0})
    [(1, 2.0, (0,)), (2, 2.0, (1,)), (2, 1.0, (0, 2))]
    """
    tail = np.asarray(tail, np.int64)
    head = np.asarray(head, np.int64)
    f = np.array(flow, dtype=float)
    f[f < tol] = 0.0
    while (cycle := _find_cycle(n_nodes, tail, head, f, tol)) is not None:
        f[cycle] -= f[cycle].min()
        f[f < tol] = 0.0
    need = dict(sink_amount)
    out: list[tuple[int, float, tuple[int, ...]]] = []
    for _ in range(4 * (tail.size + len(need)) + 8):
        if not any(v > tol for v in need.values()):
            break
        v = source
        path: list[int] = []
        while True:
            if v != source and need.get(v, 0.0) > tol:
                break
            cand = np.flatnonzero((tail == v) & (f > tol))
            if cand.size == 0:
                break
            a = int(cand[np.argmax(f[cand])])
            path.append(a)
            v = int(head[a])
        if not path or need.get(v, 0.0) <= tol:
            break  # what remains is numerical noise
        amount = min(float(f[path].min()), need[v])
        f[path] -= amount
        f[f < tol] = 0.0
        need[v] -= amount
        out.append((v, amount, tuple(path)))
    return out


def paths_for_state(
    p: DesignProblem, built: BuiltModel, block: FlowBlock, x: np.ndarray
) -> tuple[tuple[tuple[float, tuple[int, ...]], ...], ...]:
    """The paths of every demand in one network state of a solved design MILP.

    Parameters
    ----------
    p : DesignProblem
    built : BuiltModel
        The model that was solved.
    block : FlowBlock
        The state's flow variables.
    x : (n,) float
        The solution.

    Returns
    -------
    tuple
        Per demand, a tuple of ``(flow, link indices)`` from the demand's source, equal
        paths merged.
    """
    arcs = built.arcs
    D = p.n_demands
    per: list[list[tuple[float, tuple[int, ...]]]] = [[] for _ in range(D)]
    tol = 1e-7 * max(1.0, float(p.demand_volume.max(initial=0.0)))
    A_all = arcs.tail.size
    if block.kind == "aggregated":
        meta = block.meta
        A = meta["A"]
        for k, s in enumerate(meta["sources"]):
            vals = x[block.var[k * A : (k + 1) * A]]
            f = np.zeros(A_all)
            np.add.at(f, block.arc[k * A : (k + 1) * A], vals)
            mine = np.flatnonzero(meta["kpos"] == k)
            sinks: dict[int, float] = {}
            for d in mine:
                t = int(meta["dst"][d])
                sinks[t] = sinks.get(t, 0.0) + float(p.demand_volume[d])
            pieces = decompose_flow(p.n_nodes, arcs.tail, arcs.head, f, int(s), sinks, tol)
            by_sink: dict[int, list[tuple[float, tuple[int, ...]]]] = {}
            for t, amount, path in pieces:
                by_sink.setdefault(t, []).append((amount, path))
            for t, plist in by_sink.items():
                ds = [int(d) for d in mine if int(meta["dst"][d]) == t]
                _assign(plist, ds, p.demand_volume, meta["flipped"], arcs, per)
    elif block.kind == "disaggregated":
        A = block.meta["A"]
        for d in range(D):
            vals = x[block.var[d * A : (d + 1) * A]] * p.demand_volume[d]
            f = np.zeros(A_all)
            np.add.at(f, block.arc[d * A : (d + 1) * A], vals)
            t = int(p.demand_dst[d])
            pieces = decompose_flow(
                p.n_nodes,
                arcs.tail,
                arcs.head,
                f,
                int(p.demand_src[d]),
                {t: float(p.demand_volume[d])},
                tol,
            )
            per[d] = [
                (amount, tuple(int(arcs.link[a]) for a in path)) for _, amount, path in pieces
            ]
    else:
        start = block.meta["start"]
        for i, (d, path, _) in enumerate(block.meta["paths"]):
            amount = float(x[start + i]) * p.demand_volume[d]
            if amount > tol:
                per[d].append((amount, tuple(path)))
    return tuple(tuple(_merge(plist)) for plist in per)


def _assign(plist, ds, volume, flipped, arcs: Arcs, per) -> None:
    """Share a sink's paths among the demands that end there, in order."""
    i = 0
    left = [float(volume[d]) for d in ds]
    for amount, path in plist:
        links = tuple(int(arcs.link[a]) for a in path)
        while amount > 0 and i < len(ds):
            take = min(amount, left[i])
            d = ds[i]
            per[d].append((take, links[::-1] if flipped[d] else links))
            amount -= take
            left[i] -= take
            if left[i] <= 1e-12 * max(1.0, float(volume[d])):
                i += 1
        if i >= len(ds):
            break


def _merge(plist):
    merged: dict[tuple[int, ...], float] = {}
    for amount, links in plist:
        merged[links] = merged.get(links, 0.0) + amount
    return [(a, links) for links, a in merged.items()]


def arc_flow_from_paths(p: DesignProblem, paths) -> np.ndarray:
    """Flow per state, link and direction of the paths of every state and demand.

    Parameters
    ----------
    p : DesignProblem
    paths : sequence
        ``paths[s][d]``: ``(flow, link indices)`` pairs of demand ``d`` in state ``s``.

    Returns
    -------
    (S, L, 2) float
        Direction 0 is source→target of the link, 1 the other way.
    """
    out = np.zeros((len(paths), p.n_links, 2))
    for s, per_demand in enumerate(paths):
        for d, plist in enumerate(per_demand):
            for amount, links in plist:
                at = int(p.demand_src[d])
                for lk in links:
                    if p.link_src[lk] == at:
                        out[s, lk, 0] += amount
                        at = int(p.link_dst[lk])
                    else:
                        out[s, lk, 1] += amount
                        at = int(p.link_src[lk])
    return out
