"""Rounded metric inequalities: a stronger lower bound from the modules-only relaxation.

A design with capacities ``u`` routes every demand in a state exactly when, for every choice
of link lengths ``μ >= 0``, ``Σ_l μ_l u_l >= Σ_d volume_d · dist_μ(d)`` (the Japanese theorem;
``dist_μ`` is the shortest path between the demand's ends with lengths ``μ`` on the links alive
in that state). These *metric inequalities* hold for every feasible design; dividing one by a
module size and rounding (mixed-integer rounding, as for cut sets) gives an inequality that
holds for every integer design and that the LP relaxation does not imply.

:func:`relaxation_bound` solves the modules-only relaxation (the cut-set rows of
:func:`netplan.planning.design.strengthen.cutset_relaxation_arrays`), checks the relaxed design
in every state with a maximum-concurrent-flow LP, turns the LP's capacity duals into lengths
``μ`` and adds the metric inequality and its best rounding for every state that fails; then
solves again, until the time is up or the relaxed design routes everywhere. Its bound is a
valid lower bound on the module cost of every design.

Where routing costs money per unit of flow (SNDlib's cost266), the master also has a column
``θ`` for the routing cost of the normal state, and the routing LP's capacity duals give
*routing-cost inequalities* ``θ >= Σ_d volume_d · dist_{rc+μ}(d) - Σ_l μ_l u_l`` (LP
duality; the optimality rows of Benders' method beside the metric rows, its feasibility
rows), rounded like them. The bound then counts routing as well as modules.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import dijkstra

from netplan.planning.design.backends import solve_arrays
from netplan.planning.design.connectivity import spanning_rows, with_spanning
from netplan.planning.design.problem import DesignProblem
from netplan.planning.design.separation import separate_cutsets
from netplan.planning.design.strengthen import cutset_relaxation_arrays

log = logging.getLogger(__name__)

__all__ = [
    "RelaxationBound",
    "metric_cut",
    "mir_round",
    "mir_round_with_cost",
    "relaxation_bound",
    "routing_cut",
]

_EPS = 1e-9
_ROUND_GAP = 5e-3
# Rounded cut-set rows added per round, the most violated first.
_CUTSET_ROWS = 10
# Share of the budget for the master's LP rounds, which gather rows far more cheaply than
# its integer solves.
_LP_SHARE = 0.25
_LP_ROUNDS = 200
# Share of the budget the master's integer rounds wait for a full MILP that bounds higher
# than the master's LP (see ``rival_bound``).
_WAIT_SHARE = 0.1
# Share of the budget kept back from the master's integer rounds so that the design of the
# last one, stopped by the time, is still repaired and counted.
_REPAIR_SHARE = 0.03
# Time spent cutting off the other designs a master round found, as a share of the round's.
_POOL_SHARE = 0.5


def mir_round(coef: np.ndarray, rhs: float, divisor: float) -> tuple[np.ndarray, float]:
    """Mixed-integer rounding of ``Σ coef_i y_i >= rhs`` (``y`` integer ``>= 0``).

    Parameters
    ----------
    coef : (k,) float
        Non-negative coefficients.
    rhs : float
    divisor : float
        Positive scale to divide by before rounding.

    Returns
    -------
    coef, rhs
        ``Σ (floor(a_i) + min(f_i, f) / f) y_i >= ceil(b)``, ``a = coef / divisor``,
        ``b = rhs / divisor``, ``f_i``, ``f`` their fractional parts; valid for every
        non-negative integer ``y`` meeting the original row.

    Examples
    --------
    ``10 y1 + 40 y2 >= 45`` divided by 40: ``b = 1.125``, ``f = 0.125``; ``a1 = 0.25`` has a
    larger fraction than ``f``, so its coefficient is 1: ``y1 + y2 >= 2``.

    >>> c, r = mir_round(np.array([10.0, 40.0]), 45.0, 40.0)
    >>> c.tolist(), r
    ([1.0, 1.0], 2.0)
    """
    a = np.asarray(coef, float) / divisor
    b = rhs / divisor
    f = b - math.floor(b)
    if f < 1e-9 or f > 1 - 1e-9:
        return np.ceil(a - 1e-9), float(round(b))
    fa = a - np.floor(a)
    return np.floor(a) + np.minimum(fa, f) / f, float(math.ceil(b))


def _arc_flows(p: DesignProblem, links: np.ndarray):
    """Per-source flows on both arcs of ``links``: the conservation matrix (one row per
    source and node, one column per source and arc), each source's supplies (+ at the
    source, - at every destination), the capacity matrix (one row per link) and each
    column's link."""
    srcs, kpos = np.unique(p.demand_src, return_inverse=True)
    K, N, L = srcs.size, p.n_nodes, links.size
    supply = np.zeros((K, N))
    np.add.at(supply, (kpos, p.demand_src), p.demand_volume)
    np.add.at(supply, (kpos, p.demand_dst), -p.demand_volume)
    tail = np.r_[p.link_src[links], p.link_dst[links]]
    head = np.r_[p.link_dst[links], p.link_src[links]]
    arc_link = np.r_[np.arange(L), np.arange(L)]
    A2 = 2 * L
    k_of = np.repeat(np.arange(K), A2)
    a_of = np.tile(np.arange(A2), K)
    var = np.arange(K * A2)
    conserve = sp.csr_array(
        (np.r_[np.ones(K * A2), -np.ones(K * A2)],
         (np.r_[k_of * N + tail[a_of], k_of * N + head[a_of]], np.r_[var, var])),
        shape=(K * N, K * A2),
    )  # fmt: skip
    load = sp.csr_array((np.ones(K * A2), (arc_link[a_of], var)), shape=(L, K * A2))
    return conserve, supply.reshape(-1), load, links[arc_link[a_of]]


