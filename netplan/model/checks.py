"""Rules that relate objects to each other, each returning every problem it finds.

A rule returns ``(field_path, message)`` pairs; the loaders attach the file and line. An
unknown id comes with the closest known one ("did you mean …"). Besides the cross-references,
the rules hold the ranges no single field can check (docs/scenarios.md, "Ranges"): the
routing weights of one plane span at most
:data:`~netplan.model.topology.MAX_WEIGHT_SPREAD`; a service's ``scale_service`` factors and
its growth over the horizon, and a district's ``scale_district`` factors, multiply demand by
at most :data:`~netplan.model.scenario.MAX_DEMAND_MULTIPLIER`; a scenario keeps some built
link in every plane and asks for some traffic. Overrides must be legal for their plane and
link: an added link joins two nodes of its plane (never a node to itself, never the intranet
to the Internet exit), ``set_tier`` re-tiers a built link (a candidate is the optimizer's to
build) within its tier's ``max_modules``.

Every rule is linear in the size of the network: ids are looked up in the topology's
indexes (:attr:`~netplan.model.topology.Topology.node_index` and the like).
"""

from __future__ import annotations

import difflib
import functools
import math
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PydanticUserError, TypeAdapter
from pydantic import ValidationError as PydanticError

from netplan.model.derive import effective_weight
from netplan.model.scenario import (
    MAX_DEMAND_MULTIPLIER,
    GrowthRate,
    Override,
    Scenario,
    Service,
)
from netplan.model.topology import (
    MAX_WEIGHT,
    MAX_WEIGHT_SPREAD,
    PLANES,
    Link,
    Node,
    Tier,
    Topology,
)

Finding = tuple[str, str]
MAX_HINTS = 10
"""'Did you mean' hints per check at most: each compares a name with every known id."""
NO_TRAFFIC = "the scenario asks for no traffic: every service's demand is zero"
_LOG_CEILING = math.log(MAX_DEMAND_MULTIPLIER) * (1 + 1e-12)


class _Hints:
    """'Did you mean' suggestions for unknown ids, a few per check."""

    def __init__(self) -> None:
        self.left = MAX_HINTS

    def __call__(self, name: object, known: Collection[str]) -> str:
        if self.left <= 0 or not isinstance(name, str) or not known:
            return ""
        self.left -= 1
        close = difflib.get_close_matches(name, list(known), n=1)
        return f"; did you mean {close[0]!r}?" if close else ""


def _duplicates(ids: list[str]) -> set[str]:
    return {item for item, count in Counter(ids).items() if count > 1}


def _last_duplicates(ids: list) -> list[tuple[int, str]]:
    """(position of its last use, id) of every id used twice, by id; one pass."""
    last = {item: i for i, item in enumerate(ids)}
    return [(last[dup], dup) for dup in sorted(_duplicates(ids) - {None})]


def _times(log_value: float) -> str:
    """``exp(log_value)`` for a message, also where it would overflow a float."""
    if log_value < 690:
        return f"{math.exp(log_value):,.4g}"
    return f"1e+{int(log_value / math.log(10))}"


# --- topology --------------------------------------------------------------------------------

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
    hints = _Hints()
    nodes, tiers = topology.node_index, topology.tier_index
    for i, link in enumerate(topology.links):
        findings += link_findings(link, f"links[{i}]", nodes, tiers, hints)
    for i, node in enumerate(topology.nodes):
        if node.kind == "internet_exit" and "intranet" in node.planes:
            findings.append(
                (f"nodes[{i}].planes", "an internet exit cannot be in the intranet plane")
            )
    findings += _check_data_centres(topology, hints)
    findings += _check_weight_spread(topology)
    if connectivity and not findings:
        findings += _check_connected(topology)
    return findings


