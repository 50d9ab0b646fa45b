"""Separating rounded cut-set inequalities: node sets whose cut a given design under-fills.

:func:`netplan.planning.design.strengthen.cutset_rows` rounds the cut-set inequality of a
fixed family of small node sets. The sets that matter for a particular design are usually
larger: a region of the network whose outgoing capacity, divided by a module size and rounded,
falls short of the demand leaving it. :func:`separate_cutsets` looks for them by growing a
set from every node, one neighbour at a time, always taking the node that leaves the rounded
inequality most violated (least slack), and keeps every violated inequality it meets. It works
on fractional module counts (an LP's) and on integer ones (a relaxation's design) alike.

Every inequality returned holds for every integer design that routes all demands: the
capacity crossing a cut must carry the demand crossing it, and mixed-integer rounding of that
row by a module size keeps every integer point.
"""

from __future__ import annotations

import numpy as np

from netplan.planning.design.problem import DesignProblem

__all__ = ["CutRow", "cut_violation", "separate_cutsets"]

# A row: module indices, coefficients, right-hand side (Σ coef · y[modules] >= rhs).
CutRow = tuple[np.ndarray, np.ndarray, float]


def cut_violation(
    p: DesignProblem, cap: np.ndarray, y: np.ndarray, masks: np.ndarray, failed=()
) -> tuple[np.ndarray, list]:
    """The most violated rounded cut-set inequality of each node set.

    Parameters
    ----------
    p : DesignProblem
        Undirected or bidirected links.
    cap : (M,) float
        Effective module capacities.
    y : (M,) float
        Module counts to test.
    masks : (K, N) bool
        One node set per row.
    failed : tuple of int
        Links down in the state tested.

    Returns
    -------
    violation : (K,) float
        ``rhs − Σ coef · y`` of the best rounding by any module size (``-inf`` for a set no
        demand crosses).
    rows : list of (coef (M,), rhs) or None
        The inequality behind each violation, coefficients over all modules.

    Examples
    --------
    One link, modules of 10 and 40, a demand of 45, one module of 40 installed: dividing by
    40 asks for 2 modules' worth (``0.25 / 0.125`` → coefficient 1 for the 10s), one short.

    >>> p = DesignProblem(n_nodes=2, link_src=[0], link_dst=[1], pre_capacity=[0],
    ...     pre_cost=[0], routing_cost=[0], module_link=[0, 0], module_capacity=[10, 40],
    ...     module_cost=[1, 3], demand_src=[0], demand_dst=[1], demand_volume=[45])
    >>> v, rows = cut_violation(p, p.module_capacity, np.array([0.0, 1.0]),
    ...                         np.array([[True, False]]))
    >>> float(v[0]), rows[0][0].tolist(), float(rows[0][1])
    (1.0, [1.0, 1.0], 2.0)
    """
    crossing = masks[:, p.link_src] != masks[:, p.link_dst]
    if failed:
        crossing[:, list(failed)] = False
    s_in, t_in = masks[:, p.demand_src], masks[:, p.demand_dst]
    out_dem = (s_in & ~t_in).astype(float) @ p.demand_volume
    in_dem = (~s_in & t_in).astype(float) @ p.demand_volume
    if p.link_model == "bidirected":
        demand = np.maximum(out_dem, in_dem)
    else:
        demand = out_dem + in_dem
    b = demand - crossing.astype(float) @ p.pre_capacity
    live = crossing[:, p.module_link].astype(float)
    best = np.full(masks.shape[0], -np.inf)
    rows: list = [None] * masks.shape[0]
    for divisor in np.unique(cap):
        a = cap / divisor
        bb = b / divisor
        f = bb - np.floor(bb)
        whole = (f < 1e-9) | (f > 1 - 1e-9)
        fs = np.where(whole, 1.0, f)[:, None]
        coef = np.floor(a)[None, :] + np.minimum((a - np.floor(a))[None, :], fs) / fs
        coef = np.where(whole[:, None], np.ceil(a - 1e-9)[None, :], coef) * live
        rhs = np.where(whole, np.round(bb), np.ceil(bb))
        # Violations compare across divisors once each row is scaled to a largest coefficient
        # of one.
        violation = np.where(b > 1e-9, rhs - coef @ y, -np.inf)
        scaled = violation / np.maximum(np.abs(coef).max(axis=1), 1e-12)
        better = scaled > best
        for k in np.flatnonzero(better):
            rows[k] = (coef[k], float(rhs[k]))
        best = np.where(better, scaled, best)
    return best, rows