def _concurrent_flow_duals(p: DesignProblem, capacity: np.ndarray, failed) -> tuple[float, np.ndarray]:
    """Largest λ routing λ × every demand in a state (capped at 1), and capacity duals μ."""
    alive = np.ones(p.n_links, bool)
    alive[list(failed)] = False
    links = np.flatnonzero(alive)
    conserve, supply, load, _ = _arc_flows(p, links)
    # Flows, then λ: conservation with λ × the supplies, loads within the capacities.
    A_eq = sp.hstack([conserve, sp.csr_array(-supply.reshape(-1, 1))]).tocsr()
    A_ub = sp.hstack([load, sp.csr_array((links.size, 1))]).tocsr()
    n_var = conserve.shape[1] + 1
    c = np.zeros(n_var)
    c[-1] = -1.0
    bounds = np.zeros((n_var, 2))
    bounds[:, 1] = np.inf
    bounds[-1, 1] = 1.0
    res = linprog(c, A_ub=A_ub, b_ub=capacity[links], A_eq=A_eq, b_eq=np.zeros(supply.size),
                  bounds=bounds, method="highs")  # fmt: skip
    if res.status != 0:
        return math.nan, np.zeros(p.n_links)
    mu = np.zeros(p.n_links)
    mu[links] = np.maximum(-np.asarray(res.ineqlin.marginals), 0.0)
    return float(-res.fun), mu


def metric_cut(p: DesignProblem, mu: np.ndarray, failed) -> tuple[np.ndarray, float]:
    """The metric inequality of lengths ``mu`` in a state, on module counts.

    Parameters
    ----------
    p : DesignProblem
        Undirected links.
    mu : (L,) float
        Non-negative link lengths (made strictly positive by a tiny amount, which keeps the
        inequality valid: any lengths give one).
    failed : tuple of int
        Failed links of the state.

    Returns
    -------
    coef : (M,) float
        Coefficient of every module type.
    rhs : float
        ``Σ coef · y >= rhs`` holds for every design routing all demands in the state.

    Examples
    --------
    A triangle with unit lengths and a demand of 15 between nodes 0 and 2: the direct link
    counts once, the two-link path's links once each, so ``y0 + y1 + y2 >= 15 / 10``:

    >>> p = DesignProblem(n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2],
    ...     pre_capacity=[0] * 3, pre_cost=[0] * 3, routing_cost=[0] * 3,
    ...     module_link=[0, 1, 2], module_capacity=[10] * 3, module_cost=[1] * 3,
    ...     demand_src=[0], demand_dst=[2], demand_volume=[15])
    >>> coef, rhs = metric_cut(p, np.ones(3), ())
    >>> np.round(coef, 6).tolist(), round(rhs, 6)
    ([10.0, 10.0, 10.0], 15.0)
    """
    alive = np.ones(p.n_links, bool)
    alive[list(failed)] = False
    length = np.where(alive, mu + _EPS * max(float(mu.max(initial=0.0)), 1e-12), 0.0)
    g = sp.csr_array(
        (np.r_[length[alive], length[alive]],
         (np.r_[p.link_src[alive], p.link_dst[alive]], np.r_[p.link_dst[alive], p.link_src[alive]])),
        shape=(p.n_nodes, p.n_nodes),
    )
    srcs, kpos = np.unique(p.demand_src, return_inverse=True)
    dist = dijkstra(g, directed=True, indices=srcs)
    d = dist[kpos, p.demand_dst]
    if not np.all(np.isfinite(d)):
        return np.zeros(p.n_modules), math.inf
    rhs = float(p.demand_volume @ d) - float(length @ p.pre_capacity)
    coef = length[p.module_link] * p.module_capacity
    return coef, rhs


