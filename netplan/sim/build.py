"""From netplan's topology and scenario to the simulator's plain-array inputs.

:func:`sim_inputs` turns a topology, a scenario (its services' session models) and the
demand of one year into a :class:`~netplan.sim.model.SimNetwork`, one
:class:`~netplan.sim.model.TrafficClass` per (service, od), one
:class:`~netplan.sim.model.ServerPool` per data centre that serves requests, and a
``reroute`` callable that recomputes ECMP paths when links fail. The network is the one
the topology describes: to simulate a plan's network, pass the topology sized by the plan
(:meth:`netplan.planning.plan.Plan.sized_topology`).

What is approximated
--------------------
- A session model describes the *mean* session; Poisson arrivals and exponential holding
  times, sizes and service times are assumed (the simulator's default).
- Requests: only the response direction (data centre -> district) is simulated; the
  request's upstream bytes are ignored (their propagation delay is part of the round trip).
  The district -> data-centre demand of a request service therefore adds no sessions.
- A request service whose origin is not a data centre is simulated as elastic transfers.
- A data centre's servers form one pool (racks x servers_per_rack) shared by every request
  service it serves; each class keeps its own mean service time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from netplan.analysis.routing import Routing, ecmp_routing
from netplan.demand import Demand, build_demand
from netplan.errors import Problem, ValidationError
from netplan.model.whatif import apply_overrides
from netplan.sim.model import ServerPool, SimNetwork, TrafficClass

__all__ = ["SimLabels", "enumerate_paths", "sim_inputs"]

log = logging.getLogger(__name__)

#: Paths enumerated per od at most (ECMP fan-out on the planned networks is far below).
MAX_PATHS = 256


@dataclass(frozen=True)
class SimLabels:
    """What each simulator index stands for in netplan's terms.

    Attributes
    ----------
    year : int
        Demand year the rates come from.
    link_plane, link_topology_id : tuple of str
        Plane and topology link id of each sim link (one per direction).
    class_service, class_plane, class_origin, class_destination : tuple of str
        Service id, plane and od end-node ids of each class.
    class_demand_mbps : numpy.ndarray, shape (classes, 24)
        Hourly demand behind each class, Mbit/s.
    pool_data_centre : tuple of str
        Data-centre id of each pool.
    services : tuple of str
        Services with a session model, scenario order.
    """

    year: int
    link_plane: tuple
    link_topology_id: tuple
    class_service: tuple
    class_plane: tuple
    class_origin: tuple
    class_destination: tuple
    class_demand_mbps: np.ndarray
    pool_data_centre: tuple
    services: tuple


def enumerate_paths(
    arc_src: np.ndarray, arc_dst: np.ndarray, column: dict, src: int, dst: int
) -> tuple[list, list]:
    """ECMP paths of one od from its per-arc split, with their probabilities.

    At every node the split leaving on each arc, divided by the split leaving the node,
    is the per-hop ECMP fraction; a path's probability is the product along it, so the
    probabilities of the paths through an arc add up to that arc's split.

    Parameters
    ----------
    arc_src, arc_dst : numpy.ndarray
        Tail and head node of each arc.
    column : dict
        Arc index -> fraction of the od carried (one column of ``Routing.split``).
    src, dst : int
        Origin and destination node indices.

    Returns
    -------
    paths : list of list of int
        Arc indices of each path.
    probs : list of float

    Examples
    --------
    A square A-B-D, A-C-D (nodes 0..3 = A, B, C, D): half the traffic each way.

    >>> src = np.array([0, 1, 0, 2]); dst = np.array([1, 3, 2, 3])
    >>> enumerate_paths(src, dst, {0: 0.5, 1: 0.5, 2: 0.5, 3: 0.5}, 0, 3)
    ([[0, 1], [2, 3]], [0.5, 0.5])
    """
    out: dict[int, list] = {}
    for arc, frac in column.items():
        if frac > 1e-12:
            out.setdefault(int(arc_src[arc]), []).append((int(arc), float(frac)))
    paths: list = []
    probs: list = []
    stack = [(src, [], 1.0)]
    while stack:
        node, path, prob = stack.pop()
        if node == dst:
            paths.append(path)
            probs.append(prob)
            if len(paths) > MAX_PATHS:
                raise ValidationError(
                    [Problem("", "routing", f"more than {MAX_PATHS} ECMP paths for one od")]
                )
            continue
        arcs = out.get(node, ())
        total = sum(f for _, f in arcs)
        for arc, frac in reversed(arcs):
            nxt = int(arc_dst[arc])
            if len(path) > len(arc_src):  # a loop would be a routing bug; stop it here
                raise ValidationError([Problem("", "routing", "ECMP split has a cycle")])
            stack.append((nxt, [*path, arc], prob * frac / total))
    return paths, probs


def _columns(split) -> list[dict]:
    csc = split.tocsc()
    cols = []
    for j in range(csc.shape[1]):
        lo, hi = csc.indptr[j], csc.indptr[j + 1]
        cols.append(dict(zip(csc.indices[lo:hi].tolist(), csc.data[lo:hi].tolist(), strict=True)))
    return cols


def sim_inputs(
    topology,
    scenario,
    *,
    year: int | None = None,
    demand: Demand | None = None,
):
    """Build the simulator's inputs for a topology and scenario.

    Parameters
    ----------
    topology : netplan.model.topology.Topology
        The network to simulate, sized: every built (non-candidate) link of both planes
        at its capacity in the topology. For a plan's network pass the topology the plan
        sized (:meth:`netplan.planning.plan.Plan.sized_topology`); the scenario's what-if
        overrides are applied to it, as for the analysis. When the plan sized the network
        the overrides made (``sized_topology(demand.whatif.topology)``), pass the scenario
        through :func:`netplan.model.whatif.without_link_overrides`, so that an added or
        re-tiered link keeps the plan's capacity.
    scenario : netplan.model.scenario.Scenario
        Services without a ``session`` model are left out. Nodes it fails for the whole
        scenario are down: nothing is routed through them, and their traffic is left out
        (the analysis reports it lost).
    year : int, optional
        Demand year (default: the last year of the horizon).
    demand : netplan.demand.Demand, optional
        Precomputed ``build_demand(topology, scenario)``, to avoid building it again. The
        demand depends on the nodes, data centres, drivers and services, not on the links
        or their capacities, so the demand built on the unsized topology serves the sized
        one: only its traffic is used here, never its topology.

    Returns
    -------
    network : SimNetwork
        One link per direction of every built link of both planes, ids ``link>`` (a->b)
        and ``link<`` (b->a), capacity in Mbit/s, latency in ms.
    classes : list of TrafficClass
        Ids ``service:origin>destination``; 24 hourly arrival rates.
    pools : list of ServerPool
    reroute : callable
        ``reroute(failed_mask)`` -> one ``(paths, probs)`` or None per class, ECMP with the
        failed links removed (a link is down when either of its directions is).
    labels : SimLabels

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> scen = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> net, classes, pools, reroute, labels = sim_inputs(topo, scen)
    >>> net.link_ids[:2]
    ('ex-wanzhou-1>', 'ex-wanzhou-1<')
    >>> [p.id for p in pools]
    ['dc-cloud']
    """
    if demand is None:
        demand = build_demand(topology, scenario)
        topo = demand.whatif.topology
    else:
        topo = apply_overrides(topology, scenario).topology
    years = tuple(scenario.years)
    if year is None:
        year = years[-1]
    if year not in years:
        raise ValidationError([Problem("", "year", f"{year} not in the horizon {years}")])
    yi = years.index(year)
    links = _sim_links(topo, demand)
    network = SimNetwork(tuple(links.ids), links.cap_mbps, latency_ms=links.lat_ms)
    built = _traffic_classes(topo, scenario, demand, links, yi)
    if not built.classes:
        raise ValidationError(
            [Problem("", "services", "no service with a session model has demand to simulate")]
        )
    reroute = _rerouter(demand, links, built)
    meta = built.meta
    labels = SimLabels(
        year=int(year),
        link_plane=tuple(links.plane),
        link_topology_id=tuple(links.topology_id),
        class_service=tuple(m[0] for m in meta),
        class_plane=tuple(m[1] for m in meta),
        class_origin=tuple(m[2] for m in meta),
        class_destination=tuple(m[3] for m in meta),
        class_demand_mbps=np.array(built.demand_rows),
        pool_data_centre=tuple(p.id for p in built.pools),
        services=tuple(built.services),
    )
    log.info("sim inputs: %d links, %d classes, %d pools (year %d)", len(links.ids),
             len(built.classes), len(built.pools), year)
    return network, built.classes, built.pools, reroute, labels


@dataclass
class _Links:
    """The sim links (one per direction of every built link) and where they come from."""

    ids: list = field(default_factory=list)
    cap_mbps: list = field(default_factory=list)
    lat_ms: list = field(default_factory=list)
    plane: list = field(default_factory=list)
    topology_id: list = field(default_factory=list)
    graphs: dict = field(default_factory=dict)  # plane -> PlaneGraph
    offset: dict = field(default_factory=dict)  # plane -> index of its first sim link


def _sim_links(topo, demand: Demand) -> _Links:
    """Both directions of every built link of the planes with demand, at their capacity."""
    links = _Links()
    for plane in ("extranet", "intranet"):
        if plane not in demand.planes:
            continue
        g = topo.plane_graph(plane)
        links.graphs[plane] = g
        links.offset[plane] = len(links.ids)
        for arc in range(g.arc_link.size):
            lid = g.link_ids[int(g.arc_link[arc])]
            links.ids.append(f"{lid}{'>' if arc % 2 == 0 else '<'}")
            links.cap_mbps.append(float(g.arc_capacity_gbps[arc]) * 1000.0)
            links.lat_ms.append(float(g.arc_latency_ms[arc]))
            links.plane.append(plane)
            links.topology_id.append(lid)
    return links


@dataclass
class _Classes:
    """The traffic classes, the pools they use, and what each class stands for."""

    classes: list = field(default_factory=list)
    pools: list = field(default_factory=list)
    meta: list = field(default_factory=list)  # (service, plane, origin, destination)
    demand_rows: list = field(default_factory=list)  # hourly Mbit/s
    class_od: list = field(default_factory=list)  # (plane, od column), for reroute
    services: list = field(default_factory=list)  # with a session model, scenario order


def _sim_paths(g, cols: list, pd, j: int, offset: int):
    """The ECMP paths of od ``j`` as sim link indices, with their probabilities."""
    p, q = enumerate_paths(g.arc_src, g.arc_dst, cols[j], int(pd.od_src[j]), int(pd.od_dst[j]))
    return [[a + offset for a in path] for path in p], q


def _failed_nodes(demand: Demand, g) -> list[str]:
    """The plane's nodes the scenario fails for good (``fail_node``, ``fail_data_centre``)."""
    return [n for n in demand.whatif.failed_nodes if n in g.node_index]


