"""The ``simulate`` stage: blocking and response times per service and hour."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from netplan.batch.stages.registry import LabelledArray, StageOutput, register_stage
from netplan.model.scenario import Hour, Scenario
from netplan.model.topology import Frozen, Topology


class SimulateOptions(Frozen):
    """Options of the ``simulate`` stage (defaults: the scenario's simulation settings)."""

    method: Literal["analytic", "simulate"] = Field(
        "analytic", description="Closed forms (fast, for sweeps) or the event simulator."
    )
    replications: int | None = Field(None, ge=2, le=1000)
    hours: list[Hour] | None = Field(None, min_length=1)
    duration_s: float | None = Field(None, gt=0, le=86400)
    warmup_s: float | None = Field(None, ge=0, le=86400)
    year: int | None = Field(None, description="Demand year; default: the horizon's last.")


_SIM_MEASURES = ("blocking", "response_mean_s", "response_p95_s")


@register_stage(
    "simulate",
    options=SimulateOptions,
    description="Blocking and response times per service (closed forms or simulation).",
)
def simulate_stage(
    topology: Topology, scenario: Scenario, seed: int, options: SimulateOptions
) -> StageOutput:
    """Blocking and response times per service and hour, from :mod:`netplan.sim`.

    The variant's seed drives the simulator, so every variant is repeatable. Metrics hold,
    per service, the worst hour's mean (``<service>_blocking`` …) and the number of services
    that miss a target; arrays hold every measure per service and hour.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> out = simulate_stage(topo, s, 1, SimulateOptions())
    >>> out.arrays["blocking"].axes, out.metrics["services_missing_target"]
    (('service', 'hour'), 0)
    """
    from netplan.sim.scenario import simulate_scenario

    result = simulate_scenario(
        topology,
        scenario,
        method=options.method,
        seed=seed,
        replications=options.replications,
        hours=options.hours,
        duration_s=options.duration_s,
        warmup_s=options.warmup_s,
        year=options.year,
    )
    metrics, arrays, table = simulation_output(result)
    return StageOutput(
        metrics={"method": options.method, **metrics},
        arrays=arrays,
        tables={"services": table},
    )


def simulation_output(result) -> tuple[dict[str, Any], dict[str, LabelledArray], list[dict]]:
    """Metrics, per service-and-hour arrays and the services table of a simulation result.

    Parameters
    ----------
    result
        What :func:`netplan.sim.scenario.simulate_scenario` returns.

    Returns
    -------
    metrics : dict
        Per service and measure, the worst hour's mean (``<service>_<measure>``), and
        ``services_missing_target``.
    arrays : dict of LabelledArray
        ``blocking``, ``response_mean_s``, ``response_p95_s`` with axes (service, hour).
    table : list of dict
        One row per service and hour.
    """
    rows = result.summary["services"]
    services = tuple(dict.fromkeys(r["service"] for r in rows))
    hours = tuple(sorted({int(r["hour"]) for r in rows}))
    values = {m: np.full((len(services), len(hours)), np.nan) for m in _SIM_MEASURES}
    missing: set[str] = set()
    table = []
    for r in rows:
        i, j = services.index(r["service"]), hours.index(int(r["hour"]))
        for m in _SIM_MEASURES:
            mean = r[m]["mean"]
            values[m][i, j] = np.nan if mean is None else float(mean)
        if r["meets_target"] is False:
            missing.add(r["service"])
        table.append(
            {
                "service": r["service"],
                "hour": int(r["hour"]),
                **{m: r[m]["mean"] for m in _SIM_MEASURES},
                **{f"{m}_method": r[m]["method"] for m in _SIM_MEASURES},
                "meets_target": r["meets_target"],
            }
        )
    metrics: dict[str, Any] = {}
    for m in _SIM_MEASURES:
        for i, service in enumerate(services):
            known = values[m][i][np.isfinite(values[m][i])]
            metrics[f"{service}_{m}"] = float(known.max()) if known.size else None
    metrics["services_missing_target"] = len(missing)
    labels = (services, hours)
    arrays = {
        m: LabelledArray(
            values[m], ("service", "hour"), labels, "fraction" if m == "blocking" else "s"
        )
        for m in _SIM_MEASURES
    }
    return metrics, arrays, table
