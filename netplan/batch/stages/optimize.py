"""The ``optimize`` stage: the least-cost plan of link tiers and racks, and its cost."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from netplan.batch.stages.registry import LabelledArray, StageOutput, register_stage
from netplan.model.scenario import Scenario
from netplan.model.topology import Frozen, Topology


class OptimizeOptions(Frozen):
    """Options of the ``optimize`` stage (as ``egov-netplan optimize``)."""

    routing: Literal["fixed", "optimized"] = Field(
        "fixed",
        description="fixed: the network's own shortest paths and ECMP (exact, fast); "
        "optimized: routing is a decision too (MILP, slower).",
    )
    time_limit_s: float = Field(120.0, gt=0, le=86400, description="MILP time limit.")
    gap: float = Field(0.01, ge=0, le=1, description="Relative MILP gap.")
    check: bool = Field(True, description="Re-analyse the sized network independently.")


COST_NOTE = "estimate: tier and rack prices are estimates, so every cost is an estimate"
"""How plan costs are labelled wherever the batch writes them."""


def plan_output(topology: Topology, scenario: Scenario, plan, check: bool) -> StageOutput:
    """Metrics, arrays and tables of a :class:`~netplan.planning.plan.Plan`.

    Parameters
    ----------
    topology, scenario
        The variant's inputs (its what-ifs are applied to find the installed capacity).
    plan : Plan
        The least-cost plan of the variant.
    check : bool
        Whether the plan was re-analysed independently (else the check metrics are None).

    Returns
    -------
    StageOutput
        What the ``optimize`` stage returns (see :func:`optimize_stage`).
    """
    from netplan.model.whatif import apply_overrides
    from netplan.planning.plan import PLAN_COLUMNS

    years = tuple(plan.years)
    year_index = {year: k for k, year in enumerate(years)}
    link_rows = [r for r in plan.rows if r["item"] == "link"]
    dc_rows = [r for r in plan.rows if r["item"] == "data_centre"]
    link_ids = tuple(dict.fromkeys(r["id"] for r in link_rows))
    dc_ids = tuple(dict.fromkeys(r["id"] for r in dc_rows))
    planned = np.full((len(link_ids), len(years)), np.nan)
    position = {link: i for i, link in enumerate(link_ids)}
    for r in link_rows:
        planned[position[r["id"]], year_index[r["year"]]] = r["capacity_gbps"]
    # What is installed before the plan, in the variant's own network (its what-ifs applied).
    links = {lk.id: lk for lk in apply_overrides(topology, scenario).topology.links}
    installed = np.array([float(links[i].capacity_gbps or 0.0) for i in link_ids])
    racks = np.zeros((len(dc_ids), len(years)))
    racks_added = np.zeros((len(dc_ids), len(years)))
    dc_position = {dc: i for i, dc in enumerate(dc_ids)}
    for r in dc_rows:
        racks[dc_position[r["id"]], year_index[r["year"]]] = r["racks"]
        racks_added[dc_position[r["id"]], year_index[r["year"]]] = r["racks_added"]
    costs = plan.costs()
    bought = costs["purchases"]
    capex = np.array([bought["capex_per_year_cny"].get(str(y), 0.0) for y in years])
    # The opex the purchases add, year by year (the existing network's running cost is not
    # something the plan buys).
    opex = np.array([bought["added_opex_per_year_cny"].get(str(y), 0.0) for y in years])

    purchases = plan.purchases()
    bought_years = [r["year"] for r in purchases]
    upgraded = {r["id"] for r in purchases if r["item"] == "link"}
    breaches = plan.check.get("breaches", []) if check else []
    metrics: dict[str, Any] = {
        # ``status`` is the variant's own column in the records; the plan's is plan_status.
        "plan_status": plan.status,
        "routing": plan.routing,
        "total_cost_cny": float(plan.objective_cny),
        "purchases_cost_cny": float(bought["discounted_total_cny"]),
        "bound_cny": float(plan.bound_cny),
        "gap": float(plan.gap),
        "capex_cny": float(bought["capex_total_cny"]),
        "added_opex_cny": float(bought["added_opex_total_cny"]),
        "purchases": len(purchases),
        "links_upgraded": len(upgraded),
        "capacity_added_gbps": float(np.sum(planned[:, -1] - installed)) if years else 0.0,
        "racks_bought": int(racks_added.sum()),
        "first_purchase_year": min(bought_years) if bought_years else None,
        "check_passed": bool(plan.check.get("passed")) if check else None,
        "check_breaches": len(breaches) if check else None,
        "infeasible": len(plan.infeasibilities),
        "infeasible_items": ";".join(sorted({x["item"] for x in plan.infeasibilities})),
    }
    arrays = {
        "planned_capacity_gbps": LabelledArray(
            planned, ("link", "year"), (link_ids, years), "Gbit/s"
        ),
        "capacity_gbps": LabelledArray(installed, ("link",), (link_ids,), "Gbit/s"),
        "racks": LabelledArray(racks, ("data_centre", "year"), (dc_ids, years), "racks"),
        "racks_added": LabelledArray(
            racks_added, ("data_centre", "year"), (dc_ids, years), "racks"
        ),
        "yearly_capex_cny": LabelledArray(capex, ("year",), (years,), "CNY (estimate)"),
        "yearly_added_opex_cny": LabelledArray(opex, ("year",), (years,), "CNY (estimate)"),
    }
    tables = {
        "purchases": [
            {k: r[k] for k in PLAN_COLUMNS if k in r} | {"estimate": True} for r in purchases
        ]
    }
    if plan.infeasibilities:
        tables["infeasibilities"] = [dict(x) for x in plan.infeasibilities]
    return StageOutput(metrics=metrics, arrays=arrays, tables=tables)


@register_stage(
    "optimize",
    options=OptimizeOptions,
    description="Least-cost plan of link tiers and data-centre racks per year, and its cost.",
)
def optimize_stage(
    topology: Topology, scenario: Scenario, seed: int, options: OptimizeOptions
) -> StageOutput:
    """The least-cost capacity plan of the variant, from :func:`netplan.planning.optimize`.

    Metrics: ``plan_status`` (``optimal``, ``infeasible`` …: an infeasible plan is a result,
    not an error), ``total_cost_cny`` (the discounted objective: the purchases and running
    the existing network), ``purchases_cost_cny`` (the purchases alone, discounted: capex and
    the opex they add), undiscounted ``capex_cny`` and ``added_opex_cny`` (each year's added
    opex summed over the horizon), ``purchases``, ``links_upgraded``,
    ``racks_bought``, ``check_passed`` (the independent re-analysis) and ``infeasible``
    (how many items cannot be met). Arrays: ``planned_capacity_gbps`` [link, year] (after
    the plan's purchases), ``capacity_gbps`` [link] (installed before), ``racks`` and
    ``racks_added`` [data_centre, year], ``yearly_capex_cny`` and ``yearly_added_opex_cny``
    [year]. Table: ``purchases``. Every cost is an estimate (the tier prices are).

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> out = optimize_stage(topo, s, 0, OptimizeOptions(check=False))
    >>> out.metrics["plan_status"], out.arrays["planned_capacity_gbps"].axes
    ('optimal', ('link', 'year'))
    """
    from netplan.planning import optimize

    plan = optimize(
        topology,
        scenario,
        options.routing,
        time_limit_s=options.time_limit_s,
        gap=options.gap,
        check=options.check,
    )
    return plan_output(topology, scenario, plan, options.check)
