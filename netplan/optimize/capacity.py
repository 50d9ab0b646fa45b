"""The capacity plan: link tiers and data-centre racks per year, their cost, and why.

:func:`optimize` is the optimizer's front door (``egov-netplan optimize``). In ``fixed``
routing mode traffic follows the network's own shortest paths and ECMP, so each link's
requirement per year is exact (:mod:`netplan.optimize.fixed.requirements`) and the cheapest
never-shrinking tier sequence per link is an exact dynamic programme
(:func:`netplan.optimize.sizing.size_tiers`). Racks follow the data centres' server load.
Every purchase carries the constraint that forces it and its marginal cost (the cost saved
by re-solving that link without the constraint). After sizing, the analysis core re-checks
the sized network in every failure state of the policy: the optimizer never grades its own
work.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netplan.analysis.study import analyze, dc_load
from netplan.demand import build_demand
from netplan.model.scenario import Scenario
from netplan.model.topology import Link, Topology
from netplan.optimize.fixed.requirements import LinkRequirements, link_requirements
from netplan.optimize.sizing import TierCatalogue, size_tiers

log = logging.getLogger(__name__)

PLAN_COLUMNS = (
    "item",
    "id",
    "plane",
    "district",
    "year",
    "tier",
    "modules",
    "capacity_gbps",
    "racks",
    "racks_added",
    "purchase",
    "capex_cny",
    "opex_cny",
    "marginal_cost_cny",
    "reason",
)


@dataclass(frozen=True)
class Plan:
    """A capacity plan and everything needed to defend it line by line.

    Attributes
    ----------
    rows : tuple of dict
        Per link and year, and per data centre and year (``item`` says which), with tier,
        modules, capacity, racks, capex and opex in CNY (undiscounted, in the year paid),
        and for purchases the reason and marginal cost.
    status : str
        ``optimal`` (fixed mode is solved exactly), ``infeasible`` (see ``infeasibilities``),
        or the solver's status in optimized mode.
    objective_cny, bound_cny, gap : float
        Discounted total cost, the proven lower bound and the relative gap.
    infeasibilities : tuple of dict
        What cannot be satisfied and by how much.
    check : dict
        The independent re-analysis of the sized network.
    """

    topology: str
    scenario: str
    routing: str
    years: tuple[int, ...]
    discount_rate: float
    rows: tuple[dict, ...]
    status: str
    objective_cny: float
    bound_cny: float
    gap: float
    infeasibilities: tuple[dict, ...] = ()
    check: dict = field(default_factory=dict)
    estimate: bool = True

    def purchases(self) -> list[dict]:
        """The rows that buy something."""
        return [r for r in self.rows if r["purchase"]]

    def costs(self) -> dict:
        """Totals per year, district, plane and item (undiscounted CNY) and the discounted total."""
        per_year: dict[int, dict[str, float]] = {}
        per_district: dict[str, float] = {}
        per_plane: dict[str, float] = {}
        per_item: dict[str, float] = {}
        for r in self.rows:
            spend = r["capex_cny"] + r["opex_cny"]
            year = per_year.setdefault(r["year"], {"capex_cny": 0.0, "opex_cny": 0.0})
            year["capex_cny"] += r["capex_cny"]
            year["opex_cny"] += r["opex_cny"]
            per_district[r["district"]] = per_district.get(r["district"], 0.0) + spend
            per_plane[r["plane"]] = per_plane.get(r["plane"], 0.0) + spend
            per_item[r["item"]] = per_item.get(r["item"], 0.0) + spend
        return {
            "per_year": {str(y): v for y, v in sorted(per_year.items())},
            "per_district": dict(sorted(per_district.items(), key=lambda kv: -kv[1])),
            "per_plane": per_plane,
            "per_item": per_item,
            "capex_total_cny": sum(v["capex_cny"] for v in per_year.values()),
            "opex_total_cny": sum(v["opex_cny"] for v in per_year.values()),
            "discounted_total_cny": self.objective_cny,
            "discount_rate": self.discount_rate,
            "estimate": True,
            "note": "Prices are the tier catalogue's estimates; totals are estimates.",
        }

    def summary(self) -> dict:
        """Status, gap, bound and the cost summary (JSON-ready)."""
        return {
            "topology": self.topology,
            "scenario": self.scenario,
            "routing": self.routing,
            "years": list(self.years),
            "status": self.status,
            "objective_cny": self.objective_cny,
            "bound_cny": self.bound_cny,
            "gap": self.gap,
            "purchases": len(self.purchases()),
            "infeasibilities": list(self.infeasibilities),
            "check": self.check,
            "costs": self.costs(),
            "estimate": True,
        }

    def to_csv(self) -> str:
        """``plan.csv``: one row per link and year and per data centre and year."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(PLAN_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow(
                {
                    k: (f"{v:.2f}" if isinstance(v, float) else v)
                    for k, v in row.items()
                    if k in PLAN_COLUMNS
                }
            )
        return buffer.getvalue()

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``plan.json``, ``plan.csv`` and ``costs.json``."""
        from netplan.io.atomic import write_text_atomic

        directory = Path(directory)
        document = self.summary() | {"rows": list(self.rows)}
        return [
            write_text_atomic(
                directory / "plan.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            ),
            write_text_atomic(directory / "plan.csv", self.to_csv()),
            write_text_atomic(
                directory / "costs.json",
                json.dumps(self.costs(), indent=2, ensure_ascii=False) + "\n",
            ),
        ]


def catalogue_of(topology: Topology) -> TierCatalogue:
    """The topology's tier catalogue as arrays for the sizing programme."""
    tiers = topology.tiers
    return TierCatalogue(
        [t.name for t in tiers],
        [t.capacity_gbps for t in tiers],
        [t.capex_cny for t in tiers],
        [t.opex_cny_per_year for t in tiers],
        [t.capex_cny_per_km for t in tiers],
        [t.opex_cny_per_km_year for t in tiers],
        max_modules=[t.max_modules for t in tiers],
    )


