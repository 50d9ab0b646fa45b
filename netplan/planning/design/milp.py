"""Solve the exact network-design MILP on plain arrays with HiGHS (``highspy`` or scipy).

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
import sys
import threading
import time

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.planning.design.backends import SolverOutcome, choose_solver, solve_arrays
from netplan.planning.design.connectivity import spanning_lifts, spanning_lp_bounds
from netplan.planning.design.flowpaths import arc_flow_from_paths, paths_for_state
from netplan.planning.design.formulation import BuiltModel, build_model, choose_formulation
from netplan.planning.design.incumbent import HeuristicDesign, heuristic_design, repair_design
from netplan.planning.design.metric import relaxation_bound as metric_relaxation
from netplan.planning.design.problem import DesignProblem, DesignResult
from netplan.planning.design.strengthen import module_bounds

log = logging.getLogger(__name__)

__all__ = ["solve_design"]

# Share of the time limit the first-design heuristic may take before the MILP starts, and
# the share scipy's MILP leaves to the decomposition (with highspy the two run side by side).
_HEURISTIC_SHARE = 0.2
_RELAXATION_SHARE = 0.5


def solve_design(
    problem: DesignProblem,
    *,
    time_limit_s: float = 60.0,
    gap: float = 1e-4,
    formulation: str = "auto",
    cutset_cuts: bool = True,
    heuristic_effort: float = 0.3,
    dominance_bounds: bool = True,
    solver: str = "auto",
    incumbent: bool = True,
    extra_cuts: bool = False,
    relaxation_bound: bool | str = "auto",
    spanning_rows: bool | str = "auto",
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
    solver : {"auto", "highspy", "scipy"}
        How HiGHS is called (:mod:`netplan.planning.design.backends`); ``auto`` takes
        ``highspy`` when it is installed.
    incumbent : bool
        Start HiGHS from a design found by LP rounding and slope scaling
        (:func:`netplan.planning.design.incumbent.heuristic_design`; ``highspy`` only,
        continuous routing only). The time it takes counts against ``time_limit_s``.
    extra_cuts : bool
        Add the rounded cut-set rows of larger node sets too (see
        :func:`netplan.planning.design.strengthen.cut_sets`); valid for every integer design.
    relaxation_bound : {"auto", True, False}
        Also run the modules-only decomposition (:func:`netplan.planning.design.metric.
        relaxation_bound`): a master problem over the module counts alone, with rounded
        cut-set and metric inequalities added round by round, each master design repaired
        into a feasible one (:func:`netplan.planning.design.incumbent.repair_design`). It
        reports the better of its bound and HiGHS's, and the cheaper design. With
        ``highspy`` it runs in a second thread beside HiGHS (HiGHS releases the
        interpreter while it searches); whichever proves the gap first stops the other.
        When HiGHS already bounds above the master's LP, the master's integer rounds wait
        a tenth of the time first: HiGHS may close the gap alone, and needs the cores.
        With scipy it takes the second half of the time limit when HiGHS has not closed the
        gap. ``auto``: wherever it applies (undirected links and demands, splittable
        routing, modular capacities).
    spanning_rows : {"auto", True, False}
        Add the spanning rows of :mod:`netplan.planning.design.connectivity` to the MILP and
        to the decomposition's master: the links bought connect every demand's ends (after
        any single link failure too, when every one is a state). Valid for every design
        that routes, so the optimum is unchanged. ``auto``: where they lift the LP bound
        by at least 1 % (:func:`netplan.planning.design.connectivity.spanning_pays`). The
        master takes them after its first integer round, and only when that round's bound
        is below their LP bound (see :func:`netplan.planning.design.metric.relaxation_bound`).

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
    if spanning_rows not in ("auto", True, False):
        raise ValidationError([Problem("", "spanning_rows", "must be 'auto', True or False")])
    backend = choose_solver(solver)
    form = choose_formulation(problem, formulation)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    cap, mod_ub, _ = module_bounds(problem, float(problem.demand_volume.sum()), dominance_bounds)
    spanning, spanning_bound = spanning_rows is True, math.nan
    if spanning_rows is not False:
        without, with_rows = spanning_lp_bounds(problem, cap, mod_ub)
        spanning = spanning or spanning_lifts(without, with_rows)
        spanning_bound = with_rows if spanning else math.nan
    built = build_model(problem, form, cutset_cuts, dominance_bounds, extra_cuts, spanning)
    arrays = built.model.arrays()
    c, _, _, integ, A, _, _ = arrays
    log.info(
        "design MILP (%s, %s): %d variables (%d integer), %d rows, %d states%s",
        form,
        backend,
        c.size,
        int(integ.sum()),
        A.shape[0],
        len(built.states),
        ", spanning rows" if built.spanning is not None else "",
    )
    start, first = None, None
    relax = None
    wanted = relaxation_bound is True or (
        relaxation_bound == "auto" and _decomposes(problem)
    )
    repaired = _Repairs(problem, built, arrays, cap, backend, t0, time_limit_s)
    if incumbent and backend == "highspy":
        first = heuristic_design(
            problem, built, arrays, cap, backend=backend,
            time_budget_s=_HEURISTIC_SHARE * time_limit_s,
        )  # fmt: skip
        repaired.offer(first)
        if first is not None:
            start = (np.arange(c.size), first.x)
    milp_start_s = time.perf_counter() - t0
    left_s = max(time_limit_s - milp_start_s, 1.0)
    options = {"mip_heuristic_effort": float(heuristic_effort)}
    if wanted and backend == "highspy":
        # HiGHS releases the interpreter while it searches: the decomposition runs beside it
        # on another core, and whichever closes the gap first stops the other.
        out, relax = _race(problem, built, arrays, cap, mod_ub, repaired, left_s, gap, options,
                           start, spanning_bound)  # fmt: skip
    else:
        reserve_s = _RELAXATION_SHARE * left_s if wanted else 0.0
        out = solve_arrays(arrays, backend=backend, time_limit_s=max(left_s - reserve_s, 1.0),
                           gap=gap, options=options, start=start)  # fmt: skip
        if wanted and out.status != "optimal":
            if out.x is not None:
                repaired.offer_x(out.x, out.objective + built.constant)
            relax = metric_relaxation(
                problem, cap, mod_ub, built.states, backend=backend,
                time_budget_s=max(time_limit_s - (time.perf_counter() - t0), 0.5 * reserve_s),
                repair=repaired, gap=gap, spanning_bound=spanning_bound,
            )  # fmt: skip
    if out.x is None and repaired.best is not None and out.status in ("limit", "error"):
        # HiGHS stopped before it had a design of its own (or accepted ours): the heuristic
        # design is a complete, feasible solution of the same model.
        out.x, out.objective = repaired.best.x, repaired.best.objective - built.constant
    # Improving designs timed from the start of solve_design, costs with the constant.
    out.incumbents = [(t + milp_start_s, v + built.constant) for t, v in out.incumbents]
    better = repaired.best
    if better is not None and (
        out.x is None or better.objective < out.objective + built.constant - 1e-9
    ):
        log.info("decomposition design %.6g beats the MILP's", better.objective)
        out.x, out.objective = better.x, better.objective - built.constant
        out.incumbents.append((time.perf_counter() - t0, better.objective))
    relaxed = math.nan
    if relax is not None and np.isfinite(relax.bound):
        relaxed = relax.bound + built.constant
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if np.isfinite(relaxed) and not relaxed - built.constant <= out.bound:
        if out.x is not None and relaxed - built.constant > out.objective + 1e-6 * max(
            1.0, abs(out.objective)
        ):
            # A valid bound never exceeds a feasible design's cost: keep HiGHS's.
            log.warning("relaxation bound %.6g above the design's cost; ignored", relaxed)
        else:
            log.info("relaxation bound %.6g beats the MILP's %.6g", relaxed, out.bound)
            out.bound = relaxed - built.constant
    if out.status == "limit" and out.x is not None and np.isfinite(out.bound):
        reached = (out.objective - out.bound) / max(abs(out.objective), 1e-12)
        # The same tolerance as the race's stopping test: solver bounds carry rounding noise.
        out.status = "optimal" if reached <= gap + 1e-9 else out.status
    return _result(problem, built, out, elapsed, cpu, c.size, A.shape[0], first)


def _race(p, built, arrays, cap, mod_ub, repaired, left_s, gap, options, start, spanning_bound):
    """HiGHS on the full MILP in a thread, the modules-only decomposition in this one."""
    milp_done, closed = threading.Event(), threading.Event()
    found: list[float] = []
    box: dict = {}
    progress: dict = {}

    def milp() -> None:
        try:
            box["out"] = solve_arrays(arrays, backend="highspy", time_limit_s=left_s, gap=gap,
                                      options=options, start=start, stop=closed, found=found,
                                      feed=repaired.take_new, progress=progress)
        except BaseException as exc:  # handed to the calling thread below
            box["error"] = exc
        finally:
            milp_done.set()

    repaired.found = found
    repaired.stop = milp_done
    worker = threading.Thread(target=milp, name="design-milp", daemon=True)
    worker.start()
    try:
        relax = metric_relaxation(
            p, cap, mod_ub, built.states, backend="highspy", time_budget_s=left_s,
            repair=repaired, gap=gap, stop=milp_done, spanning_bound=spanning_bound,
            rival_bound=lambda: progress.get("bound", -math.inf),
        )  # fmt: skip
        best = repaired(None)
        if np.isfinite(relax.bound) and relax.bound >= best * (1 - gap) - 1e-9 * max(1, best):
            closed.set()  # proven within the gap: HiGHS need not search on
    finally:
        if sys.exc_info()[0] is not None:
            closed.set()
        worker.join()
    if "error" in box:
        raise box["error"]
    return box["out"], relax


def _decomposes(p: DesignProblem) -> bool:
    """Whether the modules-only decomposition applies: undirected links and demands,
    splittable routing, modular capacities."""
    return (
        p.link_model == "undirected"
        and not p.demand_directed
        and p.routing == "continuous"
        and p.capacity_model == "modular"
        and p.candidate_paths is None
        and p.n_modules > 0
    )


class _Repairs:
    """The cheapest feasible design met so far (heuristic, MILP or repaired relaxation
    design); called with a relaxation's module counts, repairs them into a design."""

    def __init__(self, p, built, arrays, cap, backend, t0, time_limit_s) -> None:
        self.p, self.built, self.arrays, self.cap = p, built, arrays, cap
        self.backend, self.t0, self.limit_s = backend, t0, time_limit_s
        self.best = None
        self.found: list[float] = []  # costs of designs HiGHS found meanwhile (no constant)
        self.fresh = False  # the best design has not been handed to HiGHS yet
        self.stop: threading.Event | None = None  # set once the full MILP has finished

    @property
    def best_modules(self) -> np.ndarray | None:
        if self.best is None:
            return None
        start = self.built.module_start
        return np.round(self.best.x[start : start + self.p.n_modules])

    def offer(self, design) -> None:
        if design is not None and (self.best is None or design.objective < self.best.objective):
            self.best = design
            self.fresh = True

    def take_new(self) -> np.ndarray | None:
        """The best design, once, if it beats every design HiGHS has found (for HiGHS)."""
        best = self.best
        if best is None or not self.fresh:
            return None
        self.fresh = False
        if self.found and best.objective - self.built.constant >= min(self.found):
            return None
        return best.x

    def offer_x(self, x: np.ndarray, objective: float) -> None:
        self.offer(HeuristicDesign(x, objective, math.nan, 0, 0.0))

    def __call__(self, modules: np.ndarray | None) -> float:
        constant = self.built.constant
        best = math.inf if self.best is None else self.best.objective - constant
        # A repair only adds to the modules, so one costing more than the best already
        # known cannot win.
        left = self.limit_s - (time.perf_counter() - self.t0)
        if modules is not None and float(self.p.module_cost @ modules) < best and left > 0.5:
            self.offer(
                repair_design(
                    self.p, self.built, self.arrays, self.cap, modules,
                    backend=self.backend, time_budget_s=min(left / 3, 60.0), stop=self.stop,
                )  # fmt: skip
            )
        # A design HiGHS found beside it counts too: a bound within the gap of it closes
        # the solve as well.
        best = math.inf if self.best is None else self.best.objective - constant
        return min([best, *self.found])


def _result(
    p: DesignProblem,
    built: BuiltModel,
    out: SolverOutcome,
    elapsed: float,
    cpu: float,
    n_var: int,
    n_con: int,
    first=None,
):
    x = out.x
    if out.status == "limit":
        status = "time_limit" if x is not None else "no_solution"
    else:
        status = out.status
        if status == "optimal" and x is None:
            status = "error"
    bound = out.bound + built.constant if np.isfinite(out.bound) else math.nan
    extra = {
        "solver": out.backend,
        "heuristic_cost": first.objective if first is not None else math.nan,
        "incumbents": tuple(out.incumbents),
    }
    S, L = len(built.states), p.n_links
    if x is None:
        nan = math.nan
        return DesignResult(
            status, nan, bound, nan, np.full(p.n_modules, nan), np.full(L, nan),
            np.zeros(L, bool), np.full((S, L, 2), nan), (), built.states, nan, nan, nan, nan,
            built.formulation, elapsed, n_var, n_con, out.message, out.node_count, cpu, **extra,
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
    milp_obj = out.objective + built.constant
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
        message=out.message,
        node_count=out.node_count,
        solve_cpu_s=cpu,
        **extra,
    )