def link_findings(link: Link, where: str, nodes: Mapping[str, Node], tiers: Mapping[str, Tier],
                  hints: Callable[[object, Collection[str]], str] | None = None) -> list[Finding]:
    """The problems of one link (of a topology, or added by a scenario) against its network.

    Its ends exist, differ and lie in its plane, the intranet never reaches the Internet
    exit, its tier exists, and a built link carries traffic: a tier and at least one module
    (at most the tier's ``max_modules``), or a capacity. ``modules: 0`` is for candidate
    links only.

    Examples
    --------
    >>> from netplan.model.topology import Tier
    >>> a = Node(id="a", name="A", kind="core", lat=29, lon=106)
    >>> tier = Tier(name="1G", capacity_gbps=1, capex_cny=0, opex_cny_per_year=0)
    >>> link = Link(id="l", a="a", b="a", plane="extranet", tier="1G", modules=0)
    >>> for finding in link_findings(link, "links[0]", {"a": a}, {"1G": tier}):
    ...     print(finding)
    ('links[0].b', "a link cannot join node 'a' to itself")
    ('links[0].modules', 'a built link needs at least one module (modules: 0 is for candidate links)')
    """
    hints = hints or _Hints()
    findings: list[Finding] = []
    for end in ("a", "b"):
        node_id = getattr(link, end)
        if node_id not in nodes:
            findings.append((f"{where}.{end}", f"unknown node {node_id!r}{hints(node_id, nodes)}"))
    if link.a == link.b:
        findings.append((f"{where}.b", f"a link cannot join node {link.a!r} to itself"))
    findings += _tier_findings(link, where, tiers, hints)
    for end in ("a", "b"):
        node = nodes.get(getattr(link, end))
        if node is not None:
            findings += _plane_findings(link, where, node)
    return findings


def _tier_findings(link: Link, where: str, tiers: Mapping[str, Tier], hints) -> list[Finding]:
    if link.tier is not None and link.tier not in tiers:
        allowed = ", ".join(sorted(tiers))
        return [(f"{where}.tier",
                 f"unknown tier {link.tier!r}; allowed: {allowed}{hints(link.tier, tiers)}")]
    if link.candidate:
        return []
    if link.tier is None:
        if link.capacity_gbps is None:
            return [(f"{where}.tier", "give a tier or capacity_gbps for a built link")]
        return []
    most = tiers[link.tier].max_modules
    if link.modules == 0:
        return [(f"{where}.modules",
                 "a built link needs at least one module (modules: 0 is for candidate links)")]
    if link.modules > most:
        return [(f"{where}.modules",
                 f"{link.modules} modules exceed max_modules {most} of tier {link.tier!r}")]
    return []


def _plane_findings(link: Link, where: str, node: Node) -> list[Finding]:
    findings: list[Finding] = []
    if link.plane not in node.planes:
        findings.append((
            f"{where}.plane",
            f"node {node.id!r} is not in plane {link.plane!r} "
            f"(it is in {', '.join(node.planes)}); the planes must stay separate",
        ))
    if link.plane == "intranet" and node.kind == "internet_exit":
        findings.append((f"{where}.plane", "the intranet has no Internet edge: "
                         f"link reaches internet exit {node.id!r}"))
    return findings


def _check_data_centres(topology: Topology, hints: _Hints) -> list[Finding]:
    findings: list[Finding] = []
    nodes = topology.node_index
    dc_nodes = Counter(dc.node for dc in topology.data_centres)
    for i, dc in enumerate(topology.data_centres):
        node = nodes.get(dc.node)
        if node is None:
            findings.append((f"data_centres[{i}].node",
                             f"unknown node {dc.node!r}{hints(dc.node, nodes)}"))
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
    return findings


def _check_ids(topology: Topology) -> list[Finding]:
    findings: list[Finding] = []
    for section, items in (
        ("nodes", topology.nodes),
        ("links", topology.links),
        ("data_centres", topology.data_centres),
    ):
        for index, dup in _last_duplicates([item.id for item in items]):
            findings.append((f"{section}[{index}].id", f"duplicate id {dup!r}"))
    for index, dup in _last_duplicates([tier.name for tier in topology.tiers]):
        findings.append((f"tiers[{index}].name", f"duplicate tier {dup!r}"))
    node_ids = topology.node_index
    for i, dc in enumerate(topology.data_centres):
        if dc.id in node_ids and dc.id != dc.node:
            findings.append((f"data_centres[{i}].id", f"id {dc.id!r} is already a node's id"))
    return findings