def _district_of(topology: Topology, link: Link) -> str:
    for end in (link.a, link.b):
        node = topology.node(end)
        if node.kind == "district":
            return node.id
    return "municipal"


def _reason(req: LinkRequirements, li: int, yi: int, capacity_before: float) -> str:
    b = req.binding[li][yi]
    when = f"{b.year} {b.hour:02d}:00, scenario {b.scenario}"
    state = "without failure" if b.failure == "none" else f"when {b.failure} fails"
    return (
        f"{state} at {when}: load {b.load_gbps:.3f} Gbit/s needs "
        f"{b.load_gbps / b.target_utilisation:.3f} Gbit/s at the {b.target_utilisation:.0%} "
        f"target; {capacity_before:g} Gbit/s installed before"
    )


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


def _marginal_cost(
    req, catalogue, discount_rate, li, yi, length, init_tier, init_mod, base_cost, capacity_before
) -> float:
    """Discounted cost saved if the requirement that forces this purchase were dropped."""
    relaxed = req.required_gbps[li : li + 1].copy()
    relaxed[0, yi] = min(relaxed[0, yi], capacity_before)
    again = size_tiers(
        relaxed,
        catalogue,
        discount_rate=discount_rate,
        length_km=length[li : li + 1],
        initial_tier=init_tier[li : li + 1],
        initial_modules=init_mod[li : li + 1],
    )
    return float(base_cost - again.discounted_cost_cny[0])


def _rack_rows(
    topology: Topology,
    scenario: Scenario,
    dc_rows: list[dict],
    df: np.ndarray,
    infeasible: list[dict],
) -> tuple[list[dict], float]:
    rows: list[dict] = []
    discounted = 0.0
    for dc in topology.data_centres:
        installed = dc.racks
        for yi, year in enumerate(scenario.years):
            need = next(r for r in dc_rows if r["data_centre"] == dc.id and r["year"] == year)
            racks_needed = need["racks_needed"]
            added = max(0, racks_needed - installed)
            if installed + added > dc.racks_max:
                infeasible.append(
                    {
                        "item": "data_centre",
                        "id": dc.id,
                        "year": year,
                        "reason": f"needs {racks_needed} racks; the building holds {dc.racks_max}",
                        "shortfall": racks_needed - dc.racks_max,
                    }
                )
            installed += added
            capex = added * dc.rack_capex_cny
            opex = installed * dc.rack_opex_cny_per_year
            discounted += (capex + opex) * df[yi]
            reason = ""
            if added:
                reason = (
                    f"{need['busy_servers']:.0f} busy servers at the busy hour of {year} "
                    f"need {need['servers_needed']:.0f} servers at the "
                    f"{dc.target_utilisation:.0%} target = {racks_needed} racks of "
                    f"{dc.servers_per_rack:g}; {installed - added} installed before"
                )
            rows.append(
                {
                    "item": "data_centre",
                    "id": dc.id,
                    "plane": "",
                    "district": "municipal",
                    "year": year,
                    "tier": "",
                    "modules": 0,
                    "capacity_gbps": 0.0,
                    "racks": installed,
                    "racks_added": added,
                    "purchase": added > 0,
                    "capex_cny": float(capex),
                    "opex_cny": float(opex),
                    "marginal_cost_cny": float(capex * df[yi]) if added else 0.0,
                    "reason": reason,
                }
            )
    return rows, discounted


