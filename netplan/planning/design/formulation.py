"""The design MILP's formulations: columns and rows for modules, set-up and flows per state.

Three formulations, all exact for what they accept (see :mod:`netplan.planning.design.milp`):
source-aggregated arc flow, one commodity per demand (with binary arcs for single-path
routing and hop-count rows), and one variable per demand and candidate path. Every network
state gets its own flow block and capacity rows against the shared module variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from netplan.errors import Problem, RunError, ValidationError
from netplan.planning.design.connectivity import SpanningRows, spanning_rows
from netplan.planning.design.problem import FORMULATIONS, DesignProblem, path_arcs
from netplan.planning.design.strengthen import cutset_rows, module_bounds

__all__ = [
    "Arcs",
    "BuiltModel",
    "FlowBlock",
    "ModelBuilder",
    "arcs_of",
    "build_model",
    "choose_formulation",
]


@dataclass
class Arcs:
    """The arcs flow can use: tail and head node, link and direction of every arc."""

    tail: np.ndarray
    head: np.ndarray
    link: np.ndarray
    direction: np.ndarray  # 0 = along the link, 1 = against it


def arcs_of(p: DesignProblem) -> Arcs:
    """The arcs of ``p``: one per directed link, two (2l, 2l + 1) per other link.

    Parameters
    ----------
    p : DesignProblem

    Returns
    -------
    Arcs
    """
    L = p.n_links
    if p.link_model == "directed":
        return Arcs(p.link_src, p.link_dst, np.arange(L), np.zeros(L, np.int64))
    tail = np.empty(2 * L, np.int64)
    head = np.empty(2 * L, np.int64)
    tail[0::2], tail[1::2] = p.link_src, p.link_dst
    head[0::2], head[1::2] = p.link_dst, p.link_src
    return Arcs(tail, head, np.repeat(np.arange(L), 2), np.tile([0, 1], L))


class ModelBuilder:
    """Columns and rows of a MILP, appended block by block."""

    def __init__(self) -> None:
        self.n = 0
        self.m = 0
        self._cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._rhs: list[tuple[np.ndarray, np.ndarray]] = []

    def add_vars(self, k: int, lb=0.0, ub=np.inf, integer=0, cost=0.0) -> int:
        """Append ``k`` columns; returns the index of the first."""
        start = self.n
        full = lambda v: np.broadcast_to(np.asarray(v, dtype=float), (k,)).copy()  # noqa: E731
        self._cols.append((full(lb), full(ub), full(integer), full(cost)))
        self.n += k
        return start

    def add_rows(self, k: int, rows, cols, vals, lb, ub) -> int:
        """Append ``k`` rows ``lb <= A x <= ub`` (``rows`` counted from 0); returns the first."""
        start = self.m
        self._rows.append(
            (
                np.asarray(rows, np.int64) + start,
                np.asarray(cols, np.int64),
                np.asarray(vals, float),
            )
        )
        full = lambda v: np.broadcast_to(np.asarray(v, dtype=float), (k,)).copy()  # noqa: E731
        self._rhs.append((full(lb), full(ub)))
        self.m += k
        return start

    def arrays(self):
        """``(c, lb, ub, integrality, A, row_lb, row_ub)`` for ``scipy.optimize.milp``."""
        lb, ub, integ, c = (np.concatenate([b[i] for b in self._cols]) for i in range(4))
        if self._rows:
            r = np.concatenate([b[0] for b in self._rows])
            cidx = np.concatenate([b[1] for b in self._rows])
            v = np.concatenate([b[2] for b in self._rows])
            rlb = np.concatenate([b[0] for b in self._rhs])
            rub = np.concatenate([b[1] for b in self._rhs])
        else:
            r = cidx = np.zeros(0, np.int64)
            v = rlb = rub = np.zeros(0)
        A = sp.csr_array((v, (r, cidx)), shape=(self.m, self.n))
        A.sum_duplicates()
        return c, lb, ub, integ, A, rlb, rub


@dataclass
class FlowBlock:
    """Flow variables of one state: which arc each carries and how much flow per unit."""

    var: np.ndarray
    arc: np.ndarray
    coef: np.ndarray  # flow on `arc` per unit of the variable
    kind: str
    meta: dict = field(default_factory=dict)


def _alive_arcs(arcs: Arcs, failed: tuple[int, ...]) -> np.ndarray:
    if not failed:
        return np.arange(arcs.tail.size)
    return np.flatnonzero(~np.isin(arcs.link, np.asarray(failed, np.int64)))


def _orient(p: DesignProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sources and sinks for source aggregation; undirected demands are oriented so that few
    nodes act as sources (greedy vertex cover of the demand graph). Returns (src, dst,
    flipped)."""
    src, dst = p.demand_src.copy(), p.demand_dst.copy()
    flipped = np.zeros(p.n_demands, bool)
    if p.demand_directed or p.n_demands == 0:
        return src, dst, flipped
    uncovered = np.ones(p.n_demands, bool)
    while uncovered.any():
        deg = np.bincount(src[uncovered], minlength=p.n_nodes) + np.bincount(
            dst[uncovered], minlength=p.n_nodes
        )
        v = int(np.argmax(deg))
        hit_src = uncovered & (src == v)
        hit_dst = uncovered & (dst == v)
        dst[hit_dst] = src[hit_dst]
        src[hit_dst] = v
        flipped[hit_dst] = ~flipped[hit_dst]
        uncovered &= ~(hit_src | hit_dst)
    return src, dst, flipped


