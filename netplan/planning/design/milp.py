"""Solve the exact network-design MILP on plain arrays (``scipy.optimize.milp`` / HiGHS).

Decide how many modules of each type to install on every link, and how to route every
demand, at least cost:

    cost = Σ modules × module cost + Σ pre-installed capacity cost
           (+ Σ setup cost of used links, with fixed charges) + Σ routing cost × flow

Variants (SNDlib vocabulary in brackets):

* links ``undirected`` (flow in both directions shares the capacity), ``bidirected`` (each
  direction has the full capacity) or ``directed``; demands directed or not;
* capacities ``modular`` (any integer number of each module), ``explicit`` (at most one
  module per link, once) or ``linear`` (continuous amounts);
* routing ``continuous`` (splittable) or ``single_path`` (each demand on one path);
* survivability ``none`` or ``unrestricted`` (an independent routing for every failure
  state, all sharing the capacities; by default every single link failure);
* optional fixed charges (a setup cost for every link that carries capacity), optional hop
  limits (single-path routing or explicit candidate paths), optional explicit candidate
  paths per demand.

Three formulations (:mod:`netplan.planning.design.formulation`), all exact for what they
accept:

``aggregated``
    source-aggregated arc flow (one commodity per source node), continuous routing only —
    the compact default;
``disaggregated``
    one commodity per demand (fractions of the demand on each arc); binary arc variables give
    single-path routing, and a hop-count row gives exact hop limits;
``path``
    one variable per demand and candidate path (given explicitly).

Routing cost with several network states follows SNDlib: a link pays its routing cost on
the largest flow it carries in any state.
"""

from __future__ import annotations

import logging
import math
import time
import warnings

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from netplan.errors import Problem, ValidationError
from netplan.planning.design.flowpaths import arc_flow_from_paths, paths_for_state
from netplan.planning.design.formulation import BuiltModel, build_model, choose_formulation
from netplan.planning.design.problem import DesignProblem, DesignResult

log = logging.getLogger(__name__)

__all__ = ["solve_design"]


_STATUS = {0: "optimal", 2: "infeasible", 3: "unbounded", 4: "error"}


def solve_design(
    problem: DesignProblem,
    *,
    time_limit_s: float = 60.0,
    gap: float = 1e-4,
    formulation: str = "auto",
    cutset_cuts: bool = True,
    heuristic_effort: float = 0.3,
    dominance_bounds: bool = True,
) -> DesignResult:
    """Solve the network-design MILP with HiGHS.

    Parameters
    ----------
    problem : DesignProblem
    time_limit_s : float
        Wall-clock limit for HiGHS (always set).
    gap : float
        Relative MIP gap at which HiGHS stops (``0`` proves optimality).
    formulation : {"auto", "aggregated", "disaggregated", "path"}
        See the module documentation; ``auto`` picks the most compact exact one.
    cutset_cuts : bool
        Add rounded cut-set inequalities around every node and every link's end nodes. They
        are valid for every integer design (the optimum is unchanged) and tighten the bound.
    heuristic_effort : float
        HiGHS ``mip_heuristic_effort`` (its default is 0.05); more effort finds good designs
        sooner on instances with several module sizes.
    dominance_bounds : bool
        Bound module counts by module dominance (see
        :func:`netplan.planning.design.strengthen.dominance_bounds`); some optimal
        design always meets the bounds, so the optimum is unchanged.

    Returns
    -------
    DesignResult
        Always carries the status, the bound and the gap; the design when one was found.

    Raises
    ------
    RunError
        A demand cannot be routed in some state whatever the capacities (disconnected ends).
    ValidationError
        A formulation that does not fit the problem.

    Examples
    --------
    Two parallel links, one cheap with a small module, one with a large module; the demand of
    15 is cheapest on two small modules (2 × 3 = 6 < 10):

    >>> p = DesignProblem(
    ...     n_nodes=2, link_src=[0, 0], link_dst=[1, 1],
    ...     pre_capacity=[0, 0], pre_cost=[0, 0], routing_cost=[0, 0],
    ...     module_link=[0, 1], module_capacity=[10, 40], module_cost=[3, 10],
    ...     demand_src=[0], demand_dst=[1], demand_volume=[15])
    >>> r = solve_design(p, time_limit_s=10, gap=0)
    >>> r.objective, r.module_count.tolist(), r.bound
    (6.0, [2.0, 0.0], 6.0)
    """
    if not (time_limit_s > 0 and math.isfinite(time_limit_s)):
        raise ValidationError([Problem("", "time_limit_s", "must be a positive finite number")])
    if not (0 <= gap < 1):
        raise ValidationError([Problem("", "gap", "must be in [0, 1)")])
    if not (0 <= heuristic_effort <= 1):
        raise ValidationError([Problem("", "heuristic_effort", "must be in [0, 1]")])
    form = choose_formulation(problem, formulation)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    built = build_model(problem, form, cutset_cuts, dominance_bounds)
    c, lb, ub, integ, A, rlb, rub = built.model.arrays()
    log.info(
        "design MILP (%s): %d variables (%d integer), %d rows, %d states",
        form,
        c.size,
        int(integ.sum()),
        A.shape[0],
        len(built.states),
    )
    options = {
        "time_limit": float(time_limit_s),
        "mip_rel_gap": float(gap),
        "disp": False,
        # scipy maps disp to log_to_console only; this switches HiGHS's log off entirely.
        "output_flag": False,
        "mip_heuristic_effort": float(heuristic_effort),
    }
    with warnings.catch_warnings():
        # scipy passes options it does not know to HiGHS verbatim, with a warning saying so.
        warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
        res = milp(
            c,
            integrality=integ,
            bounds=Bounds(lb, ub),
            constraints=LinearConstraint(A, rlb, rub) if A.shape[0] else None,
            options=options,
        )
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    return _result(problem, built, res, elapsed, cpu, c.size, A.shape[0])


