"""What-if overrides: a scenario's changes applied to the topology and demand, files untouched."""

from __future__ import annotations

from dataclasses import dataclass, field

from netplan.model.derive import derive_link
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology

#: The overrides that change the network itself; the others change demand and failures.
LINK_ACTIONS: tuple[str, ...] = ("remove_link", "add_link", "set_tier")


@dataclass(frozen=True)
class WhatIf:
    """The scenario's what-ifs, resolved against one topology.

    Attributes
    ----------
    topology : Topology
        The topology with links removed, added or re-tiered.
    failed_nodes : tuple of str
        Nodes lost for the whole scenario (their traffic is reported lost, not rerouted).
    site_map : dict
        Data centre or node id → the id that now serves it (data-centre fail-over).
    service_factor : dict
        Service id → demand multiplier.
    district_factor : dict
        (node id, driver or None) → driver multiplier.
    """

    topology: Topology
    failed_nodes: tuple[str, ...] = ()
    site_map: dict[str, str] = field(default_factory=dict)
    service_factor: dict[str, float] = field(default_factory=dict)
    district_factor: dict[tuple[str, str | None], float] = field(default_factory=dict)


def apply_overrides(topology: Topology, scenario: Scenario) -> WhatIf:
    """Apply ``scenario.overrides`` to ``topology`` (both are left unchanged).

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("dc-outage"), topo)
    >>> apply_overrides(topo, s).site_map
    {'dc-cloud': 'dc-dr'}
    """
    # By id, in file order (ids are unique in a validated topology): one lookup per override.
    links = dict(topology.link_index)
    failed_nodes: list[str] = []
    site_map: dict[str, str] = {}
    service_factor: dict[str, float] = {}
    district_factor: dict[tuple[str, str | None], float] = {}
    dcs = topology.data_centre_index
    for override in scenario.overrides:
        action = override.action
        if action == "remove_link":
            links.pop(override.link, None)
        elif action == "add_link":
            links[override.link.id] = derive_link(topology, override.link)
        elif action == "set_tier" and override.link in links:
            tier = topology.tier(override.tier)
            links[override.link] = links[override.link].model_copy(update={
                "tier": tier.name, "modules": override.modules, "candidate": False,
                "capacity_gbps": tier.capacity_gbps * override.modules,
            })
        elif action == "fail_node":
            failed_nodes.append(override.node)
        elif action == "fail_data_centre":
            failed = dcs[override.data_centre]
            site_map[failed.id] = override.failover_to
            site_map[failed.node] = override.failover_to
            failed_nodes.append(failed.node)
        elif action == "scale_service":
            service_factor[override.service] = service_factor.get(override.service, 1.0) * override.factor
        elif action == "scale_district":
            key = (override.node, override.driver)
            district_factor[key] = district_factor.get(key, 1.0) * override.factor
    changed = topology.model_copy(update={"links": tuple(links.values())})
    return WhatIf(
        topology=changed,
        failed_nodes=tuple(dict.fromkeys(failed_nodes)),
        site_map=site_map,
        service_factor=service_factor,
        district_factor=district_factor,
    )


def without_link_overrides(scenario: Scenario) -> Scenario:
    """``scenario`` without the overrides that change links, for a network they are applied to.

    A plan sizes the network the scenario's overrides made (links removed, added or
    re-tiered). Analysing or simulating that sized network with the full scenario would
    apply the link overrides a second time: an added link would come back at the tier it
    was added with, and a re-tiered link would drop back to the override's tier, undoing
    what the plan bought for them. The failures, the data-centre fail-overs and the
    demand scaling still apply.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    Scenario
        The same scenario, its ``overrides`` without ``remove_link``, ``add_link`` and
        ``set_tier``.

    Examples
    --------
    >>> import netplan
    >>> from netplan.model.scenario import RemoveLink
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("dc-outage"), topo)
    >>> s = s.model_copy(update={"overrides": (
    ...     *s.overrides, RemoveLink(action="remove_link", link="ex-cores-2"))})
    >>> [o.action for o in without_link_overrides(s).overrides]
    ['fail_data_centre']
    """
    kept = tuple(o for o in scenario.overrides if o.action not in LINK_ACTIONS)
    return scenario.model_copy(update={"overrides": kept})