def _routing_duals(p: DesignProblem, capacity: np.ndarray) -> tuple[float, np.ndarray]:
    """Cheapest routing of every demand in the normal state within ``capacity`` (routing
    costs per unit of flow on each link), and its capacity duals μ; ``(nan, zeros)`` when
    the demands do not fit."""
    conserve, supply, load, link_of = _arc_flows(p, np.arange(p.n_links))
    res = linprog(p.routing_cost[link_of], A_ub=load, b_ub=capacity, A_eq=conserve,
                  b_eq=supply, bounds=(0, None), method="highs")  # fmt: skip
    if res.status != 0:
        return math.nan, np.zeros(p.n_links)
    return float(res.fun), np.maximum(-np.asarray(res.ineqlin.marginals), 0.0)


def routing_cut(p: DesignProblem, cap: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, float]:
    """The routing-cost inequality of capacity prices ``mu`` in the normal state.

    For any prices ``μ >= 0`` on the links' capacities, the cheapest routing of every demand
    within capacities ``u`` costs at least ``Σ_d volume_d · dist(d) - Σ_l μ_l u_l``, where
    ``dist`` is the shortest path with lengths ``routing cost + μ`` (LP duality; equality
    at the routing LP's own duals). With ``θ`` the routing cost and ``u`` the pre-installed
    capacity plus the modules', this bounds ``θ`` from below by the module counts: the
    optimality rows of a Benders decomposition, which the master needs wherever routing
    costs money.

    Parameters
    ----------
    p : DesignProblem
        Undirected links.
    cap : (M,) float
        Effective module capacities.
    mu : (L,) float
        Non-negative capacity prices (raised by a tiny amount, which keeps the inequality
        valid: any prices give one).

    Returns
    -------
    coef : (M,) float
        Coefficient of every module type.
    rhs : float
        ``θ + Σ coef · y >= rhs`` holds for every design that routes every demand in the
        normal state at routing cost ``θ``.

    Examples
    --------
    One link of routing cost 2 per unit, modules of 10, a demand of 15: at price 0 the
    routing cost is at least 2 × 15 = 30, whatever the modules.

    >>> p = DesignProblem(n_nodes=2, link_src=[0], link_dst=[1], pre_capacity=[0],
    ...     pre_cost=[0], routing_cost=[2], module_link=[0], module_capacity=[10],
    ...     module_cost=[1], demand_src=[0], demand_dst=[1], demand_volume=[15])
    >>> coef, rhs = routing_cut(p, p.module_capacity, np.zeros(1))
    >>> float(np.round(coef, 6)[0]), round(rhs, 6)
    (0.0, 30.0)
    """
    price = mu + _EPS * max(float(mu.max(initial=0.0)), float(p.routing_cost.max(initial=0.0)), 1e-12)
    length = p.routing_cost + price
    g = sp.csr_array(
        (np.r_[length, length], (np.r_[p.link_src, p.link_dst], np.r_[p.link_dst, p.link_src])),
        shape=(p.n_nodes, p.n_nodes),
    )
    srcs, kpos = np.unique(p.demand_src, return_inverse=True)
    d = dijkstra(g, directed=True, indices=srcs)[kpos, p.demand_dst]
    if not np.all(np.isfinite(d)):
        return np.zeros(p.n_modules), math.inf
    rhs = float(p.demand_volume @ d) - float(price @ p.pre_capacity)
    return price[p.module_link] * cap, rhs


def mir_round_with_cost(
    coef: np.ndarray, cost_coef: float, rhs: float, divisor: float
) -> tuple[np.ndarray, float, float] | None:
    """Mixed-integer rounding of ``Σ coef_i y_i + cost_coef · θ >= rhs`` (``y`` integer,
    ``θ >= 0`` continuous).

    Returns ``(coef, cost_coef, rhs)`` of ``Σ (floor(a_i) + min(f_i, f) / f) y_i
    + cost_coef · θ / (divisor · f) >= ceil(b)`` (``a``, ``b``, ``f`` as in
    :func:`mir_round`), valid for every such ``(y, θ)`` meeting the original row; None when
    ``b`` is integral (the rounding adds nothing).

    Examples
    --------
    ``0.6 y + θ >= 0.5``: ``f = 0.5``, so ``y + 2 θ >= 1`` (``y = 0`` needs ``θ >= 0.5``).

    >>> c, t, r = mir_round_with_cost(np.array([0.6]), 1.0, 0.5, 1.0)
    >>> c.tolist(), t, r
    ([1.0], 2.0, 1.0)
    """
    a = np.asarray(coef, float) / divisor
    b = rhs / divisor
    f = b - math.floor(b)
    if f < 1e-6 or f > 1 - 1e-6:
        return None
    fa = a - np.floor(a)
    return np.floor(a) + np.minimum(fa, f) / f, cost_coef / (divisor * f), float(math.ceil(b))


