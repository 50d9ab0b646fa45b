"""The routed planner: the capacity plan with routing as a decision too, year by year.

Traffic follows explicit paths that the plan chooses, as MPLS-TE or segment-routing tunnels
are configured, instead of the network's own shortest paths. Per plane and year, carrying
each link's module state forward:

1. candidate paths per od: the 3 shortest by link weight, plus for every failure state that
   cuts all of them the shortest surviving path — on the graph with candidate links, and
   once more on the built links alone (:mod:`netplan.planning.routed.paths`);
2. demand per od: its peak over the hours of the year (conservative: ods that peak at
   different hours are all sized at their peaks);
3. a MILP (:mod:`netplan.planning.routed.milp`, HiGHS through ``scipy.optimize.milp``) picks
   every link's module state — the states and costs of :mod:`netplan.planning.sizing`, and a
   candidate's build charge in the year it first gets capacity — and the routing in the
   normal state and every failure state of the policy (restricted reconfiguration), with
   loads within the utilisation targets per direction;
4. the routing is polished — an LP that loads every link as little as the chosen capacities
   and the states allow (each link's worst utilisation, summed over links, with the routing
   metric as a tie-break) — and any link the polished routing does not need as bought falls
   back to the cheapest state that covers it (:mod:`netplan.planning.routed.plane`);
5. once every year is solved, a link whose year-by-year states replace modules an earlier
   year bought keeps them instead, re-sized over the horizon with the solved routing held
   fixed, unless the replacement is cheaper over the horizon
   (:mod:`netplan.planning.routed.stable`).

Every purchase is explained and priced by :mod:`netplan.planning.routed.explain`. An
infeasible year is diagnosed with slack LPs (which links overflow their largest tier and by
how much, which demand cannot be carried) and then planned elastically so later years can
follow. The sized network is re-checked independently (:mod:`netplan.planning.routed.check`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, fields, replace

import numpy as np

from netplan.analysis.failures import StepProgress
from netplan.analysis.study import dc_load
from netplan.demand import Demand, build_demand
from netplan.errors import Problem, ValidationError
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology
from netplan.planning.costs import catalogue_of
from netplan.planning.fixed.planner import optimize_fixed
from netplan.planning.plan import DEMAND_BASIS, Plan, RoutedPlan
from netplan.planning.routed.check import independent_check_routed
from netplan.planning.routed.explain import (
    diagnosis_items,
    link_marginal_cost,
    lost_items,
    purchase_reason,
)
from netplan.planning.routed.milp import YearSolution
from netplan.planning.routed.plane import (
    RoutedPlane,
    cheapest_cover,
    required_capacity,
    setup_plane,
)
from netplan.planning.routed.stable import keep_what_is_bought, kept_phrase
from netplan.planning.routed.states import ModuleStates, module_states, year_options
from netplan.planning.rows import (
    TierLedger,
    budget_items,
    district_of,
    link_row,
    rack_rows,
    with_replacement,
)
from netplan.planning.sizing import TierCatalogue, discount_factors, state_costs

log = logging.getLogger(__name__)

__all__ = ["optimize_routed"]

_MIN_SOLVE_S = 1.0
_BUDGET_SPENT_ON = "the purchases that the targets force"


def _validate(time_limit_s: float, gap: float, k_paths: int, reconfiguration: str) -> None:
    problems = []
    if reconfiguration not in ("restricted", "full"):
        problems.append(
            Problem("", "reconfiguration", f"must be restricted or full, got {reconfiguration!r}")
        )
    if not (time_limit_s > 0):
        problems.append(Problem("", "time_limit_s", f"must be > 0, got {time_limit_s}"))
    if not (0.0 <= gap < 1.0):
        problems.append(Problem("", "gap", f"must be in [0, 1), got {gap}"))
    if int(k_paths) < 1:
        problems.append(Problem("", "k_paths", f"must be >= 1, got {k_paths}"))
    if problems:
        raise ValidationError(problems)


@dataclass(eq=False)
class _Solving:
    """What every year's solve shares: the catalogue, the gap, and what the solves found."""

    catalogue: TierCatalogue
    states: ModuleStates
    gap: float
    infeasible: list[dict] = field(default_factory=list)
    solves: list[dict] = field(default_factory=list)


