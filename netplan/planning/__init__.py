"""Capacity planning: the optimizer's entry point and the plan it returns.

``netplan.planning.optimize`` (:mod:`netplan.planning.api`) sizes every link and data centre
year by year and returns a :class:`~netplan.planning.plan.Plan`. The planners themselves live
in :mod:`netplan.planning.fixed` (the network's own routing) and
:mod:`netplan.planning.routed` (routing as a decision too); the network-design MILPs for
SNDlib instances in :mod:`netplan.planning.design`. Both names load on first use, so
importing this package stays light.
"""

from __future__ import annotations

__all__ = ["Plan", "optimize"]


def __getattr__(name: str):
    if name == "optimize":
        from netplan.planning.api import optimize

        return optimize
    if name == "Plan":
        from netplan.planning.plan import Plan

        return Plan
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
