"""What a run found against its targets, one record per thing a planner must act on.

Findings are plain JSON-ready dicts with a ``kind``:

``cut_off``
    A district (or any pair of sites) that failures of the policy disconnect: one finding
    per scenario, plane and district, naming every failure that cuts it, the years, the
    peak demand lost (Gbit/s), the services hit and the candidate links that would restore it.
``utilisation``
    A link above its utilisation target, with the failure, year and hour that cause it.
``latency``
    A district whose traffic exceeds a service's latency target in some failure state.
``racks``
    A data centre that needs more racks than it has (the network as it stands).
``unmet``
    A plan's target it could not meet within its limits (capacity, racks, budget).
``service``
    A service whose simulated or closed-form blocking or response time misses its target.
``unchecked``
    The plan was not re-checked independently, so it cannot be said to meet its targets.
``availability``
    A district whose availability to a destination (worst destination per plane) misses
    the scenario's target: the value against the target and the dominant cut; for a
    target no candidate link can reach, the best reachable value (every candidate built)
    and what bounds it (``bound_by``: the end nodes' own equipment, or the network).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from netplan.verdict.remedies import components, restoring_candidates

__all__ = [
    "availability_findings",
    "availability_missed_findings",
    "cut_off_findings",
    "latency_findings",
    "lost_records_of_plan",
    "rack_findings",
    "service_findings",
    "unmet_findings",
    "utilisation_findings",
]


def _plane_study(study, scenario: str, plane: str):
    for ps in study.planes:
        if ps.scenario == scenario and ps.plane == plane:
            return ps
    return None


def _district(topology, origin: str, destination: str) -> str:
    """The end of an od that is a district (the origin if both or neither are)."""
    kinds = {n.id: n.kind for n in topology.nodes}
    if kinds.get(origin) != "district" and kinds.get(destination) == "district":
        return destination
    return origin


def _names(topology, node_id: str) -> tuple[str, str]:
    for node in topology.nodes:
        if node.id == node_id:
            return node.name, node.name_zh
    return node_id, ""


def _services(ps, ods: Iterable[tuple[str, str]]) -> list[str]:
    """Services with demand on any of ``ods`` in the plane study ``ps``."""
    if ps is None:
        return []
    pd = ps.demand
    index = {(pd.node_ids[s], pd.node_ids[d]): i
             for i, (s, d) in enumerate(zip(pd.od_src, pd.od_dst, strict=True))}
    cols = [index[od] for od in ods if od in index]
    if not cols:
        return []
    carried = pd.gbps[..., cols].max(axis=(1, 2, 3)) > 0
    return [svc for svc, on in zip(pd.services, carried, strict=True) if on]


def _down_sets(ps, failures: Iterable[str]) -> dict[str, tuple[set[str], set[str]]]:
    """Failed link and node ids of each named failure state of ``ps`` (unknown names skipped)."""
    if ps is None:
        return {}
    states = {s.name: s for s in ps.sweep.states}
    out = {}
    for name in failures:
        state = states.get(name)
        if state is not None:
            out[name] = ({ps.graph.link_ids[i] for i in state.links},
                         {ps.graph.node_ids[i] for i in state.nodes})
    return out


class _CutSide:
    """Which end of a lost od is the one cut off: the end outside the network's main part.

    With both ends districts (district-to-district traffic), the district that the failure
    isolates is the one to name; the main part is the largest connected component left.
    """

    def __init__(self, study) -> None:
        self.study = study
        self._main: dict[tuple[str, str, str], set[str] | None] = {}

    def _main_part(self, scenario: str, plane: str, failure: str) -> set[str] | None:
        key = (scenario, plane, failure)
        if key not in self._main:
            self._main[key] = self._largest_part(scenario, plane, failure)
        return self._main[key]

    def _largest_part(self, scenario: str, plane: str, failure: str) -> set[str] | None:
        ps = _plane_study(self.study, scenario, plane)
        down = _down_sets(ps, [failure]).get(failure)
        if down is None:
            return None
        topology = self.study.demand(scenario).whatif.topology
        alive = {n.id for n in topology.nodes if plane in n.planes} - down[1]
        edges = [(k.a, k.b) for k in topology.links
                 if k.plane == plane and not k.candidate and k.id not in down[0]]
        labels = components(alive, edges)
        if not labels:
            return None
        biggest = Counter(labels.values()).most_common(1)[0][0]
        return {n for n, root in labels.items() if root == biggest}

    def of(self, rec: dict) -> str:
        topology = self.study.demand(rec["scenario"]).whatif.topology
        main = self._main_part(rec["scenario"], rec["plane"], rec["failure"])
        o, d = rec["origin"], rec["destination"]
        if main is not None and (o in main) != (d in main):
            return d if o in main else o
        return _district(topology, o, d)


def _not_own_node(study, records: Sequence[dict]) -> list[dict]:
    """Records without those whose own end node is the one that failed.

    A failure of a site's own node takes its traffic with it; no network can carry it, so
    it is not counted against the network (it stays in ``lost_demand.csv`` as data).
    """
    down_nodes: dict[tuple[str, str, str], set[str]] = {}
    out = []
    for r in records:
        key = (r["scenario"], r["plane"], r["failure"])
        if key not in down_nodes:
            ps = _plane_study(study, r["scenario"], r["plane"])
            down = _down_sets(ps, [r["failure"]]).get(r["failure"])
            down_nodes[key] = down[1] if down else set()
        if {r["origin"], r["destination"]} & down_nodes[key]:
            continue
        out.append(r)
    return out


def _once_if_always_lost(study, records: Sequence[dict]) -> list[dict]:
    """Records with an od lost even without failure kept once, as lost by the scenario.

    An od lost in the state ``none`` is lost in every state; naming each failure would
    blame failures for what the scenario itself does (a node down for its whole length)
    or for a network that is split already.
    """
    always = {(r["scenario"], r["plane"], r["origin"], r["destination"])
              for r in records if r["failure"] == "none"}
    out = []
    for r in records:
        key = (r["scenario"], r["plane"], r["origin"], r["destination"])
        if key in always and r["failure"] != "none":
            continue
        if key in always:
            down = set(study.demand(r["scenario"]).whatif.failed_nodes)
            r = r | {"failure": "scenario" if {r["origin"], r["destination"]} & down
                     else "none"}
        out.append(r)
    return out


def cut_off_findings(study, records: Sequence[dict], scenario_failed_nodes=None) -> list[dict]:
    """One ``cut_off`` finding per scenario, plane and district from lost-demand records.

    Parameters
    ----------
    study : netplan.Study
        The analysis the records come from (for names, services and failure states).
    records : sequence of dict
        Keys ``scenario``, ``plane``, ``failure``, ``origin``, ``destination``,
        ``lost_gbps`` and optionally ``year`` (as :meth:`netplan.Study.lost_demand` or a
        plan's demand infeasibilities give them).

    Returns
    -------
    list of dict
        Largest loss first.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> s = s.model_copy(update={"overrides": (netplan.model.scenario.RemoveLink(
    ...     action="remove_link", link="ex-wanzhou-1"),)})
    >>> study = netplan.analyze(topo, s)
    >>> [f["district"] for f in cut_off_findings(study, study.lost_demand())]
    ['wanzhou']
    """
    groups: dict[tuple[str, str, str], list[dict]] = {}
    side = _CutSide(study)
    for rec in _once_if_always_lost(study, _not_own_node(study, records)):
        district = side.of(rec)
        groups.setdefault((rec["scenario"], rec["plane"], district), []).append(rec)
    out = []
    for (scenario, plane, district), recs in groups.items():
        topology = study.demand(scenario).whatif.topology
        ps = _plane_study(study, scenario, plane)
        per_state: dict[tuple, float] = {}
        for r in recs:
            key = (r["failure"], r.get("year"))
            per_state[key] = per_state.get(key, 0.0) + float(r["lost_gbps"])
        ods = sorted({(r["origin"], r["destination"]) for r in recs})
        failures = sorted({r["failure"] for r in recs})
        lost_gbps = max(per_state.values())
        name, name_zh = _names(topology, district)
        out.append({
            "kind": "cut_off",
            "scenario": scenario,
            "plane": plane,
            "district": district,
            "name": name,
            "name_zh": name_zh,
            "failures": failures,
            "years": sorted({r["year"] for r in recs if r.get("year") is not None}),
            "lost_gbps": lost_gbps,
            "ods": len(ods),
            "services": _services(ps, ods),
            "remedies": _remedies(topology, plane, ods, _down_sets(ps, failures), lost_gbps),
        })
    return sorted(out, key=lambda f: (-f["lost_gbps"], f["scenario"], f["plane"], f["district"]))


def _remedies(topology, plane: str, ods, down: dict, lost_gbps: float) -> list[dict]:
    """The three cheapest candidates that restore the group (none when no failure is known)."""
    if not down:
        return []
    return restoring_candidates(topology, plane, ods, down, lost_gbps)[:3]


def utilisation_findings(rows: Iterable[dict], target_normal: float,
                         target_failure: float) -> list[dict]:
    """One ``utilisation`` finding per link row over target.

    ``rows`` are :meth:`netplan.Study.worst_case` rows (those with ``over_target``) or an
    independent check's breaches (every one is over target).

    Examples
    --------
    >>> row = {"link": "x", "plane": "extranet", "normal_utilisation": 0.5,
    ...        "failure_utilisation": 0.95, "cause_failure": "link:y", "over_target": True}
    >>> f = utilisation_findings([row], 0.7, 0.9)[0]
    >>> f["utilisation"], f["target"], f["failure"]
    (0.95, 0.9, 'link:y')
    """
    out = []
    for r in rows:
        if not r.get("over_target", True):
            continue
        normal = float(r["normal_utilisation"])
        if normal > target_normal * (1 + 1e-9):
            utilisation, target, failure = normal, target_normal, "none"
        else:
            utilisation, target = float(r["failure_utilisation"]), target_failure
            failure = r.get("cause_failure", "")
        out.append({
            "kind": "utilisation",
            "scenario": r.get("cause_scenario", ""),
            "plane": r["plane"],
            "link": r["link"],
            "utilisation": utilisation,
            "target": target,
            "failure": failure,
            "year": r.get("year", r.get("cause_year")),
            "hour": r.get("cause_hour"),
        })
    return out


def latency_findings(study, records: Sequence[dict]) -> list[dict]:
    """One ``latency`` finding per scenario, plane and district from SLA-violation records.

    Parameters
    ----------
    study : netplan.Study
    records : sequence of dict
        :meth:`netplan.Study.sla_violations` rows (reachable pairs over their target).
    """
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for rec in records:
        topology = study.demand(rec["scenario"]).whatif.topology
        district = _district(topology, rec["origin"], rec["destination"])
        groups.setdefault((rec["scenario"], rec["plane"], district), []).append(rec)
    out = []
    for (scenario, plane, district), recs in sorted(groups.items()):
        worst = max(recs, key=lambda r: r["latency_ms"] / r["target_ms"])
        name, name_zh = _names(study.demand(scenario).whatif.topology, district)
        out.append({
            "kind": "latency", "scenario": scenario, "plane": plane, "district": district,
            "name": name, "name_zh": name_zh,
            "failures": sorted({r["failure"] for r in recs}),
            "latency_ms": float(worst["latency_ms"]), "target_ms": float(worst["target_ms"]),
            "ods": len({(r["origin"], r["destination"]) for r in recs}),
        })
    return out


def rack_findings(dc_rows: Iterable[dict]) -> list[dict]:
    """One ``racks`` finding per data centre and year that needs more racks than installed.

    Examples
    --------
    >>> rack_findings([{"scenario": "s", "data_centre": "dc", "year": 2026,
    ...                 "racks_needed": 12, "racks_installed": 10}])[0]["racks_short"]
    2
    """
    return [
        {"kind": "racks", "scenario": r["scenario"], "data_centre": r["data_centre"],
         "year": r["year"], "racks_needed": int(r["racks_needed"]),
         "racks_installed": int(r["racks_installed"]),
         "racks_short": int(r["racks_needed"]) - int(r["racks_installed"])}
        for r in dc_rows if int(r["racks_needed"]) > int(r["racks_installed"])
    ]


def unmet_findings(items: Iterable[dict]) -> list[dict]:
    """One ``unmet`` finding per plan infeasibility that is not lost demand.

    Examples
    --------
    >>> unmet_findings([{"item": "budget", "id": "2026", "year": 2026, "reason": "over",
    ...                  "shortfall": 5.0}])[0]["item"]
    'budget'
    """
    return [
        {"kind": "unmet", "item": i["item"], "id": i["id"], "year": i["year"],
         "plane": i.get("plane"), "reason": i["reason"], "shortfall": float(i["shortfall"])}
        for i in items if i["item"] not in ("demand", "availability")
    ]


def service_findings(services: Iterable[dict]) -> list[dict]:
    """One ``service`` finding per simulated service and hour that misses its target.

    ``services`` are the ``services`` rows of a simulation summary: each has
    ``meets_target`` (None when the service has no target), ``blocking``,
    ``response_p95_s``/``response_mean_s`` and their targets.

    Examples
    --------
    >>> row = {"service": "video", "hour": 10, "meets_target": False,
    ...        "blocking": {"mean": 0.05}, "target_blocking": 0.01}
    >>> service_findings([row])[0]["metric"]
    'blocking'
    """
    out = []
    for row in services:
        if row.get("meets_target") is not False:
            continue
        blocking = (row.get("blocking") or {}).get("mean")
        target_b = row.get("target_blocking")
        if target_b is not None and blocking is not None and blocking > target_b:
            metric, value, target = "blocking", blocking, target_b
        else:
            resp = row.get("response_p95_s") or {}
            if resp.get("mean") is None:
                resp = row.get("response_mean_s") or {}
            metric, value, target = "response_s", resp.get("mean"), row.get("target_response_s")
        out.append({"kind": "service", "service": row["service"], "hour": row.get("hour"),
                    "metric": metric, "value": None if value is None else float(value),
                    "target": None if target is None else float(target)})
    return out


def lost_records_of_plan(plan, scenario: str) -> list[dict]:
    """A plan's demand infeasibilities as lost-demand records (``origin>destination`` split)."""
    out = []
    for item in plan.infeasibilities:
        if item["item"] != "demand":
            continue
        origin, _, destination = item["id"].partition(">")
        out.append({"scenario": scenario, "plane": item.get("plane", ""),
                    "failure": item.get("failure", "unknown"), "origin": origin,
                    "destination": destination, "lost_gbps": float(item["shortfall"]),
                    "year": item["year"]})
    return out


_AVAILABILITY_KEYS = ("district", "plane", "destination", "destinations", "target", "judged_on",
                      "value", "best", "bound_by", "dominant_cut",
                      "end_nodes_downtime_min_per_year", "allowed_downtime_min_per_year")


def availability_findings(topology, items: Iterable[dict]) -> list[dict]:
    """One ``availability`` finding per plan infeasibility of item ``availability``.

    Parameters
    ----------
    topology : Topology
        For the districts' names.
    items : iterable of dict
        A plan's infeasibilities; those of item ``availability`` carry their diagnosis
        under ``availability`` (:mod:`netplan.planning.availability_step`).

    Examples
    --------
    >>> item = {"item": "availability", "availability": {
    ...     "district": "d", "plane": "extranet", "destination": "dc", "target": 0.9999,
    ...     "judged_on": "end_to_end", "value": 0.9990, "best": 0.9991,
    ...     "bound_by": "end_nodes", "dominant_cut": "node:d"}}
    >>> f = availability_findings(None, [item])[0]
    >>> f["kind"], f["best"], f["destinations"]
    ('availability', 0.9991, ['dc'])
    """
    out = []
    for item in items:
        if item.get("item") != "availability":
            continue
        found = item["availability"]
        name, name_zh = _names(topology, found["district"]) if topology is not None else (
            found["district"], found.get("name_zh", ""))
        finding = {"kind": "availability", "name": name, "name_zh": name_zh or found.get(
            "name_zh", "")}
        finding |= {k: found.get(k) for k in _AVAILABILITY_KEYS}
        finding["destinations"] = list(found.get("destinations") or [found["destination"]])
        finding["estimate"] = True
        out.append(finding)
    return sorted(out, key=lambda f: ((f["best"] if f["best"] is not None else f["value"])
                                      - f["target"], f["district"], f["plane"]))


def availability_missed_findings(topology, result) -> list[dict]:
    """One ``availability`` finding per district and plane an availability result misses.

    Parameters
    ----------
    topology : Topology
        For the districts' names.
    result : AvailabilityResult
        With targets (:func:`netplan.availability.availability`).
    """
    from netplan.planning.availability_step import missed_item, worst_per_district

    rows = worst_per_district(result.misses(), "judged_lower_bound")
    return availability_findings(topology, [missed_item(r, 0, "") for r in rows])
