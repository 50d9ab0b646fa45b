"""Rules that relate objects to each other, each returning every problem it finds.

A rule returns ``(field_path, message)`` pairs; the loaders attach the file and line.
"""

from __future__ import annotations

from collections import Counter

from netplan.model.scenario import Scenario
from netplan.model.topology import PLANES, Topology

Finding = tuple[str, str]


def _duplicates(ids: list[str]) -> set[str]:
    return {item for item, count in Counter(ids).items() if count > 1}


def check_topology(topology: Topology, connectivity: bool = True) -> list[Finding]:
    """Every cross-reference problem of ``topology``.

    Examples
    --------
    >>> from netplan.model.topology import Topology
    >>> t = Topology.model_validate({
    ...     "name": "t", "tiers": [{"name": "1G", "capacity_gbps": 1, "capex_cny": 0,
    ...                              "opex_cny_per_year": 0}],
    ...     "nodes": [{"id": "a", "name": "A", "kind": "core", "lat": 29, "lon": 106}],
    ...     "links": [{"id": "l", "a": "a", "b": "x", "plane": "extranet", "tier": "1G"}]})
    >>> check_topology(t)
    [('links[0].b', "unknown node 'x'")]
    """
    findings: list[Finding] = []
    findings += _check_ids(topology)
    node_by_id = {node.id: node for node in topology.nodes}
    tier_names = {tier.name for tier in topology.tiers}
    for i, link in enumerate(topology.links):
        where = f"links[{i}]"
        for end in ("a", "b"):
            node_id = getattr(link, end)
            if node_id not in node_by_id:
                findings.append((f"{where}.{end}", f"unknown node {node_id!r}"))
        if link.a == link.b:
            findings.append((f"{where}.b", f"a link cannot join node {link.a!r} to itself"))
        if link.tier is not None and link.tier not in tier_names:
            allowed = ", ".join(sorted(tier_names))
            findings.append((f"{where}.tier", f"unknown tier {link.tier!r}; allowed: {allowed}"))
        if link.tier is None and link.capacity_gbps is None and not link.candidate:
            findings.append((f"{where}.tier", "give a tier or capacity_gbps for a built link"))
        if link.tier is not None and link.modules == 0 and not link.candidate:
            findings.append((f"{where}.modules", "a built link needs at least one module"))
        for end in ("a", "b"):
            node = node_by_id.get(getattr(link, end))
            if node is None:
                continue
            if link.plane not in node.planes:
                findings.append(
                    (
                        f"{where}.plane",
                        f"node {node.id!r} is not in plane {link.plane!r} "
                        f"(it is in {', '.join(node.planes)}); the planes must stay separate",
                    )
                )
            if link.plane == "intranet" and node.kind == "internet_exit":
                findings.append(
                    (f"{where}.plane", "the intranet has no Internet edge: "
                     f"link reaches internet exit {node.id!r}")
                )
    for i, node in enumerate(topology.nodes):
        if node.kind == "internet_exit" and "intranet" in node.planes:
            findings.append(
                (f"nodes[{i}].planes", "an internet exit cannot be in the intranet plane")
            )
    dc_nodes = Counter(dc.node for dc in topology.data_centres)
    for i, dc in enumerate(topology.data_centres):
        node = node_by_id.get(dc.node)
        if node is None:
            findings.append((f"data_centres[{i}].node", f"unknown node {dc.node!r}"))
        elif node.kind != "data_centre":
            findings.append(
                (f"data_centres[{i}].node", f"node {dc.node!r} is a {node.kind}, not a data_centre")
            )
        if dc.racks > dc.racks_max:
            findings.append(
                (f"data_centres[{i}].racks", f"{dc.racks} racks exceed racks_max {dc.racks_max}")
            )
        if dc_nodes[dc.node] > 1:
            findings.append((f"data_centres[{i}].node", f"node {dc.node!r} hosts two data centres"))
    if connectivity and not findings:
        findings += _check_connected(topology)
    return findings


def _check_ids(topology: Topology) -> list[Finding]:
    findings: list[Finding] = []
    for section, items in (
        ("nodes", topology.nodes),
        ("links", topology.links),
        ("data_centres", topology.data_centres),
    ):
        ids = [item.id for item in items]
        for dup in sorted(_duplicates(ids)):
            index = len(ids) - 1 - ids[::-1].index(dup)
            findings.append((f"{section}[{index}].id", f"duplicate id {dup!r}"))
    names = [tier.name for tier in topology.tiers]
    for dup in sorted(_duplicates(names)):
        index = len(names) - 1 - names[::-1].index(dup)
        findings.append((f"tiers[{index}].name", f"duplicate tier {dup!r}"))
    node_ids = {node.id for node in topology.nodes}
    for i, dc in enumerate(topology.data_centres):
        if dc.id in node_ids and dc.id != dc.node:
            findings.append((f"data_centres[{i}].id", f"id {dc.id!r} is already a node's id"))
    return findings


def _check_connected(topology: Topology) -> list[Finding]:
    import networkx as nx

    findings: list[Finding] = []
    for plane in PLANES:
        members = [node.id for node in topology.nodes_of(plane)]
        links = topology.links_of(plane)
        if not links:
            continue
        graph = nx.Graph()
        graph.add_nodes_from(members)
        graph.add_edges_from((link.a, link.b) for link in links)
        parts = sorted(nx.connected_components(graph), key=len, reverse=True)
        if len(parts) > 1:
            stray = sorted(set().union(*parts[1:]))
            shown = ", ".join(stray[:8]) + (" …" if len(stray) > 8 else "")
            findings.append(
                (
                    "links",
                    f"plane {plane!r} is disconnected: {len(stray)} node(s) cannot reach the "
                    f"rest over built links: {shown}",
                )
            )
    return findings


