"""A first design for the MILP: LP relaxation, cheapest module cover per link, slope scaling.

One network state: the LP relaxation routes the demands; each link then gets the cheapest
module combination that covers its load (:func:`cheapest_cover`), which with the LP's own
routing is a feasible design. Slope scaling repeats this: every link's module costs in the LP
are set to what its rounded cover paid per unit of load, so the next LP bundles flow on links
whose modules are already partly paid for. The best rounded design over the rounds is handed
to HiGHS as its MIP start.

Several states (survivable designs): the full LP is as large as the MILP, so the states are
taken one at a time instead: each state's LP may use the modules already bought for free and
buys more (at the module costs) only where it must, and the purchase is rounded up at once.
Capacity only grows, so every earlier state's routing still fits.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from netplan.planning.design.backends import solve_arrays
from netplan.planning.design.formulation import BuiltModel
from netplan.planning.design.problem import DesignProblem

log = logging.getLogger(__name__)

__all__ = ["HeuristicDesign", "cheapest_cover", "heuristic_design", "repair_design"]

_MAX_NODES = 200_000
# The completion MILP of a repair: its time cap and the gap at which it stops.
_COMPLETION_S = 30.0
_COMPLETION_GAP = 1e-3


def cheapest_cover(
    need: float, capacity, cost, upper=None, *, single: bool = False
) -> tuple[float, np.ndarray]:
    """The cheapest integer module counts whose capacity covers ``need``.

    Minimise ``Σ cost_i n_i`` subject to ``Σ capacity_i n_i >= need``, ``0 <= n_i <=
    upper_i`` integer (depth-first search, cheapest capacity per cost first, pruned by the
    best ratio of what is left).

    Parameters
    ----------
    need : float
        Capacity to cover (nothing to buy when ``<= 0``).
    capacity, cost : (k,) float
        Module sizes and prices.
    upper : (k,) float, optional
        Most modules of each type (``inf`` = unlimited).
    single : bool
        At most one module in all (explicit capacities).

    Returns
    -------
    cost : float
        ``inf`` when no combination covers ``need``.
    counts : (k,) float

    Examples
    --------
    Modules of 10 (cost 3) and 40 (cost 10): 45 costs 13 (one of each), 35 costs 10.

    >>> cheapest_cover(45, [10, 40], [3, 10])
    (13.0, array([1., 1.]))
    >>> cheapest_cover(35, [10, 40], [3, 10])[0]
    10.0
    >>> cheapest_cover(45, [10, 40], [3, 10], [9, 1], single=True)[0]
    inf
    """
    cap = np.asarray(capacity, float)
    price = np.asarray(cost, float)
    ub = np.full(cap.size, np.inf) if upper is None else np.asarray(upper, float)
    counts = np.zeros(cap.size)
    if need <= 1e-9 * max(1.0, need):
        return 0.0, counts
    if single:
        ok = np.flatnonzero((cap >= need - 1e-9) & (ub >= 1))
        if ok.size == 0:
            return math.inf, counts
        i = ok[np.argmin(price[ok])]
        counts[i] = 1.0
        return float(price[i]), counts
    order = np.argsort(price / cap, kind="stable")
    best = [math.inf, counts.copy()]
    nodes = [0]

    def search(pos: int, left: float, spent: float) -> None:
        nodes[0] += 1
        if left <= 1e-9:
            if spent < best[0]:
                best[0], best[1] = spent, counts.copy()
            return
        if pos == order.size or nodes[0] > _MAX_NODES:
            return
        rest = order[pos:]
        if spent + left * float(np.min(price[rest] / cap[rest])) >= best[0] - 1e-9:
            return
        i = order[pos]
        most = min(ub[i], math.ceil(left / cap[i] - 1e-9))
        for n in range(int(most), -1, -1):
            counts[i] = n
            search(pos + 1, left - n * cap[i], spent + n * price[i])
        counts[i] = 0

    search(0, float(need), 0.0)
    return float(best[0]), best[1]


@dataclass(frozen=True, eq=False)
class HeuristicDesign:
    """A rounded design: the full MILP vector, its cost and how it was found."""

    x: np.ndarray
    objective: float
    lp_bound: float
    rounds: int
    time_s: float


def _capacity_rows(p: DesignProblem, built: BuiltModel):
    """(rows per capacity row: link, arcs → row) as the formulation lays them out."""
    arcs = built.arcs
    if p.link_model == "undirected":
        return np.arange(p.n_links), arcs.link
    return arcs.link, np.arange(arcs.tail.size)


def _loads(p: DesignProblem, built: BuiltModel, x: np.ndarray) -> np.ndarray:
    """The largest load of every capacity row over the states."""
    row_link, row_of_arc = _capacity_rows(p, built)
    peak = np.zeros(row_link.size)
    for block in built.blocks:
        load = np.zeros(row_link.size)
        np.add.at(load, row_of_arc[block.arc], block.coef * x[block.var])
        peak = np.maximum(peak, load)
    return peak


def _round(p, built, x, cap, ub, c) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Replace the LP's module columns by the cheapest covers of the LP loads."""
    row_link, _ = _capacity_rows(p, built)
    need = np.zeros(p.n_links)
    np.maximum.at(need, row_link, _loads(p, built, x))
    need = np.maximum(need - p.pre_capacity, 0.0)
    y = np.zeros(p.n_modules)
    paid = np.zeros(p.n_links)
    for lk in range(p.n_links):
        mods = np.flatnonzero(p.module_link == lk)
        if need[lk] <= 0:
            continue
        if mods.size == 0:
            return y, math.inf, paid, need
        if p.capacity_model == "linear":
            i = mods[np.argmin(p.module_cost[mods] / cap[mods])]
            y[i] = need[lk] / cap[i]
            paid[lk] = y[i] * p.module_cost[i]
            continue
        cost, counts = cheapest_cover(
            need[lk], cap[mods], p.module_cost[mods], ub[mods],
            single=p.capacity_model == "explicit",
        )  # fmt: skip
        if not math.isfinite(cost):
            return y, math.inf, paid, need
        y[mods] = counts
        paid[lk] = cost
    z = x.copy()
    z[built.module_start : built.module_start + p.n_modules] = y
    if built.setup_start is not None:
        capacity = p.pre_capacity.copy()
        np.add.at(capacity, p.module_link, y * cap)
        z[built.setup_start : built.setup_start + p.n_links] = (capacity > 0).astype(float)
    built.fill_spanning(p, z, cap)
    return z, float(c @ z) + built.constant, paid, need


