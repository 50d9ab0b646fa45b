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

__all__ = ["RelaxationBound", "metric_cut", "mir_round", "relaxation_bound"]

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


def _concurrent_flow_duals(p: DesignProblem, capacity: np.ndarray, failed) -> tuple[float, np.ndarray]:
    """Largest λ routing λ × every demand in a state (capped at 1), and capacity duals μ."""
    alive = np.ones(p.n_links, bool)
    alive[list(failed)] = False
    links = np.flatnonzero(alive)
    srcs, kpos = np.unique(p.demand_src, return_inverse=True)
    K, N, L = srcs.size, p.n_nodes, links.size
    supply = np.zeros((K, N))
    np.add.at(supply, (kpos, p.demand_src), p.demand_volume)
    np.add.at(supply, (kpos, p.demand_dst), -p.demand_volume)
    tail = np.r_[p.link_src[links], p.link_dst[links]]
    head = np.r_[p.link_dst[links], p.link_src[links]]
    arc_link = np.r_[np.arange(L), np.arange(L)]
    A2 = 2 * L
    n_var = K * A2 + 1  # flows, then λ
    k_of = np.repeat(np.arange(K), A2)
    a_of = np.tile(np.arange(A2), K)
    var = np.arange(K * A2)
    rows = np.r_[k_of * N + tail[a_of], k_of * N + head[a_of], np.arange(K * N)]
    cols = np.r_[var, var, np.full(K * N, n_var - 1)]
    vals = np.r_[np.ones(K * A2), -np.ones(K * A2), -supply.reshape(-1)]
    A_eq = sp.csr_array((vals, (rows, cols)), shape=(K * N, n_var))
    A_ub = sp.csr_array(
        (np.ones(K * A2), (arc_link[a_of], var)), shape=(L, n_var)
    )
    c = np.zeros(n_var)
    c[-1] = -1.0
    bounds = np.zeros((n_var, 2))
    bounds[:, 1] = np.inf
    bounds[-1, 1] = 1.0
    res = linprog(c, A_ub=A_ub, b_ub=capacity[links], A_eq=A_eq, b_eq=np.zeros(K * N),
                  bounds=bounds, method="highs")
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


@dataclass(frozen=True, eq=False)
class RelaxationBound:
    """Outcome of :func:`relaxation_bound`.

    ``bound`` is a lower bound on the module cost of every design (``nan`` when none);
    ``routable`` says whether the last relaxed design ``modules`` routes in every state, which
    makes it a feasible design (an optimal one when its module cost meets the bound and
    nothing but modules costs money). ``inequalities`` are the rows found on the way,
    ``(coefficients over all modules, rhs)`` meaning ``Σ coefficients · y >= rhs``; every
    integer design that routes meets them, so the full MILP may take them too.
    """

    bound: float
    modules: np.ndarray | None
    routable: bool
    rounds: int
    rows: int
    time_s: float
    inequalities: tuple = ()


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
    """Lower bound on the module cost from cut-set and rounded metric inequalities.

    This is a Benders decomposition of the design problem: the modules-only relaxation is
    the master, and each state's routing check returns either "routes" or a metric
    inequality the master's design violates. Besides those, every round adds the rounded
    cut-set inequalities the master's design violates on larger node sets
    (:func:`netplan.planning.design.separation.separate_cutsets`). With ``repair``, each
    master design is also turned into a feasible one, and the loop stops as soon as the
    bound is within ``gap`` of the cheapest of them.

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
        processor it needs.

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
    if undirected:
        lp_rows, lp_bound = _lp_rows(p, cap, base, states, t0, _LP_SHARE * time_budget_s)
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
            start = (np.arange(c.size), _with_tree(p, tree, y0, cap))
        out = solve_arrays((c, lb, ub, integ, A_all, rlb_all, rub_all), backend=backend,
                           time_limit_s=min(left, round_cap_s), gap=round_gap, options={},
                           start=start, stop=stop)  # fmt: skip
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
        capacity = p.pre_capacity.copy()
        np.add.at(capacity, p.module_link, modules * cap)
        new = _violated(p, cap, capacity, modules, states, t0, time_budget_s)
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
    elapsed = time.perf_counter() - t0
    log.info("modules-only relaxation: bound %.6g after %d round(s), %d metric rows, %.1f s",
             bound, rounds, len(extra_rows), elapsed)
    return RelaxationBound(
        bound, modules, routable, rounds, len(extra_rows), elapsed, tuple(extra_rows)
    )


def _master_closed(out, gap: float) -> bool:
    """Whether a master solve proved its design within ``gap`` of its own optimum."""
    if out.x is None or not np.isfinite(out.bound):
        return False
    return out.objective - out.bound <= gap * max(abs(out.objective), 1e-12) + _EPS


def _stacked(A, rlb, rows):
    """The master's rows ``A``, ``rlb`` with ``rows`` (dense coefficients over the module
    counts, the master's first columns; rhs) below them."""
    if not rows:
        return A, rlb
    coef = np.array([coef for coef, _ in rows])
    extra = sp.csr_array(np.hstack([coef, np.zeros((coef.shape[0], A.shape[1] - coef.shape[1]))]))
    return sp.vstack([A, extra]).tocsr(), np.r_[rlb, [rhs for _, rhs in rows]]