@dataclass(frozen=True, eq=False)
class RelaxationBound:
    """Outcome of :func:`relaxation_bound`.

    ``bound`` is a lower bound on the module cost of every design, plus its routing cost
    where routing is priced (``nan`` when none); ``routable`` says whether the last relaxed
    design ``modules`` routes in every state, which makes it a feasible design (an optimal
    one when its cost meets the bound and nothing but modules and routing costs money).
    ``inequalities`` are the rows found on the way, ``(coefficients, rhs)`` meaning
    ``Σ coefficients · x >= rhs``, where ``x`` is the module counts and, where routing is
    priced, then the normal state's routing cost divided by ``routing_unit`` (``nan``: not
    priced; a row may stop at the module counts). Every integer design that routes meets
    them.
    """

    bound: float
    modules: np.ndarray | None
    routable: bool
    rounds: int
    rows: int
    time_s: float
    inequalities: tuple = ()
    routing_unit: float = math.nan


def relaxation_bound(
    p: DesignProblem,
    cap: np.ndarray,
    upper: np.ndarray,
    states,
    *,
    backend: str = "scipy",
    time_budget_s: float = 10.0,
    max_rounds: int = 50,
    repair: Callable[[np.ndarray], float] | None = None,
    gap: float = 0.0,
    stop: threading.Event | None = None,
    spanning_bound: float = math.nan,
    rival_bound: Callable[[], float] | None = None,
) -> RelaxationBound:
    """Lower bound on the module (and routing) cost from cut-set, rounded metric and
    routing-cost inequalities.

    This is a Benders decomposition of the design problem: the modules-only relaxation is
    the master, and each state's routing check returns either "routes" or a metric
    inequality the master's design violates. Besides those, every round adds the rounded
    cut-set inequalities the master's design violates on larger node sets
    (:func:`netplan.planning.design.separation.separate_cutsets`), and the rows of the
    other designs the round found on its way that do not route, as far as half the round's
    time allows, where there is one state (SNDlib's norway ``-N-N`` at 300 s: bound 441,370
    instead of 437,850–439,770, one master solve yielding the rows of several designs),
    unless ``rival_bound`` is above the master's. Where routing costs
    money, the master has a column for the normal state's routing cost, and a design that
    routes there more cheaply in the master than in fact adds a routing-cost row
    (:func:`routing_cut`, rounded by :func:`mir_round_with_cost`): the bound then counts
    routing too. With ``repair``, each master design is also turned into a feasible one,
    and the loop stops as soon as the bound is within ``gap`` of the cheapest of them.

    Parameters
    ----------
    p : DesignProblem
    cap, upper : (M,) float
        Effective module capacities and module-count bounds.
    states : sequence of tuple of int
        Failed links of every network state.
    backend : {"highspy", "scipy"}
    time_budget_s : float
        Stop after this long (the bound so far stays valid).
    max_rounds : int
    repair : callable, optional
        Called with every master design (module counts); returns the cost of the cheapest
        feasible design found so far (``inf`` when none), comparable with the bound. When it
        has a ``best_modules`` attribute (that design's module counts), the master starts
        from it.
    gap : float
        Relative gap between that cost and the bound at which to stop.
    stop : threading.Event, optional
        Stop (keeping the bound so far) soon after it is set: another thread solving the
        same problem has finished.
    spanning_bound : float
        The LP bound with the spanning rows of :mod:`netplan.planning.design.connectivity`
        (the links bought connect every demand's ends;
        :func:`netplan.planning.design.connectivity.spanning_lp_bounds`). The master takes
        the rows after its first integer round when that round's bound stays below this:
        then they add what the metric and cut-set rows miss. Where those rows already bound
        higher, the rows' columns would only slow every integer round down (SNDlib's norway
        ``-N-N``: 9.3 % gap after 300 s with them in the master from the first round,
        4.6 % without).
        ``nan``: never (a first round without a bound takes them too).
    rival_bound : callable, optional
        The current lower bound of a full MILP solved beside this one (same objective, no
        constant). When it is above the master's LP bound once the LP rounds are done, the
        master's integer rounds start only after a tenth of the budget, unless ``stop`` is
        set first: the MILP may close the gap alone, and the integer rounds would take the
        processor it needs. While it is above the master's bound, the rounds skip the rows
        of their other designs.

    Returns
    -------
    RelaxationBound

    Examples
    --------
    Triangle, modules of 10 at cost 1, a demand of 15 between nodes 0 and 2 that must
    survive any single link failure: without the direct link the path 0 - 1 - 2 carries it
    all, without either of the others the direct link does, so every link needs two modules.

    >>> p = DesignProblem(n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2],
    ...     pre_capacity=[0] * 3, pre_cost=[0] * 3, routing_cost=[0] * 3,
    ...     module_link=[0, 1, 2], module_capacity=[10] * 3, module_cost=[1] * 3,
    ...     demand_src=[0], demand_dst=[2], demand_volume=[15],
    ...     survivability="unrestricted")
    >>> r = relaxation_bound(p, p.module_capacity, np.full(3, 2.0), p.states())
    >>> r.bound, r.routable, r.modules.tolist()
    (6.0, True, [2.0, 2.0, 2.0])
    """
    t0 = time.perf_counter()
    base = cutset_relaxation_arrays(p, cap, upper, states)
    if base is None:
        return RelaxationBound(math.nan, None, False, 0, 0, 0.0)
    M = p.n_modules
    extra_rows: list[tuple[np.ndarray, float]] = []
    bound, modules, routable, rounds = math.nan, None, False, 0
    undirected = p.link_model == "undirected" and not p.demand_directed
    # Where routing costs money, the master prices it too: a column θ for the normal
    # state's routing cost, bounded by routing-cost rows (SNDlib's cost266: a modules-only
    # master's LP bounds 9.3 M against the full MILP's 22.4 M, routing being most of it).
    priced = undirected and bool(np.any(p.routing_cost > 0)) and () in set(states)
    # θ is counted in units of a typical module's cost, near the rows' module coefficients
    # (a link's price times a module's capacity): HiGHS's simplex fails on cost266's
    # master with θ in units of money.
    unit = float(np.median(p.module_cost)) if priced and p.module_cost.size else 1.0
    unit = unit if unit > 0 else 1.0
    if priced:
        base = _with_routing_column(base, unit)
        extra_rows.append(_routing_row(p, cap, np.zeros(p.n_links), unit))
    if undirected:
        lp_rows, lp_bound = _lp_rows(p, cap, base, states, t0, _LP_SHARE * time_budget_s,
                                     extra_rows, unit if priced else None)  # fmt: skip
        extra_rows += lp_rows
        rival = rival_bound() if rival_bound is not None else -math.inf
        if not lp_bound >= rival:
            # The full MILP already bounds higher than the master's LP: it may well close
            # the gap alone (SNDlib's pdh -N-N in 20 s), and the master's integer rounds
            # would take the processor it needs (30 s with them). They wait a while.
            wait_s = _WAIT_SHARE * time_budget_s - (time.perf_counter() - t0)
            log.info("modules-only relaxation: LP bound %.6g below the MILP's %.6g, waiting "
                     "%.0f s", lp_bound, rival, max(wait_s, 0.0))  # fmt: skip
            if wait_s > 0:
                if stop is not None:
                    stop.wait(wait_s)
                else:
                    time.sleep(wait_s)
    tree = None
    c, lb, ub, integ, A, rlb, rub = base
    round_gap, round_cap_s = _ROUND_GAP, max(time_budget_s / 4, 1.0)
    # A round stopped by the time still hands its design to the repair: on SNDlib's pdh
    # -N-U the last round's design (14,104,502) had been dropped for want of time, and the
    # result was a design costing 14,954,032.
    reserve_s = _REPAIR_SHARE * time_budget_s if repair is not None else 0.0
    while rounds < max_rounds:
        left = time_budget_s - (time.perf_counter() - t0) - reserve_s
        if left <= 0.2 or (stop is not None and stop.is_set()):
            break
        if rounds == 1 and tree is None and spanning_bound > -math.inf and not bound >= spanning_bound:
            # The links bought must connect every demand's ends. Where the first integer
            # master bounds below what that alone gives, its rows miss it: the master
            # takes the spanning rows from now on.
            tree = spanning_rows(p)
            if tree is not None:
                log.info("modules-only relaxation: spanning rows (bound %.6g below their LP "
                         "bound %.6g)", bound, spanning_bound)  # fmt: skip
                c, lb, ub, integ, A, rlb, rub = with_spanning(base, tree)
        A_all, rlb_all = _stacked(A, rlb, extra_rows)
        rub_all = np.r_[rub, np.full(len(extra_rows), np.inf)]
        # Each round stops early (time share, a loose gap): its design only has to show
        # where to cut, and its bound stays valid whatever it stops at.
        # The cheapest feasible design so far meets every valid row: a start for the master.
        start = None
        if repair is not None and getattr(repair, "best_modules", None) is not None:
            y0 = np.minimum(repair.best_modules, ub[:M])
            start = (np.arange(c.size), _with_tree(p, tree, y0, cap, unit if priced else None))
        # The round's other designs are cut off where there is one state (see below).
        pool: list[np.ndarray] | None = [] if len(states) == 1 else None
        round_t0 = time.perf_counter()
        out = solve_arrays((c, lb, ub, integ, A_all, rlb_all, rub_all), backend=backend,
                           time_limit_s=min(left, round_cap_s), gap=round_gap, options={},
                           start=start, stop=stop, pool=pool)  # fmt: skip
        round_s = time.perf_counter() - round_t0
        rounds += 1
        routable = False
        if np.isfinite(out.bound):
            bound = out.bound if not np.isfinite(bound) else max(bound, out.bound)
        if out.x is None or not undirected:
            break
        modules = np.round(out.x[:M])
        if repair is not None:
            best = repair(modules)
            if np.isfinite(bound) and bound >= best * (1 - gap) - _EPS * max(1.0, abs(best)):
                break  # the cheapest feasible design is proven within the gap
        capacity = _capacity(p, cap, modules)
        new = _violated(p, cap, capacity, modules, states, t0, time_budget_s,
                        (out.x[M] * unit, unit) if priced else None)  # fmt: skip
        if new is None:
            break  # out of time
        if not new:
            routable = True
            if round_gap > gap and not _master_closed(out, gap):
                # The master's design routes in every state, so no row is missing: only
                # the master's own gap is left. It runs on with the rest of the time and
                # the gap asked for (SNDlib's ta1 -N-U: its first round stops at its time
                # share 3 % short, on a design that routes).
                round_gap, round_cap_s = gap, math.inf
                continue
            break
        extra_rows += new
        extra_rows += _dense(p, separate_cutsets(p, cap, modules, states, max_rows=_CUTSET_ROWS))
        # With several states each design already yields a row per state that fails, and
        # checking more designs in every state delays the next round (SNDlib's india35
        # -N-U: 15.66 % with them, 9.65 % without). Where the full MILP bounds higher, the
        # master serves for its designs alone.
        if pool is not None and (rival_bound is None or not rival_bound() > bound):
            pool_s = min(_POOL_SHARE * round_s,
                         time_budget_s - (time.perf_counter() - t0) - reserve_s)  # fmt: skip
            extra_rows += _pool_rows(p, cap, pool, modules, states, pool_s,
                                     unit if priced else None)  # fmt: skip
    elapsed = time.perf_counter() - t0
    log.info("modules-only relaxation: bound %.6g after %d round(s), %d metric rows, %.1f s",
             bound, rounds, len(extra_rows), elapsed)
    return RelaxationBound(
        bound, modules, routable, rounds, len(extra_rows), elapsed, tuple(extra_rows),
        unit if priced else math.nan,
    )