def _traffic_classes(topo, scenario, demand: Demand, links: _Links, yi: int) -> _Classes:
    """One class per (service with a session model, od with demand in year ``yi``).

    A node the scenario fails is down all along: nothing is routed through it, and the
    traffic of its ods is left out (the analysis reports it lost).
    """
    dc_by_node = {dc.node: dc for dc in topo.data_centres}
    pool_index: dict[str, int] = {}
    out = _Classes()
    for plane, pd in demand.planes.items():
        g = links.graphs[plane]
        down = _failed_nodes(demand, g)
        lost = 0
        routing: Routing = ecmp_routing(g, pd.od_src, pd.od_dst, failed_nodes=down)
        cols = _columns(routing.split)
        path_cache: dict[int, tuple] = {}
        for si, sid in enumerate(pd.services):
            sm = scenario.service(sid).session
            if sm is None:
                continue
            if sid not in out.services:
                out.services.append(sid)
            mbps = pd.gbps[si, yi] * 1000.0  # [hour, od]
            for j in np.flatnonzero(mbps.sum(axis=0) > 0):
                origin = pd.node_ids[int(pd.od_src[j])]
                dest = pd.node_ids[int(pd.od_dst[j])]
                kind = sm.kind
                dc = dc_by_node.get(origin)
                if kind == "request" and dc is None:
                    # the upstream half of a request service: not simulated (see module doc)
                    if any(n.node == dest for n in topo.data_centres):
                        continue
                    kind = "elastic"
                j = int(j)
                if j not in path_cache:
                    path_cache[j] = (
                        _sim_paths(g, cols, pd, j, links.offset[plane])
                        if routing.reachable[j] else None
                    )
                routes = path_cache[j]
                if routes is None and {origin, dest} & set(down):
                    lost += 1  # the scenario fails an end: its traffic is lost, as planned
                    continue
                if routes is None:
                    log.warning("%s: %s -> %s unreachable, left out", sid, origin, dest)
                    continue
                paths, probs = routes
                hourly = mbps[:, j]
                cid = f"{sid}:{origin}>{dest}"
                common = {"paths": paths, "path_probs": probs}
                if kind == "stream":
                    erlangs = hourly / sm.session_mbps
                    cls = TrafficClass(
                        cid, "stream", arrival_rate_per_s=erlangs / sm.holding_s,
                        bandwidth_mbps=sm.session_mbps, holding_s=sm.holding_s, **common,
                    )
                elif kind == "elastic":
                    cls = TrafficClass(
                        cid, "elastic", arrival_rate_per_s=hourly / sm.size_mbit,
                        size_mbit=sm.size_mbit, **common,
                    )
                else:
                    if dc.id not in pool_index:
                        pool_index[dc.id] = len(out.pools)
                        servers = max(1, int(round(dc.racks * dc.servers_per_rack)))
                        out.pools.append(ServerPool(dc.id, servers=servers))
                    cls = TrafficClass(
                        cid, "request", arrival_rate_per_s=hourly / sm.size_mbit,
                        pool=pool_index[dc.id], service_s=sm.service_time_s,
                        response_mbit=sm.size_mbit, **common,
                    )
                out.classes.append(cls)
                out.meta.append((sid, plane, origin, dest))
                out.demand_rows.append(hourly)
                out.class_od.append((plane, j))
        if lost:
            log.info("%s: %d classes at the failed nodes %s left out (their traffic is lost)",
                     plane, lost, ", ".join(down))
    return out


