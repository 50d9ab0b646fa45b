"""The fixed-routing planner: link tiers and data-centre racks per year, their cost, and why.

Traffic follows the network's own shortest paths and ECMP, so each link's requirement per
year is exact (:mod:`netplan.planning.fixed.requirements`) and the cheapest never-shrinking
tier sequence per link is an exact dynamic programme
(:func:`netplan.planning.sizing.size_tiers`). Racks follow the data centres' server load.
Every purchase carries the constraint that forces it and its marginal cost (the cost saved
by re-solving that link without the constraint). After sizing, the analysis core re-checks
the sized network in every failure state of the policy (:mod:`netplan.planning.fixed.check`):
the optimizer never grades its own work.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from netplan.analysis.routing import Routing, ecmp_routing
from netplan.analysis.study import Study, dc_load
from netplan.analysis.sweep import PlaneSweep, sweep_scenario
from netplan.demand import Demand, build_demand
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology
from netplan.planning.costs import catalogue_of, installed_opex_cny, marginal_cost_cny
from netplan.planning.fixed.check import independent_check
from netplan.planning.fixed.requirements import Binding, LinkRequirements, link_requirements
from netplan.planning.plan import Plan
from netplan.planning.rows import (
    TierLedger,
    budget_items,
    demand_id,
    district_of,
    failure_phrase,
    infeasibility,
    link_row,
    need_phrase,
    rack_rows,
    system_label,
    systems_phrase,
    with_replacement,
)
from netplan.planning.sizing import SizingResult, TierCatalogue, discount_factors, size_tiers

log = logging.getLogger(__name__)

__all__ = ["optimize_fixed"]

_BUDGET_SPENT_ON = "the purchases that the targets force"


def _reason(req: LinkRequirements, li: int, yi: int, capacity_before: float) -> str:
    b = req.binding[li][yi]
    when = f"{b.year} {b.hour:02d}:00, scenario {b.scenario}"
    return f"{failure_phrase(b.failure)} at {when}: load {b.load_gbps:.3f} Gbit/s " + need_phrase(
        b.load_gbps, b.target_utilisation, capacity_before
    )


def _system_of(scenario: Scenario, service_ids: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Per service, the index of its system; and each system's label (see ``system_label``)."""
    labels: dict[str, int] = {}
    names: list[str] = []
    member = []
    for sid in service_ids:
        service = scenario.service(sid)
        if service.system_id not in labels:
            labels[service.system_id] = len(names)
            names.append(system_label(service.name, service.name_zh))
        member.append(labels[service.system_id])
    return np.array(member, dtype=np.intp), names


class _LinkSystems:
    """Which systems make up a link's load in the state, year and hour that size it.

    The sweep keeps only each state's total load; the purchased links are few, so their
    load is split by service here, routing the binding state's demand once per state.
    """

    def __init__(self, sweep: PlaneSweep, scenario: Scenario):
        self.sweep = sweep
        self.member, self.labels = _system_of(scenario, sweep.demand.services)
        self._routes: dict[str, Routing] = {}

    def gbps(self, li: int, b: Binding) -> np.ndarray:
        """Gbit/s of each system on link ``li`` (the direction that binds) in ``b``'s sample."""
        ps, pd = self.sweep, self.sweep.demand
        if b.failure not in self._routes:
            state = next(s for s in ps.states if s.name == b.failure)
            self._routes[b.failure] = ecmp_routing(ps.graph, pd.od_src, pd.od_dst,
                                                   state.links, state.nodes)
        split = self._routes[b.failure].split
        arcs = np.flatnonzero(ps.graph.arc_link == li)
        per_service = np.asarray(split[arcs] @ pd.gbps[:, pd.years.index(b.year), b.hour, :].T)
        arc = int(np.argmin(np.abs(per_service.sum(axis=1) - b.load_gbps)))
        return np.bincount(self.member, weights=per_service[arc], minlength=len(self.labels))

    def phrase(self, li: int, b: Binding) -> str:
        """``; load by system: …`` for the reason of a purchase on link ``li``."""
        loads = self.gbps(li, b)
        total = loads.sum()
        if total <= 0:
            return ""
        return systems_phrase(list(zip(self.labels, loads / total, strict=True)))


