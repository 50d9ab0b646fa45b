"""What a plan costs: the tier catalogue, a link's cost, a purchase's price, the plan's totals.

The tier catalogue comes from the topology; a link's discounted cost and a purchase's
marginal cost (the cost saved if the constraint that forces it were dropped) are computed
with the exact sizing programme of :mod:`netplan.planning.sizing`, by both planners alike.
:func:`plan_costs` turns a plan's rows into its one costs object: what is bought (capex and
the opex it adds) apart from what the network as it stands costs to run.
"""

from __future__ import annotations

import numpy as np

from netplan.model.topology import Topology
from netplan.planning.sizing import SizingResult, TierCatalogue, discount_factors, size_tiers

__all__ = [
    "COST_LABELS",
    "catalogue_of",
    "installed_opex_cny",
    "link_cost_cny",
    "marginal_cost_cny",
    "plan_costs",
]


def catalogue_of(topology: Topology) -> TierCatalogue:
    """The topology's tier catalogue as arrays for the sizing programme.

    Parameters
    ----------
    topology : Topology

    Returns
    -------
    TierCatalogue

    Examples
    --------
    >>> import netplan
    >>> cat = catalogue_of(netplan.load_topology(netplan.default_topology_path()))
    >>> len(cat.name) == cat.capacity_gbps.size
    True
    """
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


def installed_opex_cny(catalogue: TierCatalogue, tier: int, modules: int, length_km: float) -> float:
    """Yearly running cost of ``modules`` modules of one tier on a link (undiscounted CNY).

    Parameters
    ----------
    catalogue : TierCatalogue
    tier : int
        Index into the catalogue; ``-1`` (nothing installed) costs nothing.
    modules : int
    length_km : float
        The link's length, for the per-km part.

    Returns
    -------
    float

    Examples
    --------
    >>> cat = TierCatalogue(["1G"], [1], [100], [10], opex_cny_per_km_year=[2], max_modules=4)
    >>> installed_opex_cny(cat, 0, 3, 5.0), installed_opex_cny(cat, -1, 0, 5.0)
    (60.0, 0.0)
    """
    if tier < 0 or modules <= 0:
        return 0.0
    unit = catalogue.opex_cny_per_year[tier] + catalogue.opex_cny_per_km_year[tier] * length_km
    return float(modules * unit)


def link_cost_cny(result: SizingResult, link: int = 0, build_cny: float = 0.0) -> float:
    """Discounted cost of one link of a sizing result, with its build charge if any.

    Parameters
    ----------
    result : SizingResult
    link : int
        The link's row in ``result``.
    build_cny : float
        Fixed charge paid in the first year the link has capacity (candidate links).

    Returns
    -------
    float

    Examples
    --------
    >>> cat = TierCatalogue(["10G"], [10], [100], [10])
    >>> r = size_tiers([[0.0, 5.0]], cat, discount_rate=0.0)
    >>> link_cost_cny(r), link_cost_cny(r, build_cny=50.0)
    (110.0, 160.0)
    """
    cost = float(result.discounted_cost_cny[link])
    if build_cny > 0:
        first = np.flatnonzero(result.capacity_gbps[link] > 0)
        if first.size:
            cost += build_cny * float(result.discount_factor[first[0]])
    return cost


def marginal_cost_cny(
    required_gbps,
    year_index: int,
    capacity_before_gbps: float,
    catalogue: TierCatalogue,
    *,
    base_cost_cny: float,
    discount_rate: float,
    length_km,
    initial_tier,
    initial_modules,
    build_cny: float = 0.0,
) -> float:
    """Discounted cost saved if one link needed no more than before in one year.

    The link is sized again over all years by the exact sizing programme, with its
    requirement in ``year_index`` capped at ``capacity_before_gbps``; the saving is
    ``base_cost_cny`` less that cost.

    Parameters
    ----------
    required_gbps : (Y,) or (1, Y) float
        The link's requirement per year.
    year_index : int
        The year whose purchase is priced.
    capacity_before_gbps : float
        Capacity installed before that year.
    catalogue : TierCatalogue
    base_cost_cny : float
        The link's discounted cost with every requirement (see :func:`link_cost_cny`).
    discount_rate : float
    length_km, initial_tier, initial_modules : (1,) sequence
        The link's length and what is installed before the first year.
    build_cny : float
        The link's build charge (candidate links).

    Returns
    -------
    float

    Examples
    --------
    One 10G module (100 CNY) is needed only because the last year asks for 5 Gbit/s:

    >>> cat = TierCatalogue(["10G"], [10], [100], [0])
    >>> kw = dict(discount_rate=0.0, length_km=[0.0], initial_tier=[-1], initial_modules=[0])
    >>> marginal_cost_cny([0.0, 5.0], 1, 0.0, cat, base_cost_cny=100.0, **kw)
    100.0
    """
    relaxed = np.array(required_gbps, dtype=float).reshape(1, -1)
    relaxed[0, year_index] = min(relaxed[0, year_index], capacity_before_gbps)
    again = size_tiers(
        relaxed,
        catalogue,
        discount_rate=discount_rate,
        length_km=length_km,
        initial_tier=initial_tier,
        initial_modules=initial_modules,
    )
    return float(base_cost_cny - link_cost_cny(again, 0, build_cny))


