"""The capacity plan with routing as a decision too (``optimize(..., routing="optimized")``).

Traffic follows explicit paths that the plan chooses, as MPLS-TE or segment-routing tunnels
are configured, instead of the network's own shortest paths. Per plane and year, carrying
each link's module state forward:

1. candidate paths per od: the 3 shortest by link weight, plus for every failure state that
   cuts all of them the shortest surviving path — on the graph with candidate links, and
   once more on the built links alone (:mod:`netplan.optimize.routed.paths`);
2. demand per od: its peak over the hours of the year (conservative: ods that peak at
   different hours are all sized at their peaks);
3. a MILP (:mod:`netplan.optimize.routed.milp`, HiGHS through ``scipy.optimize.milp``) picks
   every link's module state — the states and costs of :mod:`netplan.optimize.sizing`, and a
   candidate's build charge in the year it first gets capacity — and the routing in the
   normal state and every failure state of the policy (restricted reconfiguration), with
   loads within the utilisation targets per direction;
4. the routing is polished — an LP that loads every link as little as the chosen capacities
   and the states allow (each link's worst utilisation, summed over links, with the routing
   metric as a tie-break) — and any link the polished routing does not need as bought falls
   back to the cheapest state that covers it.

Each purchase names the failure state, hour and load that bind it in the solved routing, and
its marginal cost: the discounted cost saved if the link did not have to grow that year
(its requirement capped at what was installed before), re-solving that link alone with the
exact sizing programme while the solved routing is held fixed. An infeasible year is
diagnosed with slack LPs (which links overflow their largest tier and by how much, which
demand cannot be carried) and then planned elastically so later years can follow. The sized
network is re-checked independently (:mod:`netplan.optimize.routed.check`).
"""

from __future__ import annotations

import csv
import io
import logging
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from netplan.analysis.failures import failure_states
from netplan.analysis.study import dc_load
from netplan.demand import build_demand
from netplan.errors import Problem, RunError, ValidationError
from netplan.model.plane_graph import PlaneGraph
from netplan.model.scenario import Scenario
from netplan.model.topology import Link, Topology
from netplan.optimize.capacity import Plan, _rack_rows, catalogue_of
from netplan.optimize.routed.check import check_plane_year
from netplan.optimize.routed.milp import RoutingModel, YearSolution
from netplan.optimize.routed.paths import CandidatePaths, candidate_paths
from netplan.optimize.routed.states import ModuleStates, module_states, year_options
from netplan.optimize.sizing import TierCatalogue, size_tiers

log = logging.getLogger(__name__)

__all__ = [
    "DEMAND_BASIS",
    "ROUTE_COLUMNS",
    "RoutedPlan",
    "independent_check_routed",
    "optimize_routed",
]

DEMAND_BASIS = (
    "each od's peak over the hours of the year (conservative: ods that peak at different "
    "hours are sized as if they peaked together)"
)
ROUTE_COLUMNS = (
    "plane",
    "year",
    "origin",
    "destination",
    "path_nodes",
    "path_links",
    "gbps",
    "share",
)
_COVER_RTOL = 1e-9
_MIN_SOLVE_S = 1.0


