"""Candidate links bought to meet a scenario's availability targets, at least cost.

A scenario's ``availability`` block sets targets per district (by id, region or ``*``),
judged end to end or on the network between the two end nodes
(:class:`netplan.model.scenario.AvailabilityTargets`). :func:`choose_links` finds the
cheapest set of candidate links whose building meets every target that building can meet,
using :meth:`netplan.availability.AvailabilityModel.evaluate`:

1. the network as it stands is evaluated; the rows (district, plane, destination) that
   miss their target are the work;
2. with every candidate link of their planes built, the rows that still miss are
   *unreachable*: no purchase of links fixes them. Each is diagnosed: its best reachable
   value, and what bounds it (the end nodes' own equipment, when their failures alone use
   up the downtime the target allows; otherwise the network, with its dominant cut);
3. a candidate whose absence from "every candidate built" makes a reachable row miss is
   needed by every solution (availability never falls when a link is added, so no subset
   without it can do better);
4. subsets of the other candidates are tried in increasing estimated cost (build charge
   plus one module of the cheapest tier) on top of the needed ones; the first that meets
   every reachable row is the least-cost one (exact). The cheapest 20 subsets are tried
   before step 3, which most targets never need. After :data:`MAX_EVALUATIONS` subsets
   without one, a greedy step takes over (the candidate that closes the most
   shortfall per yuan, then links left redundant are dropped): the result is then marked
   ``method="greedy"`` and is not proven least-cost.

Each purchase names the districts whose target needs it. The planner
(:func:`netplan.planning.optimize`) then sizes the network with the chosen links built,
so the fixed sizing buys their modules, and :func:`with_builds` adds their build charge and
reasons to the plan. Every availability figure is an estimate, as the failure rates are.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from netplan.availability.api import (
    MINUTES_PER_YEAR,
    AvailabilityModel,
    AvailabilityResult,
    prepare,
)
from netplan.errors import Problem, ValidationError
from netplan.model.scenario import REGIONS, Scenario
from netplan.model.topology import Topology
from netplan.planning.plan import Plan
from netplan.planning.sizing import discount_factors

__all__ = ["MAX_EVALUATIONS", "AvailabilityChoice", "Purchase", "build_links", "choose_links",
           "missed_item", "search_links", "with_builds", "worst_per_district"]

MAX_EVALUATIONS = 200
"""Subsets tried in cost order before the greedy step takes over (each is one evaluation of
the districts that miss, a few tens of milliseconds on the default network)."""
_TOLERANCE = 1e-15
_FIRST_TRIES = 20


@dataclass(frozen=True)
class Purchase:
    """One candidate link bought for availability targets.

    Attributes
    ----------
    link, plane : str
    build_capex_cny : float
        The link's fixed build charge.
    cost_estimate_cny : float
        What the search ranked it by: the build charge plus one module of the cheapest tier
        (the plan then sizes its modules exactly).
    districts : tuple of str
        The districts whose target needs it (without it, one of their rows misses).
    rows : tuple of dict
        Per (district, plane, destination) it brings to target: ``before``, ``after`` (the
        judged lower bound without and with the purchases) and ``target``.
    """

    link: str
    plane: str
    build_capex_cny: float
    cost_estimate_cny: float
    districts: tuple[str, ...]
    rows: tuple[dict, ...] = ()

    def to_json(self) -> dict:
        """The purchase as ``results.json`` keeps it (``link``, ``districts``, ``capex_cny``…)."""
        return {"link": self.link, "plane": self.plane, "districts": list(self.districts),
                "build_capex_cny": self.build_capex_cny, "capex_cny": self.cost_estimate_cny,
                "cost_estimate_cny": self.cost_estimate_cny, "rows": [dict(r) for r in self.rows],
                "estimate": True}


@dataclass(frozen=True, eq=False)
class AvailabilityChoice:
    """What :func:`choose_links` found: the links to build and the targets no link meets.

    Attributes
    ----------
    judged_on : {"end_to_end", "network"}
    purchases : tuple of Purchase
        Cheapest first.
    unreachable : tuple of dict
        One diagnosis per (district, plane, destination) that misses its target even with
        every candidate link built: ``district``, ``name_zh``, ``plane``, ``destination``,
        ``target``, ``value`` (as it stands), ``best`` (every candidate built),
        ``bound_by`` (``end_nodes`` or ``network``), ``end_nodes_downtime_min_per_year``,
        ``allowed_downtime_min_per_year``, ``dominant_cut``.
    method : {"none", "exact", "greedy"}
        ``none``: nothing to buy; ``exact``: least-cost among every subset; ``greedy``: the
        search stopped after :data:`MAX_EVALUATIONS` subsets.
    evaluations : int
        Subsets evaluated.
    before : AvailabilityResult
        Every row of the network as it stands.
    model : AvailabilityModel
        For re-evaluating with the purchases built.
    """

    judged_on: str
    purchases: tuple[Purchase, ...]
    unreachable: tuple[dict, ...]
    method: str
    evaluations: int
    before: AvailabilityResult = field(repr=False)
    model: AvailabilityModel = field(repr=False)

    @property
    def built(self) -> tuple[str, ...]:
        """The ids of the links to build."""
        return tuple(p.link for p in self.purchases)

    def after(self) -> AvailabilityResult:
        """Every row with the purchases built."""
        return self.model.evaluate(self.built) if self.built else self.before

    def to_json(self) -> dict:
        """JSON-ready: the purchases, the diagnoses, how they were found."""
        return {"judged_on": self.judged_on, "method": self.method,
                "evaluations": self.evaluations,
                "purchases": [p.to_json() for p in self.purchases],
                "unreachable": [dict(u) for u in self.unreachable], "estimate": True}


def _check_keys(scenario: Scenario, topology: Topology) -> None:
    """Every district id a target names is a district of the topology."""
    districts = {n.id for n in topology.nodes if n.kind == "district"}
    wrong = [k for k in scenario.availability.targets
             if k != "*" and k not in REGIONS and k not in districts]
    if wrong:
        raise ValidationError([Problem("", f"availability.targets.{k}",
                                       f"{k!r} is not a district of topology "
                                       f"{topology.name!r} (nor a region, nor *)")
                               for k in wrong])


def _module_capex_cny(topology: Topology, link) -> float:
    """One module of the cheapest tier on ``link``: the least a built link carries."""
    length_km = link.length_km or 0.0
    return min((t.capex_cny + t.capex_cny_per_km * length_km for t in topology.tiers),
               default=0.0)


def _key(row: dict) -> tuple[str, str, str]:
    return row["district"], row["plane"], row["destination"]


class _Search:
    """Evaluations of the districts that miss, with some candidates built."""

    def __init__(self, model: AvailabilityModel, rows: Sequence[dict]):
        self.model = model
        self.targets = {_key(r): r["target"] for r in rows}
        self.districts = sorted({r["district"] for r in rows})
        self.evaluations = 0
        self._seen: dict[frozenset, dict] = {}

    def judged(self, built: Iterable[str]) -> dict[tuple, float]:
        """The judged lower bound of every row of the search with ``built`` built."""
        key = frozenset(built)
        if key not in self._seen:
            self.evaluations += 1
            result = self.model.evaluate(sorted(key), districts=self.districts)
            self._seen[key] = {_key(r): r["judged_lower_bound"] for r in result.rows
                               if _key(r) in self.targets}
        return self._seen[key]

    def shortfall(self, built: Iterable[str]) -> float:
        """How far the rows are below their targets, summed (0: every target met)."""
        judged = self.judged(built)
        return sum(max(0.0, t - judged[k]) for k, t in self.targets.items())

    def meets(self, built: Iterable[str]) -> bool:
        return self.shortfall(built) <= _TOLERANCE


def _cheapest(search: _Search, needed: list[str], optional: list[str], cost: dict,
              limit: int) -> list[str] | None:
    """The least-cost superset of ``needed`` that meets every row, trying subsets of
    ``optional`` in increasing cost; None after ``limit`` evaluations without one."""
    order = sorted(optional, key=lambda c: (cost[c], c))
    base = sum(cost[c] for c in needed)
    # Each subset is a tuple of indices into ``order``; a subset's successors are itself
    # with its last index moved one on, and with the next index added: every subset comes
    # out once, in non-decreasing cost.
    heap: list[tuple[float, int, tuple[int, ...]]] = [(base, 0, ())]
    tried = 0
    while heap and tried < limit:
        _, _, chosen = heapq.heappop(heap)
        picked = [order[i] for i in chosen]
        tried += 1
        if search.meets(needed + picked):
            return needed + picked
        nxt = chosen[-1] + 1 if chosen else 0
        if nxt < len(order):
            grown = (*chosen, nxt)
            heapq.heappush(heap, (base + sum(cost[order[i]] for i in grown), len(grown), grown))
            if chosen:
                moved = (*chosen[:-1], nxt)
                heapq.heappush(heap, (base + sum(cost[order[i]] for i in moved), len(moved),
                                      moved))
    return None


def _greedy(search: _Search, needed: list[str], optional: list[str], cost: dict) -> list[str]:
    """Add the candidate closing the most shortfall per yuan until every row meets; then
    drop links left redundant, dearest first."""
    chosen = list(needed)
    left = sorted(optional, key=lambda c: (cost[c], c))
    while not search.meets(chosen) and left:
        now = search.shortfall(chosen)
        gains = [((now - search.shortfall([*chosen, c])) / max(cost[c], 1.0), c) for c in left]
        best_gain, best = max(gains, key=lambda g: (g[0], -cost[g[1]]))
        pick = best if best_gain > 0 else left[0]
        chosen.append(pick)
        left.remove(pick)
    for c in sorted(chosen, key=lambda c: -cost[c]):
        if c not in needed and search.meets([x for x in chosen if x != c]):
            chosen.remove(c)
    return chosen


def _diagnosis(model: AvailabilityModel, before: dict, best: dict) -> dict:
    """Why a row misses with every candidate built: its best value and what bounds it."""
    nodes = model.rates["nodes"]
    q_ends = [nodes[n].unavailability if n in nodes else 0.0
              for n in (best["district"], best["destination"])]
    if best["district"] in model.failed_nodes or best["destination"] in model.failed_nodes:
        q_ends = [1.0]
    ends_min = (1.0 - math.prod(1.0 - q for q in q_ends)) * MINUTES_PER_YEAR
    allowed_min = (1.0 - best["target"]) * MINUTES_PER_YEAR
    by_ends = best["judged_on"] == "end_to_end" and ends_min >= allowed_min
    return {
        "district": best["district"], "name_zh": best["name_zh"], "plane": best["plane"],
        "destination": best["destination"], "target": best["target"],
        "judged_on": best["judged_on"], "value": before["judged_lower_bound"],
        "best": best["judged_lower_bound"],
        "bound_by": "end_nodes" if by_ends else "network",
        "end_nodes_downtime_min_per_year": ends_min,
        "allowed_downtime_min_per_year": allowed_min,
        "dominant_cut": best["dominant_cut" if best["judged_on"] == "end_to_end"
                             else "network_dominant_cut"],
        "estimate": True,
    }


def _attribute(search: _Search, chosen: list[str], model: AvailabilityModel, cost: dict,
               before: dict) -> tuple[Purchase, ...]:
    """Each chosen link with the districts that need it (without it, one of their rows
    misses) and the rows it brings to target."""
    planes = {lk.id: lk.plane for lk in model.topology.links}
    links = {lk.id: lk for lk in model.topology.links}
    after = search.judged(chosen)
    out = []
    for c in chosen:
        without = search.judged([x for x in chosen if x != c])
        keys = [k for k, t in search.targets.items() if without[k] < t - _TOLERANCE]
        rows = tuple({"district": k[0], "plane": k[1], "destination": k[2],
                      "before": before[k], "after": after[k], "target": search.targets[k]}
                     for k in sorted(keys))
        out.append(Purchase(link=c, plane=planes[c],
                            build_capex_cny=float(links[c].build_capex_cny),
                            cost_estimate_cny=float(cost[c]),
                            districts=tuple(dict.fromkeys(k[0] for k in sorted(keys))),
                            rows=rows))
    return tuple(sorted(out, key=lambda p: (p.cost_estimate_cny, p.link)))


def choose_links(topology: Topology, scenario: Scenario, *, demand=None,
                 max_evaluations: int = MAX_EVALUATIONS) -> AvailabilityChoice | None:
    """The least-cost candidate links that meet the scenario's availability targets.

    Parameters
    ----------
    topology : Topology
        The network as loaded (the scenario's what-ifs are applied here).
    scenario : Scenario
        Its ``availability`` block; None is returned without one.
    demand : Demand, optional
        The scenario's demand, when already built (it names the destinations).
    max_evaluations : int
        Subsets tried in cost order before the greedy step.

    Returns
    -------
    AvailabilityChoice or None

    Raises
    ------
    ValidationError
        When a target names a district the topology does not have.

    Examples
    --------
    Wanzhou left on one uplink misses 99.99 % on the network; a ring link to Yunyang, the
    cheapest candidate that gives it a second way out, meets it:

    >>> import netplan
    >>> from netplan.model.scenario import AvailabilityTargets, RemoveLink
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> s = s.model_copy(update={
    ...     "overrides": (RemoveLink(action="remove_link", link="ex-wanzhou-1"),),
    ...     "availability": AvailabilityTargets(targets={"*": 99.99}, judged_on="network")})
    >>> choice = choose_links(topo, s)
    >>> choice.built, choice.purchases[0].districts, choice.method
    (('ex-ring-yunyang-wanzhou',), ('wanzhou',), 'exact')
    """
    settings = scenario.availability
    if settings is None:
        return None
    if demand is None:
        from netplan.demand import build_demand

        demand = build_demand(topology, scenario)
    _check_keys(scenario, demand.whatif.topology)
    model = prepare(topology, scenario, demand=demand, targets=settings.fractions(),
                    targets_on=settings.judged_on, prob_cutoff=settings.prob_cutoff)
    return search_links(model, max_evaluations=max_evaluations)


def search_links(model: AvailabilityModel, *, max_evaluations: int = MAX_EVALUATIONS
                 ) -> AvailabilityChoice:
    """The least-cost candidate links that meet the targets of ``model`` (see the module).

    Parameters
    ----------
    model : AvailabilityModel
        From :func:`netplan.availability.prepare`, with its targets and ``targets_on``.
    max_evaluations : int
        Subsets tried in cost order before the greedy step.

    Returns
    -------
    AvailabilityChoice
    """
    judged_on = model.targets_on
    before = model.evaluate()
    missed = before.misses()
    if not missed:
        return AvailabilityChoice(judged_on, (), (), "none", 0, before, model)
    planes = {r["plane"] for r in missed}
    candidates = sorted(lk.id for lk in model.topology.links
                        if lk.candidate and lk.plane in planes)
    cost = {lk.id: float(lk.build_capex_cny) + _module_capex_cny(model.topology, lk)
            for lk in model.topology.links if lk.id in candidates}
    districts = sorted({r["district"] for r in missed})
    best = {_key(r): r for r in model.evaluate(candidates, districts=districts).rows}
    unreachable = tuple(_diagnosis(model, r, best[_key(r)]) for r in missed
                        if best[_key(r)]["judged_lower_bound"] < r["target"] - _TOLERANCE)
    reachable = [r for r in missed
                 if best[_key(r)]["judged_lower_bound"] >= r["target"] - _TOLERANCE]
    if not reachable:
        return AvailabilityChoice(judged_on, (), unreachable, "none", 1, before, model)
    search = _Search(model, reachable)
    # Most targets need one or two cheap links: try the cheapest subsets first, and only
    # then pin the links every solution needs (one evaluation per candidate).
    first = min(_FIRST_TRIES, max_evaluations)
    chosen, needed, optional = _cheapest(search, [], candidates, cost, first), [], candidates
    if chosen is None:
        needed = [c for c in candidates
                  if not search.meets([x for x in candidates if x != c])]
        optional = [c for c in candidates if c not in needed]
        chosen = _cheapest(search, needed, optional, cost, max_evaluations - first)
    method = "exact"
    if chosen is None:
        chosen, method = _greedy(search, needed, optional, cost), "greedy"
    start = {_key(r): r["judged_lower_bound"] for r in reachable}
    purchases = _attribute(search, chosen, model, cost, start)
    return AvailabilityChoice(judged_on, purchases, unreachable, method,
                              1 + search.evaluations, before, model)


def build_links(topology: Topology, scenario: Scenario, links: Iterable[str]
                ) -> tuple[Topology, Scenario]:
    """``topology`` and ``scenario`` with the candidate ``links`` built, their capacity left
    for the sizing to buy (no tier, no modules).

    A candidate the scenario adds (``add_link``) is built in its override.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> built, _ = build_links(topo, s, ["ex-ring-yunyang-wanzhou"])
    >>> link = built.link_index["ex-ring-yunyang-wanzhou"]
    >>> link.candidate, link.tier, link.modules
    (False, None, 0)
    """
    wanted = set(links)
    update = {"candidate": False, "tier": None, "modules": 0, "capacity_gbps": None}
    topo = topology.model_copy(update={"links": tuple(
        lk.model_copy(update=update) if lk.id in wanted else lk for lk in topology.links)})
    overrides = tuple(
        o.model_copy(update={"link": o.link.model_copy(update=update)})
        if o.action == "add_link" and o.link.id in wanted else o
        for o in scenario.overrides)
    return topo, scenario.model_copy(update={"overrides": overrides})


def _percent(value: float) -> str:
    return f"{100 * value:.4f}%"


def _build_phrase(purchase: Purchase, judged_on: str) -> str:
    """``builds candidate link (fixed charge …); for the availability target of …``."""
    worst = min(purchase.rows, key=lambda r: r["before"] - r["target"], default=None)
    measure = "network" if judged_on == "network" else "end-to-end"
    text = (f"builds candidate link (fixed charge {purchase.build_capex_cny:,.0f} CNY); "
            f"for the availability target of {', '.join(purchase.districts) or 'no district'}")
    if worst is not None:
        text += (f": {measure} availability on the {worst['plane']} to {worst['destination']} "
                 f"{_percent(worst['before'])} → {_percent(worst['after'])} against "
                 f"{_percent(worst['target'])} (estimates)")
    return text


def with_builds(plan: Plan, choice: AvailabilityChoice, topology: Topology) -> Plan:
    """``plan`` (sized with the chosen links built) with their build charge and reasons,
    and with the unreachable targets as infeasibilities.

    The build charge is paid in the first year a link has capacity, on that year's row
    (``build_capex_cny``, added to ``capex_cny``, the marginal cost and the objective). A
    chosen link the sizing gave no capacity (no failure state of the policy routes traffic
    over it) gets one module of the cheapest tier, so that it is built.

    Parameters
    ----------
    plan : Plan
    choice : AvailabilityChoice
    topology : Topology
        The network the plan was sized on (the chosen links built), for tier prices.

    Returns
    -------
    Plan
    """
    rows = [dict(r) for r in plan.rows]
    weight = discount_factors(plan.discount_rate, len(plan.years))
    extra_cny = 0.0
    for purchase in choice.purchases:
        mine = [r for r in rows if r["item"] == "link" and r["id"] == purchase.link]
        if not mine:
            continue
        if not any(r["tier"] for r in mine):
            extra_cny += _least_capacity(mine, topology, purchase.link, weight, plan.years)
        first = next(r for r in mine if r["tier"])
        build = purchase.build_capex_cny
        first["build_capex_cny"] = build
        first["capex_cny"] += build
        first["purchase"] = True
        yi = plan.years.index(first["year"])
        first["marginal_cost_cny"] += build * float(weight[yi])
        extra_cny += build * float(weight[yi])
        phrase = _build_phrase(purchase, choice.judged_on)
        first["reason"] = f"{first['reason']}; {phrase}" if first["reason"] else phrase
    items = [_unreachable_item(u, plan.years[0]) for u in worst_per_district(
        choice.unreachable, "best")]
    status = "infeasible" if items and plan.status == "optimal" else plan.status
    return replace(plan, rows=tuple(rows), objective_cny=plan.objective_cny + extra_cny,
                   bound_cny=plan.bound_cny + extra_cny, status=status,
                   infeasibilities=(*plan.infeasibilities, *items))


def _least_capacity(rows: list[dict], topology: Topology, link_id: str, weight, years) -> float:
    """One module of the cheapest tier on a built link the sizing left empty, every year;
    its discounted cost."""
    link = topology.link_index[link_id]
    length_km = link.length_km or 0.0
    tier = min(topology.tiers, key=lambda t: (t.capex_cny + t.capex_cny_per_km * length_km,
                                              t.capacity_gbps))
    capex = tier.capex_cny + tier.capex_cny_per_km * length_km
    opex = tier.opex_cny_per_year + tier.opex_cny_per_km_year * length_km
    cost = 0.0
    for i, row in enumerate(sorted(rows, key=lambda r: r["year"])):
        first = i == 0
        row.update(tier=tier.name, modules=1, capacity_gbps=float(tier.capacity_gbps),
                   opex_cny=float(opex), purchase=first, modules_bought=int(first),
                   unit_price_cny=float(capex), capex_cny=float(capex) if first else 0.0,
                   marginal_cost_cny=float(capex * weight[0]) if first else 0.0,
                   reason=(f"the least capacity that builds it: 1 × {tier.name}" if first
                           else ""))
        cost += (row["capex_cny"] + opex) * float(weight[years.index(row["year"])])
    return cost


def worst_per_district(rows: Iterable[dict], value: str) -> list[dict]:
    """One row per (district, plane): the one with the lowest ``value``, with
    ``destinations``, every destination of the district's rows.

    Examples
    --------
    >>> rows = [{"district": "d", "plane": "p", "destination": x, "v": v}
    ...         for x, v in (("a", 0.9), ("b", 0.8))]
    >>> worst_per_district(rows, "v")
    [{'district': 'd', 'plane': 'p', 'destination': 'b', 'v': 0.8, 'destinations': ['a', 'b']}]
    """
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["district"], r["plane"]), []).append(r)
    return [min(g, key=lambda r: r[value]) | {"destinations": sorted(r["destination"] for r in g)}
            for g in groups.values()]


def _unreachable_item(u: dict, year: int) -> dict:
    """An unreachable target as a plan infeasibility (``item`` ``availability``)."""
    if u["bound_by"] == "end_nodes":
        why = (f"its end nodes' own failures alone cost {u['end_nodes_downtime_min_per_year']:.1f} "
               f"min a year, more than the {u['allowed_downtime_min_per_year']:.1f} the target "
               f"allows (dominant cut {u['dominant_cut']}): no link purchase can change that")
    else:
        why = (f"even with every candidate link built; dominant cut {u['dominant_cut']}")
    reason = (f"availability target {_percent(u['target'])} ({u['judged_on'].replace('_', ' ')}) "
              f"of {u['district']} on the {u['plane']} to {u['destination']} is out of reach: "
              f"at best {_percent(u['best'])} (estimate), {why}")
    return {"item": "availability", "id": f"{u['district']}>{u['destination']}", "year": year,
            "plane": u["plane"], "reason": reason,
            "shortfall": max(0.0, u["target"] - u["best"]),
            "availability": dict(u)}


def missed_item(row: dict, year: int, why: str) -> dict:
    """A row that misses its target after a plan, as a plan infeasibility.

    Examples
    --------
    >>> row = {"district": "d", "name_zh": "", "plane": "extranet", "destination": "dc",
    ...        "target": 0.9999, "judged_on": "network", "judged_lower_bound": 0.9994,
    ...        "dominant_cut": "node:d", "network_dominant_cut": "link:x"}
    >>> item = missed_item(row, 2026, "no link bought")
    >>> item["item"], item["id"], item["availability"]["dominant_cut"]
    ('availability', 'd>dc', 'link:x')
    """
    cut = row["network_dominant_cut" if row["judged_on"] == "network" else "dominant_cut"]
    found = {"district": row["district"], "name_zh": row["name_zh"], "plane": row["plane"],
             "destination": row["destination"], "target": row["target"],
             "judged_on": row["judged_on"], "value": row["judged_lower_bound"], "best": None,
             "bound_by": None, "dominant_cut": cut,
             "destinations": row.get("destinations", [row["destination"]]), "estimate": True}
    reason = (f"availability target {_percent(row['target'])} "
              f"({row['judged_on'].replace('_', ' ')}) of {row['district']} on the "
              f"{row['plane']} to {row['destination']} is missed: "
              f"{_percent(row['judged_lower_bound'])} (estimate), dominant cut {cut}; {why}")
    return {"item": "availability", "id": f"{row['district']}>{row['destination']}",
            "year": year, "plane": row["plane"], "reason": reason,
            "shortfall": max(0.0, row["target"] - row["judged_lower_bound"]),
            "availability": found}