def _solve_year(
    p: RoutedPlane, yi: int, year: int, allowed, cost, share_s: float, run: _Solving
) -> YearSolution:
    gap = run.gap
    sol = p.model.solve(p.peak_gbps[yi], allowed, cost, time_limit_s=share_s, gap=gap)
    if sol.status != "infeasible":
        return sol
    diag = p.model.diagnose(p.peak_gbps[yi], allowed, time_limit_s=max(share_s, 10.0))
    run.infeasible.extend(
        diagnosis_items(p, yi, year, allowed, diag, run.states, run.catalogue)
    )
    # Plan the year anyway, paying a penalty per Gbit/s above target, so later years follow.
    penalty = 100.0 * float(np.max(np.where(allowed, cost, 0.0))) + 1e6
    elastic = p.model.solve(
        p.peak_gbps[yi],
        allowed,
        cost,
        time_limit_s=share_s,
        gap=gap,
        elastic=True,
        penalty_cny_per_gbps=penalty,
    )
    if elastic.has_solution:
        return YearSolution(
            "infeasible",
            "infeasible; planned elastically (see infeasibilities)",
            elastic.objective_cny,
            np.nan,
            np.nan,
            sol.time_s + elastic.time_s,
            elastic.state,
            elastic.x,
            elastic.state_flow,
            elastic.overload_gbps,
            elastic.size,
        )
    return sol


def _plan_year(p: RoutedPlane, yi: int, year: int, share: float, run: _Solving) -> str | None:
    """Solve one plane's year and record its decisions on ``p``; why not, if no plan came."""
    states = run.states
    prev = p.initial if yi == 0 else p.state[yi - 1]
    allowed, capex, opex = year_options(
        run.catalogue,
        states,
        prev,
        length_km=p.length_km,
        build_capex_cny=p.build_cny,
        capacity_max_gbps=p.capacity_max_gbps,
    )
    cost = capex + opex
    sol = _solve_year(p, yi, year, allowed, cost, share, run)
    record = {
        "plane": p.name,
        "year": year,
        "status": sol.status,
        "milp_objective_cny": sol.objective_cny,
        "bound_cny": sol.bound_cny,
        "time_s": sol.time_s,
        "time_limit_s": share,
        **sol.size,
    }
    if not sol.has_solution:
        run.solves.append(record | {"objective_cny": np.nan, "gap": np.nan})
        return f"the {p.name} MILP of {year} found no plan ({sol.status}: {sol.message})"
    # An elastic (infeasible) year overloads some link: no routing fits to polish.
    polished = (
        None
        if sol.status == "infeasible"
        else p.model.polish(p.peak_gbps[yi], sol.state, time_limit_s=max(share, 10.0))
    )
    x, flow = polished if polished is not None else (sol.x, sol.state_flow)
    loads = p.model.loads(x, flow)
    required, b_state, b_arc = required_capacity(p, loads)
    rows = np.arange(len(p.links))
    final = (
        sol.state
        if sol.status == "infeasible"
        else cheapest_cover(sol.state, allowed, cost, states.capacity_gbps, required)
    )
    p.state.append(final)
    p.capex.append(capex[rows, final])
    p.opex.append(opex[rows, final])
    p.stay_cost.append(cost[rows, prev])
    p.required.append(required)
    p.binding.append((b_state, b_arc))
    p.flows.append((x, flow))
    p.loads.append(loads)
    year_cost = float(cost[rows, final].sum())
    year_gap = (
        np.nan
        if not np.isfinite(sol.bound_cny)
        else max(0.0, (year_cost - sol.bound_cny) / year_cost)
        if year_cost > 0
        else 0.0
    )
    run.solves.append(record | {"objective_cny": year_cost, "gap": year_gap})
    log.info(
        "%s %d: %s, %.0f CNY (bound %.0f) in %.1f s",
        p.name,
        year,
        sol.status,
        year_cost,
        sol.bound_cny,
        sol.time_s,
    )
    return None


def _plan_years(
    planes: list[RoutedPlane],
    years: tuple[int, ...],
    deadline: float,
    run: _Solving,
    progress: StepProgress | None = None,
) -> str | None:
    """Every year of every plane in turn, sharing the time left by model size.

    ``progress(done, total, message)`` as each solve starts (scipy's HiGHS interface takes no
    callback, so nothing comes during a solve). Returns why the planning stopped early (a
    solve found no plan), or None.
    """
    weights = {p.name: max(p.model.size["nonzeros"], 1) for p in planes}
    total = len(years) * len(planes)
    for yi, year in enumerate(years):
        for pi, p in enumerate(planes):
            left = sum(weights[q.name] for q in planes) * (len(years) - yi - 1) + sum(
                weights[q.name] for q in planes[pi:]
            )
            share = max(_MIN_SOLVE_S, (deadline - time.perf_counter()) * weights[p.name] / left)
            if progress is not None:
                progress(yi * len(planes) + pi, total, f"solving {p.name} {year}")
            why = _plan_year(p, yi, year, share, run)
            if why is not None:
                return why
    return None