@dataclass(frozen=True)
class RoutedPlan(Plan):
    """A :class:`~netplan.optimize.capacity.Plan` from the routed optimizer, with its routing.

    Attributes
    ----------
    solves : tuple of dict
        One per plane and year: the MILP's status, objective, bound and gap (undiscounted
        CNY of that year), time and size. The plan's ``objective_cny``, ``bound_cny`` and
        ``gap`` are their discounted sums (plus the racks, which are exact).
    notes : tuple of str
        What the reader must know (fallbacks, time limits, the demand basis).
    routes : tuple of dict
        The no-failure routing: every path with flow, per plane and year.
    """

    solves: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    routes: tuple[dict, ...] = field(default=(), repr=False)

    def summary(self) -> dict:
        """Status, gap, bound, costs, the per-year solves and the notes (JSON-ready).

        Quantities that do not exist (the bound of an infeasible plan) are ``None``.
        """
        return _json_safe(
            super().summary()
            | {
                "solves": list(self.solves),
                "notes": list(self.notes),
                "demand_basis": DEMAND_BASIS,
            }
        )

    def routes_csv(self) -> str:
        """``routes.csv``: the no-failure path flows of every plane and year."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(ROUTE_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in self.routes:
            writer.writerow(
                {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
            )
        return buffer.getvalue()

    def save(self, directory) -> list[Path]:
        """Write ``plan.json``, ``plan.csv``, ``costs.json`` and ``routes.csv``."""
        from netplan.io.atomic import write_text_atomic

        written = super().save(directory)
        return [*written, write_text_atomic(Path(directory) / "routes.csv", self.routes_csv())]


def _json_safe(value):
    """``value`` with NaN and infinite floats replaced by None (strict JSON has neither)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


# --------------------------------------------------------------------------- one plane
@dataclass(eq=False)
class _Plane:
    """Everything one plane needs across the years, and what each year decided."""

    name: str
    graph: PlaneGraph
    links: tuple[Link, ...]
    paths: CandidatePaths
    model: RoutingModel
    initial: np.ndarray
    length_km: np.ndarray
    build_cny: np.ndarray
    capacity_max_gbps: np.ndarray
    peak_gbps: np.ndarray  # (Y, D)
    hourly_gbps: np.ndarray  # (Y, H, D)
    permanent_nodes: tuple[int, ...]
    gone_peak_gbps: np.ndarray  # (Y, D): demand of ods at nodes failed for good
    state: list = field(default_factory=list)  # per year: (L,) module state
    capex: list = field(default_factory=list)  # per year: (L,) CNY
    opex: list = field(default_factory=list)
    stay_cost: list = field(default_factory=list)  # per year: (L,) cost of keeping last year's
    required: list = field(default_factory=list)  # per year: (L,) Gbit/s
    binding: list = field(default_factory=list)  # per year: ((L,) state, (L,) arc)
    flows: list = field(default_factory=list)  # per year: (x, state_flow)
    loads: list = field(default_factory=list)  # per year: (1+S, A)


def _initial_state(link: Link, names: list[str], states: ModuleStates, source: str) -> int:
    if link.candidate or link.tier not in names or link.modules <= 0:
        return 0
    try:
        return states.index(names.index(link.tier), link.modules)
    except KeyError:
        raise ValidationError(
            [
                Problem(
                    source,
                    f"links[{link.id}].modules",
                    f"{link.modules} modules of {link.tier} exceed the tier's max_modules",
                )
            ]
        ) from None


def _setup_plane(
    topo: Topology,
    scenario: Scenario,
    plane: str,
    pd,
    failed_nodes,
    states: ModuleStates,
    names: list[str],
    k_paths: int,
    reconfiguration: str,
) -> _Plane:
    graph = topo.plane_graph(plane, built_only=False)
    if tuple(graph.node_ids) != tuple(pd.node_ids):
        raise RunError(f"plane {plane}: the demand's nodes do not match the plane's graph")
    links = topo.links_of(plane, built_only=False)
    permanent = tuple(graph.node_index[n] for n in failed_nodes if n in graph.node_index)
    removed = (
        sorted(set(graph.arc_link[graph.arcs_at_nodes(list(permanent))].tolist()))
        if permanent
        else []
    )
    policy_states = failure_states(graph, scenario.failure_policy)[1:]
    optional = [i for i, link in enumerate(links) if link.candidate]
    paths = candidate_paths(
        graph,
        pd.od_src,
        pd.od_dst,
        policy_states,
        k=k_paths,
        removed_links=removed,
        optional_links=optional,
    )
    targets = scenario.targets
    model = RoutingModel(
        paths,
        graph,
        states,
        targets.max_utilisation_normal,
        targets.max_utilisation_failure,
        reconfiguration=reconfiguration,
    )
    hourly = pd.total_gbps.copy()  # (Y, H, D)
    gone = np.isin(pd.od_src, permanent) | np.isin(pd.od_dst, permanent)
    gone_peak = np.where(gone[None, :], hourly.max(axis=1), 0.0)
    hourly[..., gone] = 0.0
    return _Plane(
        name=plane,
        graph=graph,
        links=links,
        paths=paths,
        model=model,
        initial=np.array(
            [_initial_state(lk, names, states, topo.name) for lk in links], dtype=np.int64
        ),
        length_km=np.array([lk.length_km or 0.0 for lk in links]),
        build_cny=np.array([lk.build_capex_cny if lk.candidate else 0.0 for lk in links]),
        capacity_max_gbps=np.array([lk.capacity_max_gbps or np.inf for lk in links]),
        peak_gbps=hourly.max(axis=1),
        hourly_gbps=hourly,
        permanent_nodes=permanent,
        gone_peak_gbps=gone_peak,
    )