class _LP:
    """An LP ``min c x``, ``rlb <= A x <= rub``, ``lb <= x <= ub``, solved again with changed
    costs or column bounds (``highspy`` re-solves from the previous basis)."""

    def __init__(self, c, lb, ub, A, rlb, rub, backend: str) -> None:
        self.arrays = (c, lb, ub, A, rlb, rub)
        self.h = None
        if backend == "highspy":
            from netplan.planning.design.backends import _load_highspy

            self.h = _load_highspy((c, lb, ub, np.zeros(c.size), A, rlb, rub), 1e9, 0, {})

    def solve(self, c, time_limit_s: float, lb=None) -> tuple[np.ndarray | None, float]:
        """The optimal ``x`` and objective, or ``(None, nan)``."""
        if self.h is not None:
            h = self.h
            h.setOptionValue("time_limit", max(float(time_limit_s), 0.1))
            idx = np.arange(c.size, dtype=np.int32)
            h.changeColsCost(c.size, idx, np.asarray(c, float))
            if lb is not None:
                h.changeColsBounds(c.size, idx, np.asarray(lb, float), self.arrays[2])
            h.run()
            info = h.getInfo()
            if h.modelStatusToString(h.getModelStatus()) != "Optimal":
                return None, math.nan
            return np.asarray(h.getSolution().col_value, float), float(info.objective_function_value)
        _, lb0, ub, A, rlb, rub = self.arrays
        lb = lb0 if lb is None else lb
        fin_u, fin_l = np.isfinite(rub), np.isfinite(rlb)
        eq = fin_u & fin_l & (rub == rlb)
        up, lo = fin_u & ~eq, fin_l & ~eq
        res = linprog(
            c, A_ub=sp.vstack([A[up], -A[lo]]).tocsr(), b_ub=np.r_[rub[up], -rlb[lo]],
            A_eq=A[eq], b_eq=rub[eq], bounds=np.c_[lb, ub], method="highs",
            options={"time_limit": max(float(time_limit_s), 0.1)},
        )  # fmt: skip
        return (res.x, float(res.fun)) if res.status == 0 else (None, math.nan)


