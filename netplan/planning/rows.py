"""The records a plan is made of: link and rack rows, infeasibility items and their wording.

Both planners build their rows and explanations here, so a plan reads the same whichever
planner made it: a row has the columns of :data:`netplan.planning.plan.PLAN_COLUMNS` in
that order, and an infeasibility item names what (``item``, ``id``, ``year``), why
(``reason``) and by how much (``shortfall``). A purchase that changes a link's tier says in
its reason which modules it retires (:class:`TierLedger`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from netplan.model.scenario import Scenario
from netplan.model.topology import Link, Topology

__all__ = [
    "TierLedger",
    "budget_items",
    "demand_id",
    "district_of",
    "failure_phrase",
    "infeasibility",
    "link_row",
    "need_phrase",
    "plan_row",
    "rack_rows",
    "system_label",
    "systems_in_reason",
    "systems_phrase",
    "with_replacement",
]

SYSTEM_HEADS: tuple[str, ...] = ("load by system", "servers by system")
"""How a reason introduces the systems behind a link's load or a data centre's servers."""
_SHARE = re.compile(r"(.+?) (?:\(([^()]*)\) )?(\d+)%(?:, |$)")


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
    nodes = topology.node_index  # built once per topology: planners call this per link
    for end in (link.a, link.b):
        node = nodes[end]
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
    modules_bought: int,
    unit_price_cny: float,
    build_capex_cny: float,
    capex_cny: float,
    opex_cny: float,
    existing_opex_cny: float,
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
        Modules installed after the year's purchase.
    capacity_gbps : float
    racks, racks_added : int
    purchase : bool
        Whether the row buys something.
    modules_bought : int
        What the year buys: new modules of ``tier`` (all of them when the tier changes),
        or for a data centre the racks added; 0 without a purchase.
    unit_price_cny : float
        Capex of one module of ``tier`` on this link (its per-km part included), or of one
        rack; 0 with nothing installed.
    build_capex_cny : float
        Fixed charge for building a candidate link, in the year it is built (else 0).
        ``capex_cny == modules_bought * unit_price_cny + build_capex_cny``.
    capex_cny, opex_cny : float
        Undiscounted CNY of ``year``: what is bought, and the running cost of what is
        installed after the purchase.
    existing_opex_cny : float
        Undiscounted running cost in ``year`` of what was installed before the plan (the
        network as it stands); ``opex_cny - existing_opex_cny`` is the opex the plan adds.
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
        "modules_bought": modules_bought,
        "unit_price_cny": unit_price_cny,
        "build_capex_cny": build_capex_cny,
        "capex_cny": capex_cny,
        "opex_cny": opex_cny,
        "existing_opex_cny": existing_opex_cny,
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
        ``purchase``, ``modules_bought``, ``unit_price_cny``, ``capex_cny``, ``opex_cny``,
        ``existing_opex_cny`` and optionally ``build_capex_cny``, ``marginal_cost_cny`` and
        ``reason``, as in :func:`plan_row`.

    Returns
    -------
    dict

    Examples
    --------
    A second 10G module (100 CNY each) bought on a link that had one (10 CNY a year each):

    >>> row = link_row("ab", plane="extranet", district="municipal", year=2026, tier="10G",
    ...                modules=2, capacity_gbps=20.0, purchase=True, modules_bought=1,
    ...                unit_price_cny=100.0, capex_cny=100.0, opex_cny=20.0,
    ...                existing_opex_cny=10.0)
    >>> row["item"], row["racks"], row["build_capex_cny"], row["reason"]
    ('link', 0, 0.0, '')
    >>> from netplan.planning.plan import PLAN_COLUMNS
    >>> tuple(row) == PLAN_COLUMNS
    True
    """
    fields = {
        "racks": 0,
        "racks_added": 0,
        "build_capex_cny": 0.0,
        "marginal_cost_cny": 0.0,
        "reason": "",
    } | columns
    return plan_row("link", link_id, **fields)


def _lots_phrase(tier: str, lots: list[tuple[int | None, int]]) -> str:
    """``the 2.5G module bought in 2026``, ``the 3 × 1G modules (1 installed before …)``."""

    def when(year: int | None) -> str:
        return "installed before the plan" if year is None else f"bought in {year}"

    count = sum(n for _, n in lots)
    head = f"the {tier} module" if count == 1 else f"the {count} × {tier} modules"
    if len(lots) == 1:
        return f"{head} {when(lots[0][0])}"
    return f"{head} ({', '.join(f'{n} {when(y)}' for y, n in lots)})"