def _targets(model: RoutingModel) -> np.ndarray:
    return np.r_[model.u_normal, np.full(len(model.paths.states), model.u_failure)]


def _requirements(p: _Plane, loads: np.ndarray):
    """Per link: required capacity (worst load / target over states) and where it binds.

    Ties go to a failure state: with a polished routing, a load the no-failure state
    matches exactly is one a failure forces.
    """
    need = loads / _targets(p.model)[:, None]  # (1+S, A)
    arc_link = p.graph.arc_link
    L = len(p.links)
    required = np.zeros(L)
    b_state = np.zeros(L, dtype=np.int64)
    b_arc = np.zeros(L, dtype=np.int64)
    for li in range(L):
        arcs = np.flatnonzero(arc_link == li)
        sub = need[:, arcs]
        top = float(sub.max())
        s_idx, a_idx = np.nonzero(sub >= top * (1.0 - 1e-9) - 1e-12)
        order = np.lexsort((a_idx, s_idx, s_idx == 0))  # failure states first, in order
        pick = order[0]
        required[li] = top
        b_state[li], b_arc[li] = s_idx[pick], arcs[a_idx[pick]]
    return required, b_state, b_arc


def _cheapest_cover(chosen, allowed, cost, capacity, required) -> np.ndarray:
    """Per link, the cheapest allowed state covering ``required`` if cheaper than ``chosen``."""
    covers = allowed & (capacity[None, :] >= required[:, None] * (1 - _COVER_RTOL) - 1e-9)
    masked = np.where(covers, cost, np.inf)
    best = np.argmin(masked, axis=1)
    rows = np.arange(chosen.size)
    better = np.isfinite(masked[rows, best]) & (masked[rows, best] < cost[rows, chosen] - 1e-6)
    return np.where(better, best, chosen)


# --------------------------------------------------------------------------- texts
def _state_text(p: _Plane, s: int) -> str:
    if s == 0:
        return "without failure"
    return f"when {p.paths.states[s - 1].name} fails"


def _binding_hour(p: _Plane, yi: int, s: int, arc: int) -> tuple[int, float]:
    """Busiest hour of an arc in a state under the solved routing, and its load then."""
    x, flow = p.flows[yi]
    path_flow = p.model.state_path_flows(x, flow, s - 1)
    through = p.paths.arc_incidence[:, arc].nonzero()[0]
    if through.size == 0:
        return 0, 0.0
    od = p.paths.path_od[through]
    peak = p.peak_gbps[yi, od]
    share = np.divide(path_flow[through], peak, out=np.zeros(through.size), where=peak > 0)
    hourly = p.hourly_gbps[yi][:, od] @ share  # (H,)
    h = int(np.argmax(hourly))
    return h, float(hourly[h])


