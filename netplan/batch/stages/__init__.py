"""Stages: what a batch runs on each variant — the registry and the stages shipped with it.

A stage is a plain function ``(topology, scenario, seed, options) -> StageOutput`` registered
under a name with :func:`register_stage`, with an optional pydantic model for its options
(validated when the batch is loaded). Adding a stage is adding one function::

    @register_stage("busy-hour", description="Busy-hour demand of the last year.")
    def busy_hour_stage(topology, scenario, seed, options):
        demand = build_demand(topology, scenario)
        return StageOutput(metrics={"total_gbps": ...})

The stages shipped here are ``demand``, ``analyze``, ``simulate``, ``optimize`` (the
least-cost plan of link tiers and racks) and ``plan`` (the main job: analysis, plan and the
user experience of the sized network); importing this package registers them.

- :mod:`netplan.batch.stages.registry` — :class:`Stage`, :func:`register_stage`,
  :class:`LabelledArray`, :class:`StageOutput`;
- :mod:`netplan.batch.stages.demand`, :mod:`~netplan.batch.stages.analyze`,
  :mod:`~netplan.batch.stages.simulate`, :mod:`~netplan.batch.stages.optimize`,
  :mod:`~netplan.batch.stages.plan` — one stage each.

Stage functions must be importable module-level functions: process pools and Dask send
them to workers by reference.
"""

from __future__ import annotations

from netplan.batch.stages.analyze import (
    LINK_YEAR_ARRAYS,
    AnalyzeOptions,
    analyze_stage,
    link_planes,
)
from netplan.batch.stages.demand import demand_stage
from netplan.batch.stages.optimize import COST_NOTE, OptimizeOptions, optimize_stage, plan_output
from netplan.batch.stages.plan import PlanOptions, plan_stage
from netplan.batch.stages.registry import (
    LabelledArray,
    NoOptions,
    Stage,
    StageFunction,
    StageOutput,
    available_stages,
    check_options,
    get_stage,
    register_stage,
    unregister_stage,
)
from netplan.batch.stages.simulate import SimulateOptions, simulate_stage, simulation_output

__all__ = [
    "COST_NOTE",
    "LINK_YEAR_ARRAYS",
    "AnalyzeOptions",
    "LabelledArray",
    "NoOptions",
    "OptimizeOptions",
    "PlanOptions",
    "SimulateOptions",
    "Stage",
    "StageFunction",
    "StageOutput",
    "analyze_stage",
    "available_stages",
    "check_options",
    "demand_stage",
    "get_stage",
    "link_planes",
    "optimize_stage",
    "plan_output",
    "plan_stage",
    "register_stage",
    "simulate_stage",
    "simulation_output",
    "unregister_stage",
]
