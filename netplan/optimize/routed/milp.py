"""One plane's routed sizing model for one year: a path-based MILP solved with HiGHS.

Variables (all flows in Gbit/s):

* ``x[p]`` — flow of path ``p`` without failures; each od's paths carry its demand;
* ``N[a]`` — load of arc ``a`` without failures (``Σ x`` over the paths through it);
* ``z[l, k]`` — binary: link ``l`` is in module state ``k`` this year (one per link), and
  ``cap[l] = Σ_k capacity_k z[l, k]``;
* ``y[s, p]`` — restricted reconfiguration: in failure state ``s`` only the ods with a
  candidate path through a failed element get their own flows, over their surviving paths
  (an od with a single surviving path puts all of its demand there, a constant); every
  other od keeps its no-failure flows.

Rows: demand per od (and per rerouted od and state); ``N[a] <= u_normal cap[l(a)]`` per arc;
in state ``s``, for every arc on a surviving path of a rerouted od,
``N[a] - (no-failure flow of the ods the state reroutes or loses, on a) + Σ y + constants
<= u_failure cap[l(a)]`` (arcs those ods only leave can only get lighter). Each direction of
a full-duplex link has its own row against the link's capacity figure. The objective is this
year's cost of the chosen states, so with last year's state fixed the model is linear.

The same structure, with slack columns opened, gives the infeasibility diagnosis (overload
above the largest capacity, demand that cannot be carried) and, with the binaries fixed,
the routing polish (least total routing metric within the chosen capacities).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from netplan.errors import Problem, RunError, ValidationError
from netplan.model.plane_graph import PlaneGraph
from netplan.optimize.routed.paths import CandidatePaths
from netplan.optimize.routed.states import ModuleStates

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


class RoutingModel:
    """The year-independent structure of one plane's model; :meth:`solve` fills in a year.

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

    >>> from netplan.analysis.failures import failure_states
    >>> from netplan.optimize.sizing import TierCatalogue
    >>> from netplan.optimize.routed.paths import candidate_paths
    >>> from netplan.optimize.routed.states import module_states, year_options
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

    def __init__(
        self,
        paths: CandidatePaths,
        graph: PlaneGraph,
        states: ModuleStates,
        u_normal: float,
        u_failure: float,
        reconfiguration: str = "restricted",
    ) -> None:
        if reconfiguration not in ("restricted", "full"):
            raise ValidationError(
                [
                    Problem(
                        "",
                        "reconfiguration",
                        f"unknown reconfiguration {reconfiguration!r}; choose restricted or full",
                    )
                ]
            )
        self.reconfiguration = reconfiguration
        self.paths = paths
        self.graph = graph
        self.arc_link = np.asarray(graph.arc_link, dtype=np.int64)
        self.n_links = graph.n_links
        self.n_arcs = graph.n_arcs
        self.states = states
        self.u_normal = float(u_normal)
        self.u_failure = float(u_failure)
        self._build()

    # ------------------------------------------------------------------ structure
    def _build(self) -> None:  # noqa: C901 - one pass over the blocks of the matrix
        cp = self.paths
        P, A, L, K = cp.n_paths, self.n_arcs, self.n_links, self.states.size
        D, S = cp.od_src.size, len(cp.states)
        PA = cp.arc_incidence.tocsr()
        self.c_load, self.c_cap, self.c_z = P, P + A, P + A + L
        self.c_y = self.c_z + L * K
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []

        def put(r, c, v) -> None:
            r = np.asarray(r, dtype=np.int64).reshape(-1)
            rows.append(r)
            cols.append(np.asarray(c, dtype=np.int64).reshape(-1))
            vals.append(np.broadcast_to(np.asarray(v, dtype=float), r.shape).copy())

        # Demand rows: Σ x over an od's paths = its demand.
        self.r_demand = np.arange(D)
        put(cp.path_od, np.arange(P), 1.0)
        n_rows = D
        # Load rows: N[a] - Σ_{p ∋ a} x[p] = 0.
        self.r_load = n_rows + np.arange(A)
        coo = PA.tocoo()
        put(self.r_load, self.c_load + np.arange(A), 1.0)
        put(self.r_load[coo.col], coo.row, -1.0)
        n_rows += A
        # Capacity: cap[l] - Σ_k capacity_k z[l, k] = 0; choice: Σ_k z[l, k] = 1.
        self.r_capdef = n_rows + np.arange(L)
        zl, zk = np.repeat(np.arange(L), K), np.tile(np.arange(K), L)
        put(self.r_capdef, self.c_cap + np.arange(L), 1.0)
        put(self.r_capdef[zl], self.c_z + zl * K + zk, -self.states.capacity_gbps[zk])
        n_rows += L
        self.r_choice = n_rows + np.arange(L)
        put(self.r_choice[zl], self.c_z + zl * K + zk, 1.0)
        n_rows += L

        # Capacity rows, with the state (-1: none) and arc each one guards.
        cap_rows, cap_state, cap_arc = [], [], []
        r = n_rows + np.arange(A)
        put(r, self.c_load + np.arange(A), 1.0)
        put(r, self.c_cap + self.arc_link, -self.u_normal)
        cap_rows.append(r), cap_state.append(np.full(A, -1)), cap_arc.append(np.arange(A))
        n_rows += A

        y_path: list[np.ndarray] = []
        y_group: list[np.ndarray] = []
        sd_od: list[int] = []
        sd_state: list[int] = []
        single_row, single_od, single_state, single_path = [], [], [], []
        removed_r, removed_c = [], []
        untouched_alive = np.zeros(A, dtype=bool)
        dead = cp.dead.tocsr()
        n_y = 0
        routable = np.flatnonzero(np.diff(cp.od_ptr) > 0)
        for s in range(S):
            failed = self._failed_arcs(s)
            dead_paths = dead.indices[dead.indptr[s] : dead.indptr[s + 1]]
            if dead_paths.size == 0 and self.reconfiguration == "restricted":
                untouched_alive |= ~failed
                continue
            dead_mask = np.zeros(P, dtype=bool)
            dead_mask[dead_paths] = True
            # Restricted: only the ods a failure touches move; full: every od may.
            removed = (
                np.unique(cp.path_od[dead_paths])
                if self.reconfiguration == "restricted"
                else routable
            )
            if removed.size == 0:
                untouched_alive |= ~failed
                continue
            rerouted = removed[~cp.dropped[s, removed] & ~cp.lost[s, removed]]
            rem_paths = np.concatenate([np.arange(cp.od_ptr[o], cp.od_ptr[o + 1]) for o in removed])
            removed_r.append(np.full(rem_paths.size, s))
            removed_c.append(rem_paths)
            s_y: list[int] = []
            s_single: list[int] = []
            s_single_od: list[int] = []
            for o in rerouted.tolist():
                alive = [p for p in range(cp.od_ptr[o], cp.od_ptr[o + 1]) if not dead_mask[p]]
                if len(alive) == 1:
                    s_single.append(alive[0])
                    s_single_od.append(o)
                    continue
                y_group.append(np.full(len(alive), len(sd_od)))
                sd_od.append(o)
                sd_state.append(s)
                s_y.extend(alive)
            surv = np.asarray(s_y + s_single, dtype=np.int64)
            touched = np.zeros(A, dtype=bool)
            if surv.size:
                touched[PA[surv].indices] = True
            untouched_alive |= ~touched & ~failed
            arcs = np.flatnonzero(touched)
            yp = np.asarray(s_y, dtype=np.int64)
            y_path.append(yp)
            if arcs.size == 0:
                n_y += yp.size
                continue
            local = np.full(A, -1)
            local[arcs] = np.arange(arcs.size)
            base = n_rows
            put(base + np.arange(arcs.size), self.c_load + arcs, 1.0)
            put(base + np.arange(arcs.size), self.c_cap + self.arc_link[arcs], -self.u_failure)
            sub = PA[rem_paths].tocoo()
            keep = local[sub.col] >= 0
            put(base + local[sub.col[keep]], rem_paths[sub.row[keep]], -1.0)
            if yp.size:
                sub = PA[yp].tocoo()
                keep = local[sub.col] >= 0
                put(base + local[sub.col[keep]], self.c_y + n_y + sub.row[keep], 1.0)
            n_y += yp.size
            if s_single:
                sp_ = np.asarray(s_single, dtype=np.int64)
                sub = PA[sp_].tocoo()
                keep = local[sub.col] >= 0
                single_row.append(base + local[sub.col[keep]])
                single_od.append(np.asarray(s_single_od, dtype=np.int64)[sub.row[keep]])
                single_state.append(np.full(sp_.size, s))
                single_path.append(sp_)
            cap_rows.append(base + np.arange(arcs.size))
            cap_state.append(np.full(arcs.size, s))
            cap_arc.append(arcs)
            n_rows += arcs.size

        # A failure target stricter than the normal one binds every arc some state leaves
        # alone (the no-failure row does not cover it).
        if S and self.u_failure < self.u_normal:
            arcs = np.flatnonzero(untouched_alive)
            r = n_rows + np.arange(arcs.size)
            put(r, self.c_load + arcs, 1.0)
            put(r, self.c_cap + self.arc_link[arcs], -self.u_failure)
            cap_rows.append(r), cap_state.append(np.full(arcs.size, -2)), cap_arc.append(arcs)
            n_rows += arcs.size

        # State demand rows: Σ y over a rerouted od's surviving paths = its demand.
        self.y_path = np.concatenate(y_path) if y_path else np.zeros(0, dtype=np.int64)
        groups = np.concatenate(y_group) if y_group else np.zeros(0, dtype=np.int64)
        self.sd_od = np.asarray(sd_od, dtype=np.int64)
        self.sd_state = np.asarray(sd_state, dtype=np.int64)
        self.y_state = self.sd_state[groups] if groups.size else np.zeros(0, dtype=np.int64)
        self.r_state_demand = n_rows + np.arange(self.sd_od.size)
        put(self.r_state_demand[groups], self.c_y + np.arange(n_y), 1.0)
        n_rows += self.sd_od.size

        # Slack columns: σ on every capacity row (overload), δ on every demand row.
        self.cap_rows = np.concatenate(cap_rows)
        self.cap_state = np.concatenate(cap_state)
        self.cap_arc = np.concatenate(cap_arc)
        self.c_sigma = self.c_y + n_y
        put(self.cap_rows, self.c_sigma + np.arange(self.cap_rows.size), -1.0)
        self.c_delta = self.c_sigma + self.cap_rows.size
        demand_rows = np.r_[self.r_demand, self.r_state_demand]
        put(demand_rows, self.c_delta + np.arange(demand_rows.size), 1.0)
        self.n_cols = self.c_delta + demand_rows.size
        self.n_rows = n_rows
        self.matrix = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, self.n_cols),
        )
        self.matrix.sum_duplicates()
        sr = np.concatenate(single_row) if single_row else np.zeros(0, dtype=np.int64)
        so = np.concatenate(single_od) if single_od else np.zeros(0, dtype=np.int64)
        self.single_map = sp.csr_matrix((np.ones(sr.size), (sr, so)), shape=(n_rows, D))
        self.single_state = (
            np.concatenate(single_state) if single_state else np.zeros(0, dtype=np.int64)
        )
        self.single_path = (
            np.concatenate(single_path) if single_path else np.zeros(0, dtype=np.int64)
        )
        rr = np.concatenate(removed_r) if removed_r else np.zeros(0, dtype=np.int64)
        rc = np.concatenate(removed_c) if removed_c else np.zeros(0, dtype=np.int64)
        self.removed = sp.csr_matrix((np.ones(rr.size), (rr, rc)), shape=(S, P))
        self.size = {
            "columns": int(self.c_sigma),
            "rows": int(n_rows),
            "binaries": int(L * K),
            "nonzeros": int(self.matrix.nnz),
            "paths": int(P),
            "state_flow_columns": int(n_y),
            "failure_states": int(S),
        }

    def _failed_arcs(self, s: int) -> np.ndarray:
        state = self.paths.states[s]
        out = np.zeros(self.n_arcs, dtype=bool)
        if state.links:
            out |= np.isin(self.arc_link, list(state.links))
        if state.nodes:
            out[self.graph.arcs_at_nodes(list(state.nodes))] = True
        return out

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
        options = {"time_limit": max(float(time_limit_s), 0.5), "presolve": True}
        if integer:
            options["mip_rel_gap"] = float(gap)
        t0 = time.perf_counter()
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