def _slope_scaling(p, built, arrays, cap, backend, rounds, t0, budget_s):
    """Rounded LP designs with slope-scaled module costs: the best, its LP bound and round."""
    c, lb, ub, _, A, rlb, rub = arrays
    mod = slice(built.module_start, built.module_start + p.n_modules)
    lp = _LP(c, lb, ub, A, rlb, rub, backend)
    cost = c.copy()
    best, lp_bound = None, math.nan
    for k in range(rounds + 1):
        left = budget_s - (time.perf_counter() - t0)
        if left <= 0:
            break
        x, obj = lp.solve(cost, left)
        if x is None:
            break
        if k == 0:
            lp_bound = obj + built.constant
        z, total, paid, need = _round(p, built, x, cap, ub[mod], c)
        if best is None or total < best[1] - 1e-9:
            best = (z, total, k)
        # Slope scaling: price each link's capacity at what its cover paid per unit of load.
        used = need > 0
        rate = np.zeros(p.n_links)
        rate[used] = paid[used] / need[used]
        new = cost.copy()
        new[mod] = np.where(used[p.module_link], rate[p.module_link] * cap, c[mod])
        if np.allclose(new, cost):
            break
        cost = new
    return best, lp_bound


def _state_columns(built: BuiltModel, block, n_modules: int) -> np.ndarray:
    mods = built.module_start + np.arange(n_modules)
    return np.concatenate([mods, np.unique(block.var)])


def _sequential(p, built, arrays, cap, backend, t0, budget_s, start_modules=None):
    """States one at a time, modules bought so far (from ``start_modules`` on) free: the
    design, or None."""
    c, lb, ub, _, A, rlb, rub = arrays
    A = sp.csr_array(A)
    mod = slice(built.module_start, built.module_start + p.n_modules)
    row_link, row_of_arc = _capacity_rows(p, built)
    y = np.zeros(p.n_modules)
    if start_modules is not None:
        y = np.minimum(np.asarray(start_modules, float), ub[mod])
    z = np.zeros(c.size)
    # Flow costs nothing across several states, and capacity already bought is free: a
    # tiny price per unit of flow keeps the LPs from routing around cycles, which would
    # only slow the path decomposition down.
    unit = float(np.min(p.module_cost / cap, initial=np.inf)) if p.n_modules else 1.0
    tiny = 1e-5 * (unit if np.isfinite(unit) and unit > 0 else 1.0)
    for block in built.blocks:
        if time.perf_counter() - t0 > budget_s:
            return None
        r0, r1 = block.meta["rows"]
        cols = _state_columns(built, block, p.n_modules)
        M = p.n_modules
        lo = lb[cols].copy()
        lo[:M] = y
        price = c[cols].copy()
        price[M:] += tiny
        lp = _LP(price, lo, ub[cols], A[r0:r1][:, cols], rlb[r0:r1], rub[r0:r1], backend)
        x, _ = lp.solve(price, budget_s - (time.perf_counter() - t0))
        if x is None:
            return None
        z[cols[M:]] = x[M:]
        load = np.zeros(row_link.size)
        np.add.at(load, row_of_arc[block.arc], block.coef * z[block.var])
        need = np.zeros(p.n_links)
        np.maximum.at(need, row_link, load)
        have = p.pre_capacity.copy()
        np.add.at(have, p.module_link, y * cap)
        for lk in np.flatnonzero(need > have + 1e-9 * np.maximum(1.0, need)):
            mods = np.flatnonzero(p.module_link == lk)
            extra, counts = cheapest_cover(
                need[lk] - have[lk], cap[mods], p.module_cost[mods], ub[mod][mods] - y[mods],
                single=p.capacity_model == "explicit",
            )  # fmt: skip
            if not math.isfinite(extra) or (p.capacity_model == "explicit" and y[mods].any()):
                return None
            y[mods] += counts
    z[mod] = y
    if built.setup_start is not None:
        have = p.pre_capacity.copy()
        np.add.at(have, p.module_link, y * cap)
        z[built.setup_start : built.setup_start + p.n_links] = (have > 0).astype(float)
    if built.routing_start is not None:
        paying = np.flatnonzero(p.routing_cost > 0)
        peak = np.zeros(p.n_links)
        for block in built.blocks:
            flow = np.zeros(p.n_links)
            np.add.at(flow, built.arcs.link[block.arc], block.coef * z[block.var])
            peak = np.maximum(peak, flow)
        z[built.routing_start : built.routing_start + paying.size] = peak[paying]
    built.fill_spanning(p, z, cap)
    return z, float(c @ z) + built.constant, 0


