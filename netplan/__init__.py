"""netplan: capacity planning for the Chongqing e-government networks.

The public API loads lazily, so ``import netplan`` (and the command-line tool's start-up)
stays fast; heavy modules load on first use.

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

_LAZY = {
    "load_topology": "netplan.io.topology_io",
    "build_topology": "netplan.io.topology_io",
    "save_topology": "netplan.io.topology_io",
    "load_scenario": "netplan.io.scenario_io",
    "build_scenario": "netplan.io.scenario_io",
    "save_scenario": "netplan.io.scenario_io",
    "Topology": "netplan.model.topology",
    "Scenario": "netplan.model.scenario",
    "NetplanError": "netplan.errors",
    "ValidationError": "netplan.errors",
}

__all__ = [*_LAZY, "default_topology_path", "default_scenario_path", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'netplan' has no attribute {name!r}")


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