COST_LABELS = {
    "purchases.capex_per_year_cny": "capex of what the plan buys, per year (undiscounted CNY)",
    "purchases.capex_total_cny": "capex of what the plan buys, summed over the years",
    "purchases.added_opex_per_year_cny": (
        "opex the plan adds in each year: the plan's installation's opex that year less the "
        "opex of the network as it stands (undiscounted CNY a year; negative when retired "
        "modules cost more to run than their replacements)"
    ),
    "purchases.added_opex_total_cny": (
        "the added opex summed over the horizon's years (undiscounted; a sum over the "
        "horizon, not a yearly figure)"
    ),
    "purchases.discounted_total_cny": (
        "capex plus added opex of every year, discounted at the scenario's rate (first year "
        "undiscounted), as the optimizer's objective is"
    ),
    "existing_network.opex_per_year_cny": (
        "opex of the network as it stands before the plan, per year (undiscounted CNY a year)"
    ),
    "existing_network.discounted_total_cny": "that opex, discounted like the purchases",
    "plan_discounted_total_cny": (
        "purchases plus existing network, discounted: everything the plan pays over the "
        "horizon (equals the optimizer's objective)"
    ),
    "capex_total_cny": "the same as purchases.capex_total_cny",
    "per_year": (
        "per year, undiscounted: capex, added opex, existing-network opex, opex (the two "
        "together) and total (capex plus opex); never summed across years"
    ),
    "per_district": (
        "per district (municipal: links between cores, exits and data centres, and the data "
        "centres): capex plus added opex summed over the horizon, undiscounted"
    ),
    "per_plane": (
        "per plane ('' is the data centres): capex plus added opex summed over the "
        "horizon, undiscounted"
    ),
    "per_item": "per item (link, data_centre): capex plus added opex over the horizon, undiscounted",
}
"""What every figure of :func:`plan_costs` means, keyed by its (dotted) place."""

COST_NOTE = (
    "Prices are the tier catalogue's and the data centres' estimates, so every figure is an "
    "estimate. The headline is what is bought (purchases); the existing network's running "
    "cost is paid with or without the plan."
)


