"""Why the routed plan buys what it buys, what each purchase costs, and what cannot be done.

Each purchase names the failure state, hour and load that bind it in the solved routing, and
its marginal cost: the discounted cost saved if the link did not have to grow that year
(its requirement capped at what was installed before), re-solving that link alone with the
exact sizing programme while the solved routing is held fixed. An infeasible year is
explained from the slack LPs of :meth:`netplan.planning.routed.milp.RoutingModel.diagnose`,
and demand that no capacity can carry is listed as lost.
"""

from __future__ import annotations

import numpy as np

from netplan.planning.costs import link_cost_cny, marginal_cost_cny
from netplan.planning.routed.milp import Diagnosis
from netplan.planning.routed.plane import COVER_RTOL, RoutedPlane, state_targets
from netplan.planning.routed.states import ModuleStates
from netplan.planning.rows import demand_id, failure_phrase, infeasibility, need_phrase
from netplan.planning.sizing import TierCatalogue, size_tiers

__all__ = [
    "binding_hour",
    "diagnosis_items",
    "link_marginal_cost",
    "lost_items",
    "purchase_reason",
]


def _state_name(catalogue: TierCatalogue, states: ModuleStates, k: int) -> str:
    return f"{catalogue.name[states.tier[k]]}×{states.modules[k]}"


def _failure_name(p: RoutedPlane, s: int) -> str:
    """Name of state ``s`` of ``p`` (0: without failure)."""
    return "none" if s == 0 else p.paths.states[s - 1].name


def binding_hour(p: RoutedPlane, yi: int, s: int, arc: int) -> tuple[int, float]:
    """Busiest hour of an arc in a state under the solved routing, and its load then.

    Parameters
    ----------
    p : RoutedPlane
    yi : int
        The year (index), already solved.
    s : int
        The state (0: without failure).
    arc : int

    Returns
    -------
    hour : int
    load_gbps : float
    """
    x, flow = p.flows[yi]
    path_flow = p.model.state_path_flows(x, flow, s - 1)
    through = p.paths.arc_incidence[:, arc].nonzero()[0]
    if through.size == 0:
        return 0, 0.0
    od = p.paths.path_od[through]
    peak = p.peak_gbps[yi, od]
    share = np.divide(path_flow[through], peak, out=np.zeros(through.size), where=peak > 0)
    hourly = p.hourly_gbps[yi][:, od] @ share  # (H,)
    h = int(np.argmax(hourly))
    return h, float(hourly[h])


def purchase_reason(
    p: RoutedPlane,
    yi: int,
    li: int,
    year: int,
    scenario: str,
    before: float,
    catalogue: TierCatalogue,
    states: ModuleStates,
) -> tuple[str, dict]:
    """Why link ``li`` of ``p`` is bought in year ``yi``, in words and in facts.

    Parameters
    ----------
    p : RoutedPlane
    yi : int
        The year (index), already solved.
    li : int
        The link (index in ``p.links``).
    year : int
    scenario : str
        The scenario's name.
    before : float
        Capacity installed before the purchase, Gbit/s.
    catalogue : TierCatalogue
    states : ModuleStates

    Returns
    -------
    reason : str
    facts : dict
        ``binding_state``, ``binding_hour``, ``binding_load_gbps``,
        ``target_utilisation`` and ``required_gbps``.
    """
    s, a = int(p.binding[yi][0][li]), int(p.binding[yi][1][li])
    load = float(p.loads[yi][s, a])
    target = float(state_targets(p.model)[s])
    need = float(p.required[yi][li])
    g = p.graph
    hour, hour_load = binding_hour(p, yi, s, a)
    facts = {
        "binding_state": _failure_name(p, s),
        "binding_hour": hour,
        "binding_load_gbps": load,
        "target_utilisation": target,
        "required_gbps": need,
    }
    prefix = ""
    if p.state[yi][li] and (yi == 0 and p.initial[li] == 0 or yi > 0 and p.state[yi - 1][li] == 0):
        if p.build_cny[li] > 0:
            prefix = f"builds candidate link (fixed charge {p.build_cny[li]:,.0f} CNY); "
    if need <= before * (1 + COVER_RTOL) + 1e-9:
        name = _state_name(catalogue, states, int(p.state[yi][li]))
        stay = p.stay_cost[yi][li]
        new = p.capex[yi][li] + p.opex[yi][li]
        return (
            prefix + f"not forced by load (the solved routing needs {need:.3f} Gbit/s; "
            f"{before:g} Gbit/s installed): {name} costs {new:,.0f} CNY in {year} against "
            f"{stay:,.0f} CNY to keep what is installed"
        ), facts
    src, dst = g.node_ids[g.arc_src[a]], g.node_ids[g.arc_dst[a]]
    text = (
        f"{failure_phrase(_failure_name(p, s))} in {year}, scenario {scenario}: design load "
        f"{load:.3f} Gbit/s {src}→{dst} (every od at its own peak hour; {hour_load:.3f} Gbit/s "
        f"at the busiest hour {hour:02d}:00) " + need_phrase(load, target, before)
    )
    return prefix + text, facts