def _rack_phrase(demand: Demand, scenario: Scenario, dc_node: str, year: int) -> str:
    """``; servers by system: …``: the systems keeping a data centre's servers busy in ``year``
    (each service's servers per Gbit/s × its busiest hour at the data centre, as
    :func:`netplan.analysis.study.dc_load` counts them)."""
    servers: dict[str, float] = {}
    for pd in demand.planes.values():
        if dc_node not in pd.node_ids or year not in pd.years:
            continue
        node = pd.node_ids.index(dc_node)
        down = [pd.node_ids.index(n) for n in demand.whatif.failed_nodes if n in pd.node_ids]
        touches = ((pd.od_src == node) | (pd.od_dst == node)) & ~np.isin(pd.od_src, down) \
            & ~np.isin(pd.od_dst, down)
        yi = pd.years.index(year)
        for si, sid in enumerate(pd.services):
            service = scenario.service(sid)
            if service.servers_per_gbps <= 0:
                continue
            peak = pd.gbps[si, yi][:, touches].sum(axis=-1).max()
            label = system_label(service.name, service.name_zh)
            servers[label] = servers.get(label, 0.0) + service.servers_per_gbps * float(peak)
    total = sum(servers.values())
    if total <= 0:
        return ""
    return systems_phrase([(k, v / total) for k, v in servers.items()], "servers by system")


def _with_rack_systems(rows: list[dict], demand: Demand, scenario: Scenario) -> list[dict]:
    """Rack purchases with the systems that keep their servers busy named in the reason."""
    nodes = {dc.id: dc.node for dc in demand.whatif.topology.data_centres}
    return [row | {"reason": row["reason"] + _rack_phrase(demand, scenario, nodes[row["id"]],
                                                          row["year"])}
            if row["purchase"] else row for row in rows]


def _size_plane(
    topology: Topology, req: LinkRequirements, catalogue: TierCatalogue, discount_rate: float
):
    links = {link.id: link for link in topology.links}
    names = list(catalogue.name)
    chosen = [links[lid] for lid in req.link_ids]
    initial_tier = np.array([names.index(lk.tier) if lk.tier in names else -1 for lk in chosen])
    initial_modules = np.array([lk.modules if lk.tier in names else 0 for lk in chosen])
    length = np.array([lk.length_km or 0.0 for lk in chosen])
    result = size_tiers(
        req.required_gbps,
        catalogue,
        discount_rate=discount_rate,
        length_km=length,
        initial_tier=initial_tier,
        initial_modules=initial_modules,
    )
    return chosen, initial_tier, initial_modules, length, result


def _plane_rows(
    topo: Topology,
    plane: str,
    req: LinkRequirements,
    catalogue: TierCatalogue,
    discount_rate: float,
    infeasible: list[dict],
    systems: _LinkSystems | None = None,
) -> tuple[list[dict], SizingResult]:
    """Rows of every link of one plane and year, sized exactly; shortfalls go to ``infeasible``.

    With ``systems``, a purchase's reason names the systems behind the load that forces it.
    """
    chosen, init_tier, init_mod, length, result = _size_plane(topo, req, catalogue, discount_rate)
    rows: list[dict] = []
    for li, link in enumerate(chosen):
        district = district_of(topo, link)
        before = float(link.capacity_gbps or 0.0)
        t0, n0 = int(init_tier[li]), int(init_mod[li])
        existing_opex = installed_opex_cny(catalogue, t0, n0, float(length[li]))
        ledger = TierLedger(catalogue.name[t0] if t0 >= 0 else "", n0)
        saving = float(result.replacement_saving_cny[li])
        for yi, year in enumerate(req.years):
            t = int(result.tier[li, yi])
            bought = bool(result.purchase[li, yi])
            short = float(result.shortfall_gbps[li, yi])
            if short > 0:
                infeasible.append(
                    infeasibility(
                        "link",
                        link.id,
                        year,
                        f"needs {req.required_gbps[li, yi]:.3f} Gbit/s; the largest "
                        f"tier allows {catalogue.max_capacity_gbps:g} Gbit/s",
                        short,
                        plane=plane,
                    )
                )
            capacity = float(result.capacity_gbps[li, yi])
            marginal = 0.0
            if bought:
                marginal = marginal_cost_cny(
                    req.required_gbps[li],
                    yi,
                    before,
                    catalogue,
                    base_cost_cny=float(result.discounted_cost_cny[li]),
                    discount_rate=discount_rate,
                    length_km=length[li : li + 1],
                    initial_tier=init_tier[li : li + 1],
                    initial_modules=init_mod[li : li + 1],
                )
            tier = catalogue.name[t] if t >= 0 else ""
            n_bought = int(result.modules_bought[li, yi])
            replaced = ledger.step(year, tier, n_bought, saving_cny=saving)
            rows.append(
                link_row(
                    link.id,
                    plane=plane,
                    district=district,
                    year=year,
                    tier=tier,
                    modules=int(result.modules[li, yi]),
                    capacity_gbps=capacity,
                    purchase=bought,
                    modules_bought=n_bought,
                    unit_price_cny=float(result.unit_capex_cny[li, yi]),
                    capex_cny=float(result.capex_cny[li, yi]),
                    opex_cny=float(result.opex_cny[li, yi]),
                    existing_opex_cny=existing_opex,
                    marginal_cost_cny=marginal,
                    reason=with_replacement(
                        _reason(req, li, yi, before)
                        + (systems.phrase(li, req.binding[li][yi]) if systems else ""),
                        replaced)
                    if bought
                    else "",
                )
            )
            before = capacity
    return rows, result