def _weight(topology: Topology, link: Link) -> float | None:
    """The link's routing weight, or None when an end or a field is broken (told elsewhere)."""
    try:
        weight = effective_weight(topology, link)
    except (KeyError, AttributeError, TypeError, ValueError):
        return None
    # Out of range (or not a number): the field's own problem, reported already.
    ok = isinstance(weight, int | float) and 0 < weight <= MAX_WEIGHT
    return float(weight) if ok else None


# plane -> (smallest weight, its link's index, largest weight, its link's index)
_Extremes = dict[str, tuple[float, int, float, int]]


def _plane_weights(topology: Topology) -> _Extremes:
    extremes: _Extremes = {}
    for i, link in enumerate(topology.links):
        weight = _weight(topology, link)
        plane = getattr(link, "plane", None)
        if weight is None or not isinstance(plane, str):
            continue
        low, low_i, high, high_i = extremes.get(plane, (weight, i, weight, i))
        if weight < low:
            low, low_i = weight, i
        if weight > high:
            high, high_i = weight, i
        extremes[plane] = (low, low_i, high, high_i)
    return extremes


def _spread_message(weight: float, other: float, other_id: str, plane: str) -> str:
    side = "below the largest" if weight < other else "above the smallest"
    ratio = max(weight, other) / min(weight, other)
    return (f"routing weight {weight:.3g} is {ratio:.3g} times {side} of plane {plane!r} "
            f"({other:.3g}, link {other_id!r}); one plane's weights may span a factor of at "
            f"most {MAX_WEIGHT_SPREAD:.0e}, or shortest paths read the smallest as 0")


def _check_weight_spread(topology: Topology) -> list[Finding]:
    findings: list[Finding] = []
    for plane, (low, low_i, high, high_i) in _plane_weights(topology).items():
        if high > MAX_WEIGHT_SPREAD * low:
            message = _spread_message(low, high, topology.links[high_i].id, plane)
            findings.append((f"links[{low_i}].weight", message))
    return findings


def _check_connected(topology: Topology) -> list[Finding]:
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    findings: list[Finding] = []
    for plane in PLANES:
        members = [node.id for node in topology.nodes_of(plane)]
        links = topology.links_of(plane)
        if not links:
            continue
        position = {node_id: i for i, node_id in enumerate(members)}
        rows = np.array([position[link.a] for link in links])
        cols = np.array([position[link.b] for link in links])
        graph = coo_matrix((np.ones(len(links)), (rows, cols)), shape=(len(members),) * 2)
        count, labels = connected_components(graph, directed=False)
        if count > 1:
            main = np.bincount(labels).argmax()  # the largest part; ties: the first
            stray = sorted(members[i] for i in np.flatnonzero(labels != main))
            shown = ", ".join(stray[:8]) + (" …" if len(stray) > 8 else "")
            findings.append(
                (
                    "links",
                    f"plane {plane!r} is disconnected: {len(stray)} node(s) cannot reach the "
                    f"rest over built links: {shown}",
                )
            )
    return findings


# --- scenario --------------------------------------------------------------------------------

def check_scenario(scenario: Scenario, topology: Topology | None = None, *,
                   lenient: bool = False) -> list[Finding]:
    """Every cross-reference problem of ``scenario``, against ``topology`` when given.

    With ``lenient``, ``scenario`` may be a partial model (the parts of a file that did
    validate): a rule that meets a part it cannot read is skipped, the others still run.

    Examples
    --------
    >>> from netplan.model.scenario import Scenario
    >>> s = Scenario.model_validate({
    ...     "name": "s", "title": "t", "question": "q", "base_year": 2026,
    ...     "profiles": {"flat": [1.0] * 23},
    ...     "drivers": {"staff_total": 1, "cameras_total": 0, "video_rooms_per_district": 1},
    ...     "services": [{"id": "oa", "name": "OA", "plane": "extranet",
    ...                   "pattern": "district_to_far_end", "driver": "staff",
    ...                   "far_end": "dc", "profile": "flat", "up_mbps_per_unit": 1}]})
    >>> check_scenario(s)
    [('profiles.flat', 'a daily profile needs 24 hourly values, got 23')]
    """
    hints = _Hints()
    guard = _Guard(lenient)
    rules: list[Callable[[], list[Finding]]] = [
        lambda: _check_profiles(scenario),
        lambda: _check_services(scenario, hints, guard),
        lambda: _check_multipliers(scenario),
    ]
    if topology is not None:
        rules.append(lambda: _check_against_topology(scenario, topology, hints, guard))
    if not lenient:  # a value left out as invalid would read as zero demand
        rules.append(lambda: _check_some_demand(scenario, topology))
    findings: list[Finding] = []
    for rule in rules:
        findings += guard(rule)
    return findings