def _result(
    p: DesignProblem, built: BuiltModel, res, elapsed: float, cpu: float, n_var: int, n_con: int
):
    x = res.x
    if res.status == 1:
        status = "time_limit" if x is not None else "no_solution"
    else:
        status = _STATUS.get(res.status, "error")
        if status == "optimal" and x is None:
            status = "error"
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(bound) + built.constant if bound is not None and np.isfinite(bound) else math.nan
    S, L = len(built.states), p.n_links
    if x is None:
        nan = math.nan
        return DesignResult(
            status, nan, bound, nan, np.full(p.n_modules, nan), np.full(L, nan),
            np.zeros(L, bool), np.full((S, L, 2), nan), (), built.states, nan, nan, nan, nan,
            built.formulation, elapsed, n_var, n_con, str(res.message), 0, cpu,
        )  # fmt: skip
    y = x[built.module_start : built.module_start + p.n_modules]
    if p.capacity_model != "linear":
        y = np.round(y)
    y = np.maximum(y, 0.0)
    cap_mod = np.zeros(L)
    np.add.at(cap_mod, p.module_link, y * p.module_capacity)
    capacity = p.pre_capacity + cap_mod
    link_open = capacity > 0
    paths = tuple(paths_for_state(p, built, block, x) for block in built.blocks)
    # Link flows from the decomposed paths: directions follow each demand's own orientation
    # and flow cycles (which carry nothing) are gone.
    arc_flow = arc_flow_from_paths(p, paths)
    cost_modules = float(p.module_cost @ y)
    cost_pre = float(p.pre_cost.sum())
    cost_setup = float(p.setup_cost[link_open].sum()) if p.setup_cost is not None else 0.0
    cost_routing = float(p.routing_cost @ arc_flow.sum(axis=2).max(axis=0))
    objective = cost_modules + cost_pre + cost_setup + cost_routing
    milp_obj = float(res.fun) + built.constant
    if abs(milp_obj - objective) > 1e-6 * max(1.0, abs(objective)):
        log.warning("recomputed cost %.6f differs from the solver's %.6f", objective, milp_obj)
    gap = (objective - bound) / max(abs(objective), 1e-12) if np.isfinite(bound) else math.nan
    return DesignResult(
        status=status,
        objective=objective,
        bound=bound,
        gap=max(gap, 0.0) if np.isfinite(gap) else gap,
        module_count=y,
        capacity=capacity,
        link_open=link_open,
        arc_flow=arc_flow,
        paths=paths,
        states=built.states,
        cost_modules=cost_modules,
        cost_pre=cost_pre,
        cost_setup=cost_setup,
        cost_routing=cost_routing,
        formulation=built.formulation,
        solve_time_s=elapsed,
        n_variables=n_var,
        n_constraints=n_con,
        message=str(res.message),
        node_count=int(getattr(res, "mip_node_count", 0) or 0),
        solve_cpu_s=cpu,
    )
