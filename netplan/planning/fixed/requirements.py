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
            need = sweep.state_arc_load_gbps / targets[:, None]
            state_of_arc = np.argmax(need, axis=0)
            arc_need = need[state_of_arc, np.arange(graph.n_arcs)]
            for li in range(L):
                arcs = np.flatnonzero(graph.arc_link == li)
                arc = int(arcs[np.argmax(arc_need[arcs])])
                si = int(state_of_arc[arc])
                required[li, yi] = arc_need[arc]
                binding[li][yi] = Binding(
                    failure=states[si].name,
                    hour=int(sweep.state_arc_sample[si, arc]) % HOURS,
                    year=year,
                    scenario=scenario.name,
                    load_gbps=float(sweep.state_arc_load_gbps[si, arc]),
                    target_utilisation=float(targets[si]),
                )
            if yi == Y - 1:
                lost_gbps = sweep.lost_gbps.copy()
                # An od lost without any failure (its end node is down for the whole
                # scenario) is one item, not one per failure state.
                lost_gbps[1:, lost_gbps[0] > 0] = 0.0
                for si, oi in zip(*np.nonzero(lost_gbps > 0), strict=True):
                    lost.append(
                        {
                            "plane": plane,
                            "failure": states[si].name,
                            "origin": graph.node_ids[sweep.od_src[oi]],
                            "destination": graph.node_ids[sweep.od_dst[oi]],
                            "lost_gbps": float(lost_gbps[si, oi]),
                            "year": year,
                        }
                    )
        out[plane] = LinkRequirements(
            plane=plane,
            link_ids=graph.link_ids,
            years=pd.years,
            required_gbps=required,
            binding=tuple(tuple(row) for row in binding),
            lost=tuple(lost),
        )
    return out