def _fallback(
    topology: Topology, scenario: Scenario, check: bool, why: str, solves: list[dict]
) -> RoutedPlan:
    log.warning("optimized routing: %s; falling back to the fixed-routing plan", why)
    fixed = optimize_fixed(topology, scenario, check=check)
    base = {f.name: getattr(fixed, f.name) for f in fields(Plan)}
    base["status"] = "fallback_fixed" if fixed.status == "optimal" else fixed.status
    return RoutedPlan(
        **base,
        solves=tuple(solves),
        notes=(
            f"optimized routing: {why}. This is the fixed-routing plan (shortest paths/ECMP, "
            "built links only) instead; rerun with a longer time limit for a routed plan.",
        ),
    )


def optimize_routed(
    topology: Topology,
    scenario: Scenario,
    *,
    time_limit_s: float = 120.0,
    gap: float = 0.01,
    check: bool = True,
    k_paths: int = 3,
    reconfiguration: str = "restricted",
    demand: Demand | None = None,
    progress: StepProgress | None = None,
) -> RoutedPlan:
    """The cheapest plan when routing is a decision too (path-based MILP, year by year).

    Parameters
    ----------
    topology, scenario
        The network (candidate links may be built) and the scenario (years, failure policy,
        targets, discount rate).
    time_limit_s : float
        Wall-clock budget for building and solving the MILPs; the per-year, per-plane
        solves share it in proportion to their size (at least 1 s each).
    gap : float
        Relative MIP gap at which each solve stops.
    check : bool
        Re-check the sized network independently (a max-concurrent-flow LP per state).
    k_paths : int
        Shortest paths per od before the failure-driven additions.
    reconfiguration : {"restricted", "full"}
        Which ods may change their routes in a failure state: only those with a candidate
        path through a failed element (``restricted``, the default), or all (``full``:
        never dearer, a much larger model).
    demand : Demand, optional
        The scenario's demand, already built; built here when not given.
    progress : callable, optional
        ``progress(done, total, message)`` (a
        :data:`~netplan.analysis.failures.StepProgress`) as each plane is set up, as each of
        the ``total`` per-year, per-plane solves starts, and as the plan is assembled and
        re-checked.

    Returns
    -------
    RoutedPlan
        ``status`` is ``optimal`` (every solve within ``gap``), ``time_limit`` (some solve
        stopped at its limit with a plan; see ``gap``), ``infeasible`` (see
        ``infeasibilities``) or ``fallback_fixed`` (no plan in time: the fixed-routing plan).
        ``objective_cny``, ``bound_cny`` and ``gap`` sum the per-year, per-plane MILPs
        (discounted) plus the racks.

    Examples
    --------
    A triangle of 10G links (100 CNY a module, 10 CNY a year) and 15 Gbit/s from A to B.
    Shortest-path routing would need a second module on A-B; routed, 10 Gbit/s go direct
    and 5 over C, so nothing is bought and the cost is the three modules' opex:

    >>> import netplan
    >>> topo = netplan.build_topology({
    ...     "name": "triangle",
    ...     "tiers": [{"name": "10G", "capacity_gbps": 10, "capex_cny": 100,
    ...                "opex_cny_per_year": 10}],
    ...     "nodes": [{"id": n, "name": n, "kind": "core", "lat": 29.5 + i / 10, "lon": 106.5,
    ...                "planes": ["extranet"]} for i, n in enumerate("ABC")],
    ...     "links": [{"id": a + b, "a": a, "b": b, "plane": "extranet", "tier": "10G",
    ...                "weight": 1} for a, b in ("AB", "BC", "CA")]})
    >>> s = netplan.build_scenario({
    ...     "name": "t", "title": "t", "question": "q", "base_year": 2026,
    ...     "profiles": {"flat": [1] * 24},
    ...     "drivers": {"staff_total": 0, "cameras_total": 0, "video_rooms_per_district": 0},
    ...     "services": [{"id": "ab", "name": "ab", "plane": "extranet",
    ...                   "pattern": "site_to_site", "driver": "fixed", "from_site": "A",
    ...                   "far_end": "B", "fixed_gbps": 15, "profile": "flat"}],
    ...     "failure_policy": ["none"],
    ...     "targets": {"max_utilisation_normal": 1.0, "max_utilisation_failure": 1.0}}, topo)
    >>> plan = optimize_routed(topo, s)
    >>> plan.status, plan.objective_cny, len(plan.purchases()), plan.check["passed"]
    ('optimal', 30.0, 0, True)
    >>> [(r["path_nodes"], r["gbps"]) for r in plan.routes]
    [('A>B', 10.0), ('A>C>B', 5.0)]

    Progress names every solve before it starts, then the work after the last:

    >>> seen = []
    >>> _ = optimize_routed(topo, s, check=False,
    ...                     progress=lambda done, total, what: seen.append((done, total, what)))
    >>> for step in seen:
    ...     print(step)
    (0, 1, 'setting up the extranet paths')
    (0, 1, 'solving extranet 2026')
    (1, 1, 'pricing and explaining the purchases')
    """
    _validate(time_limit_s, gap, k_paths, reconfiguration)
    started = time.perf_counter()
    deadline = started + float(time_limit_s)
    demand = demand if demand is not None else build_demand(topology, scenario)
    topo = demand.whatif.topology
    catalogue = catalogue_of(topo)
    states = module_states(catalogue)
    names = list(catalogue.name)
    n_solves = len(scenario.years) * len(demand.planes)
    planes = []
    for plane, pd in demand.planes.items():
        if progress is not None:
            progress(0, n_solves, f"setting up the {plane} paths")
        planes.append(
            setup_plane(
                topo,
                scenario,
                plane,
                pd,
                demand.whatif.failed_nodes,
                states,
                names,
                k_paths,
                reconfiguration,
            )
        )
    log.info(
        "optimized routing: %d plane(s) set up in %.1f s",
        len(planes),
        time.perf_counter() - started,
    )
    run = _Solving(catalogue, states, gap)
    why = _plan_years(planes, scenario.years, deadline, run, progress)
    if why is not None:
        if progress is not None:
            progress(len(run.solves), n_solves, "falling back to the fixed-routing plan")
        return _fallback(topology, scenario, check, why, run.solves)
    if progress is not None:
        progress(n_solves, n_solves, "pricing and explaining the purchases")
    plan = _assemble(topology, scenario, demand, planes, run)
    if check:
        if progress is not None:
            progress(n_solves, n_solves, "re-checking the sized network")
        plan = replace(plan, check=independent_check_routed(topology, scenario, plan.rows))
    log.info("optimized routing: done in %.1f s", time.perf_counter() - started)
    return plan