def separate_cutsets(
    p: DesignProblem,
    cap: np.ndarray,
    y: np.ndarray,
    states,
    *,
    tol: float = 1e-6,
    max_rows: int = 200,
) -> list[CutRow]:
    """Rounded cut-set inequalities that ``y`` violates, found by greedy set growth.

    Sets are grown in the first state (normal operation); every set met is then also tested
    with each failure state's links removed, which is where survivable designs fall short.

    Parameters
    ----------
    p : DesignProblem
    cap : (M,) float
        Effective module capacities.
    y : (M,) float
        Module counts (fractional or integer).
    states : sequence of tuple of int
        Failed links of every network state (the first is the normal state).
    tol : float
        Smallest violation kept.
    max_rows : int
        Keep the most violated ones only.

    Returns
    -------
    list of (modules, coefficients, rhs)
        Rows ``Σ coefficients · y[modules] >= rhs``; empty for directed links (their cuts
        have two sides) or linear capacities.

    Examples
    --------
    A path 0 - 1 - 2 with modules of 10, demands of 6 from 0 to 2 and 6 from 1 to 2, and one
    module on each link: the cut around node 2 carries 12, so link 1 - 2 needs two modules.

    >>> p = DesignProblem(n_nodes=3, link_src=[0, 1], link_dst=[1, 2], pre_capacity=[0, 0],
    ...     pre_cost=[0, 0], routing_cost=[0, 0], module_link=[0, 1],
    ...     module_capacity=[10, 10], module_cost=[1, 1], demand_src=[0, 1],
    ...     demand_dst=[2, 2], demand_volume=[6, 6])
    >>> rows = separate_cutsets(p, p.module_capacity, np.array([1.0, 1.0]), [()])
    >>> [(m.tolist(), c.tolist(), r) for m, c, r in rows]
    [([1], [1.0], 2.0)]
    """
    if p.link_model == "directed" or p.capacity_model == "linear" or p.n_modules == 0:
        return []
    n = p.n_nodes
    y = np.asarray(y, float)
    seen: dict[bytes, np.ndarray] = {}
    for v in range(n):
        grown = np.zeros(n, bool)
        grown[v] = True
        seen.setdefault(_key(grown), grown.copy())
        for _ in range(max(n // 2 - 1, 0)):
            candidates = np.flatnonzero(~grown)
            masks = np.repeat(grown[None, :], candidates.size, axis=0)
            masks[np.arange(candidates.size), candidates] = True
            violation, _ = cut_violation(p, cap, y, masks, states[0] if states else ())
            k = int(np.argmax(violation))
            if not np.isfinite(violation[k]):
                break
            grown = masks[k]
            seen.setdefault(_key(grown), grown.copy())
    sets = np.array(list(seen.values()))
    found: dict[tuple, tuple[float, CutRow]] = {}
    for failed in states or [()]:
        violation, rows = cut_violation(p, cap, y, sets, failed)
        for k in np.flatnonzero(violation > tol):
            coef, rhs = rows[k]
            mods = np.flatnonzero(coef)
            key = (tuple(mods), tuple(np.round(coef[mods], 9)), round(rhs, 9))
            if key not in found or found[key][0] < violation[k]:
                found[key] = (float(violation[k]), (mods, coef[mods], rhs))
    ranked = sorted(found.values(), key=lambda item: -item[0])
    return [row for _, row in ranked[:max_rows]]


def _key(mask: np.ndarray) -> bytes:
    # A set and its complement give the same cut.
    return (mask if not mask[0] else ~mask).tobytes()