def _define_aggregated_flow(
    model: ModelBuilder, p: DesignProblem, arcs: Arcs, alive: np.ndarray, rc_arc: np.ndarray
) -> FlowBlock:
    src, dst, flipped = _orient(p)
    sources = np.unique(src)
    K, N, A = sources.size, p.n_nodes, alive.size
    kpos = np.searchsorted(sources, src)
    supply = np.zeros((K, N))
    np.add.at(supply, (kpos, src), p.demand_volume)
    np.add.at(supply, (kpos, dst), -p.demand_volume)
    total = supply.clip(min=0).sum(axis=1)
    start = model.add_vars(
        K * A, lb=0.0, ub=np.repeat(total, A), integer=0, cost=np.tile(rc_arc[alive], K)
    )
    var = start + np.arange(K * A)
    k_of = np.repeat(np.arange(K), A)
    a_of = np.tile(alive, K)
    rows = np.concatenate([k_of * N + arcs.tail[a_of], k_of * N + arcs.head[a_of]])
    cols = np.concatenate([var, var])
    vals = np.concatenate([np.ones(K * A), -np.ones(K * A)])
    model.add_rows(K * N, rows, cols, vals, supply.reshape(-1), supply.reshape(-1))
    return FlowBlock(
        var,
        a_of,
        np.ones(K * A),
        "aggregated",
        {"sources": sources, "kpos": kpos, "src": src, "dst": dst, "flipped": flipped, "A": A},
    )


def _define_disaggregated_flow(
    model: ModelBuilder, p: DesignProblem, arcs: Arcs, alive: np.ndarray, rc_arc: np.ndarray
) -> FlowBlock:
    D, N, A = p.n_demands, p.n_nodes, alive.size
    vol = p.demand_volume
    integer = 1 if p.routing == "single_path" else 0
    cost = (vol[:, None] * rc_arc[alive][None, :]).reshape(-1)
    start = model.add_vars(D * A, lb=0.0, ub=1.0, integer=integer, cost=cost)
    var = start + np.arange(D * A)
    d_of = np.repeat(np.arange(D), A)
    a_of = np.tile(alive, D)
    rows = np.concatenate([d_of * N + arcs.tail[a_of], d_of * N + arcs.head[a_of]])
    vals = np.concatenate([np.ones(D * A), -np.ones(D * A)])
    rhs = np.zeros((D, N))
    rhs[np.arange(D), p.demand_src] = 1.0
    rhs[np.arange(D), p.demand_dst] = -1.0
    model.add_rows(D * N, rows, np.concatenate([var, var]), vals, rhs.reshape(-1), rhs.reshape(-1))
    hops = p.demand_max_hops
    if hops is not None and np.any(hops > 0):
        # Exact for single paths: the path's arcs are exactly the arcs set to one.
        limited = np.flatnonzero(hops > 0)
        sel = np.isin(d_of, limited)
        rpos = np.searchsorted(limited, d_of[sel])
        model.add_rows(limited.size, rpos, var[sel], np.ones(sel.sum()), -np.inf, hops[limited])
    return FlowBlock(var, a_of, vol[d_of], "disaggregated", {"A": A})