def plan_costs(rows, years, discount_rate: float) -> dict:
    """The costs of a plan's rows, every figure labelled, in CNY (JSON-ready, estimates).

    Definitions (per row, i.e. per link or data centre and year; undiscounted CNY):

    * **capex** is what the row buys (``capex_cny``): new modules, or racks, or a
      candidate link's build charge.
    * **existing opex** (``existing_opex_cny``) is what the link or data centre as it stands
      before the plan costs to run that year: its installed modules (or racks) at catalogue
      prices; a candidate link has none.
    * **added opex** is ``opex_cny - existing_opex_cny``: the running cost of what the plan
      installs, less what was there. A replacement retires the old modules, so their opex
      leaves and the new modules' enters; the added opex of a replacement can be negative.
      A candidate link the plan builds adds all its opex.

    Per year these add up over rows (every figure is then rounded to the cent on its own,
    so sums of rounded figures may differ from a rounded total by cents); the discounted
    totals weigh year ``i`` (0-based, in
    ``years`` order) by ``1 / (1 + r)**i`` as the optimizer does. Hence
    ``plan_discounted_total_cny = purchases.discounted_total_cny +
    existing_network.discounted_total_cny = Σ_i w_i (capex_i + opex_i)``, which equals the
    plan's ``objective_cny`` up to rounding: for fixed-routing plans the objective is the
    exact sizing's discounted cost of these rows and the racks; for routed plans it is the
    discounted sum of the rows the per-year solves realised (after polishing and cover
    fallbacks) plus the racks, so it holds there too, while ``bound_cny`` is a sum of the
    per-year MILP bounds and not a bound on this total.

    Parameters
    ----------
    rows : iterable of dict
        A plan's rows (:data:`netplan.planning.plan.PLAN_COLUMNS`).
    years : sequence of int
        The planning years, in order.
    discount_rate : float

    Returns
    -------
    dict
        ``purchases`` (``capex_per_year_cny``, ``capex_total_cny``,
        ``added_opex_per_year_cny``, ``added_opex_total_cny``, ``discounted_total_cny``),
        ``existing_network`` (``opex_per_year_cny``, ``discounted_total_cny``),
        ``plan_discounted_total_cny``, ``capex_total_cny``, ``per_year``, ``per_district``,
        ``per_plane``, ``per_item``, ``discount_rate``, ``currency``, ``estimate``,
        ``labels`` (what each figure means, :data:`COST_LABELS`) and ``note``. Years are
        string keys.

    Examples
    --------
    One link on one 10G module (10 CNY a year) gets a second (100 CNY) in the second year;
    at 25 % the second year weighs 0.8:

    >>> rows = [{"item": "link", "district": "d", "plane": "p", "year": y, "capex_cny": c,
    ...          "opex_cny": o, "existing_opex_cny": 10.0}
    ...         for y, c, o in ((2026, 0.0, 10.0), (2027, 100.0, 20.0))]
    >>> c = plan_costs(rows, (2026, 2027), 0.25)
    >>> c["purchases"]["capex_per_year_cny"], c["purchases"]["added_opex_per_year_cny"]
    ({'2026': 0.0, '2027': 100.0}, {'2026': 0.0, '2027': 10.0})
    >>> c["purchases"]["discounted_total_cny"], c["existing_network"]["discounted_total_cny"]
    (88.0, 18.0)
    >>> c["plan_discounted_total_cny"], c["per_year"]["2027"]["total_cny"], c["per_plane"]
    (106.0, 120.0, {'p': 110.0})
    """
    years = list(years)
    weight = discount_factors(discount_rate, len(years)).tolist()
    zero = dict.fromkeys(years, 0.0)
    capex, added, existing = dict(zero), dict(zero), dict(zero)
    per_district: dict[str, float] = {}
    per_plane: dict[str, float] = {}
    per_item: dict[str, float] = {}
    for r in rows:
        # Added opex row by row: the difference of two network-wide sums would lose cents.
        row_added = r["opex_cny"] - r["existing_opex_cny"]
        capex[r["year"]] += r["capex_cny"]
        added[r["year"]] += row_added
        existing[r["year"]] += r["existing_opex_cny"]
        for table, key in ((per_district, r["district"]), (per_plane, r["plane"]),
                           (per_item, r["item"])):
            table[key] = table.get(key, 0.0) + r["capex_cny"] + row_added
    bought_disc = sum(w * (capex[y] + added[y]) for w, y in zip(weight, years, strict=True))
    existing_disc = sum(w * existing[y] for w, y in zip(weight, years, strict=True))

    def per_year(values: dict) -> dict[str, float]:
        return {str(y): _cents(values[y]) for y in years}

    return {
        "purchases": {
            "capex_per_year_cny": per_year(capex),
            "capex_total_cny": _cents(sum(capex.values())),
            "added_opex_per_year_cny": per_year(added),
            "added_opex_total_cny": _cents(sum(added.values())),
            "discounted_total_cny": _cents(bought_disc),
        },
        "existing_network": {
            "opex_per_year_cny": per_year(existing),
            "discounted_total_cny": _cents(existing_disc),
        },
        "plan_discounted_total_cny": _cents(bought_disc + existing_disc),
        "capex_total_cny": _cents(sum(capex.values())),
        "per_year": {
            str(y): {
                "capex_cny": _cents(capex[y]),
                "added_opex_cny": _cents(added[y]),
                "existing_opex_cny": _cents(existing[y]),
                "opex_cny": _cents(added[y] + existing[y]),
                "total_cny": _cents(capex[y] + added[y] + existing[y]),
            }
            for y in years
        },
        "per_district": {
            k: _cents(v) for k, v in sorted(per_district.items(), key=lambda kv: -kv[1])
        },
        "per_plane": {k: _cents(v) for k, v in per_plane.items()},
        "per_item": {k: _cents(v) for k, v in per_item.items()},
        "discount_rate": discount_rate,
        "currency": "CNY",
        "estimate": True,
        "labels": dict(COST_LABELS),
        "note": COST_NOTE,
    }


def _cents(value: float) -> float:
    """Money rounded to the cent (each figure on its own), as a plain float."""
    return round(float(value), 2)
