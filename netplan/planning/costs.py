"""What a link's capacity costs a plan: the tier catalogue, a link's cost, a purchase's price.

The tier catalogue comes from the topology; a link's discounted cost and a purchase's
marginal cost (the cost saved if the constraint that forces it were dropped) are computed
with the exact sizing programme of :mod:`netplan.planning.sizing`, by both planners alike.
"""

from __future__ import annotations

import numpy as np

from netplan.model.topology import Topology
from netplan.planning.sizing import SizingResult, TierCatalogue, size_tiers

__all__ = ["catalogue_of", "link_cost_cny", "marginal_cost_cny"]


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
