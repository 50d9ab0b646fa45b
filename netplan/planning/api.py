"""The optimizer's front door (``egov-netplan optimize``): one call, either routing mode.

:func:`optimize` hands the network and scenario to the fixed-routing planner
(:mod:`netplan.planning.fixed.planner`) or to the routed planner
(:mod:`netplan.planning.routed.planner`); both return a :class:`~netplan.planning.plan.Plan`.
"""

from __future__ import annotations

from dataclasses import replace

from netplan.analysis.failures import StepProgress
from netplan.analysis.study import Study
from netplan.analysis.sweep import sweep_progress
from netplan.demand import Demand, build_demand
from netplan.errors import Problem, ValidationError
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology
from netplan.planning.availability_step import (
    AvailabilityChoice,
    build_links,
    choose_links,
    missed_item,
    with_builds,
    worst_per_district,
)
from netplan.planning.fixed.planner import optimize_fixed
from netplan.planning.plan import Plan
from netplan.planning.routed.planner import optimize_routed

__all__ = ["ROUTINGS", "optimize"]

ROUTINGS = ("fixed", "optimized")


def optimize(
    topology: Topology,
    scenario: Scenario,
    routing: str = "fixed",
    *,
    time_limit_s: float = 120.0,
    gap: float = 0.01,
    check: bool = True,
    demand: Demand | None = None,
    study: Study | None = None,
    progress: StepProgress | None = None,
    availability: AvailabilityChoice | None = None,
) -> Plan:
    """The cheapest plan of link tiers and racks, per year, meeting every target.

    Parameters
    ----------
    topology, scenario
        The network and the scenario (its years, failure policy, targets, discount rate).
    routing : {"fixed", "optimized"}
        ``fixed``: the network's own shortest-path/ECMP routing (exact). ``optimized``:
        routing is a decision too (path-based MILP, see :mod:`netplan.planning.routed.planner`).
    time_limit_s, gap : float
        Limits for the MILP in optimized mode.
    check : bool
        Re-analyse the sized network independently (recommended; on by default).
    demand : Demand, optional
        The scenario's demand from :func:`netplan.build_demand`; built here when not given.
    study : Study, optional
        The scenario's analysis from :func:`netplan.analyze`, under its own failure
        policy: the fixed planner sizes from its sweep instead of sweeping again.
    progress : callable, optional
        ``progress(done, total, message)`` from inside the long steps: each MILP solve in
        optimized mode, each batch of failure states the fixed planner sweeps.
    availability : AvailabilityChoice, optional
        The candidate links the scenario's availability targets need
        (:func:`netplan.planning.availability_step.choose_links`), when already chosen.
        With targets set (``scenario.availability``), fixed routing builds them first and
        sizes the network with them built; their build charge and the districts they bring
        to target are in the plan's rows, and a target no link can reach is an
        infeasibility (``item`` ``availability``) with its diagnosis. Optimized routing
        does not buy for availability: targets its plan misses are infeasibilities.

    Returns
    -------
    Plan
        A :class:`~netplan.planning.plan.RoutedPlan` in optimized mode.

    Raises
    ------
    ValidationError
        For a routing mode other than ``fixed`` or ``optimized``.
    ValueError
        For a study of other scenarios, or under another failure policy.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> plan = optimize(topo, s)
    >>> plan.status, plan.check["passed"], all(r["reason"] for r in plan.purchases())
    ('optimal', True, True)
    """
    if routing not in ROUTINGS:
        raise ValidationError(
            [Problem("--routing", "", f"unknown routing {routing!r}; choose fixed or optimized")]
        )
    if study is not None:
        _check_study(study, scenario)
        demand = study.demand(scenario.name)
    # The sweeps made on the way (the fixed planner's, a fallback's) report to it too.
    with sweep_progress(progress):
        if routing == "optimized":
            plan = optimize_routed(topology, scenario, time_limit_s=time_limit_s, gap=gap,
                                   check=check, demand=demand, progress=progress)
            return _routed_availability(plan, topology, scenario, demand)
        if scenario.availability is None:
            return optimize_fixed(topology, scenario, check=check, demand=demand, study=study)
        return _fixed_with_targets(topology, scenario, check=check, demand=demand, study=study,
                                   choice=availability)


def _fixed_with_targets(topology: Topology, scenario: Scenario, *, check: bool,
                        demand: Demand | None, study: Study | None,
                        choice: AvailabilityChoice | None) -> Plan:
    """The fixed-routing plan of a scenario with availability targets: the candidate links
    they need are built first, then the network is sized with them."""
    if demand is None:
        demand = build_demand(topology, scenario)
    if choice is None:
        choice = choose_links(topology, scenario, demand=demand)
    if not choice.built:
        plan = optimize_fixed(topology, scenario, check=check, demand=demand, study=study)
        return with_builds(plan, choice, demand.whatif.topology)
    built_topology, built_scenario = build_links(topology, scenario, choice.built)
    # The study swept the network without them: the sizing sweeps the one with them.
    network, _ = build_links(demand.whatif.topology, scenario, choice.built)
    built_demand = replace(demand, whatif=replace(demand.whatif, topology=network))
    plan = optimize_fixed(built_topology, built_scenario, check=check, demand=built_demand)
    return with_builds(plan, choice, network)


def _routed_availability(plan: Plan, topology: Topology, scenario: Scenario,
                         demand: Demand | None) -> Plan:
    """A routed plan with the availability targets it misses as infeasibilities."""
    if scenario.availability is None:
        return plan
    choice = choose_links(topology, scenario, demand=demand)
    bought = [r["id"] for r in plan.rows if r["item"] == "link" and r["build_capex_cny"] > 0]
    after = choice.model.evaluate(bought) if bought else choice.before
    items = [missed_item(r, plan.years[0], "the optimized routing mode does not buy links "
                         "for availability targets (the fixed mode does)")
             for r in worst_per_district(after.misses(), "judged_lower_bound")]
    if not items:
        return plan
    return replace(plan, status="infeasible" if plan.status == "optimal" else plan.status,
                   infeasibilities=(*plan.infeasibilities, *items))


def _check_study(study: Study, scenario: Scenario) -> None:
    """A study can stand in for the planner's own sweep only if it swept the same thing."""
    if scenario.name not in study.scenarios:
        raise ValueError(f"the study does not cover scenario {scenario.name!r}")
    policy = study.policies[study.scenarios.index(scenario.name)]
    if tuple(policy) != tuple(scenario.failure_policy):
        raise ValueError(f"the study swept failures {list(policy)}; the plan needs the "
                         f"scenario's own policy {list(scenario.failure_policy)}")