def _reason(
    p: _Plane,
    yi: int,
    li: int,
    year: int,
    scenario: str,
    before: float,
    catalogue: TierCatalogue,
    states: ModuleStates,
) -> tuple[str, dict]:
    s, a = int(p.binding[yi][0][li]), int(p.binding[yi][1][li])
    load = float(p.loads[yi][s, a])
    target = float(_targets(p.model)[s])
    need = float(p.required[yi][li])
    g = p.graph
    hour, hour_load = _binding_hour(p, yi, s, a)
    facts = {
        "binding_state": "none" if s == 0 else p.paths.states[s - 1].name,
        "binding_hour": hour,
        "binding_load_gbps": load,
        "target_utilisation": target,
        "required_gbps": need,
    }
    prefix = ""
    if p.state[yi][li] and (yi == 0 and p.initial[li] == 0 or yi > 0 and p.state[yi - 1][li] == 0):
        if p.build_cny[li] > 0:
            prefix = f"builds candidate link (fixed charge {p.build_cny[li]:,.0f} CNY); "
    if need <= before * (1 + _COVER_RTOL) + 1e-9:
        k = int(p.state[yi][li])
        name = f"{catalogue.name[states.tier[k]]}×{states.modules[k]}"
        stay = p.stay_cost[yi][li]
        new = p.capex[yi][li] + p.opex[yi][li]
        return (
            prefix + f"not forced by load (the solved routing needs {need:.3f} Gbit/s; "
            f"{before:g} Gbit/s installed): {name} costs {new:,.0f} CNY in {year} against "
            f"{stay:,.0f} CNY to keep what is installed"
        ), facts
    src, dst = g.node_ids[g.arc_src[a]], g.node_ids[g.arc_dst[a]]
    text = (
        f"{_state_text(p, s)} in {year}, scenario {scenario}: design load {load:.3f} Gbit/s "
        f"{src}→{dst} (every od at its own peak hour; {hour_load:.3f} Gbit/s at the busiest "
        f"hour {hour:02d}:00) needs {load / target:.3f} Gbit/s at the {target:.0%} target; "
        f"{before:g} Gbit/s installed before"
    )
    return prefix + text, facts


# --------------------------------------------------------------------------- marginal cost
def _link_cost(result, build_cny: float, df: np.ndarray) -> float:
    cost = float(result.discounted_cost_cny[0])
    if build_cny > 0:
        first = np.flatnonzero(result.capacity_gbps[0] > 0)
        if first.size:
            cost += build_cny * float(df[first[0]])
    return cost


def _marginal_cost(
    p: _Plane,
    li: int,
    yi: int,
    before: float,
    catalogue: TierCatalogue,
    states: ModuleStates,
    rate: float,
    df: np.ndarray,
) -> float:
    """Discounted saving if link ``li`` needed no more than ``before`` in year ``yi``.

    The solved routing is held fixed; the link alone is re-sized over all years by the
    exact sizing programme with and without that year's requirement.
    """
    required = np.array([r[li] for r in p.required])[None, :]
    k0 = int(p.initial[li])
    kwargs = dict(
        discount_rate=rate,
        length_km=p.length_km[li : li + 1],
        initial_tier=[int(states.tier[k0])],
        initial_modules=[int(states.modules[k0])],
    )
    base = size_tiers(required, catalogue, **kwargs)
    relaxed = required.copy()
    relaxed[0, yi] = min(relaxed[0, yi], before)
    again = size_tiers(relaxed, catalogue, **kwargs)
    saving = _link_cost(base, p.build_cny[li], df) - _link_cost(again, p.build_cny[li], df)
    return max(0.0, saving)


