"""One plane's routed sizing model for one year: the path-based MILP and its LPs, with HiGHS.

The columns and rows (paths, loads, module choices, rerouted flows per failure state, the
capacity rows) are built once per plane by :mod:`netplan.planning.routed.structure`; each
year's bounds and costs fill them in here. The objective is this year's cost of the chosen
states, so with last year's state fixed the model is linear.

The same structure, with slack columns opened, gives the infeasibility diagnosis (overload
above the largest capacity, demand that cannot be carried) and, with the binaries fixed,
the routing polish (least total routing metric within the chosen capacities).
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from netplan.errors import RunError
from netplan.planning.routed.structure import RoutingStructure

log = logging.getLogger(__name__)

__all__ = ["Diagnosis", "RoutingModel", "YearSolution"]

_SCALE_CNY = 1e-6  # the objective in millions of CNY keeps HiGHS's numbers moderate
_SLACK_TOL_GBPS = 1e-6


@dataclass(frozen=True, eq=False)
class YearSolution:
    """Outcome of one year's model for one plane.

    ``state`` (the module state of every link), ``x`` (no-failure path flows) and
    ``state_flow`` (flows of the rerouted ods per failure state, sparse ``(S, P)``) are
    None when the solver found no solution. Money is this year's undiscounted CNY;
    ``overload_gbps`` is the load above target per capacity row (elastic solves only).
    """

    status: str
    message: str
    objective_cny: float
    bound_cny: float
    gap: float
    time_s: float
    state: np.ndarray | None
    x: np.ndarray | None
    state_flow: sp.csr_matrix | None
    overload_gbps: np.ndarray | None = None
    size: dict = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        """True when a plan (possibly not proven optimal) came back."""
        return self.state is not None


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """Why a year cannot be planned: overload above the largest capacities, unserved demand.

    ``overload_gbps`` has one entry per capacity row (see :attr:`RoutingModel.cap_state`,
    :attr:`RoutingModel.cap_arc`): the least load above target that remains with every
    link at its largest allowed capacity. ``unserved_gbps`` has one entry per od
    (no-failure state) and ``state_unserved_gbps`` one per rerouted (state, od): the least
    demand that cannot be carried at those capacities.
    """

    overload_gbps: np.ndarray
    overload_load_gbps: np.ndarray
    unserved_gbps: np.ndarray
    state_unserved_gbps: np.ndarray


class RoutingModel(RoutingStructure):
    """One plane's model: its year-independent structure, and a year's solves on it.

    :meth:`solve` fills in a year (demand, allowed states, their cost); :meth:`polish` and
    :meth:`diagnose` solve LPs on the same structure.

    Parameters
    ----------
    paths : CandidatePaths
    graph : PlaneGraph
        The plane the paths run on.
    states : ModuleStates
    u_normal, u_failure : float
        Utilisation targets without failures and in failure states.
    reconfiguration : {"restricted", "full"}
        ``restricted``: in a failure state only the ods with a candidate path through a
        failed element get new flows. ``full``: every od may be re-routed in every state
        (the unrestricted survivable model: cheaper plans, a much larger model).

    Examples
    --------
    Two parallel links between A and B, 1 Gbit/s of demand from A to B, one 10G module
    buyable per link at 1 CNY, nothing installed, single link failures to survive: both
    links need a module (2 CNY).

    >>> from netplan.analysis.failure_states import failure_states
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.planning.sizing import TierCatalogue
    >>> from netplan.planning.routed.paths import candidate_paths
    >>> from netplan.planning.routed.states import module_states, year_options
    >>> g = PlaneGraph.from_links("p", ["A", "B"], ["l1", "l2"], ["A", "A"], ["B", "B"], 1.0)
    >>> cp = candidate_paths(g, [0], [1], failure_states(g, "n-1"), k=2)
    >>> cat = TierCatalogue(["10G"], [10], [1.0], [0.0])
    >>> st = module_states(cat)
    >>> model = RoutingModel(cp, g, st, 1.0, 1.0)
    >>> ok, capex, opex = year_options(cat, st, [0, 0])
    >>> sol = model.solve([1.0], ok, capex + opex, time_limit_s=10, gap=0.0)
    >>> sol.status, sol.objective_cny, sol.state.tolist()
    ('optimal', 2.0, [1, 1])
    """

    # ------------------------------------------------------------------ solving
    def _row_bounds(self, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.full(self.n_rows, -np.inf)
        hi = np.zeros(self.n_rows)
        lo[self.r_demand] = hi[self.r_demand] = demand
        lo[self.r_load] = 0.0
        lo[self.r_capdef] = 0.0
        lo[self.r_choice] = hi[self.r_choice] = 1.0
        lo[self.r_state_demand] = hi[self.r_state_demand] = demand[self.sd_od]
        # Constant flows of single-survivor ods move to the right-hand side.
        hi = hi - self.single_map @ demand
        return lo, hi

    def _col_bounds(self, allowed: np.ndarray, *, sigma: bool, delta: bool):
        lo = np.zeros(self.n_cols)
        hi = np.full(self.n_cols, np.inf)
        hi[self.c_z : self.c_y] = allowed.reshape(-1).astype(float)
        if not sigma:
            hi[self.c_sigma : self.c_delta] = 0.0
        if not delta:
            hi[self.c_delta :] = 0.0
        return lo, hi

    def _run(self, c, integer: bool, col_lo, col_hi, row_lo, row_hi, time_limit_s, gap):
        integrality = np.zeros(self.n_cols)
        if integer:
            integrality[self.c_z : self.c_y] = 1
        # disp only maps to HiGHS's log_to_console; output_flag silences the rest of it.
        options = {"time_limit": max(float(time_limit_s), 0.5), "presolve": True,
                   "disp": False, "output_flag": False}
        if integer:
            options["mip_rel_gap"] = float(gap)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # scipy passes output_flag through to HiGHS but warns that it does not know it.
            warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
            res = milp(
                c,
                integrality=integrality,
                bounds=Bounds(col_lo, col_hi),
                constraints=LinearConstraint(self.matrix, row_lo, row_hi),
                options=options,
            )
        return res, time.perf_counter() - t0

    def _demand(self, demand) -> np.ndarray:
        d = np.asarray(demand, dtype=float).reshape(-1)
        if d.size != self.paths.od_src.size:
            raise RunError(f"demand has {d.size} entries for {self.paths.od_src.size} ods")
        # Ods that cannot be routed at all are reported lost by the caller, not planned.
        return np.where(self.paths.unreachable, 0.0, d)

    def _state_flow(self, sol: np.ndarray, demand: np.ndarray) -> sp.csr_matrix:
        S, P = len(self.paths.states), self.paths.n_paths
        y = sol[self.c_y : self.c_sigma]
        single = demand[self.paths.path_od[self.single_path]]
        return sp.csr_matrix(
            (
                np.r_[y, single],
                (np.r_[self.y_state, self.single_state], np.r_[self.y_path, self.single_path]),
            ),
            shape=(S, P),
        )

    def _chosen(self, sol: np.ndarray) -> np.ndarray:
        z = sol[self.c_z : self.c_y].reshape(self.n_links, self.states.size)
        return np.argmax(z, axis=1).astype(np.int64)

    def solve(
        self,
        demand,
        allowed,
        cost_cny,
        *,
        time_limit_s: float,
        gap: float,
        elastic: bool = False,
        penalty_cny_per_gbps: float = 0.0,
    ) -> YearSolution:
        """Choose every link's state and the routing for one year at least cost.

        Parameters
        ----------
        demand : (D,) float
            Each od's design demand, Gbit/s.
        allowed, cost_cny : (L, S)
            States each link may take and what each costs this year (undiscounted CNY).
        time_limit_s, gap : float
            HiGHS's time limit and relative MIP gap.
        elastic : bool
            Let loads exceed the targets at ``penalty_cny_per_gbps`` (for infeasible years:
            the plan that comes closest, with the overload reported).

        Returns
        -------
        YearSolution
        """
        d = self._demand(demand)
        allowed = np.asarray(allowed, dtype=bool)
        cost = np.asarray(cost_cny, dtype=float)
        c = np.zeros(self.n_cols)
        c[self.c_z : self.c_y] = np.where(allowed, cost, 0.0).reshape(-1) * _SCALE_CNY
        if elastic:
            c[self.c_sigma : self.c_delta] = penalty_cny_per_gbps * _SCALE_CNY
        col_lo, col_hi = self._col_bounds(allowed, sigma=elastic, delta=False)
        row_lo, row_hi = self._row_bounds(d)
        res, elapsed = self._run(c, True, col_lo, col_hi, row_lo, row_hi, time_limit_s, gap)
        status = {0: "optimal", 1: "time_limit", 2: "infeasible"}.get(res.status, "error")
        if res.x is None:
            if status == "time_limit":
                status = "no_solution"
            return YearSolution(
                status,
                res.message,
                np.nan,
                np.nan,
                np.nan,
                elapsed,
                None,
                None,
                None,
                size=dict(self.size),
            )
        sol = np.asarray(res.x)
        state = self._chosen(sol)
        objective = float(cost[np.arange(self.n_links), state].sum())
        bound = res.mip_dual_bound if res.mip_dual_bound is not None else res.fun
        bound_cny = float(bound) / _SCALE_CNY
        if elastic:
            bound_cny = np.nan  # the penalty is not money: no bound on the cost
        gap_value = (
            max(0.0, (float(res.fun) - float(bound)) / abs(float(res.fun)))
            if res.fun and np.isfinite(bound)
            else 0.0
        )
        overload = sol[self.c_sigma : self.c_delta] if elastic else None
        return YearSolution(
            status,
            res.message,
            objective,
            bound_cny,
            gap_value,
            elapsed,
            state,
            sol[: self.c_load].copy(),
            self._state_flow(sol, d),
            overload,
            size=dict(self.size),
        )

    def polish(self, demand, state, *, time_limit_s: float = 60.0):
        """A routing that loads every link as little as its states allow, within ``state``.

        Each link's capacity may shrink continuously below that of its chosen state, and the
        LP minimises the sum over links of capacity used / capacity chosen — each link's
        worst utilisation over all states relative to its target — with the total routing
        metric as a small tie-break. So no link looks busier than some state forces it to
        be, and a link's worst state is the one it cannot be spared. Returns
        ``(x, state_flow)``, or None when the LP fails (then keep the MILP's own routing).
        """
        d = self._demand(demand)
        state = np.asarray(state, dtype=np.int64)
        L, K = self.n_links, self.states.size
        col_lo, col_hi = self._col_bounds(np.zeros((L, K), dtype=bool), sigma=False, delta=False)
        c = np.zeros(self.n_cols)
        chosen = self.c_z + np.arange(L) * K + state
        nothing = self.c_z + np.arange(L) * K
        col_hi[chosen] = 1.0
        col_hi[nothing] = 1.0
        built = state > 0
        c[chosen[built]] = 1.0
        col_lo[nothing[~built]] = 1.0
        w = self.paths.path_weight
        total = float(d.sum())
        if w.size and total > 0:
            eps = 1e-4 / (float(w.max()) * total)
            c[: self.c_load] = eps * w
            c[self.c_y : self.c_sigma] = eps * w[self.y_path]
        row_lo, row_hi = self._row_bounds(d)
        res, _ = self._run(c, False, col_lo, col_hi, row_lo, row_hi, time_limit_s, 0.0)
        if res.status != 0 or res.x is None:
            log.warning("routing polish did not solve (%s); keeping the MILP routing", res.message)
            return None
        sol = np.asarray(res.x)
        return sol[: self.c_load].copy(), self._state_flow(sol, d)

    def diagnose(self, demand, allowed, *, time_limit_s: float = 60.0) -> Diagnosis:
        """Two slack LPs at the largest allowed capacities: overload, then unserved demand.

        The first keeps every demand and minimises the total load above target (σ on every
        capacity row); the second keeps every target and minimises the demand left
        unserved (δ on every demand row). The module choice is relaxed to its convex hull,
        so capacities reach the largest allowed state.
        """
        d = self._demand(demand)
        allowed = np.asarray(allowed, dtype=bool)
        row_lo, row_hi = self._row_bounds(d)
        c = np.zeros(self.n_cols)
        c[self.c_sigma : self.c_delta] = 1.0
        col_lo, col_hi = self._col_bounds(allowed, sigma=True, delta=False)
        res, _ = self._run(c, False, col_lo, col_hi, row_lo, row_hi, time_limit_s, 0.0)
        if res.x is None:
            raise RunError(f"the overload LP did not solve: {res.message}")
        sol = np.asarray(res.x)
        sigma = sol[self.c_sigma : self.c_delta]
        arc_load = self.loads(sol[: self.c_load], self._state_flow(sol, d))
        load = arc_load[np.maximum(self.cap_state + 1, 0), self.cap_arc]
        c = np.zeros(self.n_cols)
        c[self.c_delta :] = 1.0
        col_lo, col_hi = self._col_bounds(allowed, sigma=False, delta=True)
        res, _ = self._run(c, False, col_lo, col_hi, row_lo, row_hi, time_limit_s, 0.0)
        if res.x is None:
            raise RunError(f"the unserved-demand LP did not solve: {res.message}")
        delta = np.asarray(res.x)[self.c_delta :]
        n_d = self.r_demand.size
        return Diagnosis(
            overload_gbps=np.where(sigma > _SLACK_TOL_GBPS, sigma, 0.0),
            overload_load_gbps=load,
            unserved_gbps=np.where(delta[:n_d] > _SLACK_TOL_GBPS, delta[:n_d], 0.0),
            state_unserved_gbps=np.where(delta[n_d:] > _SLACK_TOL_GBPS, delta[n_d:], 0.0),
        )

    # ------------------------------------------------------------------ loads
    def loads(self, x, state_flow) -> np.ndarray:
        """Arc loads, shape ``(1 + S, A)``: without failures, then in every failure state."""
        PA = self.paths.arc_incidence
        x = np.asarray(x, dtype=float)
        normal = PA.T @ x
        S = len(self.paths.states)
        out = np.empty((1 + S, self.n_arcs))
        out[0] = normal
        if S:
            taken = self.removed.multiply(x[None, :]).tocsr()
            out[1:] = normal[None, :] - (taken @ PA).toarray() + (state_flow @ PA).toarray()
        return np.maximum(out, 0.0)

    def state_path_flows(self, x, state_flow, s: int) -> np.ndarray:
        """Every path's flow in failure state ``s`` (-1: without failures)."""
        x = np.asarray(x, dtype=float)
        if s < 0:
            return x.copy()
        out = x.copy()
        out[self.removed[s].indices] = 0.0
        row = state_flow[s]
        out[row.indices] += row.data
        return out