def _assemble(
    topology: Topology,
    scenario: Scenario,
    demand: Demand,
    planes: list[RoutedPlane],
    run: _Solving,
) -> RoutedPlan:
    """The plan of solved planes: rows, racks, what cannot be done, cost, bound and status."""
    infeasible, solves = run.infeasible, run.solves
    topo = demand.whatif.topology
    years = scenario.years
    rate = scenario.discount_rate
    df = discount_factors(rate, len(years))
    kept = sum(keep_what_is_bought(p, run.catalogue, run.states, rate, df) for p in planes)
    replacing = sum(len(p.replacement_saving_cny) for p in planes)
    rows, links_total = _link_rows(planes, topo, scenario, run.catalogue, run.states, df)
    racks, rack_cost = rack_rows(topo, scenario, dc_load(topo, scenario, demand), df, infeasible)
    rows += racks
    infeasible += budget_items(scenario, rows, _BUDGET_SPENT_ON)
    for p in planes:
        infeasible.extend(lost_items(p, years[-1], len(years) - 1))
    bound = sum(df[years.index(s["year"])] * s["bound_cny"] for s in solves) + rack_cost
    objective = links_total + rack_cost
    hard = [x for x in infeasible if x["item"] != "demand"]
    if hard or any(s["status"] == "infeasible" for s in solves):
        status = "infeasible"
        bound, plan_gap = np.nan, np.nan
    else:
        status = "time_limit" if any(s["status"] == "time_limit" for s in solves) else "optimal"
        plan_gap = max(0.0, (objective - bound) / objective) if objective > 0 else 0.0
    notes = [
        f"Demand basis: {DEMAND_BASIS}.",
        "Objective, bound and gap are sums over the per-year, per-plane MILPs "
        "(discounted), each solved with last year's capacities fixed, plus the racks.",
    ]
    if kept:
        notes.append(
            f"{kept} link(s) keep the modules they buy although a later year's solve would "
            "replace them: with the solved routing held fixed, keeping them costs no more "
            "over the horizon (exact sizing; the objective counts the kept modules)."
        )
    if replacing:
        notes.append(
            f"{replacing} link(s) replace modules the plan bought in an earlier year; each "
            "such purchase's reason says what is replaced and what it saves over the horizon."
        )
    if status == "time_limit":
        notes.append(
            f"Some solves stopped at their time limit; the plan is within "
            f"{plan_gap:.2%} of the bound."
        )
    return RoutedPlan(
        topology=topology.name,
        scenario=scenario.name,
        routing="optimized",
        years=years,
        discount_rate=rate,
        rows=tuple(rows),
        status=status,
        objective_cny=float(objective),
        bound_cny=float(bound),
        gap=float(plan_gap),
        infeasibilities=tuple(infeasible),
        solves=tuple(solves),
        notes=tuple(notes),
        routes=tuple(_routes(planes, years)),
    )