def _define_path_flow(
    model: ModelBuilder,
    p: DesignProblem,
    failed: tuple[int, ...],
    rc_arc: np.ndarray,
    arcs: Arcs,
    state: int,
) -> FlowBlock:
    failed_set = set(failed)
    integer = 1 if p.routing == "single_path" else 0
    hops = p.demand_max_hops
    var_paths: list[tuple[int, tuple[int, ...], list[int]]] = []
    for d, paths in enumerate(p.candidate_paths):
        usable = [
            path
            for path in paths
            if not failed_set.intersection(path)
            and (hops is None or hops[d] <= 0 or len(path) <= hops[d])
        ]
        if not usable:
            raise RunError(
                f"demand {d} has no admissible path in state {state} (failed links {list(failed)})"
            )
        for path in usable:
            var_paths.append((d, path, path_arcs(p, d, path)))
    n = len(var_paths)
    vol = p.demand_volume
    d_of = np.array([v[0] for v in var_paths], np.int64)
    path_rc = np.array([rc_arc[v[2]].sum() for v in var_paths]) * vol[d_of]
    start = model.add_vars(n, lb=0.0, ub=1.0, integer=integer, cost=path_rc)
    model.add_rows(p.n_demands, d_of, start + np.arange(n), np.ones(n), 1.0, 1.0)
    var = np.concatenate([np.full(len(v[2]), start + i) for i, v in enumerate(var_paths)])
    arc = np.concatenate([np.asarray(v[2], np.int64) for v in var_paths])
    coef = np.concatenate([np.full(len(v[2]), vol[v[0]]) for v in var_paths])
    return FlowBlock(var, arc, coef, "path", {"paths": var_paths, "start": start})


def _check_connected(p: DesignProblem, arcs: Arcs, states) -> None:
    for s, failed in enumerate(states):
        alive = _alive_arcs(arcs, failed)
        g = sp.csr_array(
            (np.ones(alive.size), (arcs.tail[alive], arcs.head[alive])), shape=(p.n_nodes,) * 2
        )
        if p.link_model == "directed":
            for d in range(p.n_demands):
                reach = breadth_first_order(g, int(p.demand_src[d]), return_predecessors=False)
                if int(p.demand_dst[d]) not in set(reach.tolist()):
                    raise RunError(_disconnected_message(d, s, failed))
        else:
            _, comp = connected_components(g, directed=False)
            cut = np.flatnonzero(comp[p.demand_src] != comp[p.demand_dst])
            if cut.size:
                raise RunError(_disconnected_message(int(cut[0]), s, failed))


def _disconnected_message(d: int, s: int, failed) -> str:
    if not failed:
        return f"demand {d}: its end nodes are not connected by any link"
    return (
        f"demand {d} cannot be routed in failure state {s}: failing link(s) {list(failed)} "
        "disconnect its end nodes, so no capacity can make the design survivable"
    )


@dataclass
class BuiltModel:
    """A built design MILP and where its parts are: modules, set-up, flows per state."""

    model: ModelBuilder
    module_start: int
    setup_start: int | None
    blocks: list[FlowBlock]
    states: tuple
    arcs: Arcs
    constant: float
    formulation: str
    routing_start: int | None = None  # largest flow of every link with routing cost
    spanning: SpanningRows | None = None
    spanning_start: int | None = None

    def fill_spanning(self, p: DesignProblem, z: np.ndarray, cap: np.ndarray) -> np.ndarray:
        """``z`` with the spanning columns set from its module counts (in place)."""
        if self.spanning is not None:
            y = z[self.module_start : self.module_start + p.n_modules]
            capacity = p.pre_capacity.copy()
            np.add.at(capacity, p.module_link, np.round(y) * cap)
            start = self.spanning_start
            z[start : start + self.spanning.n_columns] = self.spanning.fill(capacity > 0)
        return z


