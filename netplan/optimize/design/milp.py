"""Exact network-design MILP on plain arrays (``scipy.optimize.milp`` / HiGHS).

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

Three formulations, all exact for what they accept:

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
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from netplan.errors import Problem, RunError, ValidationError
from netplan.optimize.design.flowpaths import decompose_flow
from netplan.optimize.design.strengthen import cutset_rows, module_bounds

log = logging.getLogger(__name__)

__all__ = ["DesignProblem", "DesignResult", "solve_design"]

LINK_MODELS = ("undirected", "bidirected", "directed")
CAPACITY_MODELS = ("modular", "explicit", "linear")
ROUTINGS = ("continuous", "single_path")
SURVIVABILITY = ("none", "unrestricted")
FORMULATIONS = ("auto", "aggregated", "disaggregated", "path")


# --------------------------------------------------------------------------------------------
# Problem and result


@dataclass(frozen=True, eq=False)
class DesignProblem:
    """A network-design instance on arrays.

    Parameters
    ----------
    n_nodes : int
        Nodes are ``0 .. n_nodes-1``.
    link_src, link_dst : int arrays, shape (L,)
        Link endpoints (the direction matters only for ``bidirected``/``directed`` links).
    pre_capacity, pre_cost, routing_cost : float arrays, shape (L,)
        Pre-installed capacity, its (constant) cost, cost per unit of flow on the link.
    module_link : int array, shape (M,)
        The link each installable module type belongs to.
    module_capacity, module_cost : float arrays, shape (M,)
        Capacity (``inf`` = unlimited) and cost of one module.
    demand_src, demand_dst : int arrays, shape (D,)
    demand_volume : float array, shape (D,)
        Traffic to route (in the capacity unit).
    link_model : {"undirected", "bidirected", "directed"}
    demand_directed : bool
        Directed demands must be routed from source to target.
    capacity_model : {"modular", "explicit", "linear"}
    routing : {"continuous", "single_path"}
    survivability : {"none", "unrestricted"}
    setup_cost : float array (L,), optional
        Fixed charge per link carrying capacity; ``None`` ignores fixed charges.
    demand_max_hops : int array (D,), optional
        Hop limit per demand (``0`` = unlimited), applied in every network state.
    candidate_paths : sequence of sequences of link-index sequences, optional
        Explicit admissible paths per demand, each a list of link indices from the demand's
        source to its target.
    failure_states : sequence of sequences of int, optional
        Failed links of each failure state; with ``survivability="unrestricted"`` the default
        is every single link. The normal state (nothing failed) is always state 0.

    Examples
    --------
    A triangle where one module of 10 on each of two links carries a demand of 7:

    >>> p = DesignProblem(
    ...     n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2],
    ...     pre_capacity=[0, 0, 0], pre_cost=[0, 0, 0], routing_cost=[0, 0, 0],
    ...     module_link=[0, 1, 2], module_capacity=[10, 10, 10], module_cost=[1, 1, 5],
    ...     demand_src=[0], demand_dst=[2], demand_volume=[7])
    >>> r = solve_design(p, time_limit_s=10, gap=0)
    >>> r.status, r.objective, r.module_count.tolist()
    ('optimal', 2.0, [1.0, 1.0, 0.0])
    """

    n_nodes: int
    link_src: np.ndarray
    link_dst: np.ndarray
    pre_capacity: np.ndarray
    pre_cost: np.ndarray
    routing_cost: np.ndarray
    module_link: np.ndarray
    module_capacity: np.ndarray
    module_cost: np.ndarray
    demand_src: np.ndarray
    demand_dst: np.ndarray
    demand_volume: np.ndarray
    link_model: str = "undirected"
    demand_directed: bool = False
    capacity_model: str = "modular"
    routing: str = "continuous"
    survivability: str = "none"
    setup_cost: np.ndarray | None = None
    demand_max_hops: np.ndarray | None = None
    candidate_paths: tuple | None = None
    failure_states: tuple | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("link_src", "link_dst", "module_link", "demand_src", "demand_dst"):
            set_(self, name, np.asarray(getattr(self, name), dtype=np.int64).reshape(-1))
        for name in (
            "pre_capacity",
            "pre_cost",
            "routing_cost",
            "module_capacity",
            "module_cost",
            "demand_volume",
        ):
            set_(self, name, np.asarray(getattr(self, name), dtype=float).reshape(-1))
        if self.setup_cost is not None:
            set_(self, "setup_cost", np.asarray(self.setup_cost, dtype=float).reshape(-1))
        if self.demand_max_hops is not None:
            set_(self, "demand_max_hops", np.asarray(self.demand_max_hops, np.int64).reshape(-1))
        if self.candidate_paths is not None:
            set_(
                self,
                "candidate_paths",
                tuple(tuple(tuple(int(x) for x in p) for p in ps) for ps in self.candidate_paths),
            )
        if self.failure_states is not None:
            set_(
                self,
                "failure_states",
                tuple(tuple(sorted({int(x) for x in s})) for s in self.failure_states),
            )
        problems = _validate(self)
        if problems:
            raise ValidationError(problems)

    @property
    def n_links(self) -> int:
        return int(self.link_src.size)

    @property
    def n_modules(self) -> int:
        return int(self.module_link.size)

    @property
    def n_demands(self) -> int:
        return int(self.demand_src.size)

    def states(self) -> tuple[tuple[int, ...], ...]:
        """Failed links of every network state; state 0 is the normal state ``()``."""
        if self.survivability == "none":
            return ((),)
        if self.failure_states is not None:
            rest = tuple(s for s in self.failure_states if s)
            return ((), *rest)
        return ((), *((int(i),) for i in range(self.n_links)))


def _validate(p: DesignProblem) -> list[Problem]:
    out: list[Problem] = []

    def bad(fieldname: str, message: str) -> None:
        out.append(Problem("", fieldname, message))

    L, M, D = p.link_src.size, p.module_link.size, p.demand_src.size
    for name, want in (("link_model", LINK_MODELS), ("capacity_model", CAPACITY_MODELS)):
        if getattr(p, name) not in want:
            bad(name, f"{getattr(p, name)!r} is not one of {', '.join(want)}")
    if p.routing not in ROUTINGS:
        bad("routing", f"{p.routing!r} is not one of {', '.join(ROUTINGS)}")
    if p.survivability not in SURVIVABILITY:
        bad("survivability", f"{p.survivability!r} is not one of {', '.join(SURVIVABILITY)}")
    if p.n_nodes < 1:
        bad("n_nodes", "must be >= 1")
    for name, n in (
        ("link_dst", L),
        ("pre_capacity", L),
        ("pre_cost", L),
        ("routing_cost", L),
        ("module_capacity", M),
        ("module_cost", M),
        ("demand_dst", D),
        ("demand_volume", D),
    ):
        if getattr(p, name).size != n:
            bad(name, f"has {getattr(p, name).size} entries, expected {n}")
    if out:
        return out
    for name in ("link_src", "link_dst", "demand_src", "demand_dst"):
        a = getattr(p, name)
        if a.size and (a.min() < 0 or a.max() >= p.n_nodes):
            bad(name, f"node index outside 0..{p.n_nodes - 1}")
    if np.any(p.link_src == p.link_dst):
        bad("link_src", f"link {int(np.argmax(p.link_src == p.link_dst))} joins a node to itself")
    if np.any(p.demand_src == p.demand_dst):
        bad("demand_src", f"demand {int(np.argmax(p.demand_src == p.demand_dst))} has equal ends")
    if M and (p.module_link.min() < 0 or p.module_link.max() >= L):
        bad("module_link", f"link index outside 0..{L - 1}")
    for name in ("pre_capacity", "pre_cost", "routing_cost", "module_cost", "demand_volume"):
        a = getattr(p, name)
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            bad(name, "must be finite and >= 0")
    if np.any(np.isnan(p.module_capacity)) or np.any(p.module_capacity <= 0):
        bad("module_capacity", "must be > 0 (inf allowed)")
    if p.setup_cost is not None and (
        p.setup_cost.size != L or np.any(p.setup_cost < 0) or not np.all(np.isfinite(p.setup_cost))
    ):
        bad("setup_cost", f"must have {L} finite entries >= 0")
    if p.demand_max_hops is not None and (
        p.demand_max_hops.size != D or np.any(p.demand_max_hops < 0)
    ):
        bad("demand_max_hops", f"must have {D} entries >= 0 (0 = unlimited)")
    if p.link_model != "undirected" and not p.demand_directed:
        bad("demand_directed", f"undirected demands need undirected links, not {p.link_model!r}")
    if p.candidate_paths is not None:
        if len(p.candidate_paths) != D:
            bad("candidate_paths", f"has {len(p.candidate_paths)} entries, expected {D}")
        else:
            for d, paths in enumerate(p.candidate_paths):
                for k, path in enumerate(paths):
                    if len(set(path)) != len(path):
                        bad(f"candidate_paths[{d}][{k}]", "repeats a link")
                    elif _path_arcs(p, d, path) is None:
                        bad(
                            f"candidate_paths[{d}][{k}]",
                            "is not a path from the demand's source to its target"
                            + (" along link directions" if p.link_model == "directed" else ""),
                        )
    if p.failure_states is not None:
        for k, s in enumerate(p.failure_states):
            if s and (min(s) < 0 or max(s) >= L):
                bad(f"failure_states[{k}]", f"link index outside 0..{L - 1}")
    return out


@dataclass(frozen=True, eq=False)
class DesignResult:
    """Outcome of :func:`solve_design`.

    Attributes
    ----------
    status : str
        ``optimal`` (proven within the requested gap), ``time_limit`` (a feasible design, not
        proven), ``no_solution`` (limit reached before any design), ``infeasible``,
        ``unbounded`` or ``error``.
    objective, bound, gap : float
        Total cost of the design, the solver's lower bound (both including the constant
        pre-installed capacity cost) and their relative gap; ``nan`` without a design.
    module_count : (M,) float
        Modules installed per module type (integers unless ``linear``).
    capacity : (L,) float
        Installed capacity per link, pre-installed included.
    link_open : (L,) bool
        Links carrying capacity.
    arc_flow : (S, L, 2) float
        Flow per state, link and direction (0 = source→target, 1 = target→source).
    paths : tuple
        ``paths[s][d]`` = tuple of ``(flow, link indices)`` routing demand ``d`` in state
        ``s``, links in order from the demand's source.
    states : tuple of tuple of int
        Failed links of each state (state 0 is the normal state).
    cost_modules, cost_pre, cost_setup, cost_routing : float
        The cost terms recomputed from the design.
    solve_time_s, solve_cpu_s : float
        Wall-clock and processor time of building and solving (the processor time does not
        grow when other programs share the machine).
    """

    status: str
    objective: float
    bound: float
    gap: float
    module_count: np.ndarray
    capacity: np.ndarray
    link_open: np.ndarray
    arc_flow: np.ndarray
    paths: tuple
    states: tuple
    cost_modules: float
    cost_pre: float
    cost_setup: float
    cost_routing: float
    formulation: str
    solve_time_s: float
    n_variables: int
    n_constraints: int
    message: str = ""
    node_count: int = 0
    solve_cpu_s: float = math.nan

    @property
    def has_design(self) -> bool:
        """True when a feasible design was found."""
        return self.status in ("optimal", "time_limit")

    @property
    def link_flow(self) -> np.ndarray:
        """Flow per state and link, both directions added: shape (S, L)."""
        return self.arc_flow.sum(axis=2)


# --------------------------------------------------------------------------------------------
# Model building blocks


@dataclass
class _Arcs:
    tail: np.ndarray
    head: np.ndarray
    link: np.ndarray
    direction: np.ndarray  # 0 = along the link, 1 = against it


def _arcs(p: DesignProblem) -> _Arcs:
    L = p.n_links
    if p.link_model == "directed":
        return _Arcs(p.link_src, p.link_dst, np.arange(L), np.zeros(L, np.int64))
    tail = np.empty(2 * L, np.int64)
    head = np.empty(2 * L, np.int64)
    tail[0::2], tail[1::2] = p.link_src, p.link_dst
    head[0::2], head[1::2] = p.link_dst, p.link_src
    return _Arcs(tail, head, np.repeat(np.arange(L), 2), np.tile([0, 1], L))


def _path_arcs(p: DesignProblem, d: int, links) -> list[int] | None:
    """Arc indices of a path given by link indices, or None if it is not a path."""
    at = int(p.demand_src[d])
    arcs = []
    directed = p.link_model == "directed"
    for lk in links:
        if lk < 0 or lk >= p.link_src.size:
            return None
        s, t = int(p.link_src[lk]), int(p.link_dst[lk])
        if s == at:
            arcs.append(lk if directed else 2 * lk)
            at = t
        elif t == at and not directed:
            arcs.append(2 * lk + 1)
            at = s
        else:
            return None
    return arcs if at == int(p.demand_dst[d]) and arcs else None


class _Model:
    """Columns and rows of a MILP, appended block by block."""

    def __init__(self) -> None:
        self.n = 0
        self.m = 0
        self._cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._rhs: list[tuple[np.ndarray, np.ndarray]] = []

    def add_vars(self, k: int, lb=0.0, ub=np.inf, integer=0, cost=0.0) -> int:
        start = self.n
        full = lambda v: np.broadcast_to(np.asarray(v, dtype=float), (k,)).copy()  # noqa: E731
        self._cols.append((full(lb), full(ub), full(integer), full(cost)))
        self.n += k
        return start

    def add_rows(self, k: int, rows, cols, vals, lb, ub) -> int:
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
class _FlowBlock:
    """Flow variables of one state: which arc each carries and how much flow per unit."""

    var: np.ndarray
    arc: np.ndarray
    coef: np.ndarray  # flow on `arc` per unit of the variable
    kind: str
    meta: dict = field(default_factory=dict)


def _alive_arcs(arcs: _Arcs, failed: tuple[int, ...]) -> np.ndarray:
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
    model: _Model, p: DesignProblem, arcs: _Arcs, alive: np.ndarray, rc_arc: np.ndarray
) -> _FlowBlock:
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
    return _FlowBlock(
        var,
        a_of,
        np.ones(K * A),
        "aggregated",
        {"sources": sources, "kpos": kpos, "src": src, "dst": dst, "flipped": flipped, "A": A},
    )


def _define_disaggregated_flow(
    model: _Model, p: DesignProblem, arcs: _Arcs, alive: np.ndarray, rc_arc: np.ndarray
) -> _FlowBlock:
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
    return _FlowBlock(var, a_of, vol[d_of], "disaggregated", {"A": A})


def _define_path_flow(
    model: _Model,
    p: DesignProblem,
    failed: tuple[int, ...],
    rc_arc: np.ndarray,
    arcs: _Arcs,
    state: int,
) -> _FlowBlock:
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
            var_paths.append((d, path, _path_arcs(p, d, path)))
    n = len(var_paths)
    vol = p.demand_volume
    d_of = np.array([v[0] for v in var_paths], np.int64)
    path_rc = np.array([rc_arc[v[2]].sum() for v in var_paths]) * vol[d_of]
    start = model.add_vars(n, lb=0.0, ub=1.0, integer=integer, cost=path_rc)
    model.add_rows(p.n_demands, d_of, start + np.arange(n), np.ones(n), 1.0, 1.0)
    var = np.concatenate([np.full(len(v[2]), start + i) for i, v in enumerate(var_paths)])
    arc = np.concatenate([np.asarray(v[2], np.int64) for v in var_paths])
    coef = np.concatenate([np.full(len(v[2]), vol[v[0]]) for v in var_paths])
    return _FlowBlock(var, arc, coef, "path", {"paths": var_paths, "start": start})


def _check_connected(p: DesignProblem, arcs: _Arcs, states) -> None:
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
class _Built:
    model: _Model
    module_start: int
    setup_start: int | None
    blocks: list[_FlowBlock]
    states: tuple
    arcs: _Arcs
    constant: float
    formulation: str


def _choose_formulation(p: DesignProblem, formulation: str) -> str:
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


def _build(
    p: DesignProblem, formulation: str, cutset_cuts: bool = True, dominance: bool = True
) -> _Built:
    arcs = _arcs(p)
    states = p.states()
    if p.candidate_paths is None:
        _check_connected(p, arcs, states)
    total = float(p.demand_volume.sum())
    model = _Model()
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
        rows, mods, vals, rhs = cutset_rows(p, cap, states)
        model.add_rows(rhs.size, rows, mod0 + mods, vals, rhs, np.inf)
    multi = len(states) > 1
    rc_arc = p.routing_cost[arcs.link]
    rc_flow = np.zeros_like(rc_arc) if multi else rc_arc
    blocks: list[_FlowBlock] = []
    per_row_link = p.link_model == "undirected"
    n_cap_rows = p.n_links if per_row_link else arcs.tail.size
    cap_row_of_arc = arcs.link if per_row_link else np.arange(arcs.tail.size)
    cap_row_link = np.arange(p.n_links) if per_row_link else arcs.link
    for s, failed in enumerate(states):
        alive = _alive_arcs(arcs, failed)
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
    if multi and np.any(p.routing_cost > 0):
        # SNDlib: with several states a link pays routing cost on its largest flow.
        paying = np.flatnonzero(p.routing_cost > 0)
        r0 = model.add_vars(paying.size, lb=0.0, ub=np.inf, integer=0, cost=p.routing_cost[paying])
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
    return _Built(model, mod0, setup0, blocks, states, arcs, constant, formulation)


# --------------------------------------------------------------------------------------------
# Flow decomposition


def _paths_for_state(
    p: DesignProblem, built: _Built, block: _FlowBlock, x: np.ndarray
) -> tuple[tuple[tuple[float, tuple[int, ...]], ...], ...]:
    arcs = built.arcs
    D = p.n_demands
    per: list[list[tuple[float, tuple[int, ...]]]] = [[] for _ in range(D)]
    tol = 1e-7 * max(1.0, float(p.demand_volume.max(initial=0.0)))
    A_all = arcs.tail.size
    if block.kind == "aggregated":
        meta = block.meta
        A = meta["A"]
        for k, s in enumerate(meta["sources"]):
            vals = x[block.var[k * A : (k + 1) * A]]
            f = np.zeros(A_all)
            np.add.at(f, block.arc[k * A : (k + 1) * A], vals)
            mine = np.flatnonzero(meta["kpos"] == k)
            sinks: dict[int, float] = {}
            for d in mine:
                t = int(meta["dst"][d])
                sinks[t] = sinks.get(t, 0.0) + float(p.demand_volume[d])
            pieces = decompose_flow(p.n_nodes, arcs.tail, arcs.head, f, int(s), sinks, tol)
            by_sink: dict[int, list[tuple[float, tuple[int, ...]]]] = {}
            for t, amount, path in pieces:
                by_sink.setdefault(t, []).append((amount, path))
            for t, plist in by_sink.items():
                ds = [int(d) for d in mine if int(meta["dst"][d]) == t]
                _assign(plist, ds, p.demand_volume, meta["flipped"], arcs, per)
    elif block.kind == "disaggregated":
        A = block.meta["A"]
        for d in range(D):
            vals = x[block.var[d * A : (d + 1) * A]] * p.demand_volume[d]
            f = np.zeros(A_all)
            np.add.at(f, block.arc[d * A : (d + 1) * A], vals)
            t = int(p.demand_dst[d])
            pieces = decompose_flow(
                p.n_nodes,
                arcs.tail,
                arcs.head,
                f,
                int(p.demand_src[d]),
                {t: float(p.demand_volume[d])},
                tol,
            )
            per[d] = [
                (amount, tuple(int(arcs.link[a]) for a in path)) for _, amount, path in pieces
            ]
    else:
        start = block.meta["start"]
        for i, (d, path, _) in enumerate(block.meta["paths"]):
            amount = float(x[start + i]) * p.demand_volume[d]
            if amount > tol:
                per[d].append((amount, tuple(path)))
    return tuple(tuple(_merge(plist)) for plist in per)


def _assign(plist, ds, volume, flipped, arcs: _Arcs, per) -> None:
    """Share a sink's paths among the demands that end there, in order."""
    i = 0
    left = [float(volume[d]) for d in ds]
    for amount, path in plist:
        links = tuple(int(arcs.link[a]) for a in path)
        while amount > 0 and i < len(ds):
            take = min(amount, left[i])
            d = ds[i]
            per[d].append((take, links[::-1] if flipped[d] else links))
            amount -= take
            left[i] -= take
            if left[i] <= 1e-12 * max(1.0, float(volume[d])):
                i += 1
        if i >= len(ds):
            break