def sized_topology(topology: Topology, plan_rows, year: int) -> Topology:
    """``topology`` with every link at the tier and modules the plan gives it in ``year``."""
    by_link = {r["id"]: r for r in plan_rows if r["item"] == "link" and r["year"] == year}
    links = []
    for link in topology.links:
        row = by_link.get(link.id)
        if row is None or not row["tier"]:
            links.append(link)
            continue
        links.append(
            link.model_copy(
                update={
                    "tier": row["tier"],
                    "modules": row["modules"],
                    "capacity_gbps": row["capacity_gbps"],
                    "candidate": False,
                }
            )
        )
    return topology.model_copy(update={"links": tuple(links)})


def independent_check(topology: Topology, scenario: Scenario, plan_rows) -> dict:
    """Re-run the analysis core on the sized network, year by year, and report any breach."""
    policy = scenario.failure_policy
    breaches = []
    for yi, year in enumerate(scenario.years):
        sized = sized_topology(topology, plan_rows, year)
        single_year = scenario.model_copy(update={"base_year": year, "horizon_years": 0})
        # The year's demand is the base demand grown by yi years: scale each service.
        grown = _grown_scenario(single_year, scenario, yi)
        study = analyze(sized, grown, failures=policy)
        for row in study.worst_case():
            if row["over_target"]:
                breaches.append(
                    {
                        "year": year,
                        "link": row["link"],
                        "plane": row["plane"],
                        "normal_utilisation": row["normal_utilisation"],
                        "failure_utilisation": row["failure_utilisation"],
                        "cause_failure": row["cause_failure"],
                    }
                )
    return {
        "method": "netplan.study.analyze on the sized network, every year and failure state",
        "years_checked": list(scenario.years),
        "failure_policy": list(policy),
        "passed": not breaches,
        "breaches": breaches,
    }


def _grown_scenario(single_year: Scenario, scenario: Scenario, offset: int) -> Scenario:
    from netplan.model.scenario import ScaleService

    extra = tuple(
        ScaleService(
            action="scale_service",
            service=s.id,
            factor=(1.0 + scenario.growth_per_year.get(s.id, s.growth_per_year)) ** offset,
        )
        for s in scenario.services
    )
    return single_year.model_copy(update={"overrides": (*scenario.overrides, *extra)})