def _pool_rows(p, cap, pool, last, states, budget_s, unit=None):
    """Rows cutting off the other designs a master round found on its way (``pool``, the
    last found last), newest first, until ``budget_s`` is spent: one master solve then
    yields the rows of several designs, and fewer rounds restart the search."""
    t0 = time.perf_counter()
    M = p.n_modules
    seen = {np.round(last).tobytes()}
    rows: list[tuple[np.ndarray, float]] = []
    for x in reversed(pool):
        if time.perf_counter() - t0 > budget_s:
            break
        y = np.round(x[:M])
        if y.tobytes() in seen:
            continue
        seen.add(y.tobytes())
        capacity = _capacity(p, cap, y)
        theta = (float(x[M]) * unit, unit) if unit is not None else None
        new = _violated(p, cap, capacity, y, states, t0, budget_s, theta)
        rows += new or []
        rows += _dense(p, separate_cutsets(p, cap, y, states, max_rows=_CUTSET_ROWS))
    return rows


def _capacity(p: DesignProblem, cap: np.ndarray, modules: np.ndarray) -> np.ndarray:
    """Each link's capacity: pre-installed plus ``modules`` of capacity ``cap``."""
    capacity = p.pre_capacity.copy()
    np.add.at(capacity, p.module_link, modules * cap)
    return capacity


