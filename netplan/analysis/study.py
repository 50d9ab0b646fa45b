"""The worst-case study of a topology under one or more scenarios (``egov-netplan analyze``).

For every link: the worst load it will ever carry over all hours, years, scenarios and failure
states of the policy, with the failure, hour, year and scenario that cause it; per
origin-destination: latency in every failure state against the services' targets; traffic a
failure disconnects, reported as lost; and data-centre load in servers and racks.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netplan.analysis.failures import FailureSweep
from netplan.analysis.records import (
    lost_demand_records,
    sla_violation_records,
    worst_case_records,
)
from netplan.analysis.sweep import PlaneSweep, sweep_scenario
from netplan.demand import HOURS, Demand, PlaneDemand, build_demand
from netplan.io.tables import records_to_csv
from netplan.model.plane_graph import PlaneGraph
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology


@dataclass(frozen=True)
class PlaneStudy:
    """One plane of one scenario: its graph, demand, failure states and sweep."""

    scenario: str
    plane: str
    graph: PlaneGraph
    demand: PlaneDemand
    sweep: FailureSweep
    targets_ms: np.ndarray  # per od: tightest latency target of the services on it (inf: none)

    def sample_labels(self) -> dict[str, list[int]]:
        """Year and hour of every flattened (year × hour) demand sample."""
        years = self.demand.years
        return {
            "year": [years[i // HOURS] for i in range(len(years) * HOURS)],
            "hour": [i % HOURS for i in range(len(years) * HOURS)],
        }


@dataclass(frozen=True)
class Study:
    """Results of :func:`analyze`."""

    topology: str
    scenarios: tuple[str, ...]
    failure_policy: tuple[str, ...]
    max_utilisation_normal: float
    max_utilisation_failure: float
    planes: tuple[PlaneStudy, ...]
    dc_load: tuple[dict, ...]
    estimate: bool = True
    demands: tuple[Demand, ...] = field(default=(), repr=False, compare=False)
    policies: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)
    _year_sweeps: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # --- what later stages take from the study -----------------------------------------
    def demand(self, scenario: str) -> Demand:
        """The demand built for ``scenario`` (by name), as the study swept it."""
        return self.demands[self.scenarios.index(scenario)]

    def year_sweeps(self, scenario: str) -> tuple[PlaneSweep, ...]:
        """The sweep of ``scenario`` year by year (each year over its 24 hours), per plane.

        The planner sizes every year from these; they are computed on first use and kept,
        so a run that analyses and then plans sweeps each year once.

        Examples
        --------
        >>> import netplan
        >>> topo = netplan.load_topology(netplan.default_topology_path())
        >>> s = netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)
        >>> study = analyze(topo, s)
        >>> [len(p.sweeps) for p in study.year_sweeps("growth-5y")]
        [6, 6]
        """
        if scenario not in self._year_sweeps:
            i = self.scenarios.index(scenario)
            self._year_sweeps[scenario] = sweep_scenario(self.demands[i], self.policies[i],
                                                         by_year=True)
        return self._year_sweeps[scenario]

    # --- records ---------------------------------------------------------------------
    def worst_case(self) -> list[dict]:
        """Per link (over every scenario): worst load and utilisation with its cause."""
        rows_by_link: dict[tuple[str, str], list[dict]] = {}
        for ps in self.planes:
            sw = ps.sweep
            normal, failed = sw.link_normal_utilisation, sw.link_failure_utilisation
            labels = ps.sample_labels()
            link_index = ps.graph.link_index
            for record in worst_case_records(ps.graph, sw, labels):
                li = link_index[record["link"]]
                row = {key: record[key] for key in (
                    "link", "a", "b", "capacity_gbps", "worst_load_gbps", "worst_utilisation",
                    "cause_failure")}
                row |= {
                    "plane": ps.plane,
                    "cause_hour": record["hour"],
                    "cause_year": record["year"],
                    "cause_scenario": ps.scenario,
                    "normal_utilisation": float(normal[li]),
                    "failure_utilisation": float(failed[li]),
                }
                rows_by_link.setdefault((ps.plane, row["link"]), []).append(row)
        out = []
        for rows in rows_by_link.values():
            # The worst scenario names the cause; the normal/failure columns cover them all.
            row = dict(max(rows, key=lambda r: r["worst_utilisation"]))
            row["normal_utilisation"] = max(r["normal_utilisation"] for r in rows)
            row["failure_utilisation"] = max(r["failure_utilisation"] for r in rows)
            row["over_target"] = bool(
                row["normal_utilisation"] > self.max_utilisation_normal * (1 + 1e-9)
                or row["failure_utilisation"] > self.max_utilisation_failure * (1 + 1e-9)
            )
            out.append(row)
        return sorted(out, key=lambda r: (-r["worst_utilisation"], r["plane"], r["link"]))

    @property
    def res_link(self) -> dict[str, dict]:
        """:meth:`worst_case` keyed by link id, in the topology's order (plane by plane).

        Examples
        --------
        >>> import netplan
        >>> topo = netplan.load_topology(netplan.default_topology_path())
        >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
        >>> study = analyze(topo, s)
        >>> list(study.res_link)[:2] == [link.id for link in topo.links[:2]]
        True
        >>> study.res_link["ex-wanzhou-1"]["cause_failure"]
        'link:ex-wanzhou-2'
        """
        rows = {row["link"]: row for row in self.worst_case()}
        order = dict.fromkeys(link for ps in self.planes for link in ps.graph.link_ids)
        return {link: rows[link] for link in order}

    def lost_demand(self) -> list[dict]:
        """Per scenario, plane, failure and od: the peak demand that failure disconnects."""
        return [
            {"scenario": ps.scenario, "plane": ps.plane} | record
            for ps in self.planes
            for record in lost_demand_records(ps.graph, ps.sweep)
        ]

    def sla_violations(self) -> list[dict]:
        """Per scenario, plane, failure and od: latency above the services' target.

        Pairs a failure disconnects are in :meth:`lost_demand` instead.
        """
        return [
            {"scenario": ps.scenario, "plane": ps.plane} | record
            for ps in self.planes
            for record in sla_violation_records(ps.graph, ps.sweep, ps.targets_ms)
            if record["reachable"]
        ]

    def report_arrays(self) -> dict[str, np.ndarray]:
        """Arrays the report draws, per scenario and plane, keyed ``<scenario>/<plane>/<name>``.

        ``hourly_utilisation`` (links × 24, the busiest year without failure, whose offset is
        in ``busiest_year``), ``impact`` (states × links), ``states`` and ``links`` (labels).
        """
        out: dict[str, np.ndarray] = {}
        for ps in self.planes:
            g, sw = ps.graph, ps.sweep
            key = f"{ps.scenario}/{ps.plane}"
            util = g.link_max(sw.base_load_gbps / g.arc_capacity_gbps[None, :])
            per_year = util.reshape(len(ps.demand.years), HOURS, g.n_links)
            year = int(np.argmax(per_year.max(axis=(1, 2))))
            out[f"{key}/hourly_utilisation"] = per_year[year].T
            out[f"{key}/busiest_year"] = np.array(ps.demand.years[year])
            out[f"{key}/impact"] = sw.impact_rows(0, len(sw.states))
            out[f"{key}/states"] = np.array(sw.state_names)
            out[f"{key}/links"] = np.array(g.link_ids)
        return out

    def summary(self) -> dict:
        """Headline numbers for the run (JSON-ready)."""
        worst = self.worst_case()
        lost = self.lost_demand()
        top = worst[0] if worst else None
        return {
            "topology": self.topology,
            "scenarios": list(self.scenarios),
            "failure_policy": list(self.failure_policy),
            "targets": {"max_utilisation_normal": self.max_utilisation_normal,
                        "max_utilisation_failure": self.max_utilisation_failure},
            "links": len(worst),
            "failure_states": {f"{ps.scenario}/{ps.plane}": len(ps.sweep.states)
                               for ps in self.planes},
            "links_over_target": sum(r["over_target"] for r in worst),
            "max_worst_utilisation": top["worst_utilisation"] if top else 0.0,
            "most_loaded_link": top and {k: top[k] for k in (
                "link", "plane", "worst_utilisation", "cause_failure", "cause_year",
                "cause_hour", "cause_scenario")},
            "failures_that_disconnect_demand": len({(r["scenario"], r["plane"], r["failure"])
                                                    for r in lost}),
            "sla_violations": len(self.sla_violations()),
            "data_centres": list(self.dc_load),
            "verdict": self.verdict().to_json(),
            "estimate": True,
            "note": "Loads derive from estimated demand; see each scenario's sources.",
        }

    def verdict(self):
        """The network as it stands against its targets (see :mod:`netplan.verdict`).

        Computed on first use and kept: the summary, the report and the exit code read it.
        """
        if "verdict" not in self._derived:
            from netplan.verdict import network_verdict

            self._derived["verdict"] = network_verdict(self)
        return self._derived["verdict"]

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write worst_case.csv, sla_violations.csv, lost_demand.csv, dc_load.csv, summary.json."""
        from netplan.io.atomic import write_text_atomic

        directory = Path(directory)
        out = [
            write_text_atomic(directory / "worst_case.csv", records_to_csv(
                self.worst_case(), WORST_CASE_COLUMNS, digits=6)),
            write_text_atomic(directory / "sla_violations.csv", records_to_csv(
                self.sla_violations(), SLA_COLUMNS, digits=6)),
            write_text_atomic(directory / "lost_demand.csv", records_to_csv(
                self.lost_demand(), LOST_COLUMNS, digits=6)),
            write_text_atomic(directory / "dc_load.csv", records_to_csv(
                list(self.dc_load), DC_COLUMNS, digits=6)),
            write_text_atomic(directory / "summary.json",
                              json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n"),
        ]
        return out


WORST_CASE_COLUMNS = (
    "link", "plane", "a", "b", "capacity_gbps", "worst_load_gbps", "worst_utilisation",
    "cause_failure", "cause_hour", "cause_year", "cause_scenario", "normal_utilisation",
    "failure_utilisation", "over_target",
)
SLA_COLUMNS = ("scenario", "plane", "failure", "origin", "destination", "latency_ms", "target_ms")
LOST_COLUMNS = ("scenario", "plane", "failure", "origin", "destination", "lost_gbps")
DC_COLUMNS = ("scenario", "data_centre", "year", "busy_servers", "servers_needed",
              "racks_needed", "racks_installed", "racks_max", "estimate")


def _latency_targets(scenario: Scenario, pd: PlaneDemand) -> np.ndarray:
    targets = np.full(pd.od_src.size, np.inf)
    for si, service_id in enumerate(pd.services):
        limit = scenario.service(service_id).targets.max_latency_ms
        if limit is None:
            continue
        carries = pd.gbps[si].max(axis=(0, 1)) > 0
        targets[carries] = np.minimum(targets[carries], limit)
    return targets


def dc_load(topology: Topology, scenario: Scenario, demand: Demand) -> list[dict]:
    """Servers and racks each data centre needs per year (from the busy hour of its services).

    A service's servers are ``servers_per_gbps`` × its peak Gbit/s to and from the data
    centre; servers needed = busy servers / the data centre's target utilisation. Traffic
    of a node the scenario fails for good (``fail_node``) is lost and needs no servers.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("dc-outage"), topo)
    >>> rows = dc_load(topo, s, build_demand(topo, s))
    >>> [r["data_centre"] for r in rows if r["busy_servers"] > 0]
    ['dc-dr']
    """
    rows = []
    for dc in topology.data_centres:
        per_year = np.zeros(len(scenario.years))
        for pd in demand.planes.values():
            if dc.node not in pd.node_ids:
                continue
            node = pd.node_ids.index(dc.node)
            touches = (pd.od_src == node) | (pd.od_dst == node)
            # Traffic of a node the scenario fails never reaches the data centre: it is lost.
            down = [pd.node_ids.index(n) for n in demand.whatif.failed_nodes if n in pd.node_ids]
            touches &= ~np.isin(pd.od_src, down) & ~np.isin(pd.od_dst, down)
            for si, service_id in enumerate(pd.services):
                per_gbps = scenario.service(service_id).servers_per_gbps
                if per_gbps <= 0:
                    continue
                # Busy hour of the service's total traffic at this DC, per year.
                per_year += pd.gbps[si][..., touches].sum(axis=-1).max(axis=-1) * per_gbps
        for yi, year in enumerate(scenario.years):
            needed = per_year[yi] / dc.target_utilisation
            rows.append({
                "scenario": scenario.name, "data_centre": dc.id, "year": year,
                "busy_servers": float(per_year[yi]), "servers_needed": float(needed),
                "racks_needed": int(math.ceil(needed / dc.servers_per_rack - 1e-9)),
                "racks_installed": dc.racks, "racks_max": dc.racks_max, "estimate": True,
            })
    return rows


def analyze(
    topology: Topology,
    scenarios: Scenario | list[Scenario] | tuple[Scenario, ...],
    failures: str | tuple[str, ...] | list[str] | None = None,
    *,
    demand: Demand | None = None,
) -> Study:
    """Worst case of every link over all hours, years, scenarios and failure states.

    Parameters
    ----------
    topology : Topology
    scenarios : Scenario or sequence of Scenario
        Each scenario's what-ifs are applied to its own copy of the topology.
    failures : str or sequence of str, optional
        Failure policy (``none``, ``n-1``, ``n-1-nodes``, ``srlg``, ``n-2``); defaults to
        each scenario's own ``failure_policy``.
    demand : Demand, optional
        The demand of a single scenario, already built by
        :func:`netplan.demand.build_demand`; built here when not given.

    Returns
    -------
    Study
        Frozen; it keeps each scenario's demand for the stages that follow.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> study = analyze(topo, s, failures="n-1")
    >>> rows = study.worst_case()
    >>> all(r["cause_failure"] for r in rows)
    True
    """
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    scenarios = list(scenarios)
    if demand is not None and len(scenarios) != 1:
        raise ValueError("a precomputed demand goes with exactly one scenario")
    planes: list[PlaneStudy] = []
    dc_rows: list[dict] = []
    policies: list[str] = []
    demands: list[Demand] = []
    per_scenario: list[tuple[str, ...]] = []
    for scenario in scenarios:
        policy = failures if failures is not None else scenario.failure_policy
        policy = (policy,) if isinstance(policy, str) else tuple(policy)
        policies += [p for p in policy if p not in policies]
        built = demand if demand is not None else build_demand(topology, scenario)
        demands.append(built)
        per_scenario.append(policy)
        dc_rows += dc_load(built.whatif.topology, scenario, built)
        for ps in sweep_scenario(built, policy, by_year=False):
            planes.append(PlaneStudy(
                scenario=scenario.name, plane=ps.plane, graph=ps.graph, demand=ps.demand,
                sweep=ps.sweeps[0], targets_ms=_latency_targets(scenario, ps.demand),
            ))
    first = scenarios[0]
    return Study(
        topology=topology.name,
        scenarios=tuple(s.name for s in scenarios),
        failure_policy=tuple(policies),
        max_utilisation_normal=first.targets.max_utilisation_normal,
        max_utilisation_failure=first.targets.max_utilisation_failure,
        planes=tuple(planes),
        dc_load=tuple(dc_rows),
        demands=tuple(demands),
        policies=tuple(per_scenario),
    )
