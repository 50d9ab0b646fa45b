"""Candidate links that would restore a district a failure cuts off, and what they cost.

A candidate restores a cut-off group when, added on its own, it joins the ends of every od
the group loses in every failure state that cuts them. Its cost is an estimate: the build
charge plus the cheapest modules of one tier that carry the demand lost. The routed planner
(``--routing optimized``) sizes candidates exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from netplan.model.topology import Link, Topology

__all__ = ["capacity_capex_cny", "components", "restoring_candidates"]


def components(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Connected-component label of every node (union-find with path halving).

    Examples
    --------
    >>> components("abcd", [("a", "b"), ("c", "d")]) == {"a": "b", "b": "b", "c": "d", "d": "d"}
    True
    """
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    return {n: root(n) for n in parent}


def _joined(nodes: set[str], edges: list[tuple[str, str]], ods: Sequence[tuple[str, str]]) -> bool:
    label = components(nodes, edges)
    return all(o in label and d in label and label[o] == label[d] for o, d in ods)


def capacity_capex_cny(topology: Topology, link: Link, gbps: float) -> tuple[str, int, float]:
    """The cheapest single-tier modules that carry ``gbps`` on ``link``: tier, count, capex.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> link = next(k for k in topo.links if k.id == "ex-ring-kaizhou-wanzhou")
    >>> tier, modules, capex = capacity_capex_cny(topo, link, 0.5)
    >>> modules >= 1 and capex > 0
    True
    """
    best = ("", 0, math.inf)
    length_km = link.length_km or 0.0
    for tier in topology.tiers:
        modules = max(1, math.ceil(gbps / tier.capacity_gbps - 1e-12))
        if modules > tier.max_modules:
            continue
        capex = modules * (tier.capex_cny + tier.capex_cny_per_km * length_km)
        if capex < best[2]:
            best = (tier.name, modules, capex)
    return best


def restoring_candidates(
    topology: Topology,
    plane: str,
    ods: Sequence[tuple[str, str]],
    down: Mapping[str, tuple[set[str], set[str]]],
    lost_gbps: float,
) -> list[dict]:
    """Candidate links of ``plane`` that alone restore ``ods`` in every failure of ``down``.

    Parameters
    ----------
    topology : Topology
        The network as the scenario modified it (candidates not built).
    plane : str
    ods : sequence of (origin, destination)
        The node pairs the failures cut.
    down : mapping
        Failure state name → (failed link ids, failed node ids).
    lost_gbps : float
        Peak demand lost, for the capacity estimate.

    Returns
    -------
    list of dict
        ``link``, ``a``, ``b``, ``build_capex_cny``, ``tier``, ``modules``,
        ``capacity_capex_cny``, ``capex_cny`` (their sum, an estimate), cheapest first.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> links = {k.id for k in topo.links if k.plane == "extranet" and "wanzhou" in k.id}
    >>> down = {"both uplinks": ({"ex-wanzhou-1", "ex-wanzhou-2"}, set())}
    >>> fixes = restoring_candidates(topo, "extranet", [("wanzhou", "dc-cloud")], down, 1.0)
    >>> all("wanzhou" in f["link"] for f in fixes) and len(fixes) > 0
    True
    """
    built = [k for k in topology.links if k.plane == plane and not k.candidate]
    nodes = {n.id for n in topology.nodes if plane in n.planes}
    out = []
    for cand in (k for k in topology.links if k.plane == plane and k.candidate):
        ok = True
        for failed_links, failed_nodes in down.values():
            alive = nodes - failed_nodes
            edges = [(k.a, k.b) for k in (*built, cand) if k.id not in failed_links]
            if not _joined(alive, edges, ods):
                ok = False
                break
        if not ok:
            continue
        tier, modules, capex = capacity_capex_cny(topology, cand, lost_gbps)
        out.append({
            "link": cand.id, "a": cand.a, "b": cand.b,
            "build_capex_cny": float(cand.build_capex_cny), "tier": tier, "modules": modules,
            "capacity_capex_cny": float(capex),
            "capex_cny": float(cand.build_capex_cny + capex), "estimate": True,
        })
    return sorted(out, key=lambda r: (r["capex_cny"], r["link"]))