def _link_rows(
    planes: list[RoutedPlane],
    topo: Topology,
    scenario: Scenario,
    catalogue: TierCatalogue,
    states: ModuleStates,
    df: np.ndarray,
) -> tuple[list[dict], float]:
    rows: list[dict] = []
    total = 0.0
    for p in planes:
        unit_capex, _, state_opex = state_costs(catalogue, states.tier, states.modules,
                                                p.length_km)
        for li, link in enumerate(p.links):
            district = district_of(topo, link)
            k0 = int(p.initial[li])
            before = float(states.capacity_gbps[k0])
            ledger = TierLedger(_tier_name(catalogue, states, k0), int(states.modules[k0]))
            saving = p.replacement_saving_cny.get(li)
            for yi, year in enumerate(scenario.years):
                k = int(p.state[yi][li])
                prev = int(p.initial[li] if yi == 0 else p.state[yi - 1][li])
                bought = k != prev
                capex, opex = float(p.capex[yi][li]), float(p.opex[yi][li])
                total += (capex + opex) * df[yi]
                capacity = float(states.capacity_gbps[k])
                n_bought = _modules_bought(states, prev, k)
                first_built = states.tier[prev] < 0 <= states.tier[k]
                tier = _tier_name(catalogue, states, k)
                replaced = ledger.step(year, tier, n_bought, saving_cny=saving)
                row = link_row(
                    link.id,
                    plane=p.name,
                    district=district,
                    year=year,
                    tier=tier,
                    modules=int(states.modules[k]),
                    capacity_gbps=capacity,
                    purchase=bought,
                    modules_bought=n_bought,
                    unit_price_cny=float(unit_capex[li, states.tier[k]]) if k else 0.0,
                    build_capex_cny=float(p.build_cny[li]) if first_built else 0.0,
                    capex_cny=capex,
                    opex_cny=opex,
                    existing_opex_cny=float(state_opex[li, k0]),
                )
                row["required_gbps"] = float(p.required[yi][li])
                if bought:
                    text, facts = purchase_reason(
                        p, yi, li, year, scenario.name, before, catalogue, states
                    )
                    text = with_replacement(text, replaced)
                    if li in p.kept_cny:
                        text = with_replacement(text, kept_phrase(p.kept_cny[li]))
                    row["reason"] = text
                    row.update(facts)
                    row["marginal_cost_cny"] = link_marginal_cost(
                        p, li, yi, before, catalogue, states, scenario.discount_rate
                    )
                rows.append(row)
                before = capacity
    return rows, total


def _tier_name(catalogue: TierCatalogue, states: ModuleStates, k: int) -> str:
    return catalogue.name[states.tier[k]] if k else ""


def _modules_bought(states: ModuleStates, prev: int, k: int) -> int:
    """Modules bought moving from state ``prev`` to ``k``: the added ones on the same tier,
    all of them on a new tier, none when nothing changes."""
    if k == prev or not k:
        return 0
    if states.tier[k] == states.tier[prev]:
        return int(states.modules[k] - states.modules[prev])
    return int(states.modules[k])


def _routes(planes: list[RoutedPlane], years: tuple[int, ...]) -> list[dict]:
    out: list[dict] = []
    for p in planes:
        g, cp = p.graph, p.paths
        for yi, year in enumerate(years):
            x = p.flows[yi][0]
            for path in np.flatnonzero(x > 1e-9):
                od = int(cp.path_od[path])
                arcs = cp.path_arcs[path]
                nodes = [g.node_ids[g.arc_src[a]] for a in arcs] + [g.node_ids[g.arc_dst[arcs[-1]]]]
                peak = float(p.peak_gbps[yi, od])
                out.append(
                    {
                        "plane": p.name,
                        "year": year,
                        "origin": nodes[0],
                        "destination": nodes[-1],
                        "path_nodes": ">".join(nodes),
                        "path_links": " ".join(g.link_ids[g.arc_link[a]] for a in arcs),
                        "gbps": float(x[path]),
                        "share": float(x[path]) / peak if peak > 0 else 0.0,
                    }
                )
    return out
