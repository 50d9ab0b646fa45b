"""The ``demand`` stage: busy-hour demand per service and year."""

from __future__ import annotations

from typing import Any

import numpy as np

from netplan.batch.stages.registry import LabelledArray, StageOutput, register_stage
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology


@register_stage("demand", description="Busy-hour demand per service and year (cheap).")
def demand_stage(topology: Topology, scenario: Scenario, seed: int, options: Any) -> StageOutput:
    """Busy-hour demand per service and year, and per plane in the final year.

    Examples
    --------
    >>> import netplan
    >>> from netplan.batch.stages.registry import NoOptions
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> out = demand_stage(topo, s, 0, NoOptions())
    >>> out.arrays["busy_hour_gbps"].axes
    ('service', 'year')
    """
    from netplan.demand import build_demand

    demand = build_demand(topology, scenario)
    years = scenario.years
    services: list[str] = []
    rows: list[np.ndarray] = []
    metrics: dict[str, Any] = {}
    total = 0.0
    for plane, pd in demand.planes.items():
        per_service = pd.gbps.sum(axis=-1).max(axis=-1)  # [service, year]: busy hour
        services += list(pd.services)
        rows.append(per_service)
        plane_busy = float(pd.total_gbps[-1].sum(axis=-1).max())
        metrics[f"{plane}_busy_hour_gbps"] = plane_busy
        total += plane_busy
    metrics["total_busy_hour_gbps"] = total
    values = np.vstack(rows) if rows else np.zeros((0, len(years)))
    table = [
        {"service": svc, "year": year, "busy_hour_gbps": float(values[i, j])}
        for i, svc in enumerate(services)
        for j, year in enumerate(years)
    ]
    return StageOutput(
        metrics=metrics,
        arrays={
            "busy_hour_gbps": LabelledArray(
                values, ("service", "year"), (tuple(services), tuple(years)), "Gbit/s"
            )
        },
        tables={"busy_hour": table},
    )
