"""netplan: capacity planning for the Chongqing e-government networks.

The flow, in the names at the top of the package::

    topology = netplan.load_topology(path)              # validated, immutable model
    scenario = netplan.load_scenario(path, topology)
    demand = netplan.build_demand(topology, scenario)   # Gbit/s per service, year, hour, od
    study = netplan.analyze(topology, scenario, demand=demand)   # every failure state
    plan = netplan.optimize(topology, scenario, demand=demand, study=study)
    sim = netplan.simulate(plan.sized_topology(topology), scenario, demand=demand)
    run = netplan.plan(topology, scenario)              # all of the above, with the report
    avail = netplan.availability(topology, scenario)    # downtime per district and plane

Each returns a frozen result with ``.save(directory)``. The names load lazily, so
``import netplan`` (and the command-line tool's start-up) stays fast.

Examples
--------
>>> import netplan
>>> topo = netplan.load_topology(netplan.default_topology_path())
>>> scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
>>> scenario.name
'baseline'
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

# public name -> (module, name there)
_LAZY = {
    "load_topology": ("netplan.io.topology_io", "load_topology"),
    "build_topology": ("netplan.io.topology_io", "build_topology"),
    "save_topology": ("netplan.io.topology_io", "save_topology"),
    "load_scenario": ("netplan.io.scenario_io", "load_scenario"),
    "build_scenario": ("netplan.io.scenario_io", "build_scenario"),
    "save_scenario": ("netplan.io.scenario_io", "save_scenario"),
    "build_demand": ("netplan.demand", "build_demand"),
    "analyze": ("netplan.analysis.study", "analyze"),
    "optimize": ("netplan.planning", "optimize"),
    "simulate": ("netplan.sim.scenario", "simulate_scenario"),
    "plan": ("netplan.run.pipeline", "plan"),
    "compare": ("netplan.run.compare", "compare_runs"),
    "load_run": ("netplan.io.run_dir", "load_run"),
    "availability": ("netplan.availability.api", "availability"),
    "equity": ("netplan.availability.equity", "equity"),
    "deduce": ("netplan.measured.deduce", "deduce"),
    "calibrate": ("netplan.measured.calibrate", "calibrate"),
    "Topology": ("netplan.model.topology", "Topology"),
    "Scenario": ("netplan.model.scenario", "Scenario"),
    "Demand": ("netplan.demand", "Demand"),
    "Study": ("netplan.analysis.study", "Study"),
    "Plan": ("netplan.planning", "Plan"),
    "PlanRun": ("netplan.run.pipeline", "PlanRun"),
    "NetplanError": ("netplan.errors", "NetplanError"),
    "ValidationError": ("netplan.errors", "ValidationError"),
}

__all__ = [*_LAZY, "default_topology_path", "default_scenario_path", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module 'netplan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def _data_dir(kind: str) -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / kind, here / "_data" / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"netplan's shipped {kind} folder is missing")


def default_topology_path(name: str = "chongqing") -> Path:
    """Path of a shipped topology (``chongqing`` or ``chongqing-2025``).

    Examples
    --------
    >>> default_topology_path().name
    'chongqing.yaml'
    """
    return _data_dir("topologies") / f"{name}.yaml"


def default_scenario_path(name: str = "baseline") -> Path:
    """Path of a shipped scenario (``baseline``, ``growth-5y``, ``video-surge`` …).

    Examples
    --------
    >>> default_scenario_path("n-1-audit").name
    'n-1-audit.yaml'
    """
    return _data_dir("scenarios") / f"{name}.yaml"
