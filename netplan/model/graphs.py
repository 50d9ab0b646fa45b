"""From the topology model to the array view the routing core works on."""

from __future__ import annotations

from netplan.model.topology import Topology


def plane_graph(topology: Topology, plane: str, *, built_only: bool = True):
    """The :class:`netplan.graph.PlaneGraph` of one plane of ``topology``.

    Nodes are the plane's members in file order; links are the plane's links in file order
    (candidates only when ``built_only`` is false, with their maximum capacity).

    Examples
    --------
    >>> import netplan
    >>> g = netplan.load_topology(netplan.default_topology_path()).plane_graph("extranet")
    >>> len(g.arc_src) == 2 * len(g.link_ids)
    True
    """
    from netplan.graph import PlaneGraph

    nodes = topology.nodes_of(plane)
    links = topology.links_of(plane, built_only=built_only)
    return PlaneGraph.from_links(
        name=plane,
        node_ids=[node.id for node in nodes],
        link_ids=[link.id for link in links],
        a=[link.a for link in links],
        b=[link.b for link in links],
        capacity_gbps=[_capacity(topology, link) for link in links],
        weight=[link.weight for link in links],
        latency_ms=[link.latency_ms for link in links],
        srlgs=[link.srlg for link in links],
    )


def _capacity(topology: Topology, link) -> float:
    if link.capacity_gbps is not None:
        return link.capacity_gbps
    if link.capacity_max_gbps is not None:
        return link.capacity_max_gbps
    tier = topology.tier(link.tier) if link.tier else max(topology.tiers, key=lambda t: t.capacity_gbps)
    return tier.capacity_gbps * tier.max_modules
