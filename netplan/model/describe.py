"""Readable and machine-readable summaries of a topology (``egov-netplan show``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from netplan.model.topology import PLANES, Topology


def topology_document(topology: Topology) -> dict[str, Any]:
    """A JSON-ready document with ``nodes``, ``links`` and ``data_centres`` arrays.

    Examples
    --------
    >>> import netplan
    >>> doc = topology_document(netplan.load_topology(netplan.default_topology_path()))
    >>> sorted(doc["links"][0])[:6]
    ['a', 'b', 'candidate', 'capacity_gbps', 'id', 'latency_ms']
    """
    nodes = [
        {
            "id": n.id, "name": n.name, "name_zh": n.name_zh, "kind": n.kind, "region": n.region,
            "lat": n.lat, "lon": n.lon, "planes": list(n.planes), "population": n.population,
        }
        for n in topology.nodes
    ]
    links = [
        {
            "id": link.id, "a": link.a, "b": link.b, "plane": link.plane, "tier": link.tier,
            "modules": link.modules, "capacity_gbps": link.capacity_gbps,
            "length_km": link.length_km, "latency_ms": link.latency_ms,
            "srlg": list(link.srlg), "candidate": link.candidate,
        }
        for link in topology.links
    ]
    data_centres = [dc.model_dump(mode="json") for dc in topology.data_centres]
    return {
        "name": topology.name,
        "planes": [p for p in PLANES if topology.links_of(p)],
        "nodes": nodes,
        "links": links,
        "data_centres": data_centres,
        "tiers": [t.model_dump(mode="json") for t in topology.tiers],
    }


def topology_summary(topology: Topology) -> str:
    """A short plain-text summary for the terminal."""
    lines = [f"{topology.name}"]
    kinds = Counter(node.kind for node in topology.nodes)
    lines.append("nodes: " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())))
    for plane in PLANES:
        built = topology.links_of(plane)
        candidates = [lk for lk in topology.links_of(plane, built_only=False) if lk.candidate]
        if not built and not candidates:
            continue
        capacity = sum(link.capacity_gbps or 0 for link in built)
        length = sum(link.length_km or 0 for link in built)
        tiers = Counter(link.tier for link in built)
        tier_text = ", ".join(f"{n}×{t}" for t, n in sorted(tiers.items(), key=lambda x: str(x[0])))
        lines.append(
            f"{plane}: {len(topology.nodes_of(plane))} nodes, {len(built)} links "
            f"({tier_text}), {capacity:,.1f} Gbit/s installed, {length:,.0f} km of route, "
            f"{len(candidates)} candidate links"
        )
    for dc in topology.data_centres:
        lines.append(
            f"data centre {dc.id} ({dc.role}) at {dc.node}: {dc.racks}/{dc.racks_max} racks, "
            f"{dc.servers_per_rack:g} servers and {dc.kw_per_rack:g} kW per rack"
        )
    lines.append("tiers: " + ", ".join(f"{t.name} ({t.capacity_gbps:g} Gbit/s)" for t in topology.tiers))
    return "\n".join(lines)