def _with_tree(p: DesignProblem, tree, modules: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """The master's columns for ``modules``: the counts, then the spanning columns."""
    if tree is None:
        return modules
    capacity = p.pre_capacity.copy()
    np.add.at(capacity, p.module_link, modules * cap)
    return np.r_[modules, tree.fill(capacity > 0)]


def _dense(p: DesignProblem, rows) -> list[tuple[np.ndarray, float]]:
    """Separated rows ``(modules, coefficients, rhs)`` as coefficients over every module."""
    out = []
    for mods, coef, rhs in rows:
        row = np.zeros(p.n_modules)
        row[mods] = coef
        out.append((row, rhs))
    return out


def _lp_rows(p, cap, base, states, t0, budget_s) -> tuple[list[tuple[np.ndarray, float]], float]:
    """Rows gathered on the master's LP relaxation: solve it, add the metric and cut-set
    rows its fractional design violates, until none is or the time is up; and the best LP
    bound on the way."""
    c, lb, ub, _, A, rlb, rub = base
    rows: list[tuple[np.ndarray, float]] = []
    lp_bound = -math.inf
    for _ in range(_LP_ROUNDS):
        if time.perf_counter() - t0 > budget_s:
            break
        A_all, rlb_all = _stacked(A, rlb, rows)
        out = solve_arrays(
            (c, lb, ub, np.zeros(c.size), A_all, rlb_all, np.r_[rub, np.full(len(rows), np.inf)]),
            backend="scipy", time_limit_s=max(budget_s - (time.perf_counter() - t0), 0.5),
            gap=0.0, options={},
        )
        if out.x is None:
            break
        lp_bound = max(lp_bound, out.objective)
        y = np.maximum(out.x[: p.n_modules], 0.0)
        capacity = p.pre_capacity.copy()
        np.add.at(capacity, p.module_link, y * cap)
        new = _violated(p, cap, capacity, y, states, t0, budget_s) or []
        new += _dense(p, separate_cutsets(p, cap, y, states, max_rows=_CUTSET_ROWS * 5))
        if not new:
            break
        rows += new
    log.info("modules-only relaxation: %d rows from its LP (bound %.6g), %.1f s", len(rows),
             lp_bound, time.perf_counter() - t0)
    return rows, lp_bound


def _violated(p, cap, capacity, modules, states, t0, budget_s):
    """Rounded metric rows cutting off ``modules`` in the states where it does not route;
    ``[]`` when it routes everywhere, None when time ran out."""
    rows: list[tuple[np.ndarray, float]] = []
    for failed in states:
        if time.perf_counter() - t0 > budget_s:
            return None
        lam, mu = _concurrent_flow_duals(p, capacity, failed)
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
