"""What capacity each link needs in each year, and which constraint forces it.

With the network's own routing (shortest paths, ECMP), a link's load in a failure state does
not depend on its capacity, so the capacity a link needs in year *y* is exact::

    required = max( worst load without failure / max_utilisation_normal,
                    worst load under any failure of the policy / max_utilisation_failure )

over every hour of that year. The binding term names the reason: the failure state, hour,
year and scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from netplan.analysis.sweep import PlaneSweep
from netplan.demand import HOURS
from netplan.model.scenario import Scenario


@dataclass(frozen=True)
class Binding:
    """The constraint that sets a link's requirement in one year."""

    failure: str
    hour: int
    year: int
    scenario: str
    load_gbps: float
    target_utilisation: float


@dataclass(frozen=True, eq=False)
class LinkRequirements:
    """Required capacity per (link, year) of one plane, with the binding constraint."""

    plane: str
    link_ids: tuple[str, ...]
    years: tuple[int, ...]
    required_gbps: np.ndarray  # (L, Y)
    binding: tuple[tuple[Binding, ...], ...]  # [link][year]
    lost: tuple[dict, ...]  # demand a failure disconnects (no capacity can carry it)


def link_requirements(
    scenario: Scenario, plane_sweeps: Sequence[PlaneSweep]
) -> dict[str, LinkRequirements]:
    """Required capacity of every built link in every year, per plane.

    Parameters
    ----------
    scenario : Scenario
        Its targets set the utilisation each state may reach.
    plane_sweeps : sequence of PlaneSweep
        The scenario's sweep year by year
        (:func:`netplan.analysis.sweep.sweep_scenario` with ``by_year=True``, or
        :meth:`netplan.analysis.study.Study.year_sweeps`).

    Returns
    -------
    dict of str to LinkRequirements
        Per plane: the required capacity of each link in each year, the constraint that
        binds it, and the demand a failure disconnects in the last year.

    Examples
    --------
    >>> import netplan
    >>> from netplan.analysis.sweep import sweep_scenario
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> sweeps = sweep_scenario(netplan.build_demand(topo, s), ("n-1",), by_year=True)
    >>> r = link_requirements(s, sweeps)["extranet"]
    >>> r.required_gbps.shape == (len(r.link_ids), 1)
    True
    """
    normal_target = scenario.targets.max_utilisation_normal
    failure_target = scenario.targets.max_utilisation_failure
    out: dict[str, LinkRequirements] = {}
    for ps in plane_sweeps:
        plane, pd, graph, states = ps.plane, ps.demand, ps.graph, ps.states
        targets = np.array([normal_target] + [failure_target] * (len(states) - 1))
        L, Y = graph.n_links, len(pd.years)
        required = np.zeros((L, Y))
        binding: list[list[Binding]] = [[None] * Y for _ in range(L)]  # type: ignore[list-item]
        lost: list[dict] = []
        for yi, (year, sweep) in enumerate(zip(pd.years, ps.sweeps, strict=True)):
            # Capacity each (state, arc) asks for; the largest names the reason.
            state_of_arc, arc_need = _largest_need(sweep, targets)
            arc_of_link = _first_largest_per_link(graph.arc_link, arc_need, L)
            si_of_link = state_of_arc[arc_of_link]
            load, sample = sweep.arc_changes.values_at(si_of_link, arc_of_link)
            required[:, yi] = arc_need[arc_of_link]
            for li in range(L):
                si = int(si_of_link[li])
                binding[li][yi] = Binding(
                    failure=states[si].name,
                    hour=int(sample[li]) % HOURS,
                    year=year,
                    scenario=scenario.name,
                    load_gbps=float(load[li]),
                    target_utilisation=float(targets[si]),
                )
            if yi == Y - 1:
                lost += _lost_items(plane, graph, states, sweep, year)
        out[plane] = LinkRequirements(
            plane=plane,
            link_ids=graph.link_ids,
            years=pd.years,
            required_gbps=required,
            binding=tuple(tuple(row) for row in binding),
            lost=tuple(lost),
        )
    return out


def _largest_need(sweep, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per arc: the first state asking the most capacity (load / target), and that capacity.

    Streams over blocks of states: no (states x arcs) array is held.
    """
    m = sweep.graph.n_arcs
    best = np.full(m, -np.inf)
    state = np.zeros(m, dtype=np.int64)
    for lo, hi in sweep.state_blocks(m):
        need = sweep.state_rows(lo, hi)[0] / targets[lo:hi, None]
        top = np.argmax(need, axis=0)
        value = need[top, np.arange(m)]
        better = value > best  # strictly: the earliest state keeps a tie, as argmax does
        best[better], state[better] = value[better], lo + top[better]
    return state, best


def _first_largest_per_link(arc_link: np.ndarray, arc_need: np.ndarray, n_links: int
                            ) -> np.ndarray:
    """The arc of each link needing the most capacity (the first of its arcs on ties)."""
    arcs = np.arange(arc_link.size)
    order = np.lexsort((arcs, -arc_need, arc_link))
    first = np.r_[True, arc_link[order][1:] != arc_link[order][:-1]]
    out = np.zeros(n_links, dtype=np.int64)
    out[arc_link[order][first]] = order[first]
    return out


def _lost_items(plane: str, graph, states, sweep, year: int) -> list[dict]:
    """Demand a failure disconnects, per (state, od) in state order.

    An od lost without any failure (its end node is down for the whole scenario) is one
    item, not one per failure state.
    """
    si, oi, gbps = sweep.lost_pairs()
    lost_anyway = oi[si == 0]
    keep = (si == 0) | ~np.isin(oi, lost_anyway)
    return [
        {
            "plane": plane,
            "failure": states[s].name,
            "origin": graph.node_ids[sweep.od_src[o]],
            "destination": graph.node_ids[sweep.od_dst[o]],
            "lost_gbps": float(g),
            "year": year,
        }
        for s, o, g in zip(si[keep].tolist(), oi[keep].tolist(), gbps[keep].tolist(),
                           strict=True)
    ]