def _master_closed(out, gap: float) -> bool:
    """Whether a master solve proved its design within ``gap`` of its own optimum."""
    if out.x is None or not np.isfinite(out.bound):
        return False
    return out.objective - out.bound <= gap * max(abs(out.objective), 1e-12) + _EPS


def _stacked(A, rlb, rows):
    """The master's rows ``A``, ``rlb`` with ``rows`` (dense coefficients over the master's
    first columns: the module counts, then θ where routing is priced; rhs) below them."""
    if not rows:
        return A, rlb
    coef = np.zeros((len(rows), A.shape[1]))
    for i, (row, _) in enumerate(rows):
        coef[i, : row.size] = row
    return sp.vstack([A, sp.csr_array(coef)]).tocsr(), np.r_[rlb, [rhs for _, rhs in rows]]


def _solve_lp(arrays, time_limit_s: float):
    """The master's LP relaxation ``(c, lb, ub, A, row_lb, row_ub)``; solved again with the
    costs divided by the largest when HiGHS fails on it.

    With costs in the millions HiGHS's dual simplex fails on some of these LPs ("excessive
    dual values": SNDlib's cost266 after 3 rounds, norway ``-N-U`` and ta1 ``-N-N`` later),
    which ended the LP rounds early with a weak bound. Scaled on every round instead, the
    LP rounds gather other rows and the ``-N-U`` results at 300 s went worse (pdh 14.9 %,
    india35 15.3 %), so only a failed solve is scaled.
    """
    c, lb, ub, A, rlb, rub = arrays
    out = solve_arrays((c, lb, ub, np.zeros(c.size), A, rlb, rub), backend="scipy",
                       time_limit_s=time_limit_s, gap=0.0, options={})  # fmt: skip
    unit = max(float(np.abs(c).max(initial=0.0)), 1e-12)
    if out.x is not None or out.status != "error" or unit <= 1.0:
        return out
    out = solve_arrays((c / unit, lb, ub, np.zeros(c.size), A, rlb, rub), backend="scipy",
                       time_limit_s=time_limit_s, gap=0.0, options={})  # fmt: skip
    out.objective, out.bound = out.objective * unit, out.bound * unit
    return out