def heuristic_design(
    p: DesignProblem,
    built: BuiltModel,
    arrays,
    cap: np.ndarray,
    *,
    backend: str = "scipy",
    rounds: int = 8,
    time_budget_s: float = 30.0,
) -> HeuristicDesign | None:
    """A feasible design by LP rounding and slope scaling, or None.

    Parameters
    ----------
    p : DesignProblem
    built : BuiltModel
        The MILP (its LP relaxation is solved here).
    arrays : tuple
        ``built.model.arrays()``.
    cap : (M,) float
        Effective module capacities.
    backend : {"highspy", "scipy"}
        How to solve the LPs (``highspy`` re-solves from the previous basis).
    rounds : int
        Slope-scaling rounds after the first LP (one state only).
    time_budget_s : float
        Stop starting new rounds after this long.

    Returns
    -------
    HeuristicDesign or None
        None when the LP fails, a module cover does not exist, or the routing is not
        continuous (rounded LP flows are no single-path routing).

    Examples
    --------
    A triangle: the LP splits a demand of 7 over the cheap two-link path; rounding buys one
    module of 10 on each of its links.

    >>> from netplan.planning.design.formulation import build_model
    >>> from netplan.planning.design.strengthen import module_bounds
    >>> p = DesignProblem(
    ...     n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2],
    ...     pre_capacity=[0, 0, 0], pre_cost=[0, 0, 0], routing_cost=[0, 0, 0],
    ...     module_link=[0, 1, 2], module_capacity=[10, 10, 10], module_cost=[1, 1, 5],
    ...     demand_src=[0], demand_dst=[2], demand_volume=[7])
    >>> built = build_model(p, "aggregated")
    >>> cap, _, _ = module_bounds(p, 7.0)
    >>> h = heuristic_design(p, built, built.model.arrays(), cap)
    >>> h.objective, h.x[:3].tolist()
    (2.0, [1.0, 1.0, 0.0])
    """
    if p.routing != "continuous" or p.capacity_model == "linear" and len(built.states) > 1:
        return None
    t0 = time.perf_counter()
    lp_bound = math.nan
    if len(built.states) == 1:
        best, lp_bound = _slope_scaling(p, built, arrays, cap, backend, rounds, t0, time_budget_s)
    else:
        best = _sequential(p, built, arrays, cap, backend, t0, time_budget_s)
    if best is None or not math.isfinite(best[1]):
        log.info("no first design by LP rounding within %.1f s", time.perf_counter() - t0)
        return None
    elapsed = time.perf_counter() - t0
    log.info(
        "first design by LP rounding: cost %.6g (LP bound %.6g), %.1f s",
        best[1], lp_bound, elapsed,
    )  # fmt: skip
    return HeuristicDesign(best[0], best[1], lp_bound, best[2], elapsed)


