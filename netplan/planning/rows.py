"""The records a plan is made of: link and rack rows, infeasibility items and their wording.

Both planners build their rows and explanations here, so a plan reads the same whichever
planner made it: a row has the columns of :data:`netplan.planning.plan.PLAN_COLUMNS` in
that order, and an infeasibility item names what (``item``, ``id``, ``year``), why
(``reason``) and by how much (``shortfall``).
"""

from __future__ import annotations

import numpy as np

from netplan.model.scenario import Scenario
from netplan.model.topology import Link, Topology

__all__ = [
    "budget_items",
    "demand_id",
    "district_of",
    "failure_phrase",
    "infeasibility",
    "link_row",
    "need_phrase",
    "plan_row",
    "rack_rows",
]


def district_of(topology: Topology, link: Link) -> str:
    """The district a link serves: its first end that is a district node, else ``municipal``.

    Parameters
    ----------
    topology : Topology
    link : Link
        A link of ``topology``.

    Returns
    -------
    str
        The district node's id, or ``"municipal"``.
    """
    for end in (link.a, link.b):
        node = topology.node(end)
        if node.kind == "district":
            return node.id
    return "municipal"


def plan_row(
    item: str,
    ident: str,
    *,
    plane: str,
    district: str,
    year: int,
    tier: str,
    modules: int,
    capacity_gbps: float,
    racks: int,
    racks_added: int,
    purchase: bool,
    capex_cny: float,
    opex_cny: float,
    marginal_cost_cny: float,
    reason: str,
) -> dict:
    """One row of a plan, its keys in the order of ``PLAN_COLUMNS``.

    Parameters
    ----------
    item : {"link", "data_centre"}
    ident : str
        The link's or data centre's id.
    plane, district : str
    year : int
    tier : str
        ``""`` when nothing is installed (and for data centres).
    modules : int
    capacity_gbps : float
    racks, racks_added : int
    purchase : bool
        Whether the row buys something.
    capex_cny, opex_cny : float
        Undiscounted CNY of ``year``.
    marginal_cost_cny : float
        Discounted cost the purchase's constraint forces (0 without a purchase).
    reason : str
        Why the purchase is made (``""`` without one).

    Returns
    -------
    dict
    """
    return {
        "item": item,
        "id": ident,
        "plane": plane,
        "district": district,
        "year": year,
        "tier": tier,
        "modules": modules,
        "capacity_gbps": capacity_gbps,
        "racks": racks,
        "racks_added": racks_added,
        "purchase": purchase,
        "capex_cny": capex_cny,
        "opex_cny": opex_cny,
        "marginal_cost_cny": marginal_cost_cny,
        "reason": reason,
    }


def link_row(link_id: str, **columns) -> dict:
    """A link's row of a plan for one year: no racks, and no reason nor marginal cost unless given.

    Parameters
    ----------
    link_id : str
    **columns
        ``plane``, ``district``, ``year``, ``tier``, ``modules``, ``capacity_gbps``,
        ``purchase``, ``capex_cny``, ``opex_cny`` and optionally ``marginal_cost_cny`` and
        ``reason``, as in :func:`plan_row`.

    Returns
    -------
    dict

    Examples
    --------
    >>> row = link_row("ab", plane="extranet", district="municipal", year=2026, tier="10G",
    ...                modules=1, capacity_gbps=10.0, purchase=False, capex_cny=0.0,
    ...                opex_cny=10.0)
    >>> row["item"], row["racks"], row["reason"]
    ('link', 0, '')
    >>> from netplan.planning.plan import PLAN_COLUMNS
    >>> tuple(row) == PLAN_COLUMNS
    True
    """
    fields = {"racks": 0, "racks_added": 0, "marginal_cost_cny": 0.0, "reason": ""} | columns
    return plan_row("link", link_id, **fields)


def infeasibility(
    item: str,
    ident: str,
    year: int,
    reason: str,
    shortfall: float,
    *,
    plane: str | None = None,
    failure: str | None = None,
    overload_gbps: float | None = None,
) -> dict:
    """An item of :attr:`Plan.infeasibilities`: what cannot be satisfied, why, by how much.

    Parameters
    ----------
    item : {"link", "data_centre", "budget", "demand"}
    ident : str
        The link, data centre, year or od (``origin>destination``).
    year : int
    reason : str
    shortfall : float
        By how much (Gbit/s, racks or CNY).
    plane, failure : str, optional
        The plane and the failure state, for items that have them.
    overload_gbps : float, optional
        Load above target (routed diagnosis).

    Returns
    -------
    dict
        Keys ``item``, ``id``, ``year``, [``plane``], [``failure``], ``reason``,
        ``shortfall``, [``overload_gbps``], in that order.

    Examples
    --------
    >>> list(infeasibility("demand", "A>B", 2026, "cut off", 1.5, plane="extranet"))
    ['item', 'id', 'year', 'plane', 'reason', 'shortfall']
    """
    out: dict = {"item": item, "id": ident, "year": year}
    if plane is not None:
        out["plane"] = plane
    if failure is not None:
        out["failure"] = failure
    out["reason"] = reason
    out["shortfall"] = shortfall
    if overload_gbps is not None:
        out["overload_gbps"] = overload_gbps
    return out