def _merge(plist):
    merged: dict[tuple[int, ...], float] = {}
    for amount, links in plist:
        merged[links] = merged.get(links, 0.0) + amount
    return [(a, links) for links, a in merged.items()]


# --------------------------------------------------------------------------------------------
# Solve


def _arc_flow_from_paths(p: DesignProblem, paths) -> np.ndarray:
    out = np.zeros((len(paths), p.n_links, 2))
    for s, per_demand in enumerate(paths):
        for d, plist in enumerate(per_demand):
            for amount, links in plist:
                at = int(p.demand_src[d])
                for lk in links:
                    if p.link_src[lk] == at:
                        out[s, lk, 0] += amount
                        at = int(p.link_dst[lk])
                    else:
                        out[s, lk, 1] += amount
                        at = int(p.link_src[lk])
    return out


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
        :func:`netplan.optimize.design.strengthen.dominance_bounds`); some optimal
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
    form = _choose_formulation(problem, formulation)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    built = _build(problem, form, cutset_cuts, dominance_bounds)
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
    p: DesignProblem, built: _Built, res, elapsed: float, cpu: float, n_var: int, n_con: int
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
    paths = tuple(_paths_for_state(p, built, block, x) for block in built.blocks)
    # Link flows from the decomposed paths: directions follow each demand's own orientation
    # and flow cycles (which carry nothing) are gone.
    arc_flow = _arc_flow_from_paths(p, paths)
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
