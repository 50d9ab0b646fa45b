"""The optimizer's front door (``egov-netplan optimize``): one call, either routing mode.

:func:`optimize` hands the network and scenario to the fixed-routing planner
(:mod:`netplan.optimize.fixed.planner`) or to the routed planner
(:mod:`netplan.optimize.routed.planner`); both return a :class:`~netplan.optimize.plan.Plan`.
"""

from __future__ import annotations

from netplan.errors import Problem, ValidationError
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology
from netplan.optimize.fixed.planner import optimize_fixed
from netplan.optimize.plan import Plan
from netplan.optimize.routed.planner import optimize_routed

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
) -> Plan:
    """The cheapest plan of link tiers and racks, per year, meeting every target.

    Parameters
    ----------
    topology, scenario
        The network and the scenario (its years, failure policy, targets, discount rate).
    routing : {"fixed", "optimized"}
        ``fixed``: the network's own shortest-path/ECMP routing (exact). ``optimized``:
        routing is a decision too (path-based MILP, see :mod:`netplan.optimize.routed.planner`).
    time_limit_s, gap : float
        Limits for the MILP in optimized mode.
    check : bool
        Re-analyse the sized network independently (recommended; on by default).

    Returns
    -------
    Plan
        A :class:`~netplan.optimize.plan.RoutedPlan` in optimized mode.

    Raises
    ------
    ValidationError
        For a routing mode other than ``fixed`` or ``optimized``.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> plan = optimize(topo, s)
    >>> plan.status, plan.check["passed"], all(r["reason"] for r in plan.purchases())
    ('optimal', True, True)
    """
    if routing == "optimized":
        return optimize_routed(topology, scenario, time_limit_s=time_limit_s, gap=gap, check=check)
    if routing != "fixed":
        raise ValidationError(
            [Problem("--routing", "", f"unknown routing {routing!r}; choose fixed or optimized")]
        )
    return optimize_fixed(topology, scenario, check=check)