def check_scenario(scenario: Scenario, topology: Topology | None = None) -> list[Finding]:
    """Every cross-reference problem of ``scenario``, against ``topology`` when given.

    Examples
    --------
    >>> from netplan.model.scenario import Scenario
    >>> s = Scenario.model_validate({
    ...     "name": "s", "title": "t", "question": "q", "base_year": 2026,
    ...     "profiles": {"flat": [1.0] * 23},
    ...     "drivers": {"staff_total": 1, "cameras_total": 0, "video_rooms_per_district": 1},
    ...     "services": [{"id": "oa", "name": "OA", "plane": "extranet",
    ...                   "pattern": "district_to_far_end", "driver": "staff",
    ...                   "far_end": "dc", "profile": "flat"}]})
    >>> check_scenario(s)
    [('profiles.flat', 'a daily profile needs 24 hourly values, got 23')]
    """
    findings: list[Finding] = []
    for name, values in scenario.profiles.items():
        where = f"profiles.{name}"
        if len(values) != 24:
            findings.append((where, f"a daily profile needs 24 hourly values, got {len(values)}"))
        elif any(not (0.0 <= v <= 1.0) for v in values):
            findings.append((where, "hourly values must lie between 0 and 1"))
        elif max(values) <= 0:
            findings.append((where, "a profile needs at least one hour above 0"))
    ids = [service.id for service in scenario.services]
    for dup in sorted(_duplicates(ids)):
        findings.append((f"services[{len(ids) - 1 - ids[::-1].index(dup)}].id", f"duplicate id {dup!r}"))
    service_ids = set(ids)
    for i, service in enumerate(scenario.services):
        where = f"services[{i}]"
        if service.profile not in scenario.profiles:
            allowed = ", ".join(sorted(scenario.profiles))
            findings.append((f"{where}.profile", f"unknown profile {service.profile!r}; allowed: {allowed}"))
        if service.pattern in ("district_to_far_end", "site_to_site") and service.far_end is None:
            findings.append((f"{where}.far_end", f"pattern {service.pattern} needs a far_end"))
        if service.pattern == "site_to_site":
            if service.from_site is None:
                findings.append((f"{where}.from_site", "pattern site_to_site needs a from_site"))
            if service.driver != "fixed":
                findings.append((f"{where}.driver", "pattern site_to_site takes driver 'fixed'"))
        elif service.driver == "fixed":
            findings.append((f"{where}.driver", "driver 'fixed' is only for pattern site_to_site"))
        session = service.session
        if session is not None:
            needs = {
                "stream": ("session_mbps", "holding_s"),
                "elastic": ("size_mbit",),
                "request": ("service_time_s", "size_mbit"),
            }[session.kind]
            for field in needs:
                if getattr(session, field) is None:
                    findings.append(
                        (f"{where}.session.{field}", f"a {session.kind} session needs {field}")
                    )
    for name in scenario.growth_per_year:
        if name not in service_ids:
            findings.append((f"growth_per_year.{name}", f"unknown service {name!r}"))
        elif scenario.growth_per_year[name] <= -1:
            findings.append((f"growth_per_year.{name}", "growth must be above -1 (-100 %)"))
    for i, override in enumerate(scenario.overrides):
        if getattr(override, "service", None) is not None and override.service not in service_ids:
            findings.append((f"overrides[{i}].service", f"unknown service {override.service!r}"))
    if topology is not None:
        findings += _check_against_topology(scenario, topology)
    return findings


def _check_against_topology(scenario: Scenario, topology: Topology) -> list[Finding]:
    findings: list[Finding] = []
    nodes = {node.id: node for node in topology.nodes}
    dcs = {dc.id: dc for dc in topology.data_centres}
    links = {link.id for link in topology.links}
    tiers = {tier.name for tier in topology.tiers}
    sites = set(nodes) | set(dcs)
    for i, service in enumerate(scenario.services):
        for field in ("far_end", "from_site"):
            site = getattr(service, field)
            if site is None:
                continue
            if site not in sites:
                findings.append((f"services[{i}].{field}", f"unknown node or data centre {site!r}"))
                continue
            node = nodes.get(dcs[site].node) if site in dcs and site not in nodes else nodes[site]
            if node is not None and service.plane not in node.planes:
                findings.append(
                    (f"services[{i}].{field}", f"{site!r} is not in plane {service.plane!r}")
                )
    added: set[str] = set()
    for i, override in enumerate(scenario.overrides):
        where = f"overrides[{i}]"
        action = override.action
        if action in ("remove_link", "set_tier") and override.link not in links | added:
            findings.append((f"{where}.link", f"unknown link {override.link!r}"))
        if action == "set_tier" and override.tier not in tiers:
            findings.append((f"{where}.tier", f"unknown tier {override.tier!r}"))
        if action == "add_link":
            link = override.link
            if link.id in links | added:
                findings.append((f"{where}.link.id", f"duplicate link id {link.id!r}"))
            for end in ("a", "b"):
                if getattr(link, end) not in nodes:
                    findings.append((f"{where}.link.{end}", f"unknown node {getattr(link, end)!r}"))
            if link.tier is not None and link.tier not in tiers:
                findings.append((f"{where}.link.tier", f"unknown tier {link.tier!r}"))
            added.add(link.id)
        if action in ("fail_node", "scale_district") and override.node not in nodes:
            findings.append((f"{where}.node", f"unknown node {override.node!r}"))
        if action == "fail_data_centre":
            for field in ("data_centre", "failover_to"):
                if getattr(override, field) not in dcs:
                    findings.append((f"{where}.{field}", f"unknown data centre {getattr(override, field)!r}"))
            if override.data_centre == override.failover_to:
                findings.append((f"{where}.failover_to", "must differ from the failed data centre"))
    return findings
