"""Independent check of a routed plan: can the sized network carry every demand, every year?

The optimizer never grades its own work. For every plane and year this module hands the
sized capacities and the design demand to :func:`netplan.planning.check.check_routable`, a
maximum-concurrent-flow LP over arc flows that shares nothing with the path-based MILP (no
candidate paths, no modules, routing free in every state). The targets become capacities:
each link's capacity × ``max_utilisation_normal`` without failures, and × the failure target
in every failure state of the scenario's policy. The plan passes when every state routes all
of the demand (``λ >= 1``). Demand a state cannot carry whatever the capacities — traffic of
a failed node, or ods a failure cuts off from each other — is left out of that state, as
the plan reports it separately as lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from netplan.analysis.failure_states import FailureState, failure_states
from netplan.demand import build_demand
from netplan.model.plane_graph import PlaneGraph
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology
from netplan.planning.check import check_routable
from netplan.planning.plan import DEMAND_BASIS

log = logging.getLogger(__name__)

__all__ = ["check_plane_year", "independent_check_routed"]

_TOL = 1e-6


def _failed_links(graph: PlaneGraph, state: FailureState) -> tuple:
    links = set(state.links)
    if state.nodes:
        links |= set(graph.arc_link[graph.arcs_at_nodes(list(state.nodes))].tolist())
    return tuple(sorted(int(x) for x in links))


def _carriable(graph: PlaneGraph, failed_links, failed_nodes, src, dst) -> np.ndarray:
    """Ods whose ends survive and are still joined by some link (built or not)."""
    alive = ~np.isin(graph.arc_link, np.asarray(failed_links, dtype=np.int64))
    adj = csr_matrix(
        (np.ones(int(alive.sum())), (graph.arc_src[alive], graph.arc_dst[alive])),
        shape=(graph.n_nodes, graph.n_nodes),
    )
    _, label = connected_components(adj, directed=False)
    down = np.zeros(graph.n_nodes, dtype=bool)
    down[list(failed_nodes)] = True
    return (label[src] == label[dst]) & ~down[src] & ~down[dst]


def check_plane_year(
    graph: PlaneGraph,
    capacity_gbps,
    od_src,
    od_dst,
    demand_gbps,
    *,
    policy: Sequence[str],
    u_normal: float,
    u_failure: float,
    permanent_nodes: Sequence[int] = (),
) -> list[dict]:
    """Every state of one plane and year: the fraction ``λ`` of all demand it can carry.

    Parameters
    ----------
    graph : PlaneGraph
        The plane with every link the plan may size (candidates included).
    capacity_gbps : (L,) float
        The plan's capacity of every link (0 for a link left unbuilt).
    od_src, od_dst : (D,) int
    demand_gbps : (D,) float
        Design demand of every od.
    policy : sequence of str
        Failure policy (see :func:`netplan.analysis.failures.failure_states`).
    u_normal, u_failure : float
        Utilisation targets; they scale the capacities.
    permanent_nodes : sequence of int
        Nodes failed in every state (a scenario's ``fail_node``).

    Returns
    -------
    list of dict
        One per state: ``state`` (name), ``throughput`` (``λ``, capped at 1000),
        ``passed``, ``target_utilisation`` and ``excluded_ods`` (demand left out).

    Examples
    --------
    A triangle with 10 Gbit/s links and 6 Gbit/s from A to B: at 70 % without failures it
    fits (7 direct + 7 around); after any failure 9 Gbit/s remain for the 6.

    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"),
    ...                           list("BCA"), 1.0)
    >>> out = check_plane_year(g, [10, 10, 10], [0], [1], [6.0], policy=["n-1"],
    ...                        u_normal=0.7, u_failure=0.9)
    >>> [(r["state"], round(r["throughput"], 3)) for r in out]
    [('none', 2.333), ('link:ab', 1.5), ('link:bc', 1.5), ('link:ca', 1.5)]
    """
    cap = np.asarray(capacity_gbps, dtype=float).reshape(-1)
    src = np.asarray(od_src, dtype=np.int64).reshape(-1)
    dst = np.asarray(od_dst, dtype=np.int64).reshape(-1)
    vol = np.asarray(demand_gbps, dtype=float).reshape(-1)
    link_src = graph.arc_src[0::2] if graph.n_arcs == 2 * graph.n_links else None
    link_dst = graph.arc_dst[0::2] if graph.n_arcs == 2 * graph.n_links else None
    if link_src is None:
        raise ValueError("the independent check needs a plane of full-duplex links")
    permanent = [int(x) for x in permanent_nodes]
    perm_links = (
        sorted(set(graph.arc_link[graph.arcs_at_nodes(permanent)].tolist())) if permanent else []
    )
    cap = cap.copy()
    cap[perm_links] = 0.0  # links at a node failed for good carry nothing in any state
    states = failure_states(graph, tuple(policy))
    out: list[dict] = []
    groups: dict[tuple, list[tuple[FailureState, tuple]]] = {}
    for state in states:
        failed = _failed_links(graph, state)
        keep = _carriable(
            graph,
            sorted(set(failed) | set(perm_links)),
            set(state.nodes) | set(permanent),
            src,
            dst,
        ) & (vol > 0)
        key = (state.kind == "none", tuple(np.flatnonzero(keep).tolist()))
        groups.setdefault(key, []).append((state, failed))
    # Links without capacity carry nothing: leave them out of the LP (smaller and exact);
    # a state that fails only such links is the no-failure network at the failure target.
    used = np.flatnonzero(cap > 0)
    position = np.full(cap.size, -1)
    position[used] = np.arange(used.size)
    for (is_normal, keep), members in groups.items():
        keep_a = np.asarray(keep, dtype=np.int64)
        target = u_normal if is_normal else u_failure
        mapped = [
            tuple(sorted(int(position[x]) for x in failed if position[x] >= 0))
            for _, failed in members
        ]
        scheme = "none" if is_normal else sorted({m for m in mapped if m})
        report = check_routable(
            graph.n_nodes,
            link_src[used],
            link_dst[used],
            cap[used] * target,
            src[keep_a],
            dst[keep_a],
            vol[keep_a],
            link_model="bidirected",
            demand_directed=True,
            failure_states=scheme,
            tol=_TOL,
            commodities="source",
        )
        # check_routable puts the no-failure state first; map its states back to ours.
        lam = dict(zip(report.states, report.throughput.tolist(), strict=True))
        excluded = int(vol.size - keep_a.size)
        for (state, _), key in zip(members, mapped, strict=True):
            t = lam[key]
            out.append(
                {
                    "state": state.name,
                    "throughput": float(t),
                    "passed": bool(t >= 1.0 - _TOL),
                    "target_utilisation": float(target),
                    "excluded_ods": excluded,
                }
            )
    order = {s.name: i for i, s in enumerate(states)}
    out.sort(key=lambda r: order[r["state"]])
    return out


def independent_check_routed(
    topology: Topology, scenario: Scenario, plan_rows: Iterable[dict]
) -> dict:
    """Check a plan's link capacities with a max-concurrent-flow LP per plane, year and state.

    The demand and the planes are rebuilt from ``topology`` and ``scenario``; only the
    capacities come from ``plan_rows`` (a link without a row keeps what is installed).
    Routing is free in every state (arc flows, not the plan's paths), capacities are scaled
    by the state's utilisation target, and demand a state cannot carry whatever the
    capacities (at a failed node, or cut off) is left out of that state.

    A year whose capacities equal those of a later year that passed, with no od's demand
    larger, is not solved again: the maximum concurrent flow only grows as demand shrinks,
    so it passes too (listed under ``years_implied``).

    Parameters
    ----------
    topology, scenario
        The network and scenario the plan was made for.
    plan_rows : iterable of dict
        Rows as in :attr:`netplan.planning.plan.Plan.rows` (``item``, ``id``, ``year``,
        ``capacity_gbps``).

    Returns
    -------
    dict
        ``passed``, ``breaches`` (year, plane, failure, throughput λ < 1), ``method``,
        ``years_checked``, ``years_implied``, ``failure_policy``, ``states_checked``,
        ``worst_throughput``.
    """
    targets = scenario.targets
    demand = build_demand(topology, scenario)
    topo = demand.whatif.topology
    capacity = {
        (r["id"], r["year"]): float(r["capacity_gbps"]) for r in plan_rows if r["item"] == "link"
    }
    breaches: list[dict] = []
    implied: list[dict] = []
    checked = 0
    worst = np.inf
    for plane, pd in demand.planes.items():
        graph = topo.plane_graph(plane, built_only=False)
        links = topo.links_of(plane, built_only=False)
        permanent = [
            graph.node_index[n] for n in demand.whatif.failed_nodes if n in graph.node_index
        ]
        peak = pd.total_gbps.max(axis=1)
        caps = [
            np.array(
                [
                    capacity.get(
                        (lk.id, year), 0.0 if lk.candidate else float(lk.capacity_gbps or 0.0)
                    )
                    for lk in links
                ]
            )
            for year in scenario.years
        ]
        passed: list[int] = []
        # Latest year first: an earlier year with the same capacities and nowhere more
        # demand carries at least the same fraction λ in every state, so it passes too.
        for yi in reversed(range(len(scenario.years))):
            year = scenario.years[yi]
            by = next(
                (
                    z
                    for z in passed
                    if np.array_equal(caps[z], caps[yi]) and np.all(peak[yi] <= peak[z])
                ),
                None,
            )
            if by is not None:
                implied.append({"year": year, "plane": plane, "implied_by": scenario.years[by]})
                passed.append(yi)
                continue
            results = check_plane_year(
                graph,
                caps[yi],
                pd.od_src,
                pd.od_dst,
                peak[yi],
                policy=scenario.failure_policy,
                u_normal=targets.max_utilisation_normal,
                u_failure=targets.max_utilisation_failure,
                permanent_nodes=permanent,
            )
            checked += len(results)
            failed = [r for r in results if not r["passed"]]
            worst = min([worst, *(r["throughput"] for r in results)])
            breaches.extend(
                {
                    "year": year,
                    "plane": plane,
                    "failure": r["state"],
                    "throughput": r["throughput"],
                    "target_utilisation": r["target_utilisation"],
                }
                for r in failed
            )
            if not failed:
                passed.append(yi)
    breaches.sort(key=lambda b: (b["plane"], b["year"]))
    return {
        "method": (
            "netplan.planning.check.check_routable: a maximum-concurrent-flow LP over "
            "arc flows (routing free, not the plan's paths) per plane, year and failure "
            "state, capacities × the state's utilisation target; passes when every "
            "state carries all of its demand (λ >= 1)"
        ),
        "demand": DEMAND_BASIS,
        "years_checked": list(scenario.years),
        "failure_policy": list(scenario.failure_policy),
        "states_checked": checked,
        "years_implied": implied,
        "worst_throughput": float(worst) if np.isfinite(worst) else None,
        "passed": not breaches,
        "breaches": breaches,
    }