class TierLedger:
    """What one link holds of its current tier, lot by lot, and what each replacement retires.

    Walk a link's years in order with :meth:`step`; on the year the link changes tier it
    returns the words a purchase's reason adds: which modules are retired (those installed
    before the plan, those the plan bought and when) and, when the plan replaces modules it
    bought, by how much that is cheaper over the horizon.

    Parameters
    ----------
    tier : str
        The tier installed before the plan (``""``: nothing).
    modules : int
        Its module count.

    Examples
    --------
    >>> ledger = TierLedger("1G", 1)
    >>> ledger.step(2026, "2.5G", 1, saving_cny=0.0)
    'replaces the 1G module installed before the plan with 1 × 2.5G'
    >>> ledger.step(2027, "2.5G", 0, saving_cny=0.0)
    ''
    >>> print(ledger.step(2031, "1G", 3, saving_cny=56509.4))
    replaces the 2.5G module bought in 2026 with 3 × 1G: cheaper over the horizon by 56,509 CNY (discounted, the new modules' capex included) than the cheapest way for this link to keep every module it buys
    """

    def __init__(self, tier: str, modules: int) -> None:
        self.tier = tier
        self.lots: list[tuple[int | None, int]] = [(None, modules)] if tier and modules else []

    def step(self, year: int, tier: str, modules_bought: int, *, saving_cny: float | None) -> str:
        """Record one year of the link; the replacement phrase if it changes tier, else ``""``.

        Parameters
        ----------
        year : int
        tier : str
            The tier installed after the year's purchase.
        modules_bought : int
            Modules bought that year.
        saving_cny : float or None
            How much cheaper (discounted) the plan is than the cheapest one that keeps every
            module it buys; ``None`` when that is not known.

        Returns
        -------
        str
        """
        phrase = ""
        if tier != self.tier and self.lots:
            phrase = f"replaces {_lots_phrase(self.tier, self.lots)} with {modules_bought} × {tier}"
            if any(y is not None for y, _ in self.lots) and saving_cny is not None:
                phrase += (
                    f": cheaper over the horizon by {saving_cny:,.0f} CNY (discounted, the new "
                    "modules' capex included) than the cheapest way for this link to keep "
                    "every module it buys"
                )
        if tier != self.tier:
            self.tier, self.lots = tier, []
        if modules_bought:
            self.lots.append((year, modules_bought))
        return phrase


def with_replacement(reason: str, phrase: str) -> str:
    """A purchase's reason with its replacement phrase (if any) appended.

    Examples
    --------
    >>> with_replacement("needs 3 Gbit/s", "replaces the 1G module installed before the plan")
    'needs 3 Gbit/s; replaces the 1G module installed before the plan'
    >>> with_replacement("needs 3 Gbit/s", "")
    'needs 3 Gbit/s'
    """
    if not phrase:
        return reason
    return f"{reason}; {phrase}" if reason else phrase


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
                    modules_bought=added,
                    unit_price_cny=float(dc.rack_capex_cny),
                    build_capex_cny=0.0,
                    capex_cny=float(capex),
                    opex_cny=float(opex),
                    existing_opex_cny=float(dc.racks * dc.rack_opex_cny_per_year),
                    marginal_cost_cny=float(capex * discount_factor[yi]) if added else 0.0,
                    reason=reason,
                )
            )
    return rows, discounted


def system_label(name: str, name_zh: str = "") -> str:
    """A system as a reason names it: its short English name, its short Chinese one in brackets.

    The short names drop what follows the system's own name (`` — queries``, ``(…)``), so
    the flows of one system read alike; the reason's grammar keeps no ``;`` or brackets in them.

    Examples
    --------
    >>> system_label("Golden Shield (金盾, public security)", "金盾工程（公安）")
    'Golden Shield (金盾工程)'
    >>> system_label("Population base database — queries", "人口基础信息库（查询）")
    'Population base database (人口基础信息库)'
    >>> system_label("Backup; nightly")
    'Backup, nightly'
    """
    def short(text: str, cuts: tuple[str, ...]) -> str:
        for cut in cuts:
            text = text.split(cut)[0]
        return re.sub(r"[()（）]", "", text).replace(";", ",").strip()

    en = short(name, (" (", " — "))
    zh = short(name_zh, ("（", "(", " — "))
    return f"{en} ({zh})" if zh else en


def systems_phrase(shares: Sequence[tuple[str, float]], head: str = SYSTEM_HEADS[0], *,
                   most: int = 3, least: float = 0.01) -> str:
    """The systems behind a purchase, largest share first: ``; load by system: A (甲) 41%, …``.

    Parameters
    ----------
    shares : sequence of (str, float)
        System labels (:func:`system_label`) and their shares of the load (0-1).
    head : str
        One of :data:`SYSTEM_HEADS`.
    most : int
        At most this many systems are named.
    least : float
        Systems under this share are not named.

    Examples
    --------
    >>> systems_phrase([("B (乙)", 0.3), ("A (甲)", 0.6), ("C", 0.004)])
    '; load by system: A (甲) 60%, B (乙) 30%'
    >>> systems_phrase([])
    ''
    """
    named = sorted((x for x in shares if x[1] >= least), key=lambda x: -x[1])[:most]
    if not named:
        return ""
    return f"; {head}: " + ", ".join(f"{label} {share:.0%}" for label, share in named)


def systems_in_reason(reason: str) -> list[tuple[str, str, str, float]]:
    """The systems a reason names (see :func:`systems_phrase`): head, English and Chinese
    names, share.

    Examples
    --------
    >>> systems_in_reason("load 1.000 Gbit/s needs 2.000 Gbit/s at the 50% target; "
    ...                   "load by system: Roads, bridges (路桥) 60%, Video 40%; replaces x")
    [('load by system', 'Roads, bridges', '路桥', 0.6), ('load by system', 'Video', '', 0.4)]
    """
    out = []
    for part in reason.split("; "):
        head, _, listed = part.partition(": ")
        if head not in SYSTEM_HEADS:
            continue
        for found in _SHARE.finditer(listed):
            out.append((head, found[1], found[2] or "", int(found[3]) / 100))
    return out


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
