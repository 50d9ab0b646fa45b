"""Independent check of a fixed-routing plan: the analysis core re-run on the sized network.

The optimizer never grades its own work. Every planning year, the network with the links at
the plan's capacities is analysed again by :func:`netplan.analysis.study.analyze` in every
failure state of the scenario's policy, with that year's demand, and any link above its
utilisation target is reported as a breach.

The network sized is the one the scenario's overrides made, as the planner sized it: links
added by ``add_link`` are there at the plan's capacity, links re-tiered by ``set_tier``
keep what the plan bought on top, and removed links stay removed.
"""

from __future__ import annotations

from collections.abc import Sequence

from netplan.analysis.study import analyze
from netplan.model.scenario import ScaleService, Scenario
from netplan.model.topology import Topology
from netplan.model.whatif import apply_overrides, without_link_overrides
from netplan.planning.plan import sized_topology

__all__ = ["grown_scenario", "independent_check"]


def independent_check(topology: Topology, scenario: Scenario, plan_rows: Sequence[dict]) -> dict:
    """Re-run the analysis core on the sized network, year by year, and report any breach.

    Parameters
    ----------
    topology, scenario
        The network and scenario the plan was made for (the topology as loaded: the
        scenario's overrides are applied here).
    plan_rows : sequence of dict
        Rows as in :attr:`netplan.planning.plan.Plan.rows`.

    Returns
    -------
    dict
        ``method``, ``years_checked``, ``failure_policy``, ``passed`` and ``breaches``
        (year, link, plane, utilisations and the failure that causes the worst one).
    """
    policy = scenario.failure_policy
    breaches = []
    # Size the network the overrides made; its link overrides are then already applied
    # and must not be applied again over the plan's capacities.
    network = apply_overrides(topology, scenario).topology
    on_network = without_link_overrides(scenario)
    for yi, year in enumerate(scenario.years):
        sized = sized_topology(network, plan_rows, year)
        single_year = on_network.model_copy(update={"base_year": year, "horizon_years": 0})
        # The year's demand is the base demand grown by yi years: scale each service.
        grown = grown_scenario(single_year, on_network, yi)
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
        "method": "netplan.analyze on the sized network, every year and failure state",
        "years_checked": list(scenario.years),
        "failure_policy": list(policy),
        "passed": not breaches,
        "breaches": breaches,
    }


def grown_scenario(single_year: Scenario, scenario: Scenario, offset: int) -> Scenario:
    """``single_year`` with every service of ``scenario`` grown by ``offset`` years.

    Parameters
    ----------
    single_year : Scenario
        The scenario restricted to one year (its base year, no horizon).
    scenario : Scenario
        The full scenario, whose growth rates and overrides apply.
    offset : int
        Years since the scenario's base year.

    Returns
    -------
    Scenario
    """
    extra = tuple(
        ScaleService(
            action="scale_service",
            service=s.id,
            factor=(1.0 + scenario.growth_per_year.get(s.id, s.growth_per_year)) ** offset,
        )
        for s in scenario.services
    )
    return single_year.model_copy(update={"overrides": (*scenario.overrides, *extra)})