# --------------------------------------------------------------------------- diagnosis
def _diagnosis_items(
    p: _Plane, yi: int, year: int, sol_allowed, diag, states: ModuleStates, catalogue: TierCatalogue
) -> list[dict]:
    """Infeasibility items from the slack LPs: overloaded links, then unserved demand."""
    items: list[dict] = []
    m = p.model
    g = p.graph
    worst: dict[int, tuple[float, int]] = {}
    for row in np.flatnonzero(diag.overload_gbps > 0):
        li = int(g.arc_link[m.cap_arc[row]])
        if diag.overload_gbps[row] > worst.get(li, (0.0, -1))[0]:
            worst[li] = (float(diag.overload_gbps[row]), int(row))
    for li, (sigma, row) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        s = int(m.cap_state[row])
        target = m.u_normal if s < 0 else m.u_failure
        top = np.flatnonzero(sol_allowed[li])
        k = int(top[np.argmax(states.capacity_gbps[top])])
        cap = float(states.capacity_gbps[k])
        tier = f"{catalogue.name[states.tier[k]]}×{states.modules[k]}" if k else "nothing"
        where = (
            "without failure"
            if s < 0
            else ("in every failure state" if s == -2 else f"when {p.paths.states[s].name} fails")
        )
        a = int(m.cap_arc[row])
        load = float(diag.overload_load_gbps[row])
        items.append(
            {
                "item": "link",
                "id": p.links[li].id,
                "year": year,
                "plane": p.name,
                "failure": "none" if s < 0 else ("any" if s == -2 else p.paths.states[s].name),
                "reason": (
                    f"{where}: {load:.3f} Gbit/s {g.node_ids[g.arc_src[a]]}→"
                    f"{g.node_ids[g.arc_dst[a]]} needs {load / target:.3f} Gbit/s at the "
                    f"{target:.0%} target even with routing free over the candidate paths; "
                    f"the largest state allowed is {tier} = {cap:g} Gbit/s"
                ),
                "shortfall": sigma / target,
                "overload_gbps": sigma,
            }
        )
    for od in np.flatnonzero(diag.unserved_gbps > 0):
        items.append(_unserved_item(p, yi, year, int(od), "none", float(diag.unserved_gbps[od])))
    for i in np.flatnonzero(diag.state_unserved_gbps > 0):
        od = int(m.sd_od[i])
        items.append(
            _unserved_item(
                p,
                yi,
                year,
                od,
                p.paths.states[int(m.sd_state[i])].name,
                float(diag.state_unserved_gbps[i]),
            )
        )
    return items


def _unserved_item(p: _Plane, yi: int, year: int, od: int, state: str, amount: float) -> dict:
    g = p.graph
    label = f"{g.node_ids[p.paths.od_src[od]]}>{g.node_ids[p.paths.od_dst[od]]}"
    where = "without failure" if state == "none" else f"when {state} fails"
    return {
        "item": "demand",
        "id": label,
        "year": year,
        "plane": p.name,
        "failure": state,
        "reason": (
            f"{where}: {amount:.3f} of its {p.peak_gbps[yi, od]:.3f} Gbit/s cannot "
            "be carried within the targets even at the largest capacities"
        ),
        "shortfall": amount,
    }


def _lost_items(p: _Plane, year: int, yi: int) -> list[dict]:
    """Demand no capacity can carry: cut off by a failure, or at a node that is down."""
    items: list[dict] = []
    g, cp = p.graph, p.paths
    peak = p.peak_gbps[yi]

    def label(od: int) -> str:
        return f"{g.node_ids[cp.od_src[od]]}>{g.node_ids[cp.od_dst[od]]}"

    for od in np.flatnonzero(cp.unreachable & (peak > 0)):
        items.append(
            {
                "item": "demand",
                "id": label(od),
                "year": year,
                "plane": p.name,
                "failure": "none",
                "reason": "no path joins its ends, even over the candidate links",
                "shortfall": float(peak[od]),
            }
        )
    for od in np.flatnonzero(p.gone_peak_gbps[yi] > 0):
        items.append(
            {
                "item": "demand",
                "id": label(od),
                "year": year,
                "plane": p.name,
                "failure": "scenario",
                "reason": "an end node is failed for the whole scenario: its traffic is lost",
                "shortfall": float(p.gone_peak_gbps[yi, od]),
            }
        )
    for s, state in enumerate(cp.states):
        for od in np.flatnonzero((cp.lost[s] | cp.dropped[s]) & (peak > 0)):
            why = (
                "its end node fails: the traffic has nowhere to go"
                if cp.dropped[s, od]
                else "disconnects it: no path survives, even over the candidate links"
            )
            items.append(
                {
                    "item": "demand",
                    "id": label(od),
                    "year": year,
                    "plane": p.name,
                    "failure": state.name,
                    "reason": f"{state.name} {why}",
                    "shortfall": float(peak[od]),
                }
            )
    return items


