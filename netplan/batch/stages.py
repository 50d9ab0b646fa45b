"""The stage registry: what a batch runs on each variant.

A stage is a plain function ``(topology, scenario, seed, options) -> StageOutput`` registered
under a name with :func:`register_stage`, with an optional pydantic model for its options
(validated when the batch is loaded). Adding a stage is adding one function::

    @register_stage("busy-hour", description="Busy-hour demand of the last year.")
    def busy_hour_stage(topology, scenario, seed, options):
        demand = build_demand(topology, scenario)
        return StageOutput(metrics={"total_gbps": ...})

The stages shipped here are ``demand``, ``analyze``, ``simulate``, ``optimize`` (the
least-cost plan of link tiers and racks) and ``plan`` (the main job: analysis, plan and the
user experience of the sized network).

Stage functions must be importable module-level functions: process pools and Dask send
them to workers by reference.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pydantic
from pydantic import Field

from netplan.model.scenario import FailurePolicy, Scenario
from netplan.model.topology import Frozen, Topology

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledArray:
    """An array with named axes and a label for every position on each axis.

    Examples
    --------
    >>> a = LabelledArray(np.zeros((2, 3)), ("link", "year"), (("a", "b"), (2026, 2027, 2028)))
    >>> a.axis_labels("year")
    (2026, 2027, 2028)
    """

    values: np.ndarray
    axes: tuple[str, ...]
    labels: tuple[tuple[Any, ...], ...]
    unit: str = ""

    def __post_init__(self) -> None:
        shape = tuple(len(labels) for labels in self.labels)
        if len(self.axes) != len(self.labels) or tuple(np.shape(self.values)) != shape:
            raise ValueError(
                f"array of shape {np.shape(self.values)} does not fit axes "
                f"{self.axes} with {shape} labels"
            )

    def axis_labels(self, axis: str) -> tuple[Any, ...]:
        """The labels of ``axis``."""
        return self.labels[self.axes.index(axis)]


@dataclass(frozen=True)
class StageOutput:
    """What a stage returns for one variant.

    Attributes
    ----------
    metrics : dict
        Scalar results (numbers, strings, booleans, None), one column each in the records.
    arrays : dict of LabelledArray
        Array results; the batch stacks them into ``[variant, ...]``.
    tables : dict
        Rows written as ``<name>.csv`` in the variant's directory.
    """

    metrics: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, LabelledArray] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


StageFunction = Callable[[Topology, Scenario, int, Any], StageOutput]


class NoOptions(Frozen):
    """A stage that takes no options."""


@dataclass(frozen=True)
class Stage:
    """A registered stage: its name, function, options model and description."""

    name: str
    function: StageFunction
    options: type[pydantic.BaseModel] = NoOptions
    description: str = ""

    def parse_options(self, options: dict[str, Any]) -> pydantic.BaseModel:
        """Validate ``options`` (raises pydantic's ValidationError)."""
        return self.options.model_validate(options)


_REGISTRY: dict[str, Stage] = {}


def register_stage(
    name: str, *, options: type[pydantic.BaseModel] = NoOptions, description: str = ""
) -> Callable[[StageFunction], StageFunction]:
    """Register a stage function under ``name`` (a decorator).

    Examples
    --------
    >>> @register_stage("doc-example", description="counts services")
    ... def _count(topology, scenario, seed, options):
    ...     return StageOutput(metrics={"services": len(scenario.services)})
    >>> get_stage("doc-example").description
    'counts services'
    >>> unregister_stage("doc-example")
    """

    def decorate(function: StageFunction) -> StageFunction:
        _REGISTRY[name] = Stage(name, function, options, description)
        return function

    return decorate


def unregister_stage(name: str) -> None:
    """Remove a stage from the registry (for tests and interactive sessions)."""
    _REGISTRY.pop(name, None)


def available_stages() -> tuple[str, ...]:
    """Names of the registered stages, sorted.

    Examples
    --------
    >>> {"analyze", "demand", "optimize", "plan", "simulate"} <= set(available_stages())
    True
    """
    return tuple(sorted(_REGISTRY))


def get_stage(name: str) -> Stage:
    """The stage registered as ``name`` (KeyError with the choices when absent)."""
    if name not in _REGISTRY:
        raise KeyError(_unknown_stage_message(name))
    return _REGISTRY[name]


def _unknown_stage_message(name: str) -> str:
    return f"unknown stage {name!r}; available: {', '.join(available_stages())}"


def check_options(stage: str, options: dict[str, Any]) -> list[tuple[tuple, str]]:
    """Problems with a batch's ``stage`` and ``options``, as (field path, message) pairs."""
    if stage not in _REGISTRY:
        return [(("stage",), _unknown_stage_message(stage))]
    try:
        _REGISTRY[stage].parse_options(options)
    except pydantic.ValidationError as exc:
        return [(("options", *error["loc"]), _with_input(error)) for error in exc.errors()]
    return []


def _with_input(error: dict[str, Any]) -> str:
    if error.get("type") in ("extra_forbidden", "missing") or "input" not in error:
        return error["msg"]
    return f"{error['msg']} (got {error['input']!r})"


# ---------------------------------------------------------------------- demand
@register_stage("demand", description="Busy-hour demand per service and year (cheap).")
def demand_stage(topology: Topology, scenario: Scenario, seed: int, options: Any) -> StageOutput:
    """Busy-hour demand per service and year, and per plane in the final year.

    Examples
    --------
    >>> import netplan
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


# ---------------------------------------------------------------------- analyze
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
        plane, graph, states = ps.plane, ps.graph, ps.states
        arrays = {name: np.zeros((graph.n_links, n_years)) for name in LINK_YEAR_ARRAYS}
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
        for name in LINK_YEAR_ARRAYS:
            per_plane[name].append(arrays[name])
        link_ids += list(graph.link_ids)
        planes += [plane] * graph.n_links
        capacity.append(np.asarray(graph.link_capacity_gbps, dtype=float))

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
    return StageOutput(metrics=metrics, arrays=out_arrays, tables={"links": table})


def link_planes(topology: Topology) -> dict[str, str]:
    """Link id → plane, for labelling summary rows.

    Examples
    --------
    >>> import netplan
    >>> link_planes(netplan.load_topology(netplan.default_topology_path()))["ex-wanzhou-1"]
    'extranet'
    """
    return {link.id: link.plane for link in topology.links}


# ---------------------------------------------------------------------- simulate
class SimulateOptions(Frozen):
    """Options of the ``simulate`` stage (defaults: the scenario's simulation settings)."""

    method: Literal["analytic", "simulate"] = Field(
        "analytic", description="Closed forms (fast, for sweeps) or the event simulator."
    )
    replications: int | None = Field(None, ge=2, le=1000)
    hours: list[int] | None = Field(None, min_length=1)
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
    metrics, arrays, table = _simulation_output(result)
    return StageOutput(
        metrics={"method": options.method, **metrics},
        arrays=arrays,
        tables={"services": table},
    )


def _simulation_output(result) -> tuple[dict[str, Any], dict[str, LabelledArray], list[dict]]:
    """Metrics, per service-and-hour arrays and the services table of a simulation result."""
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


# ---------------------------------------------------------------------- optimize
class OptimizeOptions(Frozen):
    """Options of the ``optimize`` stage (as ``egov-netplan optimize``)."""

    routing: Literal["fixed", "optimized"] = Field(
        "fixed",
        description="fixed: the network's own shortest paths and ECMP (exact, fast); "
        "optimized: routing is a decision too (MILP, slower).",
    )
    time_limit_s: float = Field(120.0, gt=0, le=86400, description="MILP time limit.")
    gap: float = Field(0.01, ge=0, le=1, description="Relative MILP gap.")
    check: bool = Field(True, description="Re-analyse the sized network independently.")


COST_NOTE = "estimate: tier and rack prices are estimates, so every cost is an estimate"
"""How plan costs are labelled wherever the batch writes them."""


def _plan_output(topology: Topology, scenario: Scenario, plan, check: bool) -> StageOutput:
    """Metrics, arrays and tables of a :class:`~netplan.optimize.capacity.Plan`."""
    from netplan.model.whatif import apply_overrides
    from netplan.optimize.capacity import PLAN_COLUMNS

    years = tuple(plan.years)
    year_index = {year: k for k, year in enumerate(years)}
    link_rows = [r for r in plan.rows if r["item"] == "link"]
    dc_rows = [r for r in plan.rows if r["item"] == "data_centre"]
    link_ids = tuple(dict.fromkeys(r["id"] for r in link_rows))
    dc_ids = tuple(dict.fromkeys(r["id"] for r in dc_rows))
    planned = np.full((len(link_ids), len(years)), np.nan)
    position = {link: i for i, link in enumerate(link_ids)}
    for r in link_rows:
        planned[position[r["id"]], year_index[r["year"]]] = r["capacity_gbps"]
    # What is installed before the plan, in the variant's own network (its what-ifs applied).
    links = {lk.id: lk for lk in apply_overrides(topology, scenario).topology.links}
    installed = np.array([float(links[i].capacity_gbps or 0.0) for i in link_ids])
    racks = np.zeros((len(dc_ids), len(years)))
    racks_added = np.zeros((len(dc_ids), len(years)))
    dc_position = {dc: i for i, dc in enumerate(dc_ids)}
    for r in dc_rows:
        racks[dc_position[r["id"]], year_index[r["year"]]] = r["racks"]
        racks_added[dc_position[r["id"]], year_index[r["year"]]] = r["racks_added"]
    capex = np.zeros(len(years))
    opex = np.zeros(len(years))
    for r in plan.rows:
        capex[year_index[r["year"]]] += r["capex_cny"]
        opex[year_index[r["year"]]] += r["opex_cny"]

    purchases = plan.purchases()
    bought_years = [r["year"] for r in purchases]
    upgraded = {r["id"] for r in purchases if r["item"] == "link"}
    breaches = plan.check.get("breaches", []) if check else []
    metrics: dict[str, Any] = {
        # ``status`` is the variant's own column in the records; the plan's is plan_status.
        "plan_status": plan.status,
        "routing": plan.routing,
        "total_cost_cny": float(plan.objective_cny),
        "bound_cny": float(plan.bound_cny),
        "gap": float(plan.gap),
        "capex_cny": float(capex.sum()),
        "opex_cny": float(opex.sum()),
        "purchases": len(purchases),
        "links_upgraded": len(upgraded),
        "capacity_added_gbps": float(np.sum(planned[:, -1] - installed)) if years else 0.0,
        "racks_bought": int(racks_added.sum()),
        "first_purchase_year": min(bought_years) if bought_years else None,
        "check_passed": bool(plan.check.get("passed")) if check else None,
        "check_breaches": len(breaches) if check else None,
        "infeasible": len(plan.infeasibilities),
        "infeasible_items": ";".join(sorted({x["item"] for x in plan.infeasibilities})),
    }
    arrays = {
        "planned_capacity_gbps": LabelledArray(
            planned, ("link", "year"), (link_ids, years), "Gbit/s"
        ),
        "capacity_gbps": LabelledArray(installed, ("link",), (link_ids,), "Gbit/s"),
        "racks": LabelledArray(racks, ("data_centre", "year"), (dc_ids, years), "racks"),
        "racks_added": LabelledArray(
            racks_added, ("data_centre", "year"), (dc_ids, years), "racks"
        ),
        "yearly_capex_cny": LabelledArray(capex, ("year",), (years,), "CNY (estimate)"),
        "yearly_opex_cny": LabelledArray(opex, ("year",), (years,), "CNY (estimate)"),
    }
    tables = {
        "purchases": [
            {k: r[k] for k in PLAN_COLUMNS if k in r} | {"estimate": True} for r in purchases
        ]
    }
    if plan.infeasibilities:
        tables["infeasibilities"] = [dict(x) for x in plan.infeasibilities]
    return StageOutput(metrics=metrics, arrays=arrays, tables=tables)


@register_stage(
    "optimize",
    options=OptimizeOptions,
    description="Least-cost plan of link tiers and data-centre racks per year, and its cost.",
)
def optimize_stage(
    topology: Topology, scenario: Scenario, seed: int, options: OptimizeOptions
) -> StageOutput:
    """The least-cost capacity plan of the variant, from :func:`netplan.optimize.capacity.optimize`.

    Metrics: ``plan_status`` (``optimal``, ``infeasible`` …: an infeasible plan is a result,
    not an error), ``total_cost_cny`` (the discounted objective), undiscounted
    ``capex_cny`` and ``opex_cny`` over the horizon, ``purchases``, ``links_upgraded``,
    ``racks_bought``, ``check_passed`` (the independent re-analysis) and ``infeasible``
    (how many items cannot be met). Arrays: ``planned_capacity_gbps`` [link, year] (after
    the plan's purchases), ``capacity_gbps`` [link] (installed before), ``racks`` and
    ``racks_added`` [data_centre, year], ``yearly_capex_cny`` and ``yearly_opex_cny``
    [year]. Table: ``purchases``. Every cost is an estimate (the tier prices are).

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> out = optimize_stage(topo, s, 0, OptimizeOptions(check=False))
    >>> out.metrics["plan_status"], out.arrays["planned_capacity_gbps"].axes
    ('optimal', ('link', 'year'))
    """
    from netplan.optimize.capacity import optimize

    plan = optimize(
        topology,
        scenario,
        options.routing,
        time_limit_s=options.time_limit_s,
        gap=options.gap,
        check=options.check,
    )
    return _plan_output(topology, scenario, plan, options.check)


# ---------------------------------------------------------------------- plan
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

    Runs :func:`netplan.run.pipeline.compute_run_objects`: the worst-case analysis of the
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
    from netplan.run.pipeline import compute_run_objects

    _, parts = compute_run_objects(
        topology,
        scenario,
        routing=options.routing,
        time_limit_s=options.time_limit_s,
        gap=options.gap,
        sim=options.sim,
        check=options.check,
        progress=_quiet,
    )
    study, plan, simulation = parts["study"], parts["plan"], parts["simulation"]
    planned = _plan_output(topology, scenario, plan, options.check)
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
            len({b["link"] for b in plan.check.get("breaches", [])}) if options.check else None
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
        sim_metrics, sim_arrays, sim_table = _simulation_output(simulation)
        metrics.update(sim_metrics)
        arrays.update(sim_arrays)
        tables["services"] = sim_table
    return StageOutput(metrics=metrics, arrays=arrays, tables=tables)


def _quiet(stage: str, index: int, total: int) -> None:
    log.debug("plan stage step %d/%d: %s", index, total, stage)