def link_marginal_cost(
    p: RoutedPlane,
    li: int,
    yi: int,
    before: float,
    catalogue: TierCatalogue,
    states: ModuleStates,
    rate: float,
) -> float:
    """Discounted saving if link ``li`` needed no more than ``before`` in year ``yi``.

    The solved routing is held fixed; the link alone is re-sized over all years by the
    exact sizing programme with and without that year's requirement.

    Parameters
    ----------
    p : RoutedPlane
        Every year solved.
    li, yi : int
        The link and the year (indices).
    before : float
        Capacity installed before that year, Gbit/s.
    catalogue : TierCatalogue
    states : ModuleStates
    rate : float
        The discount rate.

    Returns
    -------
    float
        Never negative.
    """
    required = np.array([r[li] for r in p.required])[None, :]
    k0 = int(p.initial[li])
    kwargs = dict(
        discount_rate=rate,
        length_km=p.length_km[li : li + 1],
        initial_tier=[int(states.tier[k0])],
        initial_modules=[int(states.modules[k0])],
    )
    base = size_tiers(required, catalogue, **kwargs)
    saving = marginal_cost_cny(
        required,
        yi,
        before,
        catalogue,
        base_cost_cny=link_cost_cny(base, 0, p.build_cny[li]),
        build_cny=p.build_cny[li],
        **kwargs,
    )
    return max(0.0, saving)


def _row_failure(p: RoutedPlane, cap_state: int, arc: int) -> str:
    """The failure state a capacity row of ``p``'s model guards ``arc`` in, by name.

    A row's state is ``-1`` for the no-failure row (``"none"``), ``s >= 0`` for failure
    state ``s``, and ``-2`` for the row that holds the no-failure load to the failure
    target: it binds in the failure states that leave the arc's load as it is (the arc
    survives and no rerouted flow crosses it). For such a row the first of those states is
    named, so the breach is reported at the failure target, in a state where it happens.

    Parameters
    ----------
    p : RoutedPlane
    cap_state : int
        The row's entry in the model's ``cap_state``.
    arc : int
        The arc the row guards.

    Returns
    -------
    str
        ``"none"`` or the name of a failure state of ``p``.
    """
    if cap_state == -1:
        return "none"
    states = p.paths.states
    if cap_state >= 0:
        return states[cap_state].name
    m, g = p.model, p.graph
    # States with a capacity row of their own on the arc reroute flows over it.
    rerouted = set(m.cap_state[(m.cap_arc == arc) & (m.cap_state >= 0)].tolist())
    ends = {int(g.arc_src[arc]), int(g.arc_dst[arc])}
    link = int(g.arc_link[arc])
    for s, state in enumerate(states):
        if s in rerouted or link in state.links or ends & set(state.nodes):
            continue
        return state.name
    # Not reached: the model adds such a row only for arcs some state leaves alone.
    return states[0].name if states else "none"