def _lost_items(requirements: dict[str, LinkRequirements]) -> list[dict]:
    """Demand a failure disconnects: no capacity on the built links can carry it."""
    return [
        infeasibility(
            "demand",
            demand_id(item["origin"], item["destination"]),
            item["year"],
            _lost_reason(item["failure"]),
            item["lost_gbps"],
            plane=item["plane"],
            failure=item["failure"],
        )
        for req in requirements.values()
        for item in req.lost
    ]


def _lost_reason(failure: str) -> str:
    if failure == "none":
        return ("no path joins its ends without any failure (an end node is down for the "
                "whole scenario, or the network is split): no capacity can carry it")
    return (f"{failure} disconnects it: no capacity on the built links can carry it (a "
            f"candidate link or routing change is needed)")


def optimize_fixed(topology: Topology, scenario: Scenario, *, check: bool = True,
                   demand: Demand | None = None, study: Study | None = None) -> Plan:
    """The cheapest plan of link tiers and racks per year, with the network's own routing.

    Parameters
    ----------
    topology, scenario
        The network and the scenario (its years, failure policy, targets, discount rate).
    check : bool
        Re-analyse the sized network independently (recommended; on by default).
    demand : Demand, optional
        The scenario's demand, already built; built here when not given.
    study : Study, optional
        An analysis of the scenario under its own failure policy: its year-by-year sweep
        is the one sized from (swept here when not given).

    Returns
    -------
    Plan
        ``status`` is ``optimal`` or ``infeasible`` (see ``infeasibilities``); the bound
        equals the objective and the gap is zero (the sizing is exact).

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> plan = optimize_fixed(topo, s, check=False)
    >>> plan.routing, plan.gap, plan.bound_cny == plan.objective_cny
    ('fixed', 0.0, True)
    """
    if study is not None:
        demand = study.demand(scenario.name)
        sweeps = study.year_sweeps(scenario.name)
        dc_rows = [row for row in study.dc_load if row["scenario"] == scenario.name]
    else:
        demand = demand if demand is not None else build_demand(topology, scenario)
        sweeps = sweep_scenario(demand, scenario.failure_policy, by_year=True)
        dc_rows = dc_load(demand.whatif.topology, scenario, demand)
    topo = demand.whatif.topology
    requirements = link_requirements(scenario, sweeps)
    catalogue = catalogue_of(topo)
    rate = scenario.discount_rate
    df = discount_factors(rate, len(scenario.years))
    rows: list[dict] = []
    infeasible: list[dict] = []
    total = 0.0
    by_plane = {ps.plane: ps for ps in sweeps}
    for plane, req in requirements.items():
        systems = _LinkSystems(by_plane[plane], scenario)
        plane_rows, result = _plane_rows(topo, plane, req, catalogue, rate, infeasible, systems)
        total += result.total_discounted_cost_cny
        rows += plane_rows
    racks, rack_cost = rack_rows(topo, scenario, dc_rows, df, infeasible)
    rows += _with_rack_systems(racks, demand, scenario)
    total += rack_cost
    infeasible += budget_items(scenario, rows, _BUDGET_SPENT_ON)
    infeasible += _lost_items(requirements)
    status = "optimal" if not [x for x in infeasible if x["item"] != "demand"] else "infeasible"
    plan = Plan(
        topology=topology.name,
        scenario=scenario.name,
        routing="fixed",
        years=scenario.years,
        discount_rate=rate,
        rows=tuple(rows),
        status=status,
        objective_cny=float(total),
        bound_cny=float(total),
        gap=0.0,
        infeasibilities=tuple(infeasible),
    )
    if check:
        plan = replace(plan, check=independent_check(topology, scenario, plan.rows))
    return plan