class _Guard:
    """Runs a rule; on a partial scenario, a rule that meets a broken part is skipped."""

    BROKEN = (AttributeError, TypeError, KeyError, ValueError)

    def __init__(self, lenient: bool) -> None:
        self.lenient = lenient

    def __call__(self, rule: Callable[..., list[Finding] | None], *args: Any) -> list[Finding]:
        try:
            return rule(*args) or []
        except self.BROKEN:
            if not self.lenient:
                raise
            return []  # too broken to read: its field problems are reported already


def _check_profiles(scenario: Scenario) -> list[Finding]:
    findings: list[Finding] = []
    for name, values in scenario.profiles.items():
        where = f"profiles.{name}"
        if values is None:  # did not validate (a partial scenario): reported already
            continue
        if len(values) != 24:
            findings.append((where, f"a daily profile needs 24 hourly values, got {len(values)}"))
        elif any(not (0.0 <= v <= 1.0) for v in values):
            findings.append((where, "hourly values must lie between 0 and 1"))
        elif max(values) <= 0:
            findings.append((where, "a profile needs at least one hour above 0"))
    return findings


def _check_services(scenario: Scenario, hints: _Hints, guard: _Guard) -> list[Finding]:
    findings: list[Finding] = []
    ids = [getattr(service, "id", None) for service in scenario.services]
    for index, dup in _last_duplicates(ids):  # a service without an id: told already
        findings.append((f"services[{index}].id", f"duplicate id {dup!r}"))
    for i, service in enumerate(scenario.services):
        findings += guard(_service_findings, service, f"services[{i}]", scenario, hints)
    service_ids = set(ids)
    for name in scenario.growth_per_year:
        if name not in service_ids:
            findings.append((f"growth_per_year.{name}",
                             f"unknown service {name!r}{hints(name, service_ids)}"))
        elif scenario.growth_per_year[name] <= -1:
            findings.append((f"growth_per_year.{name}", "growth must be above -1 (-100 %)"))
    for i, override in enumerate(scenario.overrides):
        named = getattr(override, "service", None)
        if named is not None and named not in service_ids:
            findings.append((f"overrides[{i}].service",
                             f"unknown service {named!r}{hints(named, service_ids)}"))
    return findings


_SESSION_NEEDS = {
    "stream": ("session_mbps", "holding_s"),
    "elastic": ("size_mbit",),
    "request": ("service_time_s", "size_mbit"),
}


def _service_findings(service: Service, where: str, scenario: Scenario,
                      hints: _Hints) -> list[Finding]:
    findings: list[Finding] = []
    if service.profile not in scenario.profiles:
        allowed = ", ".join(sorted(scenario.profiles))
        findings.append((f"{where}.profile", f"unknown profile {service.profile!r}; allowed: "
                         f"{allowed}{hints(service.profile, scenario.profiles)}"))
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
        for field in _SESSION_NEEDS[session.kind]:
            if getattr(session, field) is None:
                findings.append(
                    (f"{where}.session.{field}", f"a {session.kind} session needs {field}")
                )
    return findings


def _growth(scenario: Scenario, service: Service) -> float:
    return scenario.growth_per_year.get(service.id, service.growth_per_year)


def _growth_log(scenario: Scenario, service: Service) -> float:
    """Log of the largest growth multiplier over the horizon (1 when demand shrinks)."""
    growth = _growth(scenario, service)
    return scenario.horizon_years * math.log1p(growth) if growth > 0 else 0.0