# --------------------------------------------------------------------------- the driver
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


def _solve_year(
    p: _Plane,
    yi: int,
    year: int,
    allowed,
    cost,
    share_s: float,
    gap: float,
    catalogue,
    states,
    infeasible: list[dict],
) -> YearSolution:
    sol = p.model.solve(p.peak_gbps[yi], allowed, cost, time_limit_s=share_s, gap=gap)
    if sol.status != "infeasible":
        return sol
    diag = p.model.diagnose(p.peak_gbps[yi], allowed, time_limit_s=max(share_s, 10.0))
    infeasible.extend(_diagnosis_items(p, yi, year, allowed, diag, states, catalogue))
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


def _fallback(
    topology: Topology, scenario: Scenario, check: bool, why: str, solves: list[dict]
) -> RoutedPlan:
    from netplan.optimize.capacity import optimize as optimize_fixed

    log.warning("optimized routing: %s; falling back to the fixed-routing plan", why)
    fixed = optimize_fixed(topology, scenario, "fixed", check=check)
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
    """
    _validate(time_limit_s, gap, k_paths, reconfiguration)
    started = time.perf_counter()
    deadline = started + float(time_limit_s)
    demand = build_demand(topology, scenario)
    topo = demand.whatif.topology
    catalogue = catalogue_of(topo)
    states = module_states(catalogue)
    names = list(catalogue.name)
    years = scenario.years
    rate = scenario.discount_rate
    df = (1.0 + rate) ** -np.arange(len(years), dtype=float)
    planes = [
        _setup_plane(
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
        for plane, pd in demand.planes.items()
    ]
    log.info(
        "optimized routing: %d plane(s) set up in %.1f s",
        len(planes),
        time.perf_counter() - started,
    )
    infeasible: list[dict] = []
    solves: list[dict] = []
    weights = {p.name: max(p.model.size["nonzeros"], 1) for p in planes}
    for yi, year in enumerate(years):
        for pi, p in enumerate(planes):
            prev = p.initial if yi == 0 else p.state[yi - 1]
            allowed, capex, opex = year_options(
                catalogue,
                states,
                prev,
                length_km=p.length_km,
                build_capex_cny=p.build_cny,
                capacity_max_gbps=p.capacity_max_gbps,
            )
            cost = capex + opex
            left = sum(weights[q.name] for q in planes) * (len(years) - yi - 1) + sum(
                weights[q.name] for q in planes[pi:]
            )
            share = max(_MIN_SOLVE_S, (deadline - time.perf_counter()) * weights[p.name] / left)
            sol = _solve_year(p, yi, year, allowed, cost, share, gap, catalogue, states, infeasible)
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
                solves.append(record | {"objective_cny": np.nan, "gap": np.nan})
                return _fallback(
                    topology,
                    scenario,
                    check,
                    f"the {p.name} MILP of {year} found no plan ({sol.status}: {sol.message})",
                    solves,
                )
            # An elastic (infeasible) year overloads some link: no routing fits to polish.
            polished = (
                None
                if sol.status == "infeasible"
                else p.model.polish(p.peak_gbps[yi], sol.state, time_limit_s=max(share, 10.0))
            )
            x, flow = polished if polished is not None else (sol.x, sol.state_flow)
            loads = p.model.loads(x, flow)
            required, b_state, b_arc = _requirements(p, loads)
            rows = np.arange(len(p.links))
            final = (
                sol.state
                if sol.status == "infeasible"
                else _cheapest_cover(sol.state, allowed, cost, states.capacity_gbps, required)
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
            solves.append(record | {"objective_cny": year_cost, "gap": year_gap})
            log.info(
                "%s %d: %s, %.0f CNY (bound %.0f) in %.1f s",
                p.name,
                year,
                sol.status,
                year_cost,
                sol.bound_cny,
                sol.time_s,
            )

    rows, links_total = _link_rows(planes, topo, years, scenario, catalogue, states, rate, df)
    rack_rows, rack_cost = _rack_rows(
        topo, scenario, dc_load(topo, scenario, demand), df, infeasible
    )
    rows += rack_rows
    _budget_items(scenario, rows, infeasible)
    for p in planes:
        infeasible.extend(_lost_items(p, years[-1], len(years) - 1))
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
    if status == "time_limit":
        notes.append(
            f"Some solves stopped at their time limit; the plan is within "
            f"{plan_gap:.2%} of the bound."
        )
    plan = RoutedPlan(
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
    if check:
        from dataclasses import replace

        plan = replace(plan, check=independent_check_routed(topology, scenario, plan.rows))
    log.info("optimized routing: done in %.1f s", time.perf_counter() - started)
    return plan


def _link_rows(planes, topo, years, scenario, catalogue, states, rate, df):
    rows: list[dict] = []
    total = 0.0
    for p in planes:
        for li, link in enumerate(p.links):
            district = _district(topo, link)
            before = float(states.capacity_gbps[p.initial[li]])
            for yi, year in enumerate(years):
                k = int(p.state[yi][li])
                prev = int(p.initial[li] if yi == 0 else p.state[yi - 1][li])
                bought = k != prev
                capex, opex = float(p.capex[yi][li]), float(p.opex[yi][li])
                total += (capex + opex) * df[yi]
                capacity = float(states.capacity_gbps[k])
                row = {
                    "item": "link",
                    "id": link.id,
                    "plane": p.name,
                    "district": district,
                    "year": year,
                    "tier": catalogue.name[states.tier[k]] if k else "",
                    "modules": int(states.modules[k]),
                    "capacity_gbps": capacity,
                    "racks": 0,
                    "racks_added": 0,
                    "purchase": bought,
                    "capex_cny": capex,
                    "opex_cny": opex,
                    "marginal_cost_cny": 0.0,
                    "reason": "",
                    "required_gbps": float(p.required[yi][li]),
                }
                if bought:
                    text, facts = _reason(p, yi, li, year, scenario.name, before, catalogue, states)
                    row["reason"] = text
                    row.update(facts)
                    row["marginal_cost_cny"] = _marginal_cost(
                        p, li, yi, before, catalogue, states, rate, df
                    )
                rows.append(row)
                before = capacity
    return rows, total


def _district(topo: Topology, link: Link) -> str:
    for end in (link.a, link.b):
        if topo.node(end).kind == "district":
            return end
    return "municipal"


def _budget_items(scenario: Scenario, rows: list[dict], infeasible: list[dict]) -> None:
    budget = scenario.budget_cny_per_year
    if budget is None:
        return
    for year in scenario.years:
        capex = sum(x["capex_cny"] for x in rows if x["year"] == year)
        if capex > budget + 1e-6:
            infeasible.append(
                {
                    "item": "budget",
                    "id": str(year),
                    "year": year,
                    "reason": f"the purchases the targets force cost {capex:,.0f} CNY in {year}; "
                    f"the budget is {budget:,.0f} CNY",
                    "shortfall": capex - budget,
                }
            )


def _routes(planes, years) -> list[dict]:
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


def independent_check_routed(topology: Topology, scenario: Scenario, plan_rows) -> dict:
    """Check a plan's link capacities with a max-concurrent-flow LP per plane, year and state.

    The demand and the planes are rebuilt from ``topology`` and ``scenario``; only the
    capacities come from ``plan_rows`` (a link without a row keeps what is installed).
    Routing is free in every state (arc flows, not the plan's paths), capacities are scaled
    by the state's utilisation target, and demand a state cannot carry whatever the
    capacities (at a failed node, or cut off) is left out of that state.

    Parameters
    ----------
    topology, scenario
    plan_rows : iterable of dict
        Rows as in :attr:`Plan.rows` (``item``, ``id``, ``year``, ``capacity_gbps``).

    A year whose capacities equal those of a later year that passed, with no od's demand
    larger, is not solved again: the maximum concurrent flow only grows as demand shrinks,
    so it passes too (listed under ``years_implied``).

    Returns
    -------
    dict
        ``passed``, ``breaches`` (year, plane, failure, throughput λ < 1), ``method``,
        ``years_checked``, ``years_implied``, ``failure_policy``, ``states_checked``,
        ``worst_throughput``.
    """
    targets = scenario.targets
    demand = build_demand(topology, scenario)
    topo = demand.whatif.topology
    capacity = {
        (r["id"], r["year"]): float(r["capacity_gbps"]) for r in plan_rows if r["item"] == "link"
    }
    breaches: list[dict] = []
    implied: list[dict] = []
    checked = 0
    worst = np.inf
    for plane, pd in demand.planes.items():
        graph = topo.plane_graph(plane, built_only=False)
        links = topo.links_of(plane, built_only=False)
        permanent = [
            graph.node_index[n] for n in demand.whatif.failed_nodes if n in graph.node_index
        ]
        peak = pd.total_gbps.max(axis=1)
        caps = [
            np.array(
                [
                    capacity.get(
                        (lk.id, year), 0.0 if lk.candidate else float(lk.capacity_gbps or 0.0)
                    )
                    for lk in links
                ]
            )
            for year in scenario.years
        ]
        passed: list[int] = []
        # Latest year first: an earlier year with the same capacities and nowhere more
        # demand carries at least the same fraction λ in every state, so it passes too.
        for yi in reversed(range(len(scenario.years))):
            year = scenario.years[yi]
            by = next(
                (
                    z
                    for z in passed
                    if np.array_equal(caps[z], caps[yi]) and np.all(peak[yi] <= peak[z])
                ),
                None,
            )
            if by is not None:
                implied.append({"year": year, "plane": plane, "implied_by": scenario.years[by]})
                passed.append(yi)
                continue
            results = check_plane_year(
                graph,
                caps[yi],
                pd.od_src,
                pd.od_dst,
                peak[yi],
                policy=scenario.failure_policy,
                u_normal=targets.max_utilisation_normal,
                u_failure=targets.max_utilisation_failure,
                permanent_nodes=permanent,
            )
            checked += len(results)
            failed = [r for r in results if not r["passed"]]
            worst = min([worst, *(r["throughput"] for r in results)])
            breaches.extend(
                {
                    "year": year,
                    "plane": plane,
                    "failure": r["state"],
                    "throughput": r["throughput"],
                    "target_utilisation": r["target_utilisation"],
                }
                for r in failed
            )
            if not failed:
                passed.append(yi)
    breaches.sort(key=lambda b: (b["plane"], b["year"]))
    return {
        "method": (
            "netplan.optimize.check.check_routable: a maximum-concurrent-flow LP over "
            "arc flows (routing free, not the plan's paths) per plane, year and failure "
            "state, capacities × the state's utilisation target; passes when every "
            "state carries all of its demand (λ >= 1)"
        ),
        "demand": DEMAND_BASIS,
        "years_checked": list(scenario.years),
        "failure_policy": list(scenario.failure_policy),
        "states_checked": checked,
        "years_implied": implied,
        "worst_throughput": float(worst) if np.isfinite(worst) else None,
        "passed": not breaches,
        "breaches": breaches,
    }
