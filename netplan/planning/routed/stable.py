"""What the routed plan buys stays, unless replacing it pays over the horizon.

The routed planner solves one year at a time, each solve seeing only that year's cost, so a
later year may retire modules an earlier year bought for another tier that is cheaper in
that year alone. For every link whose solved sequence does so, the link is re-sized over all
years by the exact sizing programme (:func:`netplan.planning.sizing.size_tiers`), with the
solved routing held fixed (its requirement per year) and replacing bought modules forbidden.
When that sequence costs no more over the horizon (discounted, build charge included) and
fits the link's capacity limit, the link takes it; otherwise the replacement stays, and how
much it saves is recorded for the purchase's reason.
"""

from __future__ import annotations

import numpy as np

from netplan.planning.routed.plane import RoutedPlane
from netplan.planning.routed.states import ModuleStates, year_options
from netplan.planning.sizing import TierCatalogue, replaces_bought, size_tiers

__all__ = ["keep_what_is_bought", "kept_phrase"]

_TIE_RTOL = 1e-9  # keeping wins ties: a replacement must save more than rounding


def kept_phrase(extra_cny: float) -> str:
    """The words a purchase's reason adds when the link keeps what it buys.

    Examples
    --------
    >>> kept_phrase(1234.4)
    'keeps the modules it buys: the year-by-year solves would replace them, at 1,234 CNY more over the horizon (discounted)'
    """
    return (
        "keeps the modules it buys: the year-by-year solves would replace them, at "
        f"{extra_cny:,.0f} CNY more over the horizon (discounted)"
    )


def keep_what_is_bought(
    p: RoutedPlane, catalogue: TierCatalogue, states: ModuleStates, rate: float, df
) -> int:
    """Let every link of a solved plane keep what it buys unless replacing it pays.

    Updates ``p.state``, ``p.capex``, ``p.opex`` and ``p.stay_cost`` of the links that keep
    their modules and records, per link, ``p.kept_cny`` (how much dearer the year-by-year
    sequence was) or ``p.replacement_saving_cny`` (how much the replacement saves over the
    cheapest sequence that keeps every module; ``None`` when that sequence would break the
    link's capacity limit).

    Parameters
    ----------
    p : RoutedPlane
        Every year solved.
    catalogue : TierCatalogue
    states : ModuleStates
    rate : float
        The discount rate.
    df : (Y,) float
        The years' discount factors.

    Returns
    -------
    int
        How many links now keep what they buy.
    """
    seq = np.array(p.state, dtype=np.int64).T  # (L, Y)
    t0, n0 = states.tier[p.initial], states.modules[p.initial]
    churn = replaces_bought(states.tier[seq], states.modules[seq], t0, n0).any(axis=1)
    kept = 0
    for li in np.flatnonzero(churn):
        li = int(li)
        solved = float(sum(df[y] * (p.capex[y][li] + p.opex[y][li]) for y in range(len(df))))
        keeping = _kept_sequence(p, li, catalogue, states, rate)
        if keeping is None:
            p.replacement_saving_cny[li] = None
            continue
        sequence, capex, opex, stay = keeping
        cost = float(np.dot(df, capex + opex))
        if cost > solved + _TIE_RTOL * max(1.0, abs(solved)):
            p.replacement_saving_cny[li] = cost - solved
            continue
        for y, k in enumerate(sequence):
            for table, value in ((p.state, k), (p.capex, capex[y]), (p.opex, opex[y]),
                                 (p.stay_cost, stay[y])):
                table[y] = np.array(table[y], copy=True)
                table[y][li] = value
        p.kept_cny[li] = solved - cost
        kept += 1
    return kept


def _kept_sequence(p: RoutedPlane, li: int, catalogue, states, rate):
    """The cheapest sequence of link ``li`` that keeps what it buys, with its yearly costs.

    ``None`` when that sequence is not one the year's options allow (the link's capacity
    limit).
    """
    k0 = int(p.initial[li])
    required = np.array([r[li] for r in p.required], dtype=float)[None, :]
    sized = size_tiers(
        required,
        catalogue,
        discount_rate=rate,
        length_km=p.length_km[li : li + 1],
        initial_tier=[int(states.tier[k0])],
        initial_modules=[int(states.modules[k0])],
        keep_bought=True,
    )
    sequence = [
        states.index(int(t), int(n)) for t, n in zip(sized.tier[0], sized.modules[0], strict=True)
    ]
    Y = len(sequence)
    capex, opex, stay = np.zeros(Y), np.zeros(Y), np.zeros(Y)
    prev = k0
    for y, k in enumerate(sequence):
        allowed, cap_y, opex_y = year_options(
            catalogue,
            states,
            [prev],
            length_km=p.length_km[li : li + 1],
            build_capex_cny=p.build_cny[li : li + 1],
            capacity_max_gbps=p.capacity_max_gbps[li : li + 1],
        )
        if not allowed[0, k]:
            return None
        capex[y], opex[y] = cap_y[0, k], opex_y[0, k]
        stay[y] = cap_y[0, prev] + opex_y[0, prev]
        prev = k
    return sequence, capex, opex, stay
