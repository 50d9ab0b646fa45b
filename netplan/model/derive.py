"""Derived link quantities: length from coordinates, latency from length, capacity from tier."""

from __future__ import annotations

import math

from netplan.model.topology import Link, Topology

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points on the mean-radius Earth.

    Examples
    --------
    >>> round(haversine_km(29.5531, 106.5686, 30.8079, 108.4087), 1)  # 渝中区 to 万州区
    225.3
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def derive_link(topology: Topology, link: Link) -> Link:
    """``link`` with length, latency, weight and capacity filled in where absent."""
    update: dict[str, float] = {}
    length = link.length_km
    if length is None:
        a, b = topology.node(link.a), topology.node(link.b)
        # Sites in one building still need a patch run: at least 1 km of route.
        length = max(1.0, haversine_km(a.lat, a.lon, b.lat, b.lon) * topology.route_factor)
        update["length_km"] = round(length, 3)
    latency = link.latency_ms
    if latency is None:
        latency = length * topology.fibre_latency_ms_per_km
        update["latency_ms"] = round(latency, 4)
    if link.weight is None:
        update["weight"] = latency
    if link.capacity_gbps is None and link.tier is not None and link.modules > 0:
        update["capacity_gbps"] = topology.tier(link.tier).capacity_gbps * link.modules
    return link.model_copy(update=update) if update else link


def effective_weight(topology: Topology, link: Link) -> float:
    """The routing weight :func:`derive_link` gives ``link``, without copying it.

    Its ``weight``, else its latency, else its length (given, or haversine × route factor,
    at least 1 km) times the fibre delay. Both ends must be nodes of ``topology``.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> link = topo.links[0]
    >>> effective_weight(topo, link) == link.weight
    True
    """
    if link.weight is not None:
        return link.weight
    if link.latency_ms is not None:
        return link.latency_ms
    length = link.length_km
    if length is None:
        a, b = topology.node(link.a), topology.node(link.b)
        length = max(1.0, haversine_km(a.lat, a.lon, b.lat, b.lon) * topology.route_factor)
    return length * topology.fibre_latency_ms_per_km


def derive_topology(topology: Topology) -> Topology:
    """``topology`` with every link's derived quantities filled in (it must pass the checks)."""
    links = tuple(derive_link(topology, link) for link in topology.links)
    return topology.model_copy(update={"links": links})