def repair_design(
    p: DesignProblem,
    built: BuiltModel,
    arrays,
    cap: np.ndarray,
    modules: np.ndarray,
    *,
    backend: str = "scipy",
    time_budget_s: float = 30.0,
    stop: threading.Event | None = None,
) -> HeuristicDesign | None:
    """A feasible design that keeps ``modules`` and buys what else every state needs.

    The states are routed one at a time with the modules bought so far free; each state's
    LP buys (and rounds up to whole modules) only the capacity it still lacks. A design from
    a relaxation that almost routes thus becomes a feasible one costing little more. With
    ``highspy`` the whole purchase is then solved at once (the full MILP with ``modules`` as
    lower bounds, started from that design, for at most 30 s), which pools the rounding
    across links and states; finally every link is re-covered at its largest load.

    Parameters
    ----------
    p : DesignProblem
    built : BuiltModel
    arrays : tuple
        ``built.model.arrays()``.
    cap : (M,) float
        Effective module capacities.
    modules : (M,) float
        Module counts to start from (integer).
    backend : {"highspy", "scipy"}
    time_budget_s : float
    stop : threading.Event, optional
        Once it is set, the whole-purchase MILP stops (keeping the best design so far):
        another thread has finished the solve this repair serves.

    Returns
    -------
    HeuristicDesign or None
        A complete solution of the MILP (modules, flows of every state), or None when a
        state's LP fails or time runs out.

    Examples
    --------
    A triangle, a demand of 7 from node 0 to 2, and a start with nothing: one module of 10 is
    bought on each link of the cheap two-link path. Starting from a module on the dear
    direct link, that link is used and nothing more is bought.

    >>> from netplan.planning.design.formulation import build_model
    >>> from netplan.planning.design.strengthen import module_bounds
    >>> p = DesignProblem(
    ...     n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2],
    ...     pre_capacity=[0, 0, 0], pre_cost=[0, 0, 0], routing_cost=[0, 0, 0],
    ...     module_link=[0, 1, 2], module_capacity=[10, 10, 10], module_cost=[1, 1, 5],
    ...     demand_src=[0], demand_dst=[2], demand_volume=[7])
    >>> built = build_model(p, "aggregated")
    >>> cap, _, _ = module_bounds(p, 7.0)
    >>> arrays = built.model.arrays()
    >>> repair_design(p, built, arrays, cap, np.zeros(3)).objective
    2.0
    >>> repair_design(p, built, arrays, cap, np.array([0.0, 0.0, 1.0])).objective
    5.0
    """
    if p.routing != "continuous" or p.capacity_model == "linear":
        return None
    t0 = time.perf_counter()
    full = _sequential(p, built, arrays, cap, backend, t0, time_budget_s, modules)
    if full is None or not math.isfinite(full[1]):
        return None
    best = full[:2]
    c, _, ub, *_ = arrays
    mod = slice(built.module_start, built.module_start + p.n_modules)

    def recovered(design):
        # Modules of the start the routing no longer needs are dropped: every link gets the
        # cheapest cover of its largest load.
        z, total, _, _ = _round(p, built, design[0], cap, ub[mod], c)
        return (z, total) if math.isfinite(total) and total < design[1] else design

    best = recovered(best)
    # Whatever is bought on top, the start's own modules are paid for: a completion can
    # only win when they cost less than the design in hand.
    floor = float(p.module_cost @ modules) + built.constant
    if backend == "highspy" and floor < best[1] * (1 - _COMPLETION_GAP):
        left_s = time_budget_s - (time.perf_counter() - t0)
        completed = _cheapest_completion(p, built, arrays, modules, full[0],
                                         min(left_s, _COMPLETION_S), stop)  # fmt: skip
        if completed is not None:
            completed = recovered(completed)
            if completed[1] < best[1]:
                best = completed
    return HeuristicDesign(best[0], best[1], math.nan, 0, time.perf_counter() - t0)


def _cheapest_completion(p, built, arrays, modules, start, time_s, stop):
    """The full MILP with ``modules`` as lower bounds on the module counts, started from the
    feasible solution ``start``: the cheapest purchase on top of ``modules`` (or the best
    HiGHS finds in ``time_s``), as ``(solution, cost)``, or None.

    The state-by-state repair buys for each state on its own and rounds each purchase up at
    once; solving the whole purchase together pools the rounding across links and states.
    """
    if time_s < 0.5 or (stop is not None and stop.is_set()):
        return None
    c, lb, ub, integ, A, rlb, rub = arrays
    mod = slice(built.module_start, built.module_start + p.n_modules)
    lb = lb.copy()
    lb[mod] = np.clip(np.asarray(modules, float), lb[mod], ub[mod])
    out = solve_arrays((c, lb, ub, integ, A, rlb, rub), backend="highspy", time_limit_s=time_s,
                       gap=_COMPLETION_GAP, options={}, start=(np.arange(c.size), start),
                       stop=stop)  # fmt: skip
    if out.x is None:
        return None
    return out.x, float(out.objective) + built.constant
