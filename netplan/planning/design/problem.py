"""A network-design instance and the outcome of solving it: the design MILP's inputs and outputs.

:class:`DesignProblem` holds an instance on plain arrays (links, module types, demands and the
model variants, SNDlib vocabulary) and checks it on construction; :class:`DesignResult` is
what :func:`netplan.planning.design.milp.solve_design` returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from netplan.errors import Problem, ValidationError

__all__ = [
    "CAPACITY_MODELS",
    "FORMULATIONS",
    "LINK_MODELS",
    "ROUTINGS",
    "SURVIVABILITY",
    "DesignProblem",
    "DesignResult",
    "path_arcs",
]

LINK_MODELS = ("undirected", "bidirected", "directed")
CAPACITY_MODELS = ("modular", "explicit", "linear")
ROUTINGS = ("continuous", "single_path")
SURVIVABILITY = ("none", "unrestricted")
FORMULATIONS = ("auto", "aggregated", "disaggregated", "path")


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

    >>> from netplan.planning.design.milp import solve_design
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
                    elif path_arcs(p, d, path) is None:
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


def path_arcs(p: DesignProblem, d: int, links) -> list[int] | None:
    """Arc indices of a path given by link indices, or None if it is not a path.

    Parameters
    ----------
    p : DesignProblem
    d : int
        The demand the path should join, from its source to its target.
    links : sequence of int
        Link indices in order.

    Returns
    -------
    list of int or None
        Arc ``2l`` runs along link ``l``, ``2l + 1`` against it (``l`` for directed links).
    """
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
    solver : str
        The backend that solved it (``highspy`` or ``scipy``).
    heuristic_cost : float
        Cost of the LP-rounding design given to HiGHS as its start (``nan`` when none).
    incumbents : tuple of (float, float)
        ``(seconds since the solve started, total cost)`` of every improving design HiGHS
        found (``highspy`` only; the heuristic start is the first when HiGHS accepted it).
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
    solver: str = ""
    heuristic_cost: float = math.nan
    incumbents: tuple = ()

    @property
    def first_incumbent(self) -> tuple[float, float]:
        """``(seconds, cost)`` of the first design HiGHS reported (``nan`` when unknown)."""
        return self.incumbents[0] if self.incumbents else (math.nan, math.nan)

    @property
    def has_design(self) -> bool:
        """True when a feasible design was found."""
        return self.status in ("optimal", "time_limit")

    @property
    def link_flow(self) -> np.ndarray:
        """Flow per state and link, both directions added: shape (S, L)."""
        return self.arc_flow.sum(axis=2)
