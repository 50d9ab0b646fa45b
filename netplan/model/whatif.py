"""What-if overrides: a scenario's changes applied to the topology and demand, files untouched."""

from __future__ import annotations

from dataclasses import dataclass, field

from netplan.model.derive import derive_link
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology


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
    links = list(topology.links)
    failed_nodes: list[str] = []
    site_map: dict[str, str] = {}
    service_factor: dict[str, float] = {}
    district_factor: dict[tuple[str, str | None], float] = {}
    dcs = {dc.id: dc for dc in topology.data_centres}
    for override in scenario.overrides:
        action = override.action
        if action == "remove_link":
            links = [link for link in links if link.id != override.link]
        elif action == "add_link":
            links.append(derive_link(topology, override.link))
        elif action == "set_tier":
            tier = topology.tier(override.tier)
            links = [
                link.model_copy(update={
                    "tier": tier.name, "modules": override.modules, "candidate": False,
                    "capacity_gbps": tier.capacity_gbps * override.modules,
                })
                if link.id == override.link else link
                for link in links
            ]
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
    changed = topology.model_copy(update={"links": tuple(links)})
    return WhatIf(
        topology=changed,
        failed_nodes=tuple(dict.fromkeys(failed_nodes)),
        site_map=site_map,
        service_factor=service_factor,
        district_factor=district_factor,
    )
