"""Valid strengthening of the design MILP: module-count bounds and rounded cut-set rows.

Nothing here changes the optimum: the bounds hold in at least one optimal design and the
inequalities hold in every integer design. They only shrink the search.
"""

from __future__ import annotations

import math

import numpy as np

from netplan.planning.design.problem import DesignProblem

__all__ = [
    "cut_sets",
    "cutset_relaxation_arrays",
    "cutset_rows",
    "dominance_bounds",
    "module_bounds",
]


def module_bounds(
    p: DesignProblem, total: float, dominance: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Effective capacity, upper bound and integrality of each module variable.

    An acyclic routing puts at most the total demand on any link (or arc), so more modules
    than needed for that never pay off; unlimited modules count as that total.

    Parameters
    ----------
    p : DesignProblem
    total : float
        The total demand.
    dominance : bool
        Tighten the bounds with :func:`dominance_bounds`.

    Returns
    -------
    capacity, upper_bound, integrality : (M,) float
    """
    cap = np.where(np.isinf(p.module_capacity), max(total, 1.0), p.module_capacity)
    need = np.maximum(total - p.pre_capacity[p.module_link], 0.0)
    if p.capacity_model == "explicit":
        return cap, np.ones(p.n_modules), np.ones(p.n_modules)
    if p.capacity_model == "linear":
        return cap, need / cap, np.zeros(p.n_modules)
    ub = np.maximum(np.ceil(need / cap - 1e-9), 0.0)
    if dominance:
        ub = np.minimum(ub, dominance_bounds(p, cap))
    return cap, ub, np.ones(p.n_modules)


def dominance_bounds(p: DesignProblem, cap: np.ndarray) -> np.ndarray:
    """Upper bounds on module counts that keep at least one optimal design.

    If ``n`` modules of type i give at least the capacity of one module j of the same link
    and cost at least as much (``n = max(ceil(cap_j / cap_i), ceil(cost_j / cost_i))``),
    replacing them by one j never hurts, so some optimal design has ``y_i <= n - 1``. Doing
    the replacements smallest module first reaches a design meeting every such bound (and the
    total-demand bound) at once.

    Parameters
    ----------
    p : DesignProblem
    cap : (M,) float
        Effective capacity of every module type.

    Returns
    -------
    (M,) float
        ``inf`` where no module dominates.
    """
    ub = np.full(p.n_modules, np.inf)
    for lk in np.unique(p.module_link):
        mods = np.flatnonzero(p.module_link == lk)
        for i in mods:
            for j in mods:
                if i == j or p.module_cost[i] <= 0:
                    continue
                same = cap[j] == cap[i]
                if cap[j] < cap[i] or (same and (p.module_cost[j], j) > (p.module_cost[i], i)):
                    continue
                n = max(
                    math.ceil(cap[j] / cap[i] - 1e-12),
                    math.ceil(p.module_cost[j] / p.module_cost[i] - 1e-12),
                )
                ub[i] = min(ub[i], n - 1)
    return ub


def cut_sets(p: DesignProblem, extra: bool = False) -> list[np.ndarray]:
    """Node sets whose cuts get rounded capacity inequalities: every single node and the two
    end nodes of every link; with ``extra``, also every node with all its neighbours, and
    every three nodes joined by two links (a path ``a - b - c``).

    Parameters
    ----------
    p : DesignProblem
    extra : bool
        Add the larger sets.

    Returns
    -------
    list of (N,) bool
        One mask per node set, without repeats and without the set of all nodes.

    Examples
    --------
    A path 0 - 1 - 2 - 3: four single nodes and three links; the extra sets add the triples
    {0, 1, 2} and {1, 2, 3} (the neighbourhoods {0, 1}, {0, 1, 2}, ... repeat those).

    >>> p = DesignProblem(n_nodes=4, link_src=[0, 1, 2], link_dst=[1, 2, 3],
    ...     pre_capacity=[0] * 3, pre_cost=[0] * 3, routing_cost=[0] * 3, module_link=[],
    ...     module_capacity=[], module_cost=[], demand_src=[], demand_dst=[], demand_volume=[])
    >>> len(cut_sets(p)), len(cut_sets(p, extra=True))
    (7, 9)
    """
    seen: set[tuple[int, ...]] = set()
    out = []
    candidates = [(v,) for v in range(p.n_nodes)]
    candidates += [
        tuple(sorted((int(a), int(b)))) for a, b in zip(p.link_src, p.link_dst, strict=True)
    ]
    if extra:
        nbrs: list[set[int]] = [set() for _ in range(p.n_nodes)]
        for a, b in zip(p.link_src.tolist(), p.link_dst.tolist(), strict=True):
            nbrs[a].add(b)
            nbrs[b].add(a)
        for v in range(p.n_nodes):
            ring = sorted(nbrs[v])
            candidates.append(tuple(sorted({v, *ring})))
            candidates += [
                tuple(sorted((v, a, b))) for i, a in enumerate(ring) for b in ring[i + 1 :]
            ]
    for c in candidates:
        if c in seen or len(c) >= p.n_nodes:
            continue
        seen.add(c)
        mask = np.zeros(p.n_nodes, bool)
        mask[list(c)] = True
        out.append(mask)
    return out


def cutset_rows(
    p: DesignProblem, cap: np.ndarray, states, extra: bool = False, upper=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mixed-integer rounding of cut-set inequalities (valid inequalities; they never cut off
    an integer design, they only tighten the LP bound).

    For a node set S in a state, the capacity crossing the cut must carry the demand crossing
    it: Σ_m cap_m y_m >= b, with b the crossing demand minus the crossing pre-installed
    capacity. Dividing by a module size c and rounding (MIR, integer y >= 0) gives
    Σ_m (floor(a_m) + min(f_m, f) / f) y_m >= ceil(b / c), a_m = cap_m / c, f_m, f the
    fractional parts of a_m and b / c.

    Parameters
    ----------
    p : DesignProblem
    cap : (M,) float
        Effective capacity of every module type.
    states : sequence of tuple of int
        Failed links of every network state.
    extra : bool
        Use the larger node sets of :func:`cut_sets` too.
    upper : (M,) float, optional
        Module-count bounds; modules bounded to zero give no divisor of their own.

    Returns
    -------
    row, module : int arrays
    coefficient, rhs : float arrays
        Rows ``Σ coefficient · y_module >= rhs``.

    Examples
    --------
    One link with modules of 10 and 40 carrying a demand of 45: dividing by 10 gives
    ``y10 + 4 y40 >= 5``; by 40, ``(f10 / f) y10 + y40 >= 2`` with ``f = 0.125``, where the
    10-module's fraction 0.25 exceeds ``f``, so its coefficient is 1.

    >>> p = DesignProblem(n_nodes=2, link_src=[0], link_dst=[1], pre_capacity=[0],
    ...     pre_cost=[0], routing_cost=[0], module_link=[0, 0], module_capacity=[10, 40],
    ...     module_cost=[1, 3], demand_src=[0], demand_dst=[1], demand_volume=[45])
    >>> row, mod, coef, rhs = cutset_rows(p, p.module_capacity, [()])
    >>> [(int(r), int(m), float(c)) for r, m, c in zip(row, mod, coef)], rhs.tolist()
    ([(0, 0, 1.0), (0, 1, 4.0), (1, 0, 1.0), (1, 1, 1.0)], [5.0, 2.0])
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    if p.capacity_model == "linear" or p.n_modules == 0:
        return empty
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rhs: list[float] = []
    seen: set[tuple] = set()
    directed_links = p.link_model == "directed"
    usable = np.ones(p.n_modules, bool) if upper is None else np.asarray(upper) > 0
    for mask in cut_sets(p, extra):
        s_in, t_in = mask[p.demand_src], mask[p.demand_dst]
        out_dem = float(p.demand_volume[s_in & ~t_in].sum())
        in_dem = float(p.demand_volume[~s_in & t_in].sum())
        a_in, b_in = mask[p.link_src], mask[p.link_dst]
        if p.link_model == "undirected":
            sides = [(a_in != b_in, out_dem + in_dem)]
        elif p.link_model == "bidirected":
            sides = [(a_in != b_in, max(out_dem, in_dem))]
        else:
            sides = [(a_in & ~b_in, out_dem), (~a_in & b_in, in_dem)]
        for crossing, demand in sides:
            if demand <= 0:
                continue
            for failed in states:
                alive = crossing.copy()
                if failed:
                    alive[list(failed)] = False
                key = (directed_links, tuple(np.flatnonzero(alive)), round(demand, 9))
                if key in seen:
                    continue
                seen.add(key)
                b = demand - float(p.pre_capacity[alive].sum())
                mods = np.flatnonzero(alive[p.module_link])
                if b <= 1e-9 or mods.size == 0:
                    continue
                for c in np.unique(cap[mods[usable[mods]]] if usable[mods].any() else cap[mods]):
                    a = cap[mods] / c
                    bb = b / c
                    f = bb - math.floor(bb)
                    if f < 1e-9 or f > 1 - 1e-9:
                        coef, r = np.ceil(a - 1e-9), round(bb)
                    else:
                        fa = a - np.floor(a)
                        coef, r = np.floor(a) + np.minimum(fa, f) / f, math.ceil(bb)
                    rows.append(np.full(mods.size, len(rhs)))
                    cols.append(mods)
                    vals.append(coef)
                    rhs.append(float(r))
    if not rhs:
        return empty
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), np.asarray(rhs)


def cutset_relaxation_arrays(p: DesignProblem, cap: np.ndarray, upper: np.ndarray, states):
    """The cut-set relaxation of the design MILP: modules only, the rounded cut-set rows of
    every node set of :func:`cut_sets` (larger sets included) in every state.

    Every feasible design meets these rows, so the relaxation's optimum (or any lower bound
    on it) is a lower bound on the design's module cost. It has one column per module type
    and no flow variables, so HiGHS closes it far faster than the full MILP.

    Parameters
    ----------
    p : DesignProblem
    cap, upper : (M,) float
        Effective module capacities and module-count bounds.
    states : sequence of tuple of int
        Failed links of every network state.

    Returns
    -------
    tuple
        ``(c, lb, ub, integrality, A, row_lb, row_ub)`` as ``ModelBuilder.arrays()`` gives
        them, or None when there are no cut-set rows (linear capacities, no modules).

    Examples
    --------
    One link, modules of 10 (cost 3) and 40 (cost 10), demand 45: the rows are
    ``y10 + 4 y40 >= 5`` and ``y10 + y40 >= 2``, so the relaxation costs 13 (one of each).

    >>> p = DesignProblem(n_nodes=2, link_src=[0], link_dst=[1], pre_capacity=[0],
    ...     pre_cost=[0], routing_cost=[0], module_link=[0, 0], module_capacity=[10, 40],
    ...     module_cost=[3, 10], demand_src=[0], demand_dst=[1], demand_volume=[45])
    >>> c, lb, ub, integ, A, rlb, rub = cutset_relaxation_arrays(
    ...     p, p.module_capacity, np.array([5.0, 2.0]), [()])
    >>> A.toarray().tolist(), rlb.tolist()
    ([[1.0, 4.0], [1.0, 1.0]], [5.0, 2.0])
    """
    import scipy.sparse as sp

    if p.capacity_model == "linear" or p.n_modules == 0:
        return None
    rows, mods, vals, rhs = cutset_rows(p, cap, states, True, upper)
    if rhs.size == 0:
        return None
    A = sp.csr_array((vals, (rows, mods)), shape=(rhs.size, p.n_modules))
    A.sum_duplicates()
    M = p.n_modules
    integ = np.ones(M)
    return p.module_cost.copy(), np.zeros(M), np.asarray(upper, float), integ, A, rhs, np.full(
        rhs.size, np.inf
    )
