"""The ``analyze`` stage: worst load and utilisation of every link, per year, over failures."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from netplan.batch.stages.registry import LabelledArray, StageOutput, register_stage
from netplan.model.scenario import FailurePolicy, Scenario
from netplan.model.topology import Frozen, Topology


class AnalyzeOptions(Frozen):
    """Options of the ``analyze`` stage."""

    failures: list[FailurePolicy] | None = Field(
        None, description="Failure policy; default: the scenario's failure_policy."
    )


LINK_YEAR_ARRAYS: tuple[str, ...] = (
    "worst_utilisation",
    "normal_utilisation",
    "failure_utilisation",
    "worst_load_gbps",
    "normal_load_gbps",
    "failure_load_gbps",
)
"""Arrays of the ``analyze`` stage with axes (link, year)."""


@register_stage(
    "analyze",
    options=AnalyzeOptions,
    description="Worst utilisation of every link in every year over the failures.",
)
def analyze_stage(
    topology: Topology, scenario: Scenario, seed: int, options: AnalyzeOptions
) -> StageOutput:
    """Worst load and utilisation of every link, per year, over hours and failure states.

    For each plane and each year the failure sweep runs on that year's 24 hourly samples,
    so the batch can say in which year a link first exceeds its target. ``normal_*`` is
    the no-failure state, ``failure_*`` the worst single failure state of the policy,
    ``worst_*`` the larger of the two. A link is over target in a year when its normal
    utilisation exceeds ``max_utilisation_normal`` or its failure utilisation exceeds
    ``max_utilisation_failure``.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> out = analyze_stage(topo, s, 0, AnalyzeOptions(failures=["n-1"]))
    >>> out.arrays["worst_utilisation"].axes, out.metrics["years"]
    (('link', 'year'), 1)
    """
    from netplan.analysis.sweep import sweep_scenario
    from netplan.demand import build_demand

    policy = tuple(options.failures) if options.failures else tuple(scenario.failure_policy)
    demand = build_demand(topology, scenario)
    years = scenario.years
    n_years = len(years)
    link_ids: list[str] = []
    planes: list[str] = []
    capacity: list[np.ndarray] = []
    per_plane: dict[str, list[np.ndarray]] = {name: [] for name in LINK_YEAR_ARRAYS}
    causes: list[tuple[str, int, int, str]] = []  # (link, year index, hour, failure)
    lost_max = 0.0
    disconnecting: set[tuple[str, str]] = set()
    for ps in sweep_scenario(demand, policy, by_year=True):
        arrays, plane_causes, plane_lost, plane_disconnecting = _plane_arrays(ps, n_years)
        causes += plane_causes
        lost_max = max(lost_max, plane_lost)
        disconnecting |= plane_disconnecting
        for name in LINK_YEAR_ARRAYS:
            per_plane[name].append(arrays[name])
        link_ids += list(ps.graph.link_ids)
        planes += [ps.plane] * ps.graph.n_links
        capacity.append(np.asarray(ps.graph.link_capacity_gbps, dtype=float))

    labels = (tuple(link_ids), tuple(years))
    out_arrays = {
        name: LabelledArray(
            np.vstack(blocks) if blocks else np.zeros((0, n_years)),
            ("link", "year"),
            labels,
            "Gbit/s" if name.endswith("_gbps") else "fraction",
        )
        for name, blocks in per_plane.items()
    }
    cap = np.concatenate(capacity) if capacity else np.zeros(0)
    out_arrays["capacity_gbps"] = LabelledArray(cap, ("link",), (tuple(link_ids),), "Gbit/s")

    t_normal = scenario.targets.max_utilisation_normal
    t_failure = scenario.targets.max_utilisation_failure
    normal = out_arrays["normal_utilisation"].values
    failure = out_arrays["failure_utilisation"].values
    worst = out_arrays["worst_utilisation"].values
    over = (normal > t_normal + 1e-12) | (failure > t_failure + 1e-12)  # [link, year]
    over_years = np.flatnonzero(over.any(axis=0))
    top = np.unravel_index(int(np.argmax(worst)), worst.shape) if worst.size else None
    metrics = {
        "max_utilisation_normal": t_normal,
        "max_utilisation_failure": t_failure,
        "years": n_years,
        "links": len(link_ids),
        "max_worst_utilisation": float(worst.max()) if worst.size else 0.0,
        "most_loaded_link": link_ids[top[0]] if top is not None else "",
        "links_over_target": int(over.any(axis=1).sum()),
        "links_over_target_final_year": int(over[:, -1].sum()) if over.size else 0,
        "first_year_over_target": int(years[over_years[0]]) if over_years.size else None,
        "failures_that_disconnect_demand": len(disconnecting),
        "max_lost_gbps": lost_max,
    }
    table = _links_table(link_ids, planes, years, out_arrays, over, causes)
    return StageOutput(metrics=metrics, arrays=out_arrays, tables={"links": table})


def _plane_arrays(
    ps, n_years: int
) -> tuple[dict[str, np.ndarray], list[tuple[str, int, int, str]], float, set[tuple[str, str]]]:
    """One plane's (link, year) arrays, worst causes, largest lost traffic and cut failures."""
    plane, graph, states = ps.plane, ps.graph, ps.states
    arrays = {name: np.zeros((graph.n_links, n_years)) for name in LINK_YEAR_ARRAYS}
    causes: list[tuple[str, int, int, str]] = []  # (link, year index, hour, failure)
    lost_max = 0.0
    disconnecting: set[tuple[str, str]] = set()
    for yi, sweep in enumerate(ps.sweeps):
        normal_load = graph.link_max(sweep.state_arc_load_gbps[0])
        failure_arcs = (
            sweep.state_arc_load_gbps[1:].max(axis=0)
            if len(states) > 1
            else np.zeros(graph.n_arcs)
        )
        arrays["normal_load_gbps"][:, yi] = normal_load
        arrays["failure_load_gbps"][:, yi] = graph.link_max(failure_arcs)
        arrays["normal_utilisation"][:, yi] = sweep.impact_utilisation[0]
        arrays["failure_utilisation"][:, yi] = (
            sweep.impact_utilisation[1:].max(axis=0)
            if len(states) > 1
            else np.zeros(graph.n_links)
        )
        arrays["worst_utilisation"][:, yi] = sweep.link_worst_utilisation
        arrays["worst_load_gbps"][:, yi] = sweep.link_worst_load_gbps
        for li, link_id in enumerate(graph.link_ids):
            causes.append(
                (
                    link_id,
                    yi,
                    int(sweep.link_cause_sample[li]),
                    sweep.states[int(sweep.link_cause_state[li])].name,
                )
            )
        lost = sweep.lost_gbps.sum(axis=1)
        if lost.size:
            lost_max = max(lost_max, float(lost.max()))
        disconnecting |= {(plane, sweep.states[i].name) for i in np.flatnonzero(lost > 0)}
    return arrays, causes, lost_max, disconnecting