def optimize(
    topology: Topology,
    scenario: Scenario,
    routing: str = "fixed",
    *,
    time_limit_s: float = 120.0,
    gap: float = 0.01,
    check: bool = True,
) -> Plan:
    """The cheapest plan of link tiers and racks, per year, meeting every target.

    Parameters
    ----------
    topology, scenario
        The network and the scenario (its years, failure policy, targets, discount rate).
    routing : {"fixed", "optimized"}
        ``fixed``: the network's own shortest-path/ECMP routing (exact). ``optimized``:
        routing is a decision too (path-based MILP, see :mod:`netplan.optimize.routed.planner`).
    time_limit_s, gap : float
        Limits for the MILP in optimized mode.
    check : bool
        Re-analyse the sized network independently (recommended; on by default).

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> plan = optimize(topo, s)
    >>> plan.status, plan.check["passed"], all(r["reason"] for r in plan.purchases())
    ('optimal', True, True)
    """
    if routing == "optimized":
        from netplan.optimize.routed.planner import optimize_routed

        return optimize_routed(topology, scenario, time_limit_s=time_limit_s, gap=gap, check=check)
    if routing != "fixed":
        from netplan.errors import Problem, ValidationError

        raise ValidationError(
            [Problem("--routing", "", f"unknown routing {routing!r}; choose fixed or optimized")]
        )
    demand = build_demand(topology, scenario)
    topo = demand.whatif.topology
    requirements = link_requirements(topology, scenario, demand, scenario.failure_policy)
    catalogue = catalogue_of(topo)
    r = scenario.discount_rate
    df = (1.0 + r) ** -np.arange(len(scenario.years), dtype=float)
    rows: list[dict] = []
    infeasible: list[dict] = []
    total = 0.0
    for plane, req in requirements.items():
        chosen, init_tier, init_mod, length, result = _size_plane(topo, req, catalogue, r)
        total += result.total_discounted_cost_cny
        for li, link in enumerate(chosen):
            district = _district_of(topo, link)
            before = float(link.capacity_gbps or 0.0)
            for yi, year in enumerate(req.years):
                t = int(result.tier[li, yi])
                bought = bool(result.purchase[li, yi])
                short = float(result.shortfall_gbps[li, yi])
                if short > 0:
                    infeasible.append(
                        {
                            "item": "link",
                            "id": link.id,
                            "year": year,
                            "plane": plane,
                            "reason": f"needs {req.required_gbps[li, yi]:.3f} Gbit/s; the largest "
                            f"tier allows {catalogue.max_capacity_gbps:g} Gbit/s",
                            "shortfall": short,
                        }
                    )
                capacity = float(result.capacity_gbps[li, yi])
                rows.append(
                    {
                        "item": "link",
                        "id": link.id,
                        "plane": plane,
                        "district": district,
                        "year": year,
                        "tier": catalogue.name[t] if t >= 0 else "",
                        "modules": int(result.modules[li, yi]),
                        "capacity_gbps": capacity,
                        "racks": 0,
                        "racks_added": 0,
                        "purchase": bought,
                        "capex_cny": float(result.capex_cny[li, yi]),
                        "opex_cny": float(result.opex_cny[li, yi]),
                        "marginal_cost_cny": _marginal_cost(
                            req,
                            catalogue,
                            r,
                            li,
                            yi,
                            length,
                            init_tier,
                            init_mod,
                            float(result.discounted_cost_cny[li]),
                            before,
                        )
                        if bought
                        else 0.0,
                        "reason": _reason(req, li, yi, before) if bought else "",
                    }
                )
                before = capacity
    rack_rows, rack_cost = _rack_rows(
        topo, scenario, dc_load(topo, scenario, demand), df, infeasible
    )
    rows += rack_rows
    total += rack_cost
    budget = scenario.budget_cny_per_year
    if budget is not None:
        for year in scenario.years:
            capex = sum(x["capex_cny"] for x in rows if x["year"] == year)
            if capex > budget + 1e-6:
                infeasible.append(
                    {
                        "item": "budget",
                        "id": str(year),
                        "year": year,
                        "reason": f"the purchases that the targets force cost {capex:,.0f} CNY "
                        f"in {year}; the budget is {budget:,.0f} CNY",
                        "shortfall": capex - budget,
                    }
                )
    lost = [x for req in requirements.values() for x in req.lost]
    for item in lost:
        infeasible.append(
            {
                "item": "demand",
                "id": f"{item['origin']}>{item['destination']}",
                "year": item["year"],
                "plane": item["plane"],
                "reason": f"{item['failure']} disconnects it: no capacity on the built links can "
                f"carry it (a candidate link or routing change is needed)",
                "shortfall": item["lost_gbps"],
            }
        )
    status = "optimal" if not [x for x in infeasible if x["item"] != "demand"] else "infeasible"
    plan = Plan(
        topology=topology.name,
        scenario=scenario.name,
        routing="fixed",
        years=scenario.years,
        discount_rate=r,
        rows=tuple(rows),
        status=status,
        objective_cny=float(total),
        bound_cny=float(total),
        gap=0.0,
        infeasibilities=tuple(infeasible),
    )
    if check:
        plan = _replace(plan, check=independent_check(topology, scenario, plan.rows))
    return plan


def _replace(plan: Plan, **changes) -> Plan:
    from dataclasses import replace

    return replace(plan, **changes)
