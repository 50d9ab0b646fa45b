"""The ``plan`` stage: what ``egov-netplan plan`` computes for one variant, without the report."""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
from pydantic import Field

from netplan.batch.stages.optimize import OptimizeOptions, plan_output
from netplan.batch.stages.registry import LabelledArray, StageOutput, register_stage
from netplan.batch.stages.simulate import simulation_output
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology

log = logging.getLogger("netplan.batch.stages")


class PlanOptions(OptimizeOptions):
    """Options of the ``plan`` stage (as ``egov-netplan plan``)."""

    sim: Literal["analytic", "simulate", "none"] = Field(
        "analytic",
        description="How the sized network's user experience is checked: closed forms, the "
        "event simulator (seeded by the variant) or not at all.",
    )


@register_stage(
    "plan",
    options=PlanOptions,
    description="The main job per variant: analysis, least-cost plan, user experience after it.",
)
def plan_stage(
    topology: Topology, scenario: Scenario, seed: int, options: PlanOptions
) -> StageOutput:
    """What ``egov-netplan plan`` computes, for one variant, without the report.

    Runs :func:`netplan.plan` (the main job without its report): the worst-case analysis of the
    installed network, the least-cost plan, and the user experience of the sized network in
    the horizon's last year. Metrics: the analysis's ``max_worst_utilisation``,
    ``most_loaded_link``, ``links_over_target`` (before the plan) and
    ``failures_that_disconnect_demand``; every metric of the ``optimize`` stage;
    ``links_over_target_after_plan`` (from the independent check); and, unless ``sim`` is
    ``none``, ``services_missing_target`` after the plan and each service's worst blocking
    and response times. Arrays: those of ``optimize``, ``installed_worst_utilisation``
    [link], and ``blocking``, ``response_mean_s``, ``response_p95_s`` [service, hour].

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> out = plan_stage(topo, s, 0, PlanOptions(check=False))
    >>> out.metrics["plan_status"], out.metrics["services_missing_target"]
    ('optimal', 0)
    """
    from netplan.run.pipeline import plan

    run = plan(
        topology,
        scenario,
        routing=options.routing,
        time_limit_s=options.time_limit_s,
        gap=options.gap,
        sim=options.sim,
        check=options.check,
        progress=_quiet,
    )
    study, sized_plan, simulation = run.study, run.plan, run.simulation
    planned = plan_output(topology, scenario, sized_plan, options.check)
    summary = study.summary()
    worst = study.worst_case()
    top = summary["most_loaded_link"]
    metrics: dict[str, Any] = {
        "max_utilisation_normal": scenario.targets.max_utilisation_normal,
        "max_utilisation_failure": scenario.targets.max_utilisation_failure,
        "max_worst_utilisation": float(summary["max_worst_utilisation"]),
        "most_loaded_link": top["link"] if top else "",
        "links_over_target": int(summary["links_over_target"]),
        "failures_that_disconnect_demand": int(summary["failures_that_disconnect_demand"]),
        **planned.metrics,
        "links_over_target_after_plan": (
            len({b["link"] for b in sized_plan.check.get("breaches", [])}) if options.check else None
        ),
        "sim_method": options.sim,
        "services_missing_target": None,
    }
    arrays = dict(planned.arrays)
    link_ids = tuple(r["link"] for r in worst)
    arrays["installed_worst_utilisation"] = LabelledArray(
        np.array([float(r["worst_utilisation"]) for r in worst]),
        ("link",),
        (link_ids,),
        "fraction",
    )
    tables = dict(planned.tables)
    tables["worst_case"] = [
        {
            k: r[k]
            for k in (
                "link",
                "plane",
                "capacity_gbps",
                "worst_load_gbps",
                "worst_utilisation",
                "cause_failure",
                "cause_year",
                "cause_hour",
                "over_target",
            )
        }
        for r in worst
    ]
    if simulation is not None:
        sim_metrics, sim_arrays, sim_table = simulation_output(simulation)
        metrics.update(sim_metrics)
        arrays.update(sim_arrays)
        tables["services"] = sim_table
    return StageOutput(metrics=metrics, arrays=arrays, tables=tables)


def _quiet(stage: str, index: int, total: int) -> None:
    log.debug("plan stage step %d/%d: %s", index, total, stage)