def _links_table(
    link_ids: list[str],
    planes: list[str],
    years,
    out_arrays: dict[str, LabelledArray],
    over: np.ndarray,
    causes: list[tuple[str, int, int, str]],
) -> list[dict]:
    """The ``links`` table: one row per link and year, with the cause of its worst load."""
    cap = out_arrays["capacity_gbps"].values
    worst = out_arrays["worst_utilisation"].values
    normal = out_arrays["normal_utilisation"].values
    failure = out_arrays["failure_utilisation"].values
    cause = {(link, yi): (hour, name) for link, yi, hour, name in causes}
    table = []
    for li, link_id in enumerate(link_ids):
        for yi, year in enumerate(years):
            hour, name = cause[(link_id, yi)]
            table.append(
                {
                    "link": link_id,
                    "plane": planes[li],
                    "year": year,
                    "capacity_gbps": float(cap[li]),
                    "worst_load_gbps": float(out_arrays["worst_load_gbps"].values[li, yi]),
                    "worst_utilisation": float(worst[li, yi]),
                    "normal_utilisation": float(normal[li, yi]),
                    "failure_utilisation": float(failure[li, yi]),
                    "cause_failure": name,
                    "cause_hour": hour,
                    "over_target": bool(over[li, yi]),
                }
            )
    return table


def link_planes(topology: Topology) -> dict[str, str]:
    """Link id → plane, for labelling summary rows.

    Examples
    --------
    >>> import netplan
    >>> link_planes(netplan.load_topology(netplan.default_topology_path()))["ex-wanzhou-1"]
    'extranet'
    """
    return {link.id: link.plane for link in topology.links}
