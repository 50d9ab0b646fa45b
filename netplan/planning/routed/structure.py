"""The year-independent structure of one plane's routed sizing model: its columns and rows.

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
a full-duplex link has its own row against the link's capacity figure. Slack columns on
every capacity row (overload) and every demand row (unserved demand) are part of the
structure; the solves of :mod:`netplan.planning.routed.milp` open them or keep them shut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from netplan.errors import Problem, ValidationError
from netplan.model.plane_graph import PlaneGraph
from netplan.planning.routed.paths import CandidatePaths
from netplan.planning.routed.states import ModuleStates

__all__ = ["RoutingStructure"]

def _stack(parts: list[np.ndarray]) -> np.ndarray:
    """The parts end to end; an empty integer array when there are none."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


class _Entries:
    """Matrix entries (row, column, value) appended block by block, and the rows so far."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.n_rows = 0

    def put(self, r, c, v) -> None:
        r = np.asarray(r, dtype=np.int64).reshape(-1)
        self.rows.append(r)
        self.cols.append(np.asarray(c, dtype=np.int64).reshape(-1))
        self.vals.append(np.broadcast_to(np.asarray(v, dtype=float), r.shape).copy())


@dataclass(eq=False)
class _CapacityRows:
    """Capacity rows with the state (-1: none, -2: every failure state) and arc each guards."""

    rows: list = field(default_factory=list)
    state: list = field(default_factory=list)
    arc: list = field(default_factory=list)

    def add(self, rows: np.ndarray, state: np.ndarray, arc: np.ndarray) -> None:
        self.rows.append(rows)
        self.state.append(state)
        self.arc.append(arc)


@dataclass(eq=False)
class _Rerouting:
    """What the failure states add: rerouted flows, single survivors and removed paths."""

    untouched_alive: np.ndarray
    y_path: list = field(default_factory=list)
    y_group: list = field(default_factory=list)
    sd_od: list = field(default_factory=list)
    sd_state: list = field(default_factory=list)
    single_row: list = field(default_factory=list)
    single_od: list = field(default_factory=list)
    single_state: list = field(default_factory=list)
    single_path: list = field(default_factory=list)
    removed_r: list = field(default_factory=list)
    removed_c: list = field(default_factory=list)
    n_y: int = 0


class RoutingStructure:
    """Columns, rows and matrix of one plane's model, the same in every year.

    Built once per plane by :class:`netplan.planning.routed.milp.RoutingModel`, whose
    documentation lists the parameters; the column offsets (``c_*``), row indices (``r_*``)
    and the capacity rows' states and arcs (``cap_state``, ``cap_arc``) locate its parts.
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
    def _build(self) -> None:
        cp = self.paths
        P, A, L, K = cp.n_paths, self.n_arcs, self.n_links, self.states.size
        self.c_load, self.c_cap, self.c_z = P, P + A, P + A + L
        self.c_y = self.c_z + L * K
        PA = cp.arc_incidence.tocsr()
        entries = _Entries()
        caps = _CapacityRows()
        self._base_rows(entries, caps, PA)
        rerouting = _Rerouting(untouched_alive=np.zeros(A, dtype=bool))
        for s in range(len(cp.states)):
            self._state_rows(entries, caps, PA, s, rerouting)
        # A failure target stricter than the normal one binds every arc some state leaves
        # alone (the no-failure row does not cover it).
        if len(cp.states) and self.u_failure < self.u_normal:
            arcs = np.flatnonzero(rerouting.untouched_alive)
            r = entries.n_rows + np.arange(arcs.size)
            entries.put(r, self.c_load + arcs, 1.0)
            entries.put(r, self.c_cap + self.arc_link[arcs], -self.u_failure)
            caps.add(r, np.full(arcs.size, -2), arcs)
            entries.n_rows += arcs.size
        self._finish(entries, caps, rerouting)

    def _base_rows(self, entries: _Entries, caps: _CapacityRows, PA: sp.csr_matrix) -> None:
        """Demand, load, capacity-definition and choice rows, and the no-failure capacity rows."""
        cp = self.paths
        P, A, L, K = cp.n_paths, self.n_arcs, self.n_links, self.states.size
        D = cp.od_src.size
        put = entries.put
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
        r = n_rows + np.arange(A)
        put(r, self.c_load + np.arange(A), 1.0)
        put(r, self.c_cap + self.arc_link, -self.u_normal)
        caps.add(r, np.full(A, -1), np.arange(A))
        entries.n_rows = n_rows + A

    def _state_rows(
        self,
        entries: _Entries,
        caps: _CapacityRows,
        PA: sp.csr_matrix,
        s: int,
        rr: _Rerouting,
    ) -> None:
        """Failure state ``s``: its rerouted flows and its capacity rows."""
        cp = self.paths
        P, A = cp.n_paths, self.n_arcs
        put = entries.put
        dead = cp.dead.tocsr()
        failed = self._failed_arcs(s)
        dead_paths = dead.indices[dead.indptr[s] : dead.indptr[s + 1]]
        if dead_paths.size == 0 and self.reconfiguration == "restricted":
            rr.untouched_alive |= ~failed
            return
        dead_mask = np.zeros(P, dtype=bool)
        dead_mask[dead_paths] = True
        # Restricted: only the ods a failure touches move; full: every od may.
        removed = (
            np.unique(cp.path_od[dead_paths])
            if self.reconfiguration == "restricted"
            else np.flatnonzero(np.diff(cp.od_ptr) > 0)
        )
        if removed.size == 0:
            rr.untouched_alive |= ~failed
            return
        rerouted = removed[~cp.dropped[s, removed] & ~cp.lost[s, removed]]
        rem_paths = np.concatenate([np.arange(cp.od_ptr[o], cp.od_ptr[o + 1]) for o in removed])
        rr.removed_r.append(np.full(rem_paths.size, s))
        rr.removed_c.append(rem_paths)
        s_y: list[int] = []
        s_single: list[int] = []
        s_single_od: list[int] = []
        for o in rerouted.tolist():
            alive = [p for p in range(cp.od_ptr[o], cp.od_ptr[o + 1]) if not dead_mask[p]]
            if len(alive) == 1:
                s_single.append(alive[0])
                s_single_od.append(o)
                continue
            rr.y_group.append(np.full(len(alive), len(rr.sd_od)))
            rr.sd_od.append(o)
            rr.sd_state.append(s)
            s_y.extend(alive)
        surv = np.asarray(s_y + s_single, dtype=np.int64)
        touched = np.zeros(A, dtype=bool)
        if surv.size:
            touched[PA[surv].indices] = True
        rr.untouched_alive |= ~touched & ~failed
        arcs = np.flatnonzero(touched)
        yp = np.asarray(s_y, dtype=np.int64)
        rr.y_path.append(yp)
        if arcs.size == 0:
            rr.n_y += yp.size
            return
        local = np.full(A, -1)
        local[arcs] = np.arange(arcs.size)
        base = entries.n_rows
        put(base + np.arange(arcs.size), self.c_load + arcs, 1.0)
        put(base + np.arange(arcs.size), self.c_cap + self.arc_link[arcs], -self.u_failure)
        sub = PA[rem_paths].tocoo()
        keep = local[sub.col] >= 0
        put(base + local[sub.col[keep]], rem_paths[sub.row[keep]], -1.0)
        if yp.size:
            sub = PA[yp].tocoo()
            keep = local[sub.col] >= 0
            put(base + local[sub.col[keep]], self.c_y + rr.n_y + sub.row[keep], 1.0)
        rr.n_y += yp.size
        if s_single:
            sp_ = np.asarray(s_single, dtype=np.int64)
            sub = PA[sp_].tocoo()
            keep = local[sub.col] >= 0
            rr.single_row.append(base + local[sub.col[keep]])
            rr.single_od.append(np.asarray(s_single_od, dtype=np.int64)[sub.row[keep]])
            rr.single_state.append(np.full(sp_.size, s))
            rr.single_path.append(sp_)
        caps.add(base + np.arange(arcs.size), np.full(arcs.size, s), arcs)
        entries.n_rows += arcs.size

    def _finish(self, entries: _Entries, caps: _CapacityRows, rr: _Rerouting) -> None:
        """State demand rows, slack columns, the matrix and the maps of the failure states."""
        cp = self.paths
        P, L, K = cp.n_paths, self.n_links, self.states.size
        D, S = cp.od_src.size, len(cp.states)
        n_y = rr.n_y
        # State demand rows: Σ y over a rerouted od's surviving paths = its demand.
        self.y_path = _stack(rr.y_path)
        groups = _stack(rr.y_group)
        self.sd_od = np.asarray(rr.sd_od, dtype=np.int64)
        self.sd_state = np.asarray(rr.sd_state, dtype=np.int64)
        self.y_state = self.sd_state[groups] if groups.size else np.zeros(0, dtype=np.int64)
        self.r_state_demand = entries.n_rows + np.arange(self.sd_od.size)
        entries.put(self.r_state_demand[groups], self.c_y + np.arange(n_y), 1.0)
        n_rows = entries.n_rows + self.sd_od.size

        # Slack columns: σ on every capacity row (overload), δ on every demand row.
        self.cap_rows = np.concatenate(caps.rows)
        self.cap_state = np.concatenate(caps.state)
        self.cap_arc = np.concatenate(caps.arc)
        self.c_sigma = self.c_y + n_y
        entries.put(self.cap_rows, self.c_sigma + np.arange(self.cap_rows.size), -1.0)
        self.c_delta = self.c_sigma + self.cap_rows.size
        demand_rows = np.r_[self.r_demand, self.r_state_demand]
        entries.put(demand_rows, self.c_delta + np.arange(demand_rows.size), 1.0)
        self.n_cols = self.c_delta + demand_rows.size
        self.n_rows = n_rows
        self.matrix = sp.csr_matrix(
            (
                np.concatenate(entries.vals),
                (np.concatenate(entries.rows), np.concatenate(entries.cols)),
            ),
            shape=(n_rows, self.n_cols),
        )
        self.matrix.sum_duplicates()
        sr, so = _stack(rr.single_row), _stack(rr.single_od)
        self.single_map = sp.csr_matrix((np.ones(sr.size), (sr, so)), shape=(n_rows, D))
        self.single_state = _stack(rr.single_state)
        self.single_path = _stack(rr.single_path)
        rr_, rc = _stack(rr.removed_r), _stack(rr.removed_c)
        self.removed = sp.csr_matrix((np.ones(rr_.size), (rr_, rc)), shape=(S, P))
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