def choose_formulation(p: DesignProblem, formulation: str) -> str:
    """The formulation to build: the one asked for if it fits ``p``, else an error.

    Parameters
    ----------
    p : DesignProblem
    formulation : {"auto", "aggregated", "disaggregated", "path"}
        ``auto``: the most compact exact formulation for ``p``.

    Returns
    -------
    str

    Raises
    ------
    ValidationError
        A formulation that does not fit the problem.
    """
    if formulation not in FORMULATIONS:
        raise ValidationError(
            [Problem("", "formulation", f"{formulation!r} is not one of {', '.join(FORMULATIONS)}")]
        )
    has_hops = p.demand_max_hops is not None and bool(np.any(p.demand_max_hops > 0))
    if p.candidate_paths is not None:
        if formulation not in ("auto", "path"):
            raise ValidationError(
                [Problem("", "formulation", "explicit candidate paths need formulation 'path'")]
            )
        return "path"
    if formulation == "path":
        raise ValidationError(
            [Problem("", "formulation", "formulation 'path' needs candidate_paths")]
        )
    if p.routing == "single_path":
        if formulation == "aggregated":
            raise ValidationError(
                [Problem("", "formulation", "single-path routing needs 'disaggregated' or 'path'")]
            )
        return "disaggregated"
    if has_hops:
        raise ValidationError(
            [
                Problem(
                    "",
                    "demand_max_hops",
                    "hop limits with continuous routing over all paths are not supported; "
                    "give candidate_paths or use single_path routing",
                )
            ]
        )
    return "aggregated" if formulation == "auto" else formulation


