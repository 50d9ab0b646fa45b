"""One plane of the routed plan: its model and demand, and what each solved year requires.

:func:`setup_plane` gathers what one plane needs across the years (candidate paths, the
routing model, design demand, what is installed); after each year's solve the planner
records that year's decisions on the :class:`RoutedPlane`. :func:`required_capacity` reads
from a solved routing what every link needs and which state and arc bind it, and
:func:`cheapest_cover` lets a link the routing does not need as bought fall back to the
cheapest state that covers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from netplan.analysis.failure_states import failure_states
from netplan.demand import PlaneDemand
from netplan.errors import Problem, RunError, ValidationError
from netplan.model.plane_graph import PlaneGraph
from netplan.model.scenario import Scenario
from netplan.model.topology import Link, Topology
from netplan.planning.routed.milp import RoutingModel
from netplan.planning.routed.paths import CandidatePaths, candidate_paths
from netplan.planning.routed.states import ModuleStates

__all__ = [
    "COVER_RTOL",
    "RoutedPlane",
    "cheapest_cover",
    "required_capacity",
    "setup_plane",
    "state_targets",
]

COVER_RTOL = 1e-9  # relative tolerance of "this capacity covers that requirement"


@dataclass(eq=False)
class RoutedPlane:
    """Everything one plane needs across the years, and what each year decided."""

    name: str
    graph: PlaneGraph
    links: tuple[Link, ...]
    paths: CandidatePaths
    model: RoutingModel
    initial: np.ndarray
    length_km: np.ndarray
    build_cny: np.ndarray
    capacity_max_gbps: np.ndarray
    peak_gbps: np.ndarray  # (Y, D)
    hourly_gbps: np.ndarray  # (Y, H, D)
    permanent_nodes: tuple[int, ...]
    gone_peak_gbps: np.ndarray  # (Y, D): demand of ods at nodes failed for good
    state: list = field(default_factory=list)  # per year: (L,) module state
    capex: list = field(default_factory=list)  # per year: (L,) CNY
    opex: list = field(default_factory=list)
    stay_cost: list = field(default_factory=list)  # per year: (L,) cost of keeping last year's
    required: list = field(default_factory=list)  # per year: (L,) Gbit/s
    binding: list = field(default_factory=list)  # per year: ((L,) state, (L,) arc)
    flows: list = field(default_factory=list)  # per year: (x, state_flow)
    loads: list = field(default_factory=list)  # per year: (1+S, A)
    kept_cny: dict = field(default_factory=dict)  # link → what keeping its modules saves
    replacement_saving_cny: dict = field(default_factory=dict)  # link → what replacing saves


def _initial_state(link: Link, names: list[str], states: ModuleStates, source: str) -> int:
    if link.candidate or link.tier not in names or link.modules <= 0:
        return 0
    try:
        return states.index(names.index(link.tier), link.modules)
    except KeyError:
        raise ValidationError(
            [
                Problem(
                    source,
                    f"links[{link.id}].modules",
                    f"{link.modules} modules of {link.tier} exceed the tier's max_modules",
                )
            ]
        ) from None


def setup_plane(
    topo: Topology,
    scenario: Scenario,
    plane: str,
    pd: PlaneDemand,
    failed_nodes: Iterable[str],
    states: ModuleStates,
    names: list[str],
    k_paths: int,
    reconfiguration: str,
) -> RoutedPlane:
    """Candidate paths, routing model, design demand and installed state of one plane.

    Parameters
    ----------
    topo : Topology
        The scenario's network (what-if changes applied), candidate links included.
    scenario : Scenario
        Its failure policy and utilisation targets.
    plane : str
    pd : PlaneDemand
        The plane's demand per year, hour and od.
    failed_nodes : iterable of str
        Nodes the scenario fails for good; their traffic is lost, their links carry nothing.
    states : ModuleStates
    names : list of str
        The tier catalogue's names.
    k_paths : int
        Shortest paths per od before the failure-driven additions.
    reconfiguration : {"restricted", "full"}
        See :class:`netplan.planning.routed.milp.RoutingModel`.

    Returns
    -------
    RoutedPlane
        With no year decided yet.
    """
    graph = topo.plane_graph(plane, built_only=False)
    if tuple(graph.node_ids) != tuple(pd.node_ids):
        raise RunError(f"plane {plane}: the demand's nodes do not match the plane's graph")
    links = topo.links_of(plane, built_only=False)
    permanent = tuple(graph.node_index[n] for n in failed_nodes if n in graph.node_index)
    removed = (
        sorted(set(graph.arc_link[graph.arcs_at_nodes(list(permanent))].tolist()))
        if permanent
        else []
    )
    policy_states = failure_states(graph, scenario.failure_policy)[1:]
    optional = [i for i, link in enumerate(links) if link.candidate]
    paths = candidate_paths(
        graph,
        pd.od_src,
        pd.od_dst,
        policy_states,
        k=k_paths,
        removed_links=removed,
        optional_links=optional,
    )
    targets = scenario.targets
    model = RoutingModel(
        paths,
        graph,
        states,
        targets.max_utilisation_normal,
        targets.max_utilisation_failure,
        reconfiguration=reconfiguration,
    )
    hourly = pd.total_gbps.copy()  # (Y, H, D)
    gone = np.isin(pd.od_src, permanent) | np.isin(pd.od_dst, permanent)
    gone_peak = np.where(gone[None, :], hourly.max(axis=1), 0.0)
    hourly[..., gone] = 0.0
    return RoutedPlane(
        name=plane,
        graph=graph,
        links=links,
        paths=paths,
        model=model,
        initial=np.array(
            [_initial_state(lk, names, states, topo.name) for lk in links], dtype=np.int64
        ),
        length_km=np.array([lk.length_km or 0.0 for lk in links]),
        build_cny=np.array([lk.build_capex_cny if lk.candidate else 0.0 for lk in links]),
        capacity_max_gbps=np.array([lk.capacity_max_gbps or np.inf for lk in links]),
        peak_gbps=hourly.max(axis=1),
        hourly_gbps=hourly,
        permanent_nodes=permanent,
        gone_peak_gbps=gone_peak,
    )


def state_targets(model: RoutingModel) -> np.ndarray:
    """Utilisation target of every state: without failure, then each failure state.

    Parameters
    ----------
    model : RoutingModel

    Returns
    -------
    (1 + S,) float
    """
    return np.r_[model.u_normal, np.full(len(model.paths.states), model.u_failure)]


def required_capacity(
    p: RoutedPlane, loads: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per link: required capacity (worst load / target over states) and where it binds.

    Ties go to a failure state: with a polished routing, a load the no-failure state
    matches exactly is one a failure forces.

    Parameters
    ----------
    p : RoutedPlane
    loads : (1 + S, A) float
        Arc loads without failure and in every failure state.

    Returns
    -------
    required : (L,) float
        Gbit/s every link needs.
    state, arc : (L,) int
        The state (0: without failure) and arc that bind it.
    """
    need = loads / state_targets(p.model)[:, None]  # (1+S, A)
    arc_link = p.graph.arc_link
    L = len(p.links)
    required = np.zeros(L)
    b_state = np.zeros(L, dtype=np.int64)
    b_arc = np.zeros(L, dtype=np.int64)
    for li in range(L):
        arcs = np.flatnonzero(arc_link == li)
        sub = need[:, arcs]
        top = float(sub.max())
        s_idx, a_idx = np.nonzero(sub >= top * (1.0 - 1e-9) - 1e-12)
        order = np.lexsort((a_idx, s_idx, s_idx == 0))  # failure states first, in order
        pick = order[0]
        required[li] = top
        b_state[li], b_arc[li] = s_idx[pick], arcs[a_idx[pick]]
    return required, b_state, b_arc


def cheapest_cover(chosen, allowed, cost, capacity, required) -> np.ndarray:
    """Per link, the cheapest allowed state covering ``required`` if cheaper than ``chosen``.

    Parameters
    ----------
    chosen : (L,) int
        The state every link has.
    allowed : (L, S) bool
    cost : (L, S) float
        This year's cost of every state.
    capacity : (S,) float
    required : (L,) float

    Returns
    -------
    (L,) int

    Examples
    --------
    >>> cheapest_cover(np.array([2]), np.array([[True, True, True]]),
    ...                np.array([[0.0, 5.0, 9.0]]), np.array([0.0, 10.0, 20.0]),
    ...                np.array([8.0])).tolist()
    [1]
    """
    covers = allowed & (capacity[None, :] >= required[:, None] * (1 - COVER_RTOL) - 1e-9)
    masked = np.where(covers, cost, np.inf)
    best = np.argmin(masked, axis=1)
    rows = np.arange(chosen.size)
    better = np.isfinite(masked[rows, best]) & (masked[rows, best] < cost[rows, chosen] - 1e-6)
    return np.where(better, best, chosen)