def _with_routing_column(arrays, unit: float):
    """The master's arrays with a column θ >= 0 after the module counts: the routing cost
    of the normal state in units of ``unit`` (its cost), which only the routing-cost rows
    bound."""
    c, lb, ub, integ, A, rlb, rub = arrays
    A = sp.hstack([A, sp.csr_array((A.shape[0], 1))]).tocsr()
    return np.r_[c, unit], np.r_[lb, 0.0], np.r_[ub, np.inf], np.r_[integ, 0.0], A, rlb, rub


def _with_tree(p: DesignProblem, tree, modules: np.ndarray, cap: np.ndarray,
               unit: float | None = None) -> np.ndarray:  # fmt: skip
    """The master's columns for ``modules``: the counts, θ where routing is priced (the
    cheapest routing within the modules' capacity, in units of ``unit``), then the
    spanning columns."""
    capacity = _capacity(p, cap, modules)
    x = modules
    if unit is not None:
        cost, _ = _routing_duals(p, capacity)
        # Just above the LP's cost, so that rounding noise does not make the start infeasible.
        x = np.r_[x, (cost * (1 + 1e-7) + 1e-7) / unit if math.isfinite(cost) else 0.0]
    return x if tree is None else np.r_[x, tree.fill(capacity > 0)]


def _routing_row(p: DesignProblem, cap: np.ndarray, mu: np.ndarray, unit: float):
    """The routing-cost row of prices ``mu`` over ``(modules, θ in units of unit)``,
    scaled to a largest coefficient of 1."""
    coef, rhs = routing_cut(p, cap, mu)
    row = np.r_[coef, unit]
    scale = float(np.abs(row).max())
    return row / scale, rhs / scale


def _dense(p: DesignProblem, rows) -> list[tuple[np.ndarray, float]]:
    """Separated rows ``(modules, coefficients, rhs)`` as coefficients over every module."""
    out = []
    for mods, coef, rhs in rows:
        row = np.zeros(p.n_modules)
        row[mods] = coef
        out.append((row, rhs))
    return out