def demand_id(origin: str, destination: str) -> str:
    """The id of an od in infeasibility items: ``origin>destination``.

    Parameters
    ----------
    origin, destination : str
        Node ids.

    Returns
    -------
    str
    """
    return f"{origin}>{destination}"


def failure_phrase(failure: str) -> str:
    """``without failure`` for the state ``none``, else ``when <failure> fails``.

    Parameters
    ----------
    failure : str
        A failure state's name.

    Returns
    -------
    str

    Examples
    --------
    >>> failure_phrase("none"), failure_phrase("link:ab")
    ('without failure', 'when link:ab fails')
    """
    return "without failure" if failure == "none" else f"when {failure} fails"


def need_phrase(load_gbps: float, target: float, before_gbps: float) -> str:
    """The capacity a load needs at a utilisation target, against what was installed.

    Parameters
    ----------
    load_gbps : float
    target : float
        Utilisation target (fraction).
    before_gbps : float
        Capacity installed before the purchase.

    Returns
    -------
    str

    Examples
    --------
    >>> need_phrase(7.0, 0.7, 5.0)
    'needs 10.000 Gbit/s at the 70% target; 5 Gbit/s installed before'
    """
    return (
        f"needs {load_gbps / target:.3f} Gbit/s at the {target:.0%} target; "
        f"{before_gbps:g} Gbit/s installed before"
    )


def rack_rows(
    topology: Topology,
    scenario: Scenario,
    dc_rows: list[dict],
    discount_factor: np.ndarray,
    infeasible: list[dict],
) -> tuple[list[dict], float]:
    """Racks per data centre and year: the fewest that carry its busy servers.

    Racks are never removed. A data centre that needs more racks than its building holds
    adds an infeasibility item to ``infeasible``.

    Parameters
    ----------
    topology : Topology
    scenario : Scenario
    dc_rows : list of dict
        Server load per data centre and year (:func:`netplan.analysis.study.dc_load`).
    discount_factor : (Y,) float
        Weight of every planning year's money.
    infeasible : list of dict
        Extended in place.

    Returns
    -------
    rows : list of dict
        Plan rows with ``item`` ``data_centre``.
    discounted_cny : float
        The racks' discounted capex and opex.
    """
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
                    infeasibility(
                        "data_centre",
                        dc.id,
                        year,
                        f"needs {racks_needed} racks; the building holds {dc.racks_max}",
                        racks_needed - dc.racks_max,
                    )
                )
            installed += added
            capex = added * dc.rack_capex_cny
            opex = installed * dc.rack_opex_cny_per_year
            discounted += (capex + opex) * discount_factor[yi]
            reason = ""
            if added:
                reason = (
                    f"{need['busy_servers']:.0f} busy servers at the busy hour of {year} "
                    f"need {need['servers_needed']:.0f} servers at the "
                    f"{dc.target_utilisation:.0%} target = {racks_needed} racks of "
                    f"{dc.servers_per_rack:g}; {installed - added} installed before"
                )
            rows.append(
                plan_row(
                    "data_centre",
                    dc.id,
                    plane="",
                    district="municipal",
                    year=year,
                    tier="",
                    modules=0,
                    capacity_gbps=0.0,
                    racks=installed,
                    racks_added=added,
                    purchase=added > 0,
                    capex_cny=float(capex),
                    opex_cny=float(opex),
                    marginal_cost_cny=float(capex * discount_factor[yi]) if added else 0.0,
                    reason=reason,
                )
            )
    return rows, discounted


def budget_items(scenario: Scenario, rows: list[dict], spent_on: str) -> list[dict]:
    """Years whose capex exceeds the scenario's yearly budget.

    Parameters
    ----------
    scenario : Scenario
        Its ``budget_cny_per_year`` (``None``: no budget) and years.
    rows : list of dict
        The plan's rows.
    spent_on : str
        What the reason says the money is spent on.

    Returns
    -------
    list of dict
        One ``budget`` infeasibility item per year over budget.
    """
    budget = scenario.budget_cny_per_year
    if budget is None:
        return []
    items = []
    for year in scenario.years:
        capex = sum(x["capex_cny"] for x in rows if x["year"] == year)
        if capex > budget + 1e-6:
            items.append(
                infeasibility(
                    "budget",
                    str(year),
                    year,
                    f"{spent_on} cost {capex:,.0f} CNY in {year}; the budget is {budget:,.0f} CNY",
                    capex - budget,
                )
            )
    return items
