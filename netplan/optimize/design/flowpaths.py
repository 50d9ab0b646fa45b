"""Split arc flows into paths."""

from __future__ import annotations

import numpy as np

__all__ = ["decompose_flow"]


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