def build_model(
    p: DesignProblem,
    formulation: str,
    cutset_cuts: bool = True,
    dominance: bool = True,
    extra_cuts: bool = False,
    spanning: bool = False,
) -> BuiltModel:
    """The design MILP of ``p`` in ``formulation``, every network state included.

    Parameters
    ----------
    p : DesignProblem
    formulation : {"aggregated", "disaggregated", "path"}
    cutset_cuts : bool
        Add the rounded cut-set rows of :func:`netplan.planning.design.strengthen.cutset_rows`.
    dominance : bool
        Bound module counts by module dominance.
    extra_cuts : bool
        Cut-set rows of larger node sets as well (with ``cutset_cuts``).
    spanning : bool
        Add the spanning rows of :mod:`netplan.planning.design.connectivity` (the links
        bought connect the ends of every demand) where they apply.

    Returns
    -------
    BuiltModel

    Raises
    ------
    RunError
        A demand cannot be routed in some state whatever the capacities.
    """
    arcs = arcs_of(p)
    states = p.states()
    if p.candidate_paths is None:
        _check_connected(p, arcs, states)
    total = float(p.demand_volume.sum())
    model = ModelBuilder()
    cap, ub, integ = module_bounds(p, total, dominance)
    mod0 = model.add_vars(p.n_modules, lb=0.0, ub=ub, integer=integ, cost=p.module_cost)
    if p.capacity_model == "explicit":
        # At most one of the listed capacities per link, installed once.
        model.add_rows(
            p.n_links, p.module_link, mod0 + np.arange(p.n_modules), np.ones(p.n_modules), 0, 1
        )
    constant = float(p.pre_cost.sum())
    setup0 = None
    if p.setup_cost is not None:
        pre_open = p.pre_capacity > 0
        constant += float(p.setup_cost[pre_open].sum())
        setup0 = model.add_vars(
            p.n_links,
            lb=pre_open.astype(float),
            ub=1.0,
            integer=1,
            cost=np.where(pre_open, 0.0, p.setup_cost),
        )
        # Modules only on open links: y_m <= ub_m * z_link.
        M = p.n_modules
        rows = np.concatenate([np.arange(M), np.arange(M)])
        cols = np.concatenate([mod0 + np.arange(M), setup0 + p.module_link])
        vals = np.concatenate([np.ones(M), -ub])
        model.add_rows(M, rows, cols, vals, -np.inf, 0.0)
    if cutset_cuts:
        rows, mods, vals, rhs = cutset_rows(p, cap, states, extra_cuts, ub if extra_cuts else None)
        model.add_rows(rhs.size, rows, mod0 + mods, vals, rhs, np.inf)
    tree = spanning_rows(p) if spanning else None
    tree0 = None
    if tree is not None:
        tree0 = model.add_vars(tree.n_columns, lb=0.0, ub=tree.column_ub)
        m, o = tree.modules.tocoo(), tree.own.tocoo()
        model.add_rows(
            tree.row_lb.size,
            np.r_[m.row, o.row],
            np.r_[mod0 + m.col, tree0 + o.col],
            np.r_[m.data, o.data],
            tree.row_lb,
            tree.row_ub,
        )
    multi = len(states) > 1
    rc_arc = p.routing_cost[arcs.link]
    rc_flow = np.zeros_like(rc_arc) if multi else rc_arc
    blocks: list[FlowBlock] = []
    per_row_link = p.link_model == "undirected"
    n_cap_rows = p.n_links if per_row_link else arcs.tail.size
    cap_row_of_arc = arcs.link if per_row_link else np.arange(arcs.tail.size)
    cap_row_link = np.arange(p.n_links) if per_row_link else arcs.link
    for s, failed in enumerate(states):
        alive = _alive_arcs(arcs, failed)
        first_row = model.m
        if formulation == "aggregated":
            block = _define_aggregated_flow(model, p, arcs, alive, rc_flow)
        elif formulation == "disaggregated":
            block = _define_disaggregated_flow(model, p, arcs, alive, rc_flow)
        else:
            block = _define_path_flow(model, p, failed, rc_flow, arcs, s)
        blocks.append(block)
        # Capacity: load on each link (or arc) <= pre-installed + modules.
        alive_rows = np.ones(n_cap_rows, bool)
        if failed:
            alive_rows &= ~np.isin(cap_row_link, np.asarray(failed))
        row_ids = np.flatnonzero(alive_rows)
        pos = np.full(n_cap_rows, -1)
        pos[row_ids] = np.arange(row_ids.size)
        load_rows = pos[cap_row_of_arc[block.arc]]
        mods_per_row = [np.flatnonzero(p.module_link == cap_row_link[r]) for r in row_ids]
        m_rows = np.concatenate([np.full(m.size, i) for i, m in enumerate(mods_per_row)] or [[]])
        m_cols = np.concatenate(mods_per_row or [[]]).astype(np.int64)
        model.add_rows(
            row_ids.size,
            np.concatenate([load_rows, m_rows]),
            np.concatenate([block.var, mod0 + m_cols]),
            np.concatenate([block.coef, -cap[m_cols]]),
            -np.inf,
            p.pre_capacity[cap_row_link[row_ids]],
        )
        # The state's own rows (flow, hop limits, capacity), for solving it on its own.
        block.meta["rows"] = (first_row, model.m)
    routing0 = None
    if multi and np.any(p.routing_cost > 0):
        # SNDlib: with several states a link pays routing cost on its largest flow.
        paying = np.flatnonzero(p.routing_cost > 0)
        r0 = routing0 = model.add_vars(
            paying.size, lb=0.0, ub=np.inf, integer=0, cost=p.routing_cost[paying]
        )
        pos = np.full(p.n_links, -1)
        pos[paying] = np.arange(paying.size)
        for block in blocks:
            rows = pos[arcs.link[block.arc]]
            keep = rows >= 0
            model.add_rows(
                paying.size,
                np.concatenate([rows[keep], np.arange(paying.size)]),
                np.concatenate([block.var[keep], r0 + np.arange(paying.size)]),
                np.concatenate([block.coef[keep], -np.ones(paying.size)]),
                -np.inf,
                0.0,
            )
    return BuiltModel(
        model, mod0, setup0, blocks, states, arcs, constant, formulation, routing0, tree, tree0
    )