def _rerouter(demand: Demand, links: _Links, built: _Classes):
    """``reroute(failed_mask)``: every class's ECMP paths with the failed links removed."""
    n_links = len(links.ids)
    plane_of_link = np.array(links.plane)
    link_topo = links.topology_id
    graphs = links.graphs
    link_index_in_plane = {plane: {lid: i for i, lid in enumerate(g.link_ids)}
                           for plane, g in graphs.items()}
    down = {plane: _failed_nodes(demand, g) for plane, g in graphs.items()}
    classes = built.classes

    def reroute(failed_mask):
        """ECMP paths of every class with the failed links removed (None: unreachable)."""
        mask = np.asarray(failed_mask, dtype=bool)
        if mask.shape != (n_links,):
            raise ValidationError([Problem("", "failed_mask", f"needs {n_links} booleans")])
        per_plane = {}
        for plane, pd in demand.planes.items():
            failed = sorted({link_index_in_plane[plane][link_topo[k]]
                             for k in np.flatnonzero(mask & (plane_of_link == plane))})
            if not failed:
                per_plane[plane] = None
                continue
            g = graphs[plane]
            r = ecmp_routing(g, pd.od_src, pd.od_dst, failed_links=failed,
                             failed_nodes=down[plane])
            per_plane[plane] = (r, _columns(r.split), {})
        out = []
        for c, (plane, j) in enumerate(built.class_od):
            state = per_plane[plane]
            if state is None:
                out.append((classes[c].paths, classes[c].path_probs))
                continue
            r, cols, cache = state
            if j not in cache:
                cache[j] = (
                    _sim_paths(graphs[plane], cols, demand.planes[plane], j, links.offset[plane])
                    if r.reachable[j] else None
                )
            out.append(cache[j])
        return out

    return reroute