def diagnosis_items(
    p: RoutedPlane,
    yi: int,
    year: int,
    sol_allowed: np.ndarray,
    diag: Diagnosis,
    states: ModuleStates,
    catalogue: TierCatalogue,
) -> list[dict]:
    """Infeasibility items from the slack LPs: overloaded links, then unserved demand.

    Parameters
    ----------
    p : RoutedPlane
    yi : int
        The year (index).
    year : int
    sol_allowed : (L, S) bool
        The states each link could take that year.
    diag : Diagnosis
    states : ModuleStates
    catalogue : TierCatalogue

    Returns
    -------
    list of dict
    """
    items: list[dict] = []
    m = p.model
    g = p.graph
    worst: dict[int, tuple[float, int]] = {}
    for row in np.flatnonzero(diag.overload_gbps > 0):
        li = int(g.arc_link[m.cap_arc[row]])
        if diag.overload_gbps[row] > worst.get(li, (0.0, -1))[0]:
            worst[li] = (float(diag.overload_gbps[row]), int(row))
    for li, (sigma, row) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        s, a = int(m.cap_state[row]), int(m.cap_arc[row])
        failure = _row_failure(p, s, a)
        target = m.u_normal if s == -1 else m.u_failure
        top = np.flatnonzero(sol_allowed[li])
        k = int(top[np.argmax(states.capacity_gbps[top])])
        cap = float(states.capacity_gbps[k])
        tier = _state_name(catalogue, states, k) if k else "nothing"
        where = failure_phrase(failure)
        load = float(diag.overload_load_gbps[row])
        items.append(
            infeasibility(
                "link",
                p.links[li].id,
                year,
                f"{where}: {load:.3f} Gbit/s {g.node_ids[g.arc_src[a]]}→"
                f"{g.node_ids[g.arc_dst[a]]} needs {load / target:.3f} Gbit/s at the "
                f"{target:.0%} target even with routing free over the candidate paths; "
                f"the largest state allowed is {tier} = {cap:g} Gbit/s",
                sigma / target,
                plane=p.name,
                failure=failure,
                overload_gbps=sigma,
            )
        )
    for od in np.flatnonzero(diag.unserved_gbps > 0):
        items.append(_unserved_item(p, yi, year, int(od), "none", float(diag.unserved_gbps[od])))
    for i in np.flatnonzero(diag.state_unserved_gbps > 0):
        od = int(m.sd_od[i])
        items.append(
            _unserved_item(
                p,
                yi,
                year,
                od,
                p.paths.states[int(m.sd_state[i])].name,
                float(diag.state_unserved_gbps[i]),
            )
        )
    return items


def _od_id(p: RoutedPlane, od: int) -> str:
    g, cp = p.graph, p.paths
    return demand_id(g.node_ids[cp.od_src[od]], g.node_ids[cp.od_dst[od]])


def _unserved_item(
    p: RoutedPlane, yi: int, year: int, od: int, state: str, amount: float
) -> dict:
    return infeasibility(
        "demand",
        _od_id(p, od),
        year,
        f"{failure_phrase(state)}: {amount:.3f} of its {p.peak_gbps[yi, od]:.3f} Gbit/s cannot "
        "be carried within the targets even at the largest capacities",
        amount,
        plane=p.name,
        failure=state,
    )


def lost_items(p: RoutedPlane, year: int, yi: int) -> list[dict]:
    """Demand no capacity can carry: cut off by a failure, or at a node that is down.

    Parameters
    ----------
    p : RoutedPlane
    year : int
    yi : int
        The year's index (its peak demand is reported).

    Returns
    -------
    list of dict
    """
    items: list[dict] = []
    cp = p.paths
    peak = p.peak_gbps[yi]
    for od in np.flatnonzero(cp.unreachable & (peak > 0)):
        items.append(
            infeasibility(
                "demand",
                _od_id(p, od),
                year,
                "no path joins its ends, even over the candidate links",
                float(peak[od]),
                plane=p.name,
                failure="none",
            )
        )
    for od in np.flatnonzero(p.gone_peak_gbps[yi] > 0):
        items.append(
            infeasibility(
                "demand",
                _od_id(p, od),
                year,
                "an end node is failed for the whole scenario: its traffic is lost",
                float(p.gone_peak_gbps[yi, od]),
                plane=p.name,
                failure="scenario",
            )
        )
    for s, state in enumerate(cp.states):
        for od in np.flatnonzero((cp.lost[s] | cp.dropped[s]) & (peak > 0)):
            why = (
                "its end node fails: the traffic has nowhere to go"
                if cp.dropped[s, od]
                else "disconnects it: no path survives, even over the candidate links"
            )
            items.append(
                infeasibility(
                    "demand",
                    _od_id(p, od),
                    year,
                    f"{state.name} {why}",
                    float(peak[od]),
                    plane=p.name,
                    failure=state.name,
                )
            )
    return items
