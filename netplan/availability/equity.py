"""Equity: how well each district is served, and how unevenly across districts.

Per district and plane: installed access bandwidth per resident and per staff member, the
worst-hour utilisation of its access links (no failure), its availability and downtime to
the worst of its destinations (and the downtime of the network alone, without the failures
of the end nodes), and the latency to the data centre. Then, per plane and
figure, the spread across districts: smallest, largest, their ratio, the Gini coefficient
and the worst five.

Run it on ``plan.sized_topology(topology)`` as well to see whether a purchase narrows the gap.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netplan.model.topology import Topology

__all__ = ["EQUITY_COLUMNS", "EquityResult", "FIGURES", "equity", "gini", "spread"]

EQUITY_COLUMNS = (
    "district", "name_zh", "region", "plane", "population", "staff_estimate",
    "access_capacity_gbps", "access_kbps_per_resident", "access_kbps_per_staff",
    "worst_hour_utilisation", "availability", "downtime_min_per_year",
    "network_downtime_min_per_year", "latency_to_dc_ms", "estimate",
)
"""Columns of ``equity.csv``, in order."""

FIGURES = {
    "access_kbps_per_resident": "low",
    "access_kbps_per_staff": "low",
    "worst_hour_utilisation": "high",
    "downtime_min_per_year": "high",
    "network_downtime_min_per_year": "high",
    "latency_to_dc_ms": "high",
}
"""The figures whose spread is summarised, and which end is the worse one."""


def gini(values) -> float:
    """The Gini coefficient of non-negative values: 0 all equal, near 1 all in one.

    Examples
    --------
    >>> gini([1, 1, 1, 1]), gini([0, 0, 0, 4]), round(gini([1, 2, 3]), 6)
    (0.0, 0.75, 0.222222)
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or x.sum() <= 0:
        return 0.0
    # Mean absolute difference over twice the mean, from the sorted values in O(n log n).
    x = np.sort(x)
    n = x.size
    ranks = np.arange(1, n + 1)
    return float(((2 * ranks - n - 1) * x).sum() / (n * x.sum()))


def spread(rows: list[dict], figure: str, worse: str = "low", *, key: str = "district") -> dict:
    """Spread of ``figure`` over ``rows``: min, max, max/min, Gini and the worst five.

    Rows without a value (None or NaN) are left out.

    Examples
    --------
    >>> rows = [{"district": d, "x": v} for d, v in zip("abcdef", [1, 2, 4, 8, 16, 32])]
    >>> s = spread(rows, "x", "low")
    >>> s["max_min_ratio"], s["worst_five"]
    (32.0, ['a', 'b', 'c', 'd', 'e'])
    """
    valued = [r for r in rows if r.get(figure) is not None and np.isfinite(r[figure])]
    values = np.array([r[figure] for r in valued], dtype=np.float64)
    if not valued:
        return {"figure": figure, "worse": worse, "districts": 0, "min": None, "max": None,
                "max_min_ratio": None, "gini": None, "worst_five": []}
    order = np.argsort(values if worse == "low" else -values, kind="stable")
    low, high = float(values.min()), float(values.max())
    return {
        "figure": figure, "worse": worse, "districts": len(valued),
        "min": low, "max": high,
        "max_min_ratio": high / low if low > 0 else None,
        "gini": gini(values),
        "worst_five": [valued[i][key] for i in order[:5]],
    }