def _lp_rows(p, cap, base, states, t0, budget_s, first=(), unit=None):
    """Rows gathered on the master's LP relaxation (which has the rows ``first`` already):
    solve it, add the metric, cut-set and routing-cost rows its fractional design violates,
    until none is or the time is up; and the best LP bound on the way. ``unit``: the cost
    of θ's unit where routing is priced, else None."""
    c, lb, ub, _, A, rlb, rub = base
    A, rlb = _stacked(A, rlb, list(first))
    rub = np.r_[rub, np.full(len(first), np.inf)]
    rows: list[tuple[np.ndarray, float]] = []
    lp_bound = -math.inf
    for _ in range(_LP_ROUNDS):
        if time.perf_counter() - t0 > budget_s:
            break
        A_all, rlb_all = _stacked(A, rlb, rows)
        left_s = max(budget_s - (time.perf_counter() - t0), 0.5)
        rub_all = np.r_[rub, np.full(len(rows), np.inf)]
        out = _solve_lp((c, lb, ub, A_all, rlb_all, rub_all), left_s)
        if out.x is None:
            break
        lp_bound = max(lp_bound, out.objective)
        y = np.maximum(out.x[: p.n_modules], 0.0)
        capacity = _capacity(p, cap, y)
        theta = (float(out.x[p.n_modules]) * unit, unit) if unit is not None else None
        new = _violated(p, cap, capacity, y, states, t0, budget_s, theta) or []
        new += _dense(p, separate_cutsets(p, cap, y, states, max_rows=_CUTSET_ROWS * 5))
        if not new:
            break
        rows += new
    log.info("modules-only relaxation: %d rows from its LP (bound %.6g), %.1f s", len(rows),
             lp_bound, time.perf_counter() - t0)
    return rows, lp_bound


def _violated(p, cap, capacity, modules, states, t0, budget_s, theta=None):
    """Rounded metric rows cutting off ``modules`` in the states where it does not route,
    and with ``theta`` (the master's routing cost and the cost of θ's unit) the
    routing-cost row it violates; ``[]`` when none is violated, None when time ran out."""
    rows: list[tuple[np.ndarray, float]] = []
    for failed in states:
        if time.perf_counter() - t0 > budget_s:
            return None
        lam, mu = _concurrent_flow_duals(p, capacity, failed)
        if theta is not None and not failed and math.isfinite(lam) and lam >= 1 - 1e-7:
            row = _routing_violated(p, cap, capacity, modules, *theta)
            if row is not None:
                rows.append(row)
        if not math.isfinite(lam) or lam >= 1 - 1e-7 or not mu.any():
            continue
        coef, rhs = metric_cut(p, mu, failed)
        if not math.isfinite(rhs) or rhs <= 0:
            continue
        scale = float(np.abs(coef).max())
        coef, rhs = coef / scale, rhs / scale
        best, best_v = (coef, rhs), rhs - float(coef @ modules)
        for divisor in np.unique(coef[(modules > 0) & (coef > 1e-9)]):
            rc, rr = mir_round(coef, rhs, float(divisor))
            v = rr - float(rc @ modules)
            if v / max(float(np.abs(rc).max()), 1e-12) > best_v / max(float(np.abs(best[0]).max()), 1e-12):
                best, best_v = (rc, rr), v
        if best_v > 1e-6:
            rows.append(best)
    return rows


def _routing_violated(p, cap, capacity, modules, theta: float, unit: float):
    """The routing-cost row (its best rounding) that ``(modules, theta)`` violates, over
    ``(modules, θ in units of unit)``; None when the cheapest routing within ``capacity``
    costs no more than ``theta``."""
    cost, mu = _routing_duals(p, capacity)
    if not math.isfinite(cost) or cost <= theta + 1e-6 * max(abs(cost), 1.0):
        return None
    coef, rhs = routing_cut(p, cap, mu)
    scale = max(float(np.abs(coef).max(initial=0.0)), 1.0)
    best, best_v = np.r_[coef, 1.0] / scale, (rhs - float(coef @ modules) - theta) / scale
    for divisor in np.unique(coef[(modules > 0) & (coef > 1e-9)]):
        rounded = mir_round_with_cost(coef, 1.0, rhs, float(divisor))
        if rounded is None:
            continue
        rc, rt, rr = rounded
        norm = max(float(np.abs(rc).max(initial=0.0)), rt)
        v = (rr - float(rc @ modules) - rt * theta) / norm
        if v > best_v:
            best, best_v = np.r_[rc, rt] / norm, v
    if best_v <= 1e-9:
        return None
    rhs_row = float(best_v + best[:-1] @ modules + best[-1] * theta)
    row = np.r_[best[:-1], best[-1] * unit]
    scale = float(np.abs(row).max())
    return row / scale, rhs_row / scale