def _check_multipliers(scenario: Scenario) -> list[Finding]:
    """Scale factors and growth multiply demand by at most MAX_DEMAND_MULTIPLIER."""
    findings: list[Finding] = []
    services: dict[str, tuple[int, Service]] = {}
    for k, service in enumerate(scenario.services):
        services.setdefault(service.id, (k, service))
    done: set[str] = set()
    for sid, (k, service) in services.items():
        grown = _growth_log(scenario, service)
        if grown > _LOG_CEILING:
            field = (f"growth_per_year.{sid}" if sid in scenario.growth_per_year
                     else f"services[{k}].growth_per_year")
            findings.append((field, f"growth of {_growth(scenario, service):g} a year over "
                             f"{scenario.horizon_years} years multiplies the demand of service "
                             f"{sid!r} by {_times(grown)}; at most {MAX_DEMAND_MULTIPLIER:,.0f} "
                             "(lower the growth or the horizon)"))
            done.add(sid)
    findings += _check_scale_products(scenario, services, done)
    return findings


def _log_factor(factor: float) -> float:
    return math.log(factor) if factor > 0 else -math.inf


def _check_scale_products(scenario: Scenario, services: dict[str, tuple[int, Service]],
                          done: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    scaled: dict[str, float] = {}
    district: dict[str, dict[str | None, float]] = {}
    for i, override in enumerate(scenario.overrides):
        if override.action == "scale_service" and override.service in services:
            sid = override.service
            if sid in done:
                continue
            scaled[sid] = scaled.get(sid, 0.0) + _log_factor(override.factor)
            grown = _growth_log(scenario, services[sid][1])
            if scaled[sid] + grown > _LOG_CEILING:
                findings.append((f"overrides[{i}].factor", (
                    f"the scale_service factors of service {sid!r} up to here, with its growth "
                    f"over the horizon (×{_times(grown)}), multiply its demand by "
                    f"{_times(scaled[sid] + grown)}; at most {MAX_DEMAND_MULTIPLIER:,.0f}")))
                done.add(sid)
        elif override.action == "scale_district" and f"node:{override.node}" not in done:
            logs = district.setdefault(override.node, {None: 0.0})
            logs[override.driver] = logs.get(override.driver, 0.0) + _log_factor(override.factor)
            # The driver scaled most; a driver not scaled on its own has factor 1.
            worst = logs[None] + max([0.0, *(v for d, v in logs.items() if d is not None)])
            if worst > _LOG_CEILING:
                findings.append((f"overrides[{i}].factor", (
                    f"the scale_district factors of node {override.node!r} up to here multiply "
                    f"its drivers by {_times(worst)}; at most {MAX_DEMAND_MULTIPLIER:,.0f}")))
                done.add(f"node:{override.node}")
    return findings


def _check_against_topology(scenario: Scenario, topology: Topology, hints: _Hints,
                            guard: _Guard) -> list[Finding]:
    findings: list[Finding] = []
    sites = set(topology.node_index) | set(topology.data_centre_index)
    for i, service in enumerate(scenario.services):
        findings += guard(_site_findings, service, f"services[{i}]", topology, sites, hints)
    findings += _OverrideCheck(topology, hints, guard).run(scenario)
    findings += _availability_target_findings(scenario, topology, hints)
    return findings


def _availability_target_findings(scenario: Scenario, topology: Topology,
                                  hints: _Hints) -> list[Finding]:
    """Availability targets keyed by a district id must name a district of the topology."""
    if scenario.availability is None:
        return []
    districts = {n.id for n in topology.nodes if n.kind == "district"}
    from netplan.model.scenario import REGIONS

    regions = set(REGIONS)
    return [(f"availability.targets.{key}",
             f"unknown district {key!r}{hints(key, districts)}")
            for key in scenario.availability.targets
            if key != "*" and key not in regions and key not in districts]


def _site_findings(service: Service, where: str, topology: Topology, sites: set[str],
                   hints: _Hints) -> list[Finding]:
    findings: list[Finding] = []
    nodes, dcs = topology.node_index, topology.data_centre_index
    for field in ("far_end", "from_site"):
        site = getattr(service, field, None)
        if site is None:
            continue
        if site not in sites:
            findings.append((f"{where}.{field}",
                             f"unknown node or data centre {site!r}{hints(site, sites)}"))
            continue
        node = nodes.get(dcs[site].node) if site in dcs and site not in nodes else nodes[site]
        if node is not None and service.plane not in node.planes:
            findings.append((f"{where}.{field}", f"{site!r} is not in plane {service.plane!r}"))
    return findings


class _OverrideCheck:
    """The overrides in order, against the network as the earlier ones left it."""

    def __init__(self, topology: Topology, hints: _Hints, guard: _Guard) -> None:
        self.topology = topology
        self.hints = hints
        self.guard = guard
        self.present: dict[str, Link] = dict(topology.link_index)
        self.gone: dict[str, int] = {}  # removed link id -> the override that removed it
        self.last_removal: dict[str, int] = {}  # plane -> the last override removing a built link
        self.extremes: _Extremes | None = None  # the topology's weights, when a link is added
        self.findings: list[Finding] = []

    def run(self, scenario: Scenario) -> list[Finding]:
        for i, override in enumerate(scenario.overrides):
            act = getattr(self, f"_{override.action}", None)
            if act is not None:
                self.guard(act, override, i)  # it adds its findings to self.findings
        self._emptied_planes()
        return self.findings

    def _link(self, link_id: str, field: str) -> Link | None:
        """The link ``link_id`` as the earlier overrides left it; None (and a finding) if none."""
        if link_id in self.present:
            return self.present[link_id]
        if link_id in self.gone:
            self.findings.append(
                (field, f"link {link_id!r} is already removed by overrides[{self.gone[link_id]}]")
            )
        else:
            self.findings.append(
                (field, f"unknown link {link_id!r}{self.hints(link_id, self.present)}")
            )
        return None

    def _remove_link(self, override, i: int) -> None:
        link = self._link(override.link, f"overrides[{i}].link")
        if link is None:
            return
        del self.present[link.id]
        self.gone[link.id] = i
        if not link.candidate:
            self.last_removal[link.plane] = i

    def _set_tier(self, override, i: int) -> None:
        where = f"overrides[{i}]"
        link = self._link(override.link, f"{where}.link")
        if link is not None and link.candidate:
            self.findings.append((f"{where}.link", (
                f"link {link.id!r} is a candidate (not built): set_tier re-tiers built links; "
                "to build it in this scenario, remove_link it and add_link it with a tier")))
        tiers = self.topology.tier_index
        tier = tiers.get(override.tier)
        if tier is None:
            allowed = ", ".join(sorted(tiers))
            self.findings.append((f"{where}.tier", f"unknown tier {override.tier!r}; allowed: "
                                  f"{allowed}{self.hints(override.tier, tiers)}"))
        elif override.modules > tier.max_modules:
            self.findings.append((f"{where}.modules", f"{override.modules} modules exceed "
                                  f"max_modules {tier.max_modules} of tier {tier.name!r}"))

    def _add_link(self, override, i: int) -> None:
        where = f"overrides[{i}].link"
        link = override.link
        if link.id in self.present:
            self.findings.append((f"{where}.id", f"duplicate link id {link.id!r}"))
        found = link_findings(link, where, self.topology.node_index, self.topology.tier_index,
                              self.hints)
        self.findings += found
        if not found:
            self._added_weight(link, where)
        self.present[link.id] = link
        self.gone.pop(link.id, None)

    def _added_weight(self, link: Link, where: str) -> None:
        weight = _weight(self.topology, link)
        if self.extremes is None:
            self.extremes = _plane_weights(self.topology)
        if weight is None or link.plane not in self.extremes:
            return
        low, low_i, high, high_i = self.extremes[link.plane]
        links = self.topology.links
        if high > MAX_WEIGHT_SPREAD * weight:
            message = _spread_message(weight, high, links[high_i].id, link.plane)
        elif weight > MAX_WEIGHT_SPREAD * low:
            message = _spread_message(weight, low, links[low_i].id, link.plane)
        else:
            return
        self.findings.append((f"{where}.weight", message))

    def _fail_node(self, override, i: int) -> None:
        self._node(override.node, f"overrides[{i}].node")

    def _scale_district(self, override, i: int) -> None:
        node = self._node(override.node, f"overrides[{i}].node")
        if node is not None and node.kind != "district":
            self.findings.append((f"overrides[{i}].node", (
                f"node {node.id!r} is a {node.kind}, not a district: scale_district scales "
                "the drivers of districts")))

    def _node(self, node_id: str, field: str) -> Node | None:
        nodes = self.topology.node_index
        if node_id not in nodes:
            self.findings.append((field, f"unknown node {node_id!r}{self.hints(node_id, nodes)}"))
            return None
        return nodes[node_id]

    def _fail_data_centre(self, override, i: int) -> None:
        dcs = self.topology.data_centre_index
        for field in ("data_centre", "failover_to"):
            named = getattr(override, field)
            if named not in dcs:
                self.findings.append((f"overrides[{i}].{field}",
                                      f"unknown data centre {named!r}{self.hints(named, dcs)}"))
        if override.data_centre == override.failover_to:
            self.findings.append((f"overrides[{i}].failover_to",
                                  "must differ from the failed data centre"))

    def _emptied_planes(self) -> None:
        left = {link.plane for link in self.present.values() if not link.candidate}
        for plane, i in sorted(self.last_removal.items(), key=lambda item: item[1]):
            if plane not in left:
                self.findings.append((f"overrides[{i}].link", (
                    f"the scenario disconnects plane {plane!r}: it removes every built link of "
                    "the plane, so none of its traffic could flow")))


# --- some traffic ----------------------------------------------------------------------------

def _check_some_demand(scenario: Scenario, topology: Topology | None) -> list[Finding]:
    """A scenario must ask for some traffic: one service at least with demand above zero."""
    factor: dict[str, float] = {}
    zeroed: dict[str, int] = {}  # service -> the override that scales it to 0
    for i, override in enumerate(scenario.overrides):
        if override.action == "scale_service":
            factor[override.service] = factor.get(override.service, 1.0) * override.factor
            if override.factor == 0:
                zeroed.setdefault(override.service, i)
    drivers = None if topology is None else _drivers_with_units(topology, scenario)
    for service in scenario.services:
        if _asks_for_traffic(service, scenario, factor.get(service.id, 1.0), drivers):
            return []
    if all(service.id in zeroed for service in scenario.services):
        # The overrides silence every service: point at them, not at the services.
        return [(f"overrides[{max(zeroed.values())}].factor", NO_TRAFFIC)]
    return [("services", NO_TRAFFIC)]


def _asks_for_traffic(service: Service, scenario: Scenario, factor: float,
                      drivers: set[str] | None) -> bool:
    profile = scenario.profiles.get(service.profile)
    if profile and not any(v > 0 for v in profile):
        return False
    if factor <= 0:
        return False
    if service.pattern == "site_to_site":
        return service.fixed_gbps > 0
    rate = service.up_mbps_per_unit
    if service.pattern == "district_to_far_end":
        rate += service.down_mbps_per_unit
    if rate * service.active_fraction <= 0:
        return False
    return drivers is None or service.driver in drivers


def _drivers_with_units(topology: Topology, scenario: Scenario) -> set[str]:
    """The drivers some district has units of, as :func:`netplan.demand.district_units` counts."""
    districts = [node for node in topology.nodes if node.kind == "district"]
    population = [float(node.population or 0) for node in districts]
    total = sum(population)
    scale: dict[tuple[str, str | None], float] = {}
    for override in scenario.overrides:
        if override.action == "scale_district":
            key = (override.node, override.driver)
            scale[key] = scale.get(key, 1.0) * override.factor
    totals = scenario.drivers
    found: set[str] = set()
    for i, node in enumerate(districts):
        share = population[i] / total if total > 0 else 1.0 / len(districts)
        units = {
            "population": population[i],
            "staff": node.staff if node.staff is not None else totals.staff_total * share,
            "cameras": node.cameras if node.cameras is not None else totals.cameras_total * share,
            "video_rooms": node.video_rooms if node.video_rooms is not None else round(
                totals.video_rooms_per_district
                + totals.video_rooms_per_million_people * population[i] / 1e6),
        }
        everything = scale.get((node.id, None), 1.0)
        for driver, value in units.items():
            if value * everything * scale.get((node.id, driver), 1.0) > 0:
                found.add(driver)
    return found


# --- the parts of a scenario that validate ---------------------------------------------------

@dataclass(frozen=True)
class _Unreadable:
    """An override that did not validate, kept so the others keep their positions."""

    action: str = ""


_NO_INF_NAN = ConfigDict(allow_inf_nan=False)


@functools.cache
def _adapter(annotation: Any) -> TypeAdapter:
    try:
        return TypeAdapter(annotation, config=_NO_INF_NAN)
    except PydanticUserError:  # models bring their own config (which refuses NaN too)
        return TypeAdapter(annotation)


def _valid(annotation: Any, value: Any) -> Any:
    """``value`` validated as ``annotation``, or None when it does not validate."""
    try:
        return _adapter(annotation).validate_python(value)
    except PydanticError:
        return None


def _partial_model(model: type[BaseModel], item: Any) -> Any:
    """``item`` as ``model``; failing that, built from its fields that raise no error."""
    if not isinstance(item, dict):
        return model.model_construct()
    try:
        return model.model_validate(item)
    except PydanticError as exc:
        bad = {error["loc"][0] for error in exc.errors() if error["loc"]}
    kept = {k: v for k, v in item.items() if k in model.model_fields and k not in bad}
    try:
        return model.model_validate(kept)
    except PydanticError:
        return model.model_construct(**kept)


def _partial_override(item: Any) -> Any:
    valid = _valid(Override, item)
    return _Unreadable() if valid is None else valid


def partial_scenario(data: Any) -> Scenario:
    """A scenario of the parts of ``data`` that validate on their own.

    For :func:`check_scenario` with ``lenient=True`` when the whole does not validate, so
    one pass reports the field problems and the cross-reference problems of the rest.
    Positions are kept: a service that does not validate is built from its fields that do;
    an override that does not validate stays as a placeholder no rule acts on; a profile
    that does not validate keeps its name (so services naming it are not told it is
    unknown) without values.

    Examples
    --------
    >>> s = partial_scenario({"services": [{"id": "oa", "profile": "day", "plane": "mars"}],
    ...                       "profiles": {"day": [float("nan")] * 24},
    ...                       "overrides": [{"action": "scale_service", "service": "oa"},
    ...                                     {"action": "scale_service", "service": "oaa",
    ...                                      "factor": 2}]})
    >>> s.services[0].profile, s.profiles, s.overrides[0]
    ('day', {'day': None}, _Unreadable(action=''))
    >>> check_scenario(s, lenient=True)
    [('overrides[1].service', "unknown service 'oaa'; did you mean 'oa'?")]
    """
    if not isinstance(data, dict):
        return Scenario.model_construct()
    parts: dict[str, Any] = {}
    for name, field in Scenario.model_fields.items():
        if name not in data:
            continue
        value = data[name]
        if name == "services":
            items = value if isinstance(value, list) else []
            parts[name] = tuple(_partial_model(Service, item) for item in items)
        elif name == "overrides":
            items = value if isinstance(value, list) else []
            parts[name] = tuple(_partial_override(item) for item in items)
        elif name == "profiles" and isinstance(value, dict):
            parts[name] = {k: _valid(list[float], v) for k, v in value.items()}
        elif name == "growth_per_year" and isinstance(value, dict):
            rates = {k: _valid(GrowthRate, v) for k, v in value.items()}
            parts[name] = {k: v for k, v in rates.items() if v is not None}
        else:
            valid = _valid(Annotated[field.annotation, field], value)
            if valid is not None:
                parts[name] = valid
    return Scenario.model_construct(**parts)