@dataclass(frozen=True, eq=False)
class EquityResult:
    """Per-district figures and their spread.

    Attributes
    ----------
    topology, scenario : str
    rows : tuple of dict
        One per (district, plane), keyed by :data:`EQUITY_COLUMNS`.
    spreads : tuple of dict
        One per (plane, figure of :data:`FIGURES`): :func:`spread` with ``plane``.
    estimate : bool
        Always True: demand, prices of capacity and failure rates are estimates.
    """

    topology: str
    scenario: str | None
    rows: tuple[dict, ...]
    spreads: tuple[dict, ...]
    estimate: bool = True

    def to_csv(self) -> str:
        """``equity.csv``: the rows under :data:`EQUITY_COLUMNS`."""
        from netplan.io.tables import records_to_csv

        return records_to_csv(self.rows, EQUITY_COLUMNS, text_safe=True)

    def summary(self) -> dict:
        """The spreads, JSON-ready."""
        return {"topology": self.topology, "scenario": self.scenario,
                "spreads": list(self.spreads), "estimate": True}

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``equity.csv`` and ``equity_summary.json``."""
        from netplan.io.atomic import write_text_atomic

        directory = Path(directory)
        return [
            write_text_atomic(directory / "equity.csv", self.to_csv()),
            write_text_atomic(directory / "equity_summary.json",
                              json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n"),
        ]


def _per_capita_kbps(capacity_gbps: float, count: float | None) -> float | None:
    return capacity_gbps * 1e6 / count if count else None


def _access_capacity(topology: Topology, plane: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for link in topology.links_of(plane):
        for end in (link.a, link.b):
            out[end] = out.get(end, 0.0) + float(link.capacity_gbps or 0.0)
    return out


def _utilisation_and_latency(study, topology: Topology, plane: str, dc_node: str | None):
    """Worst-hour utilisation of each node's links, and each node's latency to ``dc_node``."""
    utilisation: dict[str, float] = {}
    latency: dict[str, float] = {}
    if study is None:
        return utilisation, latency
    links = topology.link_index
    for row in study.worst_case():
        if row["plane"] != plane:
            continue
        link = links[row["link"]]
        for end in (link.a, link.b):
            utilisation[end] = max(utilisation.get(end, 0.0), row["normal_utilisation"])
    for ps in study.planes:
        if ps.plane != plane or dc_node is None:
            continue
        nodes = ps.demand.node_ids
        for od, (o, d) in enumerate(zip(ps.demand.od_src, ps.demand.od_dst, strict=True)):
            if nodes[d] == dc_node:
                value = float(ps.sweep.latency_ms[0, od])
                latency[nodes[o]] = value if np.isfinite(value) else None
    return utilisation, latency


def equity(topology: Topology, scenario=None, *, demand=None, study=None, availability=None
           ) -> EquityResult:
    """Per-district service figures and their spread across districts.

    Parameters
    ----------
    topology : Topology
        The network as it stands (or ``plan.sized_topology(topology)`` after a plan).
    scenario : Scenario, optional
        For staff counts, utilisation and latency (left empty without one).
    demand : Demand, optional
    study : Study, optional
        An analysis of ``scenario`` (run without failures when absent and a scenario is
        given: only the no-failure figures are used).
    availability : AvailabilityResult, optional
        Computed when absent.

    Returns
    -------
    EquityResult

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> result = equity(topo, s)
    >>> len(result.rows), sorted({r["plane"] for r in result.rows})
    (80, ['extranet', 'intranet'])
    >>> spread_ = [x for x in result.spreads if x["plane"] == "extranet"
    ...            and x["figure"] == "access_kbps_per_resident"][0]
    >>> spread_["max_min_ratio"] > 1 and 0 < spread_["gini"] < 1
    True
    """
    from netplan.availability.api import availability as compute_availability

    staff: dict[str, float] = {}
    if scenario is not None:
        from netplan.demand import build_demand, district_units

        demand = demand if demand is not None else build_demand(topology, scenario)
        if study is None:
            from netplan.analysis.study import analyze

            study = analyze(topology, scenario, ("none",), demand=demand)
        districts = [n for n in topology.nodes if n.kind == "district"]
        units = district_units(topology, scenario, demand.whatif)
        staff = {n.id: float(units["staff"][i]) for i, n in enumerate(districts)}
    if availability is None:
        availability = compute_availability(topology, scenario, demand=demand)
    rows: list[dict] = []
    for plane in ("extranet", "intranet"):
        if not topology.links_of(plane):
            continue
        rows.extend(_plane_rows(topology, plane, staff, study, availability))
    spreads = tuple({"plane": plane} | spread([r for r in rows if r["plane"] == plane],
                                              figure, worse)
                    for plane in dict.fromkeys(r["plane"] for r in rows)
                    for figure, worse in FIGURES.items())
    return EquityResult(topology=topology.name, scenario=getattr(scenario, "name", None),
                        rows=tuple(rows), spreads=spreads)


def _plane_rows(topology: Topology, plane: str, staff: dict, study, availability) -> list[dict]:
    worst: dict[str, dict] = {}
    for r in availability.rows:
        if r["plane"] == plane and (r["district"] not in worst or r["downtime_min_per_year"]
                                    > worst[r["district"]]["downtime_min_per_year"]):
            worst[r["district"]] = r
    dc_nodes = [n.id for n in topology.nodes_of(plane) if n.kind == "data_centre"]
    destinations = {r["destination"] for r in availability.rows if r["plane"] == plane}
    dc_node = next((d for d in dc_nodes if d in destinations), dc_nodes[0] if dc_nodes else None)
    capacity = _access_capacity(topology, plane)
    utilisation, latency = _utilisation_and_latency(study, topology, plane, dc_node)
    rows = []
    for node in topology.nodes_of(plane):
        if node.kind != "district":
            continue
        gbps = capacity.get(node.id, 0.0)
        row = worst.get(node.id)
        rows.append({
            "district": node.id, "name_zh": node.name_zh, "region": node.region,
            "plane": plane, "population": node.population,
            "staff_estimate": staff.get(node.id),
            "access_capacity_gbps": gbps,
            "access_kbps_per_resident": _per_capita_kbps(gbps, node.population),
            "access_kbps_per_staff": _per_capita_kbps(gbps, staff.get(node.id)),
            "worst_hour_utilisation": utilisation.get(node.id),
            "availability": row["availability"] if row else None,
            "downtime_min_per_year": row["downtime_min_per_year"] if row else None,
            "network_downtime_min_per_year": (row["network_downtime_min_per_year"]
                                              if row else None),
            "latency_to_dc_ms": latency.get(node.id),
            "estimate": True,
        })
    return rows
